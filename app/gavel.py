"""The gavel on the core loop: opens the hardware source, decides each strike against the lot's
state (the arming rules in `hardware.arming`) and submits `hammer` with source "gavel".

No Qt: this runs inside the core thread; the UI only sees `GavelStatus` values.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import hardware
from hub.auction.events import Actor

log = logging.getLogger("auctionmen.hardware")

AUCTIONEER = Actor("auctioneer")


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


class GavelController:
    """Owns one gavel source. Create, start and close it on the core loop only."""

    def __init__(
        self,
        stage: Any,
        spec: str,
        on_status: Callable[[GavelStatus], None],
        *,
        arm_on: str = "bid",
        test_mode: bool = False,
    ) -> None:
        self.stage = stage
        self.spec = spec.strip() or "none"
        self.arm_on = arm_on
        self._on_status = on_status
        self._tasks: set[asyncio.Task[Any]] = set()
        self.source: Any = None
        self.status = GavelStatus(self.spec, self.spec != "none", test_mode=test_mode)
        self._test_mode = test_mode

    def start(self) -> None:
        if self.spec == "none":
            self._publish(self.status)
            return
        loop = asyncio.get_running_loop()
        try:
            self.source = hardware.open_source(self.spec, loop, self._on_event,
                                               test_mode=self._test_mode)
        except Exception as exc:  # a bad spec or missing hidapi: show it, keep the app up
            log.error("cannot open gavel %s: %s", self.spec, exc)
            self._publish(replace(self.status, text=f"error: {exc}"))
            return
        device = getattr(self.source, "device", None)
        port = getattr(device, "port", None) or getattr(self.source, "port", None)
        self._publish(replace(self.status, text=self.source.status,
                              port=str(port) if port else None))

    def press(self) -> None:
        """A keyboard-pedal activation (any thread): fed to a `keyboard:` source."""
        source = self.source
        if source is not None and hasattr(source, "tap"):
            source.tap()

    def set_test_mode(self, on: bool) -> None:
        self._test_mode = on
        if self.source is not None:
            self.source.test_mode = on
        self._publish(replace(self.status, test_mode=on))

    def _publish(self, status: GavelStatus) -> None:
        self.status = status
        try:
            self._on_status(status)
        except Exception:
            log.exception("gavel status listener failed")

    def _on_event(self, ev: hardware.GavelEvent) -> None:
        src = self.source
        text = src.status if src is not None else self.status.text
        if isinstance(ev, hardware.Strike):
            self._strike(ev)
        elif isinstance(ev, hardware.Connected):
            self._publish(replace(self.status, connected=True, text=text))
        elif isinstance(ev, hardware.Disconnected):
            self._publish(replace(self.status, connected=False, text=f"disconnected: "
                                  f"{ev.reason}"))
        elif isinstance(ev, hardware.Stuck):
            self._publish(replace(self.status, stuck=True, text=f"stuck: {ev.reason}"))
        elif isinstance(ev, hardware.Unstuck):
            self._publish(replace(self.status, stuck=False, text=text))

    def _strike(self, ev: hardware.Strike) -> None:
        engine = self.stage.engine
        current = engine.sale.current
        lot = engine.staff_lot(current) if current else None
        status = lot["status"] if lot else None
        if engine.sale.paused:
            status = "paused"
        decision = hardware.decide_strike(
            status, bool(lot and lot.get("high")), self.arm_on,
            test=ev.test or self._test_mode, stuck=self.status.stuck)
        log.info("gavel strike lot=%s status=%s decision=%s", current, status,
                 decision.reason.value)
        outcome = "hammered" if decision.hammer else decision.reason.value
        self._publish(replace(self.status, last_strike_at=time.time(), last_decision=outcome,
                              connected=True))
        if decision.hammer and lot is not None:
            command = {"op": "hammer", "lot": lot["id"], "source": "gavel", "device_at": ev.at}
            task = asyncio.get_running_loop().create_task(self.stage.submit(command, AUCTIONEER))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("gavel hammer failed", exc_info=task.exception())
        elif not task.cancelled():
            answer = task.result()
            if not answer.ok:
                log.info("gavel hammer refused: %s", answer.reason)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            await asyncio.wait([task], timeout=2.0)
        if self.source is not None:
            await self.source.aclose()
            self.source = None


ARMED = ("armed_fair_warning", "armed_open_with_bid")


class LinkAdapter:
    """The core's own gavel link (`hub.gavel.GavelLink`, opened by `Stage.start` when the
    config names a gavel), seen through the same interface as `GavelController`."""

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
        self.link.status.listeners.append(self._changed)
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
        source = self.link.source
        if hasattr(source, "tap"):
            source.tap()

    async def aclose(self) -> None:
        if self._changed in self.link.status.listeners:
            self.link.status.listeners.remove(self._changed)
