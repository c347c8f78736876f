"""Stream lifecycle over real sockets: heartbeat, exp, write timeout, disconnect, shutdown."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
from aiohttp import web

from hub.mercure import (
    HUB_KEY,
    Update,
    add_discovery_link,
    conformance_config,
    discovery_link,
    setup_mercure,
)
from hub.mercure.__main__ import start_standalone

from .helpers import Server, bearer, running_hub, v0_token, v1_token


async def _wait_for(pred, wait: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(wait / 0.02)):
        if pred():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_heartbeat_comments() -> None:
    cfg = conformance_config(heartbeat=0.1, sweep_interval=0.05)
    async with running_hub(cfg) as s, s.subscribe([("match", "t")]) as st:
        buf = st.buf
        for _ in range(200):
            if buf.count(b":\n") >= 3:
                break
            buf += await asyncio.wait_for(st.resp.content.readany(), 5)
        assert buf.count(b":\n") >= 3
        assert buf.strip(b":\n") == b""


async def test_stream_closed_at_token_exp() -> None:
    async with running_hub(conformance_config(allow_anonymous=False, leeway=0)) as s:
        tok = v1_token(subscribe=["*"], exp=int(time.time()) + 2)
        async with s.subscribe([("match", "t")], headers=bearer(tok)) as st:
            rest = await asyncio.wait_for(st.resp.content.read(), 10)  # EOF = closed
            assert rest == b""
        await _wait_for(lambda: not s.hub.subscribers)


async def test_write_timeout_ends_stream() -> None:
    async with (
        running_hub(conformance_config(write_timeout=0.3)) as s,
        s.subscribe([("match", "t")]) as st,
    ):
        assert await asyncio.wait_for(st.resp.content.read(), 10) == b""


async def test_client_disconnect_unregisters(server: Server) -> None:
    async with server.subscribe([("match", "t")]):
        assert len(server.hub.subscribers) == 1
    await _wait_for(lambda: not server.hub.subscribers)


async def test_slow_reader_dropped_fast_reader_gets_everything() -> None:
    cfg = conformance_config(max_write_buffer=64 * 1024)
    async with running_hub(cfg) as s:
        _reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
        writer.write(b"GET /.well-known/mercure?match=t HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        await _wait_for(lambda: len(s.hub.subscribers) == 1)
        async with s.subscribe([("match", "t")]) as fast:
            big = "x" * 100_000
            for i in range(100):  # the raw client never reads: its socket fills up
                s.hub.publish(Update(topics=("t",), data=big, id=f"b{i}"))
                await asyncio.wait_for(s.hub.flushed(), 5)
                if s.hub.dropped_slow:
                    break
            assert s.hub.dropped_slow == 1
            s.hub.publish(Update(topics=("t",), data="end", id="end"))
            events = await fast.until("end", wait=10)
            assert [e["id"] for e in events] == [f"b{k}" for k in range(i + 1)] + ["end"]
        writer.close()


async def test_shutdown_closes_open_streams() -> None:
    runner, port = await start_standalone(conformance_config(), "127.0.0.1", 0)
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/.well-known/mercure"
        async with session.get(url, params={"match": "t"}) as r:
            await asyncio.wait_for(r.content.readany(), 5)
            cleanup = asyncio.create_task(runner.cleanup())
            assert await asyncio.wait_for(r.content.read(), 5) == b""
            await asyncio.wait_for(cleanup, 5)


async def test_embedding_in_existing_app_and_discovery_link(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = web.Application()
    hub_url = "https://stage.example/.well-known/mercure"

    async def state(request: web.Request) -> web.Response:
        resp = web.json_response({"seq": 1})
        add_discovery_link(resp, hub_url, last_event_id="e1")
        return resp

    app.router.add_get("/api/state", state)
    setup_mercure(app, conformance_config())
    client = await aiohttp_client(app)
    r = await client.get("/api/state")
    assert r.headers["Link"] == f'<{hub_url}>; rel="mercure"; last-event-id="e1"'
    assert discovery_link(hub_url) == f'<{hub_url}>; rel="mercure"'
    async with client.get("/.well-known/mercure", params={"match": "lot"}) as stream:
        await asyncio.wait_for(stream.content.readany(), 5)
        app[HUB_KEY].publish(Update(topics=("lot",), data=json.dumps({"seq": 2}), id="s2"))
        line = b""
        for _ in range(10):
            line += await asyncio.wait_for(stream.content.readany(), 5)
            if b"\n\n" in line:
                break
        assert line == b'id: s2\ndata: {"seq": 2}\n\n'


async def test_v0_private_and_payload_cookie(server: Server) -> None:
    tok = v0_token(subscribe=["https://e.net/lots/{id}"])
    async with server.subscribe(
        [("topic", "https://e.net/lots/{id}")], headers={"Cookie": f"mercureAuthorization={tok}"}
    ) as st:
        await server.publish(topic="https://e.net/lots/1", data="p", private="on", id="p1")
        ev = await st.next_event()
        assert ev == {"id": "p1", "data": "p"}
