"""The money documents as print-ready HTML: invoices, credit notes, receipts, consignors'
settlements, the sale summary and the public prices realised.

Jinja2 templates in `resources/templates/` with autoescape on for every template, so a name
like `<script>` prints as text; names sit in `<bdi>` so a right-to-left name cannot reorder the
figures beside it, and the shared `print.css` (A4, inlined into each page so the HTML stands
alone in a browser, an e-mail or WeasyPrint) breaks long words instead of running off the page.
Amounts print through `hub.backend.money.format_money` in the document's currency. Pure: the
same document and house give the same bytes. `hub/backend/pdf.py` turns the HTML into a PDF.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from hub.backend.epc import invoice_qr_svg
from hub.backend.house import HouseProfile
from hub.backend.money import format_money, format_rate
from hub.backend.statements import (
    AccountDoc,
    DocLine,
    InvoiceDoc,
    PaymentDoc,
    RealisedRow,
    SettlementDoc,
    SummaryDoc,
)

# What each line kind reads as in a document's totals and headings.
KIND_LABELS = {
    "hammer": "Hammer price",
    "premium": "Buyer's premium",
    "surcharge": "Surcharge",
    "vat": "VAT",
    "import_vat": "Import VAT",
    "sales_tax": "Sales tax",
    "arr": "Artist's resale right",
    "commission": "Commission",
    "commission_vat": "VAT on commission",
    "charge": "Charge",
    "charge_vat": "VAT on charges",
    "unsold_fee": "Unsold fee",
}
METHOD_LABELS = {
    "cash": "Cash",
    "card": "Card",
    "transfer": "Bank transfer",
    "cheque": "Cheque",
    "other": "Other",
}
STATUS_LABELS = {
    "nothing": "Nothing to pay",
    "owes": "Owes",
    "part_paid": "Part paid",
    "paid": "Paid in full",
    "in_credit": "In credit",
}
# Printed on every document that holds a margin-scheme lot (Art. 226(14) of the VAT Directive
# asks for the words "margin scheme" and the kind of goods).
MARGIN_NOTICE = (
    "Margin scheme — second-hand goods, works of art, collectors' items and antiques. "
    "VAT is included in the buyer's premium and not shown separately; it cannot be reclaimed."
)
ARR_NOTICE = (
    "The artist's resale right royalty (Directive 2001/84/EC) is collected for the artist or "
    "their heirs and passed on in full; no VAT is charged on it."
)


def _templates_dir() -> Path:
    return Path(str(resources.files("resources").joinpath("templates")))


@cache
def environment() -> jinja2.Environment:
    """The one template environment: autoescape on for everything, undefined names fail.
    Each template is read and compiled once per process (no reload check, so no file stat
    per render: a changed template needs a restart)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_templates_dir())),
        auto_reload=False,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["rate"] = format_rate
    env.filters["date"] = _date_filter
    env.filters["kind"] = lambda kind: KIND_LABELS.get(kind, kind)
    env.filters["method"] = lambda method: METHOD_LABELS.get(method, method)
    env.filters["grouped"] = lambda iban: " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    env.filters["lines"] = lambda text: [line for line in str(text).split("\n") if line.strip()]
    return env


def local_day(at: float, tz: str | None = None) -> date:
    """The calendar day of a journal time where the sale is (`tz`, an IANA name such as
    "Europe/Berlin", as the sale spec keeps it); UTC when no zone is given."""
    try:
        zone = ZoneInfo(tz) if tz else UTC
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {tz!r}") from None
    return datetime.fromtimestamp(at, zone).date()


def format_date(at: float | date | None, tz: str | None = None) -> str:
    """A document date: "2 December 2026"."""
    if at is None:
        return ""
    day = at if isinstance(at, date) else local_day(at, tz)
    return f"{day.day} {day:%B %Y}"


@jinja2.pass_context
def _date_filter(context: jinja2.runtime.Context, at: float | date | None) -> str:
    return format_date(at, context.get("tz"))


def due_date(doc: InvoiceDoc, house: HouseProfile, tz: str | None = None) -> date | None:
    """When an invoice falls due: its issue date plus the house's payment days."""
    if doc.issued_at is None:
        return None
    return local_day(doc.issued_at, tz) + timedelta(days=house.payment_days)


@dataclass(frozen=True, slots=True)
class LotGroup:
    """One lot's lines together, as the invoice prints them."""

    lot: str
    title: str
    hammer_seq: int
    lines: tuple[DocLine, ...]
    total: int


def lot_groups(lines: Iterable[DocLine]) -> list[LotGroup]:
    """The lines grouped by lot, lots in the order they first appear."""
    order: dict[str, list[DocLine]] = {}
    for line in lines:
        order.setdefault(line.lot, []).append(line)
    return [
        LotGroup(
            lot=lot,
            title=group[0].title,
            hammer_seq=group[0].hammer_seq,
            lines=tuple(group),
            total=sum(line.amount for line in group),
        )
        for lot, group in order.items()
    ]


def _render(template: str, **context: Any) -> str:
    currency = context.get("currency", "EUR")
    context.setdefault("house", None)

    def money(minor: int | None) -> str:
        return format_money(minor, currency)

    context.setdefault("tz", None)
    return environment().get_template(template).render(money=money, **context)


def _notices(lines: Sequence[DocLine]) -> list[str]:
    schemes = {line.vat_scheme for line in lines}
    kinds = {line.kind for line in lines}
    out = []
    if schemes & {"margin", "import"}:
        out.append(MARGIN_NOTICE)
    if "arr" in kinds:
        out.append(ARR_NOTICE)
    return out


def invoice_html(
    doc: InvoiceDoc, house: HouseProfile, *, qr: bool = True, tz: str | None = None
) -> str:
    """An invoice or a pro-forma; with `qr`, the EPC payment code when the invoice is in euros
    and something is owed. A credit note goes to `credit_note_html`. Every `*_html` takes the
    sale's timezone `tz` for its dates (UTC without one)."""
    if doc.kind == "credit_note":
        return credit_note_html(doc, house, tz=tz)
    return _render(
        "invoice.html",
        doc=doc,
        house=house,
        currency=doc.currency,
        groups=lot_groups(doc.lines),
        notices=_notices(doc.lines),
        due=due_date(doc, house, tz),
        tz=tz,
        qr_svg=invoice_qr_svg(doc, house) if qr else None,
        title=f"Invoice {doc.number}" if doc.number else "Pro-forma invoice",
    )


def credit_note_html(doc: InvoiceDoc, house: HouseProfile, *, tz: str | None = None) -> str:
    """A credit note: says so, names the invoice it corrects and why; amounts negative."""
    if doc.kind != "credit_note":
        raise ValueError(f"a credit note document has kind credit_note, not {doc.kind}")
    return _render(
        "credit_note.html",
        doc=doc,
        house=house,
        currency=doc.currency,
        groups=lot_groups(doc.lines),
        notices=_notices(doc.lines),
        title=f"Credit note {doc.number}",
        tz=tz,
    )


def receipt_html(
    account: AccountDoc, payment: PaymentDoc, house: HouseProfile, *, tz: str | None = None
) -> str:
    """A receipt for one payment (or refund) on a buyer's account, with the account as it
    stands now."""
    refund = payment.kind == "refund"
    return _render(
        "receipt.html",
        account=account,
        payment=payment,
        house=house,
        currency=account.currency,
        refund=refund,
        status=STATUS_LABELS.get(account.status, account.status),
        title=f"{'Refund receipt' if refund else 'Receipt'} {payment.id}",
        tz=tz,
    )


def settlement_html(doc: SettlementDoc, house: HouseProfile, *, tz: str | None = None) -> str:
    """A consignor's settlement statement: lots sold and unsold, deductions, net, payouts."""
    return _render(
        "settlement.html",
        doc=doc,
        house=house,
        currency=doc.currency,
        title=f"Settlement statement — {doc.consignor.reference}",
        tz=tz,
    )


def summary_html(doc: SummaryDoc, house: HouseProfile | None = None) -> str:
    """The sale summary for the house: counts, figures, sell-through, unsold, outstanding."""
    return _render(
        "summary.html",
        doc=doc,
        house=house,
        currency=doc.currency,
        title=f"Sale summary — {doc.sale_title}",
    )


def prices_realised_html(
    rows: Sequence[RealisedRow],
    sale_title: str,
    currency: str,
    house: HouseProfile | None = None,
) -> str:
    """The public prices realised: lot, title and price, no buyer named."""
    return _render(
        "prices_realised.html",
        rows=rows,
        sale_title=sale_title,
        house=house,
        currency=currency,
        title=f"Prices realised — {sale_title}",
    )
