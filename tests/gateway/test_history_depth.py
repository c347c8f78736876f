"""Reconnection against a deep journal: >20,000 stored events, resumed from many points.

The hub's in-memory ring holds only the newest updates; older resumes are served from the
journal by seq (an index seek, never a scan). Every resume must give exactly the room events
after the cursor: no gap, no duplicate, then live.
"""

from __future__ import annotations

import asyncio

import pytest

from hub.auction.events import Actor
from tests.gateway.test_events import hub_url
from tests.sse import SSE

CLERK = Actor("clerk", roles=("clerk", "auctioneer"))
EVENTS = 20_500


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_resume_from_any_point_of_a_deep_journal(stage, http):
    assert (await stage.submit({"op": "open_lot", "lot": "6"}, CLERK)).ok
    paddles = ("101", "102")
    room: list[int] = []  # seqs of public (room) events, in order
    stage.add_listener(lambda records: room.extend(r.seq for r in records if r.is_public))
    n = 0
    while stage.sequencer.last_seq < EVENTS:
        # Sequential floor bids (each must see the previous one), submitted in bursts of
        # refused duplicates so group commit keeps this quick.
        answer = await stage.submit(
            {"op": "floor_bid", "lot": "6", "paddle": paddles[n % 2]}, CLERK
        )
        assert answer.ok
        n += 1
        burst = [
            stage.submit(
                {"op": "floor_bid", "lot": "6", "paddle": paddles[(n + 1) % 2], "amount": 1}, CLERK
            )
            for _ in range(40)
        ]
        await asyncio.gather(*burst)  # refused below the ask: staff-only records
    epoch = stage.sequencer.epoch
    last_room = room[-1]
    assert stage.sequencer.last_seq > 20_000

    async def resume(cursor_seq: int, count: int) -> tuple[str | None, list[int]]:
        url = hub_url(stage, "room", last=f"demo:{epoch}:{cursor_seq}:p")
        async with http.get(url) as r:
            assert r.status == 200
            header = r.headers.get("Last-Event-ID")
            stream = SSE(r)
            got = [(await stream.next())[1]["seq"] for _ in range(count)]
        return header, got

    for point in (room[3], room[len(room) // 3], 10_001, 15_000, room[-40]):
        expected = [s for s in room if s > point][:50]
        header, got = await resume(point, len(expected))
        assert header == f"demo:{epoch}:{point}:p"
        assert got == expected, point

    # Then live, with no gap and no duplicate after the replayed suffix.
    url = hub_url(stage, "room", last=f"demo:{epoch}:{room[-3]}:p")
    tail = room[-2:]
    async with http.get(url) as r:
        stream = SSE(r)
        replayed = [(await stream.next())[1]["seq"] for _ in range(2)]
        answer = await stage.submit({"op": "floor_bid", "lot": "6", "paddle": "101"}, CLERK)
        live = (await stream.next())[1]["seq"]
    assert replayed == tail
    assert live == answer.seq > last_room

    # An id past the end, or from another sale, is unknown: `earliest`, nothing replayed.
    for unknown in (f"demo:{epoch}:{EVENTS * 10}:p", f"other:{epoch}:5:p", "garbage"):
        async with http.get(hub_url(stage, "room", last=unknown)) as r:
            assert r.headers.get("Last-Event-ID") == "earliest"
