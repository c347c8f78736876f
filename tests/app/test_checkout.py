"""The Checkout tab against a real core (Stage on port 0, a real sale journal and identities
file in a tmp data dir): a buyer looked up by paddle, the invoice issued, a part payment then
the rest, a third-party payment refused without a reason, bad amounts refused with nothing
journaled, release for collection, the invoice opened as HTML and PDF, every invoice issued at
close with progress."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget

from hub.auction.events import Actor
from hub.backend.sales import create_sale

AUCTIONEER = Actor("auctioneer")  # opens and hammers the lots
LOTS = [
    {"id": "1", "title": "Chair", "start": 100000, "consignor": "C-1", "vat": "margin"},
    {"id": "2", "title": "Table", "start": 20000, "consignor": "C-1", "vat": "standard"},
    {"id": "3", "title": "Mirror", "start": 5000, "consignor": "C-2"},
    {"id": "4", "title": "Clock", "start": 7000, "consignor": "C-2"},
]
SETTINGS = {"buyer_premium": [[0, 2500]], "vat_rate_bp": 2000}
# Lot 1 (margin): 1,000.00 + 25 % premium (VAT inside) = 1,250.00.
# Lot 2 (standard): 200.00 + 50.00 premium + 20 % VAT on both (50.00) = 300.00.
TOTAL_101 = 155000


def _sell(core: Any, lot: str, paddle: str) -> None:
    for command in (
        {"op": "open_lot", "lot": lot},
        {"op": "floor_bid", "lot": lot, "paddle": paddle},
        {"op": "hammer", "lot": lot},
    ):
        answer = core.submit(command, AUCTIONEER).result(10)
        assert answer.ok, (command, answer.message)


@pytest.fixture
def desk(qtbot, qapp, tmp_path: Path) -> Iterator[Any]:
    """The main window on a live sale where 101 bought lots 1 and 2, 102 lot 3, 103 lot 4."""
    from app.bridge import CoreBridge
    from app.facade import CoreThread
    from app.main import image_dirs
    from app.ui.main_window import MainWindow
    from hub.config import StageConfig

    data_dir = tmp_path / "data"
    create_sale(
        data_dir,
        {
            "id": "autumn",
            "title": "Autumn sale",
            "house": "Harcourt",
            "lots": LOTS,
            "settings": SETTINGS,
            "draft": False,
        },
    )
    bridge = CoreBridge()
    core = CoreThread(
        StageConfig(data_dir=data_dir, port=0, sale="autumn"),
        on_records=bridge.on_records,
        on_gavel=bridge.on_gavel,
    )
    info = core.start()
    bridge.attach(core)
    for paddle, name in (("101", "Ada Lovelace"), ("102", "Bob"), ("103", "Cy")):
        assert core.register_bidder(paddle, "floor", name, approved=True).result(10).ok
    for lot, paddle in (("1", "101"), ("2", "101"), ("3", "102"), ("4", "103")):
        _sell(core, lot, paddle)
    win = MainWindow(bridge, image_dirs(data_dir), dialogs=False)
    qtbot.addWidget(win)
    win.show_core(info)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: len(win.state.lots) == 4, timeout=10_000)
    win.tabs.setCurrentWidget(win.checkout)
    win.core = core  # type: ignore[attr-defined]
    try:
        yield win
    finally:
        win.close()
        bridge.detach()
        core.stop()


def _money_events(win: Any, kind: str) -> list[Any]:
    """The journaled events of one type, read from the core (not from the screen)."""
    state = win.core._call(lambda stage: stage.engine.state).result(10)
    money = state.money
    return {
        "payment_recorded": list(money.payments),
        "invoice_issued": list(money.invoices),
        "lots_released": list(money.released),
    }[kind]


def _column(view: QTableWidget, column: int) -> list[str]:
    return [view.item(r, column).text() for r in range(view.rowCount())]  # type: ignore[union-attr]


def _attachments(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return sorted(PdfReader(pdf).attachments)


def _look_up(qtbot, panel: Any, paddle: str) -> None:
    panel.paddle.clear()
    qtbot.keyClicks(panel.paddle, paddle)
    qtbot.keyClick(panel.paddle, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: panel.account is not None and panel.account.paddle == paddle, timeout=10_000
    )


def _pay(qtbot, panel: Any, amount: str) -> None:
    panel.amount.setText(amount)
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)


def test_part_payment_then_full_then_release(qtbot, desk) -> None:
    panel = desk.checkout
    _look_up(qtbot, panel, "101")
    assert panel.buyer.text() == "Paddle 101 — Ada Lovelace"
    assert _column(panel.lots, 0) == ["1", "2"]
    assert _column(panel.lots, 3) == ["not invoiced", "not invoiced"]
    assert panel.uninvoiced.text() == "€1,550.00"
    assert panel.amount.hasFocus()  # Enter on the paddle moved the hands to the amount

    qtbot.mouseClick(panel.issue, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.document.count() == 1, timeout=10_000)
    number = panel.document.currentText()
    assert number.startswith("INV-")
    assert _column(panel.lots, 3) == [number, number]
    assert panel.owed.text() == "€1,550.00"
    assert "Owes" in panel.status.text()
    labels = _column(panel.lines, 2)
    assert any("premium" in label.lower() for label in labels)
    assert any("vat" in label.lower() for label in labels)

    _pay(qtbot, panel, "500")
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)  # a second, impatient Enter: counted once
    qtbot.waitUntil(lambda: panel.paid.text() == "€500.00", timeout=10_000)
    qtbot.waitUntil(lambda: panel.pending is None, timeout=10_000)
    assert [p["amount"] for p in _money_events(desk, "payment_recorded")] == [50000]
    assert panel.owed.text() == "€1,050.00"
    assert panel.status.text() == "Part paid — owes €1,050.00"
    assert panel.amount.text() == ""

    # Release while owing: refused without a reason (nothing journaled).
    qtbot.mouseClick(panel.release, Qt.MouseButton.LeftButton)
    assert "needs a reason" in panel.message.text()
    assert _money_events(desk, "lots_released") == []

    panel.method.setCurrentIndex(panel.method.findData("card"))
    panel.reference.setText("slip 0042")
    qtbot.keyClick(panel.reference, Qt.Key.Key_F2)  # F2: back to the paddle field
    assert panel.paddle.hasFocus()
    panel.amount.setText("1,050.00")
    qtbot.keyClick(panel.reference, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: panel.status.text() == "Paid", timeout=10_000)
    assert panel.owed.text() == "€0.00"
    assert _column(panel.payments, 1) == ["Cash", "Card"]
    assert _column(panel.payments, 3) == ["", "slip 0042"]
    payments = _money_events(desk, "payment_recorded")
    assert [p["amount"] for p in payments] == [50000, 105000]

    qtbot.mouseClick(panel.release, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _column(panel.lots, 4) == ["yes", "yes"], timeout=10_000)
    assert sorted(_money_events(desk, "lots_released")) == ["1", "2"]

    # The receipt of the first payment (selected), then of the last (nothing selected).
    opened: list[Path] = []
    panel.opener = opened.append
    panel.details.setCurrentIndex(1)
    panel.payments.selectRow(0)
    qtbot.mouseClick(panel.receipt_html, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=10_000)
    first = panel.account.payments[0].id
    assert opened[0].name == f"{first}.html"
    assert "500.00" in opened[0].read_text("utf-8")
    panel.payments.clearSelection()
    panel.payments.setCurrentCell(-1, -1)
    qtbot.mouseClick(panel.receipt_pdf, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=120_000)
    assert opened[1].name == f"{panel.account.payments[-1].id}.pdf"
    assert opened[1].read_bytes().startswith(b"%PDF")


def test_third_party_payment_needs_a_reason(qtbot, desk, tmp_path: Path) -> None:
    panel = desk.checkout
    _look_up(qtbot, panel, "102")
    qtbot.mouseClick(panel.issue, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.document.count() == 1, timeout=10_000)
    panel.payer.setText("Mallory Holdings")
    _pay(qtbot, panel, "10")
    assert "override needs a reason" in panel.message.text()
    assert _money_events(desk, "payment_recorded") == []

    panel.payer_reason.setText("the buyer's company, ID seen")
    _pay(qtbot, panel, "10")
    qtbot.waitUntil(lambda: len(panel.account.payments) == 1, timeout=10_000)
    (payment,) = _money_events(desk, "payment_recorded")
    # The journal cannot be erased: it keeps an opaque reference, the name is an identity.
    assert not payment.get("payer")
    assert payment["third_party"] is True
    assert payment["third_party_reason"] == "the buyer's company, ID seen"
    journal = tmp_path / "data" / "sales"
    on_disk = b"".join(f.read_bytes() for f in journal.glob("autumn.db*"))
    assert b"Mallory" not in on_disk
    assert payment["payer_ref"].encode() in on_disk
    assert "paid by Mallory Holdings" in _column(panel.payments, 4)[0]

    desk.core._call(lambda stage: stage.identities.erase("autumn", "102")).result(10)
    _look_up(qtbot, panel, "102")
    qtbot.waitUntil(lambda: "paid by third party" in _column(panel.payments, 4)[0], timeout=10_000)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "empty amount"),
        ("0", "more than zero"),
        ("-20", "negative"),
        ("12.3456", "at most 2 decimals"),
        ("lots", "not an amount"),
        ("1e9", "not an amount"),
        ("9" * 40, "not an amount"),
        ("<img src=x onerror=alert(1)>", "not an amount"),
        ("999999", "more than the buyer owes"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_journaled(qtbot, desk, typed, says) -> None:
    panel = desk.checkout
    _look_up(qtbot, panel, "103")
    qtbot.mouseClick(panel.issue, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.document.count() == 1, timeout=10_000)
    _pay(qtbot, panel, typed)
    assert says in panel.message.text()
    assert panel.message.text().startswith("Payment not recorded")
    assert _money_events(desk, "payment_recorded") == []
    assert panel.amount.text() == typed  # kept, to be corrected


def test_unknown_and_hostile_paddles(qtbot, desk) -> None:
    panel = desk.checkout
    qtbot.keyClicks(panel.paddle, "999")
    qtbot.keyClick(panel.paddle, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "999" in panel.message.text(), timeout=10_000)
    assert "no bidder" in panel.message.text()
    assert panel.account is None
    assert not panel.pay.isEnabled()
    for hostile in ("<b>1</b>", "1; DROP TABLE", "x" * 300):
        panel.paddle.setText(hostile)
        panel.look_up()
        assert "Not a paddle number" in panel.message.text()
    panel.paddle.clear()
    panel.look_up()
    assert "Type or scan a paddle" in panel.message.text()


def test_issue_all_at_close_and_open_the_documents(qtbot, desk, tmp_path: Path) -> None:
    panel = desk.checkout
    progress: list[tuple[int, int]] = []
    original = panel._progress
    panel._progress = lambda done, total: (progress.append((done, total)), original(done, total))
    _look_up(qtbot, panel, "101")
    asked: list[str] = []
    panel.confirm = lambda question: asked.append(question) or False  # the cashier says no
    qtbot.mouseClick(panel.issue_all, Qt.MouseButton.LeftButton)
    assert "every buyer" in asked[0]
    assert _money_events(desk, "invoice_issued") == []
    panel.confirm = lambda _question: True
    qtbot.mouseClick(panel.issue_all, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "3 invoices issued" in panel.message.text(), timeout=20_000)
    assert progress[-1] == (3, 3)
    assert len(_money_events(desk, "invoice_issued")) == 3
    qtbot.waitUntil(lambda: panel.document.count() == 1, timeout=10_000)

    # A second run finds nothing left to invoice.
    qtbot.mouseClick(panel.issue_all, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "0 invoices issued" in panel.message.text(), timeout=20_000)

    opened: list[Path] = []
    panel.opener = opened.append
    qtbot.mouseClick(panel.open_html, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=10_000)
    html = opened[0].read_text("utf-8")
    assert "Ada Lovelace" in html
    assert "1,550.00" in html
    panel.message.clear()
    qtbot.mouseClick(panel.open_pdf, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(opened) == 2 or bool(panel.message.text()), timeout=120_000)
    assert len(opened) == 2, panel.message.text()
    assert opened[1].read_bytes().startswith(b"%PDF")
    assert opened[1].name == f"{panel.document.currentText()}.pdf"
    assert _attachments(opened[1]) == []  # Ada has no country on record: no e-invoice

    # A buyer with a full record gets the Factur-X PDF (EN 16931 XML embedded).
    address = {"name": "Bob Smith", "address": "1 Main St\nLondon", "country": "GB"}
    desk.core._call(lambda stage: stage.identities.add("autumn", "102", address)).result(10)
    _look_up(qtbot, panel, "102")
    qtbot.waitUntil(lambda: panel.document.count() == 1, timeout=10_000)
    panel.message.clear()
    qtbot.mouseClick(panel.open_pdf, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(opened) == 3 or bool(panel.message.text()), timeout=120_000)
    assert len(opened) == 3, panel.message.text()
    assert _attachments(opened[2]) == ["factur-x.xml"]

    saved = tmp_path / "saved.pdf"
    panel.save_document("pdf", saved)
    qtbot.waitUntil(saved.exists, timeout=60_000)
    assert saved.read_bytes().startswith(b"%PDF")
    panel.save_document("pdf", tmp_path / "no-such-folder" / "x.pdf")
    qtbot.waitUntil(lambda: "cannot write" in panel.message.text(), timeout=60_000)


def test_the_tab_fits_a_laptop_screen(qtbot, desk) -> None:
    panel = desk.checkout
    _look_up(qtbot, panel, "101")
    desk.resize(1366, 768)
    qtbot.waitUntil(lambda: desk.width() <= 1366, timeout=15000)
    for widget in (panel.pay, panel.release, panel.open_pdf, panel.amount, panel.status):
        assert widget.isVisible()
        corner = widget.mapTo(desk, widget.rect().bottomRight())
        assert corner.x() <= desk.width()
        assert corner.y() <= desk.height()


def test_every_money_label_is_plain_text(qtbot, desk) -> None:
    """Names and titles come from outside: no label of the two tabs may render HTML."""
    from PySide6.QtWidgets import QLabel

    address = {"name": "<b>Bold</b><img src=x>", "country": "GB"}
    desk.core._call(lambda stage: stage.identities.add("autumn", "102", address)).result(10)
    _look_up(qtbot, desk.checkout, "102")
    assert desk.checkout.buyer.text() == "Paddle 102 — <b>Bold</b><img src=x>"
    labels = [
        label for tab in (desk.checkout, desk.consignors) for label in tab.findChildren(QLabel)
    ]
    assert len(labels) > 20
    for label in labels:
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()


def test_a_credit_note_then_a_refund(qtbot, desk) -> None:
    """Paid in full, then one lot credited: the buyer is in credit and the desk refunds it
    (with a reason, never more than the credit)."""
    panel = desk.checkout
    _look_up(qtbot, panel, "101")
    assert not panel.refund.isEnabled()
    qtbot.mouseClick(panel.issue, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.document.count() == 1, timeout=10_000)
    number = panel.document.currentText()
    _pay(qtbot, panel, "1,550.00")
    qtbot.waitUntil(lambda: panel.status.text() == "Paid", timeout=10_000)

    async def credit(stage: Any) -> Any:
        return await stage.cashier.credit_note(number, ["2"], "scratched in transit", "desk")

    assert desk.core._run(credit).result(10).ok
    qtbot.waitUntil(lambda: panel.refund.isEnabled(), timeout=10_000)  # live, no click
    assert panel.status.text() == "In credit — €300.00 to refund"
    assert panel.document.count() == 2  # the invoice and the credit note

    panel.amount.setText("300.01")
    qtbot.mouseClick(panel.refund, Qt.MouseButton.LeftButton)
    assert "A refund needs a reason" in panel.message.text()
    assert "more than the buyer's credit (€300.00)" in panel.message.text()
    state = desk.core._call(lambda stage: stage.engine.state).result(10)
    assert state.money.refunds == []

    panel.amount.setText("300")
    panel.method.setCurrentIndex(panel.method.findData("transfer"))
    panel.payer_reason.setText("lot 2 credited")
    qtbot.mouseClick(panel.refund, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.status.text() == "Paid", timeout=10_000)
    state = desk.core._call(lambda stage: stage.engine.state).result(10)
    (refund,) = state.money.refunds
    assert (refund["amount"], refund["method"], refund["reason"]) == (
        30000,
        "transfer",
        "lot 2 credited",
    )
    assert _column(panel.payments, 2)[-1] == "-€300.00"
    assert not panel.refund.isEnabled()
