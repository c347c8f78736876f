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

JSON = dict[str, Any]
IDENTITY_FIELDS = ("name", "email", "phone", "address", "country")
ONLINE_PADDLES_FROM = 7001  # online paddles never collide with the room's numbers


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

    def add(self, sale: str, paddle: str, fields: JSON) -> None:
        with self.db.conn:
            self.table.insert(
                {
                    "sale": sale,
                    "paddle": paddle,
                    "name": fields.get("name", ""),
                    "email": fields.get("email", ""),
                    "phone": fields.get("phone", ""),
                    "address": fields.get("address", ""),
                    "country": fields.get("country", ""),
                    "created": time.time(),
                    "erased": None,
                },
                replace=True,
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
