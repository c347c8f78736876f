"""Post-sale results: one row per lot (status, hammer price, buyer) and their CSV export.

Pure functions over staff lot views, so the desktop app, `auctionmen results` and the gateway
compute the same rows. `journal_results` reads them straight from a journal file (state =
replay(journal)), with no stage running.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from hub.backend.money import format_plain_amount
from hub.journal.db import connect_reader
from hub.journal.replay import load_engine

COLUMNS = (
    "lot",
    "title",
    "status",
    "hammer",
    "currency",
    "paddle",
    "channel",
    "low",
    "high",
    "reserve",
    "subject_to",
)

STATUS_LABELS = {
    "pending": "Waiting",
    "open": "Open",
    "fair_warning": "Fair warning",
    "sold": "Sold",
    "passed": "Passed",
    "withdrawn": "Withdrawn",
}
DASH = "—"


class ResultRow(TypedDict):
    lot: str
    title: str
    status: str
    hammer: int | None
    currency: str
    paddle: str | None
    channel: str | None
    low: int | None
    high: int | None
    reserve: int | None
    subject_to: bool


def status_label(status: str | None) -> str:
    """ "fair_warning" → "Fair warning"; unknown statuses are title-cased; none → "—"."""
    return STATUS_LABELS.get(status or "", (status or "").replace("_", " ").title() or DASH)


def hammer_amount(lot: Mapping[str, Any]) -> int | None:
    """The hammer price of a sold lot (summary or full view), else None."""
    if lot.get("status") != "sold":
        return None
    hammer = lot.get("hammer")
    if isinstance(hammer, Mapping):
        amount = hammer.get("amount")
        return int(amount) if isinstance(amount, int) else None
    return int(hammer) if isinstance(hammer, int) and not isinstance(hammer, bool) else None


def result_rows(lots: Iterable[Mapping[str, Any]], currency: str) -> list[ResultRow]:
    """One row per lot (staff lot views, catalogue order): status, hammer price, buyer."""
    rows: list[ResultRow] = []
    for lot in sorted(lots, key=lambda x: x.get("order") or 0):
        raw = lot.get("hammer")
        hammer: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        estimate = lot.get("estimate") or {}
        sold = lot.get("status") == "sold"
        rows.append(
            {
                "lot": lot.get("id", ""),
                "title": lot.get("title", ""),
                "status": lot.get("status", ""),
                "hammer": hammer_amount(lot),
                "currency": currency,
                "paddle": hammer.get("paddle") if sold else None,
                "channel": hammer.get("channel") if sold else None,
                "low": estimate.get("low"),
                "high": estimate.get("high"),
                "reserve": lot.get("reserve"),
                "subject_to": bool(hammer.get("subject_to")),
            }
        )
    return rows


def _safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a leading = + - @ tab or CR."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def results_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as CSV text (amounts in major units, plain numbers)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        currency = str(row.get("currency") or "EUR")
        cells = []
        for col in COLUMNS:
            value = row.get(col)
            if col in ("hammer", "low", "high", "reserve"):
                cells.append(format_plain_amount(value, currency))
            elif col == "status":
                cells.append(status_label(str(value or "")))
            elif col == "subject_to":
                cells.append("yes" if value else "")
            else:
                cells.append(_safe_cell("" if value is None else str(value)))
        writer.writerow(cells)
    return out.getvalue()


def journal_results(path: str | os.PathLike[str]) -> list[ResultRow]:
    """The results of the sale journaled at `path`, read-only (a running stage is not
    disturbed). Raises `hub.journal.db.JournalError` for a missing or foreign file."""
    conn = connect_reader(path)
    try:
        engine = load_engine(conn)
    finally:
        conn.close()
    lots = [view for lot_id in engine.lots if (view := engine.staff_lot(lot_id)) is not None]
    return result_rows(lots, engine.sale.settings.currency)
