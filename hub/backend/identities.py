"""Bidder identities (names, contact details): personal data kept OUTSIDE the journal.

The journal names bidders only by paddle, so erasing a person when the retention period
ends leaves the hash-chained legal record intact.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.db import NotFoundError

from hub.auction.text import text_problem

JSON = dict[str, Any]
IDENTITY_FIELDS = ("name", "email", "phone", "address", "country")
# Longest accepted value of each field; only the address has several lines.
LIMITS = {"name": 200, "email": 254, "phone": 40, "address": 500, "country": 60}
ONLINE_PADDLES_FROM = 7001  # online paddles never collide with the room's numbers


class IdentityError(ValueError):
    """Identity fields that cannot be stored: the message says which field and why."""


def clean_identity(fields: JSON) -> dict[str, str]:
    """The identity fields of `fields`, trimmed, or IdentityError: display text only (no
    control characters, no lone surrogates, no line breaks but in the address)."""
    out: dict[str, str] = {}
    for name in IDENTITY_FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise IdentityError(f"'{name}' must be text")
        # The text as sent: str.strip() would quietly drop a trailing NEL or U+2028.
        problem = text_problem(value, limit=LIMITS[name], multiline=name == "address")
        if problem is not None:
            raise IdentityError(f"'{name}' {problem}")
        out[name] = value.strip()
    return out


class IdentityStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=False))
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.table = self.db.table("identities")
        if not self.table.exists():
            self.table.create(
                {
                    "sale": str,
                    "paddle": str,
                    "name": str,
                    "email": str,
                    "phone": str,
                    "address": str,  # postal address, lines joined by newlines (invoices)
                    "country": str,  # ISO 3166 alpha-2 (invoices, e-invoices)
                    "created": float,
                    "erased": float,
                },
                pk=("sale", "paddle"),
            )
        # Stores made before invoices had no address: add the columns, keep the rows.
        for column in ("address", "country"):
            if column not in self.table.columns_dict:
                self.table.add_column(column, str, not_null_default="")

    def add(self, sale: str, paddle: str, fields: JSON) -> float:
        """Store (or replace) a bidder's identity; checked first (IdentityError), so a bad
        value never half-writes. Returns the row's `created` stamp (see `remove`)."""
        clean = clean_identity(fields)
        created = time.time()
        with self.db.conn:
            self.table.insert(
                {
                    "sale": sale,
                    "paddle": paddle,
                    **{name: clean.get(name, "") for name in IDENTITY_FIELDS},
                    "created": created,
                    "erased": None,
                },
                replace=True,
            )
        return created

    def remove(self, sale: str, paddle: str, created: float) -> None:
        """Undo an `add` whose registration the journal then refused: only that very row
        (`created` as `add` returned it), never one written since."""
        with self.db.conn:
            self.db.execute(
                "DELETE FROM identities WHERE sale = ? AND paddle = ? AND created = ?",
                [sale, paddle, created],
            )

    def get(self, sale: str, paddle: str) -> JSON | None:
        try:
            row: JSON = self.table.get((sale, paddle))
        except NotFoundError:
            return None
        return row

    def next_online_paddle(self, sale: str, taken: set[str]) -> str:
        numbers = [int(p) for p in taken if p.isdigit()]
        for row in self.db.query("SELECT paddle FROM identities WHERE sale = ?", [sale]):
            if row["paddle"].isdigit():
                numbers.append(int(row["paddle"]))
        return str(max([ONLINE_PADDLES_FROM - 1, *numbers]) + 1)

    def erase(self, sale: str, paddle: str) -> None:
        """Forget a person (end of retention) but keep the paddle row, so nothing dangles."""
        with self.db.conn:
            self.table.update(
                (sale, paddle),
                {
                    "name": "",
                    "email": "",
                    "phone": "",
                    "address": "",
                    "country": "",
                    "erased": time.time(),
                },
            )

    def close(self) -> None:
        self.db.close()
