"""The money documents as plain data: what an invoice, a credit note, a buyer's account, a
consignor's settlement and the sale summary say, before anyone renders them.

`hub/backend/ledger.py` builds them from the journal (replayed state), the sale's rules, the
identities store and the house profile; `hub/backend/render.py` turns them into HTML, PDF and
e-invoice XML; the gateway and the desktop app show them. All amounts are integers of the
sale currency's minor unit; a credit note's amounts are negative.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

JSON = dict[str, Any]

# What a document line is (DocLine.kind).
LINE_KINDS = (
    "hammer",
    "premium",  # buyer's premium (VAT-inclusive under the margin scheme)
    "surcharge",  # per-channel surcharge on the premium (internet, phone)
    "vat",  # VAT itemised on the hammer and/or the premium
    "import_vat",  # import VAT on the hammer (temporary admission)
    "sales_tax",  # US-style flat sales tax
    "arr",  # artist's resale right royalty
    "commission",  # seller's commission (settlement)
    "commission_vat",
    "charge",  # a consignor's fixed charge (photography, insurance, lotting)
    "charge_vat",
    "unsold_fee",
)
# A buyer's account standing (AccountDoc.status).
ACCOUNT_STATUSES = ("nothing", "owes", "part_paid", "paid", "in_credit")


@dataclass(frozen=True, slots=True)
class Party:
    """A buyer or consignor as a document names them (from the identities store)."""

    reference: str  # the paddle, or the consignor's reference on the lots
    name: str = ""
    address: str = ""  # lines joined by "\n"
    country: str = ""  # ISO 3166 alpha-2
    email: str = ""
    vat_id: str = ""
    iban: str = ""  # consignors: where the payout goes


@dataclass(frozen=True, slots=True)
class DocLine:
    lot: str
    title: str
    hammer_seq: int  # the seq of the hammer (or reknock) event this line derives from
    kind: str  # one of LINE_KINDS
    label: str  # as printed: "Buyer's premium 25 % to 500,000.00"
    amount: int
    rate_bp: int | None = None  # the rate applied, in basis points, when there is one
    vat_scheme: str = ""  # the lot's VAT scheme (margin, standard, reduced, zero, import)


@dataclass(frozen=True, slots=True)
class Totals:
    """A buyer document's sums; `total` is the sum of every line, to the minor unit."""

    hammer: int = 0
    premium: int = 0
    surcharge: int = 0
    vat: int = 0  # itemised VAT and import VAT
    margin_vat: int = 0  # VAT inside the premium under the margin scheme (not itemised)
    sales_tax: int = 0
    arr: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class InvoiceDoc:
    """An invoice, a credit note, or a pro-forma (the buyer's lots not invoiced yet)."""

    kind: str  # "invoice" | "credit_note" | "proforma"
    number: str | None  # "INV-2026-00001", "CN-2026-00001"; None for a pro-forma
    sale: str
    sale_title: str
    currency: str
    paddle: str
    buyer: Party
    lines: tuple[DocLine, ...]
    totals: Totals
    issued_at: float | None = None  # the issuing event's time (None: pro-forma)
    seq: int | None = None  # the issuing event's seq
    session: int | None = None  # when the house invoices per session
    refers_to: str | None = None  # a credit note's invoice number
    reason: str = ""  # a credit note's reason
    by: str = ""  # who issued it
    paid: int = 0  # payments allocated to it so far (at rendering time)
    owed: int = 0  # what is left to pay on it


@dataclass(frozen=True, slots=True)
class PaymentDoc:
    id: str  # "PAY-{seq}"
    kind: str  # "payment" | "refund" | "payout"
    reference_of: str  # the paddle (payment, refund) or the consignor (payout)
    amount: int  # positive; a refund or payout is money going out
    method: str  # cash | card | transfer | cheque | other
    reference: str  # the bank or card reference
    by: str
    at: float
    seq: int
    payer: str = ""  # a third party who paid, with the staff override's reason
    third_party_reason: str = ""


@dataclass(frozen=True, slots=True)
class AccountDoc:
    """A buyer at checkout: what they owe, what they paid, what may be released."""

    sale: str
    currency: str
    paddle: str
    buyer: Party
    invoices: tuple[InvoiceDoc, ...]
    credit_notes: tuple[InvoiceDoc, ...]
    proforma: InvoiceDoc | None  # sold to them and not invoiced yet
    payments: tuple[PaymentDoc, ...]  # payments and refunds, in journal order
    due: int  # invoices minus credit notes
    paid: int  # payments minus refunds
    owed: int  # due - paid (negative: in credit)
    status: str  # one of ACCOUNT_STATUSES
    released: tuple[str, ...] = ()  # lots released for collection
    releasable: tuple[str, ...] = ()  # invoiced, paid for and not released yet


@dataclass(frozen=True, slots=True)
class SettlementLot:
    lot: str
    title: str
    status: str  # sold | passed | withdrawn | ...
    hammer: int | None
    hammer_seq: int | None
    buyer_paid: bool  # the buyer's invoice for it is paid in full


@dataclass(frozen=True, slots=True)
class SettlementDoc:
    """A consignor's settlement statement for one sale."""

    sale: str
    sale_title: str
    currency: str
    consignor: Party
    lots: tuple[SettlementLot, ...]
    lines: tuple[DocLine, ...]  # commission, its VAT, charges, unsold fees: negative amounts
    hammer: int  # sold lots' hammer total
    deductions: int  # the sum of `lines` (negative or 0)
    net: int  # hammer + deductions
    payouts: tuple[PaymentDoc, ...]
    paid_out: int
    due: int  # net - paid_out
    payout_date: str | None  # ISO date the contract sets (sale date + payout days)
    absolute: bool = False  # sold without reserve


@dataclass(frozen=True, slots=True)
class RealisedRow:
    lot: str
    title: str
    status: str
    hammer: int | None
    price: int | None  # hammer plus buyer's premium (and surcharge-free), as houses publish


@dataclass(frozen=True, slots=True)
class SummaryDoc:
    sale: str
    sale_title: str
    currency: str
    lots: int
    sold: int
    passed: int
    withdrawn: int
    unsold: tuple[str, ...]  # passed lots, for re-offer
    hammer: int
    premium: int  # premium plus surcharges, VAT-exclusive
    vat: int  # VAT collected: itemised, import and margin VAT on buyers; VAT on commission
    sales_tax: int
    arr: int
    commission: int
    sell_through_count_bp: int  # sold / offered (not withdrawn), in basis points
    sell_through_value_bp: int  # hammer / low estimates of the offered lots, in basis points
    outstanding: tuple[tuple[str, int], ...] = field(default=())  # (paddle, owed > 0)
    charges: int = 0  # consignors' fixed charges, lot fees and unsold fees, VAT-exclusive


def to_json(doc: Any) -> JSON:
    """Any of the documents above as JSON (the API, the exports, the tests)."""
    out: JSON = asdict(doc)
    return out
