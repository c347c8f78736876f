"""Debounce, double strikes, stuck switch and heartbeat rules: pure, with injected time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.debounce import (
    STUCK_HELD,
    STUCK_STREAM,
    DebounceConfig,
    Debouncer,
    HeartbeatWatch,
    Signal,
)

S, STUCK, UNSTUCK = Signal.STRIKE, Signal.STUCK, Signal.UNSTUCK


def run(d: Debouncer, times: list[float], **kw: bool) -> list[Signal]:
    out: list[Signal] = []
    for t in times:
        out += d.press(t, **kw)
    return out


def test_ten_strikes_within_50ms_is_one_strike() -> None:
    d = Debouncer()
    times = [100.0 + i * 0.005 for i in range(10)]  # 0..45 ms
    assert run(d, times) == [S]
    assert d.bounces == 9


def test_two_deliberate_strikes_are_two() -> None:
    d = Debouncer()
    assert run(d, [1.0, 1.3]) == [S, S]


def test_refractory_is_configurable_and_slides_with_bounce() -> None:
    d = Debouncer(DebounceConfig(refractory_s=0.1))
    # each press within 0.1 s of the previous one extends the chain: still one strike
    assert run(d, [0.0, 0.09, 0.18, 0.27]) == [S]
    assert run(d, [0.38]) == [S]  # 110 ms of quiet → a new strike


def test_exact_refractory_boundary() -> None:
    d = Debouncer(DebounceConfig(refractory_s=0.25))
    assert run(d, [0.0, 0.2499]) == [S]
    assert run(d, [0.4999 + 0.25]) == [S]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.floats(0, 0.05, allow_nan=False), min_size=1, max_size=50))
def test_any_burst_inside_50ms_is_exactly_one_strike(offsets: list[float]) -> None:
    d = Debouncer()
    assert run(d, sorted(10.0 + o for o in offsets)) == [S]


def test_continuous_presses_become_stuck_then_release_on_quiet() -> None:
    cfg = DebounceConfig(refractory_s=0.25, stuck_stream_s=2.0, release_quiet_s=1.0)
    d = Debouncer(cfg)
    times = [i * 0.05 for i in range(60)]  # 3 s of chatter at 20 Hz
    out = run(d, times)
    assert out == [S, STUCK]  # the first press struck; after 2 s: stuck, nothing more
    assert d.stuck_reason == STUCK_STREAM
    assert d.tick(times[-1] + 0.5) == []  # not quiet long enough
    assert d.tick(times[-1] + 1.0) == [UNSTUCK]
    assert d.press(times[-1] + 1.2) == [S]


def test_press_while_stream_stuck_keeps_it_stuck() -> None:
    d = Debouncer(DebounceConfig(stuck_stream_s=1.0, release_quiet_s=0.5))
    run(d, [i * 0.1 for i in range(12)])
    assert d.stuck
    # a gap longer than the refractory but shorter than the quiet window: still stuck
    assert d.press(1.1 + 0.4) == []
    assert d.ignored_stuck >= 1
    assert d.press(1.5 + 0.6) == [UNSTUCK, S]


def test_make_without_break_held_too_long_is_stuck_until_release() -> None:
    d = Debouncer(DebounceConfig(stuck_hold_s=3.0))
    assert d.press(0.0, make=True) == [S]  # strike at once: latency matters more than holding
    assert d.tick(2.9) == []
    assert d.tick(3.0) == [STUCK]
    assert d.stuck_reason == STUCK_HELD
    assert d.press(5.0) == []  # no strikes while stuck (no break seen: not a new edge)
    assert d.release(6.0) == [UNSTUCK]
    assert d.press(7.0, make=True) == [S]


def test_second_make_without_break_is_not_a_new_strike() -> None:
    d = Debouncer()
    assert d.press(0.0, make=True) == [S]
    assert d.press(1.0, make=True) == []  # lost release? still the same closure
    assert d.release(1.1) == []
    assert d.press(2.0, make=True) == [S]


def test_normal_make_break_cycles_strike_each_time() -> None:
    d = Debouncer()
    out: list[Signal] = []
    for k in range(5):
        out += d.press(k * 1.0, make=True)
        out += d.release(k * 1.0 + 0.1)
    assert out == [S] * 5


def test_switch_held_at_power_on_never_strikes() -> None:
    d = Debouncer(DebounceConfig(stuck_hold_s=3.0))
    assert d.held(0.0, True) == []
    assert d.held(1.0, True) == []
    assert d.held(3.0, True) == [STUCK]
    assert d.press(3.5) == []
    assert d.held(4.0, False) == [UNSTUCK]
    assert d.press(5.0) == [S]


def test_stream_stuck_that_ends_closed_stays_stuck_until_break() -> None:
    d = Debouncer(DebounceConfig(stuck_stream_s=1.0, release_quiet_s=0.5))
    out = run(d, [i * 0.1 for i in range(12)], make=False)
    assert STUCK in out
    d.held(1.2, True)
    assert d.tick(5.0) == []  # quiet, but the contact is still closed
    assert d.stuck_reason == STUCK_HELD
    assert d.release(5.1) == [UNSTUCK]


def test_reset_reports_stuck() -> None:
    d = Debouncer(DebounceConfig(stuck_hold_s=1.0))
    d.press(0.0, make=True)
    d.tick(2.0)
    assert d.reset() is True
    assert not d.stuck
    assert d.press(2.1) == [S]


def test_time_going_backwards_is_bounce_not_strike() -> None:
    d = Debouncer()
    assert run(d, [10.0, 9.0]) == [S]


def test_heartbeat_watch() -> None:
    w = HeartbeatWatch(3.5)
    assert not w.expired(100.0)  # never seen: nothing to time out
    w.seen(0.0)
    assert not w.expired(3.5)
    assert w.expired(3.51)


@pytest.mark.parametrize(
    "kw",
    [
        {"refractory_s": 0},
        {"stuck_hold_s": -1},
        {"heartbeat_timeout_s": float("nan")},
        {"refractory_s": 2.0, "release_quiet_s": 1.0},
    ],
)
def test_config_validation(kw: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        DebounceConfig(**kw)
