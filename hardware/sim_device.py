"""A pretend gavel for demos: ``python -m hardware.sim_device --pty``.

Prints the port to configure (``serial:<path>``), sends HELLO and a HEARTBEAT every second,
and reads commands from stdin:

    <Enter>  strike            b  bounce: 10 strikes within 50 ms (the app must hammer once)
    p / r    press / release   n  200 bytes of noise (must never strike)
    h        stop/start heartbeats (the app must show "gavel disconnected")
    q        quit

``--port PATH`` writes to an existing port instead (the other end of a socat pair, a USB-serial
adapter looped to the app's adapter). ``--simple`` sends a bare newline per strike, like a
"simple device".
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable

from .protocol import HelloFeature, encode_heartbeat, encode_hello, encode_release, encode_strike


class _Device:
    def __init__(self, write: Callable[[bytes], object], device_id: int, simple: bool) -> None:
        self._write = write
        self.device_id = device_id
        self.simple = simple
        self.seq = 0
        self.held = False
        self.beating = True
        self._lock = threading.Lock()
        self._t0 = time.monotonic()

    def _frame(self, build: Callable[[int, int, int], bytes]) -> None:
        with self._lock:
            self.seq = (self.seq + 1) & 0xFFFF
            ms = int((time.monotonic() - self._t0) * 1000)
            self._write(build(self.device_id, self.seq, ms))

    def hello(self) -> None:
        if not self.simple:
            self._frame(lambda d, s, _ms: encode_hello(d, s, HelloFeature.SWITCH, "sim_device"))

    def heartbeat(self) -> None:
        if not self.simple and self.beating:
            self._frame(lambda d, s, ms: encode_heartbeat(d, s, ms, self.held))

    def strike(self) -> None:
        if self.simple:
            with self._lock:
                self._write(b"\n")
        else:
            self._frame(lambda d, s, ms: encode_strike(d, s, ms, 700))

    def press(self) -> None:
        self.held = True
        self._frame(lambda d, s, ms: encode_strike(d, s, ms, 0, make=True))

    def release(self) -> None:
        self.held = False
        self._frame(lambda d, s, ms: encode_release(d, s, ms))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hardware.sim_device", description=__doc__)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--pty", action="store_true", help="create a pty pair, print its path")
    where.add_argument("--port", help="write to this existing serial port or pyserial URL")
    ap.add_argument("--link", help="with --pty: also make this symlink to the tty")
    ap.add_argument("--device-id", type=int, default=1)
    ap.add_argument("--heartbeat", type=float, default=1.0, help="seconds between heartbeats")
    ap.add_argument("--simple", action="store_true", help="send a newline per strike, no frames")
    args = ap.parse_args(argv)

    close: Callable[[], None]
    if args.pty:
        from .simulated import SimulatedGavel

        gavel = SimulatedGavel(link=args.link, device_id=args.device_id)
        port = gavel.port
        write: Callable[[bytes], object] = gavel.write
        close = gavel.close
    else:
        from .serial_source import open_serial

        ser = open_serial(args.port)
        port = args.port
        write = ser.write
        close = ser.close

    dev = _Device(write, args.device_id, args.simple)
    mode = ",mode=line" if args.simple else ""
    print(f"gavel port: {port}\nconfigure: serial:{port}{mode}", flush=True)
    dev.hello()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(args.heartbeat):
            dev.heartbeat()

    threading.Thread(target=beat, daemon=True).start()
    try:
        for line in sys.stdin:
            cmd = line.strip().lower()
            if cmd == "q":
                break
            if cmd == "b":
                for _ in range(10):
                    dev.strike()
                    time.sleep(0.005)
            elif cmd == "n":
                write(os.urandom(200))
            elif cmd == "p":
                dev.press()
            elif cmd == "r":
                dev.release()
            elif cmd == "h":
                dev.beating = not dev.beating
                print(f"heartbeats {'on' if dev.beating else 'off'}", flush=True)
            else:
                dev.strike()
            print(f"sent ({cmd or 'strike'}) seq={dev.seq}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
