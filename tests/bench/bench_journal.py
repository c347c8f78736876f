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
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hub.auction.events import SYSTEM, Actor  # noqa: E402
from hub.journal.replay import load_engine  # noqa: E402
from hub.journal.sequencer import Sequencer  # noqa: E402
from hub.journal.verify import verify  # noqa: E402

CLERK = Actor("clerk", roles=("clerk", "auctioneer"))
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
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def filesystem(path: Path) -> str:
    try:
        out = subprocess.run(
            ["df", "-T", str(path)], capture_output=True, text=True, check=False, timeout=10
        ).stdout.splitlines()
        return " ".join(out[-1].split()[:2]) if len(out) > 1 else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


async def prepare(seq: Sequencer) -> None:
    commands: list[dict[str, Any]] = [{"op": "create_sale", "sale": {"id": "bench"}}]
    commands += [{"op": "add_lot", "lot": {"id": f"L{i}", "start": 1000}} for i in range(LOTS)]
    commands += [
        {"op": "register_bidder", "paddle": f"b{i}", "channel": "online", "status": "approved"}
        for i in range(BIDDERS)
    ]
    commands.append({"op": "go_live"})  # a new sale is a draft until then
    # Setup in one burst: group commit makes it quick.
    answers = await asyncio.gather(*(seq.submit(c, SYSTEM) for c in commands))
    assert all(a.ok for a in answers)


def sale_script() -> Iterator[tuple[dict[str, Any], Actor, bool]]:
    """The command stream of a brisk sale: per lot, open, 20 room/phone bids with paddles
    (no amount: each takes the ask at decision time, so all are accepted), hammer."""
    for lot_no in range(LOTS):
        lot = f"L{lot_no}"
        yield {"op": "open_lot", "lot": lot}, CLERK, False
        for i in range(BIDS_PER_LOT):
            yield {"op": "floor_bid", "lot": lot, "paddle": f"b{i % BIDDERS}"}, CLERK, True
        yield {"op": "hammer", "lot": lot}, CLERK, False


class Tally:
    def __init__(self) -> None:
        self.accepted = 0
        self.refused = 0
        self.other = 0
        self.latencies: list[float] = []

    def line(self, name: str, seconds: float, batches: int) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        commands = self.accepted + self.refused + self.other
        return (
            f"{name:<46} {self.accepted / seconds:7.0f} accepted bids/s "
            f"({commands / seconds:5.0f} commands/s, {commands / max(batches, 1):5.1f} "
            f"per commit)  ack p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
        )


async def scripted(seq: Sequencer, submitters: int, seconds: float) -> Tally:
    """`submitters` tasks take the next command of the sale script and submit it."""
    tally = Tally()
    script = sale_script()
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        for command, actor, is_bid in script:  # shared iterator: queue order = script order
            t0 = time.perf_counter()
            answer = await seq.submit(command, actor)
            tally.latencies.append(time.perf_counter() - t0)
            assert answer.ok, (command, answer.reason, answer.message)
            if is_bid:
                tally.accepted += 1
            else:
                tally.other += 1
            if time.perf_counter() >= deadline:
                return

    await asyncio.gather(*(one() for _ in range(submitters)))
    return tally


async def collisions(seq: Sequencer, submitters: int, seconds: float) -> Tally:
    """Online bidders all bid the ask they last saw: most are refused and journaled."""
    tally = Tally()
    engine = seq.engine
    deadline = time.perf_counter() + seconds
    rotating = asyncio.Lock()

    async def one(n: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            lot = engine.public_lot(engine.sale.current)
            if lot is None or lot["status"] != "open" or lot["bids"] >= BIDS_PER_LOT:
                async with rotating:
                    lot = engine.public_lot(engine.sale.current)
                    if lot is None or lot["status"] != "open" or lot["bids"] >= BIDS_PER_LOT:
                        if lot is not None and lot["status"] == "open":
                            await seq.submit({"op": "hammer", "lot": lot["id"]}, CLERK)
                        await seq.submit({"op": "open_lot", "lot": engine.next_lot()}, CLERK)
                continue
            i += 1
            t0 = time.perf_counter()
            answer = await seq.submit(
                {
                    "op": "bid",
                    "lot": lot["id"],
                    "amount": lot["ask"],
                    "seen_seq": engine.seq,
                    "key": f"k{n}-{i}",
                },
                Actor("bidder", f"b{(n + i) % BIDDERS}"),
            )
            tally.latencies.append(time.perf_counter() - t0)
            if answer.ok:
                tally.accepted += 1
            else:
                tally.refused += 1

    await asyncio.gather(*(one(n) for n in range(submitters)))
    return tally


def replay_figures(path: Path) -> None:
    """Startup cost (state = replay(journal)) and full verification, on the journal just built."""
    conn = sqlite3.connect(path)
    events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    t0 = time.perf_counter()
    load_engine(conn)
    replay = time.perf_counter() - t0
    conn.close()
    t0 = time.perf_counter()
    ok = verify(path).ok
    checked = time.perf_counter() - t0
    size = path.stat().st_size / 1e6
    print(
        f"{'':<46} replay of those {events} events (startup): {replay:.2f} s; "
        f"journal verify: {checked:.2f} s ({'ok' if ok else 'FAILED'}); file {size:.0f} MB"
    )


async def run(directory: Path, seconds: float) -> None:
    print(f"machine: {machine()}")
    print(
        f"journal: {directory} ({filesystem(directory)}), WAL, synchronous=FULL, "
        f"loop: {type(asyncio.get_running_loop()).__module__}"
    )
    scenarios: list[tuple[str, int, int, Callable[[Sequencer, int, float], Awaitable[Tally]]]]
    scenarios = [
        ("1 submitter, one at a time (1 per commit)", 1, 256, scripted),
        ("64 submitters, group commit off (batch=1)", 64, 1, scripted),
        ("64 submitters, group commit (batch<=256)", 64, 256, scripted),
        ("64 online bidders colliding, group commit*", 64, 256, collisions),
    ]
    for n, (name, submitters, max_batch, scenario) in enumerate(scenarios):
        path = directory / f"bench-{n}.db"
        seq = Sequencer(path, max_batch=max_batch)
        await seq.start()
        try:
            await prepare(seq)
            batches = seq.batches
            t0 = time.perf_counter()
            tally = await scenario(seq, submitters, seconds)
            elapsed = time.perf_counter() - t0
            print(tally.line(name, elapsed, seq.batches - batches))
        finally:
            await seq.stop()
        if n == 2:
            replay_figures(path)
    print(
        "Each lot: open, 20 floor/phone bids with paddles, hammer. Goal: >= 2,000 durable "
        "accepted bids/s.\n* every bidder bids the ask it last saw: one wins per price, "
        "the rest are refused (already_bid/outbid/already_high) and journaled too."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per scenario")
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="directory for the journal files (default: the system temp dir)",
    )
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    # The system temp dir by default; the figure is only meaningful on a real disk, so the
    # filesystem type is printed (a tmpfs makes fsync free).
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="auctionmen-bench-") as directory:
        asyncio.run(run(Path(directory), args.seconds))


if __name__ == "__main__":
    main()
