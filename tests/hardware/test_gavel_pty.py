"""The serial source on real pseudo-terminal pairs: no mocked port anywhere.

Negative checks ("nothing struck") always end with a *sentinel* frame and wait for it, so
they assert on everything the reader had processed, never on a sleep.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from gavel_testkit import FAST, FAST_BACKOFF, Collector

from hardware import DebounceConfig, decide_strike, open_source
from hardware.events import Connected, Disconnected, Heartbeat, Strike, Stuck, Unstuck
from hardware.protocol import encode_heartbeat, encode_strike
from hardware.serial_source import SerialGavelSource, open_serial
from hardware.simulated import SimulatedGavel
from hardware.source import BaseSource

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pty pairs are POSIX")


@pytest.fixture
def gavel(tmp_path: Path):
    g = SimulatedGavel(link=tmp_path / "gavel", device_id=7)
    yield g
    g.close()


OpenFn = Callable[..., BaseSource]


@pytest.fixture
def open_src(collector: Collector, sources: list[BaseSource]) -> OpenFn:
    def _open(spec: str, **kw: object) -> BaseSource:
        kw.setdefault("config", FAST)
        kw.setdefault("backoff", FAST_BACKOFF)
        src = open_source(spec, asyncio.get_running_loop(), collector, **kw)  # type: ignore[arg-type]
        sources.append(src)
        return src

    return _open


async def sentinel(gavel: SimulatedGavel, collector: Collector) -> None:
    """Send a heartbeat and wait until the source has delivered it."""
    frame = gavel.heartbeat_frame()
    seq = gavel.seq
    gavel.write(frame)
    await collector.wait_for(Heartbeat, lambda e: e.seq == seq)


async def connect(gavel: SimulatedGavel, collector: Collector) -> None:
    """Beat until the source has heard us (the port open flushes anything sent before it)."""
    mark = collector.mark()
    gavel.start_heartbeats(0.02)
    await collector.wait_for(Connected, start=mark)
    gavel.stop_heartbeats()


async def test_strike_is_delivered_on_the_loop_thread(gavel, open_src, collector) -> None:
    open_src(f"serial:{gavel.port}")
    await connect(gavel, collector)
    gavel.strike()
    s = await collector.wait_for(Strike)
    assert (s.device_id, s.seq, s.test, s.source) == (7, gavel.seq, False, f"serial:{gavel.port}")
    assert collector.thread_ids == {threading.get_ident()}


async def test_ten_strikes_in_one_burst_hammer_once(gavel, open_src, collector) -> None:
    open_src(f"serial:{gavel.port}")
    await connect(gavel, collector)
    gavel.write(b"".join(gavel.strike_frame() for _ in range(10)))
    await sentinel(gavel, collector)
    strikes = collector.of(Strike)
    assert len(strikes) == 1
    hammers = [s for s in strikes if decide_strike("fair_warning", True, "bid").hammer]
    assert len(hammers) == 1


async def test_ten_strikes_written_over_50ms_are_one_strike(gavel, open_src, collector) -> None:
    # a 2 s refractory: the writes take ~50 ms; even a badly stalled CI box stays inside it
    open_src(f"serial:{gavel.port}", config=DebounceConfig(refractory_s=2.0, release_quiet_s=2.0))
    await connect(gavel, collector)

    def bounce() -> None:
        for _ in range(10):
            gavel.strike()
            threading.Event().wait(0.005)

    await asyncio.to_thread(bounce)
    await sentinel(gavel, collector)
    assert len(collector.of(Strike)) == 1


async def test_random_noise_never_strikes(gavel, open_src, collector) -> None:
    src = open_src(f"serial:{gavel.port}")
    await connect(gavel, collector)
    rng = random.Random(20260101)
    for _ in range(8):
        gavel.write(rng.randbytes(1024))
    # protocol-looking noise: every strike frame with one bit flipped
    good = gavel.strike_frame()
    for i in range(len(good)):
        bad = bytearray(good)
        bad[i] ^= 0x10
        gavel.write(bytes(bad))
    await sentinel(gavel, collector)
    assert collector.of(Strike) == []
    assert isinstance(src, SerialGavelSource)
    assert src.decoder.parser.stats.garbage_bytes >= 8 * 1024  # type: ignore[attr-defined]


async def test_same_seq_twice_is_one_strike(gavel, open_src, collector) -> None:
    open_src(f"serial:{gavel.port}")
    await connect(gavel, collector)
    frame = gavel.strike_frame()
    first = gavel.seq
    gavel.write(frame)
    await collector.wait_for(Strike)
    await asyncio.sleep(FAST.refractory_s * 2)  # past the refractory: only the seq dedupe helps
    gavel.write(frame)
    gavel.strike()  # a new seq does strike
    second = gavel.seq
    await collector.wait_for(Strike, lambda e: e.seq == second)
    await sentinel(gavel, collector)
    assert [s.seq for s in collector.of(Strike)] == [first, second]


async def test_oversized_frame_is_dropped(gavel, open_src, collector) -> None:
    open_src(f"serial:{gavel.port}")
    await connect(gavel, collector)
    # a strike header claiming 200 payload bytes: rejected at the header, never buffered
    gavel.write(bytes([0xA5, 0x03, 0, 7, 0, 99, 200]) + bytes(200) + b"\x00\x00\x5a")
    await sentinel(gavel, collector)
    assert collector.of(Strike) == []


async def test_hang_up_then_replug_same_path_reconnects(gavel, open_src, collector) -> None:
    src = open_src(f"serial:{gavel.port}")
    await connect(gavel, collector)
    gavel.strike()
    await collector.wait_for(Strike)
    mark = collector.mark()
    gavel.write(gavel.strike_frame()[:6])  # hang up in the middle of a frame
    gavel.unplug()
    lost = await collector.wait_for(Disconnected, start=mark)
    assert "lost" in lost.reason
    assert not src.connected
    # the port is gone: reopen attempts fail and are reported once, while backing off
    gone = await collector.wait_for(Disconnected, lambda e: "cannot open" in e.reason, start=mark)
    assert str(gavel.port) in gone.reason
    gavel.plug()  # same /dev/serial/by-id-like path, new tty behind it
    mark = collector.mark()
    await connect(gavel, collector)
    gavel.strike()  # seq restarted at 1 after the replug: still a new strike
    s = await collector.wait_for(Strike, start=mark)
    assert s.seq == gavel.seq
    assert src.connected
    assert src.reconnects >= 1
    # the half frame before the hang-up never turned into anything
    assert len(collector.of(Strike)) == 2


async def test_replug_to_a_new_pty_path_via_second_source(tmp_path, open_src, collector) -> None:
    """A device that comes back under a different name (no stable link): the app reopens
    with the new spec; the old source keeps retrying the dead path until closed."""
    with SimulatedGavel(device_id=1) as first:
        old = open_src(f"serial:{first.port}")
        await connect(first, collector)
        first.unplug()
        await collector.wait_for(Disconnected)
    with SimulatedGavel(device_id=2) as second:
        await old.aclose()
        mark = collector.mark()
        open_src(f"serial:{second.port}")
        await connect(second, collector)
        second.strike()
        s = await collector.wait_for(Strike, start=mark)
        assert s.device_id == 2


async def test_heartbeat_timeout_disconnects_and_recovers(gavel, open_src, collector) -> None:
    src = open_src(f"serial:{gavel.port}")
    gavel.start_heartbeats(0.02)
    await collector.wait_for(Connected)
    mark = collector.mark()
    gavel.stop_heartbeats()  # the device hangs; the port stays open
    d = await collector.wait_for(Disconnected, start=mark)
    assert "heartbeat" in d.reason
    assert not src.connected
    mark = collector.mark()
    await connect(gavel, collector)
    assert src.connected
    assert collector.of(Connected, mark)


async def test_stuck_switch_then_release(gavel, open_src, collector) -> None:
    open_src(f"serial:{gavel.port}")
    await connect(gavel, collector)
    gavel.press()  # make, and no break
    await collector.wait_for(Strike)
    gavel.start_heartbeats(0.02)  # heartbeats say "held"
    stuck = await collector.wait_for(Stuck)
    assert "held" in stuck.reason
    gavel.strike()  # ignored: the contact never opened
    await sentinel(gavel, collector)
    gavel.stop_heartbeats()
    assert len(collector.of(Strike)) == 1
    gavel.release()
    await collector.wait_for(Unstuck)
    await asyncio.sleep(FAST.refractory_s * 2)
    gavel.strike()
    await collector.wait_for(Strike, lambda e: e.seq == gavel.seq)


async def test_simple_device_line_mode(gavel, open_src, collector) -> None:
    src = open_src(f"serial:{gavel.port},mode=line")
    await collector.wait_for(Connected)  # simple devices: connected = port open
    await asyncio.sleep(0.1)  # let the open's input flush pass before writing
    gavel.write(b"GAVEL\r\n" * 3)  # three lines at once: one strike
    await collector.wait_for(Strike)
    await asyncio.sleep(FAST.refractory_s * 2)
    gavel.write(b"no line end yet")
    await asyncio.sleep(FAST.refractory_s * 2)
    assert len(collector.of(Strike)) == 1
    gavel.write(b"\n")
    await collector.wait_for(Strike, start=collector.mark() - 0)
    await asyncio.sleep(0)
    strikes = collector.of(Strike)
    assert [s.device_id for s in strikes] == [None, None]
    assert src.connected


async def test_simple_device_byte_mode_chatter_goes_stuck(gavel, open_src, collector) -> None:
    open_src(f"serial:{gavel.port},mode=byte")
    await collector.wait_for(Connected)
    await asyncio.sleep(0.1)
    stop = threading.Event()

    def chatter() -> None:  # a jammed key repeating every 10 ms until we see Stuck
        while not stop.wait(0.01):
            gavel.write(b"k", timeout=0)

    t = threading.Thread(target=chatter)
    t.start()
    try:
        stuck_ev = await collector.wait_for(Stuck)
    finally:
        stop.set()
        await asyncio.to_thread(t.join)
    await collector.wait_for(Unstuck)  # quiet → released
    i = collector.events.index(stuck_ev)
    assert collector.of(Strike, i) == []  # nothing struck while stuck


async def test_test_mode_marks_strikes(gavel, open_src, collector) -> None:
    src = open_src(f"serial:{gavel.port}", test_mode=True)
    await connect(gavel, collector)
    gavel.strike()
    s = await collector.wait_for(Strike)
    assert s.test is True
    assert not decide_strike("fair_warning", True, "bid", test=s.test).hammer
    src.test_mode = False  # the settings page flips it live
    await asyncio.sleep(FAST.refractory_s * 2)
    gavel.strike()
    s2 = await collector.wait_for(Strike, lambda e: e.seq == gavel.seq)
    assert s2.test is False


async def test_second_reader_is_refused_exclusive(gavel, open_src, collector) -> None:
    other = open_serial(gavel.port)  # someone else holds the port
    try:
        src = open_src(f"serial:{gavel.port}")
        d = await collector.wait_for(Disconnected)
        assert "cannot open" in d.reason
        assert "lock" in d.reason.lower()
    finally:
        other.close()
    await connect(gavel, collector)  # released: the backoff loop gets it
    assert src.connected


async def test_loop_url(open_src, collector) -> None:
    src = open_src("loop://")
    assert isinstance(src, SerialGavelSource)
    async with asyncio.timeout(5):
        while not src.write(encode_heartbeat(3, 1)):  # noqa: ASYNC110 (polling a port open)
            await asyncio.sleep(0.01)
    await collector.wait_for(Connected)
    src.write(encode_strike(3, 2))
    s = await collector.wait_for(Strike)
    assert (s.device_id, s.seq, s.source) == (3, 2, "serial:loop://")


async def test_pty_spec_simulated_device(open_src, collector) -> None:
    src = open_src("pty")
    device = src.device
    device.stop_heartbeats()
    device.start_heartbeats(0.02)
    await collector.wait_for(Connected)
    device.strike()
    await collector.wait_for(Strike)


@pytest.mark.skipif(shutil.which("socat") is None, reason="needs socat")
async def test_socat_pair_hang_up_and_replug(tmp_path, open_src, collector) -> None:
    dev_end, app_end = tmp_path / "dev", tmp_path / "app"
    cmd = [
        "socat",
        f"pty,raw,echo=0,link={dev_end}",
        f"pty,raw,echo=0,link={app_end}",
    ]

    async def start_socat() -> asyncio.subprocess.Process:
        p = await asyncio.create_subprocess_exec(
            *cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        async with asyncio.timeout(5):
            while not (dev_end.exists() and app_end.exists()):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        return p

    async def beat_until(kind: type, start: int) -> None:
        dev = open_serial(str(dev_end))
        try:
            seq = 0
            async with asyncio.timeout(10):
                while not collector.of(kind, start):
                    seq += 1
                    dev.write(encode_heartbeat(5, seq))
                    await asyncio.sleep(0.02)
            dev.write(encode_strike(5, seq + 1))
            await collector.wait_for(Strike, lambda e: e.seq == seq + 1, start=start)
        finally:
            dev.close()

    proc = await start_socat()
    try:
        open_src(f"serial:{app_end}")
        await beat_until(Connected, 0)
        mark = collector.mark()
        proc.send_signal(signal.SIGTERM)  # the cable is pulled
        await proc.wait()
        await collector.wait_for(Disconnected, start=mark)
        mark = collector.mark()
        proc = await start_socat()  # plugged back in: same links, new ttys
        await beat_until(Connected, mark)
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()
    assert len(collector.of(Strike)) == 2


def test_simulated_gavel_never_blocks_when_nobody_reads(tmp_path) -> None:
    with SimulatedGavel(link=tmp_path / "g") as g:
        total = sum(g.write(b"x" * 4096, timeout=0) for _ in range(64))
        assert total < 64 * 4096
        assert g.dropped > 0
        g.unplug()
        assert g.write(b"x") == 0
        assert not os.path.lexists(tmp_path / "g")
