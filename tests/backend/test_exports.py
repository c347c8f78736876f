"""Accounting exports: every kind as CSV (major units, formula-safe cells, ISO times) and JSON
(integers of the minor unit), from documents; unknown kinds and formats refused."""

from __future__ import annotations

import csv
import io
import json

import pytest

from hub.backend.exports import KINDS, Books, ExportError, export, export_csv, export_json, rows
from hub.backend.statements import (
    DocLine,
    InvoiceDoc,
    Party,
    PaymentDoc,
    SettlementDoc,
    SettlementLot,
    Totals,
)

HOSTILE = '=HYPERLINK("http://evil","x")'
BUYER = Party("101", name=HOSTILE, country="FR", vat_id="FR40303265045")
LINES = (
    DocLine("7", "A vase", 12, "hammer", "Hammer", 100_000),
    DocLine("7", "A vase", 12, "premium", "Buyer's premium", 25_000, 2500, "margin"),
)
INVOICE = InvoiceDoc(
    kind="invoice",
    number="INV-2026-00001",
    sale="s1",
    sale_title="Sale",
    currency="EUR",
    paddle="101",
    buyer=BUYER,
    lines=LINES,
    totals=Totals(hammer=100_000, premium=25_000, margin_vat=4_167, total=125_000),
    issued_at=1_790_000_000.0,
    seq=40,
    by="cashier",
)
NOTE = InvoiceDoc(
    kind="credit_note",
    number="CN-2026-00001",
    sale="s1",
    sale_title="Sale",
    currency="EUR",
    paddle="101",
    buyer=BUYER,
    lines=tuple(
        DocLine(x.lot, x.title, x.hammer_seq, x.kind, x.label, -x.amount, x.rate_bp, x.vat_scheme)
        for x in LINES
    ),
    totals=Totals(hammer=-100_000, premium=-25_000, margin_vat=-4_167, total=-125_000),
    issued_at=1_790_000_100.0,
    seq=44,
    refers_to="INV-2026-00001",
    reason="-reknocked",
)
PAY = PaymentDoc("PAY-41", "payment", "101", 50_005, "card", "+AUTH 1", "desk", 1.0e9, 41)
REFUND = PaymentDoc("PAY-45", "refund", "101", 5, "card", "R", "desk", 1.0e9, 45)
PAYOUT = PaymentDoc("PAY-50", "payout", "C-1", 80_000, "transfer", "T", "desk", 1.0e9, 50)
SETTLEMENT = SettlementDoc(
    sale="s1",
    sale_title="Sale",
    currency="EUR",
    consignor=Party("C-1", name="@seller", iban="DE89370400440532013000"),
    lots=(SettlementLot("7", "A vase", "sold", 100_000, 12, True),),
    lines=(DocLine("7", "A vase", 12, "commission", "Commission 15 %", -15_000, 1500),),
    hammer=100_000,
    deductions=-15_000,
    net=85_000,
    payouts=(PAYOUT,),
    paid_out=80_000,
    due=5_000,
    payout_date="2026-12-31",
)
BOOKS = Books("s1", "EUR", [INVOICE], [NOTE], [PAY, REFUND, PAYOUT], [SETTLEMENT])


def parsed(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_invoices_csv_has_major_units_iso_times_and_safe_cells() -> None:
    (row,) = parsed(export_csv(BOOKS, "invoices"))
    assert row["number"] == "INV-2026-00001"
    assert row["hammer"] == "1000"
    assert row["premium"] == "250"
    assert row["margin_vat"] == "41.67"
    assert row["total"] == "1250"
    assert row["issued"] == "2026-09-21T14:13:20+00:00"
    assert row["name"] == "'" + HOSTILE  # a spreadsheet shows it as text, never runs it
    assert row["seq"] == "40"


def test_credit_notes_are_negative_and_name_their_invoice() -> None:
    (row,) = parsed(export_csv(BOOKS, "credit_notes"))
    assert row["total"] == "-1250"
    assert row["refers_to"] == "INV-2026-00001"
    assert row["reason"] == "'-reknocked"


def test_lines_of_invoices_and_credit_notes() -> None:
    table = parsed(export_csv(BOOKS, "lines"))
    assert [(r["number"], r["kind"], r["amount"]) for r in table] == [
        ("INV-2026-00001", "hammer", "1000"),
        ("INV-2026-00001", "premium", "250"),
        ("CN-2026-00001", "hammer", "-1000"),
        ("CN-2026-00001", "premium", "-250"),
    ]
    assert table[1]["rate_bp"] == "2500"
    assert table[0]["rate_bp"] == ""


def test_payments_refunds_and_payouts_are_separate_exports() -> None:
    (pay,) = parsed(export_csv(BOOKS, "payments"))
    assert pay["amount"] == "500.05"
    assert pay["reference"] == "'+AUTH 1"
    (refund,) = parsed(export_csv(BOOKS, "refunds"))
    assert refund["amount"] == "0.05"
    (payout,) = parsed(export_csv(BOOKS, "payouts"))
    assert payout["of"] == "C-1"


def test_settlements_csv() -> None:
    (row,) = parsed(export_csv(BOOKS, "settlements"))
    assert row["name"] == "'@seller"
    assert (row["hammer"], row["deductions"], row["net"], row["paid_out"], row["due"]) == (
        "1000",
        "-150",
        "850",
        "800",
        "50",
    )
    assert row["sold"] == "1"


def test_json_amounts_are_exact_integers_of_the_minor_unit() -> None:
    body = json.loads(export_json(BOOKS, "invoices"))
    assert body["minor_unit_digits"] == 2
    assert body["rows"][0]["margin_vat"] == 4_167
    assert body["rows"][0]["name"] == HOSTILE  # JSON carries the text as it is

    def no_float(value: object) -> None:
        assert not isinstance(value, float)
        if isinstance(value, dict):
            for item in value.values():
                no_float(item)
        if isinstance(value, list):
            for item in value:
                no_float(item)

    for kind in KINDS:
        no_float(json.loads(export_json(BOOKS, kind)))


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_exports_in_both_formats(kind: str) -> None:
    text, media = export(BOOKS, kind, "csv")
    assert media.startswith("text/csv")
    assert len(parsed(text)) == len(rows(BOOKS, kind))
    text, media = export(BOOKS, kind, "json")
    assert media == "application/json"
    assert json.loads(text)["kind"] == kind


def test_empty_books_export_a_header_only() -> None:
    assert export_csv(Books("s1", "JPY"), "invoices").startswith("number,kind,")
    assert parsed(export_csv(Books("s1", "JPY"), "invoices")) == []


@pytest.mark.parametrize(("kind", "fmt"), [("bogus", "csv"), ("invoices", "xlsx"), ("", "")])
def test_unknown_kinds_and_formats_are_refused(kind: str, fmt: str) -> None:
    with pytest.raises(ExportError):
        export(BOOKS, kind, fmt)
