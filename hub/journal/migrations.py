"""The journal's schema, as ordered, named migrations (sqlite-utils `Migrations`).

Each function runs once, inside a transaction together with its record in
`_sqlite_migrations`; never edit one that has shipped, add a new one instead.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("auctionmen.journal")

GENESIS = "0" * 64  # prev_hash of seq 1


@migrations()
def m001_events(db: Database) -> None:
    # The legal record. seq is the rowid: gap-free, and history reads are O(log n) range scans.
    db.execute(
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            epoch INTEGER NOT NULL,
            at REAL NOT NULL,
            type TEXT NOT NULL,
            lot TEXT,
            actor TEXT NOT NULL,
            key TEXT,
            audience TEXT NOT NULL,
            bidders TEXT NOT NULL,
            data TEXT NOT NULL,
            public_view TEXT NOT NULL,
            staff_view TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )
        """
    )
    # Append-only, enforced by the database itself (not just by our code).
    db.execute(
        """
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the journal is append-only: events cannot be updated'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the journal is append-only: events cannot be deleted'); END
        """
    )
    # Gap-free and chained on insert too: a buggy or foreign writer cannot skip a seq or
    # start a second chain. MAX(seq) on the rowid is a single b-tree probe.
    db.execute(
        f"""
        CREATE TRIGGER events_append_only BEFORE INSERT ON events
        WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM events)
          OR NEW.prev_hash IS NOT COALESCE(
               (SELECT hash FROM events ORDER BY seq DESC LIMIT 1), '{GENESIS}')
        BEGIN SELECT RAISE(ABORT, 'the journal is append-only: wrong seq or prev_hash'); END
        """
    )
    db.execute("CREATE INDEX events_key ON events(key) WHERE key IS NOT NULL")


@migrations()
def m002_projections(db: Database) -> None:
    # Current state per key ("sale", "lot/<id>", "bidder/<paddle>"), canonical JSON; must
    # always equal replay(events) byte for byte.
    db.execute("CREATE TABLE projections (key TEXT PRIMARY KEY, json TEXT NOT NULL)")


@migrations()
def m003_epochs(db: Database) -> None:
    db.execute("CREATE TABLE epochs (epoch INTEGER PRIMARY KEY, started_at REAL NOT NULL)")


@migrations()
def m004_answers(db: Database) -> None:
    # Idempotency: (scope, key) -> the answer given, so a retry is answered, not re-decided.
    db.execute(
        """
        CREATE TABLE answers (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            seq INTEGER NOT NULL,
            answer TEXT NOT NULL,
            PRIMARY KEY (scope, key)
        ) WITHOUT ROWID
        """
    )


@migrations()
def m005_probe(db: Database) -> None:
    # Scratch row the paused sequencer rewrites to find out whether the disk takes writes again.
    db.execute("CREATE TABLE storage_probe (id INTEGER PRIMARY KEY, at REAL, pad BLOB)")


REQUIRED_TABLES = ("events", "projections", "epochs", "answers")
REQUIRED_TRIGGERS = ("events_no_update", "events_no_delete", "events_append_only")
