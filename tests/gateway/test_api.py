"""The gateway over real HTTP: bids, commands, snapshot, sessions, and every bad input."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from hub.stage import Stage
from tests.gateway.helpers import bearer

SALE = "/api/sales/demo"


async def staff(stage: Stage, http: aiohttp.ClientSession, command: dict) -> dict:
    token = stage.issuer.issue("auctioneer", "demo")
    async with http.post(f"{SALE}/commands", json=command, headers=bearer(token)) as r:
        body = await r.json()
        body["_status"] = r.status
        return body


async def bid(
    stage: Stage,
    http: aiohttp.ClientSession,
    paddle: str,
    body: dict,
) -> tuple[int, dict]:
    token = stage.issuer.issue("bidder", "demo", paddle=paddle)
    async with http.post(f"{SALE}/bids", json=body, headers=bearer(token)) as r:
        return r.status, await r.json()


async def test_snapshot_is_public(stage, http):
    async with http.get(f"{SALE}/state") as r:
        assert r.status == 200
        snap = await r.json()
    assert snap["sale"]["id"] == "demo"
    assert [lot["id"] for lot in snap["lots"]][:3] == ["1", "2", "3"]
    assert "reserve" not in json.dumps(snap)
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")


async def test_staff_snapshot_shows_the_reserve(stage, http):
    await staff(stage, http, {"op": "open_lot", "lot": "1"})
    token = stage.issuer.issue("clerk", "demo")
    async with http.get(f"{SALE}/state", headers=bearer(token)) as r:
        snap = await r.json()
    assert snap["lot"]["reserve"] == 70000


async def test_bid_accepted_then_equal_amount_refused(stage, http):
    opened = await staff(stage, http, {"op": "open_lot", "lot": "1"})
    assert opened["ok"], opened
    ask = opened["state"]["lot"]["ask"]
    seq = opened["seq"]
    status, first = await bid(stage, http, "7001", {"lot": "1", "amount": ask, "seen_seq": seq})
    assert status == 200
    assert first["ok"]
    status, second = await bid(stage, http, "7002", {"lot": "1", "amount": ask, "seen_seq": seq})
    assert status == 409
    assert second["reason"] == "already_bid"
    assert second["state"]["lot"]["high"]["paddle"] == "7001"
    assert second["state"]["lot"]["ask"] > ask


async def test_same_key_is_idempotent(stage, http):
    opened = await staff(stage, http, {"op": "open_lot", "lot": "1"})
    body = {"lot": "1", "amount": opened["state"]["lot"]["ask"], "key": "k-1"}
    first = await bid(stage, http, "7001", body)
    again = await bid(stage, http, "7001", body)
    assert first[0] == again[0] == 200
    assert first[1]["seq"] == again[1]["seq"]
    snap = stage.snapshot()
    assert snap["lot"]["bids"] == 1


async def test_not_approved_bidder_is_refused_with_reason(stage, http):
    await staff(stage, http, {"op": "open_lot", "lot": "1"})
    status, body = await bid(stage, http, "7003", {"lot": "1", "amount": 50000})
    assert status == 409
    assert body["reason"] == "not_approved"


async def test_commands_need_a_staff_token(stage, http):
    token = stage.issuer.issue("bidder", "demo", paddle="7001")
    async with http.post(
        f"{SALE}/commands", json={"op": "open_lot", "lot": "1"}, headers=bearer(token)
    ) as r:
        assert r.status == 403
        assert r.content_type == "application/problem+json"


@pytest.mark.parametrize(
    ("headers", "data", "status", "reason"),
    [
        ({}, b"{}", 401, "unauthorized"),
        ({"Authorization": "Bearer nope"}, b"{}", 401, "invalid_token"),
        ({"Authorization": "Bearer " + "x" * 8100}, b"{}", 401, "invalid_token"),
        ({"Authorization": "Bearer " + "x" * 65_000}, b"{}", 401, "invalid_token"),
        # Past the server's header-line limit the HTTP parser itself answers 400.
        ({"Authorization": "Bearer " + "x" * 100_000}, b"{}", 400, None),
    ],
)
async def test_bad_tokens(stage, http, headers, data, status, reason):
    async with http.post(f"{SALE}/bids", data=data, headers=headers) as r:
        assert r.status == status
        if reason is not None:
            assert (await r.json())["reason"] == reason


@pytest.mark.parametrize(
    ("data", "content_type", "status", "reason"),
    [
        (b"not json", "application/json", 400, "bad_json"),
        (b"[1, 2]", "application/json", 422, "invalid"),
        (b'{"lot": "1", "amount": NaN}', "application/json", 400, "bad_json"),
        (b'{"lot": "1", "amount": "100"}', "application/json", 422, "invalid"),
        (b'{"lot": "1", "amount": true}', "application/json", 422, "invalid"),
        (b'{"lot": "1", "amount": 1e30}', "application/json", 422, "invalid"),
        (b'{"lot": ["1"], "amount": 100}', "application/json", 422, "invalid"),
        (b'{"lot": "1", "amount": 100, "key": "a b"}', "application/json", 422, "invalid"),
        (b"lot=1&amount=100", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"lot": "' + b"9" * 200_000 + b'"}', "application/json", 413, "too_large"),
    ],
)
async def test_malformed_bids_get_clear_errors(stage, http, data, content_type, status, reason):
    await staff(stage, http, {"op": "open_lot", "lot": "1"})
    before = stage.sequencer.last_seq
    token = stage.issuer.issue("bidder", "demo", paddle="7001")
    headers = {**bearer(token), "Content-Type": content_type}
    async with http.post(f"{SALE}/bids", data=data, headers=headers) as r:
        assert r.status == status, await r.text()
        body = await r.json()
        assert body["reason"] == reason
        assert "Traceback" not in json.dumps(body)
    # A malformed bid is refused before or by the engine; nothing was accepted.
    assert stage.snapshot()["lot"]["bids"] == 0
    assert stage.sequencer.last_seq - before <= 1


async def test_hostile_text_is_stored_as_text(stage, http):
    title = '<img src=x onerror="alert(1)">\nid: forged</title><script>x()</script>'
    done = await staff(
        stage, http, {"op": "add_lot", "lot": {"id": "99", "title": title}, "reason": "late entry"}
    )
    assert done["ok"], done
    nul = await staff(stage, http, {"op": "add_lot", "lot": {"id": "98", "title": "a\x00b"}})
    assert nul["_status"] == 422
    assert nul["reason"] == "invalid"
    async with http.get(f"{SALE}/state") as r:
        lots = (await r.json())["lots"]
    assert lots[-1]["title"] == title


async def test_rate_limit_per_bidder(stage, http):
    await staff(stage, http, {"op": "open_lot", "lot": "1"})
    token = stage.issuer.issue("bidder", "demo", paddle="7001")
    statuses = []
    for _ in range(30):
        async with http.post(
            f"{SALE}/bids", json={"lot": "1", "amount": 1}, headers=bearer(token)
        ) as r:
            statuses.append(r.status)
    assert 429 in statuses
    # Another bidder is not affected by 7001's burst.
    status, _ = await bid(stage, http, "7002", {"lot": "1", "amount": 1})
    assert status == 409


async def test_registration_then_approval_gives_a_link(stage, http):
    async with http.post(
        f"{SALE}/register", json={"name": "Ada <b>L</b>", "email": "ada@example.org"}
    ) as r:
        assert r.status == 202
        paddle = (await r.json())["paddle"]
    assert int(paddle) >= 7001
    approved = await staff(stage, http, {"op": "approve_bidder", "paddle": paddle})
    assert approved["ok"]
    assert "/bid#token=" in approved["link"]
    assert approved["qr_svg"].startswith("<svg")
    token = approved["link"].split("#token=")[1]
    async with http.post("/api/session", headers=bearer(token)) as r:
        assert r.status == 200
        session = await r.json()
        assert session["paddle"] == paddle
        cookie = r.cookies["mercureAuthorization"]
        assert cookie["httponly"]
        assert cookie["path"] == "/.well-known/mercure"


async def test_registration_rejects_bad_input(stage, http):
    for body in (
        {},
        {"name": "x"},
        {"name": "x" * 500, "email": "a@b"},
        {"name": "x", "email": "no-at"},
        {"name": 5, "email": "a@b"},
    ):
        async with http.post(f"{SALE}/register", json=body) as r:
            assert r.status == 422, body


async def test_pairing_with_the_pin(stage, http):
    async with http.post(
        "/api/pair", json={"pin": "000000" if stage.pin != "000000" else "111111"}
    ) as r:
        assert r.status == 403
    async with http.post("/api/pair", json={"pin": stage.pin}) as r:
        assert r.status == 200
        token = (await r.json())["token"]
    assert stage.issuer.verify(token).role == "clerk"


async def test_openapi_lists_every_api_route(stage, http):
    async with http.get("/api/openapi.json") as r:
        doc = await r.json()
    assert doc["openapi"].startswith("3.1")
    for path in (
        "/api/sales/{sale}/state",
        "/api/sales/{sale}/bids",
        "/api/sales/{sale}/commands",
        "/api/sales/{sale}/register",
        "/api/session",
        "/api/pair",
    ):
        assert path in doc["paths"]


async def test_unknown_sale_and_path(stage, http):
    async with http.get("/api/sales/other/state") as r:
        assert r.status == 404
        assert (await r.json())["reason"] == "unknown_sale"
    async with http.get("/api/nothing") as r:
        assert r.status == 404
        assert r.content_type == "application/problem+json"


async def test_hundred_concurrent_bidders_one_winner(stage, http):
    for n in range(100):
        paddle = str(8000 + n)
        done = await staff(
            stage,
            http,
            {"op": "register_bidder", "paddle": paddle, "status": "approved", "channel": "online"},
        )
        assert done["ok"]
    opened = await staff(stage, http, {"op": "open_lot", "lot": "1"})
    ask, seq = opened["state"]["lot"]["ask"], opened["seq"]
    results = await asyncio.gather(
        *(
            bid(stage, http, str(8000 + n), {"lot": "1", "amount": ask, "seen_seq": seq})
            for n in range(100)
        )
    )
    accepted = [b for s, b in results if s == 200]
    refused = [b for s, b in results if s == 409]
    assert len(accepted) == 1
    assert len(refused) == 99
    assert {b["reason"] for b in refused} == {"already_bid"}


async def test_session_and_snapshot_carry_the_bidders_own_record(stage, http):
    token = stage.issuer.issue("bidder", "demo", paddle="7002")
    async with http.post("/api/session", headers=bearer(token)) as r:
        session = await r.json()
    assert session["bidder"]["credit_limit"] == 500000
    assert session["bidder"]["status"] == "approved"
    async with http.get(f"{SALE}/state", headers=bearer(token)) as r:
        snap = await r.json()
    assert snap["bidder"]["paddle"] == "7002"
    assert "bidders" not in snap


async def test_staff_snapshot_lists_bidders_with_names(stage, http):
    token = stage.issuer.issue("clerk", "demo")
    async with http.get(f"{SALE}/state", headers=bearer(token)) as r:
        snap = await r.json()
    names = {b["paddle"]: b["name"] for b in snap["bidders"]}
    assert names["7001"] == "Online bidder 7001"
    async with http.get("/api/sales/current") as r:
        assert (await r.json())["sale"] == "demo"


async def test_snapshot_advertises_the_hub_topic_and_cursor(stage, http):
    async with http.get(f"{SALE}/state") as r:
        snap = await r.json()
        links = r.headers.getall("Link")
    assert (
        '</.well-known/mercure>; rel="mercure"; '
        f'last-event-id="demo:{snap["epoch"]}:{snap["seq"]}:s"' in links
    )
    assert f'<{stage.sale_iri}/room>; rel="self"' in links


def test_links_use_a_reachable_address_when_listening_everywhere(tmp_path):
    from hub.config import StageConfig
    from hub.links import lan_address
    from hub.stage import Stage

    stage = Stage(StageConfig(data_dir=tmp_path, host="0.0.0.0", port=8765))
    stage.url = "http://0.0.0.0:8765"
    assert stage.base_url() == f"http://{lan_address()}:8765"
    assert stage.bidder_link("7001").startswith(f"http://{lan_address()}:8765/bid#token=")
    pinned = Stage(StageConfig(data_dir=tmp_path, public_url="https://stage.example"))
    assert pinned.base_url() == "https://stage.example"
    stage.identities.close()
    pinned.identities.close()


async def test_online_bidders_get_links_through_the_relay(stage):
    from hub.auction.events import Actor

    clerk = Actor("clerk", roles=("clerk", "auctioneer"))
    for paddle, channel in (("7101", "online"), ("7102", "phone")):
        answer = await stage.submit(
            {"op": "register_bidder", "paddle": paddle, "channel": channel}, clerk
        )
        assert answer.ok, answer
    here = stage.base_url()
    assert stage.bidder_link("7101").startswith(f"{here}/bid#token=")  # no relay: the stage
    stage.config.relay_url = "https://relay.example/, https://relay2.example"
    assert stage.bidder_link("7101").startswith("https://relay.example/bid#token=")
    assert stage.bidder_link("7102").startswith(f"{here}/bid#token=")  # in the room
    stage.config.relay_public_url = "https://bid.house.example"
    assert stage.bidder_link("7101").startswith("https://bid.house.example/bid#token=")


async def test_command_catalogue_is_served(stage, http):
    async with http.get("/api/commands") as r:
        assert r.status == 200
        body = await r.json()
    assert {"hammer", "floor_bid", "bid"} <= {c["op"] for c in body["commands"]}
    keys = {b["action"]: b["key"] for b in body["bindings"]}
    assert keys["hammer"] == "H"
    assert keys["floor_bid"] == "Space"


async def test_command_catalogue_serves_the_quick_messages(stage, http):
    from hub.auction.commands import QUICK_MESSAGES

    async with http.get("/api/commands") as r:
        body = await r.json()
    assert body["quick_messages"] == list(QUICK_MESSAGES)
    assert len(QUICK_MESSAGES) == 3
