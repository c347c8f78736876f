"""State = replay(journal): fold every journaled event into a fresh engine."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

from sqlite_utils import Database

from hub.auction.engine import Engine
from hub.auction.events import Event

_PAGE = 2_000


def _conn(db: Database | sqlite3.Connection) -> sqlite3.Connection:
    return db.conn if isinstance(db, Database) else db


def iter_events(db: Database | sqlite3.Connection, after: int = 0) -> Iterator[tuple[int, Event]]:
    """(seq, Event) in seq order, read in pages so memory stays flat on long journals."""
    conn = _conn(db)
    last = after
    while True:
        rows = conn.execute(
            "SELECT seq, type, lot, data, audience, bidders FROM events"
            " WHERE seq > ? ORDER BY seq LIMIT ?",
            (last, _PAGE),
        ).fetchall()
        if not rows:
            return
        for seq, type_, lot, data, audience, bidders in rows:
            yield seq, Event(type_, lot, json.loads(data), audience, tuple(json.loads(bidders)))
        last = rows[-1][0]


def load_engine(db: Database | sqlite3.Connection) -> Engine:
    """A fresh engine with every journaled event applied (its dirty set is cleared)."""
    engine = Engine()
    for seq, event in iter_events(db):
        engine.evolve(event, seq)
    engine.take_dirty()
    return engine
