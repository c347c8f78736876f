"""Debounce, double-strike suppression, stuck-switch detection and heartbeat timeout.

Pure logic: every method takes ``at`` (monotonic seconds) from the caller and never reads a
clock, so every rule is tested with exact, injected times.

Rules (defaults in :class:`DebounceConfig`):

* A press strikes only if the previous press (of any kind, accepted or not) is at least
  ``refractory_s`` ago. Presses closer together form a *chain*: bounce or a double knock, one
  strike. 10 presses within 50 ms → exactly one strike.
* A chain that lasts ``stuck_stream_s`` (a chattering contact, keyboard auto-repeat) → stuck.
  It ends after ``release_quiet_s`` without presses.
* With make/break devices (a press says ``make=True``; a release follows), a make held for
  ``stuck_hold_s`` → stuck until the break. A second make without a break is not a new edge.
* While stuck nothing strikes: the on-screen hammer is the fallback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

STUCK_HELD = "switch held closed"
STUCK_STREAM = "continuous presses"


@dataclass(frozen=True, slots=True)
class DebounceConfig:
    refractory_s: float = 0.25
    stuck_hold_s: float = 3.0
    stuck_stream_s: float = 2.0
    release_quiet_s: float = 1.0
    heartbeat_timeout_s: float = 3.5  # firmware beats every 1 s: three missed beats = gone
    idle_resync_s: float = 0.1  # a partial frame idle this long is noise (real frames take ~1 ms)

    def __post_init__(self) -> None:
        for name in (
            "refractory_s",
            "stuck_hold_s",
            "stuck_stream_s",
            "release_quiet_s",
            "heartbeat_timeout_s",
            "idle_resync_s",
        ):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        if self.release_quiet_s < self.refractory_s:
            raise ValueError("release_quiet_s must be >= refractory_s")


class Signal(Enum):
    STRIKE = "strike"
    STUCK = "stuck"
    UNSTUCK = "unstuck"


class Debouncer:
    """One switch. ``press``/``release``/``held``/``tick`` return the signals they cause."""

    def __init__(self, config: DebounceConfig | None = None) -> None:
        self.config = config or DebounceConfig()
        self.last_press: float | None = None
        self.chain_start = 0.0
        self.held_since: float | None = None
        self.stuck_reason: str | None = None
        self.strikes = 0
        self.bounces = 0  # presses folded into a chain or an unreleased make
        self.ignored_stuck = 0  # presses ignored while stuck

    @property
    def stuck(self) -> bool:
        return self.stuck_reason is not None

    def press(self, at: float, *, make: bool = False) -> list[Signal]:
        cfg = self.config
        out = self.tick(at)
        if self.held_since is not None:
            # still closed since the last make (its break was never seen): not a new edge
            self.bounces += 1
            self.last_press = at
            return out
        prev = self.last_press
        self.last_press = at
        if make:
            self.held_since = at
        if self.stuck:
            self.ignored_stuck += 1
            return out
        if prev is not None and at - prev < cfg.refractory_s:
            self.bounces += 1
            if at - self.chain_start >= cfg.stuck_stream_s:
                self.stuck_reason = STUCK_STREAM
                out.append(Signal.STUCK)
            return out
        self.chain_start = at
        self.strikes += 1
        out.append(Signal.STRIKE)
        return out

    def release(self, at: float) -> list[Signal]:
        out = self.tick(at)
        if self.held_since is None:
            return out
        self.held_since = None
        if self.stuck_reason == STUCK_HELD:
            self.stuck_reason = None
            out.append(Signal.UNSTUCK)
        return out

    def held(self, at: float, is_held: bool) -> list[Signal]:
        """Switch state reported out of band (heartbeat): a closed switch we never saw close
        (held since power-on, or its make frame was lost) starts the hold timer without
        striking; an open switch stands in for a lost release."""
        if is_held and self.held_since is None:
            self.held_since = at
            return self.tick(at)
        if not is_held and self.held_since is not None:
            return self.release(at)
        return self.tick(at)

    def tick(self, at: float) -> list[Signal]:
        cfg = self.config
        if self.stuck_reason is None:
            if self.held_since is not None and at - self.held_since >= cfg.stuck_hold_s:
                self.stuck_reason = STUCK_HELD
                return [Signal.STUCK]
        elif (
            self.stuck_reason == STUCK_STREAM
            and self.last_press is not None
            and at - self.last_press >= cfg.release_quiet_s
        ):
            if self.held_since is not None:
                self.stuck_reason = STUCK_HELD  # the stream stopped but the contact stays closed
                return []
            self.stuck_reason = None
            return [Signal.UNSTUCK]
        return []

    def reset(self) -> bool:
        """Forget everything (link lost). Returns True if it was stuck."""
        was = self.stuck
        self.last_press = None
        self.held_since = None
        self.stuck_reason = None
        return was


class HeartbeatWatch:
    """Liveness of a device that promises heartbeats: ``seen`` on every valid frame."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.last_seen: float | None = None

    def seen(self, at: float) -> None:
        self.last_seen = at

    def expired(self, at: float) -> bool:
        return self.last_seen is not None and at - self.last_seen > self.timeout_s

    def reset(self) -> None:
        self.last_seen = None
