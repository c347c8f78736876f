"""Sanctions screening: the lists a house imports, and every registered person checked against them.

The lists (EU, UN, OFAC; read by `hub.backend.sanctions`) live in `{data_dir}/screening.db`,
one row per list (source file, format, SHA-256, imported-at, entry count) and its entries;
importing a list again replaces it in one transaction, so a reader sees the old list or the
new one, never a mix, and a bad file leaves the old list as it was.

Matching. Every name of the person (name and aliases) is compared with every name and alias
of every listed entry of the same kind (people with people, companies with entities), after
normalising both sides: Unicode NFKC, transliterated to ASCII with anyascii (Cyrillic, Greek,
Arabic, CJK; each CJK character a syllable of its own), casefolded, apostrophes joined and
other punctuation dropped, honorifics (Mr, Dr, Sheikh, ...) removed. The name score (0-100)
is the best of rapidfuzz's

- `token_sort_ratio`: the same words in any order ("KRAVCHENKO, Viktor" = "Viktor Kravchenko");
- `token_set_ratio` when both names have two words or more: one name inside the other
  ("Viktor Kravchenko" in "Viktor Andreyevich Kravchenko"); never for a single word, which
  would otherwise match every listed name containing it; for the same pairs, also each word
  of the shorter name aligned with the closest word of the longer (a misspelt subset);
- `ratio` of the names without spaces (a CJK name transliterated syllable by syllable);
- across scripts with no written vowels (Arabic, Hebrew) against Latin spellings, `ratio` of
  the consonant skeletons (vowels, w and y dropped), less `SKELETON_DISCOUNT`, when both
  skeletons have at least 5 letters.

Date of birth, when both the person and the entry have one: the same date, or the year within
a listed year or span (a "circa" date widened by `circa_years`), is "same" and adds
`dob_bonus`; the same year with another month or day is "year" and changes nothing; another
year for every listed date is "differs" and takes the score below the hold threshold (minus
`dob_penalty`), unless the name is exact (the same words after normalising). Otherwise "unknown".

Thresholds (`Thresholds`, all configurable): a name score of `report_at` (80) or more is
reported as a hit; a hit whose score after the date of birth is `hold_at` (88) or more
holds. One holding hit makes the verdict "hold": the person waits for a named reviewer, who
clears or confirms it (the CDD commands record that). The false-positive rate of these
defaults on 200 common European names against the test fixtures is stated in
tests/backend/test_screening.py and the README's Figures.

Screening with no list imported is refused (ScreeningError): a "clear" against nothing would
look like a check that was done. Politically exposed persons: there is no official
consolidated PEP file; a house may import a published PEP list in OpenSanctions'
targets.simple.csv form as the list "pep". Its hits hold like sanctions hits; the hit names
the list, so the reviewer knows it calls for enhanced due diligence rather than a freeze.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from anyascii import anyascii
from rapidfuzz import fuzz, process
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from hub.auction.text import text_problem
from hub.backend.sanctions import (
    BirthDate,
    ListEntry,
    ParsedList,
    Progress,
    ScreeningError,
    read_list,
)

__all__ = [
    "Hit",
    "ListInfo",
    "Person",
    "ScreeningError",
    "ScreeningResult",
    "ScreeningRoom",
    "Thresholds",
    "import_list",
    "normalise",
]

SKELETON_DISCOUNT = 8.0
WORD_CUTOFF = 70.0  # a word this close may be a misspelling (candidates for the alignment)
NAME_LIMIT = 300  # a person's name or alias, in characters
MAX_ALIASES = 20
HONORIFICS = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "mme", "mlle", "herr", "frau"}
    | {"sheikh", "shaykh", "sheik", "haji", "hajji", "mullah", "maulvi", "maulana"}
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    hold_at: float = 88.0
    report_at: float = 80.0
    dob_bonus: float = 5.0
    dob_penalty: float = 10.0
    circa_years: int = 2


@dataclass(frozen=True, slots=True)
class Person:
    """Who is screened, as the caller holds them; `ref` is the caller's key, echoed back."""

    ref: str
    name: str
    birth: date | None = None
    kind: str = "person"  # "person" or "entity" (a company, screened against entities)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    list: str
    entry_id: str
    reference: str
    matched_name: str  # the listed name or alias that matched
    screened_name: str  # the person's name or alias that matched it
    name_score: float
    score: float  # after the date of birth
    dob: str  # "same", "year", "differs" or "unknown"
    holds: bool


@dataclass(frozen=True, slots=True)
class ListInfo:
    name: str  # the list kind: "eu", "un", "ofac", "pep"
    source: str  # the file name it was imported from
    format: str
    sha256: str
    imported_at: float
    entry_count: int


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    ref: str
    verdict: str  # "clear" or "hold"
    hits: tuple[Hit, ...]
    lists: tuple[ListInfo, ...]  # what was screened against (for the CDD record)
    at: float
    problem: str = ""  # why a re-screen could not check this person (then the verdict holds)

    def record(self) -> dict[str, object]:
        """What a CDD event may carry: the verdict, the lists (name and hash) and each hit by
        list, entry and score, but no name of the person screened (personal data stays in
        the identities store, outside the hash chain). Listed names are public."""
        return {
            "verdict": self.verdict,
            "lists": [{"list": i.name, "sha256": i.sha256} for i in self.lists],
            "hits": [
                {
                    "list": h.list,
                    "entry": h.entry_id,
                    "reference": h.reference,
                    "listed_name": h.matched_name,
                    "score": h.score,
                    "dob": h.dob,
                    "holds": h.holds,
                }
                for h in self.hits
            ],
            "problem": bool(self.problem),
        }


# --- normalising and scoring (pure) --------------------------------------------------------


def _spaced(char: str) -> bool:
    """CJK ideographs, kana and Hangul: anyascii runs their syllables together."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF
        or 0x3400 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7A3
        or 0xF900 <= code <= 0xFAFF
    )


def _abjad(char: str) -> bool:
    """Arabic and Hebrew letters: written without most vowels."""
    code = ord(char)
    return 0x0590 <= code <= 0x08FF or 0xFB1D <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF


def normalise(name: str) -> str:
    """`name` as words of ASCII letters and digits, for comparing (see the module docstring)."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(f" {anyascii(c)} " if _spaced(c) else c for c in text)
    text = anyascii(text).casefold()
    text = re.sub(r"['`]", "", text)  # O'Brien, and anyascii's mark for the Arabic ayn
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    kept = [w for w in words if w not in HONORIFICS]
    return " ".join(kept or words)


@dataclass(frozen=True, slots=True)
class _Name:
    text: str  # normalised
    ordered: str  # its words sorted: token_sort_ratio is ratio() of these, computed once
    words: int
    joined: str
    skeleton: str
    abjad: bool


def _name(raw: str) -> _Name:
    text = normalise(raw)
    joined = text.replace(" ", "")
    skeleton = re.sub(r"[aeiouwy]", "", joined)
    words = text.split()
    ordered = " ".join(sorted(words))
    return _Name(text, ordered, len(words), joined, skeleton, any(_abjad(c) for c in raw))


def _aligned(a: _Name, b: _Name) -> float:
    """Each word of the shorter name paired with its closest unused word of the longer one,
    the word scores averaged by length: a misspelt subset ("Viktor Kravchenk" in "Viktor
    Andreyevich Kravchenko"), which token_set_ratio scores low. Two words or more only."""
    short, long = sorted((a.text.split(), b.text.split()), key=len)
    if len(short) < 2:
        return 0.0
    total = weight = 0.0
    free = list(long)
    for word in sorted(short, key=len, reverse=True):
        scores = [fuzz.ratio(word, other) for other in free]
        best = max(range(len(free)), key=scores.__getitem__)
        total += scores[best] * len(word)
        weight += len(word)
        free.pop(best)
    return total / weight


def _name_score(a: _Name, b: _Name) -> float:
    best = fuzz.ratio(a.ordered, b.ordered)  # = token_sort_ratio
    if a.words >= 2 and b.words >= 2:
        best = max(best, fuzz.token_set_ratio(a.text, b.text), _aligned(a, b))
    best = max(best, fuzz.ratio(a.joined, b.joined))
    if a.abjad != b.abjad and min(len(a.skeleton), len(b.skeleton)) >= 5:
        best = max(best, fuzz.ratio(a.skeleton, b.skeleton) - SKELETON_DISCOUNT)
    return round(best, 1)


def _exact(a: _Name, b: _Name) -> bool:
    return a.ordered == b.ordered


def dob_verdict(birth: date | None, births: Sequence[BirthDate], circa_years: int = 2) -> str:
    if birth is None or not births:
        return "unknown"
    verdict = "differs"
    for listed in births:
        slack = circa_years if listed.circa else 0
        if not listed.year_from - slack <= birth.year <= listed.year_to + slack:
            continue
        if listed.month is None or listed.year_from != listed.year_to:
            return "same"
        if listed.month == birth.month and listed.day in (None, birth.day):
            return "same"
        verdict = "year"
    return verdict


@dataclass(frozen=True, slots=True)
class _Listed:
    list: str
    entry: ListEntry


@dataclass
class Index:
    """Every listed name, normalised once, for matching many people against the lists."""

    lists: tuple[ListInfo, ...]
    names: list[_Name] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    owners: list[_Listed] = field(default_factory=list)
    # the names' forms as rapidfuzz's choices, made once
    texts: list[str] = field(default_factory=list)
    ordered: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    skeletons: list[str] = field(default_factory=list)
    vocabulary: list[str] = field(default_factory=list)  # every listed word, once
    holders: dict[str, list[int]] = field(default_factory=dict)  # word -> its names

    @classmethod
    def build(cls, lists: tuple[ListInfo, ...], entries: Iterable[tuple[str, ListEntry]]) -> Index:
        index = cls(lists)
        for list_name, entry in entries:
            owner = _Listed(list_name, entry)
            for raw in entry.names:
                name = _name(raw)
                if name.text:
                    index.names.append(name)
                    index.raw.append(raw)
                    index.owners.append(owner)
        index.texts = [n.text for n in index.names]
        index.ordered = [n.ordered for n in index.names]
        index.joined = [n.joined for n in index.names]
        index.skeletons = [n.skeleton for n in index.names]
        for position, name in enumerate(index.names):
            for word in set(name.text.split()):
                index.holders.setdefault(word, []).append(position)
        index.vocabulary = list(index.holders)
        return index

    def candidates(self, query: _Name, cutoff: float) -> set[int]:
        """Positions whose name might score `cutoff` or more (rapidfuzz's C scorers)."""
        found: set[int] = set()
        skeleton_cutoff = cutoff + SKELETON_DISCOUNT
        scorers = (
            (self.ordered, query.ordered, fuzz.ratio, cutoff),  # token_sort_ratio
            (self.texts, query.text, fuzz.token_set_ratio, cutoff),
            (self.joined, query.joined, fuzz.ratio, cutoff),
            (self.skeletons, query.skeleton, fuzz.ratio, skeleton_cutoff),
        )
        for choices, text, scorer, floor in scorers:
            for _choice, _score, position in process.extract(
                text, choices, scorer=scorer, score_cutoff=floor, limit=None
            ):
                found.add(position)
        if query.words >= 2:  # word alignment: names sharing two or more near words
            shared: dict[int, int] = {}
            for word in set(query.text.split()):
                near = process.extract(
                    word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=WORD_CUTOFF, limit=None
                )
                for position in {p for w, _s, _i in near for p in self.holders[w]}:
                    shared[position] = shared.get(position, 0) + 1
            found.update(p for p, count in shared.items() if count >= 2)
        return found


def _kinds(person: Person) -> set[str]:
    return {"person"} if person.kind == "person" else {"entity"}


def check_person(person: Person) -> list[str]:
    """The person's names to screen, or ScreeningError saying what is wrong with them."""
    if person.kind not in ("person", "entity"):
        raise ScreeningError(f"{person.ref}: kind must be 'person' or 'entity'")
    if person.birth is not None and not isinstance(person.birth, date):
        raise ScreeningError(f"{person.ref}: the date of birth must be a date")
    if len(person.aliases) > MAX_ALIASES:
        raise ScreeningError(f"{person.ref}: more than {MAX_ALIASES} aliases")
    names = [person.name, *person.aliases]
    for name in names:
        if not isinstance(name, str):
            raise ScreeningError(f"{person.ref}: a name must be text")
        problem = text_problem(name, limit=NAME_LIMIT)
        if problem is not None:
            raise ScreeningError(f"{person.ref}: the name {problem}")
    if not normalise(person.name):
        raise ScreeningError(f"{person.ref}: the name has no letters to screen")
    return [n for n in names if normalise(n)]


def match(person: Person, index: Index, thresholds: Thresholds) -> tuple[Hit, ...]:
    """The listed entries that `person` may be, best first; one hit per entry."""
    kinds = _kinds(person)
    best: dict[tuple[str, str], Hit] = {}
    cutoff = min(thresholds.report_at, thresholds.hold_at - thresholds.dob_bonus)
    for raw in check_person(person):
        query = _name(raw)
        for position in index.candidates(query, cutoff):
            owner = index.owners[position]
            if owner.entry.kind not in kinds:
                continue
            listed = index.names[position]
            name_score = _name_score(query, listed)
            if name_score < cutoff:
                continue
            hit = _hit(
                person, raw, query, owner, index.raw[position], listed, name_score, thresholds
            )
            if hit.name_score < thresholds.report_at and not hit.holds:
                continue
            key = (owner.list, owner.entry.entry_id)
            if key not in best or (hit.score, hit.name_score) > (
                best[key].score,
                best[key].name_score,
            ):
                best[key] = hit
    return tuple(sorted(best.values(), key=lambda h: (-h.score, h.list, h.entry_id)))


def _hit(
    person: Person,
    raw: str,
    query: _Name,
    owner: _Listed,
    listed_raw: str,
    listed: _Name,
    name_score: float,
    thresholds: Thresholds,
) -> Hit:
    dob = dob_verdict(person.birth, owner.entry.births, thresholds.circa_years)
    score = name_score
    if dob == "same":
        score = min(100.0, name_score + thresholds.dob_bonus)
    elif dob == "differs" and not _exact(query, listed):
        score = min(name_score - thresholds.dob_penalty, thresholds.hold_at - 1)
    return Hit(
        list=owner.list,
        entry_id=owner.entry.entry_id,
        reference=owner.entry.reference,
        matched_name=listed_raw,
        screened_name=raw,
        name_score=name_score,
        score=round(score, 1),
        dob=dob,
        holds=score >= thresholds.hold_at,
    )


def screen_against(
    person: Person, index: Index, thresholds: Thresholds, at: float
) -> ScreeningResult:
    if not index.lists:
        raise ScreeningError("no sanctions list has been imported: nothing to screen against")
    hits = match(person, index, thresholds)
    verdict = "hold" if any(h.holds for h in hits) else "clear"
    return ScreeningResult(person.ref, verdict, hits, index.lists, at)


# --- the store -----------------------------------------------------------------------------

migrations = Migrations("auctionmen.screening")


@migrations()
def m001_lists(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE lists (
            name TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            format TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            imported_at REAL NOT NULL,
            entry_count INTEGER NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE entries (
            list TEXT NOT NULL REFERENCES lists(name),
            entry_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            reference TEXT NOT NULL,
            names TEXT NOT NULL,      -- JSON array, the primary name first
            births TEXT NOT NULL,     -- JSON array of [year_from, year_to, month, day, circa]
            countries TEXT NOT NULL,  -- JSON array
            PRIMARY KEY (list, entry_id)
        )
        """
    )


class ScreeningStore:
    """`screening.db`: the imported lists. One writer: imports are serialised by a lock here
    and by SQLite's write lock (BEGIN IMMEDIATE) between processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db = Database(conn)
        self._lock = threading.Lock()
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            self.db.enable_wal()
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise ScreeningError(f"{path}: cannot open the screening store: {exc}") from exc

    def _migrate(self) -> None:
        try:
            migrations.apply(self.db)
        except sqlite3.OperationalError:
            # Two processes opening a new store at once: the second's CREATE fails because
            # the first's has landed. Done is done; anything else is a real error.
            if list(migrations.pending(self.db)):
                raise

    def close(self) -> None:
        self.db.close()

    def lists(self) -> tuple[ListInfo, ...]:
        with self._lock:  # one connection, possibly used from several threads
            return self._lists()

    def _lists(self) -> tuple[ListInfo, ...]:
        rows = self.db.execute(
            "SELECT name, source, format, sha256, imported_at, entry_count FROM lists ORDER BY name"
        ).fetchall()
        return tuple(ListInfo(*row) for row in rows)

    def entries(self) -> list[tuple[str, ListEntry]]:
        with self._lock:
            return self._entries()

    def _entries(self) -> list[tuple[str, ListEntry]]:
        out = []
        for row in self.db.execute(
            "SELECT list, entry_id, kind, reference, names, births, countries FROM entries"
            " ORDER BY list, entry_id"
        ):
            births = tuple(BirthDate(a, b, c, d, bool(e)) for a, b, c, d, e in json.loads(row[5]))
            entry = ListEntry(
                row[1], row[2], tuple(json.loads(row[4])), births, tuple(json.loads(row[6])), row[3]
            )
            out.append((row[0], entry))
        return out

    def replace(
        self, parsed: ParsedList, source: str, at: float, progress: Progress | None = None
    ) -> ListInfo:
        """Put `parsed` in place of the list of its kind, all or nothing."""
        info = ListInfo(parsed.kind, source, parsed.format, parsed.sha256, at, len(parsed.entries))
        report = progress or (lambda phase, done, total: None)
        total = len(parsed.entries)
        with self._lock:
            conn = self.db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT INTO lists VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
                    " source=excluded.source, format=excluded.format, sha256=excluded.sha256,"
                    " imported_at=excluded.imported_at, entry_count=excluded.entry_count",
                    (info.name, info.source, info.format, info.sha256, at, info.entry_count),
                )
                conn.execute("DELETE FROM entries WHERE list = ?", (parsed.kind,))
                for done, rows in self._batches(parsed):
                    conn.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                    report("store", done, total)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return info

    @staticmethod
    def _batches(parsed: ParsedList, size: int = 1000) -> Iterable[tuple[int, list[tuple]]]:
        rows: list[tuple] = []
        for done, entry in enumerate(parsed.entries, 1):
            births = [[b.year_from, b.year_to, b.month, b.day, b.circa] for b in entry.births]
            rows.append(
                (
                    parsed.kind,
                    entry.entry_id,
                    entry.kind,
                    entry.reference,
                    json.dumps(entry.names, ensure_ascii=False),
                    json.dumps(births),
                    json.dumps(entry.countries),
                )
            )
            if len(rows) == size or done == len(parsed.entries):
                yield done, rows
                rows = []


# --- the room ------------------------------------------------------------------------------


class ScreeningRoom:
    """The lists of one data dir and screening against them; the index is rebuilt when a
    list changes (here or by another process)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        thresholds: Thresholds | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = ScreeningStore(Path(data_dir) / "screening.db")
        self.thresholds = thresholds or Thresholds()
        self.clock = clock
        self._index: Index | None = None

    def close(self) -> None:
        self.store.close()

    def lists(self) -> tuple[ListInfo, ...]:
        return self.store.lists()

    def import_list(
        self,
        path: Path,
        kind: str,
        *,
        alt: Path | None = None,
        progress: Progress | None = None,
        max_bytes: int | None = None,
    ) -> ListInfo:
        """Read `path` as a `kind` list ("eu", "un", "ofac" with `alt` = alt.csv, "pep") and put it
        in place of the previous one; ScreeningError, and the old list kept, if it is bad."""
        path = Path(path)
        parsed = read_list(
            path, kind, alt=Path(alt) if alt else None, progress=progress, max_bytes=max_bytes
        )
        info = self.store.replace(parsed, path.name, self.clock(), progress)
        self._index = None
        if progress is not None:
            progress("done", info.entry_count, info.entry_count)
        return info

    def index(self) -> Index:
        lists = self.store.lists()
        if self._index is None or self._index.lists != lists:
            self._index = Index.build(lists, self.store.entries())
        return self._index

    def screen(self, person: Person) -> ScreeningResult:
        return screen_against(person, self.index(), self.thresholds, self.clock())

    def rescreen_all(self, people: Iterable[Person]) -> list[ScreeningResult]:
        """Everyone again (after a new list): one result per person, in the order given."""
        index = self.index()
        at = self.clock()
        results = []
        for person in people:
            try:
                results.append(screen_against(person, index, self.thresholds, at))
            except ScreeningError as exc:
                if not index.lists:
                    raise
                # One unreadable record must not stop everyone else's check; it waits for a
                # reviewer like a match would.
                results.append(ScreeningResult(person.ref, "hold", (), index.lists, at, str(exc)))
        return results


def import_list(
    data_dir: Path,
    path: Path,
    kind: str,
    *,
    alt: Path | None = None,
    progress: Progress | None = None,
) -> ListInfo:
    """`auctionmen`-ready: import one list file into `{data_dir}/screening.db`."""
    room = ScreeningRoom(data_dir)
    try:
        return room.import_list(path, kind, alt=alt, progress=progress)
    finally:
        room.close()
