"""Slowloris (issue 14, defect 1): the header deadline, the cap on unfinished requests per
client address and the descriptor reserve of the guarded server (hub/gateway/server.py), on
the stage and on the relay node.

Nothing here sleeps to prove that something did not happen: a closed connection is observed
(EOF or reset) within a bounded wait, and a kept one by the guard's own count.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from hub.config import ConfigError, StageConfig
from hub.gateway.server import FdGauge, Guard, GuardConfig, GuardConfigError, GuardedRunner
from hub.relay import cli as relay_cli
from hub.relay.node import RelayConfig, RelayNode
from hub.stage import Stage

AUCTIONMEN = str(Path(sys.executable).parent / "auctionmen")
PARTIAL = b"GET /api/openapi.json HTTP/1.1\r\nHost: stage\r\nX-Slow: "
FULL = b"GET /hello HTTP/1.1\r\nHost: stage\r\n\r\n"

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def half_open(port: int, source: str = "127.0.0.1") -> Conn:
    """A connection that starts a request head and never finishes it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(PARTIAL)
    return reader, writer


async def closed_by_server(conn: Conn, within: float = 10.0) -> bytes:
    """Wait (bounded) for the server to close `conn`: what it sent before (b"" on a reset)."""
    reader, writer = conn
    try:
        data = await asyncio.wait_for(reader.read(), within)
    except (ConnectionResetError, BrokenPipeError):
        data = b""
    writer.close()
    return data


async def fetch(port: int, source: str = "127.0.0.1", request: bytes = FULL) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(request)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = int(re.search(rb"Content-Length: (\d+)", head, re.I)[1])  # type: ignore[index]
    body = await reader.readexactly(length)
    writer.close()
    return head + body


@asynccontextmanager
async def guarded(guard: Guard) -> AsyncIterator[int]:
    """A tiny app behind the guarded server on a loopback port."""

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    async def ticks(request: web.Request) -> web.StreamResponse:
        """A stream that outlives the deadline (an SSE subscription does)."""
        response = web.StreamResponse()
        await response.prepare(request)
        for n in range(8):
            await response.write(b"tick %d\n" % n)
            await asyncio.sleep(guard.config.header_timeout / 3)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_post("/echo", echo)
    app.router.add_get("/ticks", ticks)
    runner = GuardedRunner(app, guard, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


# -- the header deadline -------------------------------------------------------------------


async def test_the_stage_closes_an_unfinished_head_at_the_deadline(tmp_path):
    config = StageConfig(data_dir=tmp_path, port=0, demo=True, header_timeout=0.5)
    stage = Stage(config)
    await stage.start()
    try:
        port = _port(stage.url)
        slow = await half_open(port)
        served = await fetch(port, request=b"GET /api/openapi.json HTTP/1.1\r\nHost: s\r\n\r\n")
        assert served.startswith(b"HTTP/1.1 200")
        assert await closed_by_server(slow) == b""  # closed, nothing answered
    finally:
        await stage.stop()


async def test_a_trickled_head_is_closed_too(tmp_path):
    """The deadline runs from the connection's start, not from its last byte."""
    async with guarded(Guard(GuardConfig(header_timeout=0.5))) as port:
        reader, writer = await half_open(port)
        read = asyncio.ensure_future(reader.read())
        for _ in range(200):  # at most 20 s of trickling
            done, _ = await asyncio.wait([read], timeout=0.1)
            if done:
                break
            try:
                writer.write(b"a")
            except (ConnectionError, RuntimeError):
                pass
        assert read.done(), "a trickled head was never closed"
        assert read.exception() is not None or read.result() == b""


async def test_an_idle_keep_alive_connection_must_send_its_next_head_in_time():
    guard = Guard(GuardConfig(header_timeout=0.5))
    async with guarded(guard) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(FULL)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 200")
        assert b"Connection: close" not in head  # kept alive
        assert await reader.readexactly(5) == b"hello"
        writer.write(b"GET /hello HTTP/1.1\r\nHost: x\r\n")  # the next head, unfinished
        assert await closed_by_server((reader, writer)) == b""


async def test_the_relay_node_closes_an_unfinished_head_at_the_deadline(stage):
    node = RelayNode(
        RelayConfig(
            stage_public_pem=stage.issuer.public_pem,
            port=0,
            guard=GuardConfig(header_timeout=0.5),
        )
    )
    await node.start()
    try:
        port = _port(node.url)
        slow = await half_open(port)
        status = await fetch(port, request=b"GET /relay/status HTTP/1.1\r\nHost: r\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 200")
        assert await closed_by_server(slow) == b""
    finally:
        await node.stop()


async def test_a_slow_body_is_closed_at_the_deadline():
    guard = Guard(GuardConfig(header_timeout=0.5))
    async with guarded(guard) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123")
        assert await closed_by_server((reader, writer)) == b""
        assert guard.stats["body_timeout"] == 1
        sent = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd"
        assert (await fetch(port, request=sent)).endswith(b"\r\n\r\nabcd")


async def test_a_response_may_outlive_the_deadline():
    guard = Guard(GuardConfig(header_timeout=0.3))
    async with guarded(guard) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /ticks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        streamed = await asyncio.wait_for(reader.read(), 30)
        assert b"tick 7\n" in streamed  # 8 ticks over 0.8 s, past the 0.3 s deadline
        assert guard.stats["header_timeout"] == guard.stats["body_timeout"] == 0
        writer.close()


# -- unfinished requests per client address --------------------------------------------------


async def test_unfinished_requests_are_capped_per_client_address():
    guard = Guard(GuardConfig(header_timeout=60, max_unfinished_per_client=3))
    async with guarded(guard) as port:
        held = [await half_open(port, "127.0.0.2") for _ in range(3)]
        fourth = await half_open(port, "127.0.0.2")
        assert await closed_by_server(fourth, within=5) == b""  # long before the deadline
        assert guard.stats["refused_per_client"] == 1
        assert guard.unfinished("127.0.0.2") == 3
        assert (await fetch(port, "127.0.0.3")).endswith(b"hello")  # another address
        # One of the three finishes its head: its address may open one more.
        reader, writer = held[0]
        writer.write(b"1\r\n\r\n")
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).startswith(b"HTTP")
        assert guard.unfinished("127.0.0.2") == 2
        assert (await fetch(port, "127.0.0.2")).endswith(b"hello")
        assert guard.stats["refused_per_client"] == 1
        # Trusted addresses (loopback by default: a local proxy, the console) are not capped.
        held += [await half_open(port, "127.0.0.1") for _ in range(5)]
        assert (await fetch(port, "127.0.0.1")).endswith(b"hello")
        assert guard.unfinished("127.0.0.1") == 5
        assert guard.stats["refused_per_client"] == 1
        for _, writer in held:
            writer.close()


def test_ipv6_clients_are_capped_per_64_network():
    guard = Guard(GuardConfig(max_unfinished_per_client=2), gauge=FakeGauge())
    conns = [object() for _ in range(4)]
    assert guard.admit(conns[0], "2001:db8:1:2::1")  # type: ignore[arg-type]
    assert guard.admit(conns[1], "2001:db8:1:2:ffff::9%eth0")  # type: ignore[arg-type]
    assert not guard.admit(conns[2], "2001:db8:1:2::77")  # type: ignore[arg-type]
    assert guard.admit(conns[3], "2001:db8:1:3::1")  # type: ignore[arg-type]  # another /64
    assert guard.unfinished("2001:db8:1:2::abcd") == 2
    assert guard.finished(conns[0])  # type: ignore[arg-type]
    assert guard.unfinished("2001:db8:1:2::1") == 1
    # IPv4-mapped addresses count as their IPv4 address.
    assert guard.admit(object(), "::ffff:198.51.100.7")  # type: ignore[arg-type]
    assert guard.unfinished("198.51.100.7") == 1


# -- the descriptor reserve ------------------------------------------------------------------


@dataclass
class FakeGauge:
    """Descriptor pressure on demand (the real gauge is `FdGauge`)."""

    pressed: bool = False
    calls: list[tuple[int, int]] = field(default_factory=list)

    def __call__(self, tracked: int, reserve: int) -> bool:
        self.calls.append((tracked, reserve))
        return self.pressed


async def test_near_the_descriptor_limit_public_connections_shed_unfinished_ones():
    gauge = FakeGauge()
    guard = Guard(GuardConfig(header_timeout=60, fd_reserve=7), gauge=gauge)
    async with guarded(guard) as port:
        first = await half_open(port, "127.0.0.2")
        second = await half_open(port, "127.0.0.3")
        staff_waiting = await half_open(port, "127.0.0.1")  # trusted: never shed
        gauge.pressed = True
        # A bidder from an untrusted address takes the oldest untrusted unfinished slot.
        assert (await fetch(port, "127.0.0.4")).endswith(b"hello")
        assert await closed_by_server(first, within=5) == b""
        assert guard.stats["shed"] == 1
        assert gauge.calls[-1][1] == 7
        assert (await fetch(port, "127.0.0.5")).endswith(b"hello")
        assert await closed_by_server(second, within=5) == b""
        # An idle keep-alive connection waits for a request too: it is shed next.
        gauge.pressed = False
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, local_addr=("127.0.0.7", 0)
        )
        writer.write(FULL)
        await asyncio.wait_for(reader.readuntil(b"hello"), 10)
        gauge.pressed = True
        assert (await fetch(port, "127.0.0.8")).endswith(b"hello")
        assert await closed_by_server((reader, writer), within=5) == b""
        assert guard.stats["shed"] == 3
        # Nothing untrusted left to shed: an untrusted newcomer is reset, staff gets in.
        refused = await half_open(port, "127.0.0.6")
        assert await closed_by_server(refused, within=5) == b""
        assert guard.stats["refused_fds"] == 1
        assert (await fetch(port, "127.0.0.1")).endswith(b"hello")
        assert guard.unfinished("127.0.0.1") == 1  # the waiting staff connection is kept
        staff_waiting[1].close()


def test_the_fd_gauge_counts_this_process_and_its_limit():
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    now = [0.0]
    gauge = FdGauge(refresh=1.0, clock=lambda: now[0])
    assert not gauge.pressed(0, 0)
    assert gauge.pressed(0, soft)  # a reserve as large as the limit
    # Between counts the guard's own connections move the estimate.
    in_use = len(os.listdir("/proc/self/fd"))
    assert gauge.pressed(soft - in_use, 16)
    assert not gauge.pressed(0, 16)
    now[0] = 5.0  # counted again: the "tracked" connections do not exist
    assert not gauge.pressed(0, 16)


# -- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"header_timeout": 0},
        {"header_timeout": -1},
        {"header_timeout": float("nan")},
        {"header_timeout": 1e9},
        {"max_unfinished_per_client": -1},
        {"fd_reserve": -5},
        {"trusted": ("10.0.0.300",)},
        {"trusted": ("not a network",)},
        {"trusted": ("x" * 500,)},
        {"log_interval": 0},
    ],
)
def test_guard_settings_are_checked(bad):
    with pytest.raises(GuardConfigError):
        GuardConfig(**bad)


def test_trusted_networks_and_addresses():
    guard = Guard(GuardConfig(trusted=("127.0.0.1", "192.168.10.0/24", "fd00::/8")))
    assert guard.trusted("127.0.0.1")
    assert guard.trusted("192.168.10.77")
    assert guard.trusted("::ffff:192.168.10.5")  # IPv4-mapped
    assert guard.trusted("fd12::1%eth0")  # with a zone
    assert not guard.trusted("127.0.0.2")
    assert not guard.trusted("192.168.11.1")
    assert not guard.trusted("garbage")
    assert Guard().trusted("::1")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("header_timeout = 0", "header_timeout"),
        ("header_timeout = 'soon'", "header_timeout"),
        ("header_timeout = nan", "header_timeout"),
        ("max_unfinished_per_client = -1", "max_unfinished_per_client"),
        ("max_unfinished_per_client = 1.5", "max_unfinished_per_client"),
        ("fd_reserve = true", "fd_reserve"),
        ("fd_reserve = 10000000", "fd_reserve"),
        ("trusted_networks = '127.0.0.1'", "trusted_networks"),
        ("trusted_networks = ['127.0.0.1', '300.1.1.1']", "300.1.1.1"),
        ("trusted_networks = [1]", "trusted_networks"),
    ],
)
def test_stage_guard_settings_refuse_bad_values_clearly(tmp_path, toml, message):
    path = tmp_path / "stage.toml"
    path.write_text(f"[stage]\n{toml}\n", "utf-8")
    with pytest.raises(ConfigError, match=message):
        StageConfig.load(path)


def test_stage_guard_settings_from_a_file(tmp_path):
    path = tmp_path / "stage.toml"
    path.write_text(
        "[stage]\nheader_timeout = 4.5\nmax_unfinished_per_client = 0\nfd_reserve = 200\n"
        "trusted_networks = ['10.1.0.0/16']\n",
        "utf-8",
    )
    config = StageConfig.load(path)
    assert (config.header_timeout, config.max_unfinished_per_client) == (4.5, 0)
    assert (config.fd_reserve, config.trusted_networks) == (200, ("10.1.0.0/16",))


@pytest.mark.parametrize(
    "flags",
    [
        ["--header-timeout", "0"],
        ["--max-unfinished-per-client", "-3"],
        ["--fd-reserve", "-1"],
        ["--trusted", "203.0.113.0/33"],
        ["--trusted", "127.0.0.1", "--trusted", "\x00"],
    ],
)
def test_relay_guard_flags_refuse_bad_values_clearly(tmp_path, capsys, stage, flags):
    key = tmp_path / "stage.pem"
    key.write_bytes(stage.issuer.public_pem)
    assert relay_cli.main(["--stage-key", str(key), "--port", "0", *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("auctionmen relay: ")
    assert "Traceback" not in err


def test_relay_guard_flags():
    ns = relay_cli.parse(
        ["--stage-key", "k.pem", "--header-timeout", "3", "--trusted", "203.0.113.7"]
    )
    config = relay_cli._config(ns, b"pem")
    assert config.guard.header_timeout == 3
    assert config.guard.trusted == ("203.0.113.7",)
    assert relay_cli._config(relay_cli.parse(["--stage-key", "k"]), b"").guard == GuardConfig()
    nobody = relay_cli.parse(["--stage-key", "k", "--trusted", "none"])
    assert relay_cli._config(nobody, b"").guard.trusted == ()


# -- thousands of half-open connections against real processes -------------------------------

ATTACKERS = [f"127.0.0.{n}" for n in range(10, 20)]  # 10 addresses × 200 = 2,000 connections
PER_ADDRESS = 200
LIMIT = 1024  # the server's RLIMIT_NOFILE: 2,000 connections would exhaust it
GUARD_FLAGS = {"header_timeout": 8.0, "max_unfinished_per_client": 150, "fd_reserve": 128}


def _lower_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


class Server:
    """A server process; its stderr is drained in a thread (a full pipe would block it)."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_lower_fd_limit,
        )
        assert self.proc.stdout is not None
        self.info = json.loads(self.proc.stdout.readline())
        self.lines: list[str] = []
        self._seen = threading.Condition()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._seen:
                self.lines.append(line)
                self._seen.notify_all()

    async def logged(self, text: str, within: float = 30.0) -> str:
        def wait() -> str:
            with self._seen:
                found = self._seen.wait_for(
                    lambda: next((x for x in self.lines if text in x), None), within
                )
            return found or ""

        return await asyncio.to_thread(wait)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)


@pytest.fixture
def raised_fd_limit() -> Iterator[None]:
    """This test process holds the attackers' sockets: lift its own soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = len(ATTACKERS) * PER_ADDRESS + 500
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"the open-file hard limit {hard} is below {need}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def _attack(port: int) -> list[Conn]:
    """2,000 half-open connections from ten loopback addresses, opened concurrently."""
    opened = await asyncio.gather(
        *(half_open(port, source) for source in ATTACKERS for _ in range(PER_ADDRESS)),
        return_exceptions=True,
    )
    conns = [c for c in opened if not isinstance(c, BaseException)]
    failed = [c for c in opened if isinstance(c, BaseException)]
    assert all(isinstance(e, ConnectionError) for e in failed), failed[:3]
    return conns


async def _all_closed_by_server(conns: list[Conn]) -> None:
    results = await asyncio.gather(
        *(closed_by_server(c, within=60) for c in conns), return_exceptions=True
    )
    hung = [r for r in results if isinstance(r, TimeoutError | asyncio.TimeoutError)]
    assert not hung, f"{len(hung)} of {len(conns)} attacker connections still open"
    assert all(r == b"" for r in results), [r for r in results if r != b""][:3]


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_a_stage_under_slowloris_keeps_taking_bids_and_commands(tmp_path, raised_fd_limit):
    data = tmp_path / "data"
    config = tmp_path / "stage.toml"
    config.write_text(
        "[stage]\n"
        + "".join(f"{k} = {v}\n" for k, v in GUARD_FLAGS.items())
        + "trusted_networks = ['127.0.0.1']\n",
        "utf-8",
    )
    args = ["serve", "--demo", "--port", "0", "--data-dir", str(data), "--json-logs"]
    server = Server([AUCTIONMEN, *args, "--config", str(config)])
    try:

        def token(*args: str) -> str:
            out = subprocess.run(
                [AUCTIONMEN, "token", "--data-dir", str(data), *args],
                capture_output=True,
                text=True,
                timeout=60,
            )
            return out.stdout.strip()

        staff = token("--role", "auctioneer")
        bidders = {p: token("--role", "bidder", "--paddle", p) for p in ("7001", "7002")}
        url = server.info["url"]
        attack = await _attack(_port(url))
        # The attack reached the reserve: the guard sheds or refuses untrusted newcomers.
        assert await server.logged("descriptor reserve reached")

        async def post(source: str, path: str, token: str, body: dict) -> dict:
            connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
            async with aiohttp.ClientSession(connector=connector) as http:
                headers = {"Authorization": f"Bearer {token}"}
                async with http.post(url + path, json=body, headers=headers) as r:
                    return await r.json()

        # Staff from a trusted address, bidders from loopback and from an untrusted address.
        opened = await post(
            "127.0.0.1", "/api/sales/demo/commands", staff, {"op": "open_lot", "lot": "6"}
        )
        ask = opened["state"]["lot"]["ask"]
        bid = {"lot": "6", "amount": ask, "key": "a"}
        first = await post("127.0.0.1", "/api/sales/demo/bids", bidders["7001"], bid)
        assert first["ok"], first
        bid = {"lot": "6", "amount": first["state"]["lot"]["ask"], "key": "b"}
        second = await post("127.0.0.50", "/api/sales/demo/bids", bidders["7002"], bid)
        assert second["ok"], second
        sold = await post(
            "127.0.0.1", "/api/sales/demo/commands", staff, {"op": "hammer", "lot": "6"}
        )
        assert [e["type"] for e in sold["events"]] == ["lot_sold"]
        await _all_closed_by_server(attack)
        assert await server.logged("header deadline")
        assert not [x for x in server.lines if "Traceback" in x]
    finally:
        server.stop()
    assert server.proc.returncode == 0


def _run_stage_key(data: Path) -> bytes:
    args = [AUCTIONMEN, "stage-key", "--data-dir", str(data)]
    return subprocess.run(args, capture_output=True, timeout=60, check=True).stdout


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_a_relay_under_slowloris_keeps_answering(tmp_path, raised_fd_limit):
    key = _run_stage_key(tmp_path / "data")
    (tmp_path / "stage.pem").write_bytes(key)
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in GUARD_FLAGS.items()]
    args = ["relay", "--port", "0", "--stage-key", str(tmp_path / "stage.pem"), *flags]
    server = Server([AUCTIONMEN, *args, "--trusted", "127.0.0.1"])
    try:
        port = _port(server.info["url"])
        attack = await _attack(port)
        assert await server.logged("descriptor reserve reached")
        status = b"GET /relay/status HTTP/1.1\r\nHost: r\r\n\r\n"
        assert (await fetch(port, "127.0.0.1", status)).startswith(b"HTTP/1.1 200")
        assert (await fetch(port, "127.0.0.50", status)).startswith(b"HTTP/1.1 200")
        await _all_closed_by_server(attack)
        assert await server.logged("header deadline")
        assert not [x for x in server.lines if "Traceback" in x]
    finally:
        server.stop()
