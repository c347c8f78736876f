"""Keyboard, HID and null sources, the spec factory, port listing and the demo CLI."""

from __future__ import annotations

import asyncio
import queue
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest
from gavel_testkit import FAST, FAST_BACKOFF, Collector

import hardware
from hardware import GavelSource, open_source
from hardware.events import Connected, Disconnected, Strike, Stuck, Unstuck
from hardware.hid_source import HidGavelSource, HidUnavailable, parse_vid_pid
from hardware.keyboard_source import KeyboardGavelSource
from hardware.source import BaseSource, NullSource

ROOT = Path(__file__).resolve().parents[2]


async def test_keyboard_press_from_another_thread_strikes_on_the_loop(
    collector: Collector, sources: list[BaseSource]
) -> None:
    src = open_source("keyboard:F13", asyncio.get_running_loop(), collector, config=FAST)
    sources.append(src)
    assert isinstance(src, KeyboardGavelSource)
    assert src.key == "F13"
    assert isinstance(src, GavelSource)
    await collector.wait_for(Connected)
    t = threading.Thread(target=src.press)  # the Qt thread
    t.start()
    await asyncio.to_thread(t.join)
    s = await collector.wait_for(Strike)
    assert s.source == "keyboard:F13"
    assert collector.thread_ids == {threading.get_ident()}


async def test_keyboard_bounce_and_autorepeat_stuck(sources: list[BaseSource]) -> None:
    now = [100.0]
    col = Collector()
    src = KeyboardGavelSource(
        asyncio.get_running_loop(), col, "F12", config=FAST, clock=lambda: now[0]
    )
    sources.append(src)
    src.start()
    for i in range(10):  # a bouncy pedal: 10 presses within 50 ms
        src.press(100.0 + i * 0.005)
        src.release(100.002 + i * 0.005)
    await asyncio.sleep(0)
    await col.wait_for(Strike)
    src.press(101.0)  # held: auto-repeat follows, never strikes
    for i in range(5):
        src.press(101.05 + i * 0.05, autorepeat=True)
        src.release(101.06 + i * 0.05, autorepeat=True)  # ignored
    now[0] = 101.0 + FAST.stuck_hold_s + 0.01  # the periodic tick sees the hold
    await col.wait_for(Stuck)
    src.release(102.0)
    await col.wait_for(Unstuck)
    assert len(col.of(Strike)) == 2


async def test_keyboard_shortcut_taps_stream_goes_stuck(sources: list[BaseSource]) -> None:
    col = Collector()
    src = KeyboardGavelSource(asyncio.get_running_loop(), col, config=FAST)
    sources.append(src)
    src.start()
    for i in range(20):  # QShortcut auto-repeat activations every 30 ms for 0.6 s
        src.tap(50.0 + i * 0.03)
    await col.wait_for(Stuck)
    assert len(col.of(Strike)) == 1


async def test_async_callback_and_failing_callback(sources: list[BaseSource]) -> None:
    got: list[object] = []
    calls = 0

    async def on_event(ev: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("consumer bug")  # logged, must not silence the gavel
        got.append(ev)

    src = KeyboardGavelSource(asyncio.get_running_loop(), on_event, config=FAST)
    sources.append(src)
    src.start()
    src.press(1.0)
    async with asyncio.timeout(5):
        while not any(isinstance(e, Strike) for e in got):  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def test_sync_callback_exception_is_contained() -> None:
    loop = asyncio.new_event_loop()
    try:
        seen: list[object] = []

        def boom(ev: object) -> None:
            seen.append(ev)
            raise ValueError("x")

        src = NullSource("none", loop, boom)
        src._deliver([Strike(1.0, "none"), Strike(2.0, "none")])
        assert len(seen) == 2
        assert src.last_strike == Strike(2.0, "none")
    finally:
        loop.close()


async def test_null_source(collector: Collector) -> None:
    src = open_source("none", asyncio.get_running_loop(), collector)
    assert isinstance(src, NullSource)
    assert src.status == "no gavel configured"
    assert not src.connected
    await src.aclose()
    assert collector.events == []


@pytest.mark.parametrize(
    "spec",
    [
        "bogus",
        "serial:",
        "serial:/dev/ttyACM0,mode=weird",
        "serial:/dev/ttyACM0,speed=9",
        "serial:/dev/ttyACM0,mode",
        "hid:zz",
        "hid:12345:1",
        "pty,baud=1",
    ],
)
def test_bad_specs_are_rejected(spec: str) -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(ValueError):
            open_source(spec, loop, lambda e: None, start=False)
    finally:
        loop.close()


@pytest.mark.parametrize(
    ("spec", "port", "mode", "baud", "name"),
    [
        ("serial:/dev/ttyACM0", "/dev/ttyACM0", "frame", 115200, "serial:/dev/ttyACM0"),
        ("/dev/ttyUSB1", "/dev/ttyUSB1", "frame", 115200, "serial:/dev/ttyUSB1"),
        ("COM7,mode=byte", "COM7", "byte", 115200, "serial:COM7"),
        ("serial:/dev/x,mode=line,baud=9600", "/dev/x", "line", 9600, "serial:/dev/x"),
        ("loop://", "loop://", "frame", 115200, "serial:loop://"),
        ("spy:///dev/ttyACM0", "spy:///dev/ttyACM0", "frame", 115200, "serial:spy:///dev/ttyACM0"),
    ],
)
def test_serial_specs(spec: str, port: str, mode: str, baud: int, name: str) -> None:
    from hardware.serial_source import SerialGavelSource

    loop = asyncio.new_event_loop()
    try:
        src = open_source(spec, loop, lambda e: None, start=False)
        assert isinstance(src, SerialGavelSource)
        assert (src.port, src.mode, src.baudrate, src.name) == (port, mode, baud, name)
    finally:
        loop.close()


def test_hid_without_hidapi_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hid", None)  # makes ``import hid`` raise ImportError
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(HidUnavailable, match=r"pip install 'auctionmen\[hid\]'"):
            open_source("hid:0c45:7403", loop, lambda e: None, start=False)
    finally:
        loop.close()
    from hardware.ports import list_hid_devices

    assert list_hid_devices() == []


def test_parse_vid_pid() -> None:
    assert parse_vid_pid("0c45:7403") == (0x0C45, 0x7403)
    with pytest.raises(ValueError):
        parse_vid_pid("0c45")


class FakeHidDevice:
    """Stands in for hidapi (not installed here): reports from a queue; an exception in the
    queue is raised from read(), like hidapi does when the pedal is unplugged."""

    reports: queue.Queue[bytes | Exception] = queue.Queue()
    opened = 0

    def open(self, vid: int, pid: int) -> None:
        type(self).opened += 1

    def read(self, size: int, timeout_ms: int) -> list[int]:
        try:
            item = self.reports.get(timeout=timeout_ms / 1000)
        except queue.Empty:
            return []
        if isinstance(item, Exception):
            raise item
        return list(item)

    def close(self) -> None:
        pass


async def test_hid_source_strikes_and_reconnects(
    collector: Collector, sources: list[BaseSource]
) -> None:
    fake = types.SimpleNamespace(device=FakeHidDevice)
    FakeHidDevice.reports = queue.Queue()
    src = HidGavelSource(
        0x05F3,
        0x00FF,
        asyncio.get_running_loop(),
        collector,
        config=FAST,
        backoff=FAST_BACKOFF,
        hid_module=fake,  # type: ignore[arg-type]
    )
    sources.append(src)
    src.start()
    await collector.wait_for(Connected)
    FakeHidDevice.reports.put(bytes([0, 4, 0]))
    FakeHidDevice.reports.put(bytes(3))
    s = await collector.wait_for(Strike)
    assert s.source == "hid:05f3:00ff"
    mark = collector.mark()
    FakeHidDevice.reports.put(OSError("read error"))
    await collector.wait_for(Disconnected, start=mark)
    await collector.wait_for(Connected, start=mark)
    assert FakeHidDevice.opened >= 2


def test_list_ports_shape() -> None:
    ports = hardware.list_ports()
    assert isinstance(ports, list)
    for p in ports:
        assert p.spec == f"serial:{p.name}"
        assert p.vid_pid is None or len(p.vid_pid) == 9
        assert p.name in p.label


def test_hardware_imports_no_qt_and_no_serial_eagerly() -> None:
    code = (
        "import sys, hardware; "
        "assert not any(m.startswith(('PySide', 'serial')) for m in sys.modules), "
        "sorted(m for m in sys.modules if m.startswith(('PySide', 'serial')))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


@pytest.mark.skipif(sys.platform == "win32", reason="pty pairs are POSIX")
async def test_sim_device_cli(collector: Collector, sources: list[BaseSource]) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hardware.sim_device",
        "--pty",
        "--heartbeat",
        "0.05",
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(20):
            first = (await proc.stdout.readline()).decode()
        assert first.startswith("gavel port: /dev/")
        port = first.split(": ", 1)[1].strip()
        src = open_source(f"serial:{port}", asyncio.get_running_loop(), collector, config=FAST)
        sources.append(src)
        await collector.wait_for(Connected)
        proc.stdin.write(b"\n")
        await proc.stdin.drain()
        await collector.wait_for(Strike)
        proc.stdin.write(b"q\n")
        await proc.stdin.drain()
        async with asyncio.timeout(10):
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
