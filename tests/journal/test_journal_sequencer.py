"""The sequencer: ack after commit, group commit, idempotency, listeners, collisions."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from journal_helpers import CLERK, FakeClock, bidder, must, register, setup_demo

from hub.auction.events import SYSTEM
from hub.journal.records import Record
from hub.journal.sequencer import Answer, Sequencer
from hub.journal.verify import verify


@pytest.fixture
async def seq(tmp_path: Path) -> AsyncIterator[Sequencer]:
    sequencer = Sequencer(tmp_path / "j.db", clock=FakeClock())
    await sequencer.start()
    await setup_demo(sequencer)
    yield sequencer
    await sequencer.stop()


def _reader(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


async def test_acknowledged_only_after_commit(seq: Sequencer) -> None:
    """Whenever an answer arrives, a fresh connection (which sees only committed data)
    already holds its events."""
    opened = await must(seq, {"op": "open_lot", "lot": "1"})
    reader = _reader(seq.path)
    seen_uncommitted: list[int] = []

    async def one(i: int) -> Answer:
        answer = await seq.submit(
            {
                "op": "bid",
                "lot": "1",
                "amount": 50_000 + 5_000 * (i % 3),
                "key": f"k{i}",
                "seen_seq": opened.seq,
            },
            bidder("7001" if i % 2 else "101"),
        )
        for record in answer.events:  # checked before this task yields again
            row = reader.execute("SELECT hash FROM events WHERE seq = ?", (record.seq,)).fetchone()
            if row is None or row[0] != record.hash:
                seen_uncommitted.append(record.seq)
        return answer

    answers = await asyncio.gather(*(one(i) for i in range(60)))
    reader.close()
    assert all(a.events for a in answers)
    assert seen_uncommitted == []


async def test_group_commit_under_a_burst(seq: Sequencer) -> None:
    opened = await must(seq, {"op": "open_lot", "lot": "1"})
    await register(seq, [f"g{i}" for i in range(200)])
    batches_before = seq.batches
    committed: list[list[int]] = []
    seq.add_listener(lambda records: committed.append([r.seq for r in records]))

    answers = await asyncio.gather(
        *(
            seq.submit(
                {"op": "bid", "lot": "1", "amount": 50_000, "seen_seq": opened.seq, "key": "x"},
                bidder(f"g{i}"),
            )
            for i in range(200)
        )
    )
    seqs = [a.events[0].seq for a in answers]
    # Distinct, gap-free and in submission order.
    assert seqs == list(range(seqs[0], seqs[0] + 200))
    assert seq.batches - batches_before < 200  # several commands shared a transaction
    assert seq.max_batch_seen > 1
    assert [s for batch in committed for s in batch] == seqs  # listeners see seq order
    assert sum(a.ok for a in answers) == 1
    assert verify(seq.path).ok


async def test_idempotent_by_key_and_scoped_per_bidder(seq: Sequencer) -> None:
    opened = await must(seq, {"op": "open_lot", "lot": "1"})
    bid = {"op": "bid", "lot": "1", "amount": 50_000, "seen_seq": opened.seq, "key": "same"}
    first = await seq.submit(bid, bidder("7001"))
    again = await seq.submit(bid, bidder("7001"))
    assert first.ok
    assert again.ok
    assert again.repeated
    assert not first.repeated
    assert again.seq == first.seq
    assert again.events == first.events  # the same records, read back from the journal
    assert again.state == first.state
    # Another bidder's identical key is a different command.
    other = await seq.submit(dict(bid, amount=55_000), bidder("7002"))
    assert other.ok
    assert not other.repeated
    assert other.seq == first.seq + 1
    # Staff keys are scoped per role; a key passed explicitly wins over the body's.
    floor = await seq.submit({"op": "floor_bid", "lot": "1"}, CLERK, key="same")
    floor2 = await seq.submit({"op": "floor_bid", "lot": "1"}, CLERK, key="same")
    assert floor.ok
    assert floor2.repeated
    assert floor2.seq == floor.seq
    # Both copies within one batch: still one set of events.
    twins = await asyncio.gather(
        seq.submit({"op": "floor_bid", "lot": "1"}, CLERK, key="twin"),
        seq.submit({"op": "floor_bid", "lot": "1"}, CLERK, key="twin"),
    )
    assert twins[0].seq == twins[1].seq
    assert twins[1].repeated
    reader = _reader(seq.path)
    keys = [r[0] for r in reader.execute("SELECT key FROM events WHERE key IN ('same', 'twin')")]
    reader.close()
    assert sorted(keys) == ["same", "same", "same", "twin"]  # 7001, 7002, clerk; twin once
    # A refusal is remembered too.
    low = {"op": "bid", "lot": "1", "amount": 1, "key": "r1"}
    late = await seq.submit(low, bidder("7001"))
    late2 = await seq.submit(low, bidder("7001"))
    assert late.reason == late2.reason == "below_ask"
    assert late2.seq == late.seq


async def test_idempotency_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    bid = {"op": "bid", "lot": "1", "amount": 50_000, "key": "once"}
    async with Sequencer(path, clock=FakeClock()) as seq:
        await setup_demo(seq)
        await must(seq, {"op": "open_lot", "lot": "1"})
        first = await seq.submit(bid, bidder("7001"))
    async with Sequencer(path, clock=FakeClock()) as seq:
        again = await seq.submit(bid, bidder("7001"))
    assert again.repeated
    assert again.seq == first.seq
    assert again.events == first.events


async def test_listener_errors_do_not_stop_the_sequencer(seq: Sequencer) -> None:
    got: list[Record] = []

    def broken(records: list[Record]) -> None:
        raise RuntimeError("a buggy subscriber")

    seq.add_listener(broken)
    remove = seq.add_listener(got.extend)
    answer = await must(seq, {"op": "open_lot", "lot": "1"})
    assert [r.seq for r in got] == [answer.seq]
    remove()
    await must(seq, {"op": "fair_warning", "lot": "1"})
    assert len(got) == 1


async def test_engine_exception_is_contained(
    seq: Sequencer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await must(seq, {"op": "open_lot", "lot": "1"})
    engine = seq.engine
    original = engine.evolve

    def flaky(event, seq_no):
        original(event, seq_no)
        if event.type == "fair_warning":
            raise RuntimeError("engine bug")

    monkeypatch.setattr(engine, "evolve", flaky)
    results = await asyncio.gather(
        seq.submit({"op": "floor_bid", "lot": "1"}, CLERK),
        seq.submit({"op": "fair_warning", "lot": "1"}, CLERK),
        seq.submit({"op": "floor_bid", "lot": "1"}, CLERK),
    )
    monkeypatch.undo()
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].reason == "invalid"
    assert seq.engine.lots["1"].status == "open"  # the half-applied event was undone
    assert seq.status.state == "ok"
    assert verify(seq.path).ok


async def test_status_and_stop(tmp_path: Path) -> None:
    statuses: list[str] = []
    seq = Sequencer(tmp_path / "s.db")
    seq.add_status_listener(lambda s: statuses.append(s.state))
    await seq.start()
    answer = await seq.submit({"op": "create_sale", "sale": {"id": "s1"}}, SYSTEM)
    status = seq.status
    assert (status.state, status.last_seq, status.epoch, status.queue_depth) == (
        "ok",
        answer.seq,
        1,
        0,
    )
    await seq.stop()
    await seq.stop()  # idempotent
    refused = await seq.submit({"op": "pause"}, CLERK)
    assert refused.reason == "journal_unavailable"
    assert statuses == ["ok", "stopped"]


ROUNDS = 20
SUBMITTERS = 100


async def test_collisions_one_winner_per_round(tmp_path: Path) -> None:
    """100 bidders bid the same amount at once, 20 rounds: one accepted, 99 already_bid."""
    seq = Sequencer(tmp_path / "c.db", clock=FakeClock())
    await seq.start()
    try:
        await setup_demo(seq)
        paddles = [f"c{i}" for i in range(SUBMITTERS + 1)]
        await register(seq, paddles)
        await must(seq, {"op": "open_lot", "lot": "1"})  # lot 1 has no commission book
        winners: list[tuple[int, int]] = []
        for round_no in range(ROUNDS):
            lot = seq.engine.public_lot("1")
            assert lot is not None
            seen, ask = seq.last_seq, lot["ask"]
            high = lot["high"]["paddle"] if lot["high"] else None
            # Everyone but the current high bidder: all saw the same seq and the same ask.
            bidders = [p for p in paddles if p != high][:SUBMITTERS]
            start = asyncio.Event()

            async def submit(
                paddle: str,
                seen: int = seen,
                ask: int = ask,
                start: asyncio.Event = start,
                round_no: int = round_no,
            ) -> Answer:
                await start.wait()
                return await seq.submit(
                    {
                        "op": "bid",
                        "lot": "1",
                        "amount": ask,
                        "seen_seq": seen,
                        "key": f"r{round_no}-{paddle}",
                    },
                    bidder(paddle),
                )

            tasks = [asyncio.create_task(submit(p)) for p in bidders]
            await asyncio.sleep(0)
            start.set()
            answers = await asyncio.gather(*tasks)
            accepted = [a for a in answers if a.ok]
            refused = [a for a in answers if not a.ok]
            assert len(accepted) == 1, round_no
            assert len(refused) == SUBMITTERS - 1
            assert {a.reason for a in refused} == {"already_bid"}
            win_seq = accepted[0].events[0].seq
            for a in refused:
                assert a.state["lot"]["high"]["amount"] == ask
                assert a.events[0].type == "bid_refused"
                assert a.events[0].seq > win_seq
            winners.append((win_seq, ask))
        amounts = [amount for _, amount in winners]
        assert amounts == sorted(set(amounts))  # the accepted chain strictly increases
        assert seq.max_batch_seen > 1
    finally:
        await seq.stop()
    report = verify(tmp_path / "c.db")
    assert report.ok, report.lines()


async def test_projections_written_by_an_older_version_are_refreshed_at_start(
    tmp_path: Path,
) -> None:
    """Projections are a cache of replay. A journal written before a projection changed shape
    (the money state was once one `money` row) fails verify's byte-for-byte check until the
    writer, at start, makes them equal to replay again; the events are not touched."""
    path = tmp_path / "old.db"
    async with Sequencer(path, clock=FakeClock()) as seq:
        await setup_demo(seq)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO projections (key, json) VALUES ('money', '{\"old\":1}')")
        conn.execute("UPDATE projections SET json = '{\"stale\":true}' WHERE key = 'sale'")
        events_before = conn.execute("SELECT count(*), max(hash) FROM events").fetchone()
    conn.close()
    stale = verify(path)
    assert not stale.ok
    assert "money" in str(stale)
    assert "sale" in str(stale)

    async with Sequencer(path, clock=FakeClock()):
        pass
    fresh = verify(path)
    assert fresh.ok, str(fresh)
    with _reader(path) as reader:
        assert reader.execute("SELECT count(*), max(hash) FROM events").fetchone() == events_before
        assert reader.execute("SELECT 1 FROM projections WHERE key = 'money'").fetchone() is None
