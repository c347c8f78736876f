"""Helpers for the gavel tests (imported by conftest and the pty tests)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from hardware import Backoff, DebounceConfig
from hardware.events import GavelEvent

# Small windows so pty tests run fast; pure tests use the defaults with injected time.
FAST = DebounceConfig(
    refractory_s=0.05,
    stuck_hold_s=0.3,
    stuck_stream_s=0.3,
    release_quiet_s=0.1,
    heartbeat_timeout_s=0.5,
    idle_resync_s=0.03,
)
FAST_BACKOFF = Backoff(initial_s=0.01, factor=2.0, max_s=0.1, stable_s=5.0)
WAIT = 10.0  # generous upper bound for anything to show up; never a performance assertion


class Collector:
    """The on_event callback: records events on the loop and lets tests await one."""

    def __init__(self) -> None:
        self.events: list[GavelEvent] = []
        self._changed = asyncio.Event()
        self.thread_ids: set[int] = set()

    def __call__(self, ev: GavelEvent) -> None:
        self.thread_ids.add(threading.get_ident())
        self.events.append(ev)
        self._changed.set()

    def of(self, kind: type, start: int = 0) -> list[Any]:
        return [e for e in self.events[start:] if isinstance(e, kind)]

    def mark(self) -> int:
        return len(self.events)

    async def wait_for(
        self,
        kind: type,
        pred: Callable[[Any], bool] = lambda e: True,
        start: int = 0,
        within: float = WAIT,
    ) -> Any:
        async with asyncio.timeout(within):
            while True:
                for e in self.events[start:]:
                    if isinstance(e, kind) and pred(e):
                        return e
                self._changed.clear()
                await self._changed.wait()
