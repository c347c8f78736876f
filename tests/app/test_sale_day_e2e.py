"""A whole two-session sale in the real app, from an empty data dir: create it in the New sale
form, import a catalogue and a bidder list, go live, sell through every channel (room, phone,
online, commission, house), amend a lot live, re-offer a passed lot, resolve a subject-to lot,
end the first session and start the second, close the sale and verify the sealed journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from hub.auction.events import Actor
from hub.journal.verify import verify

CATALOGUE = """Lot No,Title,Low Est,High Est,Reserve
1,Staffordshire spaniels,300,500,
2,Georgian cream jug,1200,1800,1000
3,Pool study,2500,3500,2000
4,Walnut tea caddy,80,120,
5,Oak coffer,400,600,900
"""
BIDDERS = """Paddle;Name;Channel;ID checked
301;Ann Archer;room;yes
302;Bob Bell;phone;yes
303;Cy Cole;absentee;yes
304;Di Dunn;online;yes
"""


def _click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _ok(core: Any, command: dict[str, Any], actor: Actor | None = None) -> None:
    answer = (core.submit(command, actor) if actor else core.submit(command)).result(10)
    assert answer.ok, (command, answer.message)


def test_a_two_session_sale_from_an_empty_data_dir(qtbot, qapp, tmp_path: Path) -> None:
    from app.bridge import CoreBridge
    from app.facade import CoreHost, CoreThread, SaleShelf
    from app.main import image_dirs
    from app.ui.main_window import MainWindow
    from app.ui.sale_picker import PickerDesk, SalePicker
    from hub.config import StageConfig

    data_dir = tmp_path / "data"
    bridge = CoreBridge()
    shelf = SaleShelf(data_dir)

    # -- the picker on an empty data dir, and the New sale form
    picker = SalePicker(None)
    qtbot.addWidget(picker)
    desk = PickerDesk(picker, shelf, bridge.deliver)
    picker.show()
    qtbot.waitUntil(lambda: "No sale yet" in picker.message.text(), timeout=15000)
    _click(qtbot, picker.new_button)
    form = desk.dialog
    assert form is not None
    form.sale_id.setText("winter-2026")
    form.title.setText("Winter Sale")
    form.house.setText("Harcourt & Sons")
    form.add_session("Day 1", "2026-12-05 10:00", "1", "2")
    form.add_session("Day 2", "2026-12-06 10:00", "3", "5")
    form.rules.subject_to.setChecked(True)
    form.rules.premium.setPlainText("0: 25%")
    _click(qtbot, form.create_button)
    qtbot.waitUntil(lambda: picker.view.rowCount() == 1, timeout=10_000)
    opened: list[str] = []
    picker.open_sale.connect(opened.append)
    _click(qtbot, picker.open_button)
    assert opened == ["winter-2026"]

    # -- the window on it
    host = CoreHost(
        StageConfig(data_dir=data_dir, port=0, sale="winter-2026"),
        lambda cfg: CoreThread(cfg, on_records=bridge.on_records, on_gavel=bridge.on_gavel),
    )
    info = host.start()
    core = host.core
    assert core is not None
    win = MainWindow(bridge, image_dirs(data_dir), dialogs=False, host=host, shelf=shelf)
    qtbot.addWidget(win)
    bridge.attach(core)
    win.show_core(info)
    win.show()
    try:
        qtbot.waitUntil(lambda: win.state.sale.get("status") == "draft", timeout=10_000)
        catalogue = tmp_path / "catalogue.csv"
        catalogue.write_text(CATALOGUE, "utf-8")
        win.start_import(catalogue, None)
        qtbot.waitUntil(lambda: len(win.state.lots) == 5, timeout=10_000)
        bidders = tmp_path / "bidders.csv"
        bidders.write_text(BIDDERS, "utf-8")
        win.import_bidders(bidders)
        qtbot.waitUntil(lambda: len(win.state.bidders) == 4, timeout=10_000)
        _ok(core, {"op": "absentee_bid", "lot": "3", "paddle": "303", "max": 300000})

        _click(qtbot, win.sale_bar.buttons["go_live"])
        qtbot.waitUntil(lambda: win.state.sale.get("status") == "live", timeout=15000)

        # Lot 1: room (the paddle typed, Space), then the phone bidder wins it.
        qtbot.keyClick(win, Qt.Key.Key_N)
        qtbot.waitUntil(lambda: win.state.current_id == "1", timeout=15000)
        _ok(core, {"op": "floor_bid", "lot": "1", "paddle": "301"})
        _ok(core, {"op": "floor_bid", "lot": "1", "paddle": "302"})  # a phone paddle
        qtbot.keyClick(win, Qt.Key.Key_H)
        qtbot.waitUntil(lambda: win.state.lots["1"]["status"] == "sold", timeout=15000)
        assert win.state.lots["1"]["hammer"]["channel"] == "phone"

        # Lot 2: a house bid below the reserve, an online bid over it, sold online.
        qtbot.keyClick(win, Qt.Key.Key_N)
        qtbot.waitUntil(lambda: win.state.current_id == "2", timeout=15000)
        _ok(core, {"op": "house_bid", "lot": "2"})
        ask = int(win.state.lots["2"]["ask"])
        qtbot.waitUntil(lambda: int(win.state.lots["2"]["ask"]) > ask, timeout=15000)
        _ok(core, {"op": "bid", "lot": "2", "amount": 130000}, Actor("bidder", "304"))
        _ok(core, {"op": "hammer", "lot": "2", "source": "key"})
        qtbot.waitUntil(lambda: win.state.lots["2"]["status"] == "sold", timeout=15000)
        assert win.state.lots["2"]["hammer"]["paddle"] == "304"

        # End of day 1: a break with the next start, then day 2.
        _click(qtbot, win.sale_bar.buttons["end_session"])
        ending: Any = win.dialog
        ending.submit()
        qtbot.waitUntil(lambda: isinstance(win.state.sale.get("break"), dict), timeout=15000)
        _click(qtbot, win.sale_bar.buttons["start_session"])
        qtbot.waitUntil(lambda: win.state.sale.get("break") is None, timeout=15000)

        # Lot 3 amended live (notice), then opened: the commission book opens at the reserve.
        win.edit_lot("3")
        amend: Any = win.dialog
        amend.condition.setPlainText("Faint foxing")
        amend.reason.setText("condition report")
        amend.notice.setPlainText("Lot 3: faint foxing, see the condition report")
        amend.submit()
        qtbot.waitUntil(lambda: bool(win.state.lots["3"].get("notices")), timeout=15000)
        _ok(core, {"op": "open_lot", "lot": "3"})
        _ok(core, {"op": "hammer", "lot": "3", "source": "key"})
        qtbot.waitUntil(lambda: win.state.lots["3"]["status"] == "sold", timeout=15000)
        assert win.state.lots["3"]["hammer"]["paddle"] == "303"
        assert win.state.lots["3"]["hammer"]["amount"] == 200000  # at the reserve

        # Lot 4 passed, re-offered at the end.
        _ok(core, {"op": "open_lot", "lot": "4"})
        _ok(core, {"op": "pass", "lot": "4"})
        qtbot.waitUntil(lambda: win.state.lots["4"]["status"] == "passed", timeout=15000)
        win.reoffer("4")
        qtbot.waitUntil(lambda: win.state.lots["4"]["status"] == "pending", timeout=15000)

        # Lot 5 sold below its reserve, subject to the vendor; then the re-offered lot 4.
        _ok(core, {"op": "open_lot", "lot": "5"})
        _ok(core, {"op": "floor_bid", "lot": "5", "paddle": "301"})
        _ok(core, {"op": "hammer", "lot": "5", "source": "key"})
        qtbot.waitUntil(lambda: win.subject_to.view.rowCount() == 1, timeout=15000)
        assert win.subject_to.view.item(0, 0) is not None
        assert win.subject_to.view.item(0, 0).text() == "5"  # type: ignore[union-attr]
        _ok(core, {"op": "open_lot", "lot": "4"})
        _ok(core, {"op": "floor_bid", "lot": "4", "paddle": "301"})
        _ok(core, {"op": "hammer", "lot": "4", "source": "key"})
        qtbot.waitUntil(lambda: win.state.lots["4"]["status"] == "sold", timeout=15000)
        win.subject_to.view.selectRow(0)
        _click(qtbot, win.subject_to.accept_button)
        qtbot.waitUntil(lambda: win.subject_to.view.rowCount() == 0, timeout=15000)

        # Close: the seal is the verified journal's head.
        _click(qtbot, win.sale_bar.buttons["close_sale"])
        qtbot.waitUntil(lambda: win.dialog is not None and win.dialog.objectName() == "sealDialog")
        sealed: Any = win.dialog
        seal = sealed.hash.text()
        qtbot.waitUntil(lambda: win.state.sale.get("status") == "closed", timeout=15000)
    finally:
        win.close()
        bridge.detach()
        host.stop()
        shelf.close()
    report = verify(data_dir / "sales" / "winter-2026.db")
    assert report.ok, report.lines()
    assert report.head == seal
