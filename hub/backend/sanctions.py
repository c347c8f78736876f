"""Reading the official consolidated sanctions lists from the files a house downloads.

Four formats, each into the same `ListEntry` shape (names and aliases, dates of birth):

- `eu`: the EU Financial Sanctions Files XML, "xmlFullSanctionsList_1_1" (root `export`,
  `sanctionEntity` with `subjectType`, `nameAlias` wholeName/firstName/middleName/lastName,
  `birthdate`, `citizenship`);
- `un`: the UN Security Council consolidated list XML (root `CONSOLIDATED_LIST`,
  `INDIVIDUALS/INDIVIDUAL` with FIRST_NAME .. FOURTH_NAME, NAME_ORIGINAL_SCRIPT,
  INDIVIDUAL_ALIAS, INDIVIDUAL_DATE_OF_BIRTH; `ENTITIES/ENTITY`);
- `ofac`: OFAC's SDN list as CSV (`sdn.csv`: 12 columns, no header, `-0-` for empty; names
  "LAST, First"; dates of birth inside Remarks as "DOB 14 Mar 1968"), with its aliases from
  `alt.csv` (5 columns) when given;
- `pep`: politically exposed persons (or any other watch list) in OpenSanctions'
  `targets.simple.csv` form (a header row; id, schema, name, aliases, birth_date, countries,
  sanctions, ...; several values in one field separated by `;`). There is no official
  consolidated PEP list; this is the common file form of the published ones. A national
  subset fits the bounds; the global PEP collection (hundreds of thousands) does not.

A file is read whole before anything is stored, and any fault refuses the whole file with a
`ScreeningError` naming the file and the place: so a store never holds half a list. XML is
parsed with defusedxml and a document type declaration is refused outright (none of the
official files has one; it is where entity bombs and external entities live); nothing is
fetched from the network. Sizes are bounded: the file (`MAX_BYTES`, per kind), the entries,
the names of one entry and the length of one name.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from hub.auction.text import text_problem

KINDS = ("eu", "un", "ofac", "pep")
FORMATS = {
    "eu": "EU Financial Sanctions Files XML 1.1",
    "un": "UN Security Council consolidated list XML",
    "ofac": "OFAC SDN CSV",
    "pep": "OpenSanctions targets.simple.csv",
}
MiB = 1024 * 1024
# The official files were a few MB (UN, OFAC) to a few tens of MB (EU) when this was written;
# these bounds leave room to grow and refuse what no list is. `max_bytes=` overrides them.
MAX_BYTES = {"eu": 100 * MiB, "un": 20 * MiB, "ofac": 40 * MiB, "pep": 100 * MiB}
MAX_ENTRIES = 200_000
MAX_NAMES_PER_ENTRY = 500
MAX_NAME_CHARS = 1_000
MAX_RUN = 1 * MiB  # XML bytes from one `<` to the next: a tag and the text after it

Progress = Callable[[str, int, int], None]
"""progress(phase, done, total): "read" counts bytes of an XML file, or rows of a CSV one
(total 0: not known before the end); "store" counts entries written; "done" comes last."""


class ScreeningError(ValueError):
    """A list file or a request that cannot be used: the message says which and why."""


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A date of birth as a list gives it: a whole date, a year, or a span of years."""

    year_from: int
    year_to: int
    month: int | None = None
    day: int | None = None
    circa: bool = False

    def __str__(self) -> str:
        if self.year_from != self.year_to:
            return f"{self.year_from}–{self.year_to}"
        text = str(self.year_from)
        if self.month:
            text += f"-{self.month:02d}"
            if self.day:
                text += f"-{self.day:02d}"
        return f"c. {text}" if self.circa else text


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One listed person or entity: its id in the list, every name it is listed under."""

    entry_id: str
    kind: str  # "person", "entity", "vessel" or "aircraft"
    names: tuple[str, ...]  # the primary name first, then the aliases
    births: tuple[BirthDate, ...] = ()
    countries: tuple[str, ...] = ()
    reference: str = ""  # the list's own reference (EU.27.28, QDi.001, SDGT programme)


@dataclass(frozen=True, slots=True)
class ParsedList:
    kind: str
    format: str
    sha256: str
    entries: tuple[ListEntry, ...]


def read_list(
    path: Path,
    kind: str,
    *,
    alt: Path | None = None,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> ParsedList:
    """The list in `path` (and OFAC's `alt` aliases), checked whole, or ScreeningError."""
    if kind not in KINDS:
        raise ScreeningError(f"unknown list kind {kind!r}: one of {', '.join(KINDS)}")
    if alt is not None and kind != "ofac":
        raise ScreeningError("an alias file (alt.csv) goes with the OFAC list only")
    limit = MAX_BYTES[kind] if max_bytes is None else max_bytes
    data = _read_bounded(path, limit)
    alt_data = _read_bounded(alt, limit) if alt is not None else None
    digest = hashlib.sha256(data)
    if alt_data is not None:
        digest.update(b"\0alt.csv\0" + alt_data)
    report = progress or (lambda phase, done, total: None)
    try:
        if kind == "eu":
            entries = _parse_eu(data, report)
        elif kind == "un":
            entries = _parse_un(data, report)
        elif kind == "ofac":
            entries = _parse_ofac(data, alt_data, report)
        else:
            entries = _parse_simple(data, report)
    except ScreeningError as exc:
        raise ScreeningError(f"{path.name}: {exc}") from None
    if not entries:
        raise ScreeningError(f"{path.name}: no entries: not a {FORMATS[kind]} file?")
    seen: set[str] = set()
    for entry in entries:
        if entry.entry_id in seen:
            raise ScreeningError(f"{path.name}: entry {entry.entry_id!r} appears twice")
        seen.add(entry.entry_id)
    return ParsedList(kind, FORMATS[kind], digest.hexdigest(), tuple(entries))


def _read_bounded(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ScreeningError(f"{path}: not a file")
        if size > limit:
            raise ScreeningError(
                f"{path.name}: {size:,} bytes is more than a list may be ({limit:,})"
            )
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ScreeningError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:  # it grew while we read
        raise ScreeningError(f"{path.name}: more than a list may be ({limit:,} bytes)")
    return data


# --- checks shared by every format ---------------------------------------------------------


def _name(value: str | None, where: str) -> str | None:
    """A listed name as display text (spaces collapsed), None if empty; hostile: ScreeningError."""
    if value is None:
        return None
    text = " ".join(value.split())
    if not text:
        return None
    problem = text_problem(text, limit=MAX_NAME_CHARS)
    if problem is not None:
        raise ScreeningError(f"{where}: a name {problem}")
    return text


def _entry(
    entry_id: str,
    kind: str,
    names: list[str],
    births: list[BirthDate],
    countries: list[str],
    reference: str,
    where: str,
) -> ListEntry:
    if not entry_id or len(entry_id) > 64 or text_problem(entry_id, limit=64) is not None:
        raise ScreeningError(f"{where}: an entry without a usable id")
    unique = list(dict.fromkeys(names))
    if not unique:
        raise ScreeningError(f"{where}: entry {entry_id} has no name")
    if len(unique) > MAX_NAMES_PER_ENTRY:
        raise ScreeningError(f"{where}: entry {entry_id} has more than {MAX_NAMES_PER_ENTRY} names")
    return ListEntry(
        entry_id,
        kind,
        tuple(unique),
        tuple(dict.fromkeys(births)),
        tuple(dict.fromkeys(countries)),
        reference[:200],
    )


def _year(text: str | None, where: str) -> int | None:
    if text is None or not text.strip() or text.strip() == "0":
        return None
    value = text.strip()
    if not value.isascii() or not value.isdigit() or not 1800 <= int(value) <= 2100:
        raise ScreeningError(f"{where}: {value[:20]!r} is not a year")
    return int(value)


def _iso_date(text: str, where: str, circa: bool = False) -> BirthDate | None:
    """1968-03-14, 1968-03 or 1968 (the XML lists' forms, a time after the date ignored);
    month or day 00 means unknown."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[0-9:.+Z-]{0,30})?", text.strip())
    if match is None:
        raise ScreeningError(f"{where}: {text[:20]!r} is not a date")
    year = _year(match[1], where)
    if year is None:
        return None
    month = int(match[2]) if match[2] and match[2] != "00" else None
    day = int(match[3]) if match[3] and match[3] != "00" else None
    if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
        raise ScreeningError(f"{where}: {text[:20]!r} is not a date")
    return BirthDate(year, year, month, day if month else None, circa)


# --- XML -----------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _elements(data: bytes, root_name: str, wanted: set[str], report: Progress) -> Iterator[Element]:
    """Each finished element named in `wanted`, from a document whose root is `root_name`.

    The root's children are dropped once handed out, so memory stays one entry deep."""
    _check_markup(data)
    stream = io.BytesIO(data)
    root: Element | None = None
    seen = 0
    try:
        for event, element in iterparse(
            stream, events=("start", "end"), forbid_dtd=True, forbid_entities=True
        ):
            if root is None:
                root = element
                if _local(root.tag) != root_name:
                    raise ScreeningError(
                        f"the document is <{_local(root.tag)[:40]}>, not <{root_name}>"
                    )
                continue
            if event == "end" and _local(element.tag) in wanted:
                yield element
                element.clear()
                seen += 1
                if seen % 500 == 0:
                    report("read", stream.tell(), len(data))
                if seen > MAX_ENTRIES:
                    raise ScreeningError(f"more than {MAX_ENTRIES:,} entries")
    except DefusedXmlException as exc:
        what = _FORBIDDEN.get(type(exc).__name__, type(exc).__name__)
        raise ScreeningError(f"refused: the XML declares {what}; no official list does") from None
    except ParseError as exc:
        raise ScreeningError(f"not well-formed XML ({exc})") from None
    report("read", len(data), len(data))


_FORBIDDEN = {
    "DTDForbidden": "a document type (DTD)",
    "EntitiesForbidden": "entities",
    "ExternalReferenceForbidden": "an external reference",
}


def _check_markup(data: bytes) -> None:
    """Refuse what no list has and expat is slow on: text before the first tag, or a run of
    more than MAX_RUN bytes without a `<` (an attribute value cannot hold one; expat takes
    seconds per 10 MB of one attribute). Linear: the search only starts at each `<`."""
    head = data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(b"<"):
        raise ScreeningError("not well-formed XML (it does not start with a tag)")
    if re.search(rb"<[^<]{%d}" % MAX_RUN, data):
        raise ScreeningError(f"more than {MAX_RUN:,} bytes without markup: not a list")


def _text(element: Element, tag: str) -> str | None:
    for child in element:
        if _local(child.tag) == tag:
            return child.text
    return None


def _children(element: Element, tag: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == tag]


def _parse_eu(data: bytes, report: Progress) -> list[ListEntry]:
    entries = []
    for element in _elements(data, "export", {"sanctionEntity"}, report):
        entry_id = (element.get("logicalId") or "").strip()
        where = f"sanctionEntity {entry_id[:20] or '?'}"
        subject = next(iter(_children(element, "subjectType")), None)
        code = (subject.get("code") or "") if subject is not None else ""
        kind = "person" if code == "person" else "entity"
        names = []
        for alias in _children(element, "nameAlias"):
            whole = _name(alias.get("wholeName"), where)
            if whole is None:
                parts = (alias.get(key) for key in ("firstName", "middleName", "lastName"))
                whole = _name(" ".join(p for p in parts if p), where)
            if whole is not None:
                names.append(whole)
        births = []
        for birth in _children(element, "birthdate"):
            circa = (birth.get("circa") or "").lower() == "true"
            if birth.get("birthdate"):
                day = _iso_date(birth.get("birthdate", ""), where, circa)
                if day is not None:
                    births.append(day)
                continue
            year = _year(birth.get("year"), where)
            low = _year(birth.get("yearRangeFrom"), where)
            high = _year(birth.get("yearRangeTo"), where)
            if year is not None:
                month = _year_part(birth.get("monthOfYear"), 12, where)
                day_of = _year_part(birth.get("dayOfMonth"), 31, where) if month else None
                births.append(BirthDate(year, year, month, day_of, circa))
            elif low is not None or high is not None:
                births.append(BirthDate(low or high or 0, high or low or 0, circa=circa))
        countries = [
            c.get("countryIso2Code", "").strip()[:2]
            for c in _children(element, "citizenship")
            if (c.get("countryIso2Code") or "").strip() not in ("", "00")
        ]
        reference = element.get("euReferenceNumber") or ""
        entries.append(_entry(entry_id, kind, names, births, countries, reference, where))
    return entries


def _year_part(text: str | None, top: int, where: str) -> int | None:
    if text is None or not text.strip() or text.strip() == "0":
        return None
    if not text.strip().isdigit() or not 1 <= int(text) <= top:
        raise ScreeningError(f"{where}: {text[:10]!r} is not a month or day")
    return int(text)


def _parse_un(data: bytes, report: Progress) -> list[ListEntry]:
    entries = []
    for element in _elements(data, "CONSOLIDATED_LIST", {"INDIVIDUAL", "ENTITY"}, report):
        person = _local(element.tag) == "INDIVIDUAL"
        entry_id = (_text(element, "DATAID") or "").strip()
        where = f"{_local(element.tag)} {entry_id[:20] or '?'}"
        parts = [_text(element, tag) for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME")]
        parts.append(_text(element, "FOURTH_NAME"))
        names = [_name(" ".join(p for p in parts if p), where)]
        names.append(_name(_text(element, "NAME_ORIGINAL_SCRIPT"), where))
        alias_tag = "INDIVIDUAL_ALIAS" if person else "ENTITY_ALIAS"
        for alias in _children(element, alias_tag):
            names.append(_name(_text(alias, "ALIAS_NAME"), where))
        births = []
        for birth in _children(element, "INDIVIDUAL_DATE_OF_BIRTH"):
            circa = (_text(birth, "TYPE_OF_DATE") or "").strip().upper() == "APPROXIMATELY"
            if _text(birth, "DATE"):
                day = _iso_date(_text(birth, "DATE") or "", where, circa)
                if day is not None:
                    births.append(day)
            elif _year(_text(birth, "YEAR"), where) is not None:
                year = _year(_text(birth, "YEAR"), where) or 0
                births.append(BirthDate(year, year, circa=circa))
            else:
                low = _year(_text(birth, "FROM_YEAR"), where)
                high = _year(_text(birth, "TO_YEAR"), where)
                if low is not None or high is not None:
                    births.append(BirthDate(low or high or 0, high or low or 0, circa=circa))
        countries = [
            (value.text or "").strip()
            for nationality in _children(element, "NATIONALITY")
            for value in _children(nationality, "VALUE")
            if (value.text or "").strip()
        ]
        reference = _text(element, "REFERENCE_NUMBER") or ""
        kind = "person" if person else "entity"
        clean = [n for n in names if n is not None]
        entries.append(_entry(entry_id, kind, clean, births, countries, reference, where))
    return entries


# --- OFAC CSV ------------------------------------------------------------------------------

SDN_COLUMNS = 12  # ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type,
# Tonnage, GRT, Vess_flag, Vess_owner, Remarks
ALT_COLUMNS = 5  # ent_num, alt_num, alt_type, alt_name, alt_remarks
_OFAC_KINDS = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft", "": "entity"}
# English month names as OFAC writes them (calendar.month_abbr would follow the locale)
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_DOB = re.compile(
    r"\bDOB (circa )?(?:(\d{1,2}) )?(?:([A-Za-z]{3}) )?(\d{4})"
    r"(?: to (?:\d{1,2} )?(?:[A-Za-z]{3} )?(\d{4}))?"
)


def _csv_rows(
    data: bytes, columns: int | None, name: str, null: str = "-0-"
) -> Iterator[tuple[int, list[str]]]:
    """Rows of a CSV with exactly `columns` fields (None: as many as the first row), trimmed,
    `null` read as empty."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # the legacy files are Windows-1252
    text = text.rstrip("\x1a \r\n")  # OFAC ends its files with a DOS end-of-file mark
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            if not row or row == [""]:
                continue
            columns = len(row) if columns is None else columns
            if len(row) != columns:
                raise ScreeningError(
                    f"{name} line {reader.line_num}: {len(row)} fields, expected {columns}"
                )
            yield reader.line_num, [("" if f.strip() == null else f.strip()) for f in row]
    except csv.Error as exc:
        raise ScreeningError(f"{name} line {reader.line_num}: not CSV ({exc})") from None


def _ofac_births(remarks: str, where: str) -> list[BirthDate]:
    births = []
    for match in _DOB.finditer(remarks):
        circa, day, month, year, year_to = match.groups()
        month_no = _MONTHS.get(month.title()) if month else None
        if month and month_no is None:
            continue
        low = _year(year, where) or 0
        high = _year(year_to, where) if year_to else low
        births.append(BirthDate(low, high or low, month_no, int(day) if day else None, bool(circa)))
    return births


def _parse_ofac(data: bytes, alt: bytes | None, report: Progress) -> list[ListEntry]:
    aliases: dict[str, list[str]] = {}
    if alt is not None:
        for line, row in _csv_rows(alt, ALT_COLUMNS, "alt.csv"):
            if not row[0].isdigit():
                raise ScreeningError(f"alt.csv line {line}: {row[0][:20]!r} is not an ent_num")
            alias = _name(row[3], f"alt.csv line {line}")
            if alias is not None:
                aliases.setdefault(row[0], []).append(alias)
    entries = []
    for line, row in _csv_rows(data, SDN_COLUMNS, "sdn.csv"):
        where = f"sdn.csv line {line}"
        if not row[0].isdigit():
            raise ScreeningError(f"{where}: {row[0][:20]!r} is not an ent_num")
        kind = _OFAC_KINDS.get(row[2].lower())
        if kind is None:
            raise ScreeningError(f"{where}: unknown SDN_Type {row[2][:20]!r}")
        primary = _name(row[1], where)
        names = ([primary] if primary else []) + aliases.pop(row[0], [])
        births = _ofac_births(row[11], where)
        entries.append(_entry(row[0], kind, names, births, [], row[3], where))
        if len(entries) > MAX_ENTRIES:
            raise ScreeningError(f"more than {MAX_ENTRIES:,} entries")
        if len(entries) % 500 == 0:
            report("read", len(entries), 0)
    if aliases:
        orphan = next(iter(aliases))
        raise ScreeningError(f"alt.csv names ent_num {orphan}, which sdn.csv does not list")
    report("read", len(data), len(data))
    return entries


# --- OpenSanctions targets.simple.csv --------------------------------------------------------

_SIMPLE_REQUIRED = ("id", "schema", "name")
_SIMPLE_KINDS = {
    "Person": "person",
    "Organization": "entity",
    "Company": "entity",
    "LegalEntity": "entity",
    "PublicBody": "entity",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}


def _parse_simple(data: bytes, report: Progress) -> list[ListEntry]:
    rows = _csv_rows(data, None, "targets.simple.csv", null="")
    header_row = next(rows, None)
    if header_row is None:
        return []
    header = [h.lower() for h in header_row[1]]
    missing = [c for c in _SIMPLE_REQUIRED if c not in header]
    if missing:
        raise ScreeningError(f"the header has no {', '.join(missing)} column")
    at = {column: header.index(column) for column in header}

    def field(row: list[str], column: str) -> str:
        return row[at[column]] if column in at else ""

    entries = []
    for line, row in rows:
        where = f"line {line}"
        schema = field(row, "schema")
        kind = _SIMPLE_KINDS.get(schema, "other")  # addresses, wallets...: never a bidder
        names = [_name(field(row, "name"), where)]
        names += [_name(alias, where) for alias in field(row, "aliases").split(";")]
        births = [
            day
            for text in field(row, "birth_date").split(";")
            if text.strip()
            for day in [_iso_date(text, where)]
            if day is not None
        ]
        countries = [c.strip()[:40] for c in field(row, "countries").split(";") if c.strip()]
        clean = [n for n in names if n is not None]
        reference = field(row, "sanctions") or field(row, "dataset")
        entries.append(_entry(field(row, "id"), kind, clean, births, countries, reference, where))
        if len(entries) > MAX_ENTRIES:
            raise ScreeningError(f"more than {MAX_ENTRIES:,} entries")
        if len(entries) % 500 == 0:
            report("read", len(entries), 0)
    report("read", len(data), len(data))
    return entries
