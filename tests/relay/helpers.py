"""Helpers for the relay tests: a real redis-server, relay nodes, SSE followers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from hub.auction.events import Actor
from hub.feed import updates_for
from hub.journal.history import JournalHistory
from hub.stage import Stage
from tests.sse import SSE

CLERK = Actor("clerk", roles=("clerk", "auctioneer"))
REDIS_SERVER = "/usr/bin/redis-server"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A throwaway redis-server on a free loopback port (no persistence)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2) as s,
            ):
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None


class NodeProcess:
    """`python -m hub.relay.cli ...` as a real child process."""

    def __init__(
        self, key_file: Path, redis_url: str | None, port: int = 0, workers: int = 1
    ) -> None:
        args = [
            sys.executable,
            "-m",
            "hub.relay.cli",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--stage-key",
            str(key_file),
            "--sale",
            "demo",
            "--workers",
            str(workers),
        ]
        if redis_url:
            args += ["--redis", redis_url]
        self.args = args
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.pids: list[int] = []

    async def start(self, within: float = 20.0) -> None:
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - Popen returns at once
            self.args,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        await self.wait_listening(self.workers, within)

    async def wait_listening(self, count: int, within: float = 20.0) -> None:
        """Read `relay_listening` lines until `count` worker processes have announced one."""
        assert self.proc is not None
        assert self.proc.stdout is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(self.pids) < count:
            left = deadline - loop.time()
            if left <= 0:
                raise RuntimeError("relay node did not start")
            line = await asyncio.wait_for(
                loop.run_in_executor(None, self.proc.stdout.readline), left
            )
            if not line:
                raise RuntimeError("relay node exited")
            event = json.loads(line)
            if event.get("event") == "relay_listening":
                self.url = event["url"]
                self.pids.append(int(event["pid"]))

    def kill(self) -> None:
        """SIGKILL the whole node (every worker): no goodbye to anyone."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def topic_query(stage_iri: str, *topics: str) -> str:
    return "&".join(f"topic={quote(f'{stage_iri}/{t}', safe='')}" for t in topics)


class Follower:
    """An SSE subscriber that records (id, seq) and, on a dropped stream, reconnects to the
    next URL with `Last-Event-ID` (what a browser's EventSource does behind a balancer)."""

    def __init__(
        self,
        urls: list[str],
        query: str,
        token: str | None = None,
        last_event_id: str | None = None,
    ) -> None:
        self.urls = urls
        self.query = query
        self.token = token
        self.last_id = last_event_id
        self.events: list[tuple[str, int, dict[str, Any]]] = []
        self.connects = 0
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self, session: aiohttp.ClientSession) -> None:
        self._task = asyncio.create_task(self._run(session))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def seqs(self) -> list[int]:
        return [seq for _, seq, _ in self.events]

    async def _run(self, session: aiohttp.ClientSession) -> None:
        attempt = 0
        while True:
            url = self.urls[min(attempt, len(self.urls) - 1)]
            headers = {}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            if self.last_id:
                headers["Last-Event-ID"] = self.last_id
            try:
                async with session.get(
                    f"{url}/.well-known/mercure?{self.query}",
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=None, sock_read=30),
                ) as r:
                    assert r.status == 200, r.status
                    self.connects += 1
                    self.connected.set()
                    await self._read(r)
            except (aiohttp.ClientError, OSError, EOFError, TimeoutError):
                pass
            attempt += 1
            await asyncio.sleep(0.1)

    async def _read(self, r: aiohttp.ClientResponse) -> None:
        stream = SSE(r)
        while True:
            event_id, body = await stream.next(wait=None)
            self.events.append((event_id, int(body["seq"]), body))
            self.last_id = event_id

    async def wait_seq(self, seq: int, within: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not self.events or self.events[-1][1] < seq:
            if asyncio.get_running_loop().time() > deadline:
                got = self.events[-1][1] if self.events else None
                raise AssertionError(f"subscriber stuck at seq {got}, wanted {seq}")
            await asyncio.sleep(0.02)


def assert_gap_free(seqs: Iterable[int], first: int, last: int) -> None:
    got = list(seqs)
    assert got == list(range(first, last + 1)), (
        f"not a gap-free run {first}..{last}: dups={len(got) - len(set(got))} "
        f"head={got[:5]} tail={got[-5:]}"
    )


def journal_updates(stage: Stage, after: int = 0) -> list[tuple[str, str]]:
    """(id, data) of every update the stage's journal yields, in order."""
    with JournalHistory(stage.config.journal_path) as reader:
        return [(u.id, u.data) for r in reader.after(after) for u in updates_for(r, stage.sale_iri)]


def journal_hashes(stage: Stage) -> list[tuple[int, str]]:
    with JournalHistory(stage.config.journal_path) as reader:
        return [(r.seq, r.hash) for r in reader.after(0)]


async def stream_hashes(redis_url: str) -> list[tuple[int, str]]:
    import redis.asyncio as aredis

    client = aredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        entries = await client.xrange("auctionmen:relay:demo:stream", "-", "+")
    finally:
        await client.aclose()
    return [(int(i.split("-")[0]), f["h"]) for i, f in entries]


async def open_lot(stage: Stage, lot: str = "1") -> int:
    answer = await stage.submit({"op": "open_lot", "lot": lot}, CLERK)
    assert answer.ok, answer
    return answer.seq


async def floor_bids(stage: Stage, n: int, lot: str = "1", pause: float = 0.0) -> list[int]:
    """n accepted floor bids, alternating paddles; returns the acknowledged seqs."""
    acked = []
    for i in range(n):
        if pause:
            await asyncio.sleep(pause)
        paddle = ("101", "102")[i % 2]
        answer = await stage.submit({"op": "floor_bid", "lot": lot, "paddle": paddle}, CLERK)
        assert answer.ok, answer
        acked.append(answer.seq)
    return acked


async def until(predicate: Any, within: float, step: float = 0.02) -> float:
    """Poll `predicate()` until true; returns the seconds it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not predicate():
        if loop.time() - start > within:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(step)
    return loop.time() - start
