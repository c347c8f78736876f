"""Process-level helpers shared by the stage and relay commands."""

from __future__ import annotations

import asyncio
import contextlib
import signal


async def until_stopped(stop: asyncio.Event | None = None) -> None:
    """Wait for SIGINT/SIGTERM (or `stop` being set by the caller)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
