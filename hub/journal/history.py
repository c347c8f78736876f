"""Read side for the Mercure hub's history: records after a seq, in bounded pages.

Uses its own read-only connection (`mode=ro`): in WAL mode a reader never blocks the
sequencer's writer, and the writer never blocks it. `seq` is the rowid, so each page is an
O(log n) seek plus a sequential scan.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator

from hub.journal.db import connect_reader
from hub.journal.records import SELECT_COLUMNS, Record


class JournalHistory:
    """Read-only access to committed records. Not thread-safe: one per thread or task."""

    def __init__(self, path: str | os.PathLike[str], page_size: int = 500) -> None:
        self.page_size = max(1, page_size)
        self._conn: sqlite3.Connection = connect_reader(path)
        self._sale = ""

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> JournalHistory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def sale(self) -> str:
        if not self._sale:
            row = self._conn.execute("SELECT json FROM projections WHERE key = 'sale'").fetchone()
            self._sale = json.loads(row[0]).get("id", "") if row else ""
        return self._sale

    def last_seq(self) -> int:
        row = self._conn.execute("SELECT MAX(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def get(self, seq: int) -> Record | None:
        row = self._conn.execute(
            f"SELECT {SELECT_COLUMNS} FROM events WHERE seq = ?", (seq,)
        ).fetchone()
        return Record.from_row(row, self.sale) if row else None

    def page(self, after: int, limit: int | None = None) -> list[Record]:
        """At most `limit` (default page_size) records with seq > after, in seq order."""
        rows = self._conn.execute(
            f"SELECT {SELECT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit or self.page_size),
        ).fetchall()
        sale = self.sale
        return [Record.from_row(r, sale) for r in rows]

    def after(self, seq: int, until: int | None = None) -> Iterator[Record]:
        """Every record with seq > `seq` (and <= `until` if given), one page at a time.

        Pass `until` = the snapshot seq taken when the subscriber registered, so replay stops
        where the live queue takes over (subscribe, then replay, then flush).
        """
        last = seq
        while True:
            page = self.page(last)
            for record in page:
                if until is not None and record.seq > until:
                    return
                yield record
            if len(page) < self.page_size:
                return
            last = page[-1].seq
