"""House-wide, gap-free invoice and credit-note numbers: `INV-2026-00001`, `CN-2026-00001`.

Numbers live only in the journals: the next one is 1 + the largest of that series and year
found in any sale journal under `{data_dir}/sales/`. A number is allocated under an exclusive
`flock` on `{data_dir}/numbering.lock` and the caller journals its command while still holding
it; a refused or failed command journals nothing, so the next allocation hands the same number
out again and no gap appears.

    with numbering.allocate("INV", 2026) as numbers:      # blocking (CLI, other processes)
        ...
    async with numbering.allocate_async("INV", 2026) as numbers:   # on an event loop
        await sequencer.submit({... "number": numbers[0] ...}, actor)

Journals are read read-only (WAL readers never block a running stage), and only the events
appended since the last look are read again: an unchanged journal costs one
`PRAGMA data_version` on a kept connection.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hub.auction.parse import SALE_ID
from hub.journal.db import JournalError, connect_reader

SERIES = ("INV", "CN")
NUMBER = re.compile(r"(INV|CN)-(\d{4})-(\d{5})")  # as the core checks them
LAST = 99_999  # the most numbers of one series in one year
NUMBERED_EVENTS = ("invoice_issued", "credit_note_issued")
MAX_COUNT = 10_000  # numbers in one allocation (issue_all for a large sale)
MAX_OPEN = 64  # journals kept open for reading between allocations (3 descriptors each)
_POLL = 0.005  # seconds between tries of the lock on an event loop (never blocks the loop)


class NumberingError(Exception):
    """Numbers cannot be allocated: a bad request or an unreadable journal; says why."""


def format_number(series: str, year: int, n: int) -> str:
    """`("INV", 2026, 7)` → "INV-2026-00007"."""
    return f"{series}-{year:04d}-{n:05d}"


def parse_number(text: object) -> tuple[str, int, int] | None:
    """ "INV-2026-00007" → ("INV", 2026, 7); anything else → None."""
    if not isinstance(text, str):
        return None
    match = NUMBER.fullmatch(text)
    if match is None:
        return None
    return match[1], int(match[2]), int(match[3])


@dataclass(slots=True)
class _Seen:
    """One journal as last read: its reader connection, last seq read, largest numbers."""

    inode: int
    conn: sqlite3.Connection | None  # kept open (None: over MAX_OPEN, opened for each read)
    version: int = -1  # PRAGMA data_version when last read: it moves when anyone commits
    seq: int = 0
    head: str = ""  # the hash of event `seq`: a file replaced under the same name shows another
    largest: dict[tuple[str, int], int] = field(default_factory=dict)


class Numbering:
    """Allocates numbers for every sale of the house in `data_dir`.

    It keeps a read-only connection to each journal it reads (the first `MAX_OPEN` of them;
    the others are opened for each read), so an unchanged journal costs one
    `PRAGMA data_version` per allocation.
    """

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.data_dir = Path(data_dir)
        self.lock_path = self.data_dir / "numbering.lock"
        self._seen: dict[Path, _Seen] = {}

    # ------------------------------------------------------------------ reading

    def last(self, series: str, year: int) -> int:
        """The largest number of `series` and `year` journaled in any sale (0: none yet)."""
        _check(series, year, 1)
        folder = self.data_dir / "sales"
        paths = sorted(p for p in folder.glob("*.db") if SALE_ID.fullmatch(p.stem))
        for gone in set(self._seen) - set(paths):
            self._forget(gone)
        return max([0, *(self._scan(path).get((series, year), 0) for path in paths)])

    def _scan(self, path: Path) -> dict[tuple[str, int], int]:
        try:
            inode = path.stat().st_ino
        except FileNotFoundError:
            return {}
        seen = self._seen.get(path)
        if seen is not None and seen.inode != inode:
            self._forget(path)  # replaced (a demo reset): read the new file whole
            seen = None
        kept = sum(1 for x in self._seen.values() if x.conn is not None)
        if seen is None:
            seen = self._seen[path] = _Seen(inode, None)
            if kept < MAX_OPEN:
                seen.conn = self._open(path)
        if seen.conn is not None:
            conn, temporary = seen.conn, False
        else:
            conn, temporary = self._open(path), True
        try:
            self._read(seen, conn)
        except sqlite3.Error as exc:
            self._forget(path)
            raise NumberingError(f"cannot read {path.name} to number documents: {exc}") from exc
        finally:
            if temporary:
                conn.close()
        return seen.largest

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        try:
            return connect_reader(path)
        except JournalError as exc:
            # A number hidden in a journal we cannot read could be handed out twice.
            raise NumberingError(f"cannot read {path.name} to number documents: {exc}") from exc

    @staticmethod
    def _read(seen: _Seen, conn: sqlite3.Connection) -> None:
        """The invoice and credit-note events appended since the last read, if any."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if conn is seen.conn and version == seen.version:
            return  # nobody committed to it since (a version only compares on one connection)
        conn.execute("BEGIN")  # one snapshot for every query
        try:
            top, head = conn.execute(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
            ).fetchone() or (0, "")
            if seen.seq and _hash_at(conn, seen.seq) != seen.head:
                seen.seq, seen.largest = 0, {}  # not the file we read before: read it whole
            rows = conn.execute(
                "SELECT data FROM events WHERE seq > ? AND type IN (?, ?)",
                (seen.seq, *NUMBERED_EVENTS),
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        for (data,) in rows:
            parsed = parse_number(json.loads(data).get("number"))
            if parsed is not None:
                key = parsed[:2]
                seen.largest[key] = max(seen.largest.get(key, 0), parsed[2])
        seen.seq, seen.head, seen.version = top, head, version

    def _forget(self, path: Path) -> None:
        seen = self._seen.pop(path, None)
        if seen is not None and seen.conn is not None:
            seen.conn.close()

    def close(self) -> None:
        """Close the journals' reader connections (they reopen on the next allocation)."""
        for path in list(self._seen):
            self._forget(path)

    def next_numbers(self, series: str, year: int, count: int = 1) -> list[str]:
        """The next `count` numbers (read only: hold the lock to use them)."""
        _check(series, year, count)
        start = self.last(series, year) + 1
        if start + count - 1 > LAST:
            raise NumberingError(f"the {series} numbers of {year} are used up ({LAST})")
        return [format_number(series, year, n) for n in range(start, start + count)]

    # ------------------------------------------------------------------ allocating

    @contextmanager
    def allocate(self, series: str, year: int, count: int = 1) -> Iterator[list[str]]:
        """Hold the house's numbering lock (waiting for it) and yield the next numbers; the
        caller journals the commands that use them before the block ends."""
        _check(series, year, count)
        fd = self._open_lock()
        try:
            if sys.platform != "win32":  # pragma: no branch - POSIX only here
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX)
            yield self.next_numbers(series, year, count)
        finally:
            os.close(fd)  # closing the descriptor drops the flock

    @asynccontextmanager
    async def allocate_async(
        self, series: str, year: int, count: int = 1
    ) -> AsyncIterator[list[str]]:
        """`allocate` for code on an event loop: waits for the lock without blocking the loop
        (another sale's cashier on the same loop may hold it while it journals)."""
        _check(series, year, count)
        fd = self._open_lock()
        try:
            if sys.platform != "win32":  # pragma: no branch - POSIX only here
                import fcntl

                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        await asyncio.sleep(_POLL)
            yield self.next_numbers(series, year, count)
        finally:
            os.close(fd)

    def _open_lock(self) -> int:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise NumberingError(f"cannot lock {self.lock_path}: {exc.strerror or exc}") from exc


def _hash_at(conn: sqlite3.Connection, seq: int) -> str | None:
    row = conn.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()
    return row[0] if row else None


def _check(series: str, year: int, count: int) -> None:
    if series not in SERIES:
        raise NumberingError(f"unknown number series {series!r} (known: {', '.join(SERIES)})")
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise NumberingError(f"the year must have four digits, not {year!r}")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise NumberingError(f"allocate 1 to {MAX_COUNT} numbers at a time, not {count!r}")
