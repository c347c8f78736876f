"""The console driven through the UI against a real core (Stage on port 0)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidget

HOSTILE = "<b>x</b><script>alert(1)</script>"


def _key(qtbot, win, key) -> None:
    qtbot.keyClick(win, key)


def _lot(win):
    return win.state.current or {}


def test_whole_lot_by_keyboard(qtbot, window):
    win = window
    _key(qtbot, win, Qt.Key.Key_N)  # open the next lot (1)
    qtbot.waitUntil(lambda: _lot(win).get("status") == "open", timeout=15000)
    assert win.console.card.badge.text() == "OPEN"
    assert "Reserve €700" in win.console.card.reserve.text()  # staff-only, shown here

    _key(qtbot, win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: (_lot(win).get("high") or {}).get("amount") == 50000, timeout=15000)
    # a named paddle: type it, Enter = floor bid
    qtbot.mouseClick(win.console.paddle, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(win.console.paddle, "102")
    qtbot.keyClick(win.console.paddle, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (_lot(win).get("high") or {}).get("paddle") == "102", timeout=15000)
    _key(qtbot, win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: (_lot(win).get("high") or {}).get("amount") == 60000, timeout=15000)
    assert win.console.card.bid.text() == "€600"
    assert win.console.card.ask.text() == "€650"
    for amount in (65000, 70000):  # up to the reserve
        _key(qtbot, win, Qt.Key.Key_Space)
        qtbot.waitUntil(
            lambda a=amount: (_lot(win).get("high") or {}).get("amount") == a, timeout=15000
        )
    assert win.console.history.rowCount() == 5
    assert "(met)" in win.console.card.reserve.text()

    _key(qtbot, win, Qt.Key.Key_W)
    qtbot.waitUntil(lambda: _lot(win).get("status") == "fair_warning", timeout=15000)
    assert win.console.card.badge.text() == "FAIR WARNING"
    _key(qtbot, win, Qt.Key.Key_H)
    qtbot.waitUntil(lambda: _lot(win).get("status") == "sold", timeout=15000)
    assert win.console.card.badge.text() == "SOLD"
    assert win.console.card.bid.text() == "€700"
    assert (_lot(win).get("hammer") or {}).get("source") == "key"
    lots = win.lots.view
    assert lots.item(0, 2).text() == "Sold"
    assert lots.item(0, 3).text() == "€700"
    assert "Total €700" in win.lots.progress.total.text()
    assert win.results.view.item(0, 2).text() == "Sold"


def test_refusal_is_shown_not_raised(qtbot, window):
    _key(qtbot, window, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: _lot(window).get("status") == "open", timeout=15000)
    window.console.command.emit({"op": "fair_warning", "lot": "2"})  # lot 2 is not open
    qtbot.waitUntil(lambda: "Refused" in window.console.notice.text(), timeout=15000)


def test_increment_and_button_hammer(qtbot, window):
    win = window
    _key(qtbot, win, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: _lot(win).get("status") == "open", timeout=15000)
    _key(qtbot, win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: _lot(win).get("high") is not None, timeout=15000)
    _key(qtbot, win, Qt.Key.Key_Plus)
    qtbot.waitUntil(lambda: _lot(win).get("increment") == 10000, timeout=15000)
    _key(qtbot, win, Qt.Key.Key_Minus)
    qtbot.waitUntil(lambda: _lot(win).get("increment") == 5000, timeout=15000)
    qtbot.mouseClick(win.console.buttons["hammer"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _lot(win).get("status") in ("sold", "passed"), timeout=15000)
    assert (_lot(win).get("hammer") or {}).get("source") == "button"


def test_titles_and_names_are_plain_text(qtbot, window, core_env):
    _, core, _ = core_env
    answer = core.submit(
        {"op": "add_lot", "lot": {"id": "99", "title": HOSTILE}, "reason": "late entry"}
    ).result(5)
    assert answer.ok, answer.message
    core.register_bidder("666", "floor", HOSTILE, approved=True).result(5)
    window.send({"op": "open_lot", "lot": "99"})
    qtbot.waitUntil(lambda: window.state.current_id == "99", timeout=15000)
    window.reload()
    qtbot.waitUntil(
        lambda: any(b.get("name") == HOSTILE for b in window.state.bidders), timeout=15000
    )
    assert window.console.card.title.text() == HOSTILE
    labels = window.findChildren(QLabel)
    assert labels
    for label in labels:
        assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    shown = [
        t.item(r, c).text()
        for t in window.findChildren(QTableWidget)
        for r in range(t.rowCount())
        for c in range(t.columnCount())
        if t.item(r, c)
    ]
    assert shown.count(HOSTILE) >= 3  # lot list, results, bidder list: verbatim
    assert window.findChildren(QTableWidget)[0].itemDelegate().metaObject().className() == (
        "QStyledItemDelegate"
    )


def test_help_overlay_lists_every_shortcut(qtbot, window):
    from app.shortcuts import SHORTCUTS

    _key(qtbot, window, Qt.Key.Key_Question)
    assert window.help.isVisible()
    texts = [label.text() for label in window.help.findChildren(QLabel)]
    for s in SHORTCUTS:
        assert s.help in texts
    qtbot.keyClick(window.help, Qt.Key.Key_Escape)
    assert not window.help.isVisible()


def test_bidder_approval_and_credit_limit(qtbot, window):
    panel = window.bidders
    panel.select("7003")
    qtbot.mouseClick(panel.approve, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(
            b["paddle"] == "7003" and b["status"] == "approved" for b in window.state.bidders
        ),
        timeout=15000,
    )
    panel.select("101")
    panel.limit.setText("2,500")
    qtbot.mouseClick(panel.set_limit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(
            b["paddle"] == "101" and b["credit_limit"] == 250000 for b in window.state.bidders
        ),
        timeout=15000,
    )


def test_ladder_editor_saves(qtbot, window):
    editor = window.ladder
    editor.show_rows([[0, 1000], [10000, 2500]], "EUR")
    qtbot.mouseClick(editor.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.state.settings.get("ladder") == [[0, 1000], [10000, 2500]], timeout=15000
    )


def test_import_report_and_export(qtbot, window, tmp_path: Path):
    images = tmp_path / "imgs"
    images.mkdir()
    (images / "101.png").write_bytes(b"\x89PNG fake")
    (images / "101_2.png").write_bytes(b"\x89PNG fake")
    csv_path = tmp_path / "cat.csv"
    csv_path.write_text(
        "lot,title,low,high,reserve\n"
        "101,Good lot,100,200,150\n"
        f'102,"{HOSTILE}",50,80,\n'
        "103,,10,20,\n"
        "104,Bad money,ten,20,\n"
        "101,Duplicate,1,2,\n"
        "1,Already in the sale,1,2,\n",
        "utf-8",
    )
    window.importer.set_sources(csv_path, images)
    window.importer.reason_edit.setText("Late consignment")  # the demo sale is live
    qtbot.mouseClick(window.importer.run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "imported" in window.importer.summary.text(), timeout=10_000)
    assert window.importer.summary.text() == "2 lots imported, 4 rows refused"
    report = window.importer.report
    rows = {
        report.item(r, 0).text(): (report.item(r, 2).text(), report.item(r, 3).text())
        for r in range(report.rowCount())
    }
    assert rows["2"][0] == "imported"
    assert rows["3"][0] == "imported"
    assert rows["4"] == ("refused", "no title")
    assert rows["5"][0] == "refused"
    assert "low" in rows["5"][1]
    assert "repeats line 2" in rows["6"][1]
    assert "already in the sale" in rows["7"][1]
    qtbot.waitUntil(lambda: "101" in window.state.lots, timeout=15000)
    assert window.state.lots["101"]["images"] == ["101_1.png", "101_2.png"]
    assert window.state.lots["102"]["title"] == HOSTILE
    out = window.export_results(tmp_path / "results.csv")
    assert out is not None
    assert "101,Good lot" in out.read_text("utf-8")


def test_words_are_asked_for_and_a_cancel_sends_nothing(qtbot, window):
    """With dialogs on, a retraction asks for its reason and a pause for its message (here the
    prompt is a stand-in; the real one is a QInputDialog). Cancel: nothing is sent."""
    win = window
    answers: list[str | None] = []
    asked: list[tuple[str, str]] = []

    def ask(question: str, suggestion: str) -> str | None:
        asked.append((question, suggestion))
        return answers.pop(0)

    win.console.ask_text = ask
    _key(qtbot, win, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: _lot(win).get("status") == "open", timeout=15000)
    _key(qtbot, win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: bool(_lot(win).get("high")), timeout=15000)

    sent: list[dict] = []
    win.console.command.connect(sent.append)
    answers.append(None)  # the auctioneer cancels
    _key(qtbot, win, Qt.Key.Key_R)
    assert asked[-1][0].startswith("Retract")
    assert sent == []
    answers.append("  wrong paddle  ")
    _key(qtbot, win, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: not _lot(win).get("high"), timeout=15000)
    assert sent[-1]["reason"] == "wrong paddle"
    answers.append("Back in 5 minutes")
    _key(qtbot, win, Qt.Key.Key_Z)
    qtbot.waitUntil(lambda: win.state.sale.get("paused") is True, timeout=15000)
    assert win.state.sale.get("message") == "Back in 5 minutes"
    assert asked[-1][1]  # a suggestion was offered
    _key(qtbot, win, Qt.Key.Key_Z)  # resume: no words
    qtbot.waitUntil(lambda: not win.state.sale.get("paused"), timeout=15000)
    assert len(asked) == 3
    answers.append("the vendor withdrew it")
    win.console.trigger("withdraw", "button")
    qtbot.waitUntil(lambda: win.state.lots["1"].get("status") == "withdrawn", timeout=15000)
    assert sent[-1] == {"op": "withdraw", "lot": "1", "reason": "the vendor withdrew it"}


def test_typing_a_paddle_says_who_it_is(qtbot, window):
    win = window
    qtbot.waitUntil(lambda: bool(win.state.bidders), timeout=15000)
    qtbot.mouseClick(win.console.paddle, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(win.console.paddle, "999")
    assert win.console.notice.text() == "Paddle 999 is not registered"
    assert win.console.notice.property("error") is True
    win.console.paddle.clear()
    assert win.console.notice.text() == "Paddle 999 is not registered"  # kept until replaced
    qtbot.keyClicks(win.console.paddle, "101")
    name = next(b["name"] for b in win.state.bidders if str(b["paddle"]) == "101")
    assert win.console.notice.text() == f"{name or 'Paddle 101'} · Room · no limit"
    assert win.console.notice.property("error") is False
