"""A simulated gavel on a real pseudo-terminal pair (POSIX), for tests and demos.

The app side opens ``port`` with pyserial exactly like a USB CDC gavel. ``port`` is a symlink
when ``link`` is given, so :meth:`SimulatedGavel.unplug` / :meth:`replug` behave like a USB
device whose ``/dev/serial/by-id/...`` link comes back pointing at a new tty. Unplugging closes
the master side, which makes the reader's next read fail with EIO, as a real hang-up does.

On Windows use ``loop://`` (see :class:`~hardware.serial_source.SerialGavelSource.write`).
"""

from __future__ import annotations

import asyncio
import errno
import os
import threading
import time
from pathlib import Path

from .debounce import DebounceConfig
from .protocol import (
    HelloFeature,
    encode_heartbeat,
    encode_hello,
    encode_release,
    encode_strike,
)
from .serial_source import Mode, SerialGavelSource
from .source import Backoff, Clock, EventCallback


class SimulatedGavel:
    def __init__(
        self,
        link: str | os.PathLike[str] | None = None,
        device_id: int = 1,
        features: int = HelloFeature.PIEZO,
    ) -> None:
        self.link = Path(link) if link is not None else None
        self.device_id = device_id
        self.features = features
        self.seq = 0
        self.held = False
        self.dropped = 0  # bytes a full tty buffer refused (nobody reading), like a real device
        self._master: int | None = None
        self._slave: int | None = None
        self._slave_name = ""
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._hb_stop = threading.Event()
        self._hb_thread: threading.Thread | None = None
        self.plug()

    # -- the pty -------------------------------------------------------------------------------

    @property
    def port(self) -> str:
        """What the app opens: the stable link if any, else the tty name."""
        return str(self.link) if self.link is not None else self._slave_name

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def plug(self) -> None:
        import tty  # POSIX only: imported here so the module imports on Windows

        with self._lock:
            if self._master is not None:
                return
            master, slave = os.openpty()
            # raw before anyone opens it: no echo, no line discipline touching our bytes
            tty.setraw(slave)
            os.set_blocking(master, False)  # never block the writer when nobody reads
            self._master, self._slave = master, slave
            self._slave_name = os.ttyname(slave)
            self._started = time.monotonic()
            self.seq = 0
            if self.link is not None:
                tmp = self.link.with_name(self.link.name + ".tmp")
                tmp.unlink(missing_ok=True)
                os.symlink(self._slave_name, tmp)
                os.replace(tmp, self.link)  # atomic: the reader never sees a half-made link

    def unplug(self) -> None:
        """Hang up: close both sides. The reader gets EIO, the tty disappears."""
        with self._lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None
            if self.link is not None:
                self.link.unlink(missing_ok=True)

    def replug(self) -> None:
        self.unplug()
        self.plug()

    # -- bytes and frames ----------------------------------------------------------------------

    def write(self, data: bytes, *, timeout: float = 1.0) -> int:
        """Write raw bytes; waits up to ``timeout`` for buffer space, then drops the rest.
        Returns the number of bytes written (0 when unplugged)."""
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        done = 0
        with self._lock:
            while done < len(view):
                if self._master is None:
                    break
                try:
                    done += os.write(self._master, view[done:])
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(0.002)
                except OSError as e:
                    if e.errno not in (errno.EIO, errno.EBADF):
                        raise
                    break
        self.dropped += len(view) - done
        return done

    def _next_seq(self) -> int:
        with self._lock:
            self.seq = (self.seq + 1) & 0xFFFF
            return self.seq

    def _ms(self) -> int:
        return int((time.monotonic() - self._started) * 1000)

    def hello_frame(self) -> bytes:
        return encode_hello(self.device_id, self._next_seq(), self.features, "sim-gavel 1.0")

    def heartbeat_frame(self) -> bytes:
        return encode_heartbeat(self.device_id, self._next_seq(), self._ms(), self.held)

    def strike_frame(self, strength: int = 600, make: bool = False) -> bytes:
        return encode_strike(self.device_id, self._next_seq(), self._ms(), strength, make)

    def release_frame(self) -> bytes:
        return encode_release(self.device_id, self._next_seq(), self._ms())

    def hello(self) -> int:
        return self.write(self.hello_frame())

    def heartbeat(self) -> int:
        return self.write(self.heartbeat_frame(), timeout=0)

    def strike(self, strength: int = 600) -> int:
        return self.write(self.strike_frame(strength))

    def press(self) -> int:
        """Contact switch closes (make): a RELEASE must follow."""
        self.held = True
        return self.write(self.strike_frame(0, make=True))

    def release(self) -> int:
        self.held = False
        return self.write(self.release_frame())

    # -- heartbeats ----------------------------------------------------------------------------

    def start_heartbeats(self, interval: float = 1.0) -> None:
        """Beat every ``interval`` s from a daemon thread (skipped while unplugged)."""
        if self._hb_thread is not None:
            return
        self._hb_stop.clear()

        def run() -> None:
            while not self._hb_stop.wait(interval):
                if self.plugged:
                    self.heartbeat()

        self._hb_thread = threading.Thread(target=run, name="sim-gavel-heartbeat", daemon=True)
        self._hb_thread.start()

    def stop_heartbeats(self) -> None:
        self._hb_stop.set()
        t, self._hb_thread = self._hb_thread, None
        if t is not None:
            t.join(timeout=5.0)

    def close(self) -> None:
        self.stop_heartbeats()
        self.unplug()

    def __enter__(self) -> SimulatedGavel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SimulatedSource(SerialGavelSource):
    """``pty`` spec: a :class:`SimulatedGavel` (beating every second) and a serial source
    reading it. ``source.device.strike()`` strikes; closing the source unplugs the device."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_event: EventCallback,
        *,
        mode: Mode = "frame",
        heartbeat_s: float = 1.0,
        config: DebounceConfig | None = None,
        backoff: Backoff | None = None,
        test_mode: bool = False,
        clock: Clock = time.monotonic,
    ) -> None:
        self.device = SimulatedGavel()
        super().__init__(
            self.device.port,
            loop,
            on_event,
            name="pty",
            mode=mode,
            config=config,
            backoff=backoff,
            test_mode=test_mode,
            clock=clock,
        )
        self.heartbeat_s = heartbeat_s

    def start(self) -> None:
        super().start()
        if self.mode == "frame":
            self.device.start_heartbeats(self.heartbeat_s)

    def close(self) -> None:
        super().close()
        self.device.close()
