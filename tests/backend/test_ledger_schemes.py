"""Invoices under the other VAT schemes and a US sales tax, every figure to the cent.

EU sale, premium 20 % flat, VAT 20 %, reduced 5.5 %, import 5.5 %:
    lot A (reduced) 10,000.00: premium 2,000.00; VAT 5.5 % on the hammer 550.00 and on the
        premium 110.00; total 12,660.00
    lot B (zero) 5,000.00: premium 1,000.00; no VAT; total 6,000.00
    lot C (import) 2,000.00: premium 400.00 (margin scheme: holds 400 × 20/120 = 66.666… →
        66.67 VAT); import VAT 5.5 % on the hammer 110.00; total 2,510.00
    invoice 21,170.00, VAT itemised 770.00, margin VAT inside 66.67
US sale (USD), no VAT, premium 26 % to $1,000,000 and 20 % above, a flat sales tax of 8.88 %
(rates are whole basis points, so New York City's 8.875 % is entered as 888) on hammer and
premium, each line rounded once, half up:
    lot D $1,200,000.00: premium 260,000 + 40,000 = $300,000.00; tax 8.88 % × 1,500,000 =
        $133,200.00
    lot E $123.45: premium 26 % = 32.097 → $32.10; tax 8.88 % × 155.55 = 13.81284 → $13.81
"""

from __future__ import annotations

from hub.auction.events import SYSTEM
from hub.backend import ledger
from hub.backend.statements import InvoiceDoc, Party, Totals
from tests.backend.moneykit import JSON, Book, sale_commands, sell_commands

EU = {
    "currency": "EUR",
    "buyer_premium": [[0, 2000]],
    "vat_rate_bp": 2000,
    "vat_reduced_bp": 550,
    "vat_import_bp": 550,
}
US = {"currency": "USD", "buyer_premium": [[0, 2600], [100_000_000, 2000]], "sales_tax_bp": 888}


def invoice_for(rules: JSON, lots: list[JSON], sales: list[tuple[str, int]]) -> InvoiceDoc:
    book = Book()
    book.all(sale_commands(rules, lots, ("7",)))
    for lot, amount in sales:
        book.all(sell_commands(lot, "7", amount))
    book.ok({"op": "issue_invoice", "paddle": "7", "number": "INV-2026-00001", "by": "t"}, SYSTEM)
    return ledger.invoice_doc(book.state, "INV-2026-00001", Party("7"))


def test_reduced_zero_and_import_schemes() -> None:
    lots = [
        {"id": "A", "title": "Book", "vat": "reduced"},
        {"id": "B", "title": "Export", "vat": "zero"},
        {"id": "C", "title": "Import", "vat": "import"},
    ]
    doc = invoice_for(EU, lots, [("A", 1_000_000), ("B", 500_000), ("C", 200_000)])
    assert [(x.lot, x.kind, x.amount, x.rate_bp) for x in doc.lines] == [
        ("A", "hammer", 1_000_000, None),
        ("A", "premium", 200_000, 2000),
        ("A", "vat", 55_000, 550),
        ("A", "vat", 11_000, 550),
        ("B", "hammer", 500_000, None),
        ("B", "premium", 100_000, 2000),
        ("C", "hammer", 200_000, None),
        ("C", "premium", 40_000, 2000),
        ("C", "import_vat", 11_000, 550),
    ]
    assert doc.totals == Totals(
        hammer=1_700_000, premium=340_000, vat=77_000, margin_vat=6_667, total=2_117_000
    )


def test_a_us_sale_with_sales_tax_rounds_half_up_once_per_line() -> None:
    lots = [
        {"id": "D", "title": "Painting", "vat": "zero"},
        {"id": "E", "title": "Print", "vat": "zero"},
    ]
    doc = invoice_for(US, lots, [("D", 120_000_000), ("E", 12_345)])
    assert doc.currency == "USD"
    assert [(x.lot, x.kind, x.amount) for x in doc.lines] == [
        ("D", "hammer", 120_000_000),
        ("D", "premium", 30_000_000),
        ("D", "sales_tax", 13_320_000),  # 8.88 % × 1,500,000.00
        ("E", "hammer", 12_345),
        ("E", "premium", 3_210),  # 26 % × 123.45 = 32.097 → 32.10
        ("E", "sales_tax", 1_381),  # 8.88 % × 155.55 = 13.81284 → 13.81
    ]
    assert doc.totals.sales_tax == 13_321_381
    assert doc.totals.total == 120_012_345 + 30_003_210 + 13_321_381
