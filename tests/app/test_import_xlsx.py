"""Catalogue and bidder imports from .xlsx workbooks (and the CSV edge cases the two readers
share): new lot fields, header aliases, exact amounts, and hostile files. The workbooks are
made here with openpyxl (no binaries in the repository)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import openpyxl
import pytest

from app import catalogue_import
from app.bidder_import import read_bidders
from app.catalogue_import import (
    MAX_COLUMNS,
    MAX_ROWS,
    CatalogueError,
    decode,
    lot_table,
    parse_amount,
    parse_catalogue,
)


def workbook(*rows: list[Any], text: dict[tuple[int, int], str] | None = None) -> bytes:
    """An .xlsx with `rows` on its first sheet; `text` cells (row, col) are stored as text
    even when they start with "=" (as a spreadsheet stores a typed '=...)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for (r, c), value in (text or {}).items():
        cell = ws.cell(row=r, column=c)
        cell.value = value
        cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plan_of(data: bytes, name: str = "c.xlsx", **kw: Any):
    kw.setdefault("status", "draft")
    plan = parse_catalogue(lot_table(data, name), **kw)
    return plan, {v.line: v for v in plan.verdicts()}


HEADER = [
    "Lot No.",
    "Title",
    "Low Est",
    "High Est",
    "Reserve",
    "Qty",
    "Vendor",
    "VAT",
    "ARR",
    "Category",
    "Condition",
    "Images",
]


def test_a_house_workbook_with_every_field():
    data = workbook(
        [*HEADER, "Colour"],
        [1, "Vase", 1200, 1800.5, 1000, 2, "V-12", "Standard", True, "Ceramics", "chip", "", "x"],
        ["2A", "Clock", "1,200", "€1.800,50", None, None, None, "margin", "no", None, None, ""],
    )
    plan, v = plan_of(data)
    assert plan.notes == ["columns not read: Colour"]  # said once, not fatal
    assert [v[2].ok, v[3].ok] == [True, True], plan.verdicts()
    first, second = plan.good
    assert first.command([])["lot"] == {
        "id": "1",
        "title": "Vase",
        "description": "",
        "low": 120000,
        "high": 180050,
        "reserve": 100000,
        "quantity": 2,
        "consignor": "V-12",
        "vat": "standard",
        "arr": True,
        "category": "Ceramics",
        "condition": "chip",
        "images": [],
    }
    assert (second.low, second.high, second.vat, second.arr) == (120000, 180050, "margin", False)
    assert "quantity" not in second.command([])["lot"]  # the engine's default (1) applies


def test_header_aliases_are_case_insensitive_and_csv_reads_the_same():
    csv_text = (
        "LOT,title,LOW EST,high est,qty,Consignor,vat,Artist's Resale Right\n"
        "7,Teapot,100,200,3,C-1,zero,1\n"
    )
    plan, _ = plan_of(csv_text.encode(), "c.csv")
    lot = plan.good[0]
    assert (lot.low, lot.high, lot.quantity, lot.consignor, lot.vat, lot.arr) == (
        10000,
        20000,
        3,
        "C-1",
        "zero",
        True,
    )


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"Qty": 0}, "quantity"),
        ({"Qty": -2}, "quantity"),
        ({"Qty": 1.5}, "quantity"),
        ({"Qty": "two"}, "quantity"),
        ({"VAT": "exempt"}, "vat 'exempt'"),
        ({"ARR": "maybe"}, "arr 'maybe'"),
        ({"Vendor": "v" * 65}, "consignor is longer than 64"),
        ({"Category": "c" * 101}, "category is longer than 100"),
        ({"Condition": "c" * 10_001}, "longer than 10000"),
        ({"Low Est": -5}, "low: negative"),
        ({"Low Est": 12.345}, "low: more than 2 decimals"),
        ({"Low Est": 1e20}, "low: amount too large"),
        ({"Reserve": "12,3456"}, "reserve: more than 2 decimals"),
        ({"Reserve": dt.datetime(2026, 1, 2)}, "reserve: not an amount: '2026-01-02'"),
        ({"Title": "\u2028x" * 5001}, "title is longer than 1000"),
        ({"Lot No.": 12.5}, "is a number in the sheet"),
        ({"Lot No.": "=1+1"}, "lot: a formula without a saved value"),
        ({"Lot No.": "12 B"}, "bad lot number"),
    ],
)
def test_bad_cells_refuse_their_row_only(cells: dict[str, Any], reason: str):
    row = {"Lot No.": 5, "Title": "Bad"} | cells
    data = workbook(HEADER, [1, "Fine"], [row.get(h) for h in HEADER], [3, "Also fine"])
    plan, v = plan_of(data)
    assert [p.lot for p in plan.good] == ["1", "3"]
    assert not v[3].ok
    assert v[3].action == "refuse"
    assert reason in v[3].reason, v[3]


def test_formulas_are_never_evaluated_and_text_stays_text():
    hostile = "=cmd|' /C calc'!A0"
    data = workbook(
        ["Lot", "Title", "Description", "Low"],
        [1, None, "+SUM(A1:A9)", None],
        [2, "Plain", "-@x", 10],
        text={(2, 2): hostile},
    )
    plan, v = plan_of(data)
    assert v[2].ok, v[2]
    assert plan.good[0].title == hostile  # a typed formula is text, kept verbatim
    assert plan.good[0].description == "+SUM(A1:A9)"
    # A formula cell never calculated (openpyxl saves no value) is not guessed at.
    data = workbook(["Lot", "Title", "Low"], [1, "Sum", "=2*50"])
    _plan, v = plan_of(data)
    assert not v[2].ok
    assert "formula without a saved value" in v[2].reason


def test_a_saved_formula_value_is_read(tmp_path):
    # Write a formula cell with a cached value, as Excel does (openpyxl cannot: patch the XML).
    data = workbook(["Lot", "Title", "Low"], [1, "Sum", "=2*50"])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>2*50</f><v></v>" in body or b"<f>2*50</f><v />" in body
                body = body.replace(b"<f>2*50</f><v></v>", b"<f>2*50</f><v>100</v>")
                body = body.replace(b"<f>2*50</f><v />", b"<f>2*50</f><v>100</v>")
            dst.writestr(info, body)
    plan, v = plan_of(out.getvalue())
    assert v[2].ok, v[2]
    assert plan.good[0].low == 10000


def test_dates_numbers_and_booleans_are_converted_deliberately():
    data = workbook(
        ["Lot", "Title", "Description", "ARR", "Low"],
        [101, "Dated", dt.datetime(2026, 12, 5, 10, 30), False, 1234.5],
        [102, dt.date(2026, 1, 2), 3.25, 1, 7],
    )
    plan, v = plan_of(data)
    assert [v[2].ok, v[3].ok] == [True, True], plan.verdicts()
    first, second = plan.good
    assert first.lot == "101"  # 101 the number, not "101.0"
    assert first.description == "2026-12-05 10:30"
    assert (first.arr, first.low) == (False, 123450)
    assert (second.title, second.description, second.arr, second.low) == (
        "2026-01-02",
        "3.25",
        True,
        700,
    )


def test_duplicates_within_the_workbook():
    data = workbook(["Lot", "Title"], ["12A", "One"], ["12a", "Two"], [13, "Three"], [13, "Four"])
    plan, v = plan_of(data)
    assert [p.lot for p in plan.good] == ["12A", "13"]
    assert v[3].reason == "lot 12a repeats line 2"
    assert v[5].reason == "lot 13 repeats line 4"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04" + bytes(range(256)) * 4, "damaged or not a zip"),
        (bytes(range(256)) * 40, "not text"),  # random bytes, not named .xlsx: not CSV
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, "old .xls"),
    ],
)
def test_corrupt_files_are_refused_whole(data: bytes, message: str):
    with pytest.raises(CatalogueError, match=message):
        lot_table(data, "upload.xlsx" if data.startswith(b"PK") else "upload.bin")


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()


def test_a_zip_that_is_not_a_workbook():
    with pytest.raises(CatalogueError, match="a zip without a workbook"):
        lot_table(_zip({"hello.txt": b"hi"}), "c.xlsx")


def test_a_damaged_workbook_is_one_clear_error():
    data = workbook(["Lot", "Title"], [1, "A"])
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        files = {i.filename: src.read(i) for i in src.infolist()}
    files["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row><c r="
    with pytest.raises(CatalogueError, match="cannot be read"):
        lot_table(_zip(files), "c.xlsx")


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    data = workbook(["Lot", "Title"], [1, "A"])
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        files = {i.filename: src.read(i) for i in src.infolist()}
    files["xl/media/padding.bin"] = b"\0" * (90 * 1024 * 1024)  # compresses to ~90 KB
    bomb = _zip(files)
    assert len(bomb) < 1024 * 1024
    with pytest.raises(CatalogueError, match="unpacks to more than"):
        lot_table(bomb, "c.xlsx")


def test_a_sheet_claiming_a_million_rows_reads_its_real_ones():
    data = workbook(["Lot", "Title"], [1, "A"], [2, "B"])
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        files = {i.filename: src.read(i) for i in src.infolist()}
    sheet = files["xl/worksheets/sheet1.xml"]
    files["xl/worksheets/sheet1.xml"] = sheet.replace(b'ref="A1:B3"', b'ref="A1:XFD1048576"')
    assert files["xl/worksheets/sheet1.xml"] != sheet
    plan, _ = plan_of(_zip(files))
    assert [p.lot for p in plan.good] == ["1", "2"]


def test_too_many_rows_refuse_the_file_not_a_silent_part(monkeypatch):
    monkeypatch.setattr(catalogue_import, "MAX_ROWS", 40)  # the real limit, scaled for speed
    rows = [[n, f"Lot {n}"] for n in range(1, 41)]
    assert len(lot_table(workbook(["Lot", "Title"], *rows), "c.xlsx").rows) == 40
    with pytest.raises(CatalogueError, match="more than 40 rows"):
        lot_table(workbook(["Lot", "Title"], *rows, [41, "One too many"]), "c.xlsx")
    csv_text = "lot,title\n" + "".join(f"{n},x\n" for n in range(1, 42))
    with pytest.raises(CatalogueError, match="more than 40 rows"):
        lot_table(csv_text.encode(), "c.csv")
    assert MAX_ROWS == 20_000


def test_a_far_away_row_is_a_size_error(monkeypatch):
    monkeypatch.setattr(catalogue_import, "MAX_SHEET_LINES", 2_000)
    data = workbook(["Lot", "Title"], [1, "A"])
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        files = {i.filename: src.read(i) for i in src.infolist()}
    far = b'<row r="900000"><c r="A900000" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = files["xl/worksheets/sheet1.xml"]
    files["xl/worksheets/sheet1.xml"] = sheet.replace(b"</sheetData>", far + b"</sheetData>")
    with pytest.raises(CatalogueError, match="runs past row"):
        lot_table(_zip(files), "c.xlsx")


def test_wide_sheets_read_the_first_columns_and_say_so():
    header = ["Lot", "Title"] + [f"Extra {n}" for n in range(MAX_COLUMNS + 10)]
    data = workbook(header, [1, "A", *range(MAX_COLUMNS + 10)])
    plan, v = plan_of(data)
    assert v[2].ok
    assert "Extra 0" in plan.notes[0]
    assert plan.notes[0].endswith(f"columns after the {MAX_COLUMNS}th (not read)")


def test_empty_sheet_and_header_only():
    with pytest.raises(CatalogueError, match="empty"):
        lot_table(workbook(), "c.xlsx")
    plan, v = plan_of(workbook(["Lot", "Title"]))
    assert v == {}
    assert plan.notes == ["the file has a header but no rows"]
    with pytest.raises(CatalogueError, match="at least 'lot'"):
        lot_table(workbook(["Name", "Price"], ["x", 1]), "c.xlsx")


def test_an_oversized_cell_refuses_its_row():
    data = workbook(["Lot", "Title", "Description"], [1, "A", "d" * 20_000], [2, "B", "ok"])
    plan, v = plan_of(data)
    assert [p.lot for p in plan.good] == ["2"]
    assert "description is longer than 10000" in v[2].reason


def test_csv_encodings_and_bom():
    text = "Lot\tTitle\tLow\n1\tCafé\t12,50\n"
    for data in (
        text.encode("utf-16"),  # Excel's "Unicode text": UTF-16 with BOM, tab separated
        ("\ufeff" + text).encode("utf-8"),
        text.encode("cp1252"),
    ):
        plan, _ = plan_of(data, "c.csv")
        assert (plan.good[0].title, plan.good[0].low) == ("Café", 1250)
    assert decode(b"\xef\xbb\xbflot,title\n") == "lot,title\n"


def test_bidders_from_a_workbook():
    data = workbook(
        ["Paddle", "Name", "Credit limit", "Approved"],
        [301, "Ann", 5000, True],
        [302.5, "Half", None, None],
        ["303", '=HYPERLINK("http://x")', "1,200.50", "no"],
        [301, "Again", None, None],
        text={(4, 2): '=HYPERLINK("http://x")'},
    )
    good, bad = read_bidders(data, [], "EUR", "people.xlsx")
    assert [(p.paddle, p.name, p.credit_limit, p.approved) for p in good] == [
        ("301", "Ann", 500000, True),
        ("303", '=HYPERLINK("http://x")', 120050, False),
    ]
    assert [(v.line, v.reason) for v in bad] == [
        (3, "paddle 302.5 is not a whole number"),
        (5, "paddle 301 repeats line 2"),
    ]


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1,234", "EUR", 123400),
        ("1.234", "EUR", 123400),
        ("1,234.5", "EUR", 123450),
        ("1.234,50", "EUR", 123450),
        ("€1,200", "EUR", 120000),
        ("1 234,50", "EUR", 123450),
        ("CHF 1'234.50", "CHF", 123450),
        ("12,5", "EUR", 1250),
        (".5", "EUR", 50),
        ("1,500", "JPY", 1500),
        ("1.234,567", "KWD", 1234567),
        ("1234,567", "KWD", 1234567),
    ],
)
def test_amounts_are_exact(text: str, currency: str, minor: int):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("1,2345", "EUR", "more than 2 decimals"),
        ("1.5", "JPY", "more than 0 decimals"),
        ("1,234", "KWD", "ambiguous"),
        ("1.2.3", "EUR", "not an amount"),
        ("1,23,456", "EUR", "not an amount"),
        ("12.", "EUR", "not an amount"),
        ("(5)", "EUR", "negative"),
        ("-5", "EUR", "negative"),
        ("1e5", "EUR", "not an amount"),
        ("NaN", "EUR", "not an amount"),
        ("", "EUR", "empty"),
        ("99999999999999999", "EUR", "too large"),
    ],
)
def test_ambiguous_or_bad_amounts_are_refused(text: str, currency: str, message: str):
    with pytest.raises(ValueError, match=message):
        parse_amount(text, currency)


LAUGHS = (
    b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(9))
    + b"]>"
)
XXE = b'<!DOCTYPE worksheet [<!ENTITY j SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("doctype", [LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_xml_entity_tricks_are_refused(doctype: bytes):
    data = workbook(["Lot", "Title"], [1, "A"])
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        files = {i.filename: src.read(i) for i in src.infolist()}
    sheet = files["xl/worksheets/sheet1.xml"]
    assert b"<t>A</t>" in sheet
    files["xl/worksheets/sheet1.xml"] = doctype + sheet.replace(b"<t>A</t>", b"<t>&j;</t>")
    with pytest.raises(CatalogueError, match="cannot be read"):
        lot_table(_zip(files), "c.xlsx")
