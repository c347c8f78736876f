"""House-wide, gap-free document numbers: allocated under a flock while the command is
journaled, read back from every sale journal; real processes, real SQLite files."""

from __future__ import annotations

import asyncio
import fcntl
import multiprocessing
import os
from pathlib import Path

import pytest

from hub.auction.events import SYSTEM
from hub.backend import sales
from hub.backend.numbering import (
    Numbering,
    NumberingError,
    format_number,
    parse_number,
)
from hub.journal.db import connect_reader
from hub.journal.replay import load_engine
from tests.backend.moneykit import Clock, sale_commands, sale_on_disk, sell_commands

BUYERS = 6


def commands_for(sale_id: str) -> list[dict[str, object]]:
    """A sale where each of BUYERS paddles bought one lot (each is one invoice to issue)."""
    lots = [{"id": str(i), "title": f"Lot {i}", "vat": "margin"} for i in range(1, BUYERS + 1)]
    paddles = [str(100 + i) for i in range(1, BUYERS + 1)]
    out = sale_commands(lots=lots, paddles=paddles, sale_id=sale_id)
    for i in range(1, BUYERS + 1):
        out += sell_commands(str(i), str(100 + i), 10_000 * i)
    return out


async def make_sale(data_dir: Path, sale_id: str) -> None:
    sequencer = await sale_on_disk(
        data_dir / "sales" / f"{sale_id}.db", commands_for(sale_id), Clock()
    )
    await sequencer.stop()


def numbers_in(path: Path) -> list[str]:
    conn = connect_reader(path)
    try:
        engine = load_engine(conn)
    finally:
        conn.close()
    return sorted(engine.state.money.invoices)


async def invoice_everyone(data_dir: Path, sale_id: str, start: object | None = None) -> list[str]:
    from hub.journal.sequencer import Sequencer

    numbering = Numbering(data_dir)
    sequencer = Sequencer(data_dir / "sales" / f"{sale_id}.db", clock=Clock())
    await sequencer.start()
    if start is not None:
        start.wait()  # type: ignore[attr-defined]
    issued = []
    try:
        for i in range(1, BUYERS + 1):
            async with numbering.allocate_async("INV", 2026) as (number,):
                command = {
                    "op": "issue_invoice",
                    "paddle": str(100 + i),
                    "number": number,
                    "by": "t",
                }
                answer = await sequencer.submit(command, SYSTEM)
                assert answer.ok, answer.message
                issued.append(number)
    finally:
        await sequencer.stop()
    return issued


def _worker(data_dir: str, sale_id: str, start: object) -> None:
    asyncio.run(invoice_everyone(Path(data_dir), sale_id, start))


def test_numbers_are_formatted_and_parsed() -> None:
    assert format_number("INV", 2026, 7) == "INV-2026-00007"
    assert format_number("CN", 2027, 99_999) == "CN-2027-99999"
    assert parse_number("INV-2026-00007") == ("INV", 2026, 7)
    for bad in (
        "INV-2026-7",
        "INV-2026-000001",
        "inv-2026-00007",
        "XX-2026-00001",
        "INV-26-00001",
        7,
        None,
        "",
    ):
        assert parse_number(bad) is None


@pytest.mark.parametrize(
    ("series", "year", "count"),
    [("XX", 2026, 1), ("INV", 26, 1), ("INV", True, 1), ("INV", 2026, 0), ("CN", 2026, 10**6)],
)
def test_bad_requests_are_refused(tmp_path: Path, series: str, year: int, count: int) -> None:
    with pytest.raises(NumberingError), Numbering(tmp_path).allocate(series, year, count):
        pass


def test_an_empty_house_starts_at_one(tmp_path: Path) -> None:
    with Numbering(tmp_path).allocate("INV", 2026, 3) as numbers:
        assert numbers == ["INV-2026-00001", "INV-2026-00002", "INV-2026-00003"]


async def test_numbers_follow_across_sales_and_a_refusal_leaves_no_gap(tmp_path: Path) -> None:
    await make_sale(tmp_path, "a")
    await make_sale(tmp_path, "b")
    numbering = Numbering(tmp_path)
    assert await invoice_everyone(tmp_path, "a") == [
        format_number("INV", 2026, n) for n in range(1, 7)
    ]
    from hub.journal.sequencer import Sequencer

    sequencer = Sequencer(tmp_path / "sales" / "b.db", clock=Clock())
    await sequencer.start()
    try:
        async with numbering.allocate_async("INV", 2026) as (number,):
            assert number == "INV-2026-00007"
            refused = await sequencer.submit(
                {"op": "issue_invoice", "paddle": "999", "number": number, "by": "t"}, SYSTEM
            )
            assert not refused.ok
        async with numbering.allocate_async("INV", 2026) as (number,):
            assert number == "INV-2026-00007"  # the refused command journaled nothing
            answer = await sequencer.submit(
                {"op": "issue_invoice", "paddle": "101", "number": number, "by": "t"}, SYSTEM
            )
            assert answer.ok
        async with numbering.allocate_async("CN", 2026) as (number,):
            assert number == "CN-2026-00001"  # each series counts on its own
        async with numbering.allocate_async("INV", 2027) as (number,):
            assert number == "INV-2027-00001"  # and each year
    finally:
        await sequencer.stop()
    assert numbers_in(tmp_path / "sales" / "b.db") == ["INV-2026-00007"]
    assert numbering.last("INV", 2026) == 7


@pytest.mark.slow
def test_two_processes_get_distinct_consecutive_numbers(tmp_path: Path) -> None:
    asyncio.run(make_sale(tmp_path, "north"))
    asyncio.run(make_sale(tmp_path, "south"))
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    workers = [
        ctx.Process(target=_worker, args=(str(tmp_path), s, start)) for s in ("north", "south")
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    north = numbers_in(tmp_path / "sales" / "north.db")
    south = numbers_in(tmp_path / "sales" / "south.db")
    assert len(north) == len(south) == BUYERS
    assert sorted(north + south) == [
        format_number("INV", 2026, n) for n in range(1, 2 * BUYERS + 1)
    ]


def test_the_lock_is_held_while_the_block_runs(tmp_path: Path) -> None:
    numbering = Numbering(tmp_path)

    def try_lock() -> bool:
        fd = os.open(numbering.lock_path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)
        return True

    with numbering.allocate("INV", 2026):
        assert not try_lock()  # another process (or thread) waits here
    assert try_lock()


async def test_the_async_allocation_waits_for_the_lock_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    numbering = Numbering(tmp_path)
    entered = asyncio.Event()
    leave = asyncio.Event()
    order: list[str] = []

    async def holder() -> None:
        async with numbering.allocate_async("INV", 2026):
            entered.set()
            await leave.wait()
            order.append("holder out")

    async def waiter() -> None:
        await entered.wait()
        async with Numbering(tmp_path).allocate_async("INV", 2026):
            order.append("waiter in")

    tasks = [asyncio.create_task(holder()), asyncio.create_task(waiter())]
    await entered.wait()
    leave.set()  # only reachable because the waiter does not block the loop
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    assert order == ["holder out", "waiter in"]


def test_an_unreadable_journal_stops_numbering(tmp_path: Path) -> None:
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "broken.db").write_bytes(b"not a database at all" * 100)
    with (
        pytest.raises(NumberingError, match=r"broken\.db"),
        Numbering(tmp_path).allocate("INV", 2026),
    ):
        pass


def test_files_that_are_not_sale_journals_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / ".tmp-x.db").write_bytes(b"junk")
    (tmp_path / "sales" / "notes.txt").write_text("hello")
    with Numbering(tmp_path).allocate("INV", 2026) as numbers:
        assert numbers == ["INV-2026-00001"]
    assert os.path.exists(tmp_path / "numbering.lock")


async def test_when_a_year_is_used_up_numbering_says_so(tmp_path: Path) -> None:
    await make_sale(tmp_path, "a")
    from hub.journal.sequencer import Sequencer

    sequencer = Sequencer(tmp_path / "sales" / "a.db", clock=Clock())
    await sequencer.start()
    try:
        answer = await sequencer.submit(
            {"op": "issue_invoice", "paddle": "101", "number": "INV-2026-99999", "by": "t"},
            SYSTEM,
        )
        assert answer.ok
    finally:
        await sequencer.stop()
    numbering = Numbering(tmp_path)
    assert numbering.last("INV", 2026) == 99_999
    with pytest.raises(NumberingError, match="used up"), numbering.allocate("INV", 2026):
        pass
    with numbering.allocate("INV", 2027) as numbers:
        assert numbers == ["INV-2027-00001"]


async def test_a_replaced_journal_is_read_again_whole(tmp_path: Path) -> None:
    await make_sale(tmp_path, "demo")
    await invoice_everyone(tmp_path, "demo")
    numbering = Numbering(tmp_path)
    assert numbering.last("INV", 2026) == BUYERS
    # A demo reset: a fresh journal renamed over the old one (a new file, no invoices).
    await asyncio.to_thread(sales.reset_demo, tmp_path)
    assert numbering.last("INV", 2026) == 0
    numbering.close()


async def test_journals_beyond_the_kept_connections_are_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hub.backend.numbering.MAX_OPEN", 1)
    await make_sale(tmp_path, "a")
    await make_sale(tmp_path, "b")
    numbering = Numbering(tmp_path)
    assert numbering.last("INV", 2026) == 0
    await invoice_everyone(tmp_path, "b")  # "b" is read through a connection opened each time
    assert numbering.last("INV", 2026) == BUYERS
    await invoice_everyone(tmp_path, "a")
    assert numbering.last("INV", 2026) == 2 * BUYERS
    numbering.close()
