"""One relay node with two worker processes on one port (SO_REUSEPORT): both serve."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from hub.relay.store import RedisStore
from tests.relay.helpers import (
    Follower,
    NodeProcess,
    floor_bids,
    free_port,
    open_lot,
    topic_query,
    until,
)


async def _counts(url: str) -> dict[str, int]:
    """Subscribers per worker, as each reports them to Redis."""
    store = RedisStore(url, "demo")
    try:
        raw = await store.redis.hgetall(store.key("nodes"))
    finally:
        await store.close()
    return {node: int(value.partition(":")[0]) for node, value in raw.items()}


@pytest.mark.slow
async def test_two_workers_share_the_port_and_both_deliver_everything(
    stage, redis_server, key_file, link_to, http
):
    node = NodeProcess(key_file, redis_server.url, port=free_port(), workers=2)
    await node.start()
    followers: list[Follower] = []
    try:
        assert len(set(node.pids)) == 2
        link = link_to(node.url)
        await until(lambda: link.status().connected, 10)
        followers = [Follower([node.url], topic_query(stage.sale_iri, "room")) for _ in range(24)]
        for f in followers:
            f.start(http)
        for f in followers:
            await asyncio.wait_for(f.connected.wait(), 10)

        # The kernel spread the connections: each worker reports its own to Redis.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        counts: dict[str, int] = {}
        while loop.time() < deadline:
            counts = await _counts(redis_server.url)
            if sum(counts.values()) == len(followers):
                break
            await asyncio.sleep(0.2)
        assert sum(counts.values()) == len(followers), counts
        assert len([n for n in counts.values() if n > 0]) == 2, counts

        expected = [await open_lot(stage), *await floor_bids(stage, 3)]
        for f in followers:
            await f.wait_seq(expected[-1])
            assert f.seqs == sorted(set(f.seqs))  # no duplicate, nothing out of order
            assert set(expected) <= set(f.seqs)
    finally:
        for f in followers:
            await f.stop()
        node.stop()


async def test_a_dead_worker_is_started_again(stage, redis_server, key_file, link_to, http):
    node = NodeProcess(key_file, redis_server.url, port=free_port(), workers=2)
    await node.start()
    try:
        link = link_to(node.url)
        await until(lambda: link.status().connected, 10)
        victim = node.pids[0]
        os.kill(victim, signal.SIGKILL)
        await node.wait_listening(3, within=20)  # a third worker process in all
        assert node.pids[2] not in (victim, node.pids[1])
        # Every worker serves: fresh connections reach both live processes.
        seen: set[str] = set()
        for _ in range(60):
            async with http.get(
                f"{node.url}/relay/status", headers={"Connection": "close"}
            ) as r:  # a new connection
                assert r.status == 200
                seen.add(str((await r.json())["pid"]))
            if {str(node.pids[1]), str(node.pids[2])} <= seen:
                break
        assert {str(node.pids[1]), str(node.pids[2])} <= seen, seen
        assert str(victim) not in seen
        # The stage link (on whichever worker held it) carries on or comes back.
        await open_lot(stage)
        await until(lambda: link.status().connected and link.status().lag == 0, 15)
    finally:
        node.stop()
