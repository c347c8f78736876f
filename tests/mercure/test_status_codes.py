"""mercure.md §1.7: every bad input gets the spec's status and a short problem+json body."""

from __future__ import annotations

from typing import Any

import pytest

from hub.mercure import HubConfig, KeySpec

from .helpers import AUD, ISS, PUB, SECRET, Server, bearer, running_hub

SUBSCRIBE_400 = [
    [],
    [("lastEventID", "x")],
    [("Match", "a")],  # unknown name in the match* namespace
    [("match_regex", "a")],
    [("matchx", "a")],
    [("match", "")],
    [("match", "a\x00b")],
    [("match", "a\u202eb")],  # Unicode Cf (bidi override)
    [("match", "a\x85")],  # C1
    [("match_urlpattern", "https://e.net/(.*)")],
    [("match_urlpattern", "https://e.net/{x")],
    [("match", "a" * 4097)],
    [("match", str(i)) for i in range(1001)],
    [("topic", "https://e.net/{x")],
    [("topic", "a\nb")],
    [("match", "a"), ("last_event_id", "x\u200by")],
]


@pytest.mark.parametrize("params", SUBSCRIBE_400, ids=range(len(SUBSCRIBE_400)))
async def test_subscribe_400(server: Server, params: list[tuple[str, str]]) -> None:
    async with server.session.get(server.url, params=params) as r:
        assert r.status == 400, await r.text()
        assert r.headers["Content-Type"] == "application/problem+json"
        body = await r.json(content_type=None)
        assert body["status"] == 400
        assert len(await r.read()) < 400


async def test_subscribe_invalid_utf8_query(server: Server) -> None:
    from yarl import URL

    url = URL(server.url + "?match=%FF%FE", encoded=True)
    async with server.session.get(url) as r:
        assert r.status == 400


PUBLISH_CASES: list[tuple[list[tuple[str, str]], int]] = [
    ([("data", "x")], 400),  # missing topic
    ([("topic", "*")], 400),
    ([("topic", "/.well-known/mercure")], 400),  # reserved namespace
    ([("topic", "/.well-known/mercure/subscriptions/x/y")], 400),
    ([("topic", "https://h/.well-known/%6Dercure/subscriptions/x")], 400),
    ([("topic", "https://h/a/../.well-known/mercure/x")], 400),
    ([("topic", "https://h/.well-known/mercurex")], 200),
    ([("topic", "t"), ("id", "#frag")], 400),
    ([("topic", "t"), ("id", "earliest")], 400),
    ([("topic", "t"), ("id", "a\nb")], 400),
    ([("topic", "t"), ("id", "a\rid: x")], 400),
    ([("topic", "t"), ("id", "a\x00")], 400),
    ([("topic", "t"), ("id", "a\u2066")], 400),
    ([("topic", "t"), ("type", "mercure")], 400),
    ([("topic", "t"), ("type", "a\nb")], 400),
    ([("topic", "t"), ("retry", "abc")], 400),
    ([("topic", "t"), ("retry", "-5")], 400),
    ([("topic", "t\nx")], 400),
    ([("topic", "t"), ("retry", "5000"), ("type", "bid"), ("id", "ok-1"), ("unknown", "x")], 200),
    ([("topic", "t" * 5000)], 413),
    ([("topic", str(i)) for i in range(1001)], 413),
]


@pytest.mark.parametrize(("form", "status"), PUBLISH_CASES, ids=range(len(PUBLISH_CASES)))
async def test_publish_status(server: Server, form: list[tuple[str, str]], status: int) -> None:
    async with server.session.post(server.url, data=form, headers=bearer(PUB)) as r:
        assert r.status == status, await r.text()
        if status != 200:
            assert r.headers["Content-Type"] == "application/problem+json"
        else:
            assert r.headers["Content-Type"] == "text/plain; charset=utf-8"


async def test_publish_body_limits(server: Server) -> None:
    big = b"topic=t&data=" + b"x" * (1024 * 1024)
    headers = {**bearer(PUB), "Content-Type": "application/x-www-form-urlencoded"}
    async with server.session.post(server.url, data=big, headers=headers) as r:
        assert r.status == 413

    async def chunks() -> Any:  # no Content-Length: limit enforced while reading
        for _ in range(20):
            yield b"x" * 65536

    async with server.session.post(server.url, data=chunks(), headers=headers) as r:
        assert r.status == 413
    async with server.session.post(
        server.url, data=b"topic=t", headers={**bearer(PUB), "Content-Type": "text/plain"}
    ) as r:
        assert r.status == 400
    async with server.session.post(server.url, data=b"topic=%FF", headers=headers) as r:
        assert r.status == 400


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_wrong_method_405(server: Server, method: str) -> None:
    async with server.session.request(method, server.url) as r:
        assert r.status == 405
        assert r.headers["Content-Type"] == "application/problem+json"


async def test_options_without_cors_is_405_and_cors_allowlist() -> None:
    cfg = HubConfig(
        keys=(KeySpec(SECRET),),
        issuers=(ISS,),
        public_url=AUD,
        allow_anonymous=True,
        cors_origins=("https://app.example",),
    )
    async with running_hub(cfg) as s:
        async with s.session.options(s.url) as r:
            assert r.status == 405
        async with s.session.options(s.url, headers={"Origin": "https://evil.example"}) as r:
            assert r.status == 405
            assert "Access-Control-Allow-Origin" not in r.headers
        async with s.session.options(
            s.url, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
        ) as r:
            assert r.status == 204
            assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"
            assert r.headers["Access-Control-Allow-Credentials"] == "true"
        async with s.subscribe([("match", "t")], headers={"Origin": "https://app.example"}) as st:
            h = st.resp.headers
            assert h["Access-Control-Allow-Origin"] == "https://app.example"
            assert "Mercure-Last-Event-ID" in h["Access-Control-Expose-Headers"]


async def test_wildcard_cors_never_with_credentials(server: Server) -> None:
    async with server.subscribe([("match", "t")], headers={"Origin": "https://x.example"}) as st:
        assert st.resp.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in st.resp.headers


async def test_stream_headers_and_head(server: Server) -> None:
    async with server.subscribe([("match", "t")]) as st:
        h = st.resp.headers
        assert h["Content-Type"] == "text/event-stream"
        assert h["Cache-Control"].startswith("private, no-cache, no-store")
        assert h["X-Accel-Buffering"] == "no"
    async with server.session.head(server.url, params={"match": "t"}) as r:
        assert r.status == 200


async def test_protected_resource_metadata_and_root(server: Server) -> None:
    base = f"http://127.0.0.1:{server.port}"
    async with server.session.get(
        base + "/.well-known/oauth-protected-resource/.well-known/mercure"
    ) as r:
        doc = await r.json()
    assert doc["resource"] == AUD
    assert doc["authorization_servers"] == [ISS]
    assert doc["bearer_methods_supported"] == ["header"]
    assert doc["mercure_matcher_types_supported"] == ["exact", "urlpattern"]
    assert doc["mercure_subscriptions"] is True
    async with server.session.get(base + "/") as r:
        assert r.status == 200
        assert "html" in r.headers["Content-Type"]
