"""Retention: personal data is erased some years (5 by default) after the relationship ends.

The relationship with a person ends at their last registration, hammer, payment, refund or
payout in any sale of the data dir. A bidder is a customer ("cu-N", `hub.backend.identities`)
with paddles in several sales, so the latest of those counts; a paddle with no customer is a
person of its own. A consignor is their reference (lots added, payouts). A legal hold (a flag
with a reason, e.g. an open inquiry) keeps someone past the date.

`report(...)` is the dry run: who would be erased, when their relationship ended and why they
are (or are not) due. `erase(...)` acts on it: for each paddle it journals `erase_identity` in
the paddle's sale (the chain records who, when and why, never the data), then wipes every
personal column of the identities and consignors rows, removes the person's files under
`kyc/` (ID scans, screening records) and the officer's suspicion notes about them, and
rewrites the SQLite files so no deleted byte stays behind: `secure_delete`, VACUUM, and a WAL
checkpoint(TRUNCATE). No stage may have the data dir open meanwhile (the checkpoint would not
empty the WAL): that is refused, not ignored.
The clock is injected (`as_of`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hub.auction.text import text_problem
from hub.journal.db import JournalError, connect_reader
from hub.journal.records import SELECT_COLUMNS, Record

JSON = dict[str, Any]
DEFAULT_YEARS = 5
IDENTITIES = "identities.db"
OFFICER = "officer.db"  # hub/backend/sar.py
# The events that continue a relationship: the person acted or money moved for them.
BIDDER_EVENTS = frozenset(
    {
        "bidder_registered",
        "absentee_registered",
        "lot_sold",
        "payment_recorded",
        "refund_recorded",
    }
)
CONSIGNOR_EVENTS = frozenset({"lot_added", "payout_recorded", "consignor_terms_set"})
# Columns of the stores that are keys or bookkeeping, never personal data.
KEEP_COLUMNS = frozenset({"sale", "paddle", "customer", "reference", "created", "erased"})
REASON_LIMIT = 200

# journal(sale, paddle, reason): journal `erase_identity` in that sale (SaleError-like raise)
JournalMarker = Callable[[str, str, str], None]
ERASE_OP = "erase_identity"


class RetentionError(ValueError):
    """Erasure refused (a store busy, a sale that will not take the marker); says why."""


@dataclass
class Subject:
    """One person as retention sees them."""

    kind: str  # "bidder" | "consignor"
    key: str  # customer id, "sale/paddle" for a paddle with no customer, consignor reference
    paddles: list[tuple[str, str]] = field(default_factory=list)  # (sale, paddle), bidders
    last: float | None = None  # when the relationship ended (epoch seconds)
    last_what: str = "no activity in any sale"
    created: float | None = None  # when the record was made (the end if nothing happened)
    hold: str | None = None  # a legal hold's reason
    erased: bool = False

    def end(self) -> float | None:
        return self.last if self.last is not None else self.created

    def to_json(self, due: float | None, verdict: str, why: str) -> JSON:
        return {
            "kind": self.kind,
            "key": self.key,
            "paddles": [f"{sale}/{paddle}" for sale, paddle in self.paddles],
            "relationship_end": _iso(self.end()),
            "last": self.last_what,
            "due": _iso(due),
            "verdict": verdict,
            "why": why,
        }


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).date().isoformat()


def _plus_years(at: float, years: int) -> float:
    """`at` plus whole years (29 February falls back to the 28th)."""
    when = datetime.fromtimestamp(at, UTC)
    try:
        later = when.replace(year=when.year + years)
    except ValueError:
        later = when.replace(year=when.year + years, day=28)
    return later.timestamp()


def parse_as_of(text: str) -> float:
    """A date YYYY-MM-DD as the end of that day in UTC (RetentionError if not a real date)."""
    try:
        day = date.fromisoformat(text)
    except (TypeError, ValueError):
        raise RetentionError(f"--as-of must be a date like 2031-12-31, not {text[:40]!r}") from None
    if len(text) != 10:
        raise RetentionError(f"--as-of must be a date like 2031-12-31, not {text[:40]!r}")
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC).timestamp()


# --------------------------------------------------------------------------- reading


def _sale_journals(data_dir: Path) -> list[Path]:
    from hub.auction.parse import SALE_ID

    folder = data_dir / "sales"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.db") if SALE_ID.fullmatch(p.stem) and p.is_file())


def _records(path: Path) -> Iterable[Record]:
    try:
        conn = connect_reader(path)
    except (JournalError, sqlite3.Error) as exc:
        raise RetentionError(f"{path}: not a readable journal: {exc}") from None
    try:
        for row in conn.execute(f"SELECT {SELECT_COLUMNS} FROM events ORDER BY seq"):
            yield Record.from_row(row)
    except sqlite3.Error as exc:
        raise RetentionError(f"{path}: not a readable journal: {exc}") from None
    finally:
        conn.close()


@dataclass
class _Activity:
    """The last relationship event of each paddle and consignor, and the erasure markers."""

    paddles: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    consignors: dict[str, tuple[float, str]] = field(default_factory=dict)
    marked: set[tuple[str, str]] = field(default_factory=set)

    def see(self, table: dict[Any, tuple[float, str]], key: Any, at: float, what: str) -> None:
        if key not in table or table[key][0] <= at:
            table[key] = (at, what)


def _activity(data_dir: Path) -> _Activity:
    seen = _Activity()
    for path in _sale_journals(data_dir):
        sale = path.stem
        for rec in _records(path):
            if rec.type in BIDDER_EVENTS:
                for paddle in rec.bidders:
                    what = f"{rec.type} in sale {sale} (paddle {paddle})"
                    seen.see(seen.paddles, (sale, paddle), rec.at, what)
            elif rec.type == "identity_erased":
                seen.marked.add((sale, str(rec.data.get("paddle"))))
            if rec.type in CONSIGNOR_EVENTS:
                ref = rec.data.get("consignor")
                if isinstance(ref, str) and ref:
                    seen.see(seen.consignors, ref, rec.at, f"{rec.type} in sale {sale}")
    return seen


def _connect(data_dir: Path, *, write: bool = True) -> sqlite3.Connection:
    """The identities file; read-only for the dry run (it changes nothing)."""
    path = (data_dir / IDENTITIES).resolve()
    uri = f"{path.as_uri()}?mode={'rw' if write else 'ro'}"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise RetentionError(f"{path}: cannot open the identities file: {exc}") from None
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=5000")
    if write:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS legal_holds ("
            " kind TEXT NOT NULL, key TEXT NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL,"
            " PRIMARY KEY (kind, key))"
        )
    return conn


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def subjects(data_dir: Path) -> list[Subject]:
    """Every person in the data dir (bidders grouped by customer, then consignors), with the
    end of their relationship and any legal hold."""
    data_dir = Path(data_dir)
    if not (data_dir / IDENTITIES).is_file():
        return []
    activity = _activity(data_dir)
    with closing(_connect(data_dir, write=False)) as conn:
        tables = _tables(conn)
        held = conn.execute("SELECT * FROM legal_holds") if "legal_holds" in tables else []
        holds = {(r["kind"], r["key"]): r["reason"] for r in held}
        people: dict[str, Subject] = {}
        if "identities" in tables:
            rows = conn.execute("SELECT * FROM identities ORDER BY created").fetchall()
            for row in rows:
                sale, paddle = str(row["sale"]), str(row["paddle"])
                key = str(row["customer"] or "") or f"{sale}/{paddle}"
                person = people.setdefault(key, Subject("bidder", key, erased=True))
                person.paddles.append((sale, paddle))
                person.erased = person.erased and row["erased"] is not None
                person.created = max(person.created or 0.0, float(row["created"] or 0.0))
                seen = activity.paddles.get((sale, paddle))
                if seen and (person.last is None or seen[0] >= person.last):
                    person.last, person.last_what = seen
        if "consignors" in tables:
            for row in conn.execute("SELECT * FROM consignors ORDER BY reference"):
                ref = str(row["reference"])
                person = Subject("consignor", ref, created=float(row["created"] or 0.0))
                person.erased = row["erased"] is not None
                if ref in activity.consignors:
                    person.last, person.last_what = activity.consignors[ref]
                people[f"consignor:{ref}"] = person
    for person in people.values():
        person.hold = holds.get((person.kind, person.key))
    return list(people.values())


def report(data_dir: Path, as_of: float, years: int = DEFAULT_YEARS) -> list[JSON]:
    """The dry run: one entry per person, `verdict` erase | hold | keep | erased, and why."""
    out = []
    for person in subjects(data_dir):
        end = person.end()
        due = _plus_years(end, years) if end is not None else None
        if person.erased:
            verdict, why = "erased", "already erased"
        elif due is None or due > as_of:
            verdict, why = "keep", f"relationship ended {_iso(end)}; kept {years} years"
        elif person.hold is not None:
            verdict, why = "hold", f"legal hold: {person.hold}"
        else:
            verdict, why = "erase", f"relationship ended {_iso(end)}, more than {years} years ago"
        out.append(person.to_json(due, verdict, why))
    return out


def set_hold(data_dir: Path, kind: str, key: str, reason: str | None, at: float) -> None:
    """Put a legal hold on a person (reason) or lift it (None)."""
    if kind not in ("bidder", "consignor"):
        raise RetentionError("a hold is on a bidder (customer id) or a consignor (reference)")
    with closing(_connect(data_dir)) as conn:
        if reason is None:
            conn.execute("DELETE FROM legal_holds WHERE kind = ? AND key = ?", [kind, key])
            return
        problem = text_problem(reason, limit=REASON_LIMIT)
        if problem is not None or not reason.strip():
            raise RetentionError(f"the hold's reason {problem or 'is empty'}")
        conn.execute(
            "INSERT OR REPLACE INTO legal_holds VALUES (?, ?, ?, ?)",
            [kind, key, reason.strip(), at],
        )


# --------------------------------------------------------------------------- erasing


def erase(
    data_dir: Path,
    as_of: float,
    journal: JournalMarker,
    *,
    years: int = DEFAULT_YEARS,
    reason: str = "retention period ended",
) -> list[JSON]:
    """Erase everyone the report says is due; the report entries of those erased.

    Each paddle's marker is journaled first (skipped when the journal already has one: a
    rerun after a failure), then the stores are wiped and rewritten. RetentionError if a
    journal refuses the marker (nothing of that person is wiped) or a store is held open."""
    data_dir = Path(data_dir)
    due = [entry for entry in report(data_dir, as_of, years) if entry["verdict"] == "erase"]
    if not due:
        return []
    marked = _activity(data_dir).marked
    people = {(p.kind, p.key): p for p in subjects(data_dir)}
    with closing(_connect(data_dir)) as conn:
        conn.execute("PRAGMA secure_delete=ON")  # deleted and overwritten bytes are zeroed
        for entry in due:
            person = people[(entry["kind"], entry["key"])]
            for sale, paddle in person.paddles:
                if (sale, paddle) not in marked and (data_dir / "sales" / f"{sale}.db").is_file():
                    journal(sale, paddle, reason)
            _wipe(conn, data_dir, person, as_of)
        _compact(conn, data_dir / IDENTITIES)
    paddles = [p for e in due for p in people[(e["kind"], e["key"])].paddles]
    if paddles and (data_dir / OFFICER).is_file():
        _forget_notes(data_dir / OFFICER, paddles)
    return due


def _forget_notes(path: Path, paddles: list[tuple[str, str]]) -> None:
    """The officer's suspicion notes about erased paddles go too (kept as long as the CDD
    records, no longer; an open inquiry is a legal hold, which keeps the person)."""
    with closing(sqlite3.connect(str(path), isolation_level=None)) as conn:
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for sale, paddle in paddles:
                where = "SELECT number FROM notes WHERE sale = ? AND paddle = ?"
                conn.execute(f"DELETE FROM changes WHERE number IN ({where})", [sale, paddle])
                conn.execute("DELETE FROM notes WHERE sale = ? AND paddle = ?", [sale, paddle])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        _compact(conn, path)


def _personal_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """Every text column of `table` but its keys: a column added later is wiped too."""
    cols = conn.execute(f"PRAGMA table_info({table})").fetchall()
    return [c["name"] for c in cols if c["name"] not in KEEP_COLUMNS]


def _wipe(conn: sqlite3.Connection, data_dir: Path, person: Subject, at: float) -> None:
    if person.kind == "consignor":
        cols = _personal_columns(conn, "consignors")
        sets = ", ".join(f"\"{c}\" = ''" for c in cols)
        conn.execute(
            f"UPDATE consignors SET {sets}, erased = ? WHERE reference = ?", [at, person.key]
        )
        return
    cols = _personal_columns(conn, "identities")
    scans: set[str] = set()
    for sale, paddle in person.paddles:
        row = conn.execute(
            "SELECT * FROM identities WHERE sale = ? AND paddle = ?", [sale, paddle]
        ).fetchone()
        if row is not None and "id_scan" in cols and row["id_scan"]:
            scans.add(str(row["id_scan"]))
    sets = ", ".join(f"\"{c}\" = ''" for c in cols)
    # Third parties who paid for the person's paddles (names behind the journal's payer_ref).
    payers = [c for c in _personal_columns(conn, "payers") if c != "ref"]
    payer_sets = ", ".join(f"\"{c}\" = ''" for c in payers)
    conn.execute("BEGIN")
    try:
        for sale, paddle in person.paddles:
            conn.execute(
                f"UPDATE identities SET {sets}, erased = ? WHERE sale = ? AND paddle = ?",
                [at, sale, paddle],
            )
            if payers:
                conn.execute(
                    f"UPDATE payers SET {payer_sets}, erased = ? WHERE sale = ? AND paddle = ?",
                    [at, sale, paddle],
                )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    _remove_files(conn, data_dir / "kyc", scans, set(person.paddles))


def _remove_files(
    conn: sqlite3.Connection, folder: Path, scans: set[str], paddles: set[tuple[str, str]]
) -> None:
    """The person's ID scans (unless another living identity cites the same file) and the
    screening records of their paddles."""
    if not folder.is_dir():
        return
    for digest in scans:
        still = conn.execute(
            "SELECT 1 FROM identities WHERE id_scan = ? AND erased IS NULL LIMIT 1", [digest]
        ).fetchone()
        if still is None:
            (folder / f"{digest}.scan").unlink(missing_ok=True)
    for path in folder.glob("scr-*.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and (record.get("sale"), record.get("paddle")) in paddles:
            path.unlink(missing_ok=True)


def _compact(conn: sqlite3.Connection, path: Path) -> None:
    """Rewrite the file from its live rows and empty the WAL: no freed page, no old frame."""
    conn.execute("VACUUM")
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise RetentionError(
            f"{path} is open in another process (a running stage?): its write-ahead log "
            "could not be emptied; stop it and run the erasure again"
        )


def sale_marker(data_dir: Path, clock: Callable[[], float]) -> JournalMarker:
    """The marker for sales no stage is running: `erase_identity` as the system actor."""
    from hub.backend.sales import SaleError, apply_op

    def journal(sale: str, paddle: str, reason: str) -> None:
        command = {"op": ERASE_OP, "paddle": paddle, "reason": reason}
        try:
            apply_op(Path(data_dir), sale, command, clock=clock)
        except SaleError as exc:
            raise RetentionError(f"sale {sale}, paddle {paddle}: {exc}") from None

    return journal
