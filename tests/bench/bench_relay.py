"""Relay fan-out benchmark: stage commit → bytes in the sockets of N subscribers on relay nodes.

Not collected by pytest (no `test_` prefix). Run from the repo root:

    .venv/bin/python tests/bench/bench_relay.py                      # 2,000 over two nodes
    .venv/bin/python tests/bench/bench_relay.py --scenario workers   # one node, two workers
    .venv/bin/python tests/bench/bench_relay.py --full               # the issue's sizes:
        19,500 over two nodes, then 10,000 on one node with two workers

Layout (perf-notes.md method, simplified): a real redis-server (temp dir, no persistence),
relay nodes as `python -m hub.relay.cli` processes, the stage in this process with its link
to node A, and load generators in separate processes holding raw asyncio sockets (no HTTP
client library; ≤ 9,000 sockets each). Each subscriber takes the room topic. Latency = time a
subscriber's bytes were read (wall clock, in the load generator) − the event's `at` (the
stage's wall clock when the sequencer decided it), so it covers commit, link, Redis, node
tail and fan-out. Reads are timestamped by the load generator, not the kernel
(no SO_TIMESTAMPNS), so a busy generator inflates the figures a little.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# Events are canonical JSON, keys sorted: "at" first, then … "seq", "type" last.
EVENT = re.compile(rb'"at":(?P<at>[0-9.]+),"data".*?,"seq":(?P<seq>\d+),"type":"[a-z_]+"}')
PER_GENERATOR = 9_000


# ----------------------------------------------------------------------- load generator

class _Sub(asyncio.Protocol):
    def __init__(self, gen: _Generator) -> None:
        self.gen = gen
        self.buf = b""
        self.ok = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(self.gen.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self.buf + data
        if not self.ok:
            if b"\r\n\r\n" not in buf:
                self.buf = buf
                return
            self.ok = buf.startswith(b"HTTP/1.1 200")
            self.gen.connected += 1
        end = 0
        for m in EVENT.finditer(buf):
            seq = int(m.group("seq"))
            if seq > self.gen.after:
                self.gen.latencies.append(now - float(m.group("at")))
                self.gen.counts[seq] = self.gen.counts.get(seq, 0) + 1
            end = m.end()
        self.buf = buf[end:][-4096:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.gen.lost += 1


class _Generator:
    def __init__(self, request: bytes, after: int) -> None:
        self.request = request
        self.after = after
        self.connected = 0
        self.lost = 0
        self.latencies: list[float] = []
        self.counts: dict[int, int] = {}


async def _loadgen(urls: list[str], n: int, topic: str, after: int, index: int) -> None:
    loop = asyncio.get_running_loop()
    query = f"topic={quote(topic, safe='')}"
    transports = []
    gens = {}
    for url in urls:
        host, port = url.removeprefix("http://").split(":")
        request = (f"GET /.well-known/mercure?{query} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                   "Accept: text/event-stream\r\n\r\n").encode()
        gens[url] = _Generator(request, after)
    sem = asyncio.Semaphore(200)

    async def connect(i: int) -> None:
        url = urls[i % len(urls)]
        host, port = url.removeprefix("http://").split(":")
        async with sem:
            for _ in range(5):
                try:
                    tr, _ = await loop.create_connection(lambda: _Sub(gens[url]), host, int(port))
                    transports.append(tr)
                    return
                except OSError:
                    await asyncio.sleep(0.2)

    await asyncio.gather(*(connect(index + k) for k in range(n)))
    for _ in range(600):  # up to 60 s for every response header
        if sum(g.connected for g in gens.values()) >= n:
            break
        await asyncio.sleep(0.1)
    print(json.dumps({"connected": sum(g.connected for g in gens.values())}), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # the driver says "done"
    lat = [x for g in gens.values() for x in g.latencies]
    counts: dict[int, int] = {}
    for g in gens.values():
        for seq, c in g.counts.items():
            counts[seq] = counts.get(seq, 0) + c
    print(json.dumps({"latencies": lat, "counts": counts,
                      "lost": sum(g.lost for g in gens.values())}), flush=True)
    for tr in transports:
        tr.abort()


# ----------------------------------------------------------------------- driver

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


class _Procs:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(self, args: list[str], **kw: Any) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(args, cwd=ROOT, start_new_session=True, **kw)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        import signal

        for proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 9)
                proc.wait(5)


async def _readline(proc: subprocess.Popen[bytes], within: float) -> dict[str, Any]:
    assert proc.stdout is not None
    loop = asyncio.get_running_loop()
    line = await asyncio.wait_for(loop.run_in_executor(None, proc.stdout.readline), within)
    if not line:
        raise RuntimeError("a child process exited early")
    value: dict[str, Any] = json.loads(line)
    return value


async def run(scenario: str, subscribers: int, events: int, rate: float) -> dict[str, Any]:
    from hub.auction.events import Actor
    from hub.config import StageConfig
    from hub.relay.link import start_link
    from hub.stage import Stage

    procs = _Procs()
    tmp = Path(tempfile.mkdtemp(prefix="bench-relay-"))
    redis_port = _free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    stage = Stage(StageConfig(data_dir=tmp / "stage", host="127.0.0.1", port=0, demo=True))
    link = None
    try:
        procs.spawn(["/usr/bin/redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--dir", str(tmp)],
                    stdout=subprocess.DEVNULL)
        await stage.start()
        key = tmp / "stage.pem"
        key.write_bytes(stage.issuer.public_pem)
        base = [sys.executable, "-m", "hub.relay.cli", "--host", "127.0.0.1", "--redis",
                redis_url, "--stage-key", str(key), "--sale", "demo"]
        await asyncio.sleep(0.3)
        urls: list[str] = []
        if scenario == "two-nodes":
            for _ in range(2):
                proc = procs.spawn([*base, "--port", "0"], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL)
                urls.append((await _readline(proc, 30))["url"])
        else:
            port = _free_port()
            proc = procs.spawn([*base, "--port", str(port), "--workers", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            for _ in range(2):
                urls.append((await _readline(proc, 30))["url"])
            urls = urls[:1]
        link = start_link(stage, urls[0])
        for _ in range(100):
            if link.status().connected and link.status().lag == 0:
                break
            await asyncio.sleep(0.1)
        clerk = Actor("clerk")
        assert (await stage.submit({"op": "open_lot", "lot": "1"}, clerk)).ok
        after = stage.sequencer.last_seq
        topic = f"{stage.sale_iri}/room"
        gens = []
        n_gen = max(1, math.ceil(subscribers / PER_GENERATOR))
        for g in range(n_gen):
            share = subscribers // n_gen + (1 if g < subscribers % n_gen else 0)
            gens.append(procs.spawn(
                [sys.executable, __file__, "--loadgen", json.dumps(urls), str(share), topic,
                 str(after), str(g)], stdin=subprocess.PIPE, stdout=subprocess.PIPE))
        connected = sum([(await _readline(p, 120))["connected"] for p in gens])
        await asyncio.sleep(2.0)
        sent: list[int] = []
        for i in range(events):
            answer = await stage.submit({"op": "floor_bid", "lot": "1",
                                         "paddle": ("101", "102")[i % 2]}, clerk)
            assert answer.ok, answer
            sent.append(answer.seq)
            await asyncio.sleep(1.0 / rate)
        await asyncio.sleep(3.0)
        latencies: list[float] = []
        counts: dict[int, int] = {}
        lost = 0
        for p in gens:
            assert p.stdin is not None
            p.stdin.write(b"done\n")
            p.stdin.flush()
        for p in gens:
            out = await _readline(p, 120)
            latencies += out["latencies"]
            lost += out["lost"]
            for seq, c in out["counts"].items():
                counts[int(seq)] = counts.get(int(seq), 0) + c
        expected = connected * len(sent)
        return {
            "scenario": scenario, "subscribers": subscribers, "connected": connected,
            "events": len(sent), "rate": rate, "deliveries": len(latencies),
            "expected": expected, "complete": all(counts.get(s, 0) == connected for s in sent),
            "dropped_connections": lost,
            "p50_ms": round(_pct(latencies, 0.50) * 1000, 1),
            "p99_ms": round(_pct(latencies, 0.99) * 1000, 1),
            "max_ms": round(max(latencies, default=math.nan) * 1000, 1),
        }
    finally:
        if link is not None:
            await link.close()
        await stage.stop()
        procs.stop()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--loadgen":
        urls, n, topic, after, index = sys.argv[2:7]
        asyncio.run(_loadgen(json.loads(urls), int(n), topic, int(after), int(index)))
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", choices=["two-nodes", "workers"], default="two-nodes")
    p.add_argument("--subscribers", type=int, default=2_000)
    p.add_argument("--events", type=int, default=20)
    p.add_argument("--rate", type=float, default=5.0, help="events per second")
    p.add_argument("--full", action="store_true",
                   help="19,500 over two nodes, then 10,000 on one node with two workers")
    ns = p.parse_args()
    runs = ([("two-nodes", 19_500), ("workers", 10_000)] if ns.full
            else [(ns.scenario, ns.subscribers)])
    for scenario, n in runs:
        result = asyncio.run(run(scenario, n, ns.events, ns.rate))
        print(json.dumps(result), flush=True)
        print(f"{scenario}: {result['connected']} subscribers, {result['events']} events at "
              f"{result['rate']}/s: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
              f"max {result['max_ms']} ms, deliveries {result['deliveries']}/"
              f"{result['expected']}, complete={result['complete']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
