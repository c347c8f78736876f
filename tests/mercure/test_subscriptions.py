"""Subscription events and the subscriptions API, in both dialects."""

from __future__ import annotations

import json
from urllib.parse import quote

from hub.mercure import HubConfig, KeySpec

from .helpers import AUD, ISS, SECRET, Server, bearer, running_hub, v0_token, v1_token

WATCH = v1_token(subscribe=["*"], payload={"role": "staff"})


async def test_v1_subscription_events(server: Server) -> None:
    async with server.subscribe(
        [("match_urlpattern", AUD + "/subscriptions/*")], headers=bearer(WATCH)
    ) as watcher:
        own = json.loads((await watcher.next_event())["data"])  # its own subscription first
        assert own["match_type"] == "urlpattern"
        assert own["payload"] == {"role": "staff"}
        async with server.subscribe([("match", "lot-1")]):
            ev = await watcher.next_event()
            sub_id = server.hub.subscribers[-1].id
        off = await watcher.next_event()
    doc = json.loads(ev["data"])
    assert ev["event"] == "mercure"
    assert doc == {
        "id": f"/.well-known/mercure/subscriptions/exact/lot-1/{quote(sub_id, safe='')}",
        "type": "subscription",
        "match_type": "exact",
        "match": "lot-1",
        "subscriber": sub_id,
        "active": True,
    }
    assert json.loads(off["data"])["active"] is False


async def test_anonymous_never_sees_subscription_events(server: Server) -> None:
    async with (
        server.subscribe([("match", "*"), ("match", "marker")]) as anon,
        server.subscribe([("match", "lot-1")]),
    ):
        await server.publish(topic="marker", id="m")
        events = await anon.until("m")
    assert [e["id"] for e in events] == ["m"]


async def test_v0_subscription_events_json_ld(server: Server) -> None:
    tok = v0_token(
        subscribe=["/.well-known/mercure/subscriptions{/topic}{/subscriber}"], payload={"u": 1}
    )
    async with server.subscribe(
        [("topic", "/.well-known/mercure/subscriptions{/topic}{/subscriber}")], headers=bearer(tok)
    ) as watcher:
        await watcher.next_event()  # its own subscription
        async with server.subscribe([("topic", "https://e.net/{x}")]):
            ev = await watcher.next_event()
    doc = json.loads(ev["data"])
    assert "event" not in ev
    assert doc["@context"] == "https://mercure.rocks/"
    assert doc["type"] == "Subscription"
    assert doc["topic"] == "https://e.net/{x}"
    assert doc["active"] is True


async def test_v1_api(server: Server) -> None:
    base = server.url + "/subscriptions"
    async with server.subscribe([("match", "lot-1"), ("match_urlpattern", "/x/:id")]):
        sub = server.hub.subscribers[-1]
        async with server.session.get(base, headers=bearer(WATCH)) as r:
            assert r.status == 200
            assert r.content_type == "application/json"
            assert 'rel="mercure"' in r.headers["Link"]
            assert "last-event-id=" in r.headers["Link"]
            etag = r.headers["ETag"]
            body = await r.json()
        assert body["type"] == "subscriptions"
        assert len(body["subscriptions"]) == 2
        one = f"{base}/exact/lot-1/{quote(sub.id, safe='')}"
        async with server.session.get(one, headers=bearer(WATCH)) as r:
            doc = await r.json()
            assert doc["match"] == "lot-1"
            assert "payload" not in doc
        async with server.session.get(f"{base}/exact/lot-1", headers=bearer(WATCH)) as r:
            assert len((await r.json())["subscriptions"]) == 1
        async with server.session.get(base, headers={**bearer(WATCH), "If-None-Match": etag}) as r:
            assert r.status == 304
        for url, status in (
            (f"{base}/exact/lot-1/urn:uuid:nope", 404),
            (f"{base}/regex/lot-1", 400),
            (base, 401),
        ):
            headers = bearer(WATCH) if status != 401 else {}
            async with server.session.get(url, headers=headers) as r:
                assert r.status == status
                assert r.headers["Content-Type"] == "application/problem+json"
        narrow = v1_token(subscribe=["lot-1"])
        async with server.session.get(base, headers=bearer(narrow)) as r:
            assert r.status == 403


async def test_v0_api_json_ld(server: Server) -> None:
    tok = v0_token(subscribe=["/.well-known/mercure/subscriptions{/topic}{/subscriber}"])
    async with (
        server.subscribe([("topic", "lot-9")]),
        server.session.get(server.url + "/subscriptions/lot-9", headers=bearer(tok)) as r,
    ):
        assert r.content_type == "application/ld+json"
        body = await r.json(content_type=None)
    assert body["type"] == "Subscriptions"
    assert body["lastEventID"]
    assert [s["topic"] for s in body["subscriptions"]] == ["lot-9"]


async def test_api_disabled_is_404() -> None:
    cfg = HubConfig(keys=(KeySpec(SECRET),), issuers=(ISS,), public_url=AUD, allow_anonymous=True)
    async with (
        running_hub(cfg) as s,
        s.session.get(s.url + "/subscriptions", headers=bearer(WATCH)) as r,
    ):
        assert r.status == 404
