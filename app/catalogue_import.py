"""Catalogue import: a CSV or .xlsx file plus an images folder matched by lot number. Pure
reading and validation here (no Qt, no core); `app/importer.py` runs the plan through the core.

One path for both formats: a reader turns the file into a header and cells (`read_table`), and
the same row checker judges every row. Every row gets a verdict: added, changed, unchanged, or
refused with a reason the cataloguer can act on. Nothing here writes anything, so a plan is
also the dry run: what the import would add and change, field by field.

Amounts (estimates, start, reserve, credit limits) are in major units of the sale currency and
are read exactly (Decimal, never float), see `parse_amount`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.formatting import _SYMBOLS, decimals, format_money
from app.i18n import _

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_UNZIPPED_BYTES = 80 * 1024 * 1024  # a workbook's parts, unpacked: beyond is a zip bomb
MAX_SHEET_LINES = 100_000  # rows scanned in a sheet, blank ones included
MAX_ROWS = 20_000  # rows with something in them
MAX_COLUMNS = 64
MAX_FIELD = 10_000
MAX_TITLE = 1_000
MAX_CONSIGNOR = 64
MAX_CATEGORY = 100
MAX_QUANTITY = 1_000_000
MAX_IMAGE_BYTES = 25 * 1024 * 1024
MAX_IMAGES_PER_LOT = 20
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".svg")
MAX_AMOUNT = 10**13

LOT_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-/]{0,31}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old binary .xls (or .doc)

VAT_SCHEMES = ("margin", "standard", "reduced", "zero", "import")
_VAT_ALIASES = {
    **{v: v for v in VAT_SCHEMES},
    "margin scheme": "margin",
    "std": "standard",
    "zero rated": "zero",
    "zero-rated": "zero",
    "imported": "import",
}
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0")

# Accepted header spellings → our field names (matched after `header_key`).
HEADERS: dict[str, str] = {
    "lot": "lot",
    "lot no": "lot",
    "lot number": "lot",
    "lotno": "lot",
    "lot #": "lot",
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
    "est low": "low",
    "low est": "low",
    "high": "high",
    "estimate high": "high",
    "high estimate": "high",
    "est high": "high",
    "high est": "high",
    "start": "start",
    "opening": "start",
    "opening bid": "start",
    "start price": "start",
    "starting bid": "start",
    "reserve": "reserve",
    "reserve price": "reserve",
    "quantity": "quantity",
    "qty": "quantity",
    "consignor": "consignor",
    "vendor": "consignor",
    "seller": "consignor",
    "consignor ref": "consignor",
    "vendor ref": "consignor",
    "vat": "vat",
    "vat scheme": "vat",
    "tax": "vat",
    "arr": "arr",
    "artist's resale right": "arr",
    "artists resale right": "arr",
    "resale right": "arr",
    "droit de suite": "arr",
    "category": "category",
    "department": "category",
    "condition": "condition",
    "condition report": "condition",
    "image": "images",
    "images": "images",
    "image file": "images",
    "image files": "images",
    "photo": "images",
    "photos": "images",
}
MONEY_FIELDS = ("low", "high", "start", "reserve")
# What an existing lot has when a field was never set (the engine's defaults).
DEFAULTS: dict[str, Any] = {
    "title": "",
    "description": "",
    "low": None,
    "high": None,
    "start": 0,
    "reserve": None,
    "quantity": 1,
    "consignor": "",
    "vat": "margin",
    "arr": False,
    "category": "",
    "condition": "",
    "images": [],
}


class CatalogueError(ValueError):
    """The file as a whole cannot be imported (too big, not a table, no lot/title columns)."""


@dataclass(frozen=True, slots=True)
class RowVerdict:
    line: int  # the file's line (CSV) or row (sheet) the row starts on (1 = header)
    lot: str
    ok: bool
    reason: str = ""  # why refused; for a change, what changes; else warnings
    action: str = ""  # add | edit | same | refuse | cancel ("" when the caller did not say)


# -- reading: CSV and .xlsx into one shape ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A workbook cell we will not guess at (an error value, a formula never calculated)."""

    why: str


Cell = str | Decimal | Unreadable


@dataclass(frozen=True, slots=True)
class SheetRow:
    line: int  # the line (CSV) or row (sheet) the row starts on (1 = header)
    values: dict[str, str]  # our field name -> the cell as text (the first column of that name)
    width: int  # cells in the row (up to the last non-empty one in a sheet)
    header_width: int
    numbers: dict[str, Decimal] = field(default_factory=dict)  # cells that were sheet numbers
    problems: dict[str, str] = field(default_factory=dict)  # cells that could not be read


CsvRow = SheetRow  # the name the bidder import used


@dataclass(slots=True)
class Table:
    rows: list[SheetRow] = field(default_factory=list)
    bad: list[RowVerdict] = field(default_factory=list)  # rows that could not be read at all
    unknown: list[str] = field(default_factory=list)  # columns we do not know (reported once)


def header_key(name: str) -> str:
    """ "Lot No." / "LOT_NO" / " lot  no " → "lot no"."""
    name = name.replace("\ufeff", "").replace("_", " ").strip().lower().rstrip(".:")
    return re.sub(r"\s+", " ", name.replace(".", " ").strip())


def decode(data: bytes) -> str:
    """CSV bytes → text: UTF-16 with a BOM (Excel's "Unicode text"), UTF-8 (with or without
    BOM), else Windows-1252 (old Excel)."""
    if len(data) > MAX_FILE_BYTES:
        raise CatalogueError(
            _("the file is larger than {mb} MB").format(mb=MAX_FILE_BYTES // (1024 * 1024))
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CatalogueError(_("the file says UTF-16 but is not")) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise CatalogueError(_("the file is not text (not UTF-8 or Windows-1252)")) from exc


def is_workbook(data: bytes, name: str = "") -> bool:
    return data.startswith(b"PK\x03\x04") or name.lower().endswith((".xlsx", ".xlsm"))


def read_table(
    data: bytes, name: str, headers: Mapping[str, str], required: tuple[str, ...]
) -> Table:
    """A CSV or .xlsx file (told apart by its first bytes, then its name) as a Table.

    Raises CatalogueError when the file as a whole is unusable."""
    if len(data) > MAX_FILE_BYTES:
        raise CatalogueError(
            _("the file is larger than {mb} MB").format(mb=MAX_FILE_BYTES // (1024 * 1024))
        )
    if data.startswith(_OLE) or name.lower().endswith(".xls"):
        raise CatalogueError(
            _(
                "an old .xls workbook or a password-protected one: save it as .xlsx (no password) "
                "or CSV and import that"
            )
        )
    if is_workbook(data, name):
        header, body = _xlsx_cells(data)
        return _table(header, body, headers, required)
    return text_table(decode(data), headers, required)


def text_table(text: str, headers: Mapping[str, str], required: tuple[str, ...]) -> Table:
    """A decoded CSV (`,`, `;` or tab separated, told by the first line) as a Table."""
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise CatalogueError(_("the file is empty")) from exc
    except csv.Error as exc:
        raise CatalogueError(_("the header line cannot be read: {exc}").format(exc=exc)) from exc

    def body() -> Iterator[tuple[int, list[Cell] | str]]:
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield line, f"unreadable row: {exc}"
                continue
            yield line, list(row)

    return _table(list(header), body(), headers, required)


def csv_rows(
    text: str, headers: Mapping[str, str], required: tuple[str, ...], bad: list[RowVerdict]
) -> Iterator[SheetRow]:
    """The rows of a CSV text (kept for callers of the old reader); unreadable rows go to
    `bad`."""
    table = text_table(text, headers, required)
    bad.extend(table.bad)
    yield from table.rows


def _table(
    header: list[Cell],
    body: Iterable[tuple[int, list[Cell] | str]],
    headers: Mapping[str, str],
    required: tuple[str, ...],
) -> Table:
    """Name the columns, then judge only whether each row can be read (the checkers judge the
    rest). Raises CatalogueError for a file without the required columns or too many rows."""
    known = {header_key(k): v for k, v in headers.items()}
    table = Table()
    columns: list[str | None] = []
    for cell in header[:MAX_COLUMNS]:
        text = _number_text(cell) if isinstance(cell, Decimal) else cell
        text = text if isinstance(text, str) else ""
        key = header_key(text)
        name = known.get(key)
        if name is not None and name in columns:
            table.unknown.append(
                _("{column} (a second '{name}' column: not read)").format(
                    column=text.strip()[:40], name=name
                )
            )
            name = None
        elif name is None and key:
            table.unknown.append(text.strip()[:40])
        columns.append(name)
    if len(header) > MAX_COLUMNS and any(_filled(c) for c in header[MAX_COLUMNS:]):
        table.unknown.append(_("columns after the {n}th (not read)").format(n=MAX_COLUMNS))
    if any(name not in columns for name in required):
        if not any(_filled(c) for c in header):
            raise CatalogueError(_("the file is empty: no header row"))
        names = " and ".join(f"'{name}'" for name in required)
        raise CatalogueError(
            _("the first line must name the columns, at least {names}").format(names=names)
        )
    header_width = _width(header)
    count = 0
    for line, cells in body:
        if isinstance(cells, str):
            table.bad.append(RowVerdict(line, "", False, cells, "refuse"))
            continue
        if not any(_filled(c) for c in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise CatalogueError(
                _("more than {n} rows: split the file (nothing was imported)").format(n=MAX_ROWS)
            )
        values: dict[str, str] = {}
        numbers: dict[str, Decimal] = {}
        problems: dict[str, str] = {}
        for name, cell in zip(columns, cells, strict=False):
            if name is None or name in values:
                continue
            if isinstance(cell, Unreadable):
                values[name] = ""
                problems[name] = cell.why
            elif isinstance(cell, Decimal):
                values[name] = _number_text(cell)
                numbers[name] = cell
            else:
                values[name] = cell
        table.rows.append(SheetRow(line, values, _width(cells), header_width, numbers, problems))
    return table


def _filled(cell: Cell) -> bool:
    return not isinstance(cell, str) or bool(cell.strip())


def _width(cells: list[Cell]) -> int:
    return max((i + 1 for i, c in enumerate(cells) if _filled(c)), default=0)


def _number_text(number: Decimal) -> str:
    """A sheet number as text: 12 → "12", 1234.5 → "1234.5" (no exponent, no grouping)."""
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _xlsx_cells(data: bytes) -> tuple[list[Cell], Iterator[tuple[int, list[Cell] | str]]]:
    """The first sheet of a workbook: its header row and then its rows, as cells.

    Formulas are read as the values the spreadsheet program saved (never evaluated here); a
    formula without a saved value, or an error value (#REF!), is an `Unreadable` cell."""
    _check_zip(data)
    try:
        import openpyxl  # a dependency of the import only: loaded when a workbook comes

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise CatalogueError(
            _("the workbook cannot be read ({error})").format(error=type(exc).__name__)
        ) from exc
    if not values.worksheets:
        raise CatalogueError(_("the workbook has no sheet"))
    sheets = (values.worksheets[0], formulas.worksheets[0])
    rows = zip(*(_sheet_rows(s) for s in sheets), strict=False)
    try:
        first = next(rows, None)
    except CatalogueError:
        raise
    except Exception as exc:
        raise CatalogueError(
            _("the workbook cannot be read ({error})").format(error=type(exc).__name__)
        ) from exc
    if first is None:
        raise CatalogueError(_("the file is empty: the first sheet has no rows"))
    header = [_xlsx_cell(v, f) for v, f in zip(*first, strict=False)]

    def body() -> Iterator[tuple[int, list[Cell] | str]]:
        line = 1
        try:
            for value_row, formula_row in rows:
                line += 1
                if line > MAX_SHEET_LINES:
                    raise CatalogueError(
                        _("the sheet runs past row {n}: split it (nothing was imported)").format(
                            n=MAX_SHEET_LINES
                        )
                    )
                cells = [_xlsx_cell(v, f) for v, f in zip(value_row, formula_row, strict=False)]
                yield line, cells
        except CatalogueError:
            raise
        except Exception as exc:
            raise CatalogueError(
                _("the workbook cannot be read after row {line} ({error})").format(
                    line=line, error=type(exc).__name__
                )
            ) from exc
        finally:
            values.close()
            formulas.close()

    return header, body()


def _check_zip(data: bytes) -> None:
    """Refuse what is not a workbook, or would unpack to far more than it weighs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise CatalogueError(_("not an .xlsx workbook (the file is damaged or not a zip)")) from exc
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise CatalogueError(_("not an .xlsx workbook (a zip without a workbook in it)"))
    if sum(info.file_size for info in infos) > MAX_UNZIPPED_BYTES:
        raise CatalogueError(
            _(
                "the workbook unpacks to more than {mb} MB: save a smaller one (or export a CSV)"
            ).format(mb=MAX_UNZIPPED_BYTES // (1024 * 1024))
        )


def _sheet_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    # The stored dimension may lie (a "bomb" claims a million rows): read the real rows only.
    sheet.reset_dimensions()
    # One column past the limit, so that a wider sheet is reported, not silently cut.
    rows: Iterator[tuple[Any, ...]] = sheet.iter_rows(max_col=MAX_COLUMNS + 1)
    return rows


def _xlsx_cell(value_cell: Any, formula_cell: Any) -> Cell:
    value = getattr(value_cell, "value", None)
    kind = getattr(value_cell, "data_type", "n")
    if value is None:
        if getattr(formula_cell, "data_type", "") == "f":
            return Unreadable(
                "a formula without a saved value (open and save the file in a spreadsheet "
                "program, or paste values)"
            )
        return ""
    if kind == "e":
        return Unreadable(f"the cell shows an error ({str(value)[:20]})")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return Unreadable("not a finite number")
        return Decimal(repr(value))  # the shortest text that is this float: what was typed
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# -- amounts ------------------------------------------------------------------------------------


def parse_amount(text: str, currency: str, number: Decimal | None = None) -> int:
    """An amount in major units → minor units, exactly (Decimal, never float).

    The rule: digits, optionally grouped by thousands with "," "." a space or an apostrophe
    (groups of exactly three), and a decimal mark ("." or ",") followed by at most the
    currency's minor digits. When both marks appear, the last is the decimal mark. A single
    mark followed by exactly three digits groups thousands ("1,234" and "1.234" are 1234) —
    except in a currency with three minor digits, where it could be either and is refused.
    A currency symbol or code is ignored. Refused: negatives, words, malformed groups, more
    decimals than the currency has, amounts above MAX_AMOUNT minor units. A sheet number
    (`number`) is taken as it is.
    Raises ValueError with the reason.
    """
    digits = decimals(currency)
    value = number if number is not None else _amount_text(text, digits, currency)
    if value < 0:
        raise ValueError(_("negative amount"))
    minor = value.scaleb(digits)
    if minor > MAX_AMOUNT:
        raise ValueError(_("amount too large"))
    if minor != minor.to_integral_value():
        raise ValueError(
            _("more than {digits} decimals for {currency}").format(
                digits=digits, currency=currency.upper()
            )
        )
    return int(minor)


def _amount_text(text: str, digits: int, currency: str) -> Decimal:
    shown = text.strip()[:40]
    raw = text.strip()
    marks = {*(s.strip() for s in _SYMBOLS.values()), *_SYMBOLS, currency.upper()}
    for mark in sorted(marks, key=len, reverse=True):
        raw = raw.replace(mark, "")
    raw = re.sub(r"[\s\u00a0\u202f'’]", "", raw)
    if not raw:
        raise ValueError(_("empty amount"))
    if raw.startswith(("-", "(", "\u2212")):
        raise ValueError(_("negative amount"))
    if not re.fullmatch(r"[0-9.,]+", raw) or not re.search(r"\d", raw):
        raise ValueError(_("not an amount: {shown!r}").format(shown=shown))
    last = max(raw.rfind("."), raw.rfind(","))
    if last < 0:
        return Decimal(raw)
    mark, head, tail = raw[last], raw[:last], raw[last + 1 :]
    other = "," if mark == "." else "."
    if other in raw:  # both marks: the last is the decimal one, the other groups
        if mark in head or not tail or not _grouped(head, other):
            raise ValueError(_("not an amount: {shown!r}").format(shown=shown))
        return _decimal(head.replace(other, "") + "." + tail, shown)
    if raw.count(mark) > 1:  # one mark, several times: grouping only
        if not _grouped(raw, mark):
            raise ValueError(_("not an amount: {shown!r}").format(shown=shown))
        return _decimal(raw.replace(mark, ""), shown)
    if len(tail) == 3 and _grouped(raw, mark):
        if digits == 3:
            raise ValueError(
                _("{shown!r} is ambiguous: write it without a thousands mark").format(shown=shown)
            )
        return _decimal(head + tail, shown)
    if not tail:
        raise ValueError(_("not an amount: {shown!r}").format(shown=shown))
    return _decimal((head or "0") + "." + tail, shown)


def _grouped(text: str, mark: str) -> bool:
    return re.fullmatch(r"\d{1,3}(?:" + re.escape(mark) + r"\d{3})+", text) is not None


def _decimal(text: str, shown: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(_("not an amount: {shown!r}").format(shown=shown)) from exc


# -- the catalogue ------------------------------------------------------------------------------


@dataclass(slots=True)
class LotPlan:
    """A good row: the lot's fields as given (money in minor units), the image files to copy,
    and what happens to it: added, changed (draft) or unchanged."""

    line: int
    lot: str
    title: str
    description: str = ""
    low: int | None = None
    high: int | None = None
    start: int | None = None
    reserve: int | None = None
    quantity: int | None = None
    consignor: str = ""
    vat: str = ""
    arr: bool | None = None
    category: str = ""
    condition: str = ""
    image_files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    action: str = "add"  # add | edit | same
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (old, new)

    def given(self) -> dict[str, Any]:
        """The fields this row sets (an empty cell sets nothing), without images."""
        out: dict[str, Any] = {}
        for key in DEFAULTS:  # the catalogue's order: what a diff lists first
            value = getattr(self, key, None) if key != "images" else None
            if value is not None and value != "":
                out[key] = value
        return out

    def image_names(self) -> list[str]:
        """The names the images get in the data dir (see `image_target_name`)."""
        return [image_target_name(self.lot, n, f) for n, f in enumerate(self.image_files, 1)]

    def command(self, image_names: list[str], reason: str | None = None) -> dict[str, Any]:
        """The add_lot (new lot) or edit_lot (changed lot) command for this row."""
        if self.action == "edit":
            changes = {k: new for k, (_old, new) in self.changes.items()}
            if "images" in changes:
                changes["images"] = image_names
            return {"op": "edit_lot", "lot": self.lot, "changes": changes}
        lot: dict[str, Any] = {"id": self.lot, "description": "", **self.given()}
        lot["images"] = image_names
        command: dict[str, Any] = {"op": "add_lot", "lot": lot}
        if reason:
            command["reason"] = reason
        return command


@dataclass(slots=True)
class ImportPlan:
    good: list[LotPlan] = field(default_factory=list)
    bad: list[RowVerdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the file or the sale, said once
    status: str = "live"
    currency: str = "EUR"

    def verdicts(self) -> list[RowVerdict]:
        rows = [
            RowVerdict(p.line, p.lot, True, row_detail(p, self.currency), p.action)
            for p in self.good
        ]
        return sorted([*rows, *self.bad], key=lambda v: v.line)

    def count(self, action: str) -> int:
        return sum(1 for p in self.good if p.action == action)


def row_detail(plan: LotPlan, currency: str = "") -> str:
    if plan.action == "edit":
        return "; ".join([describe_changes(plan.changes, currency), *plan.warnings])
    if plan.action == "same":
        return "; ".join([_("no change"), *plan.warnings])
    return "; ".join(plan.warnings)


def describe_changes(changes: Mapping[str, tuple[Any, Any]], currency: str = "") -> str:
    """ "low €100 → €120; vat margin → standard" (long texts shortened)."""
    return "; ".join(
        f"{k} {_show(k, a, currency)} → {_show(k, b, currency)}" for k, (a, b) in changes.items()
    )


def _show(key: str, value: Any, currency: str) -> str:
    if key in MONEY_FIELDS:
        return format_money(value, currency or "EUR")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(map(str, value)) or _("none")
    text = str(value) if value not in (None, "") else "—"
    return text if len(text) <= 40 else text[:37] + "…"


def lot_table(data: bytes, name: str = "") -> Table:
    """A catalogue file (CSV or .xlsx) read into rows; see `read_table`."""
    return read_table(data, name, HEADERS, ("lot",))


def parse_catalogue(
    source: str | Table,
    images: Mapping[str, list[Path]] | None = None,
    existing: Mapping[str, Mapping[str, Any]] | Iterable[str] = (),
    currency: str = "EUR",
    images_folder: Path | None = None,
    *,
    status: str = "live",
    reason: str | None = None,
) -> ImportPlan:
    """Judge every row of a catalogue: the plan is also the dry run (nothing is written).

    Args:
        source: a decoded CSV (first line names the columns) or a `lot_table`.
        images: `index_images(folder)` for matching images by lot number.
        existing: the sale's lots, id -> their fields in add_lot's words (or just their ids).
        currency: the sale currency; amounts in the file are in major units ("1,200.50").
        images_folder: where an explicit `images` column's file names are looked up.
        status: the sale's status. In a draft a row for an existing lot changes it (only the
            columns the file has, and only non-empty cells); live or closed, it is refused: the
            catalogue is frozen and amendments go one at a time, with a reason.
        reason: why lots are added to a live sale; without one a live sale takes no new lots.

    Return:
        the good rows (to add, change, or unchanged) and the refused ones with their reasons.
    """
    table = source if isinstance(source, Table) else text_table(source, HEADERS, ("lot",))
    plan = ImportPlan(bad=list(table.bad), status=status, currency=currency)
    if not table.rows and not table.bad:
        plan.notes.append(_("the file has a header but no rows"))
    if table.unknown:
        plan.notes.append("columns not read: " + ", ".join(table.unknown))
    plan.notes.extend(_status_notes(status, reason))
    images = images or {}
    lots = _existing(existing)
    by_key = {lot.casefold(): lot for lot in lots}
    seen: dict[str, int] = {}
    for row in table.rows:
        line = row.line
        lot = _clean(row.values.get("lot"))
        verdict = _check_row(row, lot, currency)
        if isinstance(verdict, str):
            plan.bad.append(RowVerdict(line, lot[:40], False, verdict, "refuse"))
            continue
        key = lot.casefold()
        if key in seen:
            plan.bad.append(
                RowVerdict(
                    line,
                    lot,
                    False,
                    _("lot {lot} repeats line {first}").format(lot=lot, first=seen[key]),
                    "refuse",
                )
            )
            continue
        seen[key] = line
        verdict.line = line
        _attach_images(verdict, row.values.get("images", ""), images, images_folder)
        refused = _decide(verdict, by_key.get(key), lots, status, reason, currency)
        if refused:
            plan.bad.append(RowVerdict(line, verdict.lot, False, refused, "refuse"))
        else:
            plan.good.append(verdict)
    return plan


def _status_notes(status: str, reason: str | None) -> list[str]:
    if status == "draft":
        return []
    if status == "closed":
        return ["the sale is closed: nothing can be imported"]
    notes = [
        "the sale is live: the catalogue is frozen, so lots already in the sale are not "
        "changed by an import (amend them one at a time, with a reason)"
    ]
    if not reason:
        notes.append(_("new lots are added to a live sale only with a reason: give one"))
    else:
        notes.append(
            _("new lots are added with the reason {reason!r} and a saleroom notice").format(
                reason=reason[:60]
            )
        )
    return notes


def _existing(
    existing: Mapping[str, Mapping[str, Any]] | Iterable[str],
) -> dict[str, Mapping[str, Any]]:
    if isinstance(existing, Mapping):
        return dict(existing)
    return {lot: {} for lot in existing}


def _decide(
    plan: LotPlan,
    match: str | None,
    lots: Mapping[str, Mapping[str, Any]],
    status: str,
    reason: str | None,
    currency: str,
) -> str:
    """Set the plan's action; return why it is refused ("" when it is not)."""
    if status == "closed":
        return _("the sale is closed")
    if match is None:
        if not plan.title:
            return _("no title")
        if status != "draft" and not reason:
            return _("the sale is live: a new lot needs a reason (give one and import again)")
        plan.action = "add"
        return ""
    plan.lot = match  # the sale's spelling of the lot number
    plan.changes = _changes(plan, lots[match])
    if not plan.changes:
        plan.action = "same"
        return ""
    if status != "draft":
        return _(
            "lot {match} is already in the sale and the catalogue is frozen: amend it with a "
            "reason (would change {changes})"
        ).format(match=match, changes=describe_changes(plan.changes, currency))
    plan.action = "edit"
    return ""


def _changes(plan: LotPlan, old: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    new = plan.given()
    if plan.image_files:
        new["images"] = plan.image_names()
    out: dict[str, tuple[Any, Any]] = {}
    for key, value in new.items():
        before = old.get(key, DEFAULTS.get(key))
        if isinstance(before, tuple):
            before = list(before)
        if before != value:
            out[key] = (before, value)
    return out


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _check_row(row: SheetRow, lot: str, currency: str) -> LotPlan | str:
    """A LotPlan (its action still to be decided), or the reason the row is refused."""
    values = row.values
    if row.problems:
        name, why = next(iter(row.problems.items()))
        return f"{name}: {why}"
    if not lot:
        return _("no lot number")
    number = row.numbers.get("lot")
    if number is not None and number != number.to_integral_value():
        return _(
            "lot number {lot} is a number in the sheet (12.1 and 12.10 would be the same): "
            "format the column as text"
        ).format(lot=lot)
    if not LOT_ID.match(lot):
        return _("bad lot number (letters, digits, . - / only, at most 32)")
    if row.width > row.header_width + 5:
        return _("{width} columns where the header has {header_width}").format(
            width=row.width, header_width=row.header_width
        )
    for name, value in values.items():
        if len(value) > MAX_FIELD:
            return _("{name} is longer than {limit} characters").format(name=name, limit=MAX_FIELD)
        if _CONTROL.search(value):
            return _("{name} contains control characters").format(name=name)
    title = _clean(values.get("title"))
    if len(title) > MAX_TITLE:
        return _("title is longer than {limit} characters").format(limit=MAX_TITLE)
    amounts: dict[str, int | None] = {}
    for key in MONEY_FIELDS:
        raw = _clean(values.get(key))
        if not raw:
            amounts[key] = None
            continue
        try:
            amounts[key] = parse_amount(raw, currency, row.numbers.get(key))
        except ValueError as exc:
            return f"{key}: {exc}"
    low, high = amounts["low"], amounts["high"]
    if low is not None and high is not None and low > high:
        return _("low estimate above high estimate")
    extra = _check_extra(values)
    if isinstance(extra, str):
        return extra
    plan = LotPlan(
        0,
        lot,
        title,
        _clean(values.get("description")),
        low=amounts["low"],
        high=amounts["high"],
        start=amounts["start"],
        reserve=amounts["reserve"],
        **extra,
    )
    if plan.reserve is not None and high is not None and plan.reserve > high:
        plan.warnings.append(_("reserve above the high estimate"))
    return plan


def _check_extra(values: Mapping[str, str]) -> dict[str, Any] | str:
    """The new lot fields: quantity, consignor, vat, arr, category, condition."""
    out: dict[str, Any] = {}
    quantity = _clean(values.get("quantity"))
    if quantity:
        if not quantity.isdigit() or not 1 <= int(quantity) <= MAX_QUANTITY:
            return _("quantity {value!r}: a whole number from 1 to {most}").format(
                value=quantity[:20], most=MAX_QUANTITY
            )
        out["quantity"] = int(quantity)
    for key, limit in (("consignor", MAX_CONSIGNOR), ("category", MAX_CATEGORY)):
        text = _clean(values.get(key))
        if len(text) > limit:
            return _("{key} is longer than {limit} characters").format(key=key, limit=limit)
        out[key] = text
    out["condition"] = _clean(values.get("condition"))
    vat = _clean(values.get("vat")).lower()
    if vat and vat not in _VAT_ALIASES:
        return _("vat {value!r}: use {choices}").format(
            value=vat[:20], choices=", ".join(VAT_SCHEMES)
        )
    out["vat"] = _VAT_ALIASES.get(vat, "")
    arr = _clean(values.get("arr")).lower()
    if arr and arr not in YES + NO:
        return _("arr {value!r}: use yes or no").format(value=arr[:20])
    out["arr"] = None if not arr else arr in YES
    return out


# -- images -------------------------------------------------------------------------------------


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


def _attach_images(
    plan: LotPlan, named: str, index: Mapping[str, list[Path]], folder: Path | None
) -> None:
    files: list[Path] = []
    for name in filter(None, (n.strip() for n in re.split(r"[;|]", named or ""))):
        if "/" in name or "\\" in name or name.startswith("."):
            plan.warnings.append(
                _("image {name!r} ignored (not a plain file name)").format(name=name[:40])
            )
            continue
        if folder is None:
            plan.warnings.append(
                _("image {name!r} not found (no images folder chosen)").format(name=name[:40])
            )
            continue
        path = folder / name
        if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
            files.append(path)
        else:
            plan.warnings.append(_("image {name!r} not found").format(name=name[:40]))
    for path in _images_for(plan.lot, index):
        if path not in files:
            files.append(path)
    ok: list[Path] = []
    for path in files[:MAX_IMAGES_PER_LOT]:
        try:
            size = path.stat().st_size
        except OSError:
            plan.warnings.append(_("image {name} unreadable").format(name=path.name[:40]))
            continue
        if size > MAX_IMAGE_BYTES:
            plan.warnings.append(
                _("image {name} larger than 25 MB: skipped").format(name=path.name[:40])
            )
            continue
        ok.append(path)
    plan.image_files = ok


def image_target_name(lot: str, index: int, source: Path) -> str:
    """The file name an imported image gets in the data dir: "12A_1.jpg" (lot-safe)."""
    safe = re.sub(r"[^0-9A-Za-z.\-]", "-", lot)
    return f"{safe}_{index}{source.suffix.lower()}"
