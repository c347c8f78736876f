"""A bidder's own commands over the API: a commission bid left online, and nothing else."""

from __future__ import annotations

import aiohttp
import pytest

from hub.stage import Stage
from tests.gateway.helpers import bearer

SALE = "/api/sales/demo"


async def send(
    stage: Stage, http: aiohttp.ClientSession, body: object, *, paddle: str = "7001"
) -> tuple[int, dict]:
    token = stage.issuer.issue("bidder", "demo", paddle=paddle)
    async with http.post(f"{SALE}/commands", json=body, headers=bearer(token)) as r:
        return r.status, await r.json()


async def test_a_bidder_leaves_and_cancels_a_commission_bid_online(stage, http):
    status, body = await send(
        stage,
        http,
        {"op": "absentee_bid", "lot": "3", "paddle": "7001", "max": 350000, "key": "c-1"},
    )
    assert status == 200, body
    assert any(b.paddle == "7001" for b in stage.engine.lots["3"].books)
    # The same key again: the first answer, journaled once.
    seq = stage.engine.seq
    status, again = await send(
        stage,
        http,
        {"op": "absentee_bid", "lot": "3", "paddle": "7001", "max": 350000, "key": "c-1"},
    )
    assert status == 200
    assert again["seq"] == body["seq"]
    assert stage.engine.seq == seq
    status, body = await send(stage, http, {"op": "cancel_absentee", "lot": "3", "paddle": "7001"})
    assert status == 200, body
    assert not any(b.paddle == "7001" for b in stage.engine.lots["3"].books)


async def test_a_bidder_cannot_book_for_someone_else(stage, http):
    status, body = await send(
        stage, http, {"op": "absentee_bid", "lot": "3", "paddle": "7002", "max": 350000}
    )
    assert status in (403, 409), body
    assert not any(b.paddle == "7002" for b in stage.engine.lots["3"].books)


@pytest.mark.parametrize(
    "body",
    [
        {"op": "hammer", "lot": "1"},
        {"op": "open_lot", "lot": "1"},
        {"op": "bid", "lot": "1", "amount": 100000},
        {"op": ["absentee_bid"], "lot": "3"},
        {"op": None},
        {"lot": "3"},
    ],
)
async def test_staff_ops_and_odd_ops_are_refused_to_bidders(stage, http, body):
    seq = stage.engine.seq
    status, answer = await send(stage, http, body)
    assert status == 403, answer
    assert stage.engine.seq == seq  # nothing journaled


async def test_a_closed_book_is_refused_with_the_state(stage, http):
    staff = stage.issuer.issue("auctioneer", "demo")
    async with http.post(
        f"{SALE}/commands", json={"op": "open_lot", "lot": "3"}, headers=bearer(staff)
    ) as r:
        assert r.status == 200
    status, body = await send(
        stage, http, {"op": "absentee_bid", "lot": "3", "paddle": "7001", "max": 350000}
    )
    assert status == 409
    assert body["reason"] == "lot_not_pending"
