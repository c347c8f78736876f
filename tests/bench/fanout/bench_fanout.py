"""Issue 3 benchmark: hub fan-out, publish POST → bytes in every subscriber's socket.

Hub only (``python -m hub.mercure``), N subscribers on one topic held by separate
load-generator processes, and the same scenario against two peers in the same run:
sse-starlette under uvicorn (``peer_starlette.py``) and nginx with the nchan module (C,
one worker; ``nchan.py``: the bench writes its own nginx.conf and runs nginx as a child)::

    .venv/bin/python -m tests.bench.fanout.bench_fanout            # quick: 1,000 and 5,000
    .venv/bin/python -m tests.bench.fanout.bench_fanout --full     # 1k, 5k, 10k, 19.5k
    .venv/bin/python -m tests.bench.fanout.bench_fanout --sizes 1000,10000 --peer-max 10000

Per size and server: RSS before/after subscribing (nchan: its worker process), then
P1: 20 publications 200 ms apart (≤ 5/s, isolated) and, at ``--sustained-at`` (10,000),
P2: 100 publications at 20/s. Latency = kernel arrival time − the publish time in the data.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt

from tests.bench.fanout import nchan
from tests.bench.fanout.common import (
    PYTHON,
    Child,
    Children,
    Dist,
    Loadgens,
    Report,
    bench_key,
    cpu_s,
    free_port,
    load_note,
    pin,
    raise_nofile,
    rss_kb,
    table,
    wait_port,
)

SECRET = "!ChangeThisMercureHubJWTSecretKey!"
TOPIC = "https://example.com/auctions/1"
HUB_PATH = "/.well-known/mercure"
PEER = Path(__file__).with_name("peer_starlette.py")
QUICK_SIZES = (1000, 5000)
FULL_SIZES = (1000, 5000, 10000, 19500)
# Diagnostic wrapper around ``python -m hub.mercure`` (--hub-gc): log cyclic-GC passes over
# 5 ms to stderr ("log"), or also call gc.freeze() every second from a thread ("freeze").
HUB_GC_WRAPPER = """
import gc, sys, threading, time
mode = sys.argv.pop(1)
t0 = [0.0]
def cb(phase, info):
    if phase == "start":
        t0[0] = time.perf_counter()
        return
    d = time.perf_counter() - t0[0]
    if d > 0.005:
        print(f"GC gen{info['generation']} pause {d * 1e3:.0f} ms", file=sys.stderr, flush=True)
gc.callbacks.append(cb)
if mode == "freeze":
    def freezer():
        while True:
            time.sleep(1.0)
            gc.freeze()
    threading.Thread(target=freezer, daemon=True).start()
sys.argv[0] = "hub.mercure"
from hub.mercure.__main__ import main
main()
"""
GOALS = {"p99_1k_ms": 10.0, "p99_10k_ms": 90.0, "p99_20s_10k_ms": 150.0, "rss_kb": 12.0}


@dataclass
class Result:
    server: str
    n: int
    connect_s: float = 0.0
    rss_empty_mb: float = 0.0
    rss_full_mb: float = 0.0
    kb_per_sub: float = 0.0
    p1: Report | None = None
    p1_post: Dist = field(default_factory=Dist)
    p1_cpu_pct: float = 0.0
    p2: Report | None = None
    p2_post: Dist = field(default_factory=Dist)
    p2_rate: float = 0.0
    p2_cpu_pct: float = 0.0
    error: str = ""


def publisher_token() -> str:
    return jwt.encode({"mercure": {"publish": ["*"]}}, SECRET, algorithm="HS256")


def event_data(k: int, ts: float) -> str:
    """~150 bytes like a bid: the tag (publish time + number) plus a few fields."""
    return json.dumps(
        {
            "seq": k,
            "key": bench_key(k, ts),
            "auction": "lot-1",
            "price": 100000 + 5000 * k,
            "bidder": "paddle-7001",
            "channel": "online",
        },
        separators=(",", ":"),
    )


async def publish_phase(
    session: aiohttp.ClientSession,
    url: str,
    token: str,
    k0: int,
    count: int,
    interval: float,
    pid: int,
    raw: bool = False,
) -> tuple[Dist, float, float]:
    """``count`` POSTs paced ``interval`` apart (one in flight); returns POST latency dist,
    achieved rate and the server's CPU % (100 = one core) over the phase. ``raw``: the body
    is the event's data itself (nchan's publisher), else the Mercure form with a token."""
    posts: list[float] = []
    headers = {} if raw else {"Authorization": f"Bearer {token}"}
    c0, w0 = cpu_s(pid), time.monotonic()
    start = time.monotonic()
    for i in range(count):
        delay = start + i * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        k = k0 + i
        ts = time.time()
        body: Any = event_data(k, ts) if raw else {"topic": TOPIC, "data": event_data(k, ts)}
        async with session.post(url, data=body, headers=headers) as resp:
            await resp.read()
            if resp.status not in ((200, 201, 202) if raw else (200,)):
                raise RuntimeError(f"publish answered {resp.status}: {await resp.text()}")
        posts.append(time.time() - ts)
    took = time.monotonic() - start
    cpu = (cpu_s(pid) - c0) / max(1e-9, time.monotonic() - w0) * 100
    return Dist.of(posts), count / took if took > 0 else math.nan, cpu


async def start_server(
    kind: str, children: Children, tmp: Path, cpu: int | None, gc_mode: str = "plain"
) -> tuple[Child, int]:
    port = free_port()
    if kind == "hub":
        cfg = tmp / "hub.json"
        cfg.write_text(
            json.dumps(
                {"keys": [{"key": SECRET, "algorithms": ["HS256"]}], "allow_anonymous": True}
            )
        )
        hub_args = ["--port", str(port), "--config", str(cfg)]
        argv = (
            [PYTHON, "-m", "hub.mercure", *hub_args]
            if gc_mode == "plain"
            else [PYTHON, "-c", HUB_GC_WRAPPER, gc_mode, *hub_args]
        )
    else:
        argv = [PYTHON, str(PEER), "--port", str(port)]
    child = children.add(await Child.spawn(kind, argv, stderr=tmp / f"{kind}.stderr"))
    pin(child.pid, cpu)
    await wait_port(port, 30, child)
    return child, port


async def scenario(kind: str, n: int, args: argparse.Namespace, tmp: Path) -> Result:
    res = Result(kind, n)
    children = Children()
    server_cpu = None if not args.pin else 0
    gen_cpu = None if not args.pin else 1
    raw = kind == "nchan"
    try:
        if raw:
            peer = await nchan.Nchan.start(children, tmp, server_cpu)
            pid, port, path = peer.worker, peer.port, nchan.SUB_PATH
            url = f"http://127.0.0.1:{port}{nchan.PUB_PATH}"
        else:
            server, port = await start_server(kind, children, tmp, server_cpu, args.hub_gc)
            pid, path = server.pid, f"{HUB_PATH}?topic={quote(TOPIC, safe='')}"
            url = f"http://127.0.0.1:{port}{HUB_PATH}"
        await asyncio.sleep(1.0)
        rss0 = rss_kb(pid)
        gens = Loadgens(children, tmp, gen_cpu)
        res.connect_s = await gens.add(n, args.loadgens, port, path, deadline=args.deadline)
        await asyncio.sleep(args.idle)
        rss1 = rss_kb(pid)
        res.rss_empty_mb, res.rss_full_mb = rss0 / 1024, rss1 / 1024
        res.kb_per_sub = (rss1 - rss0) / n
        token = publisher_token()
        conn = aiohttp.TCPConnector(limit=1)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=conn, timeout=timeout) as session:
            # warm-up (not measured): the keep-alive connection and the token path (nchan:
            # its one channel; the generators ignore events without the bench tag)
            for _ in range(3):
                async with session.post(
                    url,
                    data="x" if raw else {"topic": TOPIC + "/warm-up", "data": "x"},
                    headers={} if raw else {"Authorization": f"Bearer {token}"},
                ) as resp:
                    await resp.read()
            await asyncio.sleep(0.5)
            # P1: isolated publications, 5/s.
            k0, count = 0, args.p1_count
            res.p1_post, _, res.p1_cpu_pct = await publish_phase(
                session, url, token, k0, count, 0.2, pid, raw
            )
            await gens.wait(range(k0, k0 + count), args.wait_timeout)
            res.p1 = await gens.report(range(k0, k0 + count))
            if n == args.sustained_at:
                await asyncio.sleep(1.0)
                k0, count = 1000, args.p2_count
                res.p2_post, res.p2_rate, res.p2_cpu_pct = await publish_phase(
                    session, url, token, k0, count, 1 / args.rate, pid, raw
                )
                await gens.wait(range(k0, k0 + count), args.wait_timeout)
                res.p2 = await gens.report(range(k0, k0 + count))
        await gens.close()
    except Exception as e:  # one failed scenario must not lose the others' figures
        res.error = f"{type(e).__name__}: {e}"
        print(f"  {kind} N={n}: FAILED {res.error}", flush=True)
    finally:
        await children.stop_all()
    if kind == "hub" and args.hub_gc != "plain":
        pauses = gc_pauses(tmp / "hub.stderr")
        print(f"  hub GC pauses > 5 ms: {pauses or 'none'}", flush=True)
    return res


def gc_pauses(path: Path) -> list[str]:
    """The wrapper's GC lines from the hub's stderr (then truncate it for the next run)."""
    if not path.exists():
        return []
    lines = [ln.split("GC ", 1)[1] for ln in path.read_text().splitlines() if "GC gen" in ln]
    path.write_text("")
    return lines


NAMES = {"hub": "hub", "peer": "sse-starlette", "nchan": "nginx-nchan"}


def ratio(ours: Report | None, peer: Report | None) -> str:
    if ours is None or peer is None or not ours.all_kern.n or not peer.all_kern.n:
        return "–"
    a, b = ours.all_kern, peer.all_kern
    return f"{a.p99 / b.p99:.2f}× (p50 {a.p50 / b.p50:.2f}×)"


def ms(x: float) -> str:
    return "–" if math.isnan(x) else f"{x * 1e3:.1f}"


def print_tables(results: list[Result], args: argparse.Namespace) -> None:
    by = {(r.server, r.n): r for r in results}
    sizes = sorted({r.n for r in results})
    rows: list[list[str]] = []
    for n in sizes:
        h, p, c = by.get(("hub", n)), by.get(("peer", n)), by.get(("nchan", n))
        for r in (h, p, c):
            if r is None:
                continue
            rep = r.p1
            rows.append(
                [
                    f"{n:,}",
                    NAMES[r.server],
                    rep.all_kern.ms() if rep else f"FAILED: {r.error}"[:60],
                    ms(rep.last.p50) + " / " + ms(rep.last.p99) if rep else "–",
                    ms(rep.all_app.p99) if rep else "–",
                    rep.delivery() if rep else "–",
                    f"{r.p1_post.p99 * 1e3:.1f}" if r.p1_post.n else "–",
                    f"{r.kb_per_sub:.1f}" if rep else "–",
                    f"{r.connect_s:.1f}" if rep else "–",
                    ratio(rep, p.p1 if p else None) if r.server == "hub" else "",
                    ratio(rep, c.p1 if c else None) if r.server == "hub" else "",
                ]
            )
    print()
    print(
        f"P1: {args.p1_count} publications 200 ms apart; latency = kernel arrival − publish "
        "time (ms); 'last sub' = per event, the slowest subscriber"
    )
    print(
        table(
            [
                "N",
                "server",
                "p50 / p99 / max",
                "last sub p50 / p99",
                "app-read p99",
                "delivered",
                "POST p99",
                "KB/sub RSS",
                "connect s",
                "ours/sse-starlette p99",
                "ours/nchan p99",
            ],
            rows,
        )
    )
    p2_rows = []
    for r in results:
        if r.p2 is None:
            continue
        p2_rows.append(
            [
                f"{r.n:,}",
                NAMES[r.server],
                f"{r.p2_rate:.1f}",
                f"{r.p2_cpu_pct:.0f}",
                r.p2_post.ms(),
                r.p2.all_kern.ms(),
                ms(r.p2.last.p99),
                r.p2.delivery(),
            ]
        )
    if p2_rows:
        print()
        print(f"P2: {args.p2_count} publications at {args.rate:g}/s (one POST in flight)")
        print(
            table(
                [
                    "N",
                    "server",
                    "pubs/s achieved",
                    "server CPU %",
                    "POST p50 / p99 / max",
                    "latency p50 / p99 / max",
                    "last sub p99",
                    "delivered",
                ],
                p2_rows,
            )
        )
    print()
    goals = []
    for r in results:
        if r.server == "nchan" and r.p1 is not None:
            goals.append(f"nchan RSS/sub @{r.n:,} {r.kb_per_sub:.1f} KB")
        if r.server != "hub" or r.p1 is None:
            continue
        if r.n == 1000:
            goals.append(f"p99 @1k {ms(r.p1.all_kern.p99)} ms (goal ≤ {GOALS['p99_1k_ms']:g})")
        if r.n == 10000:
            goals.append(f"p99 @10k {ms(r.p1.all_kern.p99)} ms (goal ≤ {GOALS['p99_10k_ms']:g})")
        if r.p2 is not None:
            goals.append(
                f"p99 @10k 20/s {ms(r.p2.all_kern.p99)} ms, {r.p2.delivery()} "
                f"(goal ≤ {GOALS['p99_20s_10k_ms']:g}, 100 %)"
            )
        goals.append(f"RSS/sub @{r.n:,} {r.kb_per_sub:.1f} KB (goal ≤ {GOALS['rss_kb']:g})")
    print("Issue 3 goals: " + "; ".join(goals))


async def amain(args: argparse.Namespace) -> list[Result]:
    nofile = raise_nofile()
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else (FULL_SIZES if args.full else QUICK_SIZES)
    )
    if max(sizes) + 100 > nofile:
        print(
            f"warning: RLIMIT_NOFILE is {nofile}; {max(sizes):,} subscribers may not fit "
            "in one server process",
            flush=True,
        )
    if args.pin:
        pin(0, 1)  # the driver shares CPU1 with the load generators
    no_nchan = nchan.missing() if args.nchan_max > 0 else "--nchan-max 0"
    print(
        f"bench_fanout: sizes {sizes}, sse-starlette up to {args.peer_max:,}, nginx-nchan "
        + (f"up to {args.nchan_max:,}" if not no_nchan else f"not run ({no_nchan})")
        + f", {args.loadgens} load generators, pinned={args.pin}; {load_note()}",
        flush=True,
    )
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as d:
        tmp = Path(d)
        for n in sizes:
            for kind in ("hub", "peer", "nchan"):
                if kind == "peer" and n > args.peer_max:
                    continue
                if kind == "nchan" and (no_nchan or n > args.nchan_max):
                    continue
                t0 = time.monotonic()
                r = await scenario(kind, n, args, tmp)
                results.append(r)
                if r.p1 is not None:
                    print(
                        f"  {kind:5} N={n:>6,}: P1 {r.p1.all_kern.ms()} ms, "
                        f"{r.p1.delivery()}, {r.kb_per_sub:.1f} KB/sub"
                        + (f"; P2 {r.p2.all_kern.ms()} ms at {r.p2_rate:.1f}/s" if r.p2 else "")
                        + f" ({time.monotonic() - t0:.0f} s)",
                        flush=True,
                    )
        print(f"after: {load_note()}")
    print_tables(results, args)
    if args.json:
        write_json(Path(args.json), results)
    return results


def write_json(path: Path, results: list[Result]) -> None:
    path.write_text(json.dumps([asdict(r) for r in results], indent=1, default=str))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--full", action="store_true", help="all sizes: 1k, 5k, 10k, 19.5k")
    p.add_argument("--sizes", help="comma-separated subscriber counts (overrides --full)")
    p.add_argument(
        "--peer-max",
        type=int,
        default=5000,
        help="largest N for the sse-starlette peer (default 5,000)",
    )
    p.add_argument(
        "--nchan-max",
        type=int,
        default=20_000,
        help="largest N for the nginx-nchan peer (0: not run)",
    )
    p.add_argument("--sustained-at", type=int, default=10000, help="N at which the 20/s phase runs")
    p.add_argument("--rate", type=float, default=20.0, help="publications/s in P2")
    p.add_argument("--p1-count", type=int, default=20)
    p.add_argument("--p2-count", type=int, default=100)
    p.add_argument("--loadgens", type=int, default=2, help="load-generator processes")
    p.add_argument("--idle", type=float, default=2.0, help="s idle before RSS and P1")
    p.add_argument(
        "--wait-timeout",
        type=float,
        default=90.0,
        help="max s to wait for every subscriber to get every event",
    )
    p.add_argument(
        "--deadline", type=float, default=900.0, help="hard time limit of each load generator"
    )
    p.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="server on CPU0, load generators and driver on CPU1",
    )
    p.add_argument("--json", help="also write the results here")
    p.add_argument(
        "--hub-gc",
        choices=("plain", "log", "freeze"),
        default="plain",
        help="diagnostics: run the hub under a wrapper that logs GC pauses > 5 ms "
        "to its stderr (log), and also calls gc.freeze() every 1 s (freeze)",
    )
    args = p.parse_args()
    try:
        results = asyncio.run(amain(args))
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(1 if any(r.error for r in results) else 0)


if __name__ == "__main__":
    main()
