"""Serial gavel (pyserial): a device path (``/dev/ttyACM0``, ``COM7``) or any pyserial URL
(``loop://``, ``spy:///dev/ttyACM0``, ``socket://host:port``).

Read in a thread with a short timeout; events go to the loop with ``call_soon_threadsafe``.
On hang-up or unplug pyserial raises (``read failed: [Errno 5]`` or "device reports readiness
to read but returned no data"); the source reports ``Disconnected`` and reopens with
exponential backoff until the port is back.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Literal

import serial

from .debounce import DebounceConfig
from .decode import Decoder, FrameDecoder, SimpleDecoder
from .protocol import BAUDRATE
from .source import Backoff, Clock, EventCallback, ThreadedSource

Mode = Literal["frame", "byte", "line"]


def make_decoder(name: str, mode: Mode, config: DebounceConfig | None) -> Decoder:
    if mode == "frame":
        return FrameDecoder(name, config)
    if mode in ("byte", "line"):
        return SimpleDecoder(name, config, mode)
    raise ValueError(f"serial mode must be frame, byte or line, not {mode!r}")


def open_serial(url: str, baudrate: int = BAUDRATE, timeout: float = 0.05) -> serial.SerialBase:
    """Open exclusively where the platform supports it, so a second reader (another app, a
    stale instance) fails loudly instead of stealing half the bytes."""
    try:
        return serial.serial_for_url(url, baudrate=baudrate, timeout=timeout, exclusive=True)
    except ValueError as e:  # platforms/handlers without exclusive access (e.g. Windows: always)
        if "exclusive" not in str(e):
            raise
        return serial.serial_for_url(url, baudrate=baudrate, timeout=timeout)


class SerialGavelSource(ThreadedSource[serial.SerialBase]):
    def __init__(
        self,
        port: str,
        loop: asyncio.AbstractEventLoop,
        on_event: EventCallback,
        *,
        name: str | None = None,
        mode: Mode = "frame",
        baudrate: int = BAUDRATE,
        config: DebounceConfig | None = None,
        backoff: Backoff | None = None,
        test_mode: bool = False,
        read_timeout: float = 0.05,
        clock: Clock = time.monotonic,
    ) -> None:
        name = name or f"serial:{port}"
        super().__init__(
            name,
            loop,
            on_event,
            make_decoder(name, mode, config),
            backoff=backoff,
            test_mode=test_mode,
            clock=clock,
        )
        self.port = port
        self.mode = mode
        self.baudrate = baudrate
        self.read_timeout = read_timeout
        self._write_lock = threading.Lock()

    def _open(self) -> serial.SerialBase:
        ser = open_serial(self.port, self.baudrate, self.read_timeout)
        self._status = f"port {self.port} open, waiting for the gavel"
        return ser

    def _read(self, handle: serial.SerialBase) -> bytes:
        # ``in_waiting or 1``: return as soon as one byte arrives, then drain what is buffered
        data: bytes = handle.read(handle.in_waiting or 1)
        return data

    def _close(self, handle: serial.SerialBase) -> None:
        handle.close()

    def _interrupt(self, handle: serial.SerialBase) -> None:
        cancel = getattr(handle, "cancel_read", None)
        if cancel is not None:
            try:
                cancel()
            except Exception:
                pass

    def write(self, data: bytes) -> bool:
        """Write to the open port (``loop://`` demos, future device commands). False if closed."""
        with self._handle_lock:
            handle = self._handle
        if handle is None:
            return False
        with self._write_lock:
            try:
                handle.write(data)
            except Exception:
                return False
        return True
