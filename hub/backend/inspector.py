"""The inspector's sheets beside `auctionmen journal export`: who bought what, who was paid.

The journal names buyers by paddle only; where the law asks for it (the dealer's register, AML
inspections) the inspector also needs each buyer's name and address, and each consignor's.
Those come from the identities file beside the journal (`{data_dir}/identities.db`), read-only,
so a running sale is never disturbed. `pii=False` (`--no-pii`) writes the same sheets without
any name, address, email or bank detail: paddles and references only.

- `clerk_sheet.{csv,json}`: one row per lot (lot, title, status, buyer paddle, hammer, and
  with PII the buyer's name, address and country; "erased" when retention erased them).
- `settlements.{csv,json}`: one row per consignor (lots, sold, hammer, deductions, net, paid
  out, due, and with PII the consignor's name, address and IBAN).

CSV amounts are plain major units and text cells are formula-safe (as the accounting
exports); JSON amounts are integers of the minor unit.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from hub.auction.state import Auction
from hub.backend import exports, ledger
from hub.backend.consignors import party_of
from hub.backend.money import decimals, format_plain_amount
from hub.backend.results import _safe_cell
from hub.journal.db import JournalError, connect_reader
from hub.journal.replay import load_engine

JSON = dict[str, Any]
CLERK_COLUMNS = ("lot", "title", "status", "buyer", "currency", "hammer")
BUYER_PII = ("buyer_name", "buyer_address", "buyer_country")
SETTLEMENT_COLUMNS = (
    "consignor",
    "lots",
    "sold",
    "currency",
    "hammer",
    "deductions",
    "net",
    "paid_out",
    "due",
)
CONSIGNOR_PII = ("name", "address", "iban")
AMOUNTS = frozenset({"hammer", "deductions", "net", "paid_out", "due"})
FORMATS = ("csv", "json", "both")


class InspectorError(ValueError):
    """A journal or identities file that cannot be read; the message says which and why."""


def data_dir_of(db: Path) -> Path:
    """The data dir a journal lives in (`{data_dir}/sales/{sale}.db`), else its folder."""
    folder = Path(db).resolve().parent
    return folder.parent if folder.name == "sales" else folder


def _state(db: Path) -> Auction:
    try:
        conn = connect_reader(db)
    except (JournalError, sqlite3.DatabaseError) as exc:
        raise InspectorError(f"{db}: not a readable journal: {exc}") from None
    try:
        return load_engine(conn).state
    except (JournalError, sqlite3.DatabaseError) as exc:
        raise InspectorError(f"{db}: not a readable journal: {exc}") from None
    finally:
        conn.close()


def _people(data_dir: Path, sale: str) -> tuple[dict[str, JSON], dict[str, JSON]]:
    """(buyers by paddle, consignors by reference) from the identities file, read-only."""
    path = data_dir / "identities.db"
    if not path.is_file():
        return {}, {}
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        buyers = {}
        if "identities" in tables:
            rows = conn.execute("SELECT * FROM identities WHERE sale = ?", [sale])
            buyers = {str(r["paddle"]): dict(r) for r in rows}
        consignors = {}
        if "consignors" in tables:
            rows = conn.execute("SELECT * FROM consignors")
            consignors = {str(r["reference"]): dict(r) for r in rows}
        conn.close()
    except sqlite3.Error as exc:
        raise InspectorError(f"{path}: not a readable identities file: {exc}") from None
    return buyers, consignors


def _person(row: JSON | None, *fields: str) -> list[str]:
    if row is None:
        return ["" for _ in fields]
    if row.get("erased") is not None:
        return ["erased", *("" for _ in fields[1:])]
    return [str(row.get(f) or "") for f in fields]


def sheets(db: Path, *, pii: bool) -> tuple[str, dict[str, list[JSON]]]:
    """(currency, {sheet: rows}) of the sale journaled at `db`; amounts as integers."""
    state = _state(db)
    buyers, consignors = _people(data_dir_of(db), state.sale.id)
    currency = state.sale.settings.currency
    clerk: list[JSON] = []
    for lot in sorted(state.lots.values(), key=lambda lot: lot.order):
        hammer = lot.hammer or {}
        paddle = str(hammer.get("paddle") or "") if lot.status == "sold" else ""
        row: JSON = {
            "lot": lot.id,
            "title": lot.title,
            "status": lot.status,
            "buyer": paddle,
            "currency": currency,
            "hammer": hammer.get("amount") if lot.status == "sold" else None,
        }
        if pii:
            name, address, country = _person(buyers.get(paddle), "name", "address", "country")
            row.update(buyer_name=name, buyer_address=address, buyer_country=country)
        clerk.append(row)
    books = ledger.books(
        state,
        lambda paddle: ledger.buyer_party(paddle, buyers.get(paddle)),
        lambda ref: party_of(ref, consignors.get(ref)),
    )
    settled: list[JSON] = []
    for base in exports.rows(books, "settlements"):
        row = {col: base.get(col) for col in SETTLEMENT_COLUMNS}
        if pii:
            found = consignors.get(str(base["consignor"]))
            name, address, iban = _person(found, "name", "address", "iban")
            row.update(name=name, address=address, iban=iban)
        settled.append(row)
    return currency, {"clerk_sheet": clerk, "settlements": settled}


def _columns(sheet: str, pii: bool) -> tuple[str, ...]:
    if sheet == "clerk_sheet":
        return CLERK_COLUMNS + (BUYER_PII if pii else ())
    return SETTLEMENT_COLUMNS + (CONSIGNOR_PII if pii else ())


def _cell(column: str, value: Any, currency: str) -> str:
    if value is None:
        return ""
    if column in AMOUNTS:
        return format_plain_amount(int(value), currency)
    if isinstance(value, int):
        return str(value)
    return _safe_cell(str(value))


def write_sheets(db: Path, out_dir: Path, *, pii: bool = True, fmt: str = "both") -> list[Path]:
    """Write the inspector's sheets of the sale at `db` into `out_dir`; the paths written."""
    if fmt not in FORMATS:
        raise InspectorError(f"format is {', '.join(FORMATS)}")
    currency, tables = sheets(Path(db), pii=pii)
    out = Path(out_dir)
    written = []
    for sheet, rows in tables.items():
        columns = _columns(sheet, pii)
        if fmt in ("csv", "both"):
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(c, row.get(c), currency) for c in columns])
            written.append(_write(out / f"{sheet}.csv", text.getvalue()))
        if fmt in ("json", "both"):
            body = {
                "sheet": sheet,
                "currency": currency,
                "minor_unit_digits": decimals(currency),
                "personal_data": pii,
                "rows": rows,
            }
            text_json = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
            written.append(_write(out / f"{sheet}.json", text_json))
    return written


def _write(path: Path, text: str) -> Path:
    partial = path.with_name(path.name + ".part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path
