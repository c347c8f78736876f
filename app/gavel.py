"""The gavel as the console shows it. The core owns the gavel (`hub.gavel.GavelLink`, opened
by `Stage.start` when the config names one); this adapts its status for the UI.

No Qt: this runs inside the core thread; the UI only sees `GavelStatus` values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("auctionmen.hardware")



@dataclass(frozen=True, slots=True)
class GavelStatus:
    spec: str
    configured: bool
    connected: bool = False
    text: str = "not configured"
    port: str | None = None  # for a simulated gavel: the tty the source reads
    last_strike_at: float | None = None  # wall clock
    last_decision: str | None = None  # hardware.Reason value, or "hammered"
    stuck: bool = False
    test_mode: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "configured": self.configured, "connected": self.connected,
                "text": self.text, "port": self.port, "last_strike_at": self.last_strike_at,
                "last_decision": self.last_decision, "stuck": self.stuck,
                "test_mode": self.test_mode}


ARMED = ("armed_fair_warning", "armed_open_with_bid")


class LinkAdapter:
    """Watches the core's gavel link and reports `GavelStatus` changes to the UI."""

    def __init__(self, link: Any, on_status: Callable[[GavelStatus], None],
                 arm_on: str = "bid") -> None:
        self.link = link
        self._on_status = on_status
        link.arm_on = arm_on
        self.spec = str(link.status.spec)
        self.status = GavelStatus(self.spec, True, text="opening", port=self._port())

    def _port(self) -> str | None:
        device = getattr(self.link, "simulated", None)
        port = getattr(device, "port", None) or getattr(self.link.source, "port", None)
        return str(port) if port else None

    def start(self) -> None:
        self._remove = self.link.add_listener(self._changed)
        self._changed(self.link.status)

    def _changed(self, s: Any) -> None:
        outcome = s.last_outcome or None
        status = GavelStatus(
            self.spec, True, connected=bool(s.connected), text=str(s.detail or ""),
            port=self.status.port, last_strike_at=s.last_strike,
            last_decision="hammered" if outcome in ARMED else outcome, stuck=bool(s.stuck),
            test_mode=bool(getattr(self.link.source, "test_mode", False)))
        if status == self.status:
            return  # heartbeats: nothing new to show
        self.status = status
        try:
            self._on_status(status)
        except Exception:
            log.exception("gavel status listener failed")

    def press(self) -> None:
        self.link.press()

    async def aclose(self) -> None:
        remove = getattr(self, "_remove", None)
        if remove is not None:
            self._remove = None
            remove()
