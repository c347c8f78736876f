"""The Checkout and Consignors tabs' pure logic: typed amounts into minor units with the sale
currency's decimals, every form refused with a clear message for bad, hostile, oversized and
third-party input, and an account drawn as rows (no Qt, no core)."""

from __future__ import annotations

import pytest

from app.ui.checkout_logic import (
    DeskError,
    clean_paddle,
    figures,
    line_rows,
    lot_rows,
    parse_amount,
    parse_charges,
    parse_commission,
    parse_percent,
    payment_request,
    payout_request,
    refund_request,
    release_reason,
    safe_file_name,
    status_text,
    terms_form,
)
from app.ui.consignors import terms_text
from hub.backend.statements import AccountDoc, DocLine, InvoiceDoc, Party, PaymentDoc, Totals


def _doc(kind: str, number: str | None, lines: list[DocLine], refers_to: str | None = None):
    total = sum(line.amount for line in lines)
    return InvoiceDoc(
        kind=kind,
        number=number,
        sale="s",
        sale_title="Sale",
        currency="EUR",
        paddle="101",
        buyer=Party("101", name="Ada"),
        lines=tuple(lines),
        totals=Totals(total=total),
        refers_to=refers_to,
    )


def _account(**kw) -> AccountDoc:
    base = {
        "sale": "s",
        "currency": "EUR",
        "paddle": "101",
        "buyer": Party("101", name="Ada"),
        "invoices": (),
        "credit_notes": (),
        "proforma": None,
        "payments": (),
        "due": 0,
        "paid": 0,
        "owed": 0,
        "status": "nothing",
    }
    base.update(kw)
    return AccountDoc(**base)


INV = _doc(
    "invoice",
    "INV-2026-00001",
    [
        DocLine("2", "Table", 10, "hammer", "Hammer", 100000),
        DocLine("2", "Table", 10, "premium", "Premium 25 %", 25000, 2500, "margin"),
        DocLine("10", "Clock", 12, "hammer", "Hammer", 5000),
    ],
)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1,234.50", "EUR", 123450),
        ("1.234,50", "EUR", 123450),
        ("€1234", "EUR", 123400),
        (" 12 ", "EUR", 1200),
        ("0.01", "EUR", 1),
        ("1500", "JPY", 1500),
        ("1,500", "JPY", 1500),
        ("1.250", "BHD", 1250),
        ("2.5", "BHD", 2500),
        ("1.234", "EUR", 123400),  # European grouping: a dot before three digits
    ],
)
def test_amounts_use_the_sale_currency_decimals(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "says"),
    [
        ("", "EUR", "empty"),
        ("0", "EUR", "more than zero"),
        ("0.00", "EUR", "more than zero"),
        ("-5", "EUR", "negative"),
        ("12.5", "JPY", "at most 0 decimals"),  # yen have no minor unit: never 125
        ("1.2345", "EUR", "at most 2 decimals"),
        ("1,5", "JPY", "at most 0 decimals"),
        ("ten", "EUR", "not an amount"),
        ("1e6", "EUR", "not an amount"),
        ("NaN", "EUR", "not an amount"),
        ("9" * 14, "EUR", "not an amount"),
        ("100,000,000,000", "EUR", "too large"),
        ("<script>", "EUR", "not an amount"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(text: str, currency: str, says: str) -> None:
    with pytest.raises(DeskError) as err:
        parse_amount(text, currency)
    assert says in str(err.value).lower()
    assert str(err.value).startswith("Amount")


def test_a_payment_form_becomes_a_request_in_minor_units() -> None:
    req = payment_request("101", "1,250.00", "card", " slip 42 ", "EUR", owed=130000)
    assert (req.paddle, req.amount, req.method, req.reference) == ("101", 125000, "card", "slip 42")
    assert (req.payer, req.third_party_reason) == ("", "")
    assert len(req.key) == 32
    again = payment_request("101", "1,250.00", "card", "slip 42", "EUR", owed=130000)
    assert again.key != req.key  # a new payment gets a new key


def test_a_third_party_payment_needs_a_reason() -> None:
    with pytest.raises(DeskError) as err:
        payment_request("101", "10", "transfer", "", "EUR", payer="Bob Ltd")
    assert "override needs a reason" in str(err.value)
    req = payment_request(
        "101", "10", "transfer", "", "EUR", payer="Bob Ltd", third_party_reason="buyer's company"
    )
    assert (req.payer, req.third_party_reason) == ("Bob Ltd", "buyer's company")
    # A reason without a payer is not an override: nothing is journaled with it.
    assert payment_request("101", "10", "cash", "", "EUR", third_party_reason="x").payer == ""


def test_a_payment_form_lists_every_problem() -> None:
    with pytest.raises(DeskError) as err:
        payment_request("bad paddle!", "abc", "bitcoin", "a\nb", "EUR", payer="x" * 201)
    messages = err.value.messages
    assert len(messages) == 5
    assert any("paddle" in m for m in messages)
    assert any("Amount" in m for m in messages)
    assert any("method" in m for m in messages)
    assert any("line breaks" in m for m in messages)
    assert any("too long" in m for m in messages)


def test_paying_more_than_is_owed_or_when_nothing_is_owed_is_refused() -> None:
    with pytest.raises(DeskError, match=r"more than the buyer owes \(€100.00\)"):
        payment_request("101", "100.01", "cash", "", "EUR", owed=10000)
    with pytest.raises(DeskError, match="owes nothing"):
        payment_request("101", "1", "cash", "", "EUR", owed=0)
    assert payment_request("101", "100", "cash", "", "EUR", owed=10000).amount == 10000


@pytest.mark.parametrize(
    "text", ["", "   ", "1 01", "<b>1</b>", "101;DROP", "x" * 21, "-1", "\u202e101"]
)
def test_bad_paddles_are_refused(text: str) -> None:
    with pytest.raises(DeskError):
        clean_paddle(text)


def test_a_scanned_paddle_is_trimmed() -> None:
    assert clean_paddle(" 101\n") == "101"
    assert clean_paddle("A-7") == "A-7"


def test_an_account_as_rows_and_figures() -> None:
    note = _doc(
        "credit_note",
        "CN-2026-00001",
        [DocLine("10", "Clock", 12, "hammer", "Hammer", -5000)],
        refers_to="INV-2026-00001",
    )
    proforma = _doc("proforma", None, [DocLine("7", "Vase", 20, "hammer", "Hammer", 3000)])
    pay = PaymentDoc("PAY-30", "payment", "101", 50000, "card", "slip", "desk", 1.0, 30)
    refund = PaymentDoc("PAY-31", "refund", "101", 1000, "cash", "", "desk", 2.0, 31)
    account = _account(
        invoices=(INV,),
        credit_notes=(note,),
        proforma=proforma,
        payments=(pay, refund),
        due=125000,
        paid=49000,
        owed=76000,
        status="part_paid",
        released=("2",),
    )
    rows = lot_rows(account)
    assert [(r.lot, r.document, r.released) for r in rows] == [
        ("2", "INV-2026-00001", True),
        ("7", "not invoiced", False),
        ("10", "INV-2026-00001 credited by CN-2026-00001", False),
    ]
    lines = line_rows(account)
    assert [ln.document for ln in lines] == [
        "INV-2026-00001",
        "INV-2026-00001",
        "INV-2026-00001",
        "CN-2026-00001",
        "pro-forma",
    ]
    shown = figures(account)
    assert shown["due"] == "€1,250.00"
    assert shown["paid"] == "€490.00"
    assert shown["owed"] == "€760.00"
    assert shown["pending"] == "€30.00"
    assert shown["status"] == "Part paid — owes €760.00"
    assert status_text(_account(status="in_credit", owed=-500)) == "In credit — €5.00 to refund"


def test_release_needs_an_invoice_and_a_reason_while_owed() -> None:
    with pytest.raises(DeskError, match="issue the invoice"):
        release_reason(_account(), "")
    owing = _account(invoices=(INV,), due=130000, owed=130000, status="owes")
    with pytest.raises(DeskError, match=r"owes €1,300.00: releasing now needs a reason"):
        release_reason(owing, "  ")
    assert release_reason(owing, "known dealer, pays Monday") == "known dealer, pays Monday"
    paid = _account(invoices=(INV,), due=130000, paid=130000, status="paid")
    assert release_reason(paid, "ignored when paid") == ""
    with pytest.raises(DeskError, match="line breaks"):
        release_reason(owing, "a\x00b")


@pytest.mark.parametrize(
    ("number", "name"),
    [
        ("INV-2026-00001", "INV-2026-00001.pdf"),
        ("../../etc/passwd", "______etc_passwd.pdf"),
        ("", "document.pdf"),
    ],
)
def test_document_file_names_stay_in_their_folder(number: str, name: str) -> None:
    assert safe_file_name(number, "pdf") == name


# -- consignors -------------------------------------------------------------------------------


def test_commission_bands_and_percentages() -> None:
    assert parse_percent("15") == 1500
    assert parse_percent("12.5 %") == 1250
    assert parse_percent("0,75") == 75
    assert parse_commission("15", "EUR") == ((0, 1500),)
    assert parse_commission("15; 10 from 50,000; 5 from 200,000", "EUR") == (
        (0, 1500),
        (5000000, 1000),
        (20000000, 500),
    )
    for bad, says in [
        ("", "Give a commission rate"),
        ("101", "at most 100"),
        ("-5", "Not a percentage"),
        ("15.555", "Not a percentage"),
        ("abc", "Not a percentage"),
        ("15 from 100", "starts at zero"),
        ("15; 10", "say where it starts"),
        ("15; 10 from 500; 5 from 100", "increasing"),
        (";".join(["5 from 1"] * 11), "At most 10"),
    ]:
        with pytest.raises(DeskError, match=says):
            parse_commission(bad, "EUR")


def test_charges() -> None:
    assert parse_charges("Photography: 25; Insurance: 10.50", "EUR") == (
        ("Photography", 2500),
        ("Insurance", 1050),
    )
    assert parse_charges("  ", "EUR") == ()
    for bad in ("Photography 25", ": 25", "Photo: -1", "Photo: x", "A\tB: 1"):
        with pytest.raises(DeskError):
            parse_charges(bad, "EUR")


def test_a_terms_form_lists_every_problem_and_round_trips() -> None:
    with pytest.raises(DeskError) as err:
        terms_form(
            "", "abc", "x", "-1", "1.2345", "400", "EUR", vat_on_commission=False, absolute=False
        )
    assert len(err.value.messages) == 6
    form = terms_form(
        "C-1",
        "15; 10 from 50,000",
        "Photography: 25",
        "5",
        "10",
        "35",
        "EUR",
        vat_on_commission=True,
        absolute=True,
    )
    cmd = form.command()
    assert cmd == {
        "op": "set_consignor_terms",
        "consignor": "C-1",
        "commission": [[0, 1500], [5000000, 1000]],
        "vat_on_commission": True,
        "charges": [["Photography", 2500]],
        "lot_fee": 500,
        "unsold_fee": 1000,
        "payout_days": 35,
        "absolute": True,
    }
    texts = terms_text(cmd, "EUR")
    again = terms_form(
        "C-1",
        texts["commission"],
        texts["charges"],
        texts["lot_fee"],
        texts["unsold_fee"],
        texts["days"],
        "EUR",
        vat_on_commission=True,
        absolute=True,
    )
    assert again == form


def test_a_payout_form() -> None:
    assert payout_request("C-1", "100", "transfer", "ref", "EUR", 20000) == (
        "C-1",
        10000,
        "transfer",
        "ref",
    )
    with pytest.raises(DeskError, match="more than is due"):
        payout_request("C-1", "300", "transfer", "", "EUR", 20000)
    with pytest.raises(DeskError) as err:
        payout_request("", "0", "gold", "a\nb", "EUR", None)
    assert len(err.value.messages) == 4


def test_a_refund_form() -> None:
    in_credit = _account(invoices=(INV,), due=100000, paid=130000, owed=-30000, status="in_credit")
    req = refund_request(in_credit, "300", "transfer", " ref ", " lot 2 credited ")
    assert (req.amount, req.method, req.reference, req.reason) == (
        30000,
        "transfer",
        "ref",
        "lot 2 credited",
    )
    with pytest.raises(DeskError) as err:
        refund_request(in_credit, "300.01", "gold", "a\nb", "")
    assert err.value.messages == [
        "The reference may not contain line breaks or control characters.",
        "Choose a payment method (cash, card, transfer, cheque, other).",
        "A refund needs a reason.",
        "That is more than the buyer's credit (€300.00).",
    ]
    owing = _account(invoices=(INV,), due=100000, owed=100000, status="owes")
    with pytest.raises(DeskError, match="not in credit"):
        refund_request(owing, "1", "cash", "", "why")
