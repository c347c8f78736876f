"""The gavel wired to the sale: a strike hammers the current lot when it is armed.

Runs on the stage loop. The hardware source debounces and de-duplicates; this decides with
the engine's state whether a strike sells, and submits `hammer` like any other command, so
the sequencer stays the only writer. Two strikes racing each other give one hammer: the
second finds the lot closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hardware.arming import decide_strike
from hardware.events import Connected, Disconnected, GavelEvent, Heartbeat, Strike, Stuck, Unstuck
from hardware.factory import open_source
from hub.auction.events import Actor

if TYPE_CHECKING:
    from hub.stage import Stage

log = logging.getLogger("auctionmen.gavel")
AUCTIONEER = Actor("auctioneer", name="gavel")


@dataclass(slots=True)
class GavelStatus:
    spec: str
    connected: bool = False
    stuck: bool = False
    detail: str = ""
    last_strike: float | None = None  # wall time
    last_outcome: str = ""
    strikes: int = 0
    hammers: int = 0


class GavelLink:
    def __init__(self, stage: Stage, spec: str, arm_on: str = "bid", test_mode: bool = False):
        self.stage = stage
        self.arm_on = arm_on
        self.status = GavelStatus(spec)
        self._listeners: list[Callable[[GavelStatus], None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.source = open_source(spec, asyncio.get_running_loop(), self._on_event,
                                  test_mode=test_mode)

    @property
    def simulated(self) -> Any:
        """The in-process simulated gavel of a `pty` spec (demos), else None."""
        return getattr(self.source, "device", None)

    @property
    def listeners(self) -> list[Callable[[GavelStatus], None]]:
        return list(self._listeners)

    def set_test_mode(self, on: bool) -> None:
        """Test mode: strikes are detected and shown but hammer nothing."""
        self.source.test_mode = on

    def add_listener(self, listener: Callable[[GavelStatus], None]) -> Callable[[], None]:
        """Call `listener(status)` on the stage loop whenever the gavel reports anything."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def press(self) -> None:
        """A key press of a keyboard pedal (`keyboard:KEY` spec); ignored by other sources."""
        tap = getattr(self.source, "tap", None)
        if tap is not None:
            tap()

    def _on_event(self, event: GavelEvent) -> None:
        s = self.status
        if isinstance(event, Connected):
            s.connected, s.detail = True, event.detail or "connected"
        elif isinstance(event, Disconnected):
            s.connected, s.detail = False, event.reason
        elif isinstance(event, Stuck):
            s.stuck, s.detail = True, event.reason
        elif isinstance(event, Unstuck):
            s.stuck = False
        elif isinstance(event, Heartbeat):
            s.connected = True
        elif isinstance(event, Strike):
            self._strike(event)
        for listener in list(self._listeners):
            try:
                listener(s)
            except Exception:
                log.exception("a gavel listener failed")

    def _strike(self, strike: Strike) -> None:
        s = self.status
        s.strikes += 1
        s.last_strike = time.time()
        engine = self.stage.engine
        lot = engine.lots.get(engine.sale.current or "")
        status = "paused" if engine.sale.paused else (lot.status if lot else None)
        decision = decide_strike(status, lot is not None and lot.high is not None, self.arm_on,
                                 test=strike.test, stuck=s.stuck)
        s.last_outcome = decision.reason.value
        log.info("gavel strike: %s", s.last_outcome)
        if decision.hammer and lot is not None:
            command = {"op": "hammer", "lot": lot.id, "source": "gavel",
                       "device_at": strike.at}
            task = asyncio.ensure_future(self._hammer(command))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _hammer(self, command: dict[str, Any]) -> None:
        answer = await self.stage.submit(command, AUCTIONEER)
        if answer.ok:
            self.status.hammers += 1
        else:
            log.info("gavel hammer refused: %s", answer.reason)

    async def close(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.source.aclose()
