"""Check a journal file: integrity, append-only triggers, seq, hash chain, replay equality.

Read-only: the file is opened with `mode=ro`, so an inspector's copy is never modified.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from hub.auction.engine import Engine
from hub.auction.events import PUBLIC, STAFF, Event, canonical_json
from hub.journal.db import connect_reader
from hub.journal.migrations import GENESIS, REQUIRED_TRIGGERS
from hub.journal.records import SELECT_COLUMNS, Record, event_hash

_PAGE = 2_000
_SHOW = 5  # seqs listed per failed check


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    seqs: tuple[int, ...] = ()  # the offending seqs (first ones), when it is about rows

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


@dataclass(slots=True)
class Report:
    path: Path
    events: int = 0
    head: str = GENESIS
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def lines(self) -> list[str]:
        return [c.line() for c in self.checks]


def _seqs(seqs: list[int]) -> str:
    shown = ", ".join(str(s) for s in seqs[:_SHOW])
    return shown + (f" and {len(seqs) - _SHOW} more" if len(seqs) > _SHOW else "")


def verify(path: str | os.PathLike[str]) -> Report:
    """Verify the journal at `path`. Raises JournalError if it is not a readable journal."""
    conn = connect_reader(path)
    try:
        return _verify(conn, Path(path))
    finally:
        conn.close()


def _verify(conn: sqlite3.Connection, path: Path) -> Report:
    report = Report(path)
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    report.checks.append(
        Check(
            "integrity",
            problems == ["ok"],
            "PRAGMA integrity_check ok" if problems == ["ok"] else "; ".join(problems[:_SHOW]),
        )
    )
    triggers = {
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='events'"
        )
    }
    missing = [t for t in REQUIRED_TRIGGERS if t not in triggers]
    report.checks.append(
        Check(
            "append-only",
            not missing,
            "UPDATE/DELETE refused by triggers"
            if not missing
            else f"missing trigger(s): {', '.join(missing)}",
        )
    )

    gaps: list[int] = []  # first missing seq of each gap
    disorder: list[int] = []
    broken_links: list[int] = []  # prev_hash is not the previous row's hash
    bad_hashes: list[int] = []  # row content does not match its own hash
    view_diffs: list[int] = []
    replay_error: str | None = None
    engine = Engine()
    expected = 1
    prev = GENESIS
    last = 0
    while True:
        rows = conn.execute(
            f"SELECT {SELECT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
            (last, _PAGE),
        ).fetchall()
        if not rows:
            break
        for row in rows:
            report.events += 1
            try:
                record = Record.from_row(row)
            except (ValueError, TypeError) as exc:
                bad_hashes.append(row[0])
                replay_error = replay_error or f"seq {row[0]}: unreadable row ({exc})"
                prev, last, expected = row[-1], row[0], row[0] + 1
                continue
            seq = record.seq
            if seq != expected:
                (gaps if seq > expected else disorder).append(expected)
            if record.prev_hash != prev:
                broken_links.append(seq)
            if event_hash(record.prev_hash, record.hashed_fields()) != record.hash:
                bad_hashes.append(seq)
            if replay_error is None:
                try:
                    event = Event(
                        record.type, record.lot, record.data, record.audience, record.bidders
                    )
                    engine.evolve(event, seq)
                    if (
                        canonical_json(engine.view(event, PUBLIC)) != row[10]
                        or canonical_json(engine.view(event, STAFF)) != row[11]
                    ):
                        view_diffs.append(seq)
                except Exception as exc:  # tampered data the engine cannot apply
                    replay_error = f"seq {seq}: the engine cannot apply it ({exc!r})"
            prev, last, expected = record.hash, seq, seq + 1
    report.head = prev

    n = report.events
    if gaps or disorder:
        detail = (f"gap: seq {_seqs(gaps)} missing" if gaps else "") + (
            f"; out of order at {_seqs(disorder)}" if disorder else ""
        )
        report.checks.append(Check("seq", False, detail.strip("; "), tuple(gaps + disorder)))
    else:
        report.checks.append(Check("seq", True, f"1..{n}, no gap" if n else "empty journal"))
    if bad_hashes or broken_links:
        parts = []
        if bad_hashes:
            parts.append(f"content does not match its hash at seq {_seqs(bad_hashes)}")
        if broken_links:
            parts.append(f"prev_hash does not link at seq {_seqs(broken_links)}")
        report.checks.append(
            Check("chain", False, "; ".join(parts), tuple(sorted(set(bad_hashes + broken_links))))
        )
    else:
        report.checks.append(Check("chain", True, f"verified from genesis, head {prev}"))
    if replay_error:
        report.checks.append(Check("replay", False, replay_error))
    elif view_diffs:
        report.checks.append(
            Check(
                "replay",
                False,
                f"stored views differ from replay at seq {_seqs(view_diffs)}",
                tuple(view_diffs),
            )
        )
    else:
        report.checks.append(Check("replay", True, f"{n} events replayed, views identical"))

    if replay_error:
        report.checks.append(Check("projections", False, "not compared: replay failed"))
    else:
        stored = dict(conn.execute("SELECT key, json FROM projections").fetchall())
        keys = engine.projection_keys()
        differ = [k for k in keys if stored.get(k) != canonical_json(engine.projection(k))]
        extra = sorted(set(stored) - set(keys))
        if differ or extra:
            detail = (f"differ from replay: {', '.join(differ[:_SHOW])}" if differ else "") + (
                f"; not in replay: {', '.join(extra[:_SHOW])}" if extra else ""
            )
            report.checks.append(Check("projections", False, detail.strip("; ")))
        else:
            report.checks.append(
                Check("projections", True, f"{len(keys)} equal to replay, byte for byte")
            )
    return report


def chain_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """(last seq, its hash) as stored."""
    row = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


__all__ = ["Check", "Report", "chain_head", "verify"]
