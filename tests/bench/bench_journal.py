"""Journal benchmark: durable accepted bids per second and submit -> ack latency.

Run: .venv/bin/python tests/bench/bench_journal.py [--seconds S] [--dir DIR]
Printed, not asserted. Every figure is WAL + synchronous=FULL on a real file: each
acknowledged bid was COMMITted (fsync of the WAL) before its answer came back.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hub.auction.events import SYSTEM, Actor  # noqa: E402
from hub.journal.sequencer import Sequencer  # noqa: E402

CLERK = Actor("clerk")
LOTS = 3000
BIDDERS = 64
BIDS_PER_LOT = 20  # hammer and move on, like a real sale (keeps lot histories short)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def filesystem(path: Path) -> str:
    try:
        out = subprocess.run(["df", "-T", str(path)], capture_output=True, text=True,
                             check=False, timeout=10).stdout.splitlines()
        return " ".join(out[-1].split()[:2]) if len(out) > 1 else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


async def prepare(seq: Sequencer) -> None:
    commands: list[dict[str, Any]] = [{"op": "create_sale", "sale": {"id": "bench"}}]
    commands += [{"op": "add_lot", "lot": {"id": f"L{i}", "start": 1000}} for i in range(LOTS)]
    commands += [{"op": "register_bidder", "paddle": f"b{i}", "channel": "online",
                  "status": "approved"} for i in range(BIDDERS)]
    # Setup in one burst: group commit makes it quick.
    answers = await asyncio.gather(*(seq.submit(c, SYSTEM) for c in commands))
    assert all(a.ok for a in answers)


async def rotate(seq: Sequencer) -> None:
    engine = seq.engine
    current = engine.lots.get(engine.sale.current or "")
    if current is not None and current.status in ("open", "fair_warning"):
        await seq.submit({"op": "hammer", "lot": current.id}, CLERK)
    nxt = engine.next_lot()
    assert nxt is not None, "the bench sale ran out of lots"
    await seq.submit({"op": "open_lot", "lot": nxt}, CLERK)


class Tally:
    def __init__(self) -> None:
        self.accepted = 0
        self.refused = 0
        self.latencies: list[float] = []

    def line(self, name: str, seconds: float, seq: Sequencer, batches: int) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        commands = self.accepted + self.refused
        return (f"{name:<44} {self.accepted / seconds:8.0f} accepted bids/s "
                f"({commands / seconds:6.0f} commands/s, {commands / max(batches, 1):5.1f} "
                f"per commit)  ack p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")


async def storm(seq: Sequencer, submitters: int, seconds: float,
                make: Callable[[int, int], tuple[dict[str, Any], Actor]]) -> Tally:
    tally = Tally()
    deadline = time.perf_counter() + seconds
    engine = seq.engine

    async def one(n: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            if n == 0:
                lot = engine.public_lot(engine.sale.current)
                if lot is None or lot["status"] != "open" or lot["bids"] >= BIDS_PER_LOT:
                    await rotate(seq)
            i += 1
            command, actor = make(n, i)
            t0 = time.perf_counter()
            answer = await seq.submit(command, actor)
            tally.latencies.append(time.perf_counter() - t0)
            if answer.ok:
                tally.accepted += 1
            else:
                tally.refused += 1

    await asyncio.gather(*(one(n) for n in range(submitters)))
    return tally


async def run(directory: Path, seconds: float) -> None:
    print(f"machine: {machine()}")
    print(f"journal: {directory} ({filesystem(directory)}), WAL, synchronous=FULL, "
          f"loop: {type(asyncio.get_running_loop()).__module__}")

    def online_bid(n: int, i: int, engine_ref: list[Any]) -> tuple[dict[str, Any], Actor]:
        engine = engine_ref[0]
        lot = engine.public_lot(engine.sale.current)
        return ({"op": "bid", "lot": lot["id"], "amount": lot["ask"], "seen_seq": engine.seq,
                 "key": f"k{n}-{i}"}, Actor("bidder", f"b{(n + i) % BIDDERS}"))

    def floor_bid(n: int, i: int, engine_ref: list[Any]) -> tuple[dict[str, Any], Actor]:
        engine = engine_ref[0]
        # No amount: the room bid takes the ask at decision time, so it is always accepted.
        return {"op": "floor_bid", "lot": engine.sale.current}, CLERK

    scenarios = [
        ("single writer, 1 submitter, online bids", 1, 256, online_bid),
        ("64 submitters, no group commit (batch=1)", 64, 1, floor_bid),
        ("64 submitters, group commit, floor bids", 64, 256, floor_bid),
        ("64 submitters, group commit, online bids*", 64, 256, online_bid),
    ]
    for name, submitters, max_batch, maker in scenarios:
        path = directory / f"bench-{submitters}-{max_batch}-{maker.__name__}.db"
        seq = Sequencer(path, max_batch=max_batch)
        await seq.start()
        try:
            await prepare(seq)
            await rotate(seq)
            ref = [seq.engine]
            batches = seq.batches
            t0 = time.perf_counter()
            tally = await storm(seq, submitters, seconds,
                                lambda n, i, m=maker, r=ref: m(n, i, r))  # type: ignore[misc]
            elapsed = time.perf_counter() - t0
            print(tally.line(name, elapsed, seq, seq.batches - batches))
        finally:
            await seq.stop()
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    print("* all 64 bid the same ask at once: one wins, the others are refused "
          "(already_bid/outbid) and journaled; goal >= 2,000 durable accepted bids/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per scenario")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to put the journal (default: a temp dir under the repo)")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    # Default to a directory on the repo's disk: /tmp may be a tmpfs with free fsyncs.
    base = args.dir or ROOT / ".bench-tmp"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base) as directory:
        asyncio.run(run(Path(directory), args.seconds))
    if args.dir is None:
        try:
            base.rmdir()
        except OSError:
            pass


if __name__ == "__main__":
    main()
