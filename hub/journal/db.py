"""Opening the journal file: WAL, synchronous=FULL, explicit transactions.

One writer connection, owned by the sequencer. It keeps Python's legacy transaction control
(sqlite-utils 4 rejects `autocommit=` connections) but with `isolation_level=None`, so the
driver never opens an implicit DEFERRED transaction: every write transaction is an explicit
`BEGIN IMMEDIATE` ... `COMMIT`, which takes the write lock up front.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from hub.journal.migrations import REQUIRED_TABLES, migrations

# Opens the writer's connection to a path. Production uses `sqlite3.connect`; the power-loss
# test passes one that runs the same SQL over a simulated disk (tests/journal/powerloss_vfs.py).
Connect = Callable[[Path], sqlite3.Connection]


class JournalError(Exception):
    """The file is missing, locked by another writer, corrupt or not a journal."""


class JournalLocked(JournalError):
    """Another process already writes this journal."""


def _durability(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA synchronous=FULL")  # the WAL is synced at every COMMIT
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA foreign_keys=ON")
    if sys.platform == "darwin":
        # macOS fsync does not flush the drive cache; F_FULLFSYNC does.
        conn.execute("PRAGMA fullfsync=ON")
        conn.execute("PRAGMA checkpoint_fullfsync=ON")


def open_writer(path: str | os.PathLike[str], connect: Connect | None = None) -> Database:
    """Open (creating if needed) and migrate the journal; the returned handle is the writer."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path) if connect is None else Database(connect(path))
    try:
        db.conn.isolation_level = None
        db.enable_wal()
        _durability(db.conn)
        migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise JournalError(f"{path}: cannot open the journal: {exc}") from exc
    return db


def connect_reader(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A read-only connection (`mode=ro`): WAL readers never block the writer."""
    path = Path(path)
    if not path.exists():
        raise JournalError(f"{path}: no such file")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise JournalError(f"{path}: cannot open: {exc}") from exc
    try:
        conn.execute("PRAGMA query_only=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        check_journal(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise JournalError(f"{path}: not a readable SQLite database: {exc}") from exc
    except JournalError:
        conn.close()
        raise
    return conn


def check_journal(conn: sqlite3.Connection, path: str | os.PathLike[str]) -> None:
    """Raise JournalError unless `conn` holds an Auctionmen journal."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = [t for t in REQUIRED_TABLES if t not in names]
    if missing:
        raise JournalError(f"{path}: not an Auctionmen journal (no {', '.join(missing)} table)")


class WriterLock:
    """An advisory lock on `<db>.lock`: one sequencer per journal file, across processes.

    The kernel drops the lock when the process dies (even by SIGKILL), so a crash never leaves
    a stale lock behind.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(f"{os.fspath(path)}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        if sys.platform == "win32":  # pragma: no cover - advisory lock is POSIX-only here
            return
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise JournalLocked(f"{self.path}: another process is writing this journal") from exc
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
