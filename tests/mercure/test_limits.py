"""Connection caps (mercure.md S10): over a cap a subscriber gets 429 with Retry-After and a
short problem body; a closed stream frees its place; other clients are not affected."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp

from hub.mercure import conformance_config

from .helpers import running_hub

MATCH = [("match", "t")]


async def _get(url: str, source: str, stack: contextlib.AsyncExitStack) -> aiohttp.ClientResponse:
    session = await stack.enter_async_context(
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0)))
    )
    resp = await stack.enter_async_context(session.get(url, params=MATCH))
    if resp.status == 200:
        await resp.content.readany()  # the first ':' comment: the stream is registered
    return resp


async def test_per_client_and_total_caps() -> None:
    cfg = conformance_config(max_per_client=2, max_subscribers=3)
    async with running_hub(cfg) as s, contextlib.AsyncExitStack() as stack:
        first = await _get(s.url, "127.0.0.1", stack)
        second = await _get(s.url, "127.0.0.1", stack)
        assert (first.status, second.status) == (200, 200)
        third = await _get(s.url, "127.0.0.1", stack)  # the same address, over its cap
        assert third.status == 429
        assert third.headers["Retry-After"].isdigit()
        assert third.content_type == "application/problem+json"
        assert "this address" in (await third.json())["detail"]
        other = await _get(s.url, "127.0.0.2", stack)  # another client is not affected
        assert other.status == 200
        over = await _get(s.url, "127.0.0.3", stack)  # but the hub as a whole is full
        assert over.status == 429
        assert "too many subscribers" in (await over.json())["detail"]
        assert s.hub.count() == 3

        first.close()  # a stream that ends frees its place, for its address and in all
        for _ in range(250):
            if s.hub.count() == 2:
                break
            await asyncio.sleep(0.02)
        again = await _get(s.url, "127.0.0.1", stack)
        assert again.status == 200
        assert s.hub.count() == 3


async def test_no_caps_by_default() -> None:
    async with running_hub(conformance_config()) as s, contextlib.AsyncExitStack() as stack:
        streams = [await _get(s.url, "127.0.0.1", stack) for _ in range(20)]
        assert {r.status for r in streams} == {200}
