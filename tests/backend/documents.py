"""Money documents built by hand from hub/backend/statements.py, for the rendering tests (the
ledger that fills them from a journal is tested on its own). Figures worked out in the comments.
"""

from __future__ import annotations

import dataclasses

from hub.backend.statements import (
    AccountDoc,
    DocLine,
    InvoiceDoc,
    Party,
    PaymentDoc,
    RealisedRow,
    SettlementDoc,
    SettlementLot,
    SummaryDoc,
    Totals,
)

ISSUED_AT = 1796212800.0  # 2026-12-02 12:00 UTC
BUYER = Party(
    reference="42",
    name="Ada Lovelace",
    address="12 St James's Square\nLondon SW1Y 4JH",
    country="GB",
    email="ada@example.com",
)
LINES = (
    # Lot 1, margin scheme, bought online: premium 25 %, surcharge 3 %, VAT inside them
    # (280,000 × 1900 / 11900 = 44,705.88 → 44,706), ARR 4 % of EUR 10,000.
    DocLine(
        "1", "River landscape, oil on canvas", 101, "hammer", "Hammer", 1_000_000, None, "margin"
    ),
    DocLine(
        "1",
        "River landscape, oil on canvas",
        101,
        "premium",
        "Buyer's premium 25 %",
        250_000,
        2500,
        "margin",
    ),
    DocLine(
        "1",
        "River landscape, oil on canvas",
        101,
        "surcharge",
        "Online surcharge 3 %",
        30_000,
        300,
        "margin",
    ),
    DocLine(
        "1",
        "River landscape, oil on canvas",
        101,
        "arr",
        "Artist's resale right 4 %",
        40_000,
        400,
        "margin",
    ),
    # Lot 2, standard scheme at 19 %: VAT on the hammer and on the premium.
    DocLine("2", "Pair of silver candlesticks", 117, "hammer", "Hammer", 200_000, None, "standard"),
    DocLine(
        "2",
        "Pair of silver candlesticks",
        117,
        "premium",
        "Buyer's premium 25 %",
        50_000,
        2500,
        "standard",
    ),
    DocLine(
        "2",
        "Pair of silver candlesticks",
        117,
        "vat",
        "VAT on hammer 19 %",
        38_000,
        1900,
        "standard",
    ),
    DocLine(
        "2",
        "Pair of silver candlesticks",
        117,
        "vat",
        "VAT on premium 19 %",
        9_500,
        1900,
        "standard",
    ),
    # Lot 3, temporary import: import VAT 7 % on the hammer, premium under the margin scheme
    # (75,000 × 1900 / 11900 = 11,974.79 → 11,975 inside).
    DocLine("3", "Bronze figure of a dancer", 130, "hammer", "Hammer", 300_000, None, "import"),
    DocLine(
        "3",
        "Bronze figure of a dancer",
        130,
        "premium",
        "Buyer's premium 25 %",
        75_000,
        2500,
        "import",
    ),
    DocLine(
        "3", "Bronze figure of a dancer", 130, "import_vat", "Import VAT 7 %", 21_000, 700, "import"
    ),
)
TOTALS = Totals(
    hammer=1_500_000,
    premium=375_000,
    surcharge=30_000,
    vat=68_500,
    margin_vat=56_681,
    sales_tax=0,
    arr=40_000,
    total=2_013_500,  # €20,135.00
)


def invoice(**changes) -> InvoiceDoc:
    doc = InvoiceDoc(
        kind="invoice",
        number="INV-2026-00007",
        sale="autumn",
        sale_title="Autumn Fine Art",
        currency="EUR",
        paddle="42",
        buyer=BUYER,
        lines=LINES,
        totals=TOTALS,
        issued_at=ISSUED_AT,
        seq=400,
        by="system",
        paid=500_000,
        owed=1_513_500,  # €15,135.00
    )
    return dataclasses.replace(doc, **changes)


def credit_note(**changes) -> InvoiceDoc:
    """Lot 2 credited back (a reknock): the invoice's lines for it, negated."""
    lines = tuple(
        dataclasses.replace(line, amount=-line.amount) for line in LINES if line.lot == "2"
    )
    doc = InvoiceDoc(
        kind="credit_note",
        number="CN-2026-00003",
        sale="autumn",
        sale_title="Autumn Fine Art",
        currency="EUR",
        paddle="42",
        buyer=BUYER,
        lines=lines,
        totals=Totals(hammer=-200_000, premium=-50_000, vat=-47_500, total=-297_500),
        issued_at=ISSUED_AT + 3600,
        seq=420,
        refers_to="INV-2026-00007",
        reason="Reknocked to paddle 57 (clerk's error)",
        by="system",
    )
    return dataclasses.replace(doc, **changes)


def payment(**changes) -> PaymentDoc:
    doc = PaymentDoc(
        id="PAY-410",
        kind="payment",
        reference_of="42",
        amount=500_000,
        method="card",
        reference="AUTH 889231",
        by="cashier Bea",
        at=ISSUED_AT + 600,
        seq=410,
    )
    return dataclasses.replace(doc, **changes)


def account(**changes) -> AccountDoc:
    doc = AccountDoc(
        sale="autumn",
        currency="EUR",
        paddle="42",
        buyer=BUYER,
        invoices=(invoice(),),
        credit_notes=(),
        proforma=None,
        payments=(payment(),),
        due=2_013_500,
        paid=500_000,
        owed=1_513_500,
        status="part_paid",
    )
    return dataclasses.replace(doc, **changes)


def settlement(**changes) -> SettlementDoc:
    consignor = Party(
        reference="C-17",
        name="Estate of Henrietta Vane",
        address="4 Rue des Arts\n75006 Paris",
        country="FR",
        iban="FR1420041010050500013M02606",
    )
    doc = SettlementDoc(
        sale="autumn",
        sale_title="Autumn Fine Art",
        currency="EUR",
        consignor=consignor,
        lots=(
            SettlementLot("1", "River landscape, oil on canvas", "sold", 1_000_000, 101, True),
            SettlementLot("4", "Empty frame", "passed", None, None, False),
        ),
        lines=(
            DocLine("1", "River landscape", 101, "commission", "Commission 15 %", -150_000, 1500),
            DocLine(
                "1", "River landscape", 101, "commission_vat", "VAT on commission", -28_500, 1900
            ),
            DocLine("", "", 0, "charge", "Photography", -5_000),
            DocLine("4", "Empty frame", 0, "unsold_fee", "Unsold fee", -2_500),
        ),
        hammer=1_000_000,
        deductions=-186_000,
        net=814_000,  # €8,140.00
        payouts=(
            PaymentDoc(
                "PAY-500",
                "payout",
                "C-17",
                300_000,
                "transfer",
                "SEPA 1",
                "accounts",
                ISSUED_AT + 86400,
                500,
            ),
        ),
        paid_out=300_000,
        due=514_000,  # €5,140.00
        payout_date="2027-01-01",
    )
    return dataclasses.replace(doc, **changes)


def summary(**changes) -> SummaryDoc:
    doc = SummaryDoc(
        sale="autumn",
        sale_title="Autumn Fine Art",
        currency="EUR",
        lots=4,
        sold=3,
        passed=1,
        withdrawn=0,
        unsold=("4",),
        hammer=1_500_000,
        premium=405_000,
        vat=125_181,
        sales_tax=0,
        arr=40_000,
        commission=150_000,
        sell_through_count_bp=7500,
        sell_through_value_bp=8125,
        outstanding=(("42", 1_513_500),),
    )
    return dataclasses.replace(doc, **changes)


def realised() -> list[RealisedRow]:
    return [
        RealisedRow("1", "River landscape, oil on canvas", "sold", 1_000_000, 1_250_000),
        RealisedRow("4", "Empty frame", "passed", None, None),
    ]
