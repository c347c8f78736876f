"""Last-Event-ID cursors the stage never issued are unknown (issue 14, defect 7).

PROTOCOL.md: an unknown cursor replays nothing and the hub answers `earliest`. A cursor is
known only if it is spelled exactly as `event_id` wrote it, names this sale, and its epoch is
the epoch that wrote that record (so a negative, older or future epoch is unknown).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from hub.auction.events import Actor
from hub.config import StageConfig
from hub.feed import event_id, parse_event_id
from hub.stage import Stage
from tests.gateway.test_events import hub_url
from tests.sse import SSE

CLERK = Actor("clerk", roles=("clerk", "auctioneer"))
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
async def http(stage: Stage) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=stage.url) as session:
        yield session


def respellings(epoch: int, seq: int) -> list[str]:
    """Cursors int() reads as (epoch, seq) but `event_id` never writes, plus other epochs."""
    s, e = str(seq), str(epoch)
    odd_numbers = [
        f"{s[:-1]}_{s[-1]}",  # 1_0: int() allows digit-group underscores
        f" {s} ",
        f"+{s}",
        f"0{s}",
        s.translate(ARABIC_INDIC),
        f"{s}\u00a0",
    ]
    return [
        *(f"demo:{e}:{n}:p" for n in odd_numbers),
        f"demo:{e.translate(ARABIC_INDIC)}:{s}:p",
        f"demo:-{e}:{s}:p",  # negative epoch
        f"demo:{epoch - 1}:{s}:p",  # an epoch that did not write this record
        f"demo:{epoch + 1}:{s}:p",  # an epoch that does not exist yet
        f"demo:{e}:-{s}:p",
        f"demo:{e}:0:p",  # seq 0 is never issued (the journal starts at 1)
    ]


def test_parse_event_id_reads_only_the_canonical_spelling():
    """Defect 7: int() accepts `1_0`, ` 7 `, `+7`, `07` and Arabic-Indic digits; we must not."""
    assert parse_event_id(event_id("demo", 3, 10, "p")) == ("demo", 3, 10, "p")
    assert parse_event_id("demo:0:0:s") == ("demo", 0, 0, "s")
    assert parse_event_id("sale:with:colons:2:5:s") == ("sale:with:colons", 2, 5, "s")
    for bad in (
        "demo:1:1_0:p",
        "demo:1: 7 :p",
        "demo:1:7 :p",
        "demo:1:+7:p",
        "demo:1:-7:p",
        "demo:-1:7:p",
        "demo:1:07:p",
        "demo:01:7:p",
        "demo:1:٧:p",
        "demo:١:7:p",
        "demo:1:\uff17:p",  # fullwidth 7
        "demo:1:7:x",
        "demo:1::p",
        ":1:7:p",
        "demo:1:7",
        "demo:1:" + "9" * 19 + ":p",  # past any seq a journal holds; big ints are not parsed
        "demo:1:" + "9" * 5000 + ":p",
    ):
        assert parse_event_id(bad) is None, bad


class Room:
    """Lot 1 open on the demo sale; floor bids alternate between two demo paddles."""

    def __init__(self, stage: Stage, http: aiohttp.ClientSession) -> None:
        self.stage, self.http, self.turn = stage, http, 0

    async def open(self, bids: int) -> list[int]:
        assert (await self.stage.submit({"op": "open_lot", "lot": "1"}, CLERK)).ok
        return [await self.bid() for _ in range(bids)]

    async def bid(self) -> int:
        self.turn += 1
        paddle = ("101", "102")[self.turn % 2]
        answer = await self.stage.submit({"op": "floor_bid", "lot": "1", "paddle": paddle}, CLERK)
        assert answer.ok, answer
        return answer.seq

    async def first_after_connect(self, cursor: str) -> tuple[str | None, int, int]:
        """(cursor header, first event's seq, a live bid's seq) for a room stream at `cursor`.

        The live bid is made once the stream is open: with nothing replayed it is the first
        event; any replay would come before it.
        """
        async with self.http.get(hub_url(self.stage, "room", last=cursor)) as r:
            assert r.status == 200
            header = r.headers.get("Last-Event-ID")
            stream = SSE(r)
            live = await self.bid()
            first = (await stream.next())[1]["seq"]
        return header, first, live


async def test_cursors_never_issued_replay_nothing_and_answer_earliest(stage, http):
    """Defect 7: respelled numbers and foreign epochs were read as known and replayed."""
    room = Room(stage, http)
    seqs = await room.open(12)
    epoch = stage.sequencer.epoch
    assert epoch >= 1
    point = next(s for s in seqs if s >= 10)  # two digits, so `1_0`-style spellings exist
    # The control: the id as issued is known and replays what follows it.
    header, first, _ = await room.first_after_connect(event_id("demo", epoch, point, "p"))
    assert header == event_id("demo", epoch, point, "p")
    assert first == seqs[seqs.index(point) + 1]
    for cursor in respellings(epoch, point):
        header, first, live = await room.first_after_connect(cursor)
        assert header == "earliest", cursor
        assert first == live, cursor


async def test_after_a_restart_a_snapshot_cursor_with_the_new_epoch_is_known(tmp_path):
    """Defect 7's epoch rule, other side: a snapshot names the current epoch and the last seq,
    which an earlier epoch wrote; that cursor was issued and must still replay."""
    config = StageConfig(data_dir=tmp_path / "stage", host="127.0.0.1", port=0, demo=True)
    first = Stage(config)
    await first.start()
    try:
        last = (await first.submit({"op": "open_lot", "lot": "1"}, CLERK)).seq
    finally:
        await first.stop()
    stage = Stage(config)
    await stage.start()
    try:
        async with aiohttp.ClientSession(base_url=stage.url) as http:
            async with http.get("/api/sales/demo/state") as r:
                snap = await r.json()
            assert (snap["epoch"], snap["seq"]) == (first.sequencer.epoch + 1, last)
            cursor = f"demo:{snap['epoch']}:{snap['seq']}:s"
            room = Room(stage, http)
            header, got, live = await room.first_after_connect(cursor)
            assert header == cursor
            assert got == live
            # A snapshot's cursor is always `:s`; the public view with that epoch was not issued.
            header, _, _ = await room.first_after_connect(f"demo:{snap['epoch']}:{last}:p")
            assert header == "earliest"
            # One epoch further is one that never ran: unknown.
            header, _, _ = await room.first_after_connect(f"demo:{snap['epoch'] + 1}:{last}:s")
            assert header == "earliest"
    finally:
        await stage.stop()
