"""Bytes → events (frame, simple and HID decoders) and the arming rule: pure, injected time."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from hardware.arming import ArmOn, Reason, decide_strike
from hardware.debounce import DebounceConfig
from hardware.decode import FrameDecoder, HidReportDecoder, SimpleDecoder
from hardware.events import Connected, Disconnected, Heartbeat, Strike, Stuck, Unstuck
from hardware.protocol import (
    encode_heartbeat,
    encode_hello,
    encode_release,
    encode_strike,
)

CFG = DebounceConfig()  # defaults: 250 ms refractory, 3.5 s heartbeat timeout


def kinds(events: Sequence[object]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_framed_device_connects_on_first_frame_not_on_port_open() -> None:
    d = FrameDecoder("t", CFG)
    assert d.opened(0.0) == []
    ev = d.feed(encode_hello(9, 1, firmware="gavel 1.2"), 0.1)
    assert ev == [Connected(0.1, "t", 9, "gavel 1.2")]
    assert d.hello is not None
    assert d.hello.firmware == "gavel 1.2"


def test_strike_event_carries_device_seq_and_strength() -> None:
    d = FrameDecoder("serial:/dev/x", CFG)
    ev = d.feed(encode_strike(9, 5, 100, 777), 2.0)
    assert ev[-1] == Strike(2.0, "serial:/dev/x", 9, 5, strength=777)


def test_bounce_of_ten_strike_frames_in_50ms_is_one_strike() -> None:
    d = FrameDecoder("t", CFG)
    strikes = []
    for i in range(10):
        events = d.feed(encode_strike(1, i + 1), 5.0 + i * 0.005)
        strikes += [e for e in events if isinstance(e, Strike)]
    assert [s.seq for s in strikes] == [1]


def test_same_seq_twice_is_one_strike_even_after_the_refractory() -> None:
    d = FrameDecoder("t", CFG)
    frame = encode_strike(1, 42)
    assert kinds(d.feed(frame, 0.0)) == ["Connected", "Strike"]
    assert d.feed(frame, 1.0) == []
    assert d.duplicates == 1
    assert kinds(d.feed(encode_strike(1, 43), 2.0)) == ["Strike"]


def test_duplicate_window_expires_and_hello_resets_seq_memory() -> None:
    d = FrameDecoder("t", CFG)
    d.feed(encode_strike(1, 7), 0.0)
    d.feed(encode_hello(1, 1), 1.0)  # device rebooted: seq 7 will be a new strike
    assert kinds(d.feed(encode_strike(1, 7), 2.0)) == ["Strike"]
    assert kinds(d.feed(encode_strike(1, 7), 2.0 + FrameDecoder.DUP_WINDOW_S + 1)) == ["Strike"]


def test_reboot_detected_from_heartbeat_uptime_clears_seq_memory() -> None:
    d = FrameDecoder("t", CFG)
    d.feed(encode_heartbeat(1, 1, uptime_ms=50_000), 0.0)
    d.feed(encode_strike(1, 2), 0.5)
    d.feed(encode_heartbeat(1, 1, uptime_ms=10), 1.0)  # uptime went backwards; HELLO was missed
    assert kinds(d.feed(encode_strike(1, 2), 2.0)) == ["Strike"]


def test_heartbeat_timeout_disconnects_and_next_frame_reconnects() -> None:
    d = FrameDecoder("t", CFG)
    d.feed(encode_heartbeat(1, 1), 0.0)
    assert d.tick(3.5) == []
    ev = d.tick(3.6)
    assert ev == [Disconnected(3.6, "t", "no heartbeat for 3.5 s")]
    assert d.tick(10.0) == []  # reported once
    assert kinds(d.feed(encode_heartbeat(1, 2), 11.0)) == ["Connected", "Heartbeat"]


def test_garbage_does_not_count_as_a_heartbeat() -> None:
    d = FrameDecoder("t", CFG)
    d.feed(encode_heartbeat(1, 1), 0.0)
    d.feed(b"\xa5\x02noise noise noise" * 20, 3.0)
    assert kinds(d.tick(3.6)) == ["Disconnected"]


def test_heartbeat_held_flag_drives_stuck_detection() -> None:
    d = FrameDecoder("t", CFG)
    ev = d.feed(encode_strike(1, 1, make=True), 0.0)
    assert kinds(ev) == ["Connected", "Strike"]
    d.feed(encode_heartbeat(1, 2, held=True), 1.0)
    ev = d.feed(encode_heartbeat(1, 3, held=True), 3.0)
    assert kinds(ev) == ["Stuck", "Heartbeat"]
    assert d.feed(encode_strike(1, 4), 3.5) == []
    ev = d.feed(encode_release(1, 5), 4.0)
    assert kinds(ev) == ["Unstuck"]
    assert kinds(d.feed(encode_strike(1, 6), 5.0)) == ["Strike"]


def test_partial_frame_idle_is_expired_on_tick() -> None:
    d = FrameDecoder("t", CFG)
    d.feed(encode_heartbeat(1, 1), 0.0)
    d.feed(bytes([0xA5, 0x01, 0, 1, 0, 2, 32]) + encode_heartbeat(1, 3), 1.0)
    assert d.parser.pending
    ev = d.tick(1.0 + CFG.idle_resync_s)
    assert kinds(ev) == ["Heartbeat"]


def test_link_loss_while_stuck_unsticks_then_disconnects() -> None:
    d = FrameDecoder("t", CFG)
    d.feed(encode_strike(1, 1, make=True), 0.0)
    d.tick(3.0)
    assert d.debouncer.stuck
    assert kinds(d.closed(3.1, "lost")) == ["Unstuck", "Disconnected"]


def test_lost_frames_are_counted() -> None:
    d = FrameDecoder("t", CFG)
    d.feed(encode_heartbeat(1, 1) + encode_heartbeat(1, 5), 0.0)
    assert d.lost_frames == 3


@pytest.mark.parametrize(
    ("chunks", "presses"),
    [
        ([b"SOLD\r\n"], 1),
        ([b"\n"], 1),
        ([b"\r"], 1),
        ([b"a\r", b"\nb\n"], 2),
        ([b"no line end"], 0),
        ([b"x\n", b"y\n", b"z\n"], 3),
    ],
)
def test_simple_line_mode_counts_line_ends(chunks: list[bytes], presses: int) -> None:
    d = SimpleDecoder("t", DebounceConfig(refractory_s=0.1), "line")
    assert kinds(d.opened(0.0)) == ["Connected"]  # no heartbeat: port open = connected
    strikes = []
    for i, c in enumerate(chunks):
        strikes += [e for e in d.feed(c, 1.0 + i) if isinstance(e, Strike)]
    assert len(strikes) == presses


def test_simple_byte_mode_any_byte_debounced() -> None:
    d = SimpleDecoder("t", CFG, "byte")
    d.opened(0.0)
    out = []
    for i in range(10):
        out += d.feed(b"\x00", 1.0 + i * 0.005)
    assert kinds(out) == ["Strike"]
    assert kinds(d.feed(b"k", 2.0)) == ["Strike"]


def test_simple_mode_stream_goes_stuck() -> None:
    d = SimpleDecoder("t", CFG, "byte")
    out = []
    for i in range(100):
        out += d.feed(b"b", i * 0.03)  # a jammed key repeating at 33 Hz for 3 s
    assert kinds(out) == ["Strike", "Stuck"]
    assert kinds(d.tick(3.0 + CFG.release_quiet_s)) == ["Unstuck"]


def test_simple_mode_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError):
        SimpleDecoder("t", CFG, "word")  # type: ignore[arg-type]


def test_hid_report_edges_are_make_break() -> None:
    d = HidReportDecoder("hid:0c45:7403", CFG, skip=0)
    assert kinds(d.opened(0.0)) == ["Connected"]
    down, up = bytes([0, 0, 5, 0, 0, 0, 0, 0]), bytes(8)
    assert kinds(d.feed(down, 1.0)) == ["Strike"]
    assert d.feed(down, 1.1) == []  # same state repeated
    assert d.feed(up, 1.2) == []
    assert d.feed(down, 1.22) == []  # bounce within the refractory
    d.feed(up, 1.23)
    assert kinds(d.feed(down, 2.0)) == ["Strike"]
    assert kinds(d.tick(5.0)) == ["Stuck"]  # held 3 s
    assert kinds(d.feed(up, 6.0)) == ["Unstuck"]


def test_hid_skip_ignores_report_id() -> None:
    d = HidReportDecoder("h", CFG, skip=1)
    assert d.feed(bytes([1, 0, 0]), 1.0) == []
    assert kinds(d.feed(bytes([1, 0, 1]), 2.0)) == ["Strike"]


# -- arming --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "has_bid", "arm_on", "hammer", "reason"),
    [
        ("open", True, "bid", True, Reason.ARMED_OPEN_WITH_BID),
        ("open", False, "bid", False, Reason.NO_BID),
        ("fair_warning", True, "bid", True, Reason.ARMED_FAIR_WARNING),
        ("fair_warning", False, "bid", False, Reason.NO_BID),
        ("open", True, "fair_warning", False, Reason.NEEDS_FAIR_WARNING),
        ("fair_warning", True, "fair_warning", True, Reason.ARMED_FAIR_WARNING),
        ("sold", True, "bid", False, Reason.NOT_LIVE),
        ("passed", False, "bid", False, Reason.NOT_LIVE),
        ("paused", True, "bid", False, Reason.NOT_LIVE),
        (None, False, "bid", False, Reason.NOT_LIVE),
    ],
)
def test_arming_rules(
    status: str | None, has_bid: bool, arm_on: str, hammer: bool, reason: Reason
) -> None:
    d = decide_strike(status, has_bid, arm_on)
    assert (d.hammer, d.reason, bool(d)) == (hammer, reason, hammer)


def test_test_mode_and_stuck_never_hammer() -> None:
    assert decide_strike("fair_warning", True, ArmOn.BID, test=True).reason is Reason.TEST_MODE
    assert decide_strike("fair_warning", True, ArmOn.BID, stuck=True).reason is Reason.STUCK


def test_bad_arm_setting_is_loud() -> None:
    with pytest.raises(ValueError):
        decide_strike("open", True, "always")


def test_ten_strikes_in_50ms_hammer_an_armed_lot_once() -> None:
    """F7 end to end in pure code: bounce → one Strike → one hammer; the lot then leaves
    fair warning, so even a late extra strike is ignored."""
    d = FrameDecoder("t", CFG)
    status, hammers = "fair_warning", 0
    for i in range(10):
        for ev in d.feed(encode_strike(1, i + 1), 1.0 + i * 0.005):
            if isinstance(ev, Strike) and decide_strike(status, True, "bid").hammer:
                hammers += 1
                status = "sold"
    for ev in d.feed(encode_strike(1, 99), 2.0):
        if isinstance(ev, Strike) and decide_strike(status, True, "bid").hammer:
            hammers += 1
    assert hammers == 1
    assert not any(isinstance(e, Stuck | Unstuck | Heartbeat) for e in d.tick(2.1))
