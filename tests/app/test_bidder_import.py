"""Bidder list import: every row gets a verdict; bad files and bad rows lose nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.bidder_import import parse_bidders, read_bidders
from app.catalogue_import import CatalogueError

T = 8000
HOSTILE = '<script>alert(1)</script> O\'Brien, "Jr"'

GOOD = """Paddle;Name;Email;Phone;Channel;Credit limit;ID checked
301;Ann Archer;ann@example.com;+44 20 7946 0000;room;"5.000";yes
302;Bob;;;phone;;no
303;Cy;;;absentee;1.200,50;x
P-7;Dee;;;online;;
"""


def test_good_rows_become_registrations() -> None:
    good, bad = parse_bidders(GOOD, existing=["101"], currency="EUR")
    assert bad == []
    assert [(p.line, p.paddle, p.channel, p.approved, p.credit_limit) for p in good] == [
        (2, "301", "floor", True, 500000),
        (3, "302", "phone", False, None),
        (4, "303", "absentee", True, 120050),
        (5, "P-7", "online", False, None),
    ]
    assert good[0].identity == {
        "name": "Ann Archer",
        "email": "ann@example.com",
        "phone": "+44 20 7946 0000",
    }


BAD_ROWS = [
    ("", "no paddle number"),
    ("1 2", "bad paddle number"),
    ("x" * 40, "bad paddle number"),
    ("7\x00", "bad paddle number"),
    ("401,Name\x07,,,,,", "name contains control characters"),
    ("402," + "n" * 201 + ",,,,,", "name is longer than 200"),
    ("403,,not-an-email,,,,", "is not an address"),
    ("404,,,,carrier pigeon,,", "channel 'carrier pigeon'"),
    ("405,,,,,lots,", "credit limit:"),
    ("406,,,,,-5,", "credit limit: negative"),
    ("407,,,,,99999999999999999,", "credit limit:"),
    ("408,,,,,,maybe", "approved 'maybe'"),
    ("101,,,,,,", "already registered"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS)
def test_bad_rows_are_refused_with_a_reason(row: str, reason: str) -> None:
    text = "paddle,name,email,phone,channel,limit,approved\n" + row + "\n500,Fine,,,,,\n"
    good, bad = parse_bidders(text, existing=["101"], currency="EUR")
    if row.strip(",") == "":
        # A blank row is skipped, not refused.
        assert bad == []
    else:
        assert len(bad) == 1, bad
        assert reason in bad[0].reason, bad[0]
        assert bad[0].line == 2
    assert [p.paddle for p in good] == ["500"]  # the good row next to it is kept


def test_duplicates_hostile_text_and_whole_file_errors() -> None:
    good, bad = parse_bidders(
        f'paddle,name\n9,"{HOSTILE.replace(chr(34), chr(34) * 2)}"\n9,x\n', [], "EUR"
    )
    assert good[0].name == HOSTILE
    assert bad[0].reason == "paddle 9 repeats line 2"
    for data, message in (
        (b"", "empty"),
        (b"name,email\nx,y\n", "at least 'paddle'"),
        (b"\x81\x8d\x8f\x90\x9d" * 10, "not text"),  # neither UTF-8 nor Windows-1252
    ):
        with pytest.raises(CatalogueError, match=message):
            read_bidders(data, [], "EUR")
    with pytest.raises(CatalogueError, match="larger than"):
        read_bidders(b"paddle\n" + b"1\n" * (5 * 1024 * 1024), [], "EUR")


def test_import_registers_the_list_in_the_app(qtbot, window, tmp_path: Path) -> None:
    win = window
    panel = win.bidders
    win.tabs.setCurrentWidget(panel)
    csv_path = tmp_path / "bidders.csv"
    csv_path.write_text(GOOD.replace("Dee", HOSTILE.replace('"', "'")) + "101;Dup;;;;;\n", "utf-8")
    win.import_bidders(csv_path)
    qtbot.waitUntil(
        lambda: panel.import_report.text().startswith("Bidder list: 4 registered, 1 refused."),
        timeout=T,
    )
    assert "line 6 (paddle 101): paddle 101 is already registered" in panel.import_report.text()
    qtbot.waitUntil(
        lambda: {"301", "302", "303", "P-7"} <= {str(b["paddle"]) for b in panel.rows}, timeout=T
    )
    rows = {str(b["paddle"]): b for b in panel.rows}
    assert (rows["301"]["status"], rows["301"]["name"], rows["301"]["credit_limit"]) == (
        "approved",
        "Ann Archer",
        500000,
    )
    assert rows["302"]["status"] == "pending"
    assert rows["P-7"]["name"] == HOSTILE.replace('"', "'")
    for label in panel.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()

    # Importing the same list again registers nobody twice.
    win.import_bidders(csv_path)
    qtbot.waitUntil(
        lambda: panel.import_report.text().startswith("Bidder list: 0 registered, 5 refused."),
        timeout=T,
    )

    # A file that is not a bidder list: a message, nothing registered.
    bad = tmp_path / "lots.csv"
    bad.write_text("lot,title\n1,Clock\n", "utf-8")
    before = len(panel.rows)
    win.import_bidders(bad)
    qtbot.waitUntil(lambda: "not imported" in panel.import_report.text(), timeout=T)
    assert "at least 'paddle'" in panel.import_report.text()
    assert len(panel.rows) == before
