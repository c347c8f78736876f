"""Two relay nodes share one Redis: what the stage pushes through A reaches B; bids via B."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from hub.relay.link import RelayLink
from hub.relay.node import RelayNode
from hub.stage import Stage
from tests.relay.helpers import (
    Follower,
    assert_gap_free,
    floor_bids,
    journal_hashes,
    journal_updates,
    open_lot,
    stream_hashes,
    topic_query,
    until,
)

SALE = "/api/sales/demo"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def remote_bid(
    http: aiohttp.ClientSession, node: RelayNode, stage: Stage, paddle: str, body: dict
) -> tuple[int, dict]:
    token = stage.issuer.issue("bidder", "demo", paddle=paddle)
    async with http.post(f"{node.url}{SALE}/bids", json=body, headers=bearer(token)) as r:
        return r.status, await r.json(content_type=None)


async def fresh_state(http: aiohttp.ClientSession, node: RelayNode, seq: int) -> dict:
    """The node's snapshot once it has caught up with `seq` (snapshots trail events)."""
    for _ in range(100):
        async with http.get(f"{node.url}{SALE}/state") as r:
            if r.status == 200:
                state = await r.json()
                if state["seq"] >= seq:
                    return state
        await asyncio.sleep(0.05)
    raise AssertionError("the relay's snapshot never caught up")


async def test_subscriber_on_b_sees_what_the_stage_pushed_through_a(
    stage, redis_server, make_node, link_to, http
):
    a = await make_node(redis_server.url)
    b = await make_node(redis_server.url)
    link: RelayLink = link_to(a.url)
    await until(lambda: link.status().connected, 5)
    staff = stage.issuer.issue("clerk", "demo")
    on_b = Follower(
        [b.url],
        topic_query(stage.sale_iri, "staff"),
        token=staff,
        last_event_id=f"demo:{stage.sequencer.epoch}:1:s",
    )
    room_a = Follower([a.url], topic_query(stage.sale_iri, "room"))
    room_b = Follower([b.url], topic_query(stage.sale_iri, "room"))
    for f in (on_b, room_a, room_b):
        f.start(http)
    try:
        for f in (on_b, room_a, room_b):
            await f.connected.wait()
        opened = await open_lot(stage)
        acked = await floor_bids(stage, 5)
        await on_b.wait_seq(acked[-1])
        # Resumed from seq 1: every record since, once, in order, with the stage's ids.
        assert_gap_free(on_b.seqs, 2, acked[-1])
        staff_ids = [i for i, _ in journal_updates(stage) if i.endswith(":s")]
        assert [e[0] for e in on_b.events] == staff_ids[1:]

        # A remote bid through B: the stage decides, every node shows it.
        state = await fresh_state(http, b, acked[-1])
        assert state["lot"]["id"] == "1"
        assert state["stage_connected"] is True
        status, answer = await remote_bid(
            http,
            b,
            stage,
            "7001",
            {"lot": "1", "amount": state["lot"]["ask"], "seen_seq": state["seq"], "key": "b-1"},
        )
        assert status == 200, answer
        seq = answer["seq"]
        assert stage.engine.public_lot("1")["high"]["paddle"] == "7001"
        for f in (room_a, room_b):
            await f.wait_seq(seq)
            accepted = [e for e in f.events if e[1] == seq]
            assert accepted
            assert accepted[0][2]["type"] == "bid_accepted"
            assert accepted[0][2]["lot"]["high"]["paddle"] == "7001"
        assert opened < seq
        # Same key again through A: idempotent, same answer, one bid in the journal.
        status, again = await remote_bid(
            http,
            a,
            stage,
            "7001",
            {"lot": "1", "amount": state["lot"]["ask"], "seen_seq": state["seq"], "key": "b-1"},
        )
        assert status == 200
        assert again["seq"] == seq
        await until(lambda: a.history.head == b.history.head == stage.sequencer.last_seq, 5)
        assert await stream_hashes(redis_server.url) == journal_hashes(stage)
        assert link.status().lag == 0
        await until(lambda: link.status().remote_bidders >= 3, 5)
    finally:
        for f in (on_b, room_a, room_b):
            await f.stop()


async def test_lone_node_without_redis_keeps_a_local_history(stage, make_node, link_to, http):
    node = await make_node(None)
    link = link_to(node.url)
    await until(lambda: link.status().connected, 5)
    acked = await floor_bids(stage, 0) or [await open_lot(stage)]
    await until(lambda: node.history.head == acked[-1], 5)
    follower = Follower(
        [node.url],
        topic_query(stage.sale_iri, "room"),
        last_event_id=f"demo:{stage.sequencer.epoch}:1:p",
    )
    follower.start(http)
    try:
        await follower.wait_seq(acked[-1])
        status, answer = await remote_bid(
            http, node, stage, "7002", {"lot": "1", "amount": stage.engine.public_lot("1")["ask"]}
        )
        assert status == 200, answer
        await follower.wait_seq(answer["seq"])
    finally:
        await follower.stop()


async def test_forged_bidder_tokens_are_refused_by_relay_and_stage(
    stage, make_node, link_to, http, tmp_path
):
    from hub.gateway.tokens import TokenIssuer, load_or_create_key

    node = await make_node(None)
    link = link_to(node.url)
    await until(lambda: link.status().connected, 5)
    await open_lot(stage)
    forger = TokenIssuer(load_or_create_key(tmp_path / "other"), stage.config.sale_iri_base)
    forged = forger.issue("bidder", "demo", paddle="7001")
    async with http.post(
        f"{node.url}{SALE}/bids", json={"lot": "1", "amount": 1}, headers=bearer(forged)
    ) as r:
        assert r.status == 401
    # A compromised relay forwarding the forged token anyway: the stage refuses it itself.
    status, body = await link.decide_bid(forged, {"lot": "1", "amount": 100000})
    assert status == 401
    assert body["reason"] == "invalid_token"
    assert stage.engine.public_lot("1")["high"] is None


@pytest.mark.parametrize("path", ["/bid", "/room", "/static/js/bidder.js"])
async def test_pages_are_served(stage, make_node, http, path):
    node = await make_node(None)
    async with http.get(node.url + path) as r:
        assert r.status == 200


@pytest.mark.parametrize("behind_tls_proxy", [False, True])
async def test_session_cookie_is_secure_behind_a_tls_proxy(
    stage, make_node, http, behind_tls_proxy
):
    node = await make_node(None, behind_tls_proxy=behind_tls_proxy)
    token = stage.issuer.issue("bidder", "demo", paddle="7001")
    async with http.post(
        node.url + "/api/session", headers={"Authorization": f"Bearer {token}"}
    ) as r:
        assert r.status == 200
        cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert ("Secure" in cookie.split("; ")) is behind_tls_proxy


async def test_no_stage_means_503_with_a_reason(stage, make_node, http):
    node = await make_node(None)
    status, body = await remote_bid(http, node, stage, "7001", {"lot": "1", "amount": 1})
    assert status == 503
    assert body["reason"] == "stage_unreachable"
    assert "NOT placed" in body["detail"]


async def test_resume_older_than_the_node_mirror_reads_the_stream(
    stage, redis_server, make_node, link_to, http
):
    a = await make_node(redis_server.url)
    link = link_to(a.url)
    await open_lot(stage)
    acked = await floor_bids(stage, 20)
    await until(lambda: a.history.head == acked[-1], 5)
    small = await make_node(redis_server.url, history_records=5)  # holds seqs > head - 5
    assert small.history.floor > 3
    follower = Follower(
        [small.url],
        topic_query(stage.sale_iri, "staff"),
        token=stage.issuer.issue("clerk", "demo"),
        last_event_id=f"demo:{stage.sequencer.epoch}:3:s",
    )
    follower.start(http)
    try:
        more = await floor_bids(stage, 3)
        await follower.wait_seq(more[-1])
        assert_gap_free(follower.seqs, 4, more[-1])
        assert small.history.prefetched == {}
        assert link.status().connected
    finally:
        await follower.stop()


async def test_a_stage_configured_with_a_relay_url_dials_it_by_itself(tmp_path, http):
    """`relay_url` in the stage config is all it takes (what `auctionmen serve` uses)."""
    from hub.config import StageConfig
    from hub.relay.node import RelayConfig

    data = tmp_path / "dialing"
    first = Stage(StageConfig(data_dir=data, port=0, demo=True))
    await first.start()  # creates the sale and the stage key
    public = first.issuer.public_pem
    await first.stop()
    node = RelayNode(RelayConfig(stage_public_pem=public, port=0))
    await node.start()
    dialing = Stage(StageConfig(data_dir=data, port=0, relay_url=node.url))
    try:
        await dialing.start()
        link = dialing.relay_link
        assert link is not None
        await until(lambda: link.status().connected, 5)
        state = await fresh_state(http, node, dialing.sequencer.last_seq)
        assert state["sale"]["id"] == "demo"
    finally:
        await dialing.stop()
        await node.stop()


async def test_a_full_node_answers_429_and_frees_places(stage, make_node, http):
    node = await make_node(None, max_subscribers=2)
    url = f"{node.url}/.well-known/mercure?topic={stage.sale_iri}/room"
    async with http.get(url) as a, http.get(url) as b:
        assert (a.status, b.status) == (200, 200)
        await a.content.readany()
        await b.content.readany()
        async with http.get(url) as c:
            assert c.status == 429
            assert c.headers["Retry-After"].isdigit()
    for _ in range(250):  # both closed: room again
        if node.hub is not None and node.hub.count() == 0:
            break
        await asyncio.sleep(0.02)
    async with http.get(url) as d:
        assert d.status == 200
