"""The Consignors tab against a real core: consignors found on the lots, a record added and
edited in the identities file (bad IBAN, control characters refused), terms journaled (bad
terms refused, nothing journaled), the settlement statement shown and opened, a payout
recorded (more than is due refused)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.app.test_checkout import _column, desk  # noqa: F401  (the fixture)

IBAN = "DE89 3704 0044 0532 0130 00"


def _state(win: Any) -> Any:
    return win.core._call(lambda stage: stage.engine.state).result(10)


def _record(win: Any, ref: str) -> Any:
    return win.core._call(lambda stage: stage.cashier.consignors.get(ref)).result(10)


def _open_tab(qtbot, win: Any) -> Any:
    panel = win.consignors
    win.tabs.setCurrentWidget(panel)
    panel.reload()
    qtbot.waitUntil(lambda: panel.view.rowCount() == 2, timeout=10_000)
    return panel


def _click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_record_terms_settlement_and_payout(qtbot, desk, tmp_path: Path) -> None:  # noqa: F811
    panel = _open_tab(qtbot, desk)
    assert _column(panel.view, 0) == ["C-1", "C-2"]
    assert _column(panel.view, 1) == ["(no record yet)", "(no record yet)"]

    panel.select("C-1")
    assert panel.reference.text() == "C-1"
    assert panel.reference.isReadOnly()
    panel.fields["name"].setText("Harriet Vane")
    panel.fields["address"].setPlainText("1 High Street\nOxford")
    panel.fields["iban"].setText("DE00 0000 0000 0000 0000 00")  # bad check digits
    _click(qtbot, panel.save_record)
    qtbot.waitUntil(lambda: "not saved" in panel.message.text(), timeout=10_000)
    assert "iban" in panel.message.text().lower()
    assert _record(desk, "C-1") is None

    panel.fields["iban"].setText(IBAN)
    _click(qtbot, panel.save_record)
    qtbot.waitUntil(lambda: _column(panel.view, 1)[0] == "Harriet Vane", timeout=10_000)
    row = _record(desk, "C-1")
    assert row["address"] == "1 High Street\nOxford"
    assert row["iban"] == IBAN.replace(" ", "")

    # An edit of the same record (not a second add), then a control character refused.
    panel.select("C-1")
    panel.fields["phone"].setText("+44 1865 000000")
    _click(qtbot, panel.save_record)
    qtbot.waitUntil(lambda: "C-1 saved" in panel.message.text(), timeout=10_000)
    qtbot.waitUntil(lambda: _record(desk, "C-1")["phone"] == "+44 1865 000000", timeout=10_000)
    panel.fields["name"].setText("Harriet\x1b[31m Vane")
    _click(qtbot, panel.save_record)
    qtbot.waitUntil(lambda: "not saved" in panel.message.text(), timeout=10_000)
    assert _record(desk, "C-1")["name"] == "Harriet Vane"

    # Terms: bad ones are refused before the journal; good ones are journaled.
    panel.pages.setCurrentIndex(1)
    panel.commission.setText("abc")
    panel.charges.setText("Photography 25")
    _click(qtbot, panel.save_terms)
    assert "Not a percentage" in panel.message.text()
    assert "label: amount" in panel.message.text()
    assert "C-1" not in _state(desk).money.terms
    panel.commission.setText("15")
    panel.charges.setText("Photography: 25")
    panel.payout_days.setText("30")
    _click(qtbot, panel.save_terms)
    qtbot.waitUntil(lambda: "C-1" in _state(desk).money.terms, timeout=10_000)
    terms = _state(desk).money.terms["C-1"]
    assert terms["commission"] == [[0, 1500]]
    assert terms["charges"] == [["Photography", 2500]]
    assert terms["payout_days"] == 30
    qtbot.waitUntil(lambda: _column(panel.view, 2)[0] == "set", timeout=10_000)

    # The settlement: lots 1 and 2 sold for 1,200.00; 15 % commission and the charge.
    panel.select("C-1")
    panel.pages.setCurrentIndex(2)
    qtbot.waitUntil(lambda: panel.settlement is not None, timeout=10_000)
    qtbot.waitUntil(lambda: panel.settlement.deductions != 0, timeout=10_000)
    doc = panel.settlement
    assert doc.hammer == 120000
    assert doc.deductions == -(18000 + 2500)
    assert doc.net == 120000 - 20500
    assert panel.figure_labels["net"].text() == "€995.00"
    assert _column(panel.lots, 0) == ["1", "2"]

    panel.payout_amount.setText("2,000")
    _click(qtbot, panel.payout)
    assert "more than is due" in panel.message.text()
    assert _state(desk).money.payouts == []
    panel.payout_amount.setText("100")
    panel.payout_reference.setText("SEPA 77")
    _click(qtbot, panel.payout)
    qtbot.waitUntil(lambda: panel.figure_labels["paid_out"].text() == "€100.00", timeout=10_000)
    (payout,) = _state(desk).money.payouts
    assert (payout["consignor"], payout["amount"], payout["method"]) == ("C-1", 10000, "transfer")
    assert panel.figure_labels["due"].text() == "€895.00"
    # A payout recorded elsewhere (the web desk) shows here without a click.
    other = desk.core.record_payout("C-1", 5000, "cash", "", key="web-1").result(10)
    assert other.ok
    qtbot.waitUntil(lambda: panel.figure_labels["paid_out"].text() == "€150.00", timeout=10_000)

    opened: list[Path] = []
    panel.opener = opened.append
    _click(qtbot, panel.open_html)
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=10_000)
    html = opened[0].read_text("utf-8")
    assert "Harriet Vane" in html
    assert "995.00" in html
    _click(qtbot, panel.open_pdf)
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=60_000)
    assert opened[1].read_bytes().startswith(b"%PDF")


def test_a_new_consignor_and_hostile_references(qtbot, desk) -> None:  # noqa: F811
    panel = _open_tab(qtbot, desk)
    _click(qtbot, panel.new_button)
    assert not panel.reference.isReadOnly()
    assert panel.reference.hasFocus()
    _click(qtbot, panel.save_record)
    assert "Give the consignor's reference" in panel.message.text()
    panel.reference.setText("C-9")
    _click(qtbot, panel.save_record)  # no name
    qtbot.waitUntil(lambda: "name is required" in panel.message.text(), timeout=10_000)
    for hostile in ("a\nb", "x" * 65):
        panel.reference.setText(hostile)
        _click(qtbot, panel.save_record)
        assert "Not saved" in panel.message.text()
    panel.reference.setText("C-9")
    panel.fields["name"].setText("<script>alert(1)</script>")
    _click(qtbot, panel.save_record)
    qtbot.waitUntil(lambda: panel.view.rowCount() == 3, timeout=10_000)
    assert "<script>alert(1)</script>" in _column(panel.view, 1)  # plain text, not markup
    # Adding the same reference again is refused by the store, not silently merged.
    _click(qtbot, panel.new_button)
    panel.reference.setText("C-9")
    panel.fields["name"].setText("Someone else")
    _click(qtbot, panel.save_record)
    qtbot.waitUntil(lambda: "already exists" in panel.message.text(), timeout=10_000)
    assert _record(desk, "C-9")["name"] == "<script>alert(1)</script>"
