"""Post-sale results: pure rows and CSV, and the same rows straight from a journal file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.auction.catalogue import demo_sale, sale_commands
from hub.auction.events import SYSTEM, Actor
from hub.backend.results import journal_results, result_rows, results_csv, status_label
from hub.journal.db import JournalError
from hub.journal.sequencer import Sequencer

CLERK = Actor("clerk", roles=("clerk", "auctioneer"))


def test_results_csv_neutralises_formulas() -> None:
    lots = [
        {
            "id": "1",
            "order": 1,
            "title": '=HYPERLINK("http://x")',
            "status": "sold",
            "hammer": {"amount": 150050, "paddle": "101", "channel": "floor"},
            "estimate": {"low": 100000, "high": 200000},
            "reserve": 90000,
        },
        {
            "id": "2",
            "order": 2,
            "title": "Vase",
            "status": "passed",
            "hammer": {"reason": "reserve_not_met"},
            "estimate": {},
        },
    ]
    lines = results_csv(result_rows(lots, "EUR")).splitlines()
    assert lines[0] == "lot,title,status,hammer,currency,paddle,channel,low,high,reserve,subject_to"
    assert lines[1].startswith("1,\"'=HYPERLINK")
    assert ",1500.50,EUR,101,floor,1000,2000,900," in lines[1]
    assert lines[2] == "2,Vase,Passed,,EUR,,,,,,"


def test_rows_follow_catalogue_order_and_a_passed_lot_has_no_buyer() -> None:
    lots = [
        {"id": "b", "order": 2, "status": "passed", "hammer": {"paddle": "9"}},
        {
            "id": "a",
            "order": 1,
            "status": "sold",
            "hammer": {"amount": 100, "paddle": "7", "subject_to": True},
        },
    ]
    rows = result_rows(lots, "JPY")
    assert [r["lot"] for r in rows] == ["a", "b"]
    assert (rows[0]["hammer"], rows[0]["paddle"], rows[0]["subject_to"]) == (100, "7", True)
    assert (rows[1]["hammer"], rows[1]["paddle"]) == (None, None)
    assert results_csv(rows).splitlines()[1].startswith("a,,Sold,100,JPY,7,")
    assert status_label("fair_warning") == "Fair warning"
    assert status_label(None) == "—"


async def _sell_one_pass_one(path: Path) -> int:
    """Sell lot 6 (no reserve) to paddle 101 on the floor, pass lot 1; returns the lot count."""
    async with Sequencer(path) as seq:
        for command in sale_commands(demo_sale()):
            assert (await seq.submit(command, SYSTEM)).ok
        first, second = seq.engine.lots["6"], seq.engine.lots["1"]
        assert "101" in seq.engine.bidders  # the demo sale's room paddle
        opened = await seq.submit({"op": "open_lot", "lot": first.id}, CLERK)
        ask = opened.state["lot"]["ask"] if opened.state else None
        assert opened.ok
        assert ask
        bid = await seq.submit(
            {
                "op": "floor_bid",
                "lot": first.id,
                "amount": ask,
                "paddle": "101",
                "seen_seq": opened.seq,
                "key": "f1",
            },
            CLERK,
        )
        assert bid.ok, bid.message
        assert (await seq.submit({"op": "hammer", "lot": first.id}, CLERK)).ok
        assert (await seq.submit({"op": "open_lot", "lot": second.id}, CLERK)).ok
        assert (await seq.submit({"op": "pass", "lot": second.id}, CLERK)).ok
        return len(seq.engine.lots)


async def test_results_from_a_journal_file(tmp_path: Path) -> None:
    path = tmp_path / "sale.db"
    lots = await _sell_one_pass_one(path)
    rows = journal_results(path)
    assert len(rows) == lots > 2
    sold = [r for r in rows if r["status"] == "sold"]
    passed = [r for r in rows if r["status"] == "passed"]
    assert len(sold) == 1
    assert len(passed) == 1
    assert sold[0]["paddle"] == "101"
    assert sold[0]["channel"] == "floor"
    assert sold[0]["hammer"]
    assert sold[0]["hammer"] > 0
    assert (sold[0]["lot"], passed[0]["lot"]) == ("6", "1")
    assert [r["lot"] for r in rows][:3] == ["1", "2", "3"]  # catalogue order
    assert sum(r["status"] == "pending" for r in rows) == lots - 2


def test_results_from_a_missing_or_foreign_file(tmp_path: Path) -> None:
    with pytest.raises(JournalError):
        journal_results(tmp_path / "nope.db")
    foreign = tmp_path / "foreign.db"
    foreign.write_bytes(b"")
    with pytest.raises(JournalError):
        journal_results(foreign)
