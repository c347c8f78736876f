"""A simulated disk that loses power, and a sqlite3-shaped connection that runs on it.

`PowerLossVFS` is an APSW VFS (APSW bundles its own SQLite). Every database, WAL and rollback
journal file lives in memory as two images: the *durable* one (as of the file's last xSync) and
the list of writes and truncations made since (the *volatile* part, which a page cache still
holds). `crash()` cuts the power: from that instant every I/O call fails (the process is as
good as dead: nothing it does afterwards can reach the disk or be acknowledged), and each file
becomes its durable image plus what the disk happened to keep of the volatile part:

- `lose_all`: nothing unsynced survives;
- `torn`: each unsynced write survives whole, not at all, or in part (some of its 512-byte
  sectors), independently and so possibly out of order, as SQLite's own crash tests model a
  disk (bytes outside a write are never touched: the POWERSAFE_OVERWRITE promise).

Locks and the WAL index (`-shm`) pass through to a real file in a scratch folder: the index
is not persistent state (the first opener after a reboot rebuilds it), so the images are
written out without it. Creating or deleting a file is durable at once (directory entries are
not simulated: SQLite syncs the directory of a new WAL itself).

`ApswConnection` gives the handful of `sqlite3.Connection` methods the journal uses (and
`sqlite_utils.Database` on top of it), translating APSW's errors into sqlite3's, so the
journal's own code runs unchanged over the VFS. `rewrite` lets a negative control change one
statement (the `synchronous` pragma) and nothing else.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import apsw

SECTOR = 512
_names = itertools.count()

Op = tuple[str, int, bytes]  # ("w", offset, data) or ("t", size, b"")


class PowerOff(apsw.IOError):
    """Raised by every I/O call once the power is cut."""


@dataclass
class MemFile:
    """One file's two images."""

    durable: bytearray = field(default_factory=bytearray)
    current: bytearray = field(default_factory=bytearray)
    unsynced: list[Op] = field(default_factory=list)

    def write(self, data: bytes, offset: int) -> None:
        if offset > len(self.current):
            self.current.extend(bytes(offset - len(self.current)))
        self.current[offset : offset + len(data)] = data
        self.unsynced.append(("w", offset, bytes(data)))

    def truncate(self, size: int) -> None:
        del self.current[size:]
        self.unsynced.append(("t", size, b""))

    def sync(self) -> None:
        self.durable = bytearray(self.current)
        self.unsynced.clear()

    def after_power_loss(self, rng: random.Random, mode: str) -> bytes:
        """The bytes the disk holds once power is back."""
        image = bytearray(self.durable)
        if mode == "lose_all":
            return bytes(image)
        for kind, offset, data in self.unsynced:
            fate = rng.random()
            if fate < 0.35:
                continue  # never reached the platter
            if kind == "t":
                del image[offset:]
                continue
            if offset > len(image):
                image.extend(bytes(offset - len(image)))
            if fate < 0.7:
                image[offset : offset + len(data)] = data
                continue
            for start in range(0, len(data), SECTOR):  # torn: some sectors only
                if rng.random() < 0.5:
                    chunk = data[start : start + SECTOR]
                    end = offset + start + len(chunk)
                    if end > len(image):
                        image.extend(bytes(end - len(image)))
                    image[offset + start : end] = chunk
        return bytes(image)


class PowerLossVFS(apsw.VFS):
    """Register once per test (a unique name); `files` maps a path to its MemFile."""

    def __init__(self) -> None:
        self.vfs_name = f"powerloss{next(_names)}"
        super().__init__(self.vfs_name, "")
        self.files: dict[str, MemFile] = {}
        self.powered = True
        self.crash_at: int | None = None  # cut the power at this disk change (1-based)
        self.io_calls = 0
        self.syncs = 0

    # -- the test's controls

    def load(self, path: Path, data: bytes) -> None:
        """Put a file on the disk, durable (a journal as a clean stop left it)."""
        self.files[str(path)] = MemFile(bytearray(data), bytearray(data))

    def crash(self, rng: random.Random, mode: str) -> dict[str, bytes]:
        """Cut the power now; return each file's content after the reboot."""
        self.powered = False
        return {name: f.after_power_loss(rng, mode) for name, f in self.files.items()}

    def io(self, changes_disk: bool = False) -> None:
        """Fail every call once the power is cut; count the calls that change the disk.

        The power goes at one of those (a write, truncate, sync or delete): a cut between two
        reads leaves the same disk as a cut at the next change.
        """
        if not self.powered:
            raise PowerOff("the power is off")
        if not changes_disk:
            return
        self.io_calls += 1
        if self.crash_at is not None and self.io_calls >= self.crash_at:
            self.powered = False
            raise PowerOff("the power went off")

    # -- apsw.VFS

    def xOpen(self, name: Any, flags: list[int]) -> apsw.VFSFile:
        path = name.filename() if isinstance(name, apsw.URIFilename) else name
        kinds = apsw.SQLITE_OPEN_MAIN_DB | apsw.SQLITE_OPEN_WAL | apsw.SQLITE_OPEN_MAIN_JOURNAL
        if path is None or not flags[0] & kinds:
            return apsw.VFSFile("", name, flags)  # temp files: the real disk, untouched
        self.io()
        mem = self.files.setdefault(path, MemFile())
        return _File(self, mem, name, flags)

    def xAccess(self, pathname: str, flags: int) -> bool:
        mem = self.files.get(pathname)
        if mem is not None:
            self.io()
            return flags != apsw.mapping_access["SQLITE_ACCESS_EXISTS"] or len(mem.current) > 0
        return bool(super().xAccess(pathname, flags))

    def xDelete(self, filename: str, syncdir: bool) -> None:
        if filename in self.files:
            self.io(changes_disk=True)
            del self.files[filename]
            return
        super().xDelete(filename, syncdir)


class _File(apsw.VFSFile):
    """Reads and writes go to the MemFile; locks and the WAL index to the real placeholder."""

    def __init__(self, vfs: PowerLossVFS, mem: MemFile, name: Any, flags: list[int]) -> None:
        super().__init__("", name, flags)
        self.vfs = vfs
        self.mem = mem

    def xRead(self, amount: int, offset: int) -> bytes:
        self.vfs.io()
        return bytes(self.mem.current[offset : offset + amount])  # short: SQLite zero-fills

    def xWrite(self, data: bytes, offset: int) -> None:
        self.vfs.io(changes_disk=True)
        self.mem.write(data, offset)

    def xTruncate(self, newsize: int) -> None:
        self.vfs.io(changes_disk=True)
        self.mem.truncate(newsize)

    def xSync(self, flags: int) -> None:
        self.vfs.io(changes_disk=True)
        self.mem.sync()
        self.vfs.syncs += 1

    def xFileSize(self) -> int:
        self.vfs.io()
        return len(self.mem.current)


# ---------------------------------------------------------------- the sqlite3-shaped adapter


def _translate(exc: apsw.Error) -> sqlite3.Error:
    if isinstance(exc, apsw.ConstraintError):
        out: sqlite3.Error = sqlite3.IntegrityError(str(exc))
    elif isinstance(exc, apsw.CorruptError | apsw.NotADBError):
        out = sqlite3.DatabaseError(str(exc))
    else:
        out = sqlite3.OperationalError(str(exc))
    out.__cause__ = exc
    return out


class ApswCursor:
    """The sqlite3.Cursor surface the journal and sqlite-utils read: rows are tuples."""

    def __init__(self, conn: ApswConnection) -> None:
        self._conn = conn
        self._rows: list[tuple[Any, ...]] = []
        self._pos = 0
        self.description: tuple[tuple[Any, ...], ...] | None = None
        self.lastrowid: int | None = None
        self.rowcount = -1
        self.arraysize = 1

    def execute(self, sql: str, parameters: Any = ()) -> ApswCursor:
        self._run(sql, [parameters])
        return self

    def executemany(self, sql: str, seq: Iterable[Any]) -> ApswCursor:
        self._run(sql, list(seq))
        return self

    def _run(self, sql: str, batches: Sequence[Any]) -> None:
        sql = self._conn.rewrite(sql)
        raw = self._conn.raw
        before = raw.total_changes()
        self._rows, self._pos, self.description = [], 0, None
        try:
            for params in batches:
                cur = raw.cursor()
                cur.exec_trace = self._describe  # sees the prepared statement's columns
                cur.execute(sql, params if params is not None else ())
                self._rows.extend(tuple(r) for r in cur)
        except apsw.Error as exc:
            raise _translate(exc) from exc
        self.lastrowid = raw.last_insert_rowid()
        self.rowcount = raw.total_changes() - before

    def _describe(self, cursor: apsw.Cursor, sql: str, bindings: Any) -> bool:
        columns = cursor.description  # () for a statement without result columns
        self.description = tuple((c[0], *(None,) * 6) for c in columns) or None
        return True

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._pos >= len(self._rows):
            return None
        self._pos += 1
        return self._rows[self._pos - 1]

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        n = self.arraysize if size is None else size
        out = self._rows[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def fetchall(self) -> list[tuple[Any, ...]]:
        out = self._rows[self._pos :]
        self._pos = len(self._rows)
        return out

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row

    def close(self) -> None:
        self._rows = []


class ApswConnection:
    """The sqlite3.Connection surface the journal uses, over an APSW connection.

    APSW never opens a transaction by itself: that is exactly `isolation_level=None`, the
    journal's setting, so the attribute is stored and otherwise ignored.
    """

    row_factory = None
    text_factory = str

    def __init__(self, raw: apsw.Connection, rewrite: Callable[[str], str] | None = None) -> None:
        self.raw = raw
        self.rewrite = rewrite or (lambda sql: sql)
        self.isolation_level: str | None = ""

    def cursor(self) -> ApswCursor:
        return ApswCursor(self)

    def execute(self, sql: str, parameters: Any = ()) -> ApswCursor:
        return ApswCursor(self).execute(sql, parameters)

    def executemany(self, sql: str, seq: Iterable[Any]) -> ApswCursor:
        return ApswCursor(self).executemany(sql, seq)

    def executescript(self, sql: str) -> ApswCursor:
        return ApswCursor(self).execute(sql)

    @property
    def in_transaction(self) -> bool:
        return not self.raw.get_autocommit()

    @property
    def total_changes(self) -> int:
        return int(self.raw.total_changes())

    def commit(self) -> None:
        if self.in_transaction:
            self.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.execute("ROLLBACK")

    def create_function(self, name: str, n: int, fn: Callable[..., Any], **_: Any) -> None:
        self.raw.create_scalar_function(name, fn, n)

    def close(self) -> None:
        try:
            self.raw.close(True)
        except apsw.Error:
            pass  # after a power cut the closing checkpoint cannot reach the disk either


def connector(vfs: PowerLossVFS, rewrite: Callable[[str], str] | None = None) -> Any:
    """A `connect(path)` for `Sequencer(connect=...)`: the journal over the simulated disk."""

    def connect(path: Path) -> ApswConnection:
        try:
            raw = apsw.Connection(str(path), vfs=vfs.vfs_name)
        except apsw.Error as exc:
            raise _translate(exc) from exc
        return ApswConnection(raw, rewrite)

    return connect
