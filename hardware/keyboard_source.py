"""Keyboard-emulating pedal or a spare key: the Qt app binds ``key`` (an application-wide
shortcut or event filter) and calls :meth:`KeyboardGavelSource.press` from its own thread.

No Qt here. Program pedals to an unused key (F13–F24) so they never type into a text field.
Auto-repeat: pass ``autorepeat=True`` for repeated press events of a held key (they extend the
hold, they never strike); a ``QShortcut`` that only reports activations still works, since a
stream of activations is folded by the debouncer and flagged as stuck after a while.
"""

from __future__ import annotations

import asyncio
import threading
import time

from .debounce import DebounceConfig
from .decode import SwitchDecoder
from .source import BaseSource, Clock, EventCallback


class KeyboardGavelSource(BaseSource):
    TICK_S = 0.1  # how often stuck/unstuck is re-evaluated while no key arrives

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_event: EventCallback,
        key: str = "F12",
        *,
        name: str | None = None,
        config: DebounceConfig | None = None,
        test_mode: bool = False,
        clock: Clock = time.monotonic,
    ) -> None:
        name = name or f"keyboard:{key}"
        super().__init__(name, loop, on_event, test_mode=test_mode, clock=clock)
        self.key = key
        self.decoder = SwitchDecoder(name, config)
        self._lock = threading.Lock()  # press() comes from the Qt thread, ticks from the loop
        self._timer: asyncio.TimerHandle | None = None
        self._down = False

    def start(self) -> None:
        with self._lock:
            events = self.decoder.opened(self._clock())
        self._status = f"key {self.key}"
        self._post(events)
        self._loop.call_soon_threadsafe(self._schedule_tick)

    def press(self, at: float | None = None, *, autorepeat: bool = False) -> None:
        """A key press (any thread). ``at`` defaults to now on the monotonic clock."""
        if self.closed:
            return
        with self._lock:
            t = self._clock() if at is None else at
            if autorepeat and not self._down:
                # repeats of a key whose press we never got (focus change): treat as held
                self._down = True
                out = self.decoder.held(t, True)
            elif autorepeat:
                out = self.decoder.tick(t)
            else:
                self._down = True
                out = self.decoder.press(t, make=True)
        self._post(out)

    def release(self, at: float | None = None, *, autorepeat: bool = False) -> None:
        """A key release (any thread). Auto-repeat releases are ignored."""
        if self.closed or autorepeat:
            return
        with self._lock:
            t = self._clock() if at is None else at
            self._down = False
            out = self.decoder.release(t)
        self._post(out)

    def tap(self, at: float | None = None) -> None:
        """Press without a release to follow (a ``QShortcut`` activation)."""
        if self.closed:
            return
        with self._lock:
            t = self._clock() if at is None else at
            out = self.decoder.press(t)
        self._post(out)

    def _schedule_tick(self) -> None:
        if not self.closed:
            self._timer = self._loop.call_later(self.TICK_S, self._tick)

    def _tick(self) -> None:
        with self._lock:
            out = self.decoder.tick(self._clock())
        if out:
            self._deliver(list(out))
        self._schedule_tick()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        timer = self._timer
        if timer is not None:
            try:
                self._loop.call_soon_threadsafe(timer.cancel)
            except RuntimeError:  # loop already closed
                pass
        with self._lock:
            out = self.decoder.closed(self._clock(), "closed")
        self._post(out)
