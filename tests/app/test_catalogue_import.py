"""Catalogue CSV validation: malformed, oversized, hostile and duplicated rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.catalogue_import import (
    MAX_FILE_BYTES,
    CatalogueError,
    decode,
    image_target_name,
    index_images,
    lot_table,
    parse_catalogue,
)


def _verdicts(text: str, **kw):
    kw.setdefault("status", "draft")
    plan = parse_catalogue(text, **kw)
    return plan, {v.line: v for v in plan.verdicts()}


def test_good_rows_and_money():
    plan, v = _verdicts(
        "Lot,Title,Description,Low,High,Start,Reserve\n"
        '1,Vase,Blue,"1,200","1,800.50",800,1000\n'
        "2A,Clock,,,,,\n"
    )
    assert [p.lot for p in plan.good] == ["1", "2A"]
    first = plan.good[0]
    assert (first.low, first.high, first.start, first.reserve) == (120000, 180050, 80000, 100000)
    assert first.command([])["lot"]["title"] == "Vase"
    assert "reserve" not in plan.good[1].command([])["lot"]
    assert v[2].ok
    assert v[3].ok


def test_semicolon_files_and_bom():
    text = decode("\ufefflot;title;low\n7;Teapot;12,50\n".encode())
    plan = parse_catalogue(text, status="draft")
    assert plan.good[0].lot == "7"
    assert plan.good[0].low == 1250


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",No number,1,2", "no lot number"),
        ("12 B,Space in number,1,2", "bad lot number"),
        ("<script>,Hostile number,1,2", "bad lot number"),
        ("13,,1,2", "no title"),
        ("14,Bad low,ten,2", "low"),
        ("15,Negative,-1,2", "low: negative"),
        ("16,Inverted,5,2", "low estimate above high"),
        ("17,Huge,99999999999999999,2", "low"),
        ("18,Ctrl\x07char,1,2", "control characters"),
        ("19,Wide,1,2,a,b,c,d,e,f,g,h", "columns"),
        (f"20,{'x' * 1001},1,2", "title is longer"),
        ("21,Fraction of a cent,12.3456,20", "low: more than 2 decimals"),
        ('22,Malformed groups,"1,23,456",2', "low: not an amount"),
        ("23,Words,about 5,6", "low: not an amount"),
    ],
)
def test_bad_rows_are_reported(row, reason):
    _plan, v = _verdicts(f"lot,title,low,high\n1,Fine,1,2\n{row}\n")
    assert v[2].ok
    assert not v[3].ok
    assert reason in v[3].reason


def test_hostile_titles_are_kept_verbatim():
    hostile = "<b>x</b><script>alert(1)</script>"
    plan, _ = _verdicts(f"lot,title\n1,\"{hostile}\"\n2,=cmd|'/c calc'!A1\n")
    assert [p.title for p in plan.good] == [hostile, "=cmd|'/c calc'!A1"]


def test_duplicates_in_file_and_sale():
    text = "lot,title\n1,A\n2,B\n1,Again\n3,C\n3,Again\n"
    plan, v = _verdicts(text, existing={"2"}, status="live", reason="late entries")
    assert [p.lot for p in plan.good] == ["1", "3"]
    assert "repeats line 2" in v[4].reason
    assert "already in the sale" in v[3].reason
    assert "repeats line 5" in v[6].reason


def test_file_level_errors():
    with pytest.raises(CatalogueError, match="larger"):
        decode(b"x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(CatalogueError, match="empty"):
        parse_catalogue("")
    with pytest.raises(CatalogueError, match="at least 'lot'"):
        parse_catalogue("foo,bar\n1,2\n")
    assert decode(b"lot,title\n1,Caf\xe9\n").endswith("Café\n")  # Windows-1252 fallback


def test_oversized_field_and_unreadable_rows():
    big = "y" * 200_000  # beyond the csv module's field limit
    plan, v = _verdicts(f'lot,title\n1,Fine\n2,"{big}"\n3,Also fine\n')
    assert [p.lot for p in plan.good] == ["1", "3"]
    assert not v[3].ok


def test_images_matched_by_lot_number(tmp_path: Path):
    for name in (
        "12A.jpg",
        "12a_2.png",
        "12A (3).jpg",
        "12-1.jpg",
        "notes.txt",
        ".hidden.jpg",
        "99.gif",
    ):
        (tmp_path / name).write_bytes(b"img")
    index = index_images(tmp_path)
    plan = parse_catalogue(
        "lot,title,image\n12A,Pair,\n12-1,Sub lot,\n5,Named,99.gif\n6,Traversal,../etc/passwd\n",
        index,
        images_folder=tmp_path,
        status="draft",
    )
    by_lot = {p.lot: p for p in plan.good}
    assert sorted(p.name for p in by_lot["12A"].image_files) == [
        "12A (3).jpg",
        "12A.jpg",
        "12a_2.png",
    ]
    assert [p.name for p in by_lot["12-1"].image_files] == ["12-1.jpg"]
    assert [p.name for p in by_lot["5"].image_files] == ["99.gif"]
    assert by_lot["6"].image_files == []
    assert "not a plain file name" in by_lot["6"].warnings[0]
    assert image_target_name("12/A", 1, Path("x.JPG")) == "12-A_1.jpg"


def test_header_only_repeated_and_unknown_columns():
    plan, v = _verdicts("Lot,Title\n")
    assert v == {}
    assert plan.notes == ["the file has a header but no rows"]
    plan, v = _verdicts("Lot,Title,Title,Notes,Lot No\n1,First,Second,n,9\n")
    assert plan.good[0].title == "First"
    assert plan.good[0].lot == "1"
    assert plan.notes == [
        "columns not read: Title (a second 'title' column: not read), Notes, "
        "Lot No (a second 'lot' column: not read)"
    ]


def test_a_live_sale_is_frozen_and_a_closed_one_takes_nothing():
    text = "lot,title,low\n1,Vase,100\n2,Clock,\n"
    existing = {"1": {"title": "Vase", "low": 5000}}
    plan, v = _verdicts(text, existing=existing, status="live", reason="Late entry")
    assert "would change low €50 → €100" in v[2].reason
    assert (v[3].ok, v[3].action) == (True, "add")
    assert plan.good[0].command([], "Late entry")["reason"] == "Late entry"
    plan, v = _verdicts(text, existing=existing, status="closed", reason="Late entry")
    assert [x.reason for x in v.values()] == ["the sale is closed"] * 2
    assert plan.notes == ["the sale is closed: nothing can be imported"]


def test_the_sample_catalogue_reads_as_a_house_would_expect():
    path = Path(__file__).resolve().parents[2] / "resources" / "sample" / "catalogue.csv"
    plan = parse_catalogue(lot_table(path.read_bytes(), path.name), status="draft")
    verdicts = {v.lot: v for v in plan.verdicts()}
    assert [lot for lot, v in verdicts.items() if v.ok] == ["101", "102", "103", "104", "106"]
    assert "quantity '1 lot'" in verdicts["105"].reason  # the sample's one bad row
    assert "no images folder chosen" in verdicts["101"].reason
    lots = {p.lot: p for p in plan.good}
    assert (lots["103"].low, lots["103"].vat, lots["103"].arr) == (250000, "standard", True)
    assert (lots["106"].low, lots["106"].reserve) == (400050, 350000)
