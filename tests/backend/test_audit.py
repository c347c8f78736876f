"""The money audit: a clean journal recomputes; a copy whose invoice or credit note was
rewritten (with a freshly computed hash chain, so the chain check alone cannot see it) is
reported line by line in plain words; numbers out of order or missing house-wide are reported."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.auction.events import SYSTEM, canonical_json
from hub.backend.audit import describe, verify_money, verify_numbering
from hub.journal.db import open_writer
from hub.journal.migrations import GENESIS
from hub.journal.records import COLUMNS, SELECT_COLUMNS, event_hash
from hub.journal.verify import verify
from tests.backend.moneykit import CLERK, Clock, sale_on_disk, worked_sale_commands

JSON = dict[str, Any]
Edit = Callable[[str, JSON], JSON]


async def books_on_disk(path: Path) -> None:
    """The worked sale with invoices, a payment, a credit note and a rule change after."""
    sequencer = await sale_on_disk(path, worked_sale_commands(), Clock())
    try:
        for command, actor in (
            (
                {"op": "issue_invoice", "paddle": "101", "number": "INV-2026-00001", "by": "A"},
                SYSTEM,
            ),
            (
                {"op": "issue_invoice", "paddle": "102", "number": "INV-2026-00002", "by": "A"},
                SYSTEM,
            ),
            (
                {
                    "op": "record_payment",
                    "paddle": "101",
                    "amount": 5_000,
                    "method": "cash",
                    "reference": "",
                    "key": "k1",
                },
                CLERK,
            ),
            (
                {
                    "op": "issue_credit_note",
                    "invoice": "INV-2026-00001",
                    "lots": ["3"],
                    "number": "CN-2026-00001",
                    "reason": "reknock",
                    "by": "A",
                },
                SYSTEM,
            ),
            # Later rules never change an issued invoice: the audit uses the rules of its time.
            (
                {
                    "op": "configure",
                    "settings": {"vat_rate_bp": 1900, "buyer_premium": [[0, 3000]]},
                },
                CLERK,
            ),
            (
                {"op": "issue_invoice", "paddle": "101", "number": "INV-2026-00003", "by": "A"},
                SYSTEM,
            ),
        ):
            answer = await sequencer.submit(command, actor)
            assert answer.ok, (command, answer.message)
    finally:
        await sequencer.stop()


def tampered_copy(src: Path, dst: Path, edit: Edit) -> None:
    """Copy a journal event by event through `edit(type, data)`, re-chaining every hash as a
    forger would (the append-only triggers accept it: it is a new file)."""
    source = sqlite3.connect(src)
    rows = source.execute(f"SELECT {SELECT_COLUMNS} FROM events ORDER BY seq").fetchall()
    source.close()
    db = open_writer(dst)
    conn = db.conn
    prev = GENESIS
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO epochs (epoch, started_at) VALUES (1, 0)")
    for row in rows:
        rec = dict(zip(COLUMNS, row, strict=True))
        data = edit(rec["type"], json.loads(rec["data"]))
        fields = {
            "seq": rec["seq"],
            "epoch": rec["epoch"],
            "at": rec["at"],
            "type": rec["type"],
            "lot": rec["lot"],
            "actor": json.loads(rec["actor"]),
            "key": rec["key"],
            "audience": rec["audience"],
            "bidders": json.loads(rec["bidders"]),
            "data": data,
        }
        digest = event_hash(prev, fields)
        rec.update(data=canonical_json(data), prev_hash=prev, hash=digest)
        conn.execute(
            f"INSERT INTO events ({SELECT_COLUMNS}) VALUES ({','.join('?' * len(COLUMNS))})",
            [rec[c] for c in COLUMNS],
        )
        prev = digest
    conn.execute("COMMIT")
    db.close()


def edit_invoice(number: str, change: Callable[[JSON], None]) -> Edit:
    def edit(kind: str, data: JSON) -> JSON:
        if data.get("number") == number:
            change(data)
        return data

    return edit


def chain_ok(path: Path) -> bool:
    return {c.name: c.ok for c in verify(path).checks}["chain"]


async def test_a_clean_journal_recomputes(tmp_path: Path) -> None:
    path = tmp_path / "sales" / "s.db"
    await books_on_disk(path)
    assert verify_money(path) == []
    assert describe([]) == "money: every invoice and credit note recomputes"
    assert verify_numbering(tmp_path) == []


async def test_a_rewritten_premium_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    await books_on_disk(path)

    def cheaper(data: JSON) -> None:
        for line in data["lines"]:
            if line["kind"] == "premium" and line["lot"] == "1":
                line["amount"] -= 1_000
        data["totals"]["premium"] -= 1_000
        data["totals"]["total"] -= 1_000  # a careful forger keeps the totals consistent

    forged = tmp_path / "forged.db"
    tampered_copy(path, forged, edit_invoice("INV-2026-00001", cheaper))
    assert chain_ok(forged)  # the hash chain cannot tell
    (problem,) = verify_money(forged)
    assert "invoice INV-2026-00001, lot 1, premium line: amount is 24000, the rules give 25000" in (
        problem
    )


async def test_totals_that_are_not_the_sum_of_the_lines_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    await books_on_disk(path)

    def inflate(data: JSON) -> None:
        data["totals"]["total"] += 1

    forged = tmp_path / "forged.db"
    tampered_copy(path, forged, edit_invoice("INV-2026-00002", inflate))
    (problem,) = verify_money(forged)
    assert "invoice INV-2026-00002: total total is 9156001, the lines add up to 9156000" in problem


async def test_a_removed_line_and_a_foreign_lot_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    await books_on_disk(path)

    def drop_vat(data: JSON) -> None:
        data["lines"] = [x for x in data["lines"] if x["kind"] != "vat"]
        data["totals"]["vat"] = 0
        data["totals"]["total"] = sum(x["amount"] for x in data["lines"])

    forged = tmp_path / "forged.db"
    tampered_copy(path, forged, edit_invoice("INV-2026-00002", drop_vat))
    problems = verify_money(forged)
    assert any("lot 2: line missing: vat 1200000" in p for p in problems)
    assert any("lot 2: line missing: vat 326000" in p for p in problems)


async def test_a_credit_note_that_is_not_the_negated_invoice_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    await books_on_disk(path)

    def bigger(data: JSON) -> None:
        data["lines"][0]["amount"] -= 100
        data["totals"]["hammer"] -= 100
        data["totals"]["total"] -= 100

    forged = tmp_path / "forged.db"
    tampered_copy(path, forged, edit_invoice("CN-2026-00001", bigger))
    (problem,) = verify_money(forged)
    assert (
        "credit note CN-2026-00001: its lines are not the negated lines of invoice INV-2026-00001"
        in problem
    )


async def test_numbers_used_twice_or_out_of_order_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    await books_on_disk(path)

    def renumber(data: JSON) -> None:
        data["number"] = "INV-2026-00001"

    forged = tmp_path / "forged.db"
    tampered_copy(path, forged, edit_invoice("INV-2026-00003", renumber))
    problems = verify_money(forged)
    assert "invoice number INV-2026-00001 was already used in this sale" in problems[0]

    def badly(data: JSON) -> None:
        data["number"] = "INV-26-3"

    tampered_copy(path, tmp_path / "forged2.db", edit_invoice("INV-2026-00003", badly))
    assert "is not of the form INV-YYYY-NNNNN" in verify_money(tmp_path / "forged2.db")[0]


async def test_a_gap_in_the_house_numbers_is_reported(tmp_path: Path) -> None:
    await books_on_disk(tmp_path / "sales" / "one.db")
    sequencer = await sale_on_disk(tmp_path / "sales" / "two.db", worked_sale_commands(), Clock())
    try:
        # Bypassing the numbering service: the core only knows its own sale's numbers.
        answer = await sequencer.submit(
            {"op": "issue_invoice", "paddle": "101", "number": "INV-2026-00005", "by": "A"}, SYSTEM
        )
        assert answer.ok
    finally:
        await sequencer.stop()
    assert verify_numbering(tmp_path) == ["INV 2026: number(s) missing: INV-2026-00004"]
    assert verify_money(tmp_path / "sales" / "two.db") == []


async def test_a_forged_huge_number_is_reported_without_listing_a_billion(tmp_path: Path) -> None:
    sequencer = await sale_on_disk(tmp_path / "sales" / "big.db", worked_sale_commands(), Clock())
    try:
        answer = await sequencer.submit(
            {"op": "issue_invoice", "paddle": "101", "number": "INV-2026-99999", "by": "A"},
            SYSTEM,
        )
        assert answer.ok
    finally:
        await sequencer.stop()
    (problem,) = verify_numbering(tmp_path)
    assert problem.startswith("INV 2026: number(s) missing: INV-2026-00001, INV-2026-00002")
    assert problem.endswith("INV-2026-00010 and more")


def test_an_unreadable_journal_is_reported_by_name(tmp_path: Path) -> None:
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "broken.db").write_bytes(b"garbage" * 1000)
    (problem,) = verify_numbering(tmp_path)
    assert problem.startswith("broken.db: cannot be read to check its numbers")


async def test_a_payout_above_the_settlement_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "sales" / "s.db"
    sequencer = await sale_on_disk(path, worked_sale_commands(), Clock())
    try:
        # The desk refuses this (too_much); the core alone does not know the settlement.
        answer = await sequencer.submit(
            {
                "op": "record_payout",
                "consignor": "C-1",
                "amount": 5_808_801,
                "method": "transfer",
                "reference": "T",
                "key": "p1",
            },
            CLERK,
        )
        assert answer.ok
    finally:
        await sequencer.stop()
    assert verify_money(path) == [
        "consignor C-1: paid out 5808801, more than the net 5808800 of their settlement"
    ]


async def test_a_malformed_document_is_reported_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    await books_on_disk(path)

    def garble(data: JSON) -> None:
        data["lines"] = [{"lot": "3"}, "not a line"]

    forged = tmp_path / "forged.db"
    tampered_copy(path, forged, edit_invoice("CN-2026-00001", garble))
    problems = verify_money(forged)
    assert any("seq" in p and "credit_note_issued event is malformed" in p for p in problems)
