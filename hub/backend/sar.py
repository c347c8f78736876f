"""Suspicious-activity notes: the money-laundering reporting officer's own file.

A note is who wrote it, when, about which paddle of which sale, the text, and its status
(open, reported to the financial intelligence unit, closed), with every status change kept
(who, when, a comment). The text lives only here, in `{data_dir}/officer.db`; the sale's
journal gets `note_suspicion {paddle, reference}` (the core's command, staff audience, only
the reference), so the chain shows that a note exists without saying what it says. Nothing of
it is ever shown to the bidder or published on the public or bidder topics (tipping off is an
offence).

Only the `officer` role reads or writes: every method takes the acting person and refuses
anyone else (`SarForbidden`), so the API routes and the app's facade cannot forget the check.
Text is checked with `hub.auction.text` rules; a bad value writes nothing.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hub.auction.events import Actor
from hub.auction.text import identifier_problem, text_problem

JSON = dict[str, Any]
OFFICER = "officer"
STATUSES = ("open", "reported", "closed")
TEXT_LIMIT = 8000
COMMENT_LIMIT = 500
PADDLE_LIMIT = 32
NOTE_OP = "note_suspicion"

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    number INTEGER PRIMARY KEY,
    sale TEXT NOT NULL,
    paddle TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    by TEXT NOT NULL,
    at REAL NOT NULL,
    journaled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS changes (
    number INTEGER NOT NULL REFERENCES notes(number),
    status TEXT NOT NULL,
    comment TEXT NOT NULL,
    by TEXT NOT NULL,
    at REAL NOT NULL
);
"""


class SarError(ValueError):
    """A note that cannot be written or found; the message says why."""


class SarForbidden(SarError):
    """The acting person is not the officer."""


@dataclass(frozen=True, slots=True)
class Change:
    status: str
    comment: str
    by: str
    at: float


@dataclass(frozen=True, slots=True)
class Note:
    reference: str  # "sar-N": what the journal's suspicion_noted carries
    sale: str
    paddle: str
    text: str
    status: str
    by: str
    at: float
    changes: tuple[Change, ...] = ()

    def to_json(self) -> JSON:
        return asdict(self)


def _who(actor: Actor) -> str:
    """The person (staff id) behind an action, for the note's record."""
    return actor.name or actor.role


def check_officer(actor: Actor) -> None:
    if OFFICER not in actor.held():
        raise SarForbidden(
            f"only the money-laundering reporting officer may read or write suspicion notes "
            f"({actor.role} may not)"
        )


def _text(value: object, name: str, limit: int, *, multiline: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SarError(f"'{name}' must be non-empty text")
    problem = text_problem(value, limit=limit, multiline=multiline)
    if problem is not None:
        raise SarError(f"'{name}' {problem}")
    return value.strip()


def _ident(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise SarError(f"'{name}' must be text")
    problem = identifier_problem(value, limit=PADDLE_LIMIT)
    if problem is not None:
        raise SarError(f"'{name}' {problem}")
    return value


def reference_of(number: int) -> str:
    return f"sar-{number}"


def number_of(reference: object) -> int:
    if (
        not isinstance(reference, str)
        or not reference.startswith("sar-")
        or not reference[4:].isdigit()
        or len(reference) > 16
    ):
        raise SarError("a note's reference looks like sar-12")
    return int(reference[4:])


class OfficerNotes:
    """`officer.db`: the notes and their status history."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def add(self, actor: Actor, sale: object, paddle: object, text: object) -> Note:
        """A new open note (not yet journaled: see `note_suspicion`)."""
        check_officer(actor)
        clean = (_ident(sale, "sale"), _ident(paddle, "paddle"))
        body = _text(text, "text", TEXT_LIMIT, multiline=True)
        cursor = self.conn.execute(
            "INSERT INTO notes (sale, paddle, text, status, by, at) VALUES (?, ?, ?, 'open', ?, ?)",
            [*clean, body, _who(actor), self.clock()],
        )
        assert cursor.lastrowid is not None
        return self._get(cursor.lastrowid)

    def set_status(self, actor: Actor, reference: object, status: object, comment: object) -> Note:
        """Move a note to `status` with a comment (e.g. the FIU's case number)."""
        check_officer(actor)
        number = number_of(reference)
        if status not in STATUSES:
            raise SarError(f"'status' must be one of {', '.join(STATUSES)}")
        why = _text(comment, "comment", COMMENT_LIMIT)
        self._get(number)  # exists
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute("UPDATE notes SET status = ? WHERE number = ?", [status, number])
            self.conn.execute(
                "INSERT INTO changes VALUES (?, ?, ?, ?, ?)",
                [number, status, why, _who(actor), self.clock()],
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return self._get(number)

    def get(self, actor: Actor, reference: object) -> Note:
        check_officer(actor)
        return self._get(number_of(reference))

    def listing(
        self, actor: Actor, *, status: str | None = None, sale: str | None = None
    ) -> list[Note]:
        """Every journaled note (newest first), or those with `status` / of `sale`."""
        check_officer(actor)
        if status is not None and status not in STATUSES:
            raise SarError(f"'status' must be one of {', '.join(STATUSES)}")
        sql = "SELECT number FROM notes WHERE journaled = 1"
        params: list[str] = []
        for column, value in (("status", status), ("sale", sale)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        rows = self.conn.execute(sql + " ORDER BY number DESC", params)
        return [self._get(int(r["number"])) for r in rows.fetchall()]

    def _journaled(self, number: int) -> None:
        self.conn.execute("UPDATE notes SET journaled = 1 WHERE number = ?", [number])

    def _drop(self, number: int) -> None:
        """Undo an `add` whose journal entry was refused."""
        self.conn.execute("DELETE FROM notes WHERE number = ? AND journaled = 0", [number])

    def _get(self, number: int) -> Note:
        row = self.conn.execute("SELECT * FROM notes WHERE number = ?", [number]).fetchone()
        if row is None:
            raise SarError(f"no note {reference_of(number)}")
        changes = self.conn.execute(
            "SELECT status, comment, by, at FROM changes WHERE number = ? ORDER BY rowid",
            [number],
        ).fetchall()
        return Note(
            reference_of(number),
            row["sale"],
            row["paddle"],
            row["text"],
            row["status"],
            row["by"],
            row["at"],
            tuple(Change(*c) for c in changes),
        )


# submit(command, actor) -> (ok, message): the sale's sequencer as the stage offers it
Submit = Callable[[JSON, Actor], Awaitable[tuple[bool, str]]]


async def note_suspicion(
    notes: OfficerNotes, submit: Submit, actor: Actor, sale: object, paddle: object, text: object
) -> Note:
    """Write a note and journal its reference in the sale; a refused journal entry leaves no
    note behind (SarError with the journal's message)."""
    note = notes.add(actor, sale, paddle, text)
    number = number_of(note.reference)
    try:
        ok, message = await submit(
            {"op": NOTE_OP, "paddle": note.paddle, "reference": note.reference}, actor
        )
    except BaseException:
        notes._drop(number)
        raise
    if not ok:
        notes._drop(number)
        raise SarError(f"the sale refused the note: {message}")
    notes._journaled(number)
    return notes._get(number)


def answer_submit(submit: Callable[[JSON, Actor], Awaitable[Any]]) -> Submit:
    """The stage's submit (an Answer with `ok` and `message`) as `note_suspicion` takes it."""

    async def adapted(command: JSON, actor: Actor) -> tuple[bool, str]:
        answer = await submit(command, actor)
        return bool(answer.ok), str(answer.message or "")

    return adapted


class OfficerDesk:
    """The notes of one sale as the gateway's officer routes use them (JSON in and out)."""

    def __init__(self, notes: OfficerNotes, sale: str, submit: Submit) -> None:
        self.store = notes
        self.sale = sale
        self.submit = submit

    async def note(self, actor: Actor, paddle: object, text: object) -> JSON:
        note = await note_suspicion(self.store, self.submit, actor, self.sale, paddle, text)
        return note.to_json()

    def notes(self, actor: Actor, status: str | None) -> list[JSON]:
        return [n.to_json() for n in self.store.listing(actor, status=status, sale=self.sale)]

    def get(self, actor: Actor, reference: str) -> JSON:
        note = self.store.get(actor, reference)
        if note.sale != self.sale:
            raise SarError(f"no note {reference} in sale {self.sale}")
        return note.to_json()

    def set_status(self, actor: Actor, reference: str, status: object, comment: object) -> JSON:
        self.get(actor, reference)
        return self.store.set_status(actor, reference, status, comment).to_json()
