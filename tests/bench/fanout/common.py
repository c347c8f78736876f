"""Shared driver code for the benches: child processes, load generators, statistics.

Every child runs in its own process group (``start_new_session``) and is killed with its
group in ``finally`` blocks, so an error or Ctrl-C never leaves a process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import sys
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
PYTHON = sys.executable
LOADGEN = Path(__file__).with_name("loadgen.py")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The marker every benchmark event carries: publish wall time and event number.
BENCH_PATTERN = r"bench:(?P<ts>\d+\.\d+):(?P<k>\d+)"


# An Auctionmen event as the stage and the relays send it: canonical JSON, keys sorted, on one
# ``data:`` line ({"at":…,"data":…,"epoch":…,"lot":…,"sale":…,"seq":…,"type":…}). ``ts`` is
# ``at`` (the stage's wall clock when the sequencer decided it), ``k`` is ``seq`` (so the
# generators need ``max_events`` > the highest seq measured; a fresh stage starts near 0).
EVENT_SEQ_PATTERN = r'"at":(?P<ts>\d+(?:\.\d+)?),"data".*?,"seq":(?P<k>\d+),"type":"[a-z_]+"\}'


def bench_key(k: int, ts: float) -> str:
    """The tag ``BENCH_PATTERN`` finds (also valid as an Auctionmen idempotency ``key``)."""
    return f"bench:{ts:.6f}:{k}"


# ------------------------------------------------------------------------------ environment
def raise_nofile() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (children inherit it); returns the new soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(pid: int, cpu: int | None) -> None:
    """Pin ``pid`` to one CPU (None: leave it); silently ignored where unsupported."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    with contextlib.suppress(OSError):
        os.sched_setaffinity(pid, {cpu % (os.cpu_count() or 1)})


def sched_idle(pid: int) -> None:
    """Let ``pid`` have only the CPU time nothing else wants (SCHED_IDLE, autogroup nice 19).

    For load generators on the server's machine: their subscribers stand for clients on other
    machines, so they should not take CPU from the server while it sends. Latencies come from
    kernel arrival timestamps, so when a generator reads does not change them (if it reads
    late, TCP coalescing gives the later arrival time: an error only ever upwards). Children
    run in their own session, so with autogroup scheduling (Linux's default) CFS shares a CPU
    between *sessions* first: SCHED_IDLE alone would only lower the generator inside its own
    group. Hence the group's nice value too.
    """
    if hasattr(os, "sched_setscheduler"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text("19")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    """utime + stime of ``pid`` in seconds (includes softirq work done in its context)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    parts = stat[stat.rindex(")") + 2 :].split()
    return (int(parts[11]) + int(parts[12])) / CLK_TCK


def pin_note(cpu: int | None) -> str:
    """How ``pin(pid, cpu)`` placed a process, for the bench's header line."""
    return "unpinned" if cpu is None else f"CPU{cpu % (os.cpu_count() or 1)}"


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) / {five:.2f} (5 min) on {os.cpu_count()} CPUs"


# ------------------------------------------------------------------------------ processes
class Child:
    """A child process in its own process group, killed with its group on ``stop()``."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name = name
        self.proc = proc
        self.pid = proc.pid

    @classmethod
    async def spawn(
        cls,
        name: str,
        argv: list[str],
        *,
        stdin: bool = False,
        stderr: Path | None = None,
        cwd: Path = REPO,
        env: dict[str, str] | None = None,
    ) -> Child:
        err: Any = asyncio.subprocess.DEVNULL
        if stderr is not None:
            err = stderr.open("ab")
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=cwd,
                env=env,
                start_new_session=True,
                stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                limit=64 << 20,
            )
        finally:
            if stderr is not None:
                err.close()
        return cls(name, proc)

    async def line(self, limit_s: float) -> dict[str, Any]:
        """Next JSON line on the child's stdout (non-JSON lines are skipped)."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + limit_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no answer within {limit_s:.0f} s")
            raw = await asyncio.wait_for(self.proc.stdout.readline(), left)
            if not raw:
                raise RuntimeError(f"{self.name} exited (code {self.proc.returncode})")
            with contextlib.suppress(ValueError):
                obj = json.loads(raw)
                if isinstance(obj, dict):
                    return obj

    async def send(self, obj: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        await self.proc.stdin.drain()

    async def stop(self, grace: float = 5.0) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), grace)
            except TimeoutError:
                pass
        # The group may outlive its leader (grandchildren): make sure it is gone.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if self.proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), grace)


class Children:
    """Everything a bench started; ``stop_all()`` in a ``finally``."""

    def __init__(self) -> None:
        self.items: list[Child] = []

    def add(self, child: Child) -> Child:
        self.items.append(child)
        return child

    async def stop_all(self) -> None:
        for child in reversed(self.items):
            with contextlib.suppress(Exception):
                await child.stop()
        self.items.clear()


async def wait_port(port: int, limit_s: float, child: Child | None = None) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        if child is not None and child.proc.returncode is not None:
            raise RuntimeError(f"{child.name} exited (code {child.proc.returncode})")
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            with contextlib.suppress(OSError):
                await w.wait_closed()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {port} after {limit_s:.0f} s") from None
            await asyncio.sleep(0.05)


# ------------------------------------------------------------------------------ statistics
def pct(sorted_values: list[float] | array[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (nan if empty)."""
    n = len(sorted_values)
    if not n:
        return float("nan")
    i = min(n - 1, max(0, int(-(-p * n // 100)) - 1))
    return float(sorted_values[i])


@dataclass
class Dist:
    """p50/p99/max of a list of seconds, shown in ms."""

    n: int = 0
    p50: float = float("nan")
    p99: float = float("nan")
    max: float = float("nan")

    @classmethod
    def of(cls, values: list[float] | array[float]) -> Dist:
        s = sorted(values)
        if not s:
            return cls()
        return cls(len(s), pct(s, 50), pct(s, 99), s[-1])

    def ms(self) -> str:
        if not self.n:
            return "–"
        return f"{self.p50 * 1e3:.1f} / {self.p99 * 1e3:.1f} / {self.max * 1e3:.1f}"


@dataclass
class Report:
    """Merged result of all load generators for a set of events."""

    events: int
    subs: int = 0
    closed: int = 0
    missing: int = 0
    subs_missing: int = 0
    dups: int = 0
    coalesced: int = 0  # deliveries timed by a later event's arrival (overstated latency)
    kernel_ts: bool = True
    all_kern: Dist = field(default_factory=Dist)  # every delivery
    all_app: Dist = field(default_factory=Dist)  # every delivery, read time
    last: Dist = field(default_factory=Dist)  # per event: the last subscriber
    first: Dist = field(default_factory=Dist)  # per event: the first subscriber
    loadgen_cpu_s: float = 0.0
    per_k_last: dict[int, float] = field(default_factory=dict)
    caught: Dist = field(default_factory=Dist)  # per subscriber: caught up after `since`

    @property
    def delivered_ok(self) -> bool:
        return self.missing == 0 and self.dups == 0 and self.closed == 0

    def delivery(self) -> str:
        if self.delivered_ok:
            return "100 %"
        return (
            f"missing {self.missing} ({self.subs_missing} subs), dup {self.dups}, "
            f"closed {self.closed}"
        )


class Loadgens:
    """The load-generator processes of one scenario (each with its own source address)."""

    def __init__(self, children: Children, tmp: Path, cpu: int | None, idle: bool = False) -> None:
        self.children = children
        self.tmp = tmp
        self.cpu = cpu
        self.idle = idle
        self.procs: list[Child] = []
        self.n = 0
        self._seq = 0

    async def add(
        self,
        n: int,
        procs: int,
        port: int,
        path: str,
        *,
        pattern: str = BENCH_PATTERN,
        max_events: int = 4096,
        deadline: float = 900.0,
        ready_s: float = 180.0,
        track_ids: bool = False,
        spread: int = 0,
    ) -> float:
        """Start ``procs`` generators holding ``n`` subscribers in all; returns connect time."""
        t0 = time.monotonic()
        started: list[Child] = []
        for i in range(procs):
            share = n // procs + (1 if i < n % procs else 0)
            self._seq += 1
            src = f"127.0.{self._seq % 250 + 1}.1"
            child = self.children.add(
                await Child.spawn(
                    f"loadgen{self._seq}",
                    [
                        PYTHON,
                        str(LOADGEN),
                        "--port",
                        str(port),
                        "--path",
                        path,
                        "--n",
                        str(share),
                        "--src",
                        src,
                        "--pattern",
                        pattern,
                        "--max-events",
                        str(max_events),
                        "--deadline",
                        str(deadline),
                        *(["--track-ids"] if track_ids else []),
                        *(["--spread", str(spread)] if spread else []),
                    ],
                    stdin=True,
                    stderr=self.tmp / "loadgen.stderr",
                )
            )
            pin(child.pid, self.cpu)
            if self.idle:
                sched_idle(child.pid)
            started.append(child)
        for child in started:
            ready = await child.line(ready_s)
            if ready.get("failed"):
                raise RuntimeError(
                    f"{child.name}: {ready['failed']} connects failed "
                    f"(see {self.tmp / 'loadgen.stderr'})"
                )
            if not ready.get("kernel_ts", True):
                print("note: kernel timestamps unavailable; latencies use read time", flush=True)
            self.n += int(ready["ready"])
        self.procs.extend(started)
        return time.monotonic() - t0

    async def wait(self, ks: range | list[int], wait_s: float) -> bool:
        for c in self.procs:
            await c.send({"cmd": "wait", "ks": list(ks), "timeout": wait_s})
        answers = [await c.line(wait_s + 30) for c in self.procs]
        return all(a.get("complete") for a in answers)

    async def drop(self) -> int:
        """Close every subscriber socket at once; returns how many had no event id yet."""
        for c in self.procs:
            await c.send({"cmd": "drop"})
        answers = [await c.line(60) for c in self.procs]
        return sum(int(a["without_id"]) for a in answers)

    async def reconnect(self, limit_s: float, retry_s: float = 1.0) -> dict[str, Any]:
        """All subscribers reconnect at once with Last-Event-ID; merged answers."""
        for c in self.procs:
            await c.send({"cmd": "reconnect", "timeout": limit_s, "retry": retry_s})
        answers = [await c.line(limit_s + 60) for c in self.procs]
        errors: dict[str, int] = {}
        for a in answers:
            for name, count in a["errors"].items():
                errors[name] = errors.get(name, 0) + int(count)
        return {
            "reconnected": sum(int(a["reconnected"]) for a in answers),
            "failed": sum(int(a["failed"]) for a in answers),
            "attempts": sum(int(a["attempts"]) for a in answers),
            "connect_s": max(float(a["connect_s"]) for a in answers),
            "errors": errors,
        }

    async def report(
        self,
        ks: range | list[int],
        ts: dict[int, float] | None = None,
        since: float | None = None,
    ) -> Report:
        rep = Report(events=len(ks))
        kern: array[float] = array("d")
        app: array[float] = array("d")
        caught: list[float] = []
        last: dict[int, float] = {}
        first: dict[int, float] = {}
        for i, c in enumerate(self.procs):
            out = self.tmp / f"lat-{i}.bin"
            await c.send(
                {
                    "cmd": "report",
                    "ks": list(ks),
                    "out": str(out),
                    "ts": {str(k): v for k, v in (ts or {}).items()},
                    **({"since": since} if since is not None else {}),
                }
            )
            r = await c.line(120)
            caught.extend(r.get("caught", ()))
            rep.subs += r["subs"]
            rep.closed += r["closed"]
            rep.missing += r["missing"]
            rep.subs_missing += r["subs_missing"]
            rep.dups += r["dups"]
            rep.coalesced += r.get("coalesced", 0)
            rep.kernel_ts &= bool(r["kernel_ts"])
            rep.loadgen_cpu_s += r["cpu_s"]
            for k, v in r["per_k"].items():
                if "max" in v:
                    last[int(k)] = max(last.get(int(k), 0.0), v["max"])
                    first[int(k)] = min(first.get(int(k), 1e9), v["min"])
            _take(out, kern)
            _take(Path(str(out) + ".app"), app)
        rep.all_kern = Dist.of(kern)
        rep.all_app = Dist.of(app)
        rep.last = Dist.of(list(last.values()))
        rep.first = Dist.of(list(first.values()))
        rep.per_k_last = last
        rep.caught = Dist.of(caught)
        return rep

    async def close(self) -> None:
        for c in self.procs:
            with contextlib.suppress(Exception):
                await c.send({"cmd": "quit"})
        for c in self.procs:
            await c.stop()
        self.procs.clear()
        self.n = 0


def _take(path: Path, into: array[float]) -> None:
    """Append the float64s of ``path`` to ``into`` and delete the file."""
    into.frombytes(path.read_bytes())
    path.unlink()


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain Markdown table (readable in a terminal and pasteable into README.md)."""
    cells = [headers, *rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    return "\n".join(lines)
