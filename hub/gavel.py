"""The gavel wired to the sale: a strike hammers the current lot when it is armed.

Runs on the stage loop. The hardware source debounces and de-duplicates; this decides with
the state of the lot on the block whether a strike sells, and submits `hammer` like any other
command, so the sequencer stays the only writer. Two strikes racing each other give one hammer:
the second finds the lot closed.

The link knows nothing of the stage: it takes a `GavelSale` (the lot on the block, and submit)
and a `GavelTiming` (the clocks and the debounce settings), so tests drive time exactly.
`GavelStatus` is the one status of a gavel, for the core and the console alike.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from hardware.arming import Reason, decide_strike
from hardware.debounce import DebounceConfig
from hardware.events import Connected, Disconnected, GavelEvent, Heartbeat, Strike, Stuck, Unstuck
from hardware.factory import open_source
from hardware.source import Backoff, BaseSource, Clock
from hub.auction.events import Actor

if TYPE_CHECKING:
    from hub.auction.engine import Engine

log = logging.getLogger("auctionmen.gavel")
AUCTIONEER = Actor("auctioneer", name="gavel")
JSON = dict[str, Any]
ARMED = (Reason.ARMED_FAIR_WARNING.value, Reason.ARMED_OPEN_WITH_BID.value)


@dataclass(frozen=True, slots=True)
class GavelStatus:
    """What is known of the gavel; a new value on every change (compare to skip repaints).

    `last_outcome` is the arming decision of the last strike (`hardware.arming.Reason` value);
    `last_decision` says the same for the console, with "hammered" for an armed strike.
    """

    spec: str
    configured: bool = True
    connected: bool = False
    text: str = "not configured"
    port: str | None = None  # for a simulated gavel: the tty the source reads
    stuck: bool = False
    test_mode: bool = False
    last_strike_at: float | None = None  # wall clock
    last_outcome: str = ""
    strikes: int = 0
    hammers: int = 0

    @classmethod
    def none(cls, spec: str = "none") -> GavelStatus:
        """No gavel: the on-screen hammer only."""
        return cls(spec, configured=False)

    @property
    def last_decision(self) -> str | None:
        outcome = self.last_outcome or None
        return "hammered" if outcome in ARMED else outcome

    def to_json(self) -> JSON:
        return {
            "spec": self.spec,
            "configured": self.configured,
            "connected": self.connected,
            "text": self.text,
            "port": self.port,
            "last_strike_at": self.last_strike_at,
            "last_decision": self.last_decision,
            "stuck": self.stuck,
            "test_mode": self.test_mode,
            "strikes": self.strikes,
            "hammers": self.hammers,
        }


@dataclass(frozen=True, slots=True)
class Block:
    """The lot on the block as arming sees it. `status` is "paused" while the sale is."""

    lot: str | None
    status: str | None
    has_bid: bool


class Verdict(Protocol):
    """What the link reads of a submitted command's answer."""

    @property
    def ok(self) -> bool: ...

    @property
    def reason(self) -> str | None: ...


class GavelSale(Protocol):
    """What the gavel needs of the sale: the lot on the block, and the one way to change it."""

    def on_the_block(self) -> Block: ...

    def submit(self, command: JSON, actor: Actor) -> Awaitable[Verdict]: ...


class EngineSale:
    """A `GavelSale` over an engine (read on the loop thread) and the sequencer's submit."""

    def __init__(
        self, engine: Callable[[], Engine], submit: Callable[[JSON, Actor], Awaitable[Verdict]]
    ) -> None:
        self._engine = engine
        self.submit = submit

    def on_the_block(self) -> Block:
        engine = self._engine()
        lot = engine.lots.get(engine.sale.current or "")
        status = "paused" if engine.sale.paused else (lot.status if lot else None)
        return Block(lot.id if lot else None, status, lot is not None and lot.high is not None)


@dataclass(frozen=True, slots=True)
class GavelTiming:
    """Time as an input: the source's clock (monotonic, for debounce), the wall clock (for the
    status), the debounce rules and the reconnect back-off."""

    clock: Clock = time.monotonic
    wall: Clock = time.time
    debounce: DebounceConfig = field(default_factory=DebounceConfig)
    backoff: Backoff | None = None


Listener = Callable[[GavelStatus], None]


class GavelLink:
    """One open gavel source, deciding its strikes against `sale`.

    Raises `ValueError` (or `hardware.hid_source.HidUnavailable`) for a spec that cannot open.
    """

    def __init__(
        self,
        sale: GavelSale,
        spec: str,
        *,
        arm_on: str = "bid",
        test_mode: bool = False,
        timing: GavelTiming | None = None,
    ) -> None:
        self.sale = sale
        self.arm_on = arm_on
        self.timing = timing or GavelTiming()
        self._listeners: list[Listener] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.heartbeat_seq: int | None = None  # of the last heartbeat frame (diagnostics, tests)
        t = self.timing
        self.source: BaseSource = open_source(
            spec,
            asyncio.get_running_loop(),
            self._on_event,
            test_mode=test_mode,
            config=t.debounce,
            backoff=t.backoff,
            clock=t.clock,
        )
        self.status = GavelStatus(spec, text="opening", port=self._port(), test_mode=test_mode)

    def _port(self) -> str | None:
        device = self.simulated
        port = getattr(device, "port", None) or getattr(self.source, "port", None)
        return str(port) if port else None

    @property
    def simulated(self) -> Any:
        """The in-process simulated gavel of a `pty` spec (demos), else None."""
        return getattr(self.source, "device", None)

    @property
    def listeners(self) -> list[Listener]:
        return list(self._listeners)

    def set_test_mode(self, on: bool) -> GavelStatus:
        """Test mode: strikes are detected and shown but hammer nothing."""
        self.source.test_mode = on
        self._update(test_mode=on)
        return self.status

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(status)` on the stage loop whenever the status changes."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def press(self) -> None:
        """A key press of a keyboard pedal (`keyboard:KEY` spec); ignored by other sources."""
        tap = getattr(self.source, "tap", None)
        if tap is not None:
            tap()

    async def settled(self) -> None:
        """Wait for the hammers already submitted (tests: then every outcome is known)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _update(self, **changes: Any) -> None:
        status = dataclasses.replace(self.status, **changes)
        if status == self.status:
            return  # heartbeats: nothing new to show
        self.status = status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                log.exception("a gavel listener failed")

    def _on_event(self, event: GavelEvent) -> None:
        if isinstance(event, Connected):
            self._update(connected=True, text=event.detail or "connected")
        elif isinstance(event, Disconnected):
            self._update(connected=False, text=event.reason)
        elif isinstance(event, Stuck):
            self._update(stuck=True, text=event.reason)
        elif isinstance(event, Unstuck):
            self._update(stuck=False)
        elif isinstance(event, Heartbeat):
            self.heartbeat_seq = event.seq
            self._update(connected=True)
        elif isinstance(event, Strike):
            self._strike(event)

    def _strike(self, strike: Strike) -> None:
        block = self.sale.on_the_block()
        decision = decide_strike(
            block.status, block.has_bid, self.arm_on, test=strike.test, stuck=self.status.stuck
        )
        log.info("gavel strike: %s", decision.reason.value)
        self._update(
            strikes=self.status.strikes + 1,
            last_strike_at=self.timing.wall(),
            last_outcome=decision.reason.value,
        )
        if decision.hammer and block.lot is not None:
            command = {"op": "hammer", "lot": block.lot, "source": "gavel", "device_at": strike.at}
            task = asyncio.ensure_future(self._hammer(command))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _hammer(self, command: JSON) -> None:
        answer = await self.sale.submit(command, AUCTIONEER)
        if answer.ok:
            self._update(hammers=self.status.hammers + 1)
        else:
            log.info("gavel hammer refused: %s", answer.reason)

    async def close(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.source.aclose()
