"""Accounting exports: the sale's invoices, credit notes, their lines, payments, refunds,
payouts and consignor settlements as CSV or JSON.

Pure functions over the documents `hub/backend/ledger.py` builds (`ledger.books(...)` gathers
them), so the gateway (`GET /api/sales/{sale}/exports/{kind}.{csv,json}`), the CLI and the
desktop app export the same rows.

- CSV: amounts in plain major units ("1234.50", no symbol, no grouping); times in ISO 8601
  UTC; every text cell is neutralised against spreadsheet formulas (CSV injection), as the
  results export does.
- JSON: `{"sale", "currency", "kind", "minor_unit_digits", "rows"}` with amounts as integers of
  the minor unit (exact; never a float).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.backend.money import decimals, format_plain_amount
from hub.backend.results import _safe_cell
from hub.backend.statements import InvoiceDoc, PaymentDoc, SettlementDoc

JSON = dict[str, Any]

FORMATS = ("csv", "json")
_DOC_COLUMNS = (
    "number",
    "kind",
    "refers_to",
    "issued",
    "seq",
    "session",
    "paddle",
    "name",
    "country",
    "vat_id",
    "currency",
    "hammer",
    "premium",
    "surcharge",
    "vat",
    "margin_vat",
    "sales_tax",
    "arr",
    "total",
    "reason",
    "by",
)
_LINE_COLUMNS = (
    "number",
    "lot",
    "title",
    "hammer_seq",
    "kind",
    "label",
    "rate_bp",
    "vat_scheme",
    "currency",
    "amount",
)
_PAYMENT_COLUMNS = (
    "id",
    "kind",
    "seq",
    "at",
    "of",
    "payer",
    "third_party_reason",
    "method",
    "reference",
    "currency",
    "amount",
    "by",
)
_SETTLEMENT_COLUMNS = (
    "consignor",
    "name",
    "iban",
    "lots",
    "sold",
    "currency",
    "hammer",
    "deductions",
    "net",
    "paid_out",
    "due",
    "payout_date",
    "absolute",
)
# Columns holding amounts of the minor unit (major units in CSV).
AMOUNTS = frozenset(
    {"hammer", "premium", "surcharge", "vat", "margin_vat", "sales_tax", "arr", "total"}
    | {"amount", "deductions", "net", "paid_out", "due"}
)


class ExportError(ValueError):
    """An export that does not exist (unknown kind or format)."""


@dataclass(frozen=True, slots=True)
class Books:
    """Everything one sale's exports are made of."""

    sale: str
    currency: str
    invoices: Sequence[InvoiceDoc] = ()
    credit_notes: Sequence[InvoiceDoc] = ()
    payments: Sequence[PaymentDoc] = ()  # payments, refunds and payouts, in journal order
    settlements: Sequence[SettlementDoc] = ()


def _iso(at: float | None) -> str:
    if at is None:
        return ""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def _doc_row(doc: InvoiceDoc) -> JSON:
    t = doc.totals
    return {
        "number": doc.number,
        "kind": doc.kind,
        "refers_to": doc.refers_to or "",
        "issued": _iso(doc.issued_at),
        "seq": doc.seq,
        "session": doc.session,
        "paddle": doc.paddle,
        "name": doc.buyer.name,
        "country": doc.buyer.country,
        "vat_id": doc.buyer.vat_id,
        "currency": doc.currency,
        "hammer": t.hammer,
        "premium": t.premium,
        "surcharge": t.surcharge,
        "vat": t.vat,
        "margin_vat": t.margin_vat,
        "sales_tax": t.sales_tax,
        "arr": t.arr,
        "total": t.total,
        "reason": doc.reason,
        "by": doc.by,
    }


def _line_rows(docs: Sequence[InvoiceDoc]) -> list[JSON]:
    return [
        {
            "number": doc.number,
            "lot": line.lot,
            "title": line.title,
            "hammer_seq": line.hammer_seq,
            "kind": line.kind,
            "label": line.label,
            "rate_bp": line.rate_bp,
            "vat_scheme": line.vat_scheme,
            "currency": doc.currency,
            "amount": line.amount,
        }
        for doc in docs
        for line in doc.lines
    ]


def _payment_row(p: PaymentDoc, currency: str) -> JSON:
    return {
        "id": p.id,
        "kind": p.kind,
        "seq": p.seq,
        "at": _iso(p.at),
        "of": p.reference_of,
        "payer": p.payer,
        "third_party_reason": p.third_party_reason,
        "method": p.method,
        "reference": p.reference,
        "currency": currency,
        "amount": p.amount,
        "by": p.by,
    }


def _settlement_row(s: SettlementDoc) -> JSON:
    return {
        "consignor": s.consignor.reference,
        "name": s.consignor.name,
        "iban": s.consignor.iban,
        "lots": len(s.lots),
        "sold": sum(1 for lot in s.lots if lot.status == "sold"),
        "currency": s.currency,
        "hammer": s.hammer,
        "deductions": s.deductions,
        "net": s.net,
        "paid_out": s.paid_out,
        "due": s.due,
        "payout_date": s.payout_date or "",
        "absolute": s.absolute,
    }


def _payments_of(kind: str) -> Callable[[Books], list[JSON]]:
    def rows(books: Books) -> list[JSON]:
        return [_payment_row(p, books.currency) for p in books.payments if p.kind == kind]

    return rows


# kind → (columns, rows)
KINDS: dict[str, tuple[tuple[str, ...], Callable[[Books], list[JSON]]]] = {
    "invoices": (_DOC_COLUMNS, lambda b: [_doc_row(d) for d in b.invoices]),
    "credit_notes": (_DOC_COLUMNS, lambda b: [_doc_row(d) for d in b.credit_notes]),
    "lines": (_LINE_COLUMNS, lambda b: _line_rows([*b.invoices, *b.credit_notes])),
    "payments": (_PAYMENT_COLUMNS, _payments_of("payment")),
    "refunds": (_PAYMENT_COLUMNS, _payments_of("refund")),
    "payouts": (_PAYMENT_COLUMNS, _payments_of("payout")),
    "settlements": (_SETTLEMENT_COLUMNS, lambda b: [_settlement_row(s) for s in b.settlements]),
}


def rows(books: Books, kind: str) -> list[JSON]:
    """The rows of one export kind, amounts as integers of the minor unit."""
    if kind not in KINDS:
        raise ExportError(f"no export {kind!r} (known: {', '.join(KINDS)})")
    return KINDS[kind][1](books)


def export_csv(books: Books, kind: str) -> str:
    """One export kind as CSV text (amounts in plain major units, formula-safe cells)."""
    data = rows(books, kind)
    columns = KINDS[kind][0]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in data:
        writer.writerow([_cell(col, row.get(col), books.currency) for col in columns])
    return out.getvalue()


def _cell(column: str, value: Any, currency: str) -> str:
    if value is None:
        return ""
    if column in AMOUNTS:
        return format_plain_amount(int(value), currency)
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, int):
        return str(value)
    return _safe_cell(str(value))


def export_json(books: Books, kind: str) -> str:
    """One export kind as JSON (amounts as integers of the minor unit)."""
    body = {
        "sale": books.sale,
        "currency": books.currency,
        "kind": kind,
        "minor_unit_digits": decimals(books.currency),
        "rows": rows(books, kind),
    }
    return json.dumps(body, ensure_ascii=False, indent=1)


def export(books: Books, kind: str, fmt: str) -> tuple[str, str]:
    """(text, media type) of one export: `fmt` is "csv" or "json"."""
    if fmt == "csv":
        return export_csv(books, kind), "text/csv; charset=utf-8"
    if fmt == "json":
        return export_json(books, kind), "application/json"
    raise ExportError(f"no export format {fmt!r} (known: {', '.join(FORMATS)})")
