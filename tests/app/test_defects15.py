"""Issue 15, the desktop app's defects: each test drives the real window against a real core
(Stage on port 0) and fails on the code before the fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt

from app.formatting import hammer_outcome
from hub.auction.commands import BINDINGS

T = 8000


def _lot(win):
    return win.state.current or {}


def _open_first_lot(qtbot, win) -> None:
    qtbot.keyClick(win, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: _lot(win).get("status") == "open", timeout=T)


# -- defect 1: a join link never widens the window; any approved bidder's link again --------


def test_join_link_keeps_the_window_and_shows_again(qtbot, window):
    win = window
    win.resize(1366, 700)
    qtbot.waitUntil(lambda: win.width() == 1366)
    min_before = win.minimumSizeHint().width()
    future = win.bridge.core._run(
        lambda stage: stage.register_online_bidder({"name": "Eve", "email": "eve@example.com"})
    )
    paddle = future.result(timeout=10)
    panel = win.bidders
    win.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: any(str(b.get("paddle")) == paddle for b in panel.rows), timeout=T)
    panel.select(paddle)
    qtbot.mouseClick(panel.approve, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.link_box.isVisible(), timeout=T)
    first = panel.link_url
    assert "/bid#token=" in first
    assert len(first) > 100
    assert panel.link_text.isReadOnly()
    assert panel.link_text.text() == first
    win.tabs.setCurrentWidget(win.console)
    qtbot.wait(50)  # let the layouts settle (a grown label would have widened the window)
    assert win.minimumSizeHint().width() <= min_before
    assert win.width() == 1366
    # The link again, without approving again: select the bidder, Show link.
    panel.link_box.close()
    panel.link_url = ""
    qtbot.waitUntil(
        lambda: any(
            str(b.get("paddle")) == paddle and b.get("status") == "approved" for b in panel.rows
        ),
        timeout=T,
    )
    win.tabs.setCurrentWidget(panel)
    panel.select(paddle)
    qtbot.mouseClick(panel.show_link_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.link_box.isVisible() and bool(panel.link_url), timeout=T)
    assert panel.link_paddle == paddle
    assert "/bid#token=" in panel.link_url
    assert win.width() == 1366

    # A bidder not approved has no link to show.
    panel.link_box.close()
    future = win.bridge.core._run(
        lambda stage: stage.register_online_bidder({"name": "Mallory", "email": "m@example.com"})
    )
    paddle = future.result(timeout=10)
    qtbot.waitUntil(lambda: any(str(b.get("paddle")) == paddle for b in panel.rows), timeout=T)
    panel.select(paddle)
    with qtbot.waitSignal(panel.notice, timeout=2000) as sig:
        qtbot.mouseClick(panel.show_link_button, Qt.MouseButton.LeftButton)
    assert "not approved" in sig.args[0]
    assert not panel.link_box.isVisible()


# -- defect 5: digits typed anywhere go to the Paddle field; "0" is no shortcut --------------


def test_digits_typed_anywhere_name_the_paddle(qtbot, window):
    win = window
    sent: list[dict] = []
    win.console.command.connect(sent.append)
    assert all(not b.key.isdigit() for b in BINDINGS)
    _open_first_lot(qtbot, win)
    win.lots.view.setFocus()  # the focus elsewhere on the window
    for key in (Qt.Key.Key_1, Qt.Key.Key_0, Qt.Key.Key_2):
        qtbot.keyClick(win, key)
    assert win.console.paddle.text() == "102"
    assert win.console.paddle.hasFocus()
    assert not any(c.get("op") == "set_increment" for c in sent)  # "0" is not the Ladder
    # Space is still the floor bid while the Paddle field has the focus: by paddle 102.
    qtbot.keyClick(win.console.paddle, Qt.Key.Key_Space)
    assert sent[-1] == {"op": "floor_bid", "lot": "1", "paddle": "102"}
    qtbot.waitUntil(lambda: (_lot(win).get("high") or {}).get("paddle") == "102", timeout=T)
    assert win.console.paddle.text() == ""
    # Escape drops a half-typed paddle; the console's keys work again at once.
    qtbot.keyClick(win, Qt.Key.Key_9)
    qtbot.keyClick(win.console.paddle, Qt.Key.Key_Escape)
    assert win.console.paddle.text() == ""
    assert not win.console.paddle.hasFocus()
    # A text field of another tab keeps its own digits.
    win.tabs.setCurrentWidget(win.bidders)
    win.bidders.search.setFocus()
    qtbot.keyClicks(win.bidders.search, "10")
    assert win.bidders.search.text() == "10"
    assert win.console.paddle.text() == ""


# -- defect 7: the Hammer button says when it will pass the lot ------------------------------


def test_hammer_outcome_follows_the_engine() -> None:
    live = {"status": "open", "reserve": 70000}
    assert hammer_outcome(None) == ""
    assert hammer_outcome({"status": "sold"}) == ""
    assert hammer_outcome(live) == "no_bids"
    assert hammer_outcome({**live, "high": {"amount": 50000, "channel": "floor"}}) == "pass"
    below = {**live, "high": {"amount": 50000, "channel": "floor"}}
    assert hammer_outcome(below, subject_to=True) == "subject_to"
    assert hammer_outcome({**live, "high": {"amount": 70000}}) == "sell"
    assert hammer_outcome({**live, "high": {"amount": 50000, "house": True}}) == "bought_in"
    assert hammer_outcome({"status": "fair_warning", "high": {"amount": 1}}) == "sell"


def test_hammer_button_warns_below_the_reserve(qtbot, window):
    win = window
    button = win.console.buttons["hammer"]
    reserve = win.console.card.reserve
    _open_first_lot(qtbot, win)  # lot 1: reserve €700
    qtbot.keyClick(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: (_lot(win).get("high") or {}).get("amount") == 50000, timeout=T)
    assert button.text().startswith("Hammer: passes")
    assert "Reserve not met" in button.toolTip()
    assert button.property("accent") == "warn"
    assert reserve.property("met") is False
    for amount in (55000, 60000, 65000, 70000):
        qtbot.keyClick(win, Qt.Key.Key_Space)
        qtbot.waitUntil(
            lambda a=amount: (_lot(win).get("high") or {}).get("amount") == a, timeout=T
        )
    assert button.text().split("\n")[0] == "Hammer"
    assert button.property("accent") == "hammer"
    assert reserve.property("met") is True
    assert "(met)" in reserve.text()


# -- defect 4 (app side): the currency board's rates imported from the ECB's XML ------------

ECB = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
    xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <Cube><Cube time="{day}">
    <Cube currency="USD" rate="1.0550"/><Cube currency="GBP" rate="0.8400"/>
    <Cube currency="CHF" rate="0.9310"/>
  </Cube></Cube>
</gesmes:Envelope>
"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Envelope><Cube><Cube time="2026-12-01"><Cube currency="USD" rate="&lol2;"/></Cube></Cube>
</Envelope>
"""


def test_rates_text_says_the_date_and_whether_the_board_shows() -> None:
    from app.facade import RatesInfo
    from app.ui.rates_panel import rates_text

    today = dt.date(2026, 12, 2)
    assert rates_text(None, today) == (
        "No rates imported: the room display shows no currency board.",
        False,
    )
    text, shown = rates_text(RatesInfo(dt.date(2026, 12, 1), 30, 7), today)
    assert shown is True
    assert "2026-12-01" in text
    assert "30 currencies" in text
    assert "7 days" in text
    text, shown = rates_text(RatesInfo(dt.date(2026, 11, 1), 30, 7), today)
    assert shown is False
    assert "hidden" in text


def test_import_rates_from_the_rules_tab(qtbot, window, tmp_path) -> None:
    win = window
    win.today = lambda: dt.date(2026, 12, 2)  # the clock the window reads ages with
    panel = win.rules.rates
    data_dir = Path(win.info.data_dir)
    good = tmp_path / "eurofxref-daily.xml"
    good.write_text(ECB.format(day="2026-12-01"), "utf-8")
    win.import_rates(good)
    qtbot.waitUntil(lambda: "2026-12-01" in panel.status.text(), timeout=T)
    assert panel.fresh is True
    assert "3 currencies" in panel.status.text()
    assert (data_dir / "rates.json").is_file()
    kept = (data_dir / "rates.json").read_bytes()

    # Malformed, hostile (entities), empty and not-a-file inputs: refused, the old rates kept.
    bad = tmp_path / "bad.xml"
    for content in ("<Envelope><Cube>", LAUGHS, "", ECB.format(day="2026-13-45")):
        bad.write_text(content, "utf-8")
        win.import_rates(bad)
        qtbot.waitUntil(lambda: "not imported" in panel.status.text(), timeout=T)
        assert panel.status.property("error") is True
        assert (data_dir / "rates.json").read_bytes() == kept
        panel.status.setText("")
    win.import_rates(tmp_path / "missing.xml")
    qtbot.waitUntil(lambda: "not imported" in panel.status.text(), timeout=T)

    # Weeks-old rates: imported, and the panel says the board hides them.
    old = tmp_path / "old.xml"
    old.write_text(ECB.format(day="2026-10-01"), "utf-8")
    win.import_rates(old)
    qtbot.waitUntil(lambda: "2026-10-01" in panel.status.text(), timeout=T)
    assert panel.fresh is False
    assert "hidden" in panel.status.text()
    # Shown again after a restart of the window's view (read back from the data dir).
    panel.status.setText("")
    win.reload_rates()
    qtbot.waitUntil(lambda: "2026-10-01" in panel.status.text(), timeout=T)


# -- defect 10: ladder amounts with currency and separators; the gavel tab's call to action --


def test_ladder_gavel_tab_and_tables(window) -> None:
    """Defect 10 on one window: the ladder's money, the gavel tab's call, the tables."""
    from app.ui.ladder_editor import ladder_from_cells
    from hub.gavel import GavelStatus

    rows = [[0, 1000], [100000, 5000], [1000000, 25050]]
    window.ladder.show_rows(rows, "EUR")
    cells = window.ladder.cells()
    assert cells == [("€0", "€10"), ("€1,000", "€50"), ("€10,000", "€250.50")]
    assert ladder_from_cells(cells, "EUR") == rows
    window.ladder.show_rows([[0, 100000]], "JPY")
    assert window.ladder.cells() == [("¥0", "¥100,000")]

    tab = window.gavel_settings
    assert not window.info.gavel.configured  # the demo runs without a gavel
    assert tab.detector_title.text() != "Strike the gavel now"
    assert "No gavel configured" in tab.detector_title.text()
    assert not tab.detector_reset.isEnabled()
    tab.on_gavel(GavelStatus("keyboard:F12", configured=True, connected=True, text="connected"))
    assert tab.detector_title.text() == "Strike the gavel now"
    assert tab.detector_reset.isEnabled()
    _tables_give_titles_and_names_the_room(window)


def _tables_give_titles_and_names_the_room(window) -> None:
    from PySide6.QtWidgets import QHeaderView, QTableWidget

    checked = 0
    for view in window.findChildren(QTableWidget):
        header = view.horizontalHeader()
        names = [view.horizontalHeaderItem(c).text() for c in range(view.columnCount())]
        wide = [c for c, name in enumerate(names) if name in ("Title", "Name")]
        if not wide or view.objectName() == "lotList":
            continue
        checked += 1
        stretched = [
            c
            for c in range(len(names))
            if header.sectionResizeMode(c) == QHeaderView.ResizeMode.Stretch
        ]
        # A text column takes the spare room (the title or name, or one the panel chose,
        # such as the staff's roles), not a short last column.
        assert stretched, names
        assert not header.stretchLastSection() or wide[0] == len(names) - 1, names
        assert not view.wordWrap(), view.objectName()  # names stay on one line
    assert checked >= 3
    # Placeholders are not cut: each field is at least as wide as its hint (as laid out).
    console = window.console
    for edit in (console.paddle, console.ask_edit):
        need = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
        assert edit.width() >= need, edit.placeholderText()


# -- screenshots: `python -m app.screenshot` renders the console at the README's sizes ------


def test_screenshot_sizes_are_checked() -> None:
    import argparse

    import pytest

    from app.screenshot import main, parse_size, parse_sizes

    assert parse_size("1366x768") == (1366, 768)
    assert parse_size(" 1920 × 1080 ") == (1920, 1080)
    assert parse_sizes("1366x768,1920x1080,1366x768") == [(1366, 768), (1920, 1080)]
    for bad in (
        "",
        "1366",
        "x768",
        "0x0",
        "99999x768",
        "1366x768;rm -rf /",
        "-1366x768",
        "1e3x800",
    ):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_size(bad)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_sizes(",".join(f"{1000 + n}x800" for n in range(9)))
    for argv in (
        ["--sizes", "0x0"],
        ["--lang", "xx"],
        ["--width", "10", "out.png"],
        ["out.png", "--sizes", "1366x768"],
        ["--screen", "seal", "--sizes", "1366x768,1920x1080"],
    ):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2, argv


def test_screenshot_renders_the_console(qapp, tmp_path) -> None:
    from PySide6.QtGui import QImage

    from app.screenshot import main

    assert main(["--sizes", "1366x768", "--out-dir", str(tmp_path)]) == 0
    shot = QImage(str(tmp_path / "console-1366x768.png"))
    assert (shot.width(), shot.height()) == (1366, 768)
    colours = {shot.pixel(x, y) for x in range(0, 1366, 40) for y in range(0, 768, 40)}
    assert len(colours) > 8  # a drawn console, not a blank picture
