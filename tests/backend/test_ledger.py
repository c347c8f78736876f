"""The books of a small sale, every figure to the cent (tests/backend/moneykit.py).

Rules: premium 25 % to 50,000.00 and 20 % above (marginal), 3 % more on phone bids, VAT 20 %,
ARR from EUR 3,000 on the EU scale. One consignor, C-1: commission 15 % plus VAT, a lot fee of
10.00 and an unsold fee of 20.00 (plus VAT), photography 50.00 (plus VAT), paid 30 days on.

Lot 1 (margin) 1,000.00 to 101 on the floor:
    premium 25 % = 250.00 (holds 250 × 20/120 = 41.666… → 41.67 VAT); total 1,250.00
Lot 2 (standard) 60,000.00 to 102 on the phone:
    premium 25 % × 50,000 + 20 % × 10,000 = 12,500 + 2,000 = 14,500.00
    surcharge 3 % × 60,000 = 1,800.00
    VAT 20 % on the hammer 12,000.00; on premium + surcharge 16,300 × 20 % = 3,260.00
    total 60,000 + 14,500 + 1,800 + 12,000 + 3,260 = 91,560.00
Lot 3 (margin, ARR) 10,000.00 to 101 on the floor:
    premium 2,500.00 (holds 416.666… → 416.67 VAT); ARR 4 % × 10,000 = 400.00; total 12,900.00
Lot 4 passed.

Invoice 101: 1,250 + 12,900 = 14,150.00 (margin VAT inside 41.67 + 416.67 = 458.34)
Invoice 102: 91,560.00
Settlement C-1: hammer 71,000.00; commission 150 + 9,000 + 1,500 = 10,650.00, its VAT 2,130.00;
lot fees 4 × 10 = 40.00 + 8.00 VAT; unsold fee 20.00 + 4.00; photography 50.00 + 10.00;
deductions 12,912.00; net 58,088.00.
Check: buyers pay 105,710.00 = net 58,088.00 + premium and surcharge without the VAT inside
18,591.66 + commission 10,650.00 + charges 110.00 + tax 17,870.34 + ARR 400.00.
"""

from __future__ import annotations

from datetime import date

import pytest

from hub.auction.events import SYSTEM
from hub.backend import ledger
from hub.backend.statements import DocLine, Party, RealisedRow, Totals
from tests.backend.moneykit import (
    CLERK,
    RULES,
    Book,
    sale_commands,
    sell_commands,
    worked_sale_commands,
)

IDENTITY = {"name": "Ada Lovelace", "address": "1 St James's Sq\nLondon", "country": "GB"}


def worked() -> Book:
    book = Book()
    book.all(worked_sale_commands())
    return book


def invoiced() -> Book:
    book = worked()
    book.ok(
        {"op": "issue_invoice", "paddle": "101", "number": "INV-2026-00001", "by": "Ann"}, SYSTEM
    )
    book.ok(
        {"op": "issue_invoice", "paddle": "102", "number": "INV-2026-00002", "by": "Ann"}, SYSTEM
    )
    return book


def pay(book: Book, paddle: str, amount: int, key: str, payer: str = "", why: str = "") -> None:
    book.ok(
        {
            "op": "record_payment",
            "paddle": paddle,
            "amount": amount,
            "method": "card",
            "reference": key,
            "key": key,
            "payer": payer,
            "third_party_reason": why,
        }
    )


def test_before_invoicing_a_buyer_sees_a_proforma_priced_to_the_cent() -> None:
    book = Book()
    book.all(
        [
            *sale_commands(),
            *sell_commands("1", "101", 100_000),
            *sell_commands("3", "101", 1_000_000),
        ]
    )
    doc = ledger.account(book.state, "101", IDENTITY)
    assert doc.invoices == ()
    assert doc.proforma is not None
    assert [(x.lot, x.kind, x.amount, x.rate_bp) for x in doc.proforma.lines] == [
        ("1", "hammer", 100_000, None),
        ("1", "premium", 25_000, None),
        ("3", "hammer", 1_000_000, None),
        ("3", "premium", 250_000, None),
        ("3", "arr", 40_000, None),
    ]
    assert doc.proforma.totals == Totals(
        hammer=1_100_000, premium=275_000, margin_vat=45_834, arr=40_000, total=1_415_000
    )
    assert doc.proforma.lines[0].title == "Pair of Sèvres vases"
    assert doc.proforma.lines[0].vat_scheme == "margin"
    assert doc.proforma.lines[0].hammer_seq == book.state.lots["1"].hammer["seq"]  # type: ignore[index]
    assert (doc.due, doc.paid, doc.owed, doc.status) == (0, 0, 0, "nothing")
    assert doc.buyer == Party(
        "101", name="Ada Lovelace", address="1 St James's Sq\nLondon", country="GB"
    )


def test_invoices_carry_every_line_and_total_to_the_cent() -> None:
    book = invoiced()
    inv1 = ledger.invoice_doc(book.state, "INV-2026-00001", Party("101"))
    assert inv1.totals == Totals(
        hammer=1_100_000, premium=275_000, margin_vat=45_834, arr=40_000, total=1_415_000
    )
    assert inv1.kind == "invoice"
    assert inv1.by == "Ann"
    assert inv1.seq is not None
    inv2 = ledger.invoice_doc(book.state, "INV-2026-00002", Party("102"))
    assert [(x.kind, x.amount, x.rate_bp) for x in inv2.lines] == [
        ("hammer", 6_000_000, None),
        ("premium", 1_450_000, None),
        ("surcharge", 180_000, 300),
        ("vat", 1_200_000, 2000),
        ("vat", 326_000, 2000),
    ]
    assert inv2.totals == Totals(
        hammer=6_000_000, premium=1_450_000, surcharge=180_000, vat=1_526_000, total=9_156_000
    )
    assert all(isinstance(line, DocLine) for line in inv2.lines)
    assert sum(line.amount for line in inv2.lines) == inv2.totals.total


def test_part_payment_then_full_payment_then_release() -> None:
    book = invoiced()
    pay(book, "101", 1_000_000, "k1")
    doc = ledger.account(book.state, "101", None)
    assert (doc.due, doc.paid, doc.owed, doc.status) == (1_415_000, 1_000_000, 415_000, "part_paid")
    assert doc.invoices[0].paid == 1_000_000
    assert doc.invoices[0].owed == 415_000
    assert doc.releasable == ()
    pay(book, "101", 415_000, "k2")
    doc = ledger.account(book.state, "101", None)
    assert (doc.owed, doc.status) == (0, "paid")
    assert doc.releasable == ("1", "3")
    assert [p.amount for p in doc.payments] == [1_000_000, 415_000]
    book.ok({"op": "release_lots", "paddle": "101", "lots": [], "override_reason": ""})
    doc = ledger.account(book.state, "101", None)
    assert doc.released == ("1", "3")
    assert doc.releasable == ()
    assert ledger.account(book.state, "102", None).status == "owes"
    assert ledger.outstanding(book.state) == [("102", 9_156_000)]


def test_a_credit_note_negates_the_lots_it_credits() -> None:
    book = invoiced()
    book.ok(
        {
            "op": "issue_credit_note",
            "invoice": "INV-2026-00001",
            "lots": ["3"],
            "number": "CN-2026-00001",
            "reason": "wrong buyer",
            "by": "Ann",
        },
        SYSTEM,
    )
    note = ledger.credit_note_doc(book.state, "CN-2026-00001", Party("101"))
    assert note.refers_to == "INV-2026-00001"
    assert [(x.lot, x.kind, x.amount) for x in note.lines] == [
        ("3", "hammer", -1_000_000),
        ("3", "premium", -250_000),
        ("3", "arr", -40_000),
    ]
    assert note.totals.total == -1_290_000
    doc = ledger.account(book.state, "101", None)
    assert (doc.due, doc.owed) == (125_000, 125_000)
    assert doc.invoices[0].owed == 125_000
    assert doc.proforma is not None  # lot 3 is sold to 101 and not invoiced any more
    assert doc.proforma.totals.total == 1_290_000


def test_settlement_of_the_consignor_to_the_cent() -> None:
    book = invoiced()
    pay(book, "101", 1_415_000, "k1")
    doc = ledger.settlement(book.state, "C-1", Party("C-1", name="Héloïse"), date(2026, 9, 21))
    assert [(x.lot, x.status, x.hammer, x.buyer_paid) for x in doc.lots] == [
        ("1", "sold", 100_000, True),
        ("2", "sold", 6_000_000, False),
        ("3", "sold", 1_000_000, True),
        ("4", "passed", None, False),
    ]
    assert [(x.lot, x.kind, x.amount) for x in doc.lines] == [
        ("1", "commission", -15_000),
        ("1", "commission_vat", -3_000),
        ("1", "charge", -1_000),
        ("1", "charge_vat", -200),
        ("2", "commission", -900_000),
        ("2", "commission_vat", -180_000),
        ("2", "charge", -1_000),
        ("2", "charge_vat", -200),
        ("3", "commission", -150_000),
        ("3", "commission_vat", -30_000),
        ("3", "charge", -1_000),
        ("3", "charge_vat", -200),
        ("4", "charge", -1_000),
        ("4", "charge_vat", -200),
        ("4", "unsold_fee", -2_000),
        ("4", "charge_vat", -400),
        ("", "charge", -5_000),
        ("", "charge_vat", -1_000),
    ]
    assert doc.lines[0].label == "Commission 15 %"
    assert (doc.hammer, doc.deductions, doc.net) == (7_100_000, -1_291_200, 5_808_800)
    assert (doc.paid_out, doc.due) == (0, 5_808_800)
    assert doc.payout_date == "2026-10-21"
    book.ok(
        {
            "op": "record_payout",
            "consignor": "C-1",
            "amount": 5_000_000,
            "method": "transfer",
            "reference": "T1",
            "key": "p1",
        }
    )
    doc = ledger.settlement(book.state, "C-1", Party("C-1"), None)
    assert (doc.paid_out, doc.due, doc.payout_date) == (5_000_000, 808_800, None)


def test_summary_and_what_buyers_pay_adds_up() -> None:
    book = invoiced()
    pay(book, "102", 156_000, "k1")
    s = ledger.summary(book.state)
    assert (s.lots, s.sold, s.passed, s.withdrawn, s.unsold) == (4, 3, 1, 0, ("4",))
    assert s.hammer == 7_100_000
    assert s.premium == 1_905_000 - 45_834  # premium and surcharge without the VAT inside
    assert s.vat == 1_526_000 + 45_834 + 213_000 + 2_200
    assert (s.sales_tax, s.arr, s.commission, s.charges) == (0, 40_000, 1_065_000, 11_000)
    assert s.sell_through_count_bp == 7500
    # 71,000.00 of hammer against low estimates 800 + 50,000 + 8,000 + 500 = 59,300.00
    assert s.sell_through_value_bp == 11973
    assert s.outstanding == (("101", 1_415_000), ("102", 9_000_000))
    net = ledger.settlement(book.state, "C-1", Party("C-1")).net
    buyers = 1_415_000 + 9_156_000
    assert buyers == net + s.premium + s.commission + s.charges + s.vat + s.sales_tax + s.arr


def test_prices_realised_are_hammer_plus_premium() -> None:
    rows = ledger.prices_realised(invoiced().state)
    assert rows == [
        RealisedRow("1", "Pair of Sèvres vases", "sold", 100_000, 125_000),
        RealisedRow("2", "Walnut bureau", "sold", 6_000_000, 7_450_000),
        RealisedRow("3", "Study of a head, oil", "sold", 1_000_000, 1_250_000),
        RealisedRow("4", "A clock", "passed", None, None),
    ]


def test_unknown_documents_are_lookup_errors() -> None:
    book = invoiced()
    for call in (ledger.invoice_doc, ledger.credit_note_doc):
        with pytest.raises(ledger.LedgerError, match="INV-2026-09999"):
            call(book.state, "INV-2026-09999", Party("101"))
    assert ledger.document_paddle(book.state, "INV-2026-00002") == "102"
    assert ledger.document_paddle(book.state, "nope") is None


def test_third_party_payment_is_shown_with_its_reason() -> None:
    # Journals from before payer_ref kept the name itself: still shown.
    book = invoiced()
    pay(book, "102", 100, "k9", payer="Acme Ltd", why="company account, ID checked")
    (payment,) = ledger.account(book.state, "102", None).payments
    assert (payment.payer, payment.third_party_reason, payment.by) == (
        "Acme Ltd",
        "company account, ID checked",
        CLERK.name,
    )


def test_a_payer_ref_is_named_by_the_lookup_else_third_party() -> None:
    book = invoiced()
    book.ok(
        {
            "op": "record_payment",
            "paddle": "102",
            "amount": 100,
            "method": "card",
            "reference": "r",
            "payer_ref": "py-00ff",
            "third_party_reason": "company account",
        }
    )
    names = {"py-00ff": "Acme Ltd"}
    (payment,) = ledger.account(book.state, "102", None, names.get).payments
    assert (payment.payer, payment.third_party_reason) == ("Acme Ltd", "company account")
    # Erased (the lookup knows no name) or no lookup at all: never blank, never the ref.
    nobody: dict[str, str] = {}
    (payment,) = ledger.account(book.state, "102", None, nobody.get).payments
    assert payment.payer == "third party"
    (payment,) = ledger.account(book.state, "102", None).payments
    assert payment.payer == "third party"
    books = ledger.books(book.state, Party, Party, payer=names.get)
    assert [p.payer for p in books.payments] == ["Acme Ltd"]
    assert [p.payer for p in ledger.books(book.state, Party, Party).payments] == ["third party"]


def test_anonymous_and_provisional_sales_in_the_books() -> None:
    lots: list[dict[str, object]] = [
        {"id": "1", "title": "Sold to the room", "consignor": "C-1"},
        {"id": "2", "title": "Subject to", "consignor": "C-1", "reserve": 500_000},
    ]
    rules = {**RULES, "subject_to": True}
    book = Book()
    book.all(sale_commands(rules, lots, ("101",)))
    book.all(
        [
            {"op": "open_lot", "lot": "1"},
            {"op": "floor_bid", "lot": "1", "amount": 200_000},  # no paddle: a room bid
            {"op": "hammer", "lot": "1"},
            *sell_commands("2", "101", 300_000),  # below the reserve: subject to the vendor
        ]
    )
    state = book.state
    doc = ledger.settlement(state, "C-1", Party("C-1"))
    assert [(x.lot, x.status, x.hammer) for x in doc.lots] == [
        ("1", "sold", 200_000),
        ("2", "provisional", None),
    ]
    assert doc.hammer == 200_000
    s = ledger.summary(state)
    assert (s.sold, s.hammer) == (1, 200_000)
    assert ledger.account(state, "101", None).proforma is None  # nothing final to invoice
    assert ledger.prices_realised(state)[0].price == 250_000
    assert ledger.prices_realised(state)[1].price is None
