"""Issue 14, the Mercure hub against the 1.0 draft: defects 12, 13 and 15.

12. An `authorization_details` entry with `topics: []` or `actions: []` (or any invalid
    Mercure detail) makes the whole token invalid: 401 `invalid_token`.
13. Subscription events and the subscriptions API name a subscription by the hub URL's *path*
    followed by `/subscriptions/...` (topic and id), as the draft and the reference hub do.
15. Subscriber ids are unguessable: random, not a per-process base XOR a counter.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from yarl import URL

from hub.mercure.auth import ANONYMOUS, same_origin
from hub.mercure.subscriber import Subscriber

from .helpers import AUD, DETAIL, ISS, SECRET, Server, Stream, bearer, v0_token, v1_token

HUB_PATH = "/.well-known/mercure"
WATCH = v1_token(subscribe=["*"])


def token_with(*details: Any) -> str:
    claims = {"aud": AUD, "iss": ISS, "exp": int(time.time()) + 3600}
    return jwt.encode(
        {**claims, "authorization_details": list(details)},
        SECRET,
        algorithm="HS256",
        headers={"typ": "at+jwt"},
    )


GOOD = {"type": DETAIL, "actions": ["publish", "subscribe"], "topics": [{"match": "*"}]}
INVALID_DETAILS = [
    {"type": DETAIL, "actions": ["subscribe"], "topics": []},
    {"type": DETAIL, "actions": [], "topics": [{"match": "*"}]},
    {"type": DETAIL, "actions": ["publish"], "topics": []},
    {"type": DETAIL, "actions": ["subscribe"], "topics": [{"match": ""}]},
    {"type": DETAIL, "actions": ["subscribe"]},
    {"type": DETAIL, "topics": [{"match": "*"}]},
    {"type": DETAIL, "actions": ["subscribe"], "topics": [{}]},
    {"type": DETAIL, "actions": ["subscribe"], "topics": [None]},
    {"type": DETAIL, "actions": ["subscribe"], "topics": ["*"]},
    {"type": DETAIL, "actions": "subscribe", "topics": [{"match": "*"}]},
    {"type": DETAIL, "actions": ["subscribe"], "topics": {"match": "*"}},
    # The class: a grant no subscription could carry (control, format chars, over-long).
    {"type": DETAIL, "actions": ["subscribe"], "topics": [{"match": "a\x00b"}]},
    {"type": DETAIL, "actions": ["subscribe"], "topics": [{"match": "a\r\nb"}]},
    {"type": DETAIL, "actions": ["subscribe"], "topics": [{"match": "a\u202eb"}]},
    {"type": DETAIL, "actions": ["publish"], "topics": [{"match": "a" * 4097}]},
]


async def test_a_token_with_an_invalid_detail_is_invalid(server: Server) -> None:
    """Defect 12: `topics: []` / `actions: []` were accepted (a detail granting nothing)."""
    for bad in INVALID_DETAILS:
        for token in (token_with(bad), token_with(GOOD, bad), token_with(bad, GOOD)):
            # Anonymous subscribers are allowed here: a bad token must not fall back to that.
            async with server.session.get(
                server.url, params={"match": "t"}, headers=bearer(token)
            ) as r:
                assert r.status == 401, bad
                assert r.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
                assert r.headers["Content-Type"] == "application/problem+json"
            async with server.session.post(
                server.url, data={"topic": "t"}, headers=bearer(token)
            ) as r:
                assert r.status == 401, bad
                assert r.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


async def test_v0_grants_follow_the_selector_rule(server: Server) -> None:
    """Defect 12's class in 0.x: a `mercure.subscribe` entry no request could carry."""
    for bad in ("a\x00b", "a\u200bb", "a" * 4097):
        token = v0_token(subscribe=["*", bad])
        async with server.session.get(
            server.url, params={"topic": "t"}, headers=bearer(token)
        ) as r:
            assert r.status == 401, bad


async def test_valid_details_still_work(server: Server) -> None:
    """The control: a detail with an unknown action alongside a known one, and a foreign
    detail type, are fine (the draft ignores both)."""
    other = {"type": "https://example.com/other", "actions": [], "topics": []}
    mixed = {"type": DETAIL, "actions": ["subscribe", "future"], "topics": [{"match": "*"}]}
    publisher = token_with(GOOD, other)
    async with server.subscribe([("match", "t")], headers=bearer(token_with(mixed, other))) as s:
        await server.publish(publisher, topic="t", id="one", private="on")
        assert (await s.next_event())["id"] == "one"


def subscription_path(match_type: str, match: str, sub_id: str) -> str:
    return f"{HUB_PATH}/subscriptions/{match_type}/{quote(match, safe='')}/{quote(sub_id, safe='')}"


@pytest.mark.parametrize(
    "selector",
    [
        ("match_urlpattern", AUD + "/subscriptions/*"),
        ("match_urlpattern", HUB_PATH + "/subscriptions/:type/:match/:subscriber"),
        ("match", "*"),
    ],
)
async def test_subscription_events_are_under_the_hub_path(
    server: Server, selector: tuple[str, str]
) -> None:
    """Defect 13: the topic and id were `https://host/.well-known/mercure/subscriptions/...`."""
    async with server.subscribe([selector], headers=bearer(WATCH)) as watcher:
        own = await watcher.next_event()  # the watcher's own subscription comes first
        assert json.loads(own["data"])["id"].startswith(HUB_PATH + "/subscriptions/")
        async with server.subscribe([("match", "lot-1")]):
            ev = await watcher.next_event()
            sub_id = server.hub.subscribers[-1].id
        off = await watcher.next_event()
    path = subscription_path("exact", "lot-1", sub_id)
    assert ev["event"] == "mercure"
    assert json.loads(ev["data"]) == {
        "id": path,
        "type": "subscription",
        "match_type": "exact",
        "match": "lot-1",
        "subscriber": sub_id,
        "active": True,
    }
    assert json.loads(off["data"])["id"] == path


async def test_an_exact_selector_on_the_path_selects_the_event(server: Server) -> None:
    """Defect 13: a subscriber can follow one subscription by its id (= its topic)."""
    async with contextlib.AsyncExitStack() as stack:
        lot = contextlib.AsyncExitStack()
        await lot.enter_async_context(server.subscribe([("match", "lot-2")]))
        path = subscription_path("exact", "lot-2", server.hub.subscribers[-1].id)
        # The path holds %3A: encode the query ourselves (yarl keeps a `%` it is given).
        url = URL(f"{server.url}?match={quote(path, safe='')}", encoded=True)
        r = await stack.enter_async_context(server.session.get(url, headers=bearer(WATCH)))
        assert r.status == 200
        watcher = Stream(r)
        await asyncio.wait_for(r.content.readany(), 5)  # the opening comment: registered
        await lot.aclose()  # lot-2's subscriber leaves: its inactive event, under `path`
        ev = await watcher.next_event()
    doc = json.loads(ev["data"])
    assert (doc["id"], doc["active"]) == (path, False)


async def test_subscriptions_api_ids_are_paths(server: Server) -> None:
    """Defect 13: the documents the API returns carry the same path ids as the events."""
    base = server.url + "/subscriptions"
    async with server.subscribe([("match", "lot-3")]):
        sub_id = server.hub.subscribers[-1].id
        path = subscription_path("exact", "lot-3", sub_id)
        async with server.session.get(base, headers=bearer(WATCH)) as r:
            ids = [d["id"] for d in (await r.json())["subscriptions"]]
        assert path in ids
        assert all(i.startswith(HUB_PATH + "/subscriptions/") for i in ids)
        async with server.session.get(
            server.url[: -len(HUB_PATH)] + path, headers=bearer(WATCH)
        ) as r:
            assert r.status == 200
            assert (await r.json())["id"] == path


async def test_a_selector_is_percent_decoded_once(server: Server) -> None:
    """Found with defect 13 (ids hold `%3A`): the query was decoded twice, so the selector
    `urn:x:a%3Ab` became `urn:x:a:b` and followed another topic."""
    topic = "urn:x:a%3Ab"
    url = URL(f"{server.url}?match={quote(topic, safe='')}", encoded=True)
    async with server.session.get(url) as r:
        assert r.status == 200
        stream = Stream(r)
        await asyncio.wait_for(r.content.readany(), 5)  # registered
        await server.publish(topic="urn:x:a:b", id="decoy")
        await server.publish(topic=topic, id="wanted")
        assert (await stream.next_event())["id"] == "wanted"
    cursor = URL(f"{server.url}?match=t&last_event_id={quote('a%3Ab', safe='')}", encoded=True)
    await server.publish(topic="t", id="a:b")
    async with server.session.get(cursor) as r:
        assert r.headers["Mercure-Last-Event-ID"] == "earliest"  # `a%3Ab` was never issued


def new_subscriber() -> Subscriber:
    done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    return Subscriber(None, "v1", (), ANONYMOUS, None, True, done)


async def test_subscriber_ids_are_random_uuid4():
    """Defect 15: ids were `uuid(int=BASE ^ n)`, so one's own id gave away everyone's."""
    ids = [uuid.UUID(new_subscriber().id.removeprefix("urn:uuid:")) for _ in range(64)]
    assert all(u.version == 4 for u in ids)
    assert len(set(ids)) == len(ids)
    # Two ids of the old scheme differ only in the counter's low bits; random ones differ
    # in the high half too (a chance of 2**-58 per pair that they do not).
    for a, b in itertools.combinations(ids, 2):
        assert (a.int ^ b.int) >> 64, (a, b)


async def test_subscriber_ids_come_from_secrets(monkeypatch):
    """Defect 15: the bytes are the `secrets` module's (a CSPRNG), and an id is stable."""
    monkeypatch.setattr("hub.mercure.subscriber.secrets.token_bytes", lambda n: bytes(range(n)))
    sub = new_subscriber()
    expected = f"urn:uuid:{uuid.UUID(bytes=bytes(range(16)), version=4)}"
    assert sub.id == expected
    monkeypatch.undo()
    assert sub.id == expected  # kept once made


@pytest.mark.parametrize(
    ("origin", "scheme", "host", "same"),
    [
        ("http://stage.local:8765", "http", "stage.local:8765", True),
        ("http://STAGE.local:8765", "http", "stage.local:8765", True),
        ("https://stage.local", "http", "stage.local", True),  # a TLS proxy in front
        ("https://stage.local:443", "http", "stage.local", True),
        ("http://stage.local", "http", "stage.local:80", True),
        ("http://[::1]:8765", "http", "[::1]:8765", True),
        ("http://stage.local", "https", "stage.local", False),  # never downgrade
        ("http://stage.local:8766", "http", "stage.local:8765", False),
        ("http://evil.example", "http", "stage.local", False),
        ("http://stage.local.evil.example", "http", "stage.local", False),
        ("http://user@stage.local", "http", "stage.local", False),
        ("http://stage.local/", "http", "stage.local", False),
        ("http://stage.local?x", "http", "stage.local", False),
        ("http://stage.local:99999", "http", "stage.local:99999", False),
        ("http://stage.local:x", "http", "stage.local:x", False),
        ("http://[::1", "http", "[::1", False),
        ("ftp://stage.local", "http", "stage.local", False),
        ("null", "http", "stage.local", False),
        ("", "http", "", False),
    ],
)
def test_same_origin(origin: str, scheme: str, host: str, same: bool) -> None:
    """Defect 14: the stage's default for cookie publishing is its own origin, exactly."""
    assert same_origin(origin, scheme, host) is same


@pytest.mark.parametrize(
    "selector", ["/" + "*" * 4000, "*://*" + "*" * 4000], ids=["path-stars", "any-stars"]
)
async def test_a_selector_of_stacked_wildcards_is_refused(server: Server, selector: str) -> None:
    """Found by fuzzing (tests/fuzz/test_findings.py): thousands of stacked wildcards, within
    the selector length limit, cost each topic ~10^5 NFA steps of the event loop. Refused 400
    before any subscriber is registered; the hub keeps serving."""
    url = URL(f"{server.url}?match_urlpattern={quote(selector, safe='')}", encoded=True)
    async with server.session.get(url) as r:
        assert r.status == 400
    async with server.session.get(URL(f"{server.url}?match=t", encoded=True)) as r:
        assert r.status == 200
