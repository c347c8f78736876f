"""Catalogue import: a CSV file plus an images folder matched by lot number. Pure parsing and
validation here (no Qt, no core); the console runs the plan through the core facade.

Every row gets a verdict: imported, or refused with a reason the cataloguer can act on.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.formatting import parse_money

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_ROWS = 20_000
MAX_FIELD = 10_000
MAX_TITLE = 1_000
MAX_IMAGE_BYTES = 25 * 1024 * 1024
MAX_IMAGES_PER_LOT = 20
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".svg")
MAX_AMOUNT = 10**13

LOT_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-/]{0,31}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Accepted header spellings → our field names.
HEADERS: dict[str, str] = {
    "lot": "lot",
    "lot no": "lot",
    "lot number": "lot",
    "lot_no": "lot",
    "lotno": "lot",
    "number": "lot",
    "#": "lot",
    "no": "lot",
    "id": "lot",
    "title": "title",
    "name": "title",
    "heading": "title",
    "description": "description",
    "desc": "description",
    "details": "description",
    "low": "low",
    "estimate low": "low",
    "low estimate": "low",
    "estimate_low": "low",
    "est low": "low",
    "high": "high",
    "estimate high": "high",
    "high estimate": "high",
    "estimate_high": "high",
    "est high": "high",
    "start": "start",
    "opening": "start",
    "opening bid": "start",
    "start price": "start",
    "reserve": "reserve",
    "image": "images",
    "images": "images",
    "image file": "images",
    "photo": "images",
}


class CatalogueError(ValueError):
    """The file as a whole cannot be imported (too big, not text, no lot/title columns)."""


@dataclass(frozen=True, slots=True)
class RowVerdict:
    line: int  # the CSV line number the row starts on (1 = header)
    lot: str
    ok: bool
    reason: str = ""


@dataclass(slots=True)
class LotPlan:
    """A good row: the add_lot fields (money in minor units) and image files to copy."""

    line: int
    lot: str
    title: str
    description: str = ""
    low: int | None = None
    high: int | None = None
    start: int | None = None
    reserve: int | None = None
    image_files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def command(self, image_names: list[str]) -> dict[str, Any]:
        lot: dict[str, Any] = {
            "id": self.lot,
            "title": self.title,
            "description": self.description,
            "images": image_names,
        }
        for key in ("low", "high", "start", "reserve"):
            value = getattr(self, key)
            if value is not None:
                lot[key] = value
        return {"op": "add_lot", "lot": lot}


@dataclass(slots=True)
class ImportPlan:
    good: list[LotPlan] = field(default_factory=list)
    bad: list[RowVerdict] = field(default_factory=list)

    def verdicts(self) -> list[RowVerdict]:
        rows = [RowVerdict(p.line, p.lot, True, "; ".join(p.warnings)) for p in self.good]
        return sorted([*rows, *self.bad], key=lambda v: v.line)


def decode(data: bytes) -> str:
    """CSV bytes → text: UTF-8 (with or without BOM), else Windows-1252 (old Excel)."""
    if len(data) > MAX_FILE_BYTES:
        raise CatalogueError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise CatalogueError("the file is not text (not UTF-8 or Windows-1252)") from exc


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int  # the line the row starts on (1 = header)
    values: dict[str, str]  # our field name -> the cell (the first column of that name)
    width: int  # cells in the row
    header_width: int


def csv_rows(
    text: str, headers: Mapping[str, str], required: tuple[str, ...], bad: list[RowVerdict]
) -> Iterator[CsvRow]:
    """The non-blank rows of a CSV whose first line names the columns (`headers` maps the
    accepted spellings to our names; `;` or `,` separated). Unreadable rows, and rows past
    MAX_ROWS, go to `bad`. Raises CatalogueError if the file has no usable header."""
    first = text.split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=";" if first.count(";") > first.count(",") else ","
    )
    try:
        header = next(reader)
    except StopIteration as exc:
        raise CatalogueError("the file is empty") from exc
    except csv.Error as exc:
        raise CatalogueError(f"the header line cannot be read: {exc}") from exc
    columns = [headers.get(h.strip().lower().replace("\ufeff", "")) for h in header]
    if any(name not in columns for name in required):
        names = " and ".join(f"'{name}'" for name in required)
        raise CatalogueError(f"the first line must name the columns, at least {names}")
    rows = 0
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            bad.append(RowVerdict(line, "", False, f"unreadable row: {exc}"))
            continue
        if not any(cell.strip() for cell in row):
            continue
        rows += 1
        if rows > MAX_ROWS:
            bad.append(RowVerdict(line, "", False, f"more than {MAX_ROWS} rows: ignored"))
            return
        values: dict[str, str] = {}
        for name, cell in zip(columns, row, strict=False):
            if name is not None and name not in values:
                values[name] = cell
        yield CsvRow(line, values, len(row), len(header))


def index_images(folder: Path | None) -> dict[str, list[Path]]:
    """Image files of `folder` keyed by lot number (case-folded).

    "12A.jpg", "12a_2.png", "12A (3).jpg" and "12A-4.jpg" all belong to lot 12A (a file
    "12-1.jpg" is offered to lots "12-1" and "12").
    """
    out: dict[str, list[Path]] = {}
    if folder is None or not folder.is_dir():
        return out
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in IMAGE_EXTENSIONS or path.name.startswith("."):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        stem = path.stem.casefold()
        keys = {stem, re.split(r"[_ (]", stem, maxsplit=1)[0].strip()}
        dash = re.match(r"^(.+)-\d+$", stem)
        if dash:
            keys.add(dash.group(1))
        for key in keys:
            if key:
                out.setdefault(key, []).append(path)
    return out


def _images_for(lot: str, index: Mapping[str, list[Path]]) -> list[Path]:
    return list(index.get(lot.casefold(), ()))


def _clean(value: str | None) -> str:
    return (value or "").strip()


def parse_catalogue(
    text: str,
    images: Mapping[str, list[Path]] | None = None,
    existing: Iterable[str] = (),
    currency: str = "EUR",
    images_folder: Path | None = None,
) -> ImportPlan:
    """Validate every row of a catalogue CSV.

    Args:
        text: the decoded CSV; the first line is a header naming at least lot and title.
        images: `index_images(folder)` for matching images by lot number.
        existing: lot numbers already in the sale (a row repeating one is refused).
        currency: the sale currency; amounts in the file are in major units ("1,200.50").
        images_folder: where an explicit `image` column's file names are looked up.

    Return:
        the good rows as add_lot plans and the bad rows with their reasons.
    """
    plan = ImportPlan()
    images = images or {}
    taken = {lot.casefold() for lot in existing}
    seen: dict[str, int] = {}
    for row in csv_rows(text, HEADERS, ("lot", "title"), plan.bad):
        line, values = row.line, row.values
        lot = _clean(values.get("lot"))
        verdict = _check_row(values, lot, row.width, row.header_width, currency)
        if isinstance(verdict, str):
            plan.bad.append(RowVerdict(line, lot[:40], False, verdict))
            continue
        key = lot.casefold()
        if key in taken:
            plan.bad.append(RowVerdict(line, lot, False, f"lot {lot} is already in the sale"))
            continue
        if key in seen:
            plan.bad.append(RowVerdict(line, lot, False, f"lot {lot} repeats line {seen[key]}"))
            continue
        seen[key] = line
        verdict.line = line
        _attach_images(verdict, values.get("images", ""), images, images_folder)
        plan.good.append(verdict)
    return plan


def _check_row(
    values: Mapping[str, str], lot: str, width: int, header_width: int, currency: str
) -> LotPlan | str:
    """A LotPlan, or the reason the row is refused."""
    if not lot:
        return "no lot number"
    if not LOT_ID.match(lot):
        return "bad lot number (letters, digits, . - / only, at most 32)"
    if width > header_width + 5:
        return f"{width} columns where the header has {header_width}"
    for name, value in values.items():
        if len(value) > MAX_FIELD:
            return f"{name} is longer than {MAX_FIELD} characters"
        if _CONTROL.search(value):
            return f"{name} contains control characters"
    title = _clean(values.get("title"))
    if not title:
        return "no title"
    if len(title) > MAX_TITLE:
        return f"title is longer than {MAX_TITLE} characters"
    amounts: dict[str, int | None] = {}
    for key in ("low", "high", "start", "reserve"):
        raw = _clean(values.get(key))
        if not raw:
            amounts[key] = None
            continue
        try:
            amount = parse_money(raw, currency)
        except ValueError as exc:
            return f"{key}: {exc}"
        if amount > MAX_AMOUNT:
            return f"{key}: amount too large"
        amounts[key] = amount
    low, high = amounts["low"], amounts["high"]
    if low is not None and high is not None and low > high:
        return "low estimate above high estimate"
    plan = LotPlan(
        0,
        lot,
        title,
        _clean(values.get("description")),
        low=amounts["low"],
        high=amounts["high"],
        start=amounts["start"],
        reserve=amounts["reserve"],
    )
    if plan.reserve is not None and high is not None and plan.reserve > high:
        plan.warnings.append("reserve above the high estimate")
    return plan


def _attach_images(
    plan: LotPlan, named: str, index: Mapping[str, list[Path]], folder: Path | None
) -> None:
    files: list[Path] = []
    for name in filter(None, (n.strip() for n in re.split(r"[;|]", named or ""))):
        if "/" in name or "\\" in name or name.startswith(".") or folder is None:
            plan.warnings.append(f"image {name[:40]!r} ignored (not a plain file name)")
            continue
        path = folder / name
        if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
            files.append(path)
        else:
            plan.warnings.append(f"image {name[:40]!r} not found")
    for path in _images_for(plan.lot, index):
        if path not in files:
            files.append(path)
    ok: list[Path] = []
    for path in files[:MAX_IMAGES_PER_LOT]:
        try:
            size = path.stat().st_size
        except OSError:
            plan.warnings.append(f"image {path.name[:40]} unreadable")
            continue
        if size > MAX_IMAGE_BYTES:
            plan.warnings.append(f"image {path.name[:40]} larger than 25 MB: skipped")
            continue
        ok.append(path)
    plan.image_files = ok


def image_target_name(lot: str, index: int, source: Path) -> str:
    """The file name an imported image gets in the data dir: "12A_1.jpg" (lot-safe)."""
    safe = re.sub(r"[^0-9A-Za-z.\-]", "-", lot)
    return f"{safe}_{index}{source.suffix.lower()}"
