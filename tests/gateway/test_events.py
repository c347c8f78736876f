"""Events reach subscribers over Mercure, and a reconnect recovers what was missed."""

from __future__ import annotations

import json
from urllib.parse import quote

from hub.auction.events import SYSTEM, Actor
from hub.stage import Stage
from tests.gateway.helpers import bearer
from tests.sse import SSE

CLERK = Actor("clerk", roles=("clerk", "auctioneer"))


def hub_url(stage: Stage, *topics: str, last: str | None = None) -> str:
    query = "&".join(f"topic={quote(f'{stage.sale_iri}/{t}', safe='')}" for t in topics)
    if last is not None:
        query += f"&lastEventID={quote(last, safe='')}"
    return f"/.well-known/mercure?{query}"


async def open_lot(stage: Stage) -> int:
    answer = await stage.submit({"op": "open_lot", "lot": "1"}, CLERK)
    assert answer.ok
    return answer.seq


async def test_room_subscriber_sees_public_events_without_secrets(stage, http):
    async with http.get(hub_url(stage, "room")) as r:
        assert r.status == 200
        stream = SSE(r)
        await open_lot(stage)
        event_id, data = await stream.next()
    assert data["type"] == "lot_opened"
    assert data["lot"]["id"] == "1"
    assert data["sale"] == "demo"
    assert event_id == f"demo:{data['epoch']}:{data['seq']}:p"
    assert "reserve" not in data["lot"]
    assert "70000" not in json.dumps(data)  # the reserve's value appears nowhere


async def test_reconnect_with_last_event_id_recovers_every_missed_event(stage, http):
    await open_lot(stage)
    async with http.get(hub_url(stage, "room")) as r:
        stream = SSE(r)
        await stage.submit({"op": "floor_bid", "lot": "1", "paddle": "101"}, CLERK)
        first_id, first = await stream.next()
    missed = []
    for paddle in ("102", "101", "102", "101"):
        answer = await stage.submit({"op": "floor_bid", "lot": "1", "paddle": paddle}, CLERK)
        assert answer.ok
        missed.append(answer.seq)
    async with http.get(hub_url(stage, "room", last=first_id)) as r:
        stream = SSE(r)
        seqs = [(await stream.next())[1]["seq"] for _ in missed]
    assert seqs == missed
    assert first["seq"] < missed[0]


async def test_unknown_last_event_id_answers_earliest(stage, http):
    async with http.get(hub_url(stage, "room", last="demo:1:999999:p")) as r:
        assert r.status == 200
        assert r.headers.get("Last-Event-ID") == "earliest"


async def test_bidder_gets_own_refusals_privately_and_staff_see_reserve(stage, http):
    await open_lot(stage)
    bidder = stage.issuer.issue("bidder", "demo", paddle="7003")  # not approved
    clerk = stage.issuer.issue("clerk", "demo")
    async with (
        http.get(hub_url(stage, "bidders/7003"), headers=bearer(bidder)) as mine,
        http.get(hub_url(stage, "staff"), headers=bearer(clerk)) as staff,
        http.get(hub_url(stage, "bidders/7001"), headers=bearer(bidder)) as other,
    ):
        assert mine.status == 200
        assert staff.status == 200
        async with http.post(
            "/api/sales/demo/bids", json={"lot": "1", "amount": 50000}, headers=bearer(bidder)
        ) as r:
            assert r.status == 409
        _, own = await SSE(mine).next()
        assert own["type"] == "bid_refused"
        assert own["data"]["reason"] == "not_approved"
        _, seen = await SSE(staff).next()
        assert seen["type"] == "bid_refused"
        assert seen["lot"]["reserve"] == 70000
        # A bidder cannot read another bidder's private topic: nothing arrives there.
        if other.status == 200:
            other_stream = SSE(other)
            await stage.submit({"op": "approve_bidder", "paddle": "7001"}, SYSTEM)
            try:
                _, leaked = await other_stream.next(wait=0.5)
            except (TimeoutError, EOFError):
                leaked = None
            assert leaked is None
