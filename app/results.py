"""The results of a sale as rows, and their CSV export. Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from app.formatting import format_plain_amount, status_label
from app.progress import hammer_amount

COLUMNS = ("lot", "title", "status", "hammer", "currency", "paddle", "channel",
           "low", "high", "reserve", "subject_to")


def result_rows(lots: Iterable[Mapping[str, Any]], currency: str) -> list[dict[str, Any]]:
    """One row per lot (staff lot views, catalogue order): status, hammer price, buyer."""
    rows = []
    for lot in sorted(lots, key=lambda x: x.get("order") or 0):
        hammer = lot.get("hammer") if isinstance(lot.get("hammer"), Mapping) else {}
        estimate = lot.get("estimate") or {}
        rows.append({
            "lot": lot.get("id", ""),
            "title": lot.get("title", ""),
            "status": lot.get("status", ""),
            "hammer": hammer_amount(lot),
            "currency": currency,
            "paddle": (hammer or {}).get("paddle") if lot.get("status") == "sold" else None,
            "channel": (hammer or {}).get("channel") if lot.get("status") == "sold" else None,
            "low": estimate.get("low"),
            "high": estimate.get("high"),
            "reserve": lot.get("reserve"),
            "subject_to": bool((hammer or {}).get("subject_to")),
        })
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
