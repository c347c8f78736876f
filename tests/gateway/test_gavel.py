"""A gavel on a real pty hammers the lot through the sequencer, once, and only when armed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hardware.simulated import SimulatedGavel
from hub.auction.events import Actor
from hub.config import StageConfig
from hub.stage import Stage

CLERK = Actor("clerk")


@pytest.fixture
async def gavel_stage(tmp_path: Path) -> AsyncIterator[tuple[Stage, SimulatedGavel]]:
    device = SimulatedGavel()
    device.start_heartbeats(0.1)  # the port opens in a thread: keep saying we are here
    stage = Stage(StageConfig(data_dir=tmp_path, port=0, demo=True,
                              gavel=f"serial:{device.port}"))
    await stage.start()
    try:
        yield stage, device
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


async def test_ten_strikes_within_50ms_hammer_once(gavel_stage):
    stage, device = gavel_stage
    assert stage.gavel is not None
    await _until(lambda: stage.gavel.status.connected, "the gavel to connect")
    sold = []
    stage.add_listener(lambda records: sold.extend(r for r in records if r.type == "lot_sold"))
    # Lot 6 has no reserve: one floor bid is enough to sell it.
    assert (await stage.submit({"op": "open_lot", "lot": "6"}, CLERK)).ok
    assert (await stage.submit({"op": "floor_bid", "lot": "6", "paddle": "101"}, CLERK)).ok
    for _ in range(10):
        device.strike()
        await asyncio.sleep(0.004)
    await _until(lambda: sold, "the lot to be sold")
    await asyncio.sleep(0.3)  # any second hammer would have landed by now
    assert len(sold) == 1
    assert sold[0].data["hammer"]["source"] == "gavel"
    assert stage.gavel.status.hammers == 1


async def test_strike_without_a_bid_does_not_hammer(gavel_stage):
    stage, device = gavel_stage
    await _until(lambda: stage.gavel.status.connected, "the gavel to connect")
    assert (await stage.submit({"op": "open_lot", "lot": "1"}, CLERK)).ok
    device.strike()
    await _until(lambda: stage.gavel.status.strikes == 1, "the strike")
    assert stage.gavel.status.last_outcome == "no_bid"
    assert stage.engine.lots["1"].status == "open"


async def test_garbage_on_the_line_never_hammers(gavel_stage):
    stage, device = gavel_stage
    await _until(lambda: stage.gavel.status.connected, "the gavel to connect")
    assert (await stage.submit({"op": "open_lot", "lot": "1"}, CLERK)).ok
    assert (await stage.submit({"op": "floor_bid", "lot": "1", "paddle": "101"}, CLERK)).ok
    device.write(bytes(range(256)) * 4 + b"STRIKE\n\x00\xff" * 50)
    await asyncio.sleep(0.3)
    assert stage.gavel.status.strikes == 0
    assert stage.engine.lots["1"].status == "open"


async def test_swap_the_gavel_at_run_time_and_test_mode_strikes_nothing(gavel_stage):
    stage, _ = gavel_stage
    seen = []
    assert stage.gavel is not None
    stage.gavel.add_listener(lambda status: seen.append(status.last_outcome))
    second = SimulatedGavel()
    second.start_heartbeats(0.1)
    try:
        link = await stage.set_gavel(f"serial:{second.port}", test_mode=True)
        assert link is stage.gavel
        await _until(lambda: link.status.connected, "the new gavel to connect")
        assert (await stage.submit({"op": "open_lot", "lot": "6"}, CLERK)).ok
        assert (await stage.submit({"op": "floor_bid", "lot": "6", "paddle": "101"}, CLERK)).ok
        second.strike()
        await _until(lambda: link.status.strikes == 1, "the test strike")
        assert link.status.last_outcome == "test_mode"
        assert stage.engine.lots["6"].status == "open"
        assert "test_mode" in seen  # listeners moved to the new gavel
        link.set_test_mode(False)
        await asyncio.sleep(0.3)  # past the double-strike window
        second.strike()
        await _until(lambda: stage.engine.lots["6"].status == "sold", "the real strike")
        assert await stage.set_gavel("none") is None
    finally:
        second.close()
