"""Raw USB-HID pedal or button (hidapi, optional: ``pip install 'auctionmen[hid]'``).

Reads input reports in a thread; a report with any non-zero byte is "down", all zeros "up".
Supports both Python bindings named ``hid``: the Cython ``hidapi`` wheel (``hid.device()``)
and the ctypes ``hid`` package (``hid.Device``). Keyboards cannot be opened through hidapi on
Windows (the OS owns them) and need Input Monitoring on macOS; use ``keyboard:KEY`` there.
On Linux, hidraw needs a udev rule (see installer/linux/).
"""

from __future__ import annotations

import asyncio
import importlib
import time
from types import ModuleType
from typing import Any

from .debounce import DebounceConfig
from .decode import HidReportDecoder
from .source import Backoff, Clock, EventCallback, ThreadedSource


class HidUnavailable(RuntimeError):
    """hidapi is not installed; the message says how to fix it."""


def import_hid() -> ModuleType:
    """Import ``hid`` lazily so the app runs without it until a HID gavel is chosen."""
    try:
        return importlib.import_module("hid")
    except (ImportError, OSError) as e:  # OSError: ctypes binding without the C library
        raise HidUnavailable(
            "USB-HID gavel needs the optional 'hidapi' package: "
            "pip install 'auctionmen[hid]' (or choose a serial or keyboard gavel)"
        ) from e


def parse_vid_pid(text: str) -> tuple[int, int]:
    """``"0c45:7403"`` → ``(0x0c45, 0x7403)``."""
    try:
        vid_s, pid_s = text.split(":")
        vid, pid = int(vid_s, 16), int(pid_s, 16)
    except ValueError:
        raise ValueError(f"expected VID:PID in hex like 0c45:7403, got {text!r}") from None
    if not (0 <= vid <= 0xFFFF and 0 <= pid <= 0xFFFF):
        raise ValueError(f"VID:PID out of range: {text!r}")
    return vid, pid


class _Device:
    """Adapter over the two ``hid`` bindings."""

    def __init__(self, hid: ModuleType, vid: int, pid: int, timeout_ms: int) -> None:
        self.timeout_ms = timeout_ms
        self._dev: Any
        if hasattr(hid, "device"):  # hidapi (Cython)
            self._dev = hid.device()
            self._dev.open(vid, pid)
            self._cython = True
        else:  # hid (ctypes)
            self._dev = hid.Device(vid=vid, pid=pid)
            self._cython = False

    def read(self) -> bytes:
        if self._cython:
            data = self._dev.read(64, self.timeout_ms)
        else:
            data = self._dev.read(64, timeout=self.timeout_ms)
        return bytes(data or b"")

    def close(self) -> None:
        self._dev.close()


class HidGavelSource(ThreadedSource[_Device]):
    def __init__(
        self,
        vid: int,
        pid: int,
        loop: asyncio.AbstractEventLoop,
        on_event: EventCallback,
        *,
        name: str | None = None,
        skip: int = 0,
        config: DebounceConfig | None = None,
        backoff: Backoff | None = None,
        test_mode: bool = False,
        read_timeout_ms: int = 50,
        clock: Clock = time.monotonic,
        hid_module: ModuleType | None = None,
    ) -> None:
        self._hid = hid_module or import_hid()  # fail now, with a clear message, not in a thread
        name = name or f"hid:{vid:04x}:{pid:04x}"
        super().__init__(
            name,
            loop,
            on_event,
            HidReportDecoder(name, config, skip),
            backoff=backoff,
            test_mode=test_mode,
            clock=clock,
        )
        self.vid, self.pid = vid, pid
        self.read_timeout_ms = read_timeout_ms

    def _open(self) -> _Device:
        dev = _Device(self._hid, self.vid, self.pid, self.read_timeout_ms)
        self._status = f"HID {self.vid:04x}:{self.pid:04x} open"
        return dev

    def _read(self, handle: _Device) -> bytes:
        return handle.read()

    def _close(self, handle: _Device) -> None:
        handle.close()
