"""One bid intake: the stage, a relay node and the relay link answer every bad bid alike.

The same malformed, hostile, oversized and repeated bids go to the stage's endpoint and to a
relay node's (which forwards what it accepts over the link, where the stage checks it again);
each pair of answers must carry the same status, reason and content type.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from hub.journal.history import JournalHistory
from hub.relay.link import RelayLink
from hub.relay.node import RelayNode
from hub.stage import Stage
from tests.relay.helpers import open_lot, until

SALE = "/api/sales/demo"
JSON_TYPE = "application/json"


async def post(
    http: aiohttp.ClientSession, url: str, data: bytes, headers: dict[str, str]
) -> tuple[int, str | None, str]:
    """(status, reason, content type) of one bid attempt."""
    async with http.post(url, data=data, headers=headers) as r:
        text = await r.text()
        try:
            reason = json.loads(text).get("reason")
        except ValueError:
            reason = "<not json>"
        return r.status, reason, r.content_type


def cases(stage: Stage, seen: int) -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(name, path, body, headers): each case bids as its own paddle, so buckets stay full."""

    def token(i: int, role: str = "bidder", sale: str = "demo") -> dict[str, str]:
        paddle = f"9{i:03d}" if role == "bidder" else None
        issued = stage.issuer.issue(role, sale, paddle=paddle)
        return {"Authorization": f"Bearer {issued}", "Content-Type": JSON_TYPE}

    def body(**fields: Any) -> bytes:
        return json.dumps({"lot": "1", "amount": 120_000, "seen_seq": seen, **fields}).encode()

    bids = f"{SALE}/bids"
    return [
        ("bad json", bids, b"{not json", token(1)),
        ("NaN", bids, b'{"lot": "1", "amount": NaN, "seen_seq": 1}', token(2)),
        ("Infinity", bids, b'{"lot": "1", "amount": Infinity, "seen_seq": 1}', token(3)),
        ("-Infinity", bids, b'{"lot": "1", "amount": -Infinity, "seen_seq": 1}', token(4)),
        ("not an object", bids, b"[1, 2, 3]", token(5)),
        ("a string", bids, b'"bid"', token(6)),
        ("key with a space", bids, body(key="two words"), token(7)),
        ("key too long", bids, body(key="k" * 129), token(8)),
        ("key not text", bids, body(key=12), token(9)),
        ("huge amount", bids, body(amount=10**30, key="huge-1"), token(10)),
        ("negative amount", bids, body(amount=-5, key="neg-1"), token(11)),
        ("amount as text", bids, body(amount="120000", key="text-1"), token(12)),
        ("unknown lot", bids, body(lot="nope", key="lot-1"), token(13)),
        ("stale seen_seq", bids, body(seen_seq=0, key="stale-1"), token(14)),
        ("wrong content type", bids, body(), {**token(15), "Content-Type": "text/plain"}),
        ("oversized", bids, body(pad="x" * (80 * 1024)), token(16)),
        ("no token", bids, body(), {"Content-Type": JSON_TYPE}),
        ("bad token", bids, body(), {"Authorization": "Bearer nope", "Content-Type": JSON_TYPE}),
        ("staff token", bids, body(), token(17, role="clerk")),
        ("other sale's token", bids, body(), token(18, sale="other")),
        ("unknown sale", "/api/sales/other/bids", body(), token(19)),
    ]


async def linked(stage: Stage, make_node: Any, link_to: Any) -> RelayNode:
    node: RelayNode = await make_node()
    link: RelayLink = link_to(node.url)
    await until(lambda: link.status().connected, 5)
    return node


async def test_stage_and_relay_answer_every_bad_bid_alike(stage, make_node, link_to, http):
    node = await linked(stage, make_node, link_to)
    seen = await open_lot(stage)
    differ = []
    for name, path, data, headers in cases(stage, seen):
        here = await post(http, stage.url + path, data, headers)
        there = await post(http, node.url + path, data, headers)
        if here != there:
            differ.append(f"{name}: stage {here}, relay {there}")
        assert here[0] in (200, 202, 400, 401, 403, 404, 409, 413, 415, 422), (name, here)
    assert not differ, "\n".join(differ)


async def test_the_answers_are_the_documented_ones(stage, make_node, link_to, http):
    node = await linked(stage, make_node, link_to)
    seen = await open_lot(stage)
    expected = {
        "bad json": (400, "bad_json"),
        "NaN": (400, "bad_json"),
        "Infinity": (400, "bad_json"),
        "-Infinity": (400, "bad_json"),
        "not an object": (422, "invalid"),
        "a string": (422, "invalid"),
        "key with a space": (422, "invalid"),
        "key too long": (422, "invalid"),
        "key not text": (422, "invalid"),
        "wrong content type": (415, "unsupported_media_type"),
        "oversized": (413, "too_large"),
        "no token": (401, "unauthorized"),
        "bad token": (401, "invalid_token"),
        "staff token": (403, "forbidden"),
        "other sale's token": (403, "wrong_sale"),
        "unknown sale": (404, "unknown_sale"),
    }
    for name, path, data, headers in cases(stage, seen):
        if name in expected:
            status, reason, content_type = await post(http, node.url + path, data, headers)
            assert (status, reason) == expected[name], name
            assert content_type == "application/problem+json", name


async def test_a_repeated_key_gets_the_first_answer_through_either_door(
    stage, make_node, link_to, http
):
    node = await linked(stage, make_node, link_to)
    seen = await open_lot(stage)
    ask = stage.snapshot()["lot"]["ask"]
    token = stage.issuer.issue("bidder", "demo", paddle="7001")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"lot": "1", "amount": ask, "seen_seq": seen, "key": "dup-1"}
    answers = []
    for url in (stage.url, node.url, stage.url, node.url):
        async with http.post(f"{url}{SALE}/bids", json=body, headers=headers) as r:
            answers.append((r.status, await r.json()))
    first_status, first = answers[0]
    assert first_status in (200, 202)
    for status, answer in answers[1:]:
        assert status == first_status
        assert answer["seq"] == first["seq"]
        assert answer["ok"] is True
    # Placed once: one journal record carries the key.
    reader = JournalHistory(stage.config.journal_path)
    try:
        keyed = [r.type for r in reader.after(0) if r.key == "dup-1"]
    finally:
        reader.close()
    assert len(keyed) == 1, keyed


async def test_the_rate_limit_comes_before_the_body(stage, make_node, link_to, http):
    """A flood of junk is refused for its rate, not parsed: both doors count first."""
    node = await linked(stage, make_node, link_to)
    token = stage.issuer.issue("bidder", "demo", paddle="9500")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": JSON_TYPE}
    for url in (stage.url, node.url):
        seen = []
        for _ in range(60):
            status, reason, _ = await post(http, f"{url}{SALE}/bids", b"{junk", headers)
            seen.append((status, reason))
            if status == 429:
                break
        assert set(seen) <= {(400, "bad_json"), (429, "rate_limited")}, url
        assert seen[-1] == (429, "rate_limited"), url


async def test_the_link_refuses_a_forwarded_bid_as_the_endpoint_does(stage, link_to, make_node):
    """The stage re-checks what a relay forwards (a relay may delay a bid, never forge one)."""
    node = await make_node()
    link: RelayLink = link_to(node.url)
    token = stage.issuer.issue("bidder", "demo", paddle="9600")
    status, body = await link.decide_bid(token, [1, 2])
    assert (status, body["reason"]) == (422, "invalid")
    status, body = await link.decide_bid(token, {"lot": "1", "key": "a b"})
    assert (status, body["reason"]) == (422, "invalid")
    status, body = await link.decide_bid("forged", {"lot": "1"})
    assert (status, body["reason"]) == (401, "invalid_token")
    staff = stage.issuer.issue("clerk", "demo")
    status, body = await link.decide_bid(staff, {"lot": "1"})
    assert (status, body["reason"]) == (403, "forbidden")
    assert body["type"].endswith("/forbidden")


async def test_the_session_answer_and_its_cookie_are_the_same(stage, make_node, http):
    plain = await make_node()
    proxied = await make_node(behind_tls_proxy=True)
    token = stage.issuer.issue("bidder", "demo", paddle="7001")
    headers = {"Authorization": f"Bearer {token}"}
    answers = {}
    for name, url in (("stage", stage.url), ("relay", plain.url), ("proxied", proxied.url)):
        async with http.post(f"{url}/api/session", headers=headers) as r:
            assert r.status == 200, name
            body = await r.json()
            body.pop("bidder", None)  # the stage adds the bidder's own view
            answers[name] = (body, r.cookies["mercureAuthorization"])
    (stage_body, stage_cookie), (relay_body, relay_cookie) = answers["stage"], answers["relay"]
    assert stage_body == relay_body
    assert stage_body["topics"] == {
        "room": f"{stage.sale_iri}/room",
        "mine": f"{stage.sale_iri}/bidders/7001",
    }
    for cookie in (stage_cookie, relay_cookie):
        assert cookie.value == token
        assert cookie["path"] == "/.well-known/mercure"
        assert cookie["httponly"]
        assert cookie["samesite"] == "Strict"
        assert not cookie["secure"]  # plain http, no TLS proxy declared
    assert answers["proxied"][1]["secure"]  # behind a TLS proxy: Secure
