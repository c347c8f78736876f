"""Issue 17 benchmark: the reconnection storm (the venue's Wi-Fi drops, a relay restarts).

N subscribers in separate load-generator processes (``fanout/loadgen.py``) watch one topic.
All drop at once, 20 events are published, and all reconnect at once, each with the
``Last-Event-ID`` of the last event it had. Measured: the time from the reconnection until
every subscriber is caught up (kernel arrival of its last missed event), and that every one
got every missed event exactly once (no gap, no duplicate). Against, in the same run: the
standalone hub (``python -m hub.mercure``), the stage (``auctionmen serve --demo``), a relay
node (``python -m hub.relay.cli``, fed by a stage in this process over its link) and nginx
with the nchan module (C; ``fanout/nchan.py``) as the peer; the hub and the stage with
subscription events on and off. The kernel's listen-queue counters (TcpExt ListenOverflows
and ListenDrops, as ``nstat -az`` shows them) are printed before and after each storm::

    .venv/bin/python -m tests.bench.bench_storm                      # 5,000 and 10,000
    .venv/bin/python -m tests.bench.bench_storm --sizes 1000 --servers hub,nchan
    .venv/bin/python -m tests.bench.bench_storm --subscription-events off

A subscriber whose connection attempt fails (refused, reset, timed out, not 200) tries
again after ``--retry`` s, as a browser's EventSource does, until ``--connect-timeout``.
Each load generator spreads its subscribers over many loopback source addresses
(``--spread`` per address), as phones on a venue's LAN have their own addresses.
By default the server is pinned to CPU0, load generators and this driver to CPU1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from hub.mercure.listen import DEFAULT_BACKLOG, somaxconn
from tests.bench.fanout.bench_fanout import HUB_PATH, SECRET, TOPIC, event_data, publisher_token
from tests.bench.fanout.common import (
    BENCH_PATTERN,
    EVENT_SEQ_PATTERN,
    PYTHON,
    Child,
    Children,
    Dist,
    Loadgens,
    Report,
    cpu_s,
    free_port,
    load_note,
    pin,
    raise_nofile,
    rss_kb,
    table,
    wait_port,
)
from tests.bench.fanout.nchan import PUB_PATH, SUB_PATH, Nchan, missing
from tests.bench.fanout.stage import ROOM_PATH, StageClient

SERVERS = ("hub", "stage", "relay", "nchan")
HAS_SUBSCRIPTION_EVENTS = ("hub", "stage")  # the relay node and nchan have none
MAX_EVENTS = 4096  # event numbers (a fresh demo stage's seqs stay far below)
PADDLES = ("101", "102")
TEST_SECRET = "storm-bench-mercure-test-secret-0123456789"  # the stage's subscription events


@dataclass
class Target:
    """A server under test: where subscribers go, how to publish, which pid to watch."""

    port: int
    path: str
    pattern: str
    pid: int
    publish: Callable[[int], Awaitable[int]]  # i -> the event's number k
    close: Callable[[], Awaitable[None]]


@dataclass
class Result:
    server: str
    events_on: bool | None  # subscription events; None: the server has none
    n: int
    connect_s: float = 0.0
    kb_per_sub: float = 0.0
    warm: Report | None = None
    storm: Report | None = None
    reconnect: dict[str, Any] = field(default_factory=dict)
    overflows: tuple[int, int] = (0, 0)  # ListenOverflows, ListenDrops during the storm
    server_cpu_s: float = 0.0
    error: str = ""

    @property
    def label(self) -> str:
        if self.events_on is None:
            return self.server
        return f"{self.server}, sub. events {'on' if self.events_on else 'off'}"

    @property
    def caught_all(self) -> float | None:
        """Seconds until every subscriber was caught up, None if some never were."""
        rep = self.storm
        if rep is None or rep.caught.n != self.n or not rep.delivered_ok:
            return None
        return rep.caught.max


def listen_counters() -> tuple[int, int]:
    """TcpExt ListenOverflows and ListenDrops (``nstat -az TcpExtListenOverflows ...``)."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for head, values in zip(lines[::2], lines[1::2], strict=False):
        if head.startswith("TcpExt:"):
            got = dict(zip(head.split()[1:], map(int, values.split()[1:]), strict=False))
            return got.get("ListenOverflows", 0), got.get("ListenDrops", 0)
    return 0, 0


# ------------------------------------------------------------------------------ servers
async def hub_target(
    children: Children, tmp: Path, cpu: int | None, events_on: bool, backlog: int
) -> Target:
    cfg = tmp / "hub.json"
    cfg.write_text(
        json.dumps(
            {
                "keys": [{"key": SECRET, "algorithms": ["HS256"]}],
                "allow_anonymous": True,
                "subscriptions": events_on,
                "listen_backlog": backlog,
            }
        )
    )
    port = free_port()
    argv = [PYTHON, "-m", "hub.mercure", "--port", str(port), "--config", str(cfg)]
    child = children.add(await Child.spawn("hub", argv, stderr=tmp / "hub.stderr"))
    pin(child.pid, cpu)
    await wait_port(port, 30, child)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1), timeout=aiohttp.ClientTimeout(total=30)
    )
    url, headers = (
        f"http://127.0.0.1:{port}{HUB_PATH}",
        {"Authorization": f"Bearer {publisher_token()}"},
    )

    async def publish(i: int) -> int:
        form = {"topic": TOPIC, "data": event_data(i, time.time())}
        async with session.post(url, data=form, headers=headers) as resp:
            if resp.status != 200:
                raise RuntimeError(f"publish answered {resp.status}: {await resp.text()}")
        return i

    path = f"{HUB_PATH}?topic={quote(TOPIC, safe='')}"
    return Target(port, path, BENCH_PATTERN, child.pid, publish, session.close)


async def nchan_target(children: Children, tmp: Path, cpu: int | None, backlog: int) -> Target:
    nchan = await Nchan.start(children, tmp, cpu, backlog)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1), timeout=aiohttp.ClientTimeout(total=30)
    )
    url = f"http://127.0.0.1:{nchan.port}{PUB_PATH}"

    async def publish(i: int) -> int:
        async with session.post(url, data=event_data(i, time.time())) as resp:
            if resp.status not in (200, 201, 202):
                raise RuntimeError(f"nchan publish answered {resp.status}")
            await resp.read()
        return i

    return Target(nchan.port, SUB_PATH, BENCH_PATTERN, nchan.worker, publish, session.close)


async def stage_target(
    children: Children, tmp: Path, cpu: int | None, events_on: bool, backlog: int
) -> Target:
    toml = tmp / "stage.toml"
    toml.write_text(f"listen_backlog = {backlog}\n")
    if events_on:  # the stage has subscription events only with the conformance secret
        toml.write_text(f'listen_backlog = {backlog}\nmercure_test_secret = "{TEST_SECRET}"\n')
    stage = await StageClient.start(children, tmp, cpu, ["--config", str(toml)])
    await stage.command({"op": "open_lot", "lot": "1"})

    async def publish(i: int) -> int:
        answer = await stage.command({"op": "floor_bid", "lot": "1", "paddle": PADDLES[i % 2]})
        return int(answer["seq"])

    return Target(stage.port, ROOM_PATH, EVENT_SEQ_PATTERN, stage.child.pid, publish, stage.close)


async def relay_target(children: Children, tmp: Path, cpu: int | None, backlog: int) -> Target:
    """A relay node (child, no Redis) fed over its link by a stage in this process."""
    from hub.auction.events import Actor
    from hub.config import StageConfig
    from hub.stage import Stage, start_relay_link

    stage = Stage(StageConfig(data_dir=tmp / "relay-stage", host="127.0.0.1", port=0, demo=True))
    await stage.start()
    link = None

    async def close() -> None:
        if link is not None:
            with contextlib.suppress(Exception):
                await link.close()
        await stage.stop()

    try:
        key = tmp / "stage.pem"
        key.write_bytes(stage.issuer.public_pem)
        argv = [PYTHON, "-m", "hub.relay.cli", "--port", "0", "--stage-key", str(key)]
        argv += ["--backlog", str(backlog)]
        child = children.add(await Child.spawn("relay", argv, stderr=tmp / "relay.stderr"))
        while (line := await child.line(60)).get("event") != "relay_listening":
            pass
        pid, url = int(line["pid"]), str(line["url"])
        pin(pid, cpu)
        link = start_relay_link(stage, url)
        for _ in range(300):
            if link.status().connected and link.status().lag == 0:
                break
            await asyncio.sleep(0.1)
        else:
            raise TimeoutError("the stage link did not connect within 30 s")
        clerk = Actor("clerk", roles=("clerk", "auctioneer"))
        opened = await stage.submit({"op": "open_lot", "lot": "1"}, clerk)
        if not opened.ok:
            raise RuntimeError(f"open_lot refused: {opened.reason}")
    except BaseException:
        await close()
        raise

    async def publish(i: int) -> int:
        answer = await stage.submit(
            {"op": "floor_bid", "lot": "1", "paddle": PADDLES[i % 2]}, clerk
        )
        if not answer.ok or answer.seq is None:
            raise RuntimeError(f"floor bid refused: {answer.reason}")
        return int(answer.seq)

    path = f"/.well-known/mercure?topic={quote(f'{stage.sale_iri}/room', safe='')}"
    return Target(int(url.rsplit(":", 1)[1]), path, EVENT_SEQ_PATTERN, pid, publish, close)


async def start_target(
    server: str,
    events_on: bool | None,
    children: Children,
    tmp: Path,
    cpu: int | None,
    backlog: int,
) -> Target:
    if server == "hub":
        return await hub_target(children, tmp, cpu, bool(events_on), backlog)
    if server == "stage":
        return await stage_target(children, tmp, cpu, bool(events_on), backlog)
    if server == "relay":
        return await relay_target(children, tmp, cpu, backlog)
    return await nchan_target(children, tmp, cpu, backlog)


# ------------------------------------------------------------------------------ one storm
async def storm(server: str, events_on: bool | None, n: int, args: argparse.Namespace) -> Result:
    res = Result(server, events_on, n)
    children = Children()
    server_cpu = 0 if args.pin else None
    gen_cpu = 1 if args.pin else None
    target: Target | None = None
    with tempfile.TemporaryDirectory(prefix="bench-storm-") as d:
        tmp = Path(d)
        try:
            target = await start_target(server, events_on, children, tmp, server_cpu, args.backlog)
            await asyncio.sleep(0.5)
            rss0 = rss_kb(target.pid)
            gens = Loadgens(children, tmp, gen_cpu)
            res.connect_s = await gens.add(
                n,
                args.loadgens,
                target.port,
                target.path,
                pattern=target.pattern,
                max_events=MAX_EVENTS,
                deadline=args.deadline,
                track_ids=True,
                spread=args.spread,
            )
            await asyncio.sleep(args.idle)
            res.kb_per_sub = (rss_kb(target.pid) - rss0) / n
            warm = []
            for i in range(args.warmup):  # every subscriber gets an id to resume from
                warm.append(await target.publish(i))
                await asyncio.sleep(0.1)
            await gens.wait(warm, args.wait_timeout)
            res.warm = await gens.report(warm)
            if not res.warm.delivered_ok:
                raise RuntimeError(f"warm-up not delivered: {res.warm.delivery()}")
            before, cpu0 = listen_counters(), cpu_s(target.pid)
            without_id = await gens.drop()
            if without_id:
                raise RuntimeError(f"{without_id} subscribers had no event id to resume from")
            await asyncio.sleep(args.away)  # the server sees the connections go
            missed = [await target.publish(args.warmup + i) for i in range(args.events)]
            if max(missed) >= MAX_EVENTS:
                raise RuntimeError(f"event {max(missed)} is past {MAX_EVENTS}")
            await asyncio.sleep(0.5)  # in every server's history (a relay gets them by link)
            t0 = time.time()
            res.reconnect = await gens.reconnect(args.connect_timeout, args.retry)
            await gens.wait(missed, args.wait_timeout)
            res.storm = await gens.report(missed, {k: t0 for k in missed}, since=t0)
            res.server_cpu_s = cpu_s(target.pid) - cpu0
            after = listen_counters()
            res.overflows = (after[0] - before[0], after[1] - before[1])
            print(
                f"  {res.label} N={n:,}: listen overflows {before[0]:,} → {after[0]:,}, "
                f"drops {before[1]:,} → {after[1]:,}; {_caught(res)}",
                flush=True,
            )
            await gens.close()
        except Exception as e:  # one failed storm must not lose the others' figures
            res.error = f"{type(e).__name__}: {e}"
            print(f"  {res.label} N={n:,}: FAILED {res.error}", flush=True)
        finally:
            if target is not None:
                with contextlib.suppress(Exception):
                    await target.close()
            await children.stop_all()
    return res


def _caught(r: Result) -> str:
    rep = r.storm
    if rep is None:
        return "–"
    if r.caught_all is not None:
        return f"all {r.n:,} caught up in {r.caught_all:.2f} s"
    return f"{rep.caught.n:,} of {r.n:,} caught up ({rep.delivery()})"


def _s(d: Dist) -> str:
    if not d.n:
        return "–"
    return f"{d.p50:.2f} / {d.p99:.2f} / {d.max:.2f}"


def print_results(results: list[Result], args: argparse.Namespace) -> None:
    peers = {r.n: r.caught_all for r in results if r.server == "nchan"}
    rows = []
    for r in results:
        rep = r.storm
        peer = peers.get(r.n)
        vs = "–"
        if r.caught_all is not None and peer:
            vs = f"{r.caught_all / peer:.2f}×"
        rc = r.reconnect
        rows.append(
            [
                f"{r.n:,}",
                r.label,
                f"{rc.get('reconnected', 0):,} ({rc.get('attempts', 0):,})" if rc else "–",
                f"{rc['connect_s']:.2f}" if rc else "–",
                _s(rep.caught) if rep else f"FAILED: {r.error}"[:70],
                f"{r.caught_all:.2f}" if r.caught_all is not None else _caught(r)[:40],
                vs if r.server != "nchan" else "",
                rep.delivery() if rep else "–",
                f"{r.overflows[0]:,} / {r.overflows[1]:,}" if rep else "–",
                f"{r.server_cpu_s:.2f}" if rep else "–",
                f"{r.kb_per_sub:.1f}" if rep else "–",
            ]
        )
    print()
    print(
        f"Storm: all drop, {args.events} events published, all reconnect at once with "
        f"Last-Event-ID (a failed attempt retried after {args.retry:g} s). 'caught up' = per "
        "subscriber, kernel arrival of its last missed event − the reconnection (s); "
        "'vs nchan' = all caught up / nchan's at the same N; overflows = TcpExt "
        "ListenOverflows / ListenDrops during the storm (whole machine)"
    )
    print(
        table(
            [
                "N",
                "server",
                "reconnected (attempts)",
                "connects done s",
                "caught up p50 / p99 / max s",
                "all caught up s",
                "vs nchan",
                "delivered",
                "overflows / drops",
                "server CPU s",
                "KB/sub",
            ],
            rows,
        )
    )


def runs(args: argparse.Namespace) -> list[tuple[str, bool | None, int]]:
    servers = [s for s in args.servers.split(",") if s]
    bad = sorted(set(servers) - set(SERVERS))
    if bad:
        raise SystemExit(f"unknown server(s) {bad}; choose from {', '.join(SERVERS)}")
    if "nchan" in servers and (why := missing()):
        print(f"note: no nchan peer: {why}", flush=True)
        servers.remove("nchan")
    modes = {"on": [True], "off": [False], "both": [True, False]}[args.subscription_events]
    out: list[tuple[str, bool | None, int]] = []
    for n in (int(x) for x in args.sizes.split(",")):
        for server in servers:
            for on in modes if server in HAS_SUBSCRIPTION_EVENTS else [None]:
                out.append((server, on, n))
    return out


async def amain(args: argparse.Namespace) -> list[Result]:
    nofile = raise_nofile()
    plan = runs(args)
    biggest = max((n for _, _, n in plan), default=0)
    if biggest // max(1, args.loadgens) + 300 > nofile or biggest + 300 > nofile:
        print(f"warning: RLIMIT_NOFILE is {nofile}; {biggest:,} subscribers may not fit")
    if args.pin:
        pin(0, 1)  # the driver (and the relay's stage) with the load generators on CPU1
    ov, dr = listen_counters()
    print(
        f"bench_storm: {len(plan)} storms; {args.events} events; {args.loadgens} load "
        f"generators, {args.spread} subscribers per source address; listen backlog "
        f"{args.backlog} (net.core.somaxconn {somaxconn()}); pinned={args.pin}; "
        f"listen overflows / drops so far {ov:,} / {dr:,}; {load_note()}",
        flush=True,
    )
    results = []
    for server, on, n in plan:
        t0 = time.monotonic()
        r = await storm(server, on, n, args)
        results.append(r)
        print(f"    ({time.monotonic() - t0:.0f} s)", flush=True)
    print(f"after: {load_note()}")
    print_results(results, args)
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="5000,10000", help="subscriber counts, comma-separated")
    p.add_argument("--servers", default=",".join(SERVERS), help=f"from {', '.join(SERVERS)}")
    p.add_argument(
        "--subscription-events",
        choices=("on", "off", "both"),
        default="both",
        help="for the hub and the stage",
    )
    p.add_argument("--events", type=int, default=20, help="events published while away")
    p.add_argument("--warmup", type=int, default=2, help="events before the drop")
    p.add_argument("--loadgens", type=int, default=2, help="load-generator processes")
    p.add_argument("--spread", type=int, default=50, help="subscribers per source address")
    p.add_argument("--idle", type=float, default=1.0, help="s after subscribing (RSS)")
    p.add_argument("--away", type=float, default=1.0, help="s between the drop and publishing")
    p.add_argument(
        "--backlog",
        type=int,
        default=DEFAULT_BACKLOG,
        help="listen backlog of every server (128 = aiohttp's default, before issue 17)",
    )
    p.add_argument("--retry", type=float, default=1.0, help="s before a failed attempt retries")
    p.add_argument("--connect-timeout", type=float, default=120.0, help="s to reconnect all")
    p.add_argument("--wait-timeout", type=float, default=120.0, help="s to catch up, at most")
    p.add_argument("--deadline", type=float, default=900.0, help="hard limit per load generator")
    p.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="server on CPU0, load generators and driver on CPU1",
    )
    args = p.parse_args()
    try:
        results = asyncio.run(amain(args))
    except KeyboardInterrupt:
        sys.exit(130)
    bad = any(r.error or r.caught_all is None for r in results)
    sys.exit(1 if bad or not results else 0)


if __name__ == "__main__":
    main()
