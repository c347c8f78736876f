"""The guarded HTTP server of the stage and the relay node: slowloris and log floods.

aiohttp reads a request head for as long as the client cares to send it, so a few thousand
connections that never finish their headers hold every file descriptor, and then bids, staff
and the relay link are refused too. `GuardedRunner` is an `aiohttp.web.AppRunner` whose
connections are `GuardedHandler`s (an `aiohttp.web.RequestHandler` subclass; no aiohttp
internals are patched):

- **Header deadline.** A connection that has not completed a request head within
  `header_timeout` seconds of opening is closed. Between keep-alive requests aiohttp's own
  keep-alive timer (set to the same value) closes a connection whose next head is not complete
  in time: it fires only while the connection waits for a request, never during a response
  (an SSE stream lives as long as it likes). A request body must arrive within the same
  time after its head (slow-body attacks); the handler may take as long as it needs.
- **Unfinished requests per client address.** At most `max_unfinished_per_client` connections
  of one untrusted address (an IPv6 /64) may be without a complete request head; further ones
  are reset at accept. (A burst of new connections counts until their heads are read, so the
  cap is not small: it is there so that one address cannot take every descriptor.)
- **A reserve of descriptors.** When the process's open descriptors come within `fd_reserve`
  of RLIMIT_NOFILE, a new connection from an untrusted address takes the place of the oldest
  untrusted one that is waiting for a request (unfinished, else idle keep-alive), or is reset
  if there is none; a connection from a `trusted` network is admitted into the reserve. At
  accept time nothing but the peer's and our own address is known (no header, no token, no
  X-Forwarded-For), so "staff" can only mean an address: loopback by default, plus the
  networks the house lists (its staff terminals' subnet, the stage's public address on a
  relay). Outgoing connections (the stage's relay link, Redis) come out of the reserve too.
- **Log digest.** aiohttp logs each unparsable request at ERROR with a traceback; here the
  first of each kind in an interval is one line (WARNING for a client's bad request, ERROR with
  the traceback for a server fault), the rest are counted and summarised in one line.

Behind a TLS-terminating proxy every connection comes from the proxy: see docs/OPERATIONS.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.log import server_logger
from aiohttp.streams import StreamReader

Clock = Callable[[], float]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_TRUSTED = ("127.0.0.1/32", "::1/128")


class GuardConfigError(ValueError):
    """A guard setting that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class GuardConfig:
    header_timeout: float = 10.0  # seconds to complete a request head (and between requests)
    max_unfinished_per_client: int = 256  # connections without a complete head, per address
    fd_reserve: int = 64  # descriptors kept for trusted addresses and outgoing links
    trusted: tuple[str, ...] = DEFAULT_TRUSTED  # networks admitted into the reserve
    log_interval: float = 60.0  # one log line per kind of bad request per interval
    networks: tuple[Network, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (0 < self.header_timeout <= 3600):
            raise GuardConfigError(f"header_timeout {self.header_timeout!r}: 0 < seconds ≤ 3600")
        if not (0 <= self.max_unfinished_per_client <= 1_000_000):
            raise GuardConfigError(
                f"max_unfinished_per_client {self.max_unfinished_per_client!r}: "
                "0 (no cap) to 1,000,000"
            )
        if not (0 <= self.fd_reserve <= 1_000_000):
            raise GuardConfigError(f"fd_reserve {self.fd_reserve!r}: 0 to 1,000,000")
        if not (0 < self.log_interval <= 86_400):
            raise GuardConfigError(f"log_interval {self.log_interval!r}: 0 < seconds ≤ 86,400")
        object.__setattr__(self, "networks", tuple(_network(n) for n in self.trusted))


def _network(spec: object) -> Network:
    if not isinstance(spec, str) or len(spec) > 60:
        raise GuardConfigError(f"trusted network {str(spec)[:60]!r} is not an address or CIDR")
    try:
        return ipaddress.ip_network(spec.strip(), strict=False)
    except ValueError:
        raise GuardConfigError(
            f"trusted network {spec!r} is not an address or CIDR like 192.168.1.0/24"
        ) from None


# -- descriptors ----------------------------------------------------------------------------


class FdGauge:
    """This process's open descriptors against its soft RLIMIT_NOFILE.

    Counting /proc/self/fd costs a directory read, so it is counted at most once per `refresh`
    seconds; in between, the guard's own opens and closes (`tracked`) move the estimate.
    Where descriptors cannot be counted (no /proc, no /dev/fd, no `resource`), the gauge
    never reports pressure.
    """

    def __init__(self, refresh: float = 1.0, clock: Clock = time.monotonic) -> None:
        self.refresh = refresh
        self.clock = clock
        self._at = -float("inf")
        self._others = 0  # descriptors that are not the guard's connections
        self._limit = 0

    def pressed(self, tracked: int, reserve: int) -> bool:
        """True when fewer than `reserve` descriptors are left."""
        now = self.clock()
        if now - self._at >= self.refresh:
            self._at = now
            count = _count_fds()
            self._limit = _fd_limit() if count is not None else 0
            self._others = (count or 0) - tracked
        return self._limit > 0 and self._others + tracked + reserve >= self._limit


def _count_fds() -> int | None:
    for where in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return len(os.listdir(where)) - 1  # the directory listing's own descriptor
    return None


def _fd_limit() -> int:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return 0
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return 0 if soft == resource.RLIM_INFINITY else soft


Gauge = Callable[[int, int], bool]  # (tracked connections, reserve) -> pressed?


# -- the log digest -------------------------------------------------------------------------


@dataclass(slots=True)
class _Window:
    start: float
    count: int = 0  # suppressed since `start`
    client: str = ""


class LogDigest:
    """At most one log line per kind of failure per `interval`; the others counted, then
    summarised in one line when the interval is over (or at `flush`)."""

    def __init__(
        self, logger: logging.Logger, interval: float, clock: Clock = time.monotonic
    ) -> None:
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self._windows: dict[str, _Window] = {}
        self._timer: asyncio.TimerHandle | None = None

    def exception(self, client: str, args: tuple[Any, ...], exc: object) -> None:
        """What `RequestHandler.log_exception(*args, exc_info=exc)` would have logged."""
        error = exc if isinstance(exc, BaseException) else None
        if isinstance(error, HttpProcessingError):
            kind = f"bad requests ({type(error).__name__})"
            self.note(kind, client, logging.WARNING, "bad request from %s: %s", client, clip(error))
        else:
            text = args[0] % args[1:] if len(args) > 1 else args[0] if args else "error"
            kind = f"server errors ({type(error).__name__})"
            self.note(kind, client, logging.ERROR, "%s (%s)", clip(text), client, exc_info=error)

    def note(
        self,
        kind: str,
        client: str,
        level: int,
        message: str,
        *args: object,
        exc_info: BaseException | None = None,
    ) -> None:
        """Log `message` if it is the first of `kind` in this interval, else count it."""
        if self._suppressed(kind, client):
            return
        self.logger.log(
            level,
            message + "; more %s are counted and logged once every %g s",
            *args,
            kind,
            self.interval,
            exc_info=exc_info,
        )

    def _suppressed(self, kind: str, client: str) -> bool:
        now = self.clock()
        window = self._windows.get(kind)
        if window is not None and now - window.start < self.interval:
            window.count += 1
            window.client = client
            self._arm()
            return True
        if window is not None and window.count:
            self._summarise(kind, window, now)
        self._windows[kind] = _Window(now)
        return False

    def _arm(self) -> None:
        if self._timer is None:
            with contextlib.suppress(RuntimeError):  # no running loop: `flush` will do it
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(self.interval, self._due)

    def _due(self) -> None:
        self._timer = None
        now = self.clock()
        for kind, window in list(self._windows.items()):
            if now - window.start >= self.interval:
                if window.count:
                    self._summarise(kind, window, now)
                del self._windows[kind]
        if any(w.count for w in self._windows.values()):
            self._arm()

    def flush(self) -> None:
        """Summarise every count now (the server is stopping)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        now = self.clock()
        for kind, window in self._windows.items():
            if window.count:
                self._summarise(kind, window, now)
        self._windows.clear()

    def _summarise(self, kind: str, window: _Window, now: float) -> None:
        self.logger.warning(
            "%d more %s in the last %.0f s (the last from %s)",
            window.count,
            kind,
            now - window.start,
            window.client,
        )
        window.count = 0


def clip(value: object, limit: int = 200) -> str:
    """One line, escaped, short: what a client sent never forges or floods a log line."""
    text = repr(str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- admission --------------------------------------------------------------------------------


class Guard:
    """Who may hold a connection: the per-address cap on unfinished requests and the reserve
    of descriptors. Counts what it did in `stats` (refused_per_client, refused_fds, shed,
    header_timeout, body_timeout)."""

    def __init__(
        self,
        config: GuardConfig | None = None,
        *,
        gauge: Gauge | None = None,
        logger: logging.Logger = server_logger,
        clock: Clock = time.monotonic,
    ) -> None:
        self.config = config or GuardConfig()
        self.gauge: Gauge = gauge or FdGauge(clock=clock).pressed
        self.digest = LogDigest(logger, self.config.log_interval, clock)
        self.stats: Counter[str] = Counter()
        self.open = 0  # admitted connections not yet closed
        self._unfinished: OrderedDict[GuardedHandler, str] = OrderedDict()  # oldest first
        self._idle: OrderedDict[GuardedHandler, str] = OrderedDict()  # kept alive, no request
        self._per_client: Counter[str] = Counter()
        self._trusted: dict[str, bool] = {}

    def trusted(self, client: str) -> bool:
        known = self._trusted.get(client)
        if known is None:
            known = _in_networks(client, self.config.networks)
            if len(self._trusted) > 10_000:  # many addresses: forget, do not grow
                self._trusted.clear()
            self._trusted[client] = known
        return known

    def unfinished(self, client: str) -> int:
        """Connections without a complete head counted against `client`'s cap."""
        return self._per_client[_cap_key(client)]

    def admit(self, conn: GuardedHandler, client: str) -> bool:
        cap = self.config.max_unfinished_per_client
        # Trusted addresses are not capped: a local TLS proxy, staff terminals.
        key = _cap_key(client)
        if cap and self._per_client[key] >= cap and not self.trusted(client):
            self._note(
                "refused_per_client", client, "refused %s: %d unfinished requests", client, cap
            )
            return False
        if self.gauge(self.open, self.config.fd_reserve) and not self.trusted(client):
            victim = self._victim()
            if victim is None:
                self._note("refused_fds", client, "descriptor reserve reached: refused %s", client)
                return False
            self._note(
                "shed",
                client,
                "descriptor reserve reached: shed a waiting connection for %s",
                client,
            )
            self.finished(victim)
            victim.force_close()
        self._unfinished[conn] = client
        self._per_client[key] += 1
        self.open += 1
        return True

    def _victim(self) -> GuardedHandler | None:
        """The oldest untrusted connection without a request: unfinished first, then idle."""
        for waiting in (self._unfinished, self._idle):
            for conn, client in waiting.items():
                if not self.trusted(client):
                    return conn
        return None

    def waiting(self, conn: GuardedHandler) -> None:
        """`conn` was answered and is kept alive: idle until its next head is complete."""
        self._idle[conn] = conn.client

    def finished(self, conn: GuardedHandler) -> bool:
        """`conn` completed a request head (or is gone): no longer unfinished nor idle.
        False if it was not unfinished."""
        self._idle.pop(conn, None)
        client = self._unfinished.pop(conn, None)
        if client is None:
            return False
        key = _cap_key(client)
        self._per_client[key] -= 1
        if self._per_client[key] <= 0:
            del self._per_client[key]
        return True

    def overdue(self, conn: GuardedHandler) -> bool:
        """The header deadline of `conn` passed: True if it still had no complete head (an
        idle keep-alive connection is closed quietly, an unfinished head is counted)."""
        if self._idle.pop(conn, None) is not None:
            return True
        if self.finished(conn):
            self._note("header_timeout", conn.client, "header deadline: closed %s", conn.client)
            return True
        return False

    def body_overdue(self, client: str) -> None:
        self._note("body_timeout", client, "body deadline: closed %s", client)

    def _note(self, what: str, client: str, message: str, *args: object) -> None:
        self.stats[what] += 1
        self.digest.note(_KINDS[what], client, logging.WARNING, message, *args)

    def closed(self, conn: GuardedHandler) -> None:
        self.finished(conn)
        self.open -= 1


_KINDS = {
    "refused_per_client": "connections refused (unfinished requests per client)",
    "refused_fds": "connections refused (descriptor reserve)",
    "shed": "waiting connections shed (descriptor reserve)",
    "header_timeout": "connections closed at the header deadline",
    "body_timeout": "connections closed at the body deadline",
}


def _in_networks(client: str, networks: Iterable[Network]) -> bool:
    try:
        address = ipaddress.ip_address(client.partition("%")[0])  # drop an IPv6 zone
    except ValueError:
        return client == ""  # a Unix socket's peer is a local process
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in networks)


def _cap_key(client: str) -> str:
    """What the per-client cap counts: an IPv4 address, or an IPv6 /64 (one host or home
    usually holds a whole /64, so counting single IPv6 addresses would cap nothing)."""
    if ":" not in client:
        return client
    try:
        address = ipaddress.IPv6Address(client.partition("%")[0])
    except ValueError:
        return client
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, 64), strict=False))


def _client(peername: object) -> str:
    if isinstance(peername, tuple) and peername and isinstance(peername[0], str):
        return peername[0]
    return ""


# -- aiohttp --------------------------------------------------------------------------------


class GuardedHandler(web.RequestHandler):
    """One connection: admitted by the guard, closed at the header deadline, and logging
    through the digest."""

    def __init__(self, manager: GuardedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self.guard = manager.guard
        self.client = ""
        self._admitted = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.client = _client(transport.get_extra_info("peername"))
        if not self.guard.admit(self, self.client):
            cast(
                asyncio.Transport, transport
            ).abort()  # a reset now: the descriptor is free again at once
            return
        self._admitted = True
        # Armed before aiohttp's keep-alive timer (same delay), so the deadline is counted.
        loop = asyncio.get_running_loop()
        self._head_timer = loop.call_later(self.guard.config.header_timeout, self._overdue)
        super().connection_made(transport)

    def head_complete(self, payload: StreamReader) -> None:
        """A request head was parsed (the server's request factory calls this); a body must
        arrive within the same deadline."""
        self._cancel_timers()
        self.guard.finished(self)
        if not payload.is_eof():
            loop = asyncio.get_running_loop()
            timeout = self.guard.config.header_timeout
            self._body_timer = loop.call_later(timeout, self._body_overdue, payload)

    def _body_overdue(self, payload: StreamReader) -> None:
        self._body_timer = None
        if not payload.is_eof() and self.transport is not None:
            self.guard.body_overdue(self.client)
            self.force_close()

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None

    def _overdue(self) -> None:
        self._head_timer = None
        if self.guard.overdue(self):
            self.force_close()

    def log_access(
        self, request: web.BaseRequest, response: web.StreamResponse, time: float | None
    ) -> None:
        """aiohttp calls this after every response (with or without an access log): a
        kept-alive connection now waits for its next head, within the same deadline, and may
        be shed under descriptor pressure until that head is complete."""
        super().log_access(request, response, time)
        if self.transport is not None and response.keep_alive and self._head_timer is None:
            self.guard.waiting(self)
            loop = asyncio.get_running_loop()
            self._head_timer = loop.call_later(self.guard.config.header_timeout, self._overdue)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_timers()
        if not self._admitted:
            return  # refused at accept: aiohttp never saw this connection
        self._admitted = False
        self.guard.closed(self)
        super().connection_lost(exc)

    def log_exception(self, *args: Any, **kw: Any) -> None:
        self.guard.digest.exception(self.client, args, kw.get("exc_info"))


RequestFactory = Callable[..., web.BaseRequest]


class GuardedServer(web.Server):
    """aiohttp's low-level server making `GuardedHandler`s; its request factory tells each
    handler when a request head is complete."""

    def __init__(
        self,
        handler: Any,
        *,
        guard: Guard,
        request_factory: RequestFactory,
        **kwargs: Any,
    ) -> None:
        def make_request(message: Any, payload: Any, protocol: Any, *rest: Any) -> Any:
            if isinstance(protocol, GuardedHandler):
                protocol.head_complete(payload)
            return request_factory(message, payload, protocol, *rest)

        super().__init__(handler, request_factory=make_request, **kwargs)
        self.guard = guard

    def __call__(self) -> GuardedHandler:
        return GuardedHandler(self, loop=self._loop, **self._kwargs)


class GuardedRunner(web.AppRunner):
    """`web.AppRunner` whose server is a `GuardedServer` (use with `web.TCPSite` as usual).

    aiohttp's keep-alive timeout defaults to the header deadline: an idle keep-alive
    connection must start and finish its next head within it.
    """

    def __init__(self, app: web.Application, guard: Guard, **kwargs: Any) -> None:
        kwargs.setdefault("keepalive_timeout", guard.config.header_timeout)
        super().__init__(app, **kwargs)
        self.guard = guard

    async def _make_server(self) -> web.Server:
        # The app starts up and builds aiohttp's plain server; ours takes its handler and
        # request factory (the plain one is never listened on).
        plain = await super()._make_server()
        return GuardedServer(
            plain.request_handler,
            guard=self.guard,
            request_factory=plain.request_factory,
            loop=asyncio.get_running_loop(),
            **self._kwargs,
        )

    async def cleanup(self) -> None:
        try:
            await super().cleanup()
        finally:
            self.guard.digest.flush()
