"""SSE load generator: N raw subscriber sockets, kernel receive timestamps.

Run by the benches as a separate process (stdlib only, no HTTP client library)::

    python tests/bench/fanout/loadgen.py --port 8000 --path '/.well-known/mercure?topic=…' \
        --n 5000 --src 127.0.1.1 --pattern 'bench:(?P<ts>\\d+\\.\\d+):(?P<k>\\d+)'

Every socket has SO_TIMESTAMPNS, so each ``recvmsg()`` also returns the kernel's arrival time
of the bytes (CLOCK_REALTIME, the same clock as the publisher's ``time.time()``). On loopback
that is the moment the server's ``send()`` pushed them, so the numbers are free of this
process's own backlog (the app-level read time is recorded too).

Each event is tagged by ``--pattern``, a bytes regex with a group ``k`` (an integer event
number, < ``--max-events``) and optionally ``ts`` (the publish wall time, embedded in the event
data). Without ``ts`` in the event the driver supplies the timestamps in the ``report`` command.

Receiving is kept cheap, because the generators share the machine with the server: after
connecting (asyncio), one plain epoll loop watches every socket and stdin; each readable socket
is read once per wake-up and the bytes are only stored with their timestamps; they are parsed
when the driver asks (``wait``, ``report``).

Frames are parsed minimally: the stream is split at blank lines (``\\n\\n`` / ``\\n\\r\\n``)
and the pattern is searched in every complete block; HTTP chunk-size lines between events
are ignored. This relies on a server never splitting one SSE event across two HTTP chunks
(true for the Auctionmen hub, which writes whole frames, and for sse-starlette).

Control protocol: one JSON object per line on stdin, one per line on stdout.

* on start: ``{"ready": n_connected, "failed": n, "connect_s": s, "kernel_ts": bool}``
* ``{"cmd": "wait", "k0": a, "k1": b, "timeout": s}`` (or ``"ks": [k, …]`` instead of a
  range) → ``{"complete": bool, "waited_s": s}``
  once every connected subscriber has every event ``a <= k < b`` (or at the timeout)
* ``{"cmd": "report", "k0": a, "k1": b, "ts": {"k": ts, …}, "out": path}`` → per-event and
  per-subscriber counts; the raw latencies (seconds, float64) go to ``path`` (kernel) and
  ``path + ".app"`` (read time)
* ``{"cmd": "drop"}`` → every subscriber socket is closed at once (the venue's Wi-Fi
  drops); what each has seen is kept → ``{"dropped": n, "without_id": m}``. Needs
  ``--track-ids`` (the ``id:`` of the last event each subscriber received).
* ``{"cmd": "reconnect", "timeout": s, "retry": r}`` → all reconnect at once (no limit on
  connects in flight: a reconnection storm), each with ``Last-Event-ID`` = its last id; a
  failed attempt is retried after ``r`` s (an EventSource's retry) until ``s`` →
  ``{"reconnected": n, "failed": f, "attempts": a, "connect_s": s, "errors": {...}}``.
  A subscriber's ``caught`` time (``report`` with ``"since": t``) is the arrival of the
  last new event it got after that, minus ``t``. Bytes read together with the response
  head have no kernel timestamp: they are timed at read.
* ``{"cmd": "quit"}`` (or EOF on stdin, or ``--deadline`` seconds) → close everything, exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import re
import resource
import select
import socket
import struct
import sys
import time
from array import array
from typing import Any

SO_TIMESTAMPNS: int = getattr(socket, "SO_TIMESTAMPNS", 35)
SCM_TIMESTAMPNS: int = getattr(socket, "SCM_TIMESTAMPNS", SO_TIMESTAMPNS)
IP_BIND_ADDRESS_NO_PORT = 24
_TIMESPEC = struct.Struct("@qq")
_ANC_SIZE = socket.CMSG_SPACE(_TIMESPEC.size)
_MAX_BUF = 1 << 20  # bytes without a blank line before we call the stream broken
_ID_LINE = re.compile(rb"(?m)^id: ?([^\r\n]*)\r?$")


class Sub:
    """One subscriber socket and what it has seen."""

    __slots__ = ("buf", "chunks", "dups", "fd", "last_at", "last_id", "seen", "sock", "src")

    def __init__(self, sock: socket.socket, max_events: int, src: str = "") -> None:
        self.sock = sock
        self.src = src  # the source address it binds (kept when it reconnects)
        self.fd = sock.fileno()
        self.buf = b""
        # read, not parsed yet: (bytes, ancillary data or None if read without it, read time)
        self.chunks: list[tuple[bytes, list[Any] | None, float]] = []
        self.seen = bytearray(max_events)
        self.dups = 0
        self.last_id = b""  # `id:` of the last complete event (--track-ids)
        self.last_at = 0.0  # arrival of the last event seen for the first time


class LoadGen:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.track_ids: bool = args.track_ids
        self.pattern = re.compile(args.pattern.encode())
        self.has_ts = "ts" in self.pattern.groupindex
        self.max_events: int = args.max_events
        self.subs: list[Sub] = []
        self.closed = 0  # streams the server ended or broke while we listened
        self.kernel_ts = True  # False as soon as one read came without a kernel timestamp
        self.kern: dict[int, array[float]] = {}  # k -> kernel arrival times
        self.app: dict[int, array[float]] = {}  # k -> read times
        self.counts: list[int] = [0] * self.max_events  # first receptions per k
        self.ts: dict[int, float] = {}  # k -> publish time (from the event)
        self.bad_k = 0
        self.coalesced: list[int] = [0] * self.max_events  # per k, see _parse
        self.epoll = select.epoll()
        self.by_fd: dict[int, Sub] = {}
        self.waiting: tuple[list[int], float, float] | None = None  # ks, started, timeout

    # ---------------------------------------------------------------- connecting
    async def connect_all(self) -> tuple[int, int, float]:
        self.loop = asyncio.get_running_loop()
        a = self.args
        target = f"{a.host}:{a.port}"
        request = (
            f"GET {a.path} HTTP/1.1\r\nHost: {target}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
        ).encode()
        sem = asyncio.Semaphore(a.inflight)
        failed = 0
        errors: dict[str, int] = {}

        async def one(i: int) -> None:
            nonlocal failed
            async with sem:
                try:
                    self.subs.append(await self._connect(request, src=self.source(i)))
                except (OSError, TimeoutError, ValueError) as e:
                    failed += 1
                    name = type(e).__name__ + (f": {e}" if isinstance(e, ValueError) else "")
                    errors[name] = errors.get(name, 0) + 1

        t0 = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(a.n)))
        if errors:
            print(f"loadgen: connect errors {errors}", file=sys.stderr, flush=True)
        return len(self.subs), failed, time.monotonic() - t0

    def source(self, i: int) -> str:
        """Subscriber ``i``'s source address: ``--src``, or with ``--spread K`` one of many
        (K subscribers each, like phones on a venue's LAN: a server's per-address limits then
        see what they would see there, not two addresses holding thousands each)."""
        a = self.args
        if not a.spread or not a.src:
            return str(a.src)
        j = i // a.spread
        gen = a.src.split(".")[2]  # each generator's --src differs here: 127.0.<g>.1
        return f"127.{1 + j // 250}.{gen}.{j % 250 + 1}"

    async def _connect(
        self, request: bytes, sub: Sub | None = None, limit_s: float = 15.0, src: str = ""
    ) -> Sub:
        """Connect and read the response head; ``sub`` given: it reconnects (same record)."""
        a = self.args
        src = sub.src if sub is not None else src
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.setblocking(False)
            try:
                s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            except OSError:
                self.kernel_ts = False
            if src:
                with contextlib.suppress(OSError):
                    s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((src, 0))
            await asyncio.wait_for(self.loop.sock_connect(s, (a.host, a.port)), limit_s)
            await self.loop.sock_sendall(s, request)
            head = b""
            while b"\r\n\r\n" not in head:
                data = await asyncio.wait_for(self.loop.sock_recv(s, 16384), limit_s)
                if not data:
                    raise ValueError("closed before the response headers")
                head += data
                if len(head) > 65536:
                    raise ValueError("response headers too long")
            status_line = head.split(b"\r\n", 1)[0]
            if b" 200" not in status_line:
                raise ValueError(status_line.decode(errors="replace")[:80])
            rest = head.split(b"\r\n\r\n", 1)[1]
            if sub is None:
                sub = Sub(s, self.max_events, src)
                sub.buf = rest
            else:  # replay may come in the same read as the head: parse it, timed at read
                sub.sock, sub.fd, sub.buf, sub.last_at = s, s.fileno(), b"", 0.0
                if rest:
                    sub.chunks.append((rest, None, time.time()))
            self.by_fd[sub.fd] = sub
            self.epoll.register(sub.fd, select.EPOLLIN)
            return sub
        except BaseException:
            s.close()
            raise

    # ---------------------------------------------------------------- receiving
    def read_ready(self, ready: list[tuple[int, int]], now: float) -> int:
        """Read every ready socket once and store the bytes (parsing waits for ``_digest``);
        returns how many sockets were read (other fds in ``ready`` are skipped)."""
        by_fd = self.by_fd
        read = 0
        for fd, _mask in ready:
            sub = by_fd.get(fd)
            if sub is None:
                continue
            read += 1
            try:
                data, anc, _flags, _addr = sub.sock.recvmsg(65536, _ANC_SIZE)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data, anc = b"", []
            if not data:  # EOF stays readable: stop watching now, close when parsed
                self.epoll.unregister(fd)
                del by_fd[fd]
            sub.chunks.append((data, anc, now))
        return read

    def _digest(self) -> None:
        """Parse what was read since the last call."""
        for sub in self.subs:
            if sub.chunks:
                chunks, sub.chunks = sub.chunks, []
                for data, anc, now in chunks:
                    if not self._parse(sub, data, anc, now):
                        break

    def _parse(self, sub: Sub, data: bytes, anc: list[Any] | None, now: float) -> bool:
        if not data:
            self._close(sub)
            return False
        kt = 0.0
        for level, kind, cdata in anc or ():
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
                sec, nsec = _TIMESPEC.unpack_from(cdata)
                kt = sec + nsec * 1e-9
        if not kt:
            if anc is not None:
                self.kernel_ts = False
            kt = now
        buf = sub.buf + data
        end = max(buf.rfind(b"\n\n"), buf.rfind(b"\n\r\n"))
        if end < 0:
            sub.buf = buf
            if len(buf) > _MAX_BUF:
                self._close(sub)
                return False
            return True
        sub.buf = buf[end + 1 :]
        if self.track_ids:
            for m in _ID_LINE.finditer(buf, 0, end + 1):
                sub.last_id = m.group(1)
        # Several events in one read share its timestamp, the arrival of the *last* bytes
        # (TCP merges queued segments and keeps the newest time): the earlier ones then
        # count late — an error upwards only, but counted so the report can say so.
        last_k = -1
        for m in self.pattern.finditer(buf, 0, end + 1):
            k = int(m.group("k"))
            if not 0 <= k < self.max_events:
                self.bad_k += 1
                continue
            if sub.seen[k]:
                sub.dups += 1
                continue
            sub.seen[k] = 1
            if last_k >= 0:
                self.coalesced[last_k] += 1
            last_k = k
            sub.last_at = max(sub.last_at, kt)
            self.counts[k] += 1
            arr = self.kern.get(k)
            if arr is None:
                arr = self.kern[k] = array("d")
                self.app[k] = array("d")
                if self.has_ts:
                    self.ts[k] = float(m.group("ts"))
            arr.append(kt)
            self.app[k].append(now)
        return True

    def _close(self, sub: Sub) -> None:
        if sub.sock.fileno() >= 0:
            self.by_fd.pop(sub.fd, None)
            with contextlib.suppress(OSError):
                self.epoll.unregister(sub.fd)
            sub.sock.close()
            self.closed += 1

    # ---------------------------------------------------------------- commands
    def check_wait(self) -> dict[str, Any] | None:
        """The answer to a pending ``wait`` once it is complete or timed out, else None."""
        if self.waiting is None:
            return None
        ks, t0, wait_s = self.waiting
        self._digest()
        n = len(self.subs)
        waited = time.monotonic() - t0
        if all(self.counts[k] >= n for k in ks):
            answer = {"complete": True, "waited_s": waited}
        elif waited > wait_s:
            answer = {"complete": False, "waited_s": waited}
        else:
            return None
        self.waiting = None
        return answer

    def report(
        self, ks: list[int], ts_in: dict[str, float], out: str, since: float | None = None
    ) -> dict[str, Any]:
        self._digest()
        ts = {**self.ts, **{int(k): float(v) for k, v in ts_in.items()}}
        kern_all = array("d")
        app_all = array("d")
        per_k: dict[str, dict[str, float]] = {}
        for k in ks:
            arr = self.kern.pop(k, array("d"))
            app = self.app.pop(k, array("d"))
            t = ts.get(k)
            if t is None or not arr:
                per_k[str(k)] = {"count": len(arr)}
                continue
            lat = array("d", (x - t for x in arr))
            lat_app = array("d", (x - t for x in app))
            kern_all.extend(lat)
            app_all.extend(lat_app)
            per_k[str(k)] = {
                "count": len(arr),
                "max": max(lat),
                "max_app": max(lat_app),
                "min": min(lat),
                "ts": t,
            }
        missing = 0
        subs_missing = 0
        dups = 0
        caught: list[float] = []  # per subscriber with every k: last arrival - since
        for sub in self.subs:
            m = sum(1 for k in ks if not sub.seen[k])
            missing += m
            subs_missing += m > 0
            dups += sub.dups
            if since is not None and not m and sub.last_at:
                caught.append(sub.last_at - since)
        with open(out, "wb") as f:
            kern_all.tofile(f)
        with open(out + ".app", "wb") as f:
            app_all.tofile(f)
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "subs": len(self.subs),
            "closed": self.closed,
            "missing": missing,
            "subs_missing": subs_missing,
            "dups": dups,
            "bad_k": self.bad_k,
            "coalesced": sum(self.coalesced[k] for k in ks),
            "kernel_ts": self.kernel_ts,
            "per_k": per_k,
            "cpu_s": ru.ru_utime + ru.ru_stime,
            "caught": caught,
        }

    def drop(self) -> dict[str, Any]:
        """Close every socket at once, keeping what each subscriber has seen."""
        self._digest()
        for sub in self.subs:
            self.by_fd.pop(sub.fd, None)
            if sub.sock.fileno() >= 0:
                with contextlib.suppress(OSError):
                    self.epoll.unregister(sub.fd)
                sub.sock.close()
        return {"dropped": len(self.subs), "without_id": sum(not s.last_id for s in self.subs)}

    async def reconnect_all(self, limit_s: float, retry_s: float) -> dict[str, Any]:
        """Every subscriber at once, each with its Last-Event-ID. One that fails (refused,
        reset, no answer, not 200) tries again after ``retry_s``, as an EventSource does,
        until ``limit_s`` after the start."""
        self.loop = asyncio.get_running_loop()
        a = self.args
        errors: dict[str, int] = {}
        lost: list[Sub] = []
        attempts = 0
        end = time.monotonic() + limit_s

        async def one(sub: Sub) -> None:
            request = (
                f"GET {a.path} HTTP/1.1\r\nHost: {a.host}:{a.port}\r\n"
                "Accept: text/event-stream\r\nCache-Control: no-cache\r\n"
                f"Last-Event-ID: {sub.last_id.decode()}\r\n\r\n"
            ).encode()
            nonlocal attempts
            while True:
                attempts += 1
                try:
                    await self._connect(request, sub, max(0.1, end - time.monotonic()))
                    return
                except (OSError, TimeoutError, ValueError) as e:
                    name = type(e).__name__ + (f": {e}" if isinstance(e, ValueError) else "")
                    errors[name] = errors.get(name, 0) + 1
                if time.monotonic() + retry_s >= end:
                    lost.append(sub)
                    return
                await asyncio.sleep(retry_s)

        t0 = time.monotonic()
        await asyncio.gather(*(one(sub) for sub in self.subs))
        took = time.monotonic() - t0
        if lost:  # reported as failed by the driver, not waited for
            gone = set(map(id, lost))
            self.subs = [sub for sub in self.subs if id(sub) not in gone]
        return {
            "reconnected": len(self.subs),
            "failed": len(lost),
            "attempts": attempts,
            "connect_s": took,
            "errors": errors,
        }

    def close_all(self) -> None:
        for sub in self.subs:
            self._close(sub)
        self.epoll.close()


def _ks(cmd: dict[str, Any]) -> list[int]:
    if "ks" in cmd:
        return [int(k) for k in cmd["ks"]]
    return list(range(int(cmd["k0"]), int(cmd["k1"])))


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(gen: LoadGen, deadline: float) -> None:
    """Receive and answer commands until ``quit``, EOF on stdin or the deadline.

    One plain epoll loop over the sockets and stdin, no asyncio: on loopback the server's
    ``send()`` runs our side's wake-up too, so this process keeps that path as short as a
    remote client's would be (a single epoll, no nested one).
    """
    # What we keep (chunks, their tuples) is all garbage-free: a cyclic GC pass over
    # hundreds of thousands of them would stall reading for tens of ms.
    gc.collect()
    gc.freeze()
    gc.disable()
    stdin = sys.stdin.fileno()
    gen.epoll.register(stdin, select.EPOLLIN)
    pending = b""
    checked = 0.0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            print("loadgen: deadline reached", file=sys.stderr, flush=True)
            return
        ready = gen.epoll.poll(min(left, 0.01 if gen.waiting else 1.0), 4096)
        now = time.time()
        if any(fd == stdin for fd, _ in ready):
            data = os.read(stdin, 1 << 16)
            if not data:
                return  # the driver is gone
            pending += data
        read = gen.read_ready(ready, now)
        if read:
            # On loopback the server's send() pays for waking us when we block in epoll_wait
            # (a remote client's wake-up costs the server nothing): while data flows, let it
            # gather for a moment instead. The kernel timestamps do not move.
            time.sleep(0.001)
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            cmd = json.loads(line)
            op = cmd.get("cmd")
            if op == "wait":
                gen.waiting = (_ks(cmd), time.monotonic(), float(cmd["timeout"]))
                checked = time.monotonic()
            elif op == "report":
                since = cmd.get("since")
                _emit(
                    gen.report(
                        _ks(cmd),
                        cmd.get("ts") or {},
                        str(cmd["out"]),
                        None if since is None else float(since),
                    )
                )
            elif op == "drop":
                _emit(gen.drop())
            elif op == "reconnect":
                limit_s, retry_s = float(cmd.get("timeout", 60.0)), float(cmd.get("retry", 1.0))
                _emit(asyncio.run(gen.reconnect_all(limit_s, retry_s)))
            elif op == "quit":
                return
            else:
                _emit({"error": f"unknown command {op!r}"})
        # Parsing waits until the sockets are quiet (or 0.5 s), so it never delays the
        # reading of an event still arriving.
        if gen.waiting is not None and (not read or time.monotonic() - checked > 0.5):
            checked = time.monotonic()
            answer = gen.check_wait()
            if answer is not None:
                _emit(answer)


def run(args: argparse.Namespace) -> None:
    deadline = time.monotonic() + args.deadline
    gen = LoadGen(args)
    try:
        n_ok, failed, took = asyncio.run(asyncio.wait_for(gen.connect_all(), args.deadline))
        if not gen.kernel_ts:
            print(
                "loadgen: SO_TIMESTAMPNS unavailable, using time.time() at read",
                file=sys.stderr,
                flush=True,
            )
        _emit(
            {
                "ready": n_ok,
                "failed": failed,
                "connect_s": took,
                "kernel_ts": gen.kernel_ts,
                "pid": os.getpid(),
            }
        )
        serve(gen, deadline)
    finally:
        gen.close_all()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True, help="request target of the SSE GET")
    p.add_argument("--n", type=int, required=True, help="subscribers")
    p.add_argument("--src", default="", help="source address to bind, e.g. 127.0.1.1")
    p.add_argument(
        "--pattern",
        required=True,
        help="bytes regex with group k (and optionally ts) tagging an event",
    )
    p.add_argument("--max-events", type=int, default=4096)
    p.add_argument("--inflight", type=int, default=200, help="concurrent connects")
    p.add_argument("--deadline", type=float, default=900.0, help="exit after this many s")
    p.add_argument(
        "--spread",
        type=int,
        default=0,
        help="subscribers per source address (0: all bind --src)",
    )
    p.add_argument(
        "--track-ids",
        action="store_true",
        help="remember each subscriber's last event id (for drop / reconnect)",
    )
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, args.n + 256) if hard != resource.RLIM_INFINITY else args.n + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    with contextlib.suppress(KeyboardInterrupt):
        run(args)


if __name__ == "__main__":
    main()
