"""Typed events a gavel source delivers to the core loop.

All ``at`` fields are ``time.monotonic()`` seconds taken on the desktop when the bytes (or key
press) were received, never the device's own clock: order and latency are measured on one clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Strike:
    """The gavel was struck (already debounced, de-duplicated, not stuck).

    ``test`` is True when the source is in test mode: show "strike detected", hammer nothing.
    """

    at: float
    source: str
    device_id: int | None = None
    seq: int | None = None
    test: bool = False
    strength: int | None = None


@dataclass(frozen=True, slots=True)
class Connected:
    """We hear the gavel: port open (simple devices) or first valid frame (framed devices)."""

    at: float
    source: str
    device_id: int | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The gavel is gone or silent. ``reason`` is for the operator (port error, heartbeat...)."""

    at: float
    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class Stuck:
    """The switch is held or chattering; no strikes are delivered until :class:`Unstuck`."""

    at: float
    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class Unstuck:
    """The stuck condition ended (switch released, stream stopped, or link reset)."""

    at: float
    source: str


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A framed device said it is alive (about once per second)."""

    at: float
    source: str
    device_id: int
    seq: int
    held: bool = False


GavelEvent = Strike | Connected | Disconnected | Stuck | Unstuck | Heartbeat

__all__ = ["Connected", "Disconnected", "GavelEvent", "Heartbeat", "Strike", "Stuck", "Unstuck"]
