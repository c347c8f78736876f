"""A gavel on a real pty hammers the lot through the sequencer, once, and only when armed.

The link's source reads a settable clock (`GavelTiming`), so debounce windows are crossed by
advancing it, and "nothing else happened" is proved by a marker: frames are read in order, so
once the link has seen a heartbeat written after the strikes, it has seen every strike.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hardware.simulated import SimulatedGavel
from hub.auction.events import Actor
from hub.config import StageConfig
from hub.gavel import Block, EngineSale, GavelLink, GavelStatus, GavelTiming
from hub.stage import Stage

CLERK = Actor("clerk", roles=("clerk", "auctioneer"))


class SettableClock:
    """Monotonic seconds that move only when told (read from the source's reader thread)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._t = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._t

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += seconds


@pytest.fixture
async def gavel_stage(
    tmp_path: Path,
) -> AsyncIterator[tuple[Stage, SimulatedGavel, SettableClock]]:
    device = SimulatedGavel()
    device.start_heartbeats(0.1)  # the port opens in a thread: keep saying we are here
    stage = Stage(StageConfig(data_dir=tmp_path, port=0, demo=True))
    await stage.start()
    clock = SettableClock()
    try:
        # What Stage.start does for a configured gavel, with the clock injected.
        stage.gavel = GavelLink(
            EngineSale(lambda: stage.engine, stage.submit),
            f"serial:{device.port}",
            timing=GavelTiming(clock=clock),
        )
        await _until(lambda: stage.gavel.status.connected, "the gavel to connect")
        device.stop_heartbeats()  # the settable clock never times a silent gavel out
        yield stage, device, clock
    finally:
        await stage.stop()
        device.close()


async def _until(predicate, what: str, limit: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def _read_all(link: GavelLink, device: SimulatedGavel) -> None:
    """Return once the link has handled everything the device wrote so far (and its hammers)."""
    device.heartbeat()
    marker = device.seq
    await _until(lambda: link.heartbeat_seq == marker, "the marker heartbeat")
    await link.settled()


async def test_ten_strikes_within_50ms_hammer_once(gavel_stage):
    stage, device, clock = gavel_stage
    link = stage.gavel
    sold = []
    stage.add_listener(lambda records: sold.extend(r for r in records if r.type == "lot_sold"))
    # Lot 6 has no reserve: one floor bid is enough to sell it.
    assert (await stage.submit({"op": "open_lot", "lot": "6"}, CLERK)).ok
    assert (await stage.submit({"op": "floor_bid", "lot": "6", "paddle": "101"}, CLERK)).ok
    for _ in range(10):
        device.strike()
        clock.advance(0.004)  # ten knocks within 40 ms on the source's clock
    await _read_all(link, device)
    assert len(sold) == 1
    assert sold[0].data["hammer"]["source"] == "gavel"
    assert (link.status.strikes, link.status.hammers) == (1, 1)
    assert link.status.last_decision == "hammered"


async def test_strike_without_a_bid_does_not_hammer(gavel_stage):
    stage, device, _ = gavel_stage
    assert (await stage.submit({"op": "open_lot", "lot": "1"}, CLERK)).ok
    device.strike()
    await _until(lambda: stage.gavel.status.strikes == 1, "the strike")
    assert stage.gavel.status.last_outcome == "no_bid"
    assert stage.engine.lots["1"].status == "open"


async def test_garbage_on_the_line_never_hammers(gavel_stage):
    stage, device, _ = gavel_stage
    assert (await stage.submit({"op": "open_lot", "lot": "1"}, CLERK)).ok
    assert (await stage.submit({"op": "floor_bid", "lot": "1", "paddle": "101"}, CLERK)).ok
    device.write(bytes(range(256)) * 4 + b"STRIKE\n\x00\xff" * 50)
    await _read_all(stage.gavel, device)
    assert stage.gavel.status.strikes == 0
    assert stage.engine.lots["1"].status == "open"


async def test_swap_the_gavel_at_run_time_and_test_mode_strikes_nothing(gavel_stage):
    stage, _, clock = gavel_stage
    seen = []
    assert stage.gavel is not None
    stage.gavel.add_listener(lambda status: seen.append(status.last_outcome))
    second = SimulatedGavel()
    second.start_heartbeats(0.1)
    try:
        link = await stage.set_gavel(f"serial:{second.port}", test_mode=True)
        assert link is stage.gavel
        assert link.timing.clock is clock  # the swap keeps the injected time
        await _until(lambda: link.status.connected, "the new gavel to connect")
        assert (await stage.submit({"op": "open_lot", "lot": "6"}, CLERK)).ok
        assert (await stage.submit({"op": "floor_bid", "lot": "6", "paddle": "101"}, CLERK)).ok
        second.strike()
        await _until(lambda: link.status.strikes == 1, "the test strike")
        assert link.status.last_outcome == "test_mode"
        assert stage.engine.lots["6"].status == "open"
        assert "test_mode" in seen  # listeners moved to the new gavel
        assert link.set_test_mode(False).test_mode is False
        clock.advance(0.3)  # past the double-strike window (0.25 s)
        second.strike()
        await _until(lambda: stage.engine.lots["6"].status == "sold", "the real strike")
        assert await stage.set_gavel("none") is None
    finally:
        second.close()


class OneLot:
    """A `GavelSale` without a stage: one lot, its state set by the test."""

    def __init__(self, status: str, has_bid: bool) -> None:
        self.block = Block("7", status, has_bid)
        self.submitted: list[dict] = []

    def on_the_block(self) -> Block:
        return self.block

    async def submit(self, command, actor):
        self.submitted.append(command)
        self.block = Block("7", "sold", True)

        class Answer:
            ok, reason = True, None

        return Answer()


async def test_the_link_decides_with_the_time_it_is_given():
    """A keyboard pedal, so no thread at all: taps at exact times, exact outcomes."""
    clock = SettableClock()
    sale = OneLot("open", has_bid=False)
    statuses: list[GavelStatus] = []
    link = GavelLink(sale, "keyboard:F12", timing=GavelTiming(clock=clock, wall=lambda: 42.0))
    link.add_listener(statuses.append)
    try:
        link.press()
        await asyncio.sleep(0)  # delivery is call_soon: one loop turn
        assert (link.status.strikes, link.status.last_outcome) == (1, "no_bid")
        assert link.status.last_strike_at == 42.0
        sale.block = Block("7", "open", True)
        for _ in range(5):
            clock.advance(0.1)  # within the 0.25 s window of the press before: one chain
            link.press()
        await asyncio.sleep(0)
        assert link.status.strikes == 1
        clock.advance(0.3)  # a new knock
        link.press()
        await asyncio.sleep(0)
        await link.settled()
        assert [c["op"] for c in sale.submitted] == ["hammer"]
        assert (link.status.strikes, link.status.hammers) == (2, 1)
        assert statuses[-1] == link.status
        assert statuses[-1].to_json()["last_decision"] == "hammered"
    finally:
        await link.close()
