"""The sale-day screens driven through the UI against a real core (Stage on port 0, a real
sale on disk): the picker, the New sale form, draft → live → closed with the seal, lot edits and
amendments, re-offer, subject-to, messages, sessions, phone bookings and the house rules.
Every form is also fed bad input: a clear message on the form, and nothing sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from hub.backend.sales import create_sale, list_sales

HOSTILE = "<b>x</b><script>alert(1)</script>"
LOTS = [
    {"id": "1", "title": "Chair", "low": 10000, "high": 20000, "reserve": 8000},
    {"id": "2", "title": "Table", "low": 20000, "high": 30000},
    {"id": "3", "title": "Mirror", "low": 5000, "high": 8000},
]


class SpyShelf:
    """A `SaleShelf` that remembers what was asked of it (to prove a bad form sent nothing)."""

    def __init__(self, data_dir: Path) -> None:
        from app.facade import SaleShelf

        self.inner = SaleShelf(data_dir)
        self.data_dir = data_dir
        self.created: list[dict[str, Any]] = []

    def list(self) -> Any:
        return self.inner.list()

    def create(self, spec: dict[str, Any]) -> Any:
        self.created.append(spec)
        return self.inner.create(spec)

    def reset_demo(self) -> Any:
        return self.inner.reset_demo()

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    create_sale(
        folder,
        {"id": "autumn", "title": "Autumn sale", "house": "Harcourt", "lots": LOTS},
    )
    return folder


@pytest.fixture
def desk(qtbot, qapp, data_dir: Path) -> Iterator[Any]:
    """The main window on the draft sale "autumn", with a core host and the sale shelf."""
    from app.bridge import CoreBridge
    from app.facade import CoreHost, CoreThread
    from app.main import image_dirs
    from app.ui.main_window import MainWindow
    from hub.config import StageConfig

    bridge = CoreBridge()
    host = CoreHost(
        StageConfig(data_dir=data_dir, port=0, sale="autumn"),
        lambda cfg: CoreThread(cfg, on_records=bridge.on_records, on_gavel=bridge.on_gavel),
    )
    info = host.start()
    shelf = SpyShelf(data_dir)
    seen: list[dict[str, Any]] = []
    win = MainWindow(
        bridge,
        image_dirs(data_dir),
        dialogs=False,
        host=host,
        shelf=shelf,  # type: ignore[arg-type]
        on_record=seen.append,
    )
    win.seen = seen  # type: ignore[attr-defined]
    assert host.core is not None
    bridge.attach(host.core)
    qtbot.addWidget(win)
    win.show_core(info)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: len(win.state.lots) == 3, timeout=10_000)
    try:
        yield win
    finally:
        win.close()
        bridge.detach()
        host.stop()
        shelf.close()


def _core(win: Any) -> Any:
    assert win.host.core is not None
    return win.host.core


def _submit(win: Any, command: dict[str, Any]) -> Any:
    answer = _core(win).submit(command).result(10)
    assert answer.ok, answer.message
    return answer


def _register(win: Any, paddle: str, channel: str = "floor") -> None:
    answer = _core(win).register_bidder(paddle, channel, f"Bidder {paddle}", approved=True)
    assert answer.result(10).ok


def _click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _go_live(qtbot, win: Any) -> None:
    assert win.sale_bar.buttons["go_live"].isVisible()
    _click(qtbot, win.sale_bar.buttons["go_live"])
    qtbot.waitUntil(lambda: win.state.sale.get("status") == "live", timeout=15000)


def _select(view: QTableWidget, text: str) -> None:
    for row in range(view.rowCount()):
        cell = view.item(row, 0)
        if cell is not None and cell.text() == text:
            view.selectRow(row)
            return
    raise AssertionError(f"no row {text!r}")


def _cell(view: QTableWidget, row: int, column: int) -> str:
    cell = view.item(row, column)
    assert cell is not None
    return cell.text()


def _errors(dialog: Any) -> str:
    return str(dialog.errors.text())


def _seen(win: Any, kind: str) -> list[dict[str, Any]]:
    return [w for w in win.seen if w.get("type") == kind]


# ---------------------------------------------------------------------- picker and new sale


def test_the_picker_lists_creates_and_refuses_bad_sales(qtbot, qapp, data_dir: Path) -> None:
    from app.bridge import CoreBridge
    from app.ui.sale_picker import PickerDesk, SalePicker

    bridge = CoreBridge()
    shelf = SpyShelf(data_dir)
    (data_dir / "sales" / "broken.db").write_bytes(b"not a journal" * 100)
    picker = SalePicker("autumn")
    qtbot.addWidget(picker)
    desk = PickerDesk(picker, shelf, bridge.deliver)
    picker.show()
    qtbot.waitUntil(lambda: picker.view.rowCount() == 2, timeout=15000)
    row = [_cell(picker.view, 0, c) for c in range(picker.view.columnCount())]
    assert row[:5] == ["autumn", "Autumn sale", "Harcourt", "draft", "3"]
    assert _cell(picker.view, 1, 0) == "broken"
    assert _cell(picker.view, 1, 1).startswith("cannot be read")
    opened: list[str] = []
    picker.open_sale.connect(opened.append)
    picker.view.selectRow(1)
    _click(qtbot, picker.open_button)
    assert opened == []
    assert "Sale broken cannot be opened" in picker.message.text()

    _click(qtbot, picker.new_button)
    dialog = desk.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.title.setText("Spring sale")
    dialog.house.setText("Harcourt")
    for bad, message in (
        ("../etc/passwd", "Sale id: 1 to 64 letters"),
        ("", "Sale id: 1 to 64 letters"),
        ("x" * 65, "Sale id: 1 to 64 letters"),
        ("a\x00b", "Sale id: 1 to 64 letters"),
        ("autumn", "a sale 'autumn' already exists"),
        ("AUTUMN", "already exists"),
    ):
        dialog.sale_id.setText(bad)
        _click(qtbot, dialog.create_button)
        assert message in _errors(dialog)
    dialog.sale_id.setText("spring")
    dialog.title.setText("bell\x07")
    dialog.currency.setCurrentText("euros")
    dialog.timezone.setCurrentText("Mars/Olympus")
    dialog.add_session("Day 1", "someday", "1", "2")
    dialog.rules.premium.setPlainText("0 25")
    _click(qtbot, dialog.create_button)
    text = _errors(dialog)
    for message in (
        "Title: control characters",
        "Currency: a three-letter",
        "Timezone: not a known",
        "Session 1 start: not a date",
        "Buyer's premium: band 1",
    ):
        assert message in text
    assert shelf.created == []  # nothing was sent
    assert dialog.isVisible()

    dialog.title.setText(HOSTILE)
    dialog.currency.setCurrentText("GBP")
    dialog.timezone.setCurrentText("Europe/London")
    dialog.sessions.setItem(0, 1, QTableWidgetItem("2026-12-05 10:00"))
    dialog.add_session("Day 2", "2026-12-06 10:00", "3", "3")
    dialog.rules.premium.setPlainText("0: 25%\n500000: 20%")
    dialog.rules.vat.setText("20")
    _click(qtbot, dialog.create_button)
    qtbot.waitUntil(lambda: picker.view.rowCount() == 3, timeout=10_000)
    assert not dialog.isVisible()
    assert picker.selected().id == "spring"
    assert _cell(picker.view, picker.view.currentRow(), 1) == HOSTILE  # plain text
    spring = {s.id: s for s in list_sales(data_dir)}["spring"]
    assert (spring.status, spring.currency, len(spring.sessions)) == ("draft", "GBP", 2)
    assert len(shelf.created) == 1
    shelf.close()


def test_a_sale_created_meanwhile_is_refused_by_the_store(qtbot, qapp, data_dir: Path) -> None:
    """The form's duplicate check runs on the list it was opened with; the store has the last
    word (the file is linked into place, never over another)."""
    from app.bridge import CoreBridge
    from app.ui.new_sale import NewSaleDialog

    bridge = CoreBridge()
    shelf = SpyShelf(data_dir)
    dialog = NewSaleDialog(
        ["autumn"],
        lambda spec, ok, failed: bridge.deliver(
            shelf.create(spec), ok, lambda exc: failed(str(exc))
        ),
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.sale_id.setText("winter")
    dialog.title.setText("Winter sale")
    dialog.house.setText("Harcourt")
    create_sale(data_dir, {"id": "winter", "title": "Someone else's"})
    _click(qtbot, dialog.create_button)
    qtbot.waitUntil(lambda: "Not created" in _errors(dialog), timeout=10_000)
    assert "already exists" in _errors(dialog)
    assert dialog.create_button.isEnabled()
    titles = {s.id: s.title for s in list_sales(data_dir)}
    assert titles["winter"] == "Someone else's"
    shelf.close()


def test_sales_opens_another_sale_and_starts_the_running_demo_over(qtbot, desk) -> None:
    win = desk
    opened: list[Any] = []
    win.sale_opened.connect(opened.append)
    _click(qtbot, win.sale_bar.buttons["sales"])
    picker = win.picker
    qtbot.waitUntil(lambda: picker.view.rowCount() == 1, timeout=15000)
    _click(qtbot, picker.demo_button)  # the demo is not running: built beside
    qtbot.waitUntil(lambda: picker.view.rowCount() == 2, timeout=10_000)
    assert picker.selected().id == "demo"
    _click(qtbot, picker.open_button)
    qtbot.waitUntil(lambda: bool(opened), timeout=20_000)
    assert opened[0].sale == "demo"
    qtbot.waitUntil(lambda: win.state.sale.get("id") == "demo", timeout=10_000)
    assert "demo" in win.hub_address.text()
    _submit(win, {"op": "open_lot", "lot": "1"})
    qtbot.waitUntil(lambda: win.state.lots["1"]["status"] == "open", timeout=15000)

    _click(qtbot, win.sale_bar.buttons["sales"])  # the demo runs: stop, start over, reopen
    picker = win.picker
    qtbot.waitUntil(lambda: picker.view.rowCount() == 2, timeout=15000)
    asked: list[str] = []

    def refuse(question: str) -> bool:
        asked.append(question)
        return False

    win.confirm = refuse  # leaving a lot on the block asks first
    _select(picker.view, "autumn")
    _click(qtbot, picker.open_button)
    assert asked == ["Lot 1 is on the block. Leave this sale and open autumn?"]
    assert picker.isVisible()
    win.confirm = lambda _q: True
    _click(qtbot, picker.demo_button)
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=20_000)
    qtbot.waitUntil(lambda: win.state.lots.get("1", {}).get("status") == "pending", timeout=10_000)


def test_a_sale_that_cannot_open_leaves_the_running_one(qtbot, desk) -> None:
    win = desk
    failed_before = win.info.sale
    win.open_sale("no-such-sale")
    qtbot.waitUntil(lambda: "did not open" in win.console.notice.text(), timeout=20_000)
    assert "no-such-sale" in win.console.notice.text()
    qtbot.waitUntil(lambda: win.bridge.core is not None, timeout=15000)
    assert win.host.core.info.sale == failed_before
    _submit(win, {"op": "register_bidder", "paddle": "101"})  # the old sale still answers


# ---------------------------------------------------------------------- draft, live, amend


def test_draft_edit_then_go_live_then_amend(qtbot, desk) -> None:
    win = desk
    assert win.sale_bar.status.text() == "DRAFT"
    assert win.sale_bar.buttons["go_live"].isVisible()
    assert not any(b.isEnabled() for b in win.console.buttons.values())  # nothing sells yet

    _select(win.lots.view, "1")
    _click(qtbot, win.lots.edit_button)
    dialog = win.dialog
    assert dialog.windowTitle() == "Lot 1"
    dialog.edits["title"].setText("")
    dialog.edits["quantity"].setText("-3")
    dialog.edits["low"].setText(HOSTILE)
    _click(qtbot, dialog.findChild(type(win.lots.edit_button), "lotOk"))
    assert "Title: required" in _errors(dialog)
    assert "Quantity: a whole number" in _errors(dialog)
    assert "Low estimate: not an amount" in _errors(dialog)
    assert dialog.command is None
    assert dialog.isVisible()
    dialog.set_form(dialog.form().__class__.from_lot(win.state.lots["1"], "EUR"))
    dialog.edits["title"].setText("Georgian chair")
    dialog.condition.setPlainText("Good")
    dialog.submit()
    qtbot.waitUntil(lambda: win.state.lots["1"]["title"] == "Georgian chair", timeout=15000)
    assert _seen(win, "lot_edited")

    _click(qtbot, win.lots.add_button)
    dialog = win.dialog
    dialog.edits["id"].setText("1")
    dialog.edits["title"].setText("Another")
    dialog.submit()
    assert "lot 1 already exists" in _errors(dialog)
    dialog.edits["id"].setText("4")
    dialog.submit()
    qtbot.waitUntil(lambda: "4" in win.state.lots, timeout=15000)

    _go_live(qtbot, win)
    assert not win.sale_bar.buttons["go_live"].isVisible()
    assert win.console.buttons["next_lot"].isEnabled()
    assert win.sale_bar.status.text().startswith("LIVE")

    _select(win.lots.view, "2")
    _click(qtbot, win.lots.edit_button)
    dialog = win.dialog
    assert "amendment" in dialog.windowTitle()
    dialog.condition.setPlainText("Top re-polished")
    dialog.submit()
    assert "Reason: required" in _errors(dialog)
    assert "Saleroom notice: required" in _errors(dialog)
    dialog.reason.setText("restorer's report")
    dialog.notice.setPlainText("Lot 2: the top has been re-polished")
    dialog.submit()
    qtbot.waitUntil(
        lambda: "Lot 2: the top has been re-polished" in (win.state.lots["2"].get("notices") or []),
        timeout=15000,
    )
    assert win.state.lots["2"]["condition"] == "Top re-polished"

    _click(qtbot, win.lots.add_button)
    dialog = win.dialog
    dialog.edits["id"].setText("5")
    dialog.edits["title"].setText("Late entry")
    dialog.submit()
    assert "Reason: required" in _errors(dialog)
    dialog.reason.setText("late consignment")
    dialog.submit()
    qtbot.waitUntil(lambda: "5" in win.state.lots, timeout=15000)
    assert win.state.lots["5"]["order"] > win.state.lots["4"]["order"]

    _submit(win, {"op": "open_lot", "lot": "2"})  # the auctioneer sees the notice to read out
    qtbot.waitUntil(lambda: win.state.current_id == "2", timeout=15000)
    assert win.console.card.notice.text() == "Notice: Lot 2: the top has been re-polished"


def test_close_is_refused_on_the_block_then_seals(qtbot, desk) -> None:
    win = desk
    _go_live(qtbot, win)
    _submit(win, {"op": "open_lot", "lot": "1"})
    qtbot.waitUntil(lambda: win.state.live(), timeout=15000)
    assert not win.sale_bar.buttons["close_sale"].isEnabled()
    win.close_sale()  # the key or a stale click: refused on the screen, nothing sent
    assert "on the block" in win.console.notice.text()
    answer = _core(win).close_sale().result(10).answer  # the engine refuses it too
    assert not answer.ok
    _submit(win, {"op": "pass", "lot": "1"})
    qtbot.waitUntil(lambda: win.sale_bar.buttons["close_sale"].isEnabled(), timeout=15000)
    asked: list[str] = []

    def refuse(question: str) -> bool:
        asked.append(question)
        return False

    win.confirm = refuse
    _click(qtbot, win.sale_bar.buttons["close_sale"])
    assert asked  # the operator said no: still live
    assert win.state.sale.get("status") == "live"
    win.confirm = lambda q: True
    _click(qtbot, win.sale_bar.buttons["close_sale"])
    qtbot.waitUntil(lambda: win.dialog is not None and win.dialog.objectName() == "sealDialog")
    seal = win.dialog
    head = _core(win).journal_head().result(10)
    assert seal.hash.text() == head
    assert len(head) == 64
    _click(qtbot, seal.findChild(type(win.lots.edit_button), "copySeal"))
    assert QGuiApplication.clipboard().text() == head
    qtbot.waitUntil(lambda: win.sale_bar.status.text() == "CLOSED", timeout=15000)
    assert win.sale_bar.buttons["seal"].isVisible()
    assert not win.rules.save_button.isEnabled()
    refused = _core(win).submit({"op": "open_lot", "lot": "2"}).result(10)
    assert refused.reason == "sale_closed"


# ---------------------------------------------------------------------- rules


def test_the_rules_panel(qtbot, desk) -> None:
    win = desk
    panel = win.rules
    win.tabs.setCurrentWidget(panel)
    editor = panel.editor
    editor.premium.setPlainText("0 25")
    editor.vat.setText("abc")
    editor.late.setText("1e9")
    _click(qtbot, panel.save_button)
    for message in ("Buyer's premium: band 1", "VAT rate: not a percentage", "Late-bid window"):
        assert message in panel.errors.text()
    panel.show_state(win.state, force=True)
    _click(qtbot, panel.save_button)
    assert panel.errors.text() == "Nothing changed"
    seq = win.state.seq
    editor.ties.setCurrentIndex(editor.ties.findData("floor_priority"))
    editor.subject_to.setChecked(True)
    editor.premium.setPlainText("0: 25%\n1000: 20%")
    _click(qtbot, panel.save_button)
    qtbot.waitUntil(lambda: win.state.settings.get("tie_policy") == "floor_priority", timeout=15000)
    assert win.state.seq == seq + 1  # one settings_changed
    assert win.state.settings["buyer_premium"] == [[0, 2500], [100000, 2000]]
    qtbot.waitUntil(lambda: "The room wins" in panel.public.text(), timeout=15000)
    assert "25 % up to €1,000; 20 % above €1,000" in panel.public.text()

    _go_live(qtbot, win)
    _submit(win, {"op": "open_lot", "lot": "1"})
    qtbot.waitUntil(lambda: not panel.save_button.isEnabled(), timeout=15000)
    assert panel.lock.text() == "Locked while lot 1 is on the block."
    assert not panel.editor.isEnabled()


# ---------------------------------------------------------------------- after the hammer


def test_subject_to_and_reoffer(qtbot, desk) -> None:
    win = desk
    _register(win, "101")
    _submit(win, {"op": "configure", "settings": {"subject_to": True}})
    _go_live(qtbot, win)
    _submit(win, {"op": "open_lot", "lot": "1"})
    _submit(win, {"op": "floor_bid", "lot": "1", "paddle": "101", "amount": 5000})
    _submit(win, {"op": "hammer", "lot": "1", "source": "key"})
    panel = win.subject_to
    qtbot.waitUntil(lambda: panel.view.rowCount() == 1, timeout=15000)
    assert _cell(panel.view, 0, 0) == "1"
    assert _cell(win.lots.view, 0, 2) == "Subject to"
    panel.view.clearSelection()
    panel.view.setCurrentCell(-1, -1)
    _click(qtbot, panel.accept_button)
    assert panel.errors.text() == "Choose a lot first"
    _select(panel.view, "1")
    _click(qtbot, panel.accept_button)
    qtbot.waitUntil(lambda: panel.view.rowCount() == 0, timeout=15000)
    lot = win.state.lots["1"]
    assert lot["status"] == "sold"
    assert not lot["hammer"].get("subject_to")

    _submit(win, {"op": "open_lot", "lot": "2"})
    _submit(win, {"op": "pass", "lot": "2"})
    qtbot.waitUntil(lambda: win.state.lots["2"]["status"] == "passed", timeout=15000)
    _select(win.lots.view, "1")
    _click(qtbot, win.lots.reoffer_button)  # lot 1 is sold: refused on the screen
    assert "not passed" in win.console.notice.text()
    order = win.state.lots["2"]["order"]
    _select(win.lots.view, "2")
    _click(qtbot, win.lots.reoffer_button)
    qtbot.waitUntil(lambda: win.state.lots["2"]["status"] == "pending", timeout=15000)
    assert win.state.lots["2"]["order"] > max(win.state.lots[x]["order"] for x in ("1", "3"))
    assert win.state.lots["2"]["order"] != order
    assert win.state.next_lot_id() == "3"

    # The vendor declines: the lot is passed.
    _submit(
        win,
        {
            "op": "edit_lot",
            "lot": "3",
            "changes": {"reserve": 9000},
            "reason": "vendor's instruction",
            "notice": "Lot 3: reserve revised",
        },
    )
    _submit(win, {"op": "open_lot", "lot": "3"})
    _submit(win, {"op": "floor_bid", "lot": "3", "paddle": "101", "amount": 5000})
    _submit(win, {"op": "hammer", "lot": "3", "source": "key"})
    qtbot.waitUntil(lambda: panel.view.rowCount() == 1, timeout=15000)
    asked: list[str] = []

    def ask(question: str) -> bool:
        asked.append(question)
        return len(asked) > 1  # "no" the first time: nothing is sent

    win.confirm = ask
    _select(panel.view, "3")
    _click(qtbot, panel.decline_button)
    assert win.state.lots["3"]["status"] == "sold"
    _click(qtbot, panel.decline_button)
    qtbot.waitUntil(lambda: win.state.lots["3"]["status"] == "passed", timeout=15000)
    assert asked[-1] == "The vendor declines lot 3? This is final."
    assert panel.view.rowCount() == 0


# ---------------------------------------------------------------------- messages, sessions


def test_messages_to_everyone_or_one_paddle(qtbot, desk) -> None:
    from app.ui.messages import quick_messages

    win = desk
    _register(win, "101", "online")
    _go_live(qtbot, win)
    _click(qtbot, win.sale_bar.buttons["message"])
    dialog = win.dialog
    assert dialog.objectName() == "messageDialog"
    dialog.submit()
    assert "Message: required" in _errors(dialog)
    dialog.text.setPlainText("x" * 501)
    dialog.submit()
    assert "at most 500" in _errors(dialog)
    dialog.text.setPlainText("hello")
    dialog.to_one.setChecked(True)
    dialog.paddle.setText("999")
    dialog.submit()
    assert "999 is not registered" in _errors(dialog)
    dialog.paddle.setText(HOSTILE)
    dialog.submit()
    assert "a paddle number" in _errors(dialog)
    assert dialog.command is None
    dialog.paddle.setText("101")
    dialog.submit()
    qtbot.waitUntil(lambda: bool(_seen(win, "message_sent")), timeout=15000)
    assert _seen(win, "message_sent")[0]["data"]["paddle"] == "101"

    quick = quick_messages()
    assert len(quick) == 3
    first = dialog
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=15000)
    qtbot.keyClick(win, Qt.Key.Key_M)  # the registry's key opens the same form
    dialog = win.dialog
    assert dialog is not first
    assert dialog.objectName() == "messageDialog"
    _click(qtbot, dialog.quick[0])
    assert dialog.text.toPlainText() == quick[0]
    dialog.submit()
    qtbot.waitUntil(lambda: len(_seen(win, "message_sent")) == 2, timeout=15000)
    data = _seen(win, "message_sent")[1]["data"]
    assert data["text"] == quick[0]
    assert data.get("paddle") is None

    win.console.paddle.setText("101")  # a paddle typed first: the message goes to it
    _click(qtbot, win.console.buttons["message"])
    dialog = win.dialog
    assert dialog.to_one.isChecked()
    assert dialog.paddle.text() == "101"
    assert win.console.paddle.text() == ""


def test_end_and_start_a_session(qtbot, desk) -> None:
    win = desk
    _go_live(qtbot, win)
    assert not win.sale_bar.buttons["start_session"].isVisible()
    _click(qtbot, win.sale_bar.buttons["end_session"])
    dialog = win.dialog
    dialog.next_start.setText("tomorrow morning")
    dialog.submit()
    assert "Next session: not a date" in _errors(dialog)
    dialog.message.setPlainText("bell\x07")
    dialog.next_start.setText("2026-12-06 10:00")
    dialog.submit()
    assert "control characters" in _errors(dialog)
    dialog.message.setPlainText("Back tomorrow at ten")
    dialog.submit()
    qtbot.waitUntil(lambda: win.sale_bar.status.text().startswith("SESSION BREAK"), timeout=15000)
    assert "2026-12-06 10:00" in win.sale_bar.status.text()
    assert win.state.sale["break"]["message"] == "Back tomorrow at ten"
    assert win.paused_label.text() == "Back tomorrow at ten"
    assert win.sale_bar.buttons["start_session"].isVisible()
    _click(qtbot, win.sale_bar.buttons["start_session"])
    qtbot.waitUntil(lambda: not win.state.sale.get("break"), timeout=15000)
    assert win.paused_label.text() == ""
    assert win.state.sale["session"] == 1


# ---------------------------------------------------------------------- phones


def test_phone_bookings(qtbot, desk) -> None:
    win = desk
    _register(win, "101", "phone")
    qtbot.waitUntil(lambda: any(b.get("paddle") == "101" for b in win.state.bidders), timeout=15000)
    panel = win.phones
    win.tabs.setCurrentWidget(panel)
    panel.paddle.setText(HOSTILE)
    panel.from_lot.setText("9")
    panel.operator.setText("")
    _click(qtbot, panel.book_button)
    for message in ("Paddle: a paddle number", "From lot: no lot '9'", "Operator: required"):
        assert message in panel.errors.text()
    panel.paddle.setText("101")
    panel.from_lot.setText("1")
    panel.to_lot.setText("2")
    panel.operator.setText("Anna")
    _click(qtbot, panel.book_button)
    qtbot.waitUntil(lambda: panel.view.rowCount() == 1, timeout=15000)
    cells = [_cell(panel.view, 0, c) for c in range(panel.view.columnCount())]
    assert cells[:5] == ["Anna", "101", "Bidder 101", "1–2", "1"]  # the next lot of its range
    assert panel.paddle.text() == ""  # cleared for the next booking
    panel.paddle.setText("101")
    panel.from_lot.setText("2")
    panel.to_lot.setText("3")
    _click(qtbot, panel.book_button)
    assert "already booked on lots 1–2 (Anna)" in panel.errors.text()
    assert len(win.state.phones) == 1
    panel.view.selectRow(0)
    _click(qtbot, panel.cancel_button)
    qtbot.waitUntil(lambda: panel.view.rowCount() == 0, timeout=15000)
    assert win.state.phones == []


def test_every_sale_day_label_is_plain_text(qtbot, desk) -> None:
    """Lot titles, names and messages come from outside: no label may render them as HTML."""
    from PySide6.QtWidgets import QLabel

    win = desk
    dialogs = []
    for open_it in (
        lambda: win.edit_lot("1"),
        win.add_lot,
        win.compose_message,
        win.end_session,
        win.show_sales,
    ):
        open_it()
        dialogs.append(win.dialog if open_it is not win.show_sales else win.picker)
    assert win.picker_desk is not None
    win.picker_desk.new_sale()
    dialogs.append(win.picker_desk.dialog)
    labels = [label for d in (win, *dialogs) for label in d.findChildren(QLabel)]
    assert len(labels) > 50
    for label in labels:
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()


def test_a_failed_step_between_sales_restarts_the_old_one(qtbot, desk) -> None:
    win = desk
    host = win.host

    def broken() -> None:
        raise OSError("disk full")

    win.open_sale("autumn", before=broken)
    qtbot.waitUntil(lambda: "did not open: disk full" in win.console.notice.text(), timeout=20_000)
    qtbot.waitUntil(lambda: win.bridge.core is host.core, timeout=15000)
    assert host.core is not None
    assert host.core.running
    _submit(win, {"op": "register_bidder", "paddle": "102"})


def test_the_picker_shows_on_start_only_when_no_sale_was_named() -> None:
    from types import SimpleNamespace

    from app.main import pick_on_start

    assert pick_on_start(SimpleNamespace(sale="demo", demo=False), no_dialogs=False)
    assert not pick_on_start(SimpleNamespace(sale="demo", demo=True), no_dialogs=False)
    assert not pick_on_start(SimpleNamespace(sale="autumn", demo=False), no_dialogs=False)
    assert not pick_on_start(SimpleNamespace(sale="demo", demo=False), no_dialogs=True)
