"""The one gavel-source interface, event delivery onto an asyncio loop, and the reconnect loop
shared by the threaded backends (serial, HID).

Threading model: a backend reads its device in a daemon thread and hands events to the loop
with ``loop.call_soon_threadsafe`` (works with uvloop and qasync alike). The callback always
runs on the loop's thread; it may be a plain function or return an awaitable (run as a task).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, runtime_checkable

from .decode import Decoder
from .events import (
    Connected,
    Disconnected,
    GavelEvent,
    Heartbeat,
    Strike,
    Stuck,
    Unstuck,
)

log = logging.getLogger("auctionmen.hardware")

EventCallback = Callable[[GavelEvent], "Awaitable[object] | None"]
Clock = Callable[[], float]

__all__ = [
    "Backoff",
    "BaseSource",
    "Clock",
    "Connected",
    "Disconnected",
    "EventCallback",
    "GavelEvent",
    "GavelSource",
    "Heartbeat",
    "NullSource",
    "Strike",
    "Stuck",
    "ThreadedSource",
    "Unstuck",
]


@runtime_checkable
class GavelSource(Protocol):
    """What the app and ``serve`` see of any gavel backend."""

    name: str
    test_mode: bool

    @property
    def connected(self) -> bool: ...

    @property
    def status(self) -> str: ...

    def start(self) -> None: ...

    def close(self) -> None: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: initial, ×factor per failure, capped; back to initial once a connection
    stayed up ``stable_s``. Small values make replug tests fast."""

    initial_s: float = 0.1
    factor: float = 2.0
    max_s: float = 5.0
    stable_s: float = 2.0

    def next(self, delay: float) -> float:
        return min(delay * self.factor, self.max_s)


class BaseSource(ABC):
    """Delivery to the loop, test-mode marking, and the state a status light needs."""

    def __init__(
        self,
        name: str,
        loop: asyncio.AbstractEventLoop,
        on_event: EventCallback,
        *,
        test_mode: bool = False,
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self.test_mode = test_mode  # read on delivery, so the settings page can flip it live
        self._loop = loop
        self._on_event = on_event
        self._clock = clock
        self._tasks: set[asyncio.Task[object]] = set()
        self._connected = False
        self._last_reason: str | None = None
        self._status = "not started"
        self.last_strike: Strike | None = None
        self.stuck = False
        self.closed = False

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def status(self) -> str:
        """One line for the status light / settings page."""
        return self._status

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    async def aclose(self) -> None:
        """Close without blocking the loop on a thread join."""
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    def _post(self, events: Sequence[GavelEvent]) -> None:
        """Thread-safe: hand events to the loop in one callback, preserving order."""
        if not events:
            return
        try:
            self._loop.call_soon_threadsafe(self._deliver, list(events))
        except RuntimeError:  # loop closed: the app is shutting down
            pass

    def _deliver(self, events: list[GavelEvent]) -> None:
        for ev in events:
            # Only link transitions go out; repeated Disconnected only with a new reason, so
            # "cannot open /dev/ttyACM0" shows once, not every backoff step.
            if isinstance(ev, Connected):
                if self._connected:
                    continue
                self._connected = True
                self._last_reason = None
                self._status = f"connected{' (' + ev.detail + ')' if ev.detail else ''}"
                log.info("gavel %s connected device=%s %s", self.name, ev.device_id, ev.detail)
            elif isinstance(ev, Disconnected):
                if not self._connected and ev.reason == self._last_reason:
                    continue
                self._connected = False
                self._last_reason = ev.reason
                self._status = f"disconnected: {ev.reason}"
                log.warning("gavel %s disconnected: %s", self.name, ev.reason)
            elif isinstance(ev, Strike):
                if self.test_mode and not ev.test:
                    ev = dataclasses.replace(ev, test=True)
                self.last_strike = ev
                log.info(
                    "gavel %s strike seq=%s test=%s at=%.6f", self.name, ev.seq, ev.test, ev.at
                )
            elif isinstance(ev, Stuck):
                self.stuck = True
                log.warning("gavel %s stuck: %s", self.name, ev.reason)
            elif isinstance(ev, Unstuck):
                self.stuck = False
                log.info("gavel %s released", self.name)
            try:
                result = self._on_event(ev)
                if inspect.isawaitable(result):
                    task: asyncio.Task[object] = asyncio.ensure_future(result)
                    self._tasks.add(task)  # keep a reference until done (tasks are weakly held)
                    task.add_done_callback(self._tasks.discard)
            except Exception:  # a buggy consumer must not silence the gavel
                log.exception("gavel event callback failed for %r", ev)


class NullSource(BaseSource):
    """``none``: no gavel configured. Never emits; the on-screen hammer is all there is."""

    def start(self) -> None:
        self._status = "no gavel configured"

    def close(self) -> None:
        self.closed = True


H = TypeVar("H")


class ThreadedSource(BaseSource, Generic[H]):
    """Open → read until error → report → back off → reopen, in one daemon thread.

    Subclasses provide ``_open`` (may raise), ``_read`` (bytes; ``b""`` on its short timeout;
    raises on hang-up) and ``_close``. Ticks run after every read so heartbeat timeouts, stuck
    detection and parser resync work while the line is silent.
    """

    def __init__(
        self,
        name: str,
        loop: asyncio.AbstractEventLoop,
        on_event: EventCallback,
        decoder: Decoder,
        *,
        backoff: Backoff | None = None,
        test_mode: bool = False,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(name, loop, on_event, test_mode=test_mode, clock=clock)
        self.decoder = decoder
        self.backoff = backoff or Backoff()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._handle: H | None = None
        self._handle_lock = threading.Lock()
        self.reconnects = 0

    @abstractmethod
    def _open(self) -> H: ...

    @abstractmethod
    def _read(self, handle: H) -> bytes: ...

    @abstractmethod
    def _close(self, handle: H) -> None: ...

    def _interrupt(self, handle: H) -> None:
        """Wake a blocked read on stop (optional; reads time out quickly anyway)."""

    def start(self) -> None:
        if self._thread is not None:
            return
        self._status = "opening"
        self._thread = threading.Thread(target=self._run, name=f"gavel:{self.name}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        with self._handle_lock:
            if self._handle is not None:
                self._interrupt(self._handle)
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout=5.0)
        self.closed = True

    def _run(self) -> None:
        delay = self.backoff.initial_s
        while not self._stop.is_set():
            try:
                handle = self._open()
            except Exception as e:  # missing port, permission, busy (exclusive), unplugged
                self._post([Disconnected(self._clock(), self.name, f"cannot open: {e}")])
                self._stop.wait(delay)
                delay = self.backoff.next(delay)
                continue
            with self._handle_lock:
                self._handle = handle
            opened_at = self._clock()
            self._post(self.decoder.opened(opened_at))
            reason = "closed"
            try:
                while not self._stop.is_set():
                    data = self._read(handle)
                    now = self._clock()
                    events = self.decoder.feed(data, now) if data else []
                    events += self.decoder.tick(now)
                    self._post(events)
            except Exception as e:  # SerialException/OSError on hang-up or unplug
                reason = f"lost: {e}"
            finally:
                with self._handle_lock:
                    self._handle = None
                try:
                    self._close(handle)
                except Exception:
                    log.debug("closing %s failed", self.name, exc_info=True)
            now = self._clock()
            self._post(self.decoder.closed(now, reason))
            if self._stop.is_set():
                break
            self.reconnects += 1
            if now - opened_at >= self.backoff.stable_s:
                delay = self.backoff.initial_s
            self._stop.wait(delay)
            delay = self.backoff.next(delay)
