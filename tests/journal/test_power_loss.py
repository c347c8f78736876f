"""Power loss (reliability §1.2, issue 14): the journal over a disk that forgets unsynced writes.

kill -9 cannot tell WAL+FULL from WAL+NORMAL: the page cache survives a killed process. Here
the journal runs over `powerloss_vfs.PowerLossVFS`, which keeps each file's image as of its
last xSync and, at a random I/O call, cuts the power: every unsynced write is lost (or, in the
`torn` mode, survives whole, partly or not at all, out of order). Then the recovered files are
checked with the production reader.

What is the production path and what is not:

- PRODUCTION: `hub.journal.sequencer.Sequencer` and `hub.journal.db.open_writer` unchanged
  (the connection comes through their `connect` seam): the same pragmas (WAL,
  synchronous=FULL, foreign keys), migrations check, replay on start, epoch row,
  `BEGIN IMMEDIATE` ... `COMMIT` group commits, hash chain, append-only triggers, idempotency
  answers, the rollback/reload/pause path when a write fails. After each crash the files are
  checked by `hub.journal.verify.verify` (integrity, triggers, seq, chain, replay, projections)
  and reopened by a stdlib `Sequencer` (WAL recovery and replay by the production SQLite).
- NOT PRODUCTION: while the power is on, the SQL runs in APSW's bundled SQLite (3.5x; the
  stage's stdlib `sqlite3` links the system library), through `powerloss_vfs.ApswConnection`,
  a small sqlite3-shaped adapter (tuples, errors mapped to sqlite3's). The WAL index (-shm)
  and locks are a real file. Creating or deleting a file counts as durable at once.

Crashes: AUCTIONMEN_POWER_LOSS_CRASHES (default 200; the issue's bar is 1,000:
`AUCTIONMEN_POWER_LOSS_CRASHES=1000 pytest tests/journal/test_power_loss.py -s`). Seed:
AUCTIONMEN_POWER_LOSS_SEED. Run with -s for the summary lines.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import apsw
import pytest
from journal_helpers import FakeClock, bidder, must
from powerloss_vfs import MemFile, PowerLossVFS, connector

from hub.auction.events import SYSTEM, Actor
from hub.journal.db import JournalError
from hub.journal.sequencer import Sequencer
from hub.journal.verify import verify

CRASHES = int(os.environ.get("AUCTIONMEN_POWER_LOSS_CRASHES", "200"))
BIDDERS = [f"p{n}" for n in range(4)]
LOTS = 12
BIDS_PER_LOT = 8
ROUNDS = 12  # per run: the power goes at a uniformly random disk change within about one run
MAX_EVENTS = 150  # a fresh sale once the journal is this long: each check stays cheap
AUCTIONEER = Actor("auctioneer")  # opens lots and brings the hammer down


def _seed() -> int:
    return int(os.environ.get("AUCTIONMEN_POWER_LOSS_SEED", random.randrange(1 << 30)))


def _normal(sql: str) -> str:
    """The negative control's one change: the writer's synchronous pragma."""
    return "PRAGMA synchronous=NORMAL" if sql.strip() == "PRAGMA synchronous=FULL" else sql


@dataclass
class Tally:
    cycles: int = 0
    crashes: int = 0
    crashes_with_unsynced: int = 0  # the power went while the disk held unsynced writes
    journaled: int = 0  # answers acknowledged with events (accepted or refused bids)
    accepted: int = 0
    lost: list[str] = field(default_factory=list)
    phantoms: list[str] = field(default_factory=list)
    torn: int = 0
    in_stop: int = 0  # the power went during the clean stop (its checkpoint)

    def line(self, name: str, seed: int) -> str:
        return (
            f"{name}: {self.crashes} power cuts in {self.cycles} runs ({self.torn} torn, "
            f"{self.crashes_with_unsynced} with unsynced writes, {self.in_stop} in the closing "
            f"checkpoint), {self.journaled} acked "
            f"({self.accepted} accepted bids), {len(self.lost)} lost, "
            f"{len(self.phantoms)} phantom (seed {seed})"
        )


# Plain file helpers: small local files, so blocking calls inside the coroutines are fine.
def _remove(path: Path, *suffixes: str) -> None:
    for suffix in suffixes:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _exists(path: Path) -> bool:
    return path.exists()


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


async def _new_sale(path: Path) -> bytes:
    """A small live sale built by the production writer on the real disk; its file bytes."""
    _remove(path, "", "-wal", "-shm")
    async with Sequencer(path, clock=FakeClock()) as seq:
        await must(seq, {"op": "create_sale", "sale": {"id": "pl", "title": "power"}}, SYSTEM)
        for i in range(LOTS):
            await must(seq, {"op": "add_lot", "lot": {"id": f"L{i}", "start": 1000}}, SYSTEM)
        for paddle in BIDDERS:
            register = {"op": "register_bidder", "paddle": paddle, "channel": "online"}
            await must(seq, {**register, "status": "approved"}, SYSTEM)
        await must(seq, {"op": "go_live"}, SYSTEM)
    assert not _exists(Path(f"{path}-wal"))  # a clean stop checkpoints: one file holds it all
    return _read(path)


@dataclass
class Storm:
    """What the bidders were told, recorded as answers arrive (before any crash)."""

    prefix: str
    acked: dict[str, int] = field(default_factory=dict)  # key -> seq of its first event
    sent: set[str] = field(default_factory=set)
    accepted: int = 0


async def _storm(seq: Sequencer, storm: Storm, rng: random.Random, rounds: int) -> None:
    """Rounds of 1-3 concurrent bids (one group commit), a lot change now and then."""
    n = 0
    for _ in range(rounds):
        engine = seq.engine
        lot = engine.public_lot(engine.sale.current) if engine.sale.current else None
        if lot is None or lot["status"] not in ("open", "fair_warning"):
            nxt = engine.next_lot()
            if nxt is None:
                return
            answer = await seq.submit({"op": "open_lot", "lot": nxt}, AUCTIONEER)
            if not answer.ok:
                return  # the power went
            continue
        if lot["bids"] >= BIDS_PER_LOT:
            hammer = {"op": "hammer", "lot": lot["id"], "source": "key"}
            answer = await seq.submit(hammer, AUCTIONEER)
            if not answer.ok:
                return
            continue
        high = (lot.get("high") or {}).get("paddle")
        paddles = [p for p in BIDDERS if p != high]
        rng.shuffle(paddles)
        bids = []
        for i, paddle in enumerate(paddles[: rng.randint(1, 3)]):
            n += 1
            key = f"{storm.prefix}-{n}"
            command = {"op": "bid", "lot": lot["id"], "amount": lot["ask"] + 100 * i, "key": key}
            storm.sent.add(key)
            bids.append((key, seq.submit(command, bidder(paddle))))
        answers = await asyncio.gather(*(c for _, c in bids))
        for (key, _), answer in zip(bids, answers, strict=True):
            if answer.events:  # journaled: acknowledged only after its COMMIT
                storm.acked[key] = answer.events[0].seq
                storm.accepted += answer.ok
        if not seq.engine.sale.current or seq.status.state != "ok":
            return


class PowerLossRun:
    """Cycles: load the journal onto the simulated disk, storm, cut the power, check."""

    def __init__(self, base: Path, seed: int, rewrite: Callable[[str], str] | None) -> None:
        self.base = base
        self.rng = random.Random(seed)
        self.rewrite = rewrite
        self.vfs = PowerLossVFS()
        self.tally = Tally()
        self.budget: int | None = None  # disk changes in a run, learnt from ones that finished
        self.image = b""
        self.sync_levels: set[int] = set()

    def close(self) -> None:
        self.vfs.unregister()

    async def cycle(self) -> None:
        tally, rng, vfs = self.tally, self.rng, self.vfs
        n = tally.cycles
        tally.cycles += 1
        check = self.base / "check" / "journal.db"
        check.parent.mkdir(parents=True, exist_ok=True)
        if not self.image or self._events(check) > MAX_EVENTS:
            self.image = await _new_sale(check)
        scratch = self.base / f"disk{n}"
        scratch.mkdir()
        path = scratch / "journal.db"
        path.touch()  # the placeholder the real VFS locks (and hangs the -shm on)
        vfs.files.clear()
        vfs.load(path, self.image)
        vfs.powered, vfs.io_calls = True, 0
        # The first run finishes (it measures a run); then a cut at any change within ~one run.
        vfs.crash_at = None if self.budget is None else rng.randint(1, self.budget)
        storm = Storm(prefix=f"c{n}")
        connect = connector(vfs, self.rewrite)
        seq = Sequencer(path, clock=FakeClock(), probe_interval=3600, connect=connect)
        started = False
        try:
            await seq.start()
            started = True
            level = seq.db.conn.execute("PRAGMA synchronous").fetchone()
            mode = seq.db.conn.execute("PRAGMA journal_mode").fetchone()
            if level is not None and mode is not None:
                assert mode[0] == "wal"
                self.sync_levels.add(int(level[0]))
            await _storm(seq, storm, rng, rounds=ROUNDS)
        except (JournalError, sqlite3.Error):
            assert not vfs.powered, "a journal error without a power cut"
        finally:
            if started:
                powered = vfs.powered
                await seq.stop()  # after a cut: answers the queue, closes (nothing reaches disk)
                tally.in_stop += powered and not vfs.powered
        crashed = not vfs.powered
        if not crashed:
            self.budget = max(self.budget or 0, int(vfs.io_calls * 1.1))
        unsynced = any(f.unsynced for f in vfs.files.values())
        how = "torn" if rng.random() < 0.5 else "lose_all"
        images = vfs.crash(rng, how)
        if crashed:
            tally.crashes += 1
            tally.crashes_with_unsynced += unsynced
            tally.torn += how == "torn"
        for name, data in images.items():
            _write(Path(str(check) + name.removeprefix(str(path))), data)
        tally.journaled += len(storm.acked)
        tally.accepted += storm.accepted
        await self._check(check, storm)
        _remove(check, "-wal", "-shm")
        self.image = _read(check)
        shutil.rmtree(scratch)

    async def _check(self, check: Path, storm: Storm) -> None:
        """The production reader on what the disk kept: verify, then restart and compare."""
        report = verify(check)
        assert report.ok, report.lines()
        async with Sequencer(check, clock=FakeClock()) as seq:  # recovery + replay, stdlib
            assert seq.last_seq == report.events
            rows = seq.db.conn.execute(
                "SELECT key, MIN(seq) FROM events WHERE key LIKE ? GROUP BY key",
                (f"{storm.prefix}-%",),
            ).fetchall()
        logged = {k: s for k, s in rows}
        self.tally.lost += [k for k, s in storm.acked.items() if logged.get(k) != s]
        self.tally.phantoms += [k for k in logged if k not in storm.sent]

    @staticmethod
    def _events(path: Path) -> int:
        if not path.exists():
            return 0
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        finally:
            conn.close()


async def _run(base: Path, seed: int, crashes: int, rewrite: Any, stop_on_loss: bool) -> Tally:
    run = PowerLossRun(base, seed, rewrite)
    try:
        while run.tally.crashes < crashes and run.tally.cycles < crashes * 2 + 20:
            await run.cycle()
            if stop_on_loss and run.tally.lost:
                break
        assert run.sync_levels == ({1} if rewrite else {2}), run.sync_levels
    finally:
        run.close()
    return run.tally


@pytest.fixture
def base(tmp_path: Path) -> Iterator[Path]:
    """A scratch folder in RAM where there is one: the checks' real fsyncs cost nothing there."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="powerloss-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.timeout(max(120, CRASHES))
def test_power_loss_loses_no_acknowledged_bid_with_synchronous_full(base: Path) -> None:
    seed = _seed()
    tally = asyncio.run(_run(base, seed, CRASHES, None, stop_on_loss=False))
    print("\n" + tally.line("Power loss, WAL + synchronous=FULL", seed))
    assert not tally.lost, f"seed {seed}: acknowledged but lost {tally.lost[:5]}"
    assert not tally.phantoms, f"seed {seed}: journaled but never sent {tally.phantoms[:5]}"
    assert tally.crashes == CRASHES
    # The storm really ran and the power really went with work in flight.
    assert tally.accepted > CRASHES
    assert tally.crashes_with_unsynced > CRASHES // 4
    assert tally.torn > 0


def test_power_loss_control_synchronous_normal_loses_acknowledged_bids(base: Path) -> None:
    """The same harness, the pragma turned down to NORMAL: acknowledged bids must go missing.

    WAL + NORMAL syncs the WAL only at checkpoints, so a commit is acknowledged from the page
    cache. If this stops failing, the VFS stopped simulating power loss.
    """
    seed = _seed()
    tally = asyncio.run(_run(base, seed, 60, _normal, stop_on_loss=True))
    print("\n" + tally.line("Power loss control, WAL + synchronous=NORMAL", seed) + ", as expected")
    assert tally.lost, f"seed {seed}: NORMAL lost nothing in {tally.crashes} power cuts"
    assert not tally.phantoms


def test_vfs_keeps_synced_writes_and_drops_unsynced_ones() -> None:
    """The simulated disk itself: what a sync makes durable, what a cut takes away."""
    rng = random.Random(7)
    f = MemFile()
    f.write(b"a" * 1024, 0)
    f.sync()
    f.write(b"b" * 1024, 0)
    f.write(b"c" * 512, 1024)
    assert f.after_power_loss(rng, "lose_all") == b"a" * 1024
    kept = {f.after_power_loss(random.Random(s), "torn") for s in range(200)}
    assert b"a" * 1024 in kept  # nothing reached the disk
    assert b"b" * 1024 + b"c" * 512 in kept  # everything did
    assert b"b" * 512 + b"a" * 512 in kept  # torn: the first sector of the rewrite only
    assert b"a" * 1024 + b"c" * 512 in kept  # out of order: the later write only
    f.sync()
    assert f.after_power_loss(rng, "lose_all") == b"b" * 1024 + b"c" * 512


def test_vfs_fails_every_call_once_the_power_is_cut(tmp_path: Path) -> None:
    vfs = PowerLossVFS()
    try:
        conn = connector(vfs)(tmp_path / "x.db")
        conn.execute("CREATE TABLE t (x)")
        vfs.crash_at = vfs.io_calls + 1
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("SELECT * FROM t").fetchall()
        conn.close()
        assert isinstance(vfs.files[str(tmp_path / "x.db")], MemFile)
        with pytest.raises(apsw.IOError):
            vfs.io()
    finally:
        vfs.unregister()
