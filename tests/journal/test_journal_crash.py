"""kill -9 mid bid storm (reliability F1, checked as in §3.4), with its negative control.

Iterations: AUCTIONMEN_CRASH_ITERATIONS (default 20). Run with -s to see the summary line.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from journal_helpers import must

from hub.auction.events import SYSTEM, canonical_json
from hub.journal.migrations import GENESIS
from hub.journal.records import SELECT_COLUMNS, Record, event_hash
from hub.journal.replay import load_engine
from hub.journal.sequencer import Sequencer
from hub.journal.verify import verify

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
ITERATIONS = int(os.environ.get("AUCTIONMEN_CRASH_ITERATIONS", "20"))
CLIENTS = 20
LOTS = 400


async def _prepare(path: Path) -> None:
    async with Sequencer(path) as seq:
        await must(seq, {"op": "create_sale", "sale": {"id": "crash", "title": "F1"}}, SYSTEM)
        for i in range(LOTS):
            await must(seq, {"op": "add_lot", "lot": {"id": f"L{i}", "start": 1000}}, SYSTEM)
        for n in range(CLIENTS):
            await must(
                seq,
                {
                    "op": "register_bidder",
                    "paddle": f"p{n}",
                    "channel": "online",
                    "status": "approved",
                },
                SYSTEM,
            )
        await must(seq, {"op": "go_live"}, SYSTEM)


@dataclass
class Run:
    acked: dict[str, str] = field(default_factory=dict)  # key -> seq ("-" in the control)
    sent: set[str] = field(default_factory=set)
    ready: bool = False


def _stderr(proc: subprocess.Popen[bytes]) -> str:
    return proc.stderr.read().decode()[-3000:] if proc.stderr is not None else ""


def _kill_one(path: Path, rng: random.Random, control: bool) -> Run:
    """Start the child, let it storm for 0.05-1.5 s after READY, SIGKILL it."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]))
    args = [
        sys.executable,
        str(HERE / "crash_child.py"),
        str(path),
        "--clients",
        str(CLIENTS),
        "--seed",
        str(rng.randrange(1 << 30)),
    ] + (["--control"] if control else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    run = Run()
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:  # recorded as they arrive, independently of the child
            parts = raw.decode().split()
            if not parts:
                continue
            if parts[0] == "ACK":
                run.acked[parts[1]] = parts[2]
            elif parts[0] == "SEND":
                run.sent.add(parts[1])
            elif parts[0] == "READY":
                run.ready = True
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        ready.wait(timeout=60)  # failsafe against a child that never starts
        assert run.ready, _stderr(proc) if proc.poll() is not None else "child did not start"
        time.sleep(rng.uniform(0.05, 1.5))
        assert proc.poll() is None, _stderr(proc)  # it must still be storming when killed
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        reader.join(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert proc.returncode == -signal.SIGKILL
    return run


def _log(path: Path) -> tuple[list[str], dict[str, int]]:
    conn = sqlite3.connect(path)  # a normal connection: recovers the WAL like a restart
    try:
        rows = conn.execute("SELECT key, seq FROM events WHERE key IS NOT NULL").fetchall()
    finally:
        conn.close()
    return [k for k, _ in rows], {k: s for k, s in rows}


def _chain_from(path: Path, seq: int, prev: str) -> tuple[int, str]:
    """Check seq and hash chain of the rows after `seq` (cheap, every iteration)."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            f"SELECT {SELECT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq", (seq,)
        ).fetchall()
    finally:
        conn.close()
    for row in rows:
        record = Record.from_row(row)
        assert record.seq == seq + 1, f"seq gap after {seq}"
        assert record.prev_hash == prev, f"chain broken at {record.seq}"
        assert event_hash(prev, record.hashed_fields()) == record.hash, record.seq
        seq, prev = record.seq, record.hash
    return seq, prev


def _projections_equal_replay(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        engine = load_engine(conn)
        stored = dict(conn.execute("SELECT key, json FROM projections"))
    finally:
        conn.close()
    return stored == {k: canonical_json(engine.projection(k)) for k in engine.projection_keys()}


@pytest.mark.slow
@pytest.mark.timeout(max(300, ITERATIONS * 15))
def test_kill9_loses_no_acknowledged_bid(tmp_path: Path) -> None:
    seed = int(os.environ.get("AUCTIONMEN_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    path = tmp_path / "crash.db"
    asyncio.run(_prepare(path))
    total_acked = lost = phantom = replay_diffs = twice = 0
    checked, head = _chain_from(path, 0, GENESIS)
    for iteration in range(ITERATIONS):
        run = _kill_one(path, rng, control=False)
        keys, seq_of = _log(path)
        counts = Counter(keys)
        missing = [k for k in run.acked if k not in seq_of]
        wrong_seq = [k for k, s in run.acked.items() if k in seq_of and int(s) != seq_of[k]]
        epoch_prefix = f"e{iteration + 2}-"  # epoch 1 was the setup
        mine = [k for k in keys if k.startswith(epoch_prefix)]
        phantoms = [k for k in mine if k not in run.sent]
        total_acked += len(run.acked)
        lost += len(missing) + len(wrong_seq)
        phantom += len(phantoms)
        twice += sum(1 for c in counts.values() if c > 1)
        checked, head = _chain_from(path, checked, head)
        # The full check (integrity, replay == projections and views) is O(journal): run it
        # every few iterations and at the end.
        if iteration % 5 == 4 or iteration == ITERATIONS - 1:
            report = verify(path)
            replay_diffs += 0 if report.ok and _projections_equal_replay(path) else 1
            assert report.ok, (seed, iteration, report.lines())
        assert not missing, f"seed {seed} iteration {iteration}: acked but lost {missing[:5]}"
        assert not wrong_seq, f"seed {seed}: acked seq differs for {wrong_seq[:5]}"
        assert not phantoms, f"seed {seed}: in the log but never sent {phantoms[:5]}"
        assert twice == 0, f"seed {seed}: a key was journaled twice"

    # A clean restart after the last kill: new epoch, same state, and it takes bids.
    async def restart() -> None:
        before = load_engine(sqlite3.connect(path))
        async with Sequencer(path) as seq:
            assert seq.engine.snapshot(staff=True) == before.snapshot(staff=True)
            assert seq.epoch == ITERATIONS + 2
            answer = await seq.submit({"op": "pause", "message": "end"}, SYSTEM)
            assert answer.events[0].seq == before.seq + 1

    asyncio.run(restart())
    assert verify(path).ok
    assert total_acked > ITERATIONS  # the storm really ran
    print(
        f"\nF1 kill-9: {ITERATIONS} iterations, {total_acked} acked, {lost} lost, "
        f"{phantom} phantom, {replay_diffs} replay diffs (seed {seed})"
    )


def test_kill9_negative_control_ack_before_commit_loses_bids(tmp_path: Path) -> None:
    """The same harness catches a sequencer that acknowledges before COMMIT."""
    seed = int(os.environ.get("AUCTIONMEN_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    path = tmp_path / "control.db"
    asyncio.run(_prepare(path))
    lost = acked = iterations = 0
    while iterations < 10:  # bounded; one kill almost always suffices
        iterations += 1
        run = _kill_one(path, rng, control=True)
        _, seq_of = _log(path)
        acked += len(run.acked)
        lost += sum(1 for k in run.acked if k not in seq_of)
        if lost:
            break
    print(
        f"\nF1 control (ack before commit): {iterations} iterations, {acked} acked, "
        f"lost {lost} acknowledged bids, as expected (seed {seed})"
    )
    assert lost > 0, "the harness failed to catch acknowledge-before-commit"
    assert verify(path).ok  # the journal itself stays sound; only the promise was broken
