"""Fixtures: a real redis-server per test, a real stage, in-process relay nodes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.relay.node import RelayConfig, RelayNode
from hub.stage import Stage
from tests.relay.helpers import RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def key_file(stage: Stage, tmp_path: Path) -> Path:
    path = tmp_path / "stage_public.pem"
    path.write_bytes(stage.issuer.public_pem)
    return path


NodeFactory = Callable[..., Awaitable[RelayNode]]


@pytest.fixture
async def make_node(stage: Stage) -> AsyncIterator[NodeFactory]:
    nodes: list[RelayNode] = []

    async def make(redis_url: str | None = None, **options: Any) -> RelayNode:
        config = RelayConfig(
            stage_public_pem=stage.issuer.public_pem, port=0, redis_url=redis_url, **options
        )
        node = RelayNode(config)
        await node.start()
        nodes.append(node)
        return node

    yield make
    for node in reversed(nodes):
        await node.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


LinkFactory = Callable[..., Any]


@pytest.fixture
async def link_to(stage: Stage) -> AsyncIterator[LinkFactory]:
    from hub.relay.link import RelayLink
    from hub.stage import start_relay_link

    links: list[RelayLink] = []

    def make(url: str, **options: Any) -> RelayLink:
        options.setdefault("backoff", (0.1, 1.0))
        link = start_relay_link(stage, url, **options)
        links.append(link)
        return link

    yield make
    for link in links:
        await link.close()
