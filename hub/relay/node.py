"""`auctionmen relay`: a headless relay node (Mercure hub + bid intake + bidder pages).

A node never decides anything. The stage dials in over one WebSocket (`/relay/link`) and
pushes its journal records in `seq` order; the node holding that link appends them to the
sale's Redis stream (or, without Redis, to its local bounded history). Every node tails the
stream and publishes each new record into its own hub, with the stage's ids unchanged, so
any node serves any topic and resumes any `Last-Event-ID`. Remote bids go the other way:
node → (Redis list, if another node holds the link) → stage → answer → node → bidder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import WSCloseCode, WSMsgType, web

from hub.config import SALE_IRI_BASE
from hub.feed import parse_event_id, updates_for
from hub.gateway.intake import BidDoor, bearer, refusals, respond, session_response, verified
from hub.gateway.pages import add_pages, web_root
from hub.gateway.problems import problem
from hub.gateway.ratelimit import RateLimiter
from hub.gateway.security import cors, problems, security_headers
from hub.gateway.server import Guard, GuardConfig, GuardedRunner
from hub.gateway.tokens import ISSUER, TokenError
from hub.journal.records import Record
from hub.mercure.app import setup_mercure
from hub.mercure.config import HubConfig, KeySpec
from hub.mercure.history import HistoryRouter, Reader, TopicIndex
from hub.mercure.hub import Hub
from hub.mercure.listen import DEFAULT_BACKLOG, listen_backlog
from hub.mercure.update import Update
from hub.relay import protocol as P
from hub.relay.store import MemoryStore, RedisStore, Store, StoreUnavailable

log = logging.getLogger("auctionmen.relay")

JSON = dict[str, Any]
_CURSOR_PARAMS = ("lastEventID", "last_event_id", "Last-Event-ID", "last-event-id")


@dataclass(slots=True)
class RelayConfig:
    stage_public_pem: bytes
    sale: str = "demo"
    host: str = "127.0.0.1"
    port: int = 8780
    redis_url: str | None = None
    sale_iri_base: str = SALE_IRI_BASE
    history_records: int = 20_000  # records mirrored in memory per node (the stream keeps more)
    stream_maxlen: int = 1_000_000
    bid_timeout: float = 5.0  # seconds a bidder waits for the stage's answer
    catch_up_wait: float = 2.0  # a subscriber ahead of this node waits this long for it
    bid_rate: float = 5.0
    cors_origins: tuple[str, ...] = ()
    reuse_port: bool = False
    listen_backlog: int = DEFAULT_BACKLOG  # queued handshakes (hub/mercure/listen.py says why)
    behind_tls_proxy: bool = False  # clients reach us over https: cookies are Secure
    max_subscribers: int = 0  # open streams on this node (worker); 0 = only the fd limit
    max_per_client: int = 0  # per client address (useless behind a proxy: it is one address)
    guard: GuardConfig = field(default_factory=GuardConfig)  # slowloris: hub/gateway/server.py
    node_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )
    heartbeat: float = 15.0
    link_heartbeat: float = 2.0  # WebSocket ping interval on the stage link

    @property
    def sale_iri(self) -> str:
        return f"{self.sale_iri_base}{self.sale}"


_PER_RECORD = 8  # index positions per record: seq * 8 + i (a record makes at most 3 updates)


class SeqHistory:
    """Mercure history for the sale, indexed by `seq` (a `HistorySource`).

    Holds the last `size` records as their updates. An id `{sale}:{epoch}:{seq}:{v}` resolves
    by seq lookup; older ids resolve from records the node fetched from the stream (XRANGE)
    for that request just before (`prefetched`). Replay never goes past what this node has
    published itself, so the live stream continues exactly where replay stops.

    `after_for` gives one subscriber only what it might see, from a `TopicIndex` over the
    held records (O(log n + k)); it falls back to `after`'s walk when the cursor needs the
    prefetched records or the held ones have a hole.
    """

    def __init__(self, sale: str, size: int) -> None:
        self.sale = sale
        self.size = max(1, size)
        self.head = 0  # highest seq published here
        self._records: OrderedDict[int, tuple[int, list[Update]]] = OrderedDict()
        self._seqs: list[int] = []  # the held seqs, ascending (bisect); oldest from _first
        self._first = 0
        self._index = TopicIndex()
        self.prefetched: dict[int, tuple[int, list[Update]]] = {}

    @property
    def floor(self) -> int:
        """Lowest seq held (head + 1 when empty)."""
        return next(iter(self._records)) if self._records else self.head + 1

    def add(self, seq: int, epoch: int, updates: list[Update]) -> None:
        self._records[seq] = (epoch, updates)
        self.head = seq
        self._seqs.append(seq)
        for i, update in enumerate(updates[:_PER_RECORD]):
            self._index.add(seq * _PER_RECORD + i, update)
        while len(self._records) > self.size:
            _, (_, old) = self._records.popitem(last=False)
            for update in old[:_PER_RECORD]:
                self._index.drop(update)
            self._first += 1
        if self._first >= 64 and self._first * 2 >= len(self._seqs):
            del self._seqs[: self._first]
            self._first = 0

    def reset(self, head: int) -> None:
        self._records.clear()
        self._seqs, self._first = [], 0
        self._index.clear()
        self.head = head

    def _get(self, seq: int) -> tuple[int, list[Update]] | None:
        return self._records.get(seq) or self.prefetched.get(seq)

    def _current(self, last_event_id: str) -> tuple[int, str, list[Update]] | None:
        """(seq, view, updates of that record) for a cursor this node can place, else None."""
        parsed = parse_event_id(last_event_id)
        if parsed is None or parsed[0] != self.sale:
            return None
        _, epoch, seq, view = parsed
        if seq > self.head or seq < 1:
            return None
        current = self._get(seq)
        if current is None or current[0] != epoch:
            return None
        return seq, view, current[1]

    def after(self, last_event_id: str) -> Iterable[Update] | None:
        placed = self._current(last_event_id)
        if placed is None:
            return None
        seq, view, updates = placed
        out: list[Update] = []
        if view == "p":
            out.extend(u for u in updates if u.id.endswith(":s"))
        for s in range(seq + 1, self.head + 1):
            got = self._get(s)
            if got is None:
                return None  # a hole we cannot fill: the client gets `earliest`
            out.extend(got[1])
        return out

    def after_for(self, last_event_id: str, reader: Reader) -> Iterable[Update] | None:
        placed = self._current(last_event_id)
        if placed is None:
            return None
        seq, view, updates = placed
        held = len(self._seqs) - bisect_right(self._seqs, seq, self._first)
        if seq + 1 < self.floor or held != self.head - seq:
            return self.after(last_event_id)  # prefetched records or a hole: walk
        out = [u for u in updates if u.id.endswith(":s")] if view == "p" else []
        out.extend(self._at(pos) for pos in self._index.select((seq + 1) * _PER_RECORD, reader))
        return out

    def _at(self, pos: int) -> Update:
        return self._records[pos // _PER_RECORD][1][pos % _PER_RECORD]

    def earliest(self) -> Iterable[Update]:
        return [u for _, updates in self._records.values() for u in updates]

    def earliest_for(self, reader: Reader) -> Iterable[Update]:
        return [self._at(pos) for pos in self._index.select(0, reader)]

    def last_id(self) -> str | None:
        if not self._records:
            return None
        return next(reversed(self._records.values()))[1][-1].id


@dataclass(slots=True)
class _Link:
    ws: web.WebSocketResponse
    epoch: int
    instance: str
    requested: int = 0  # the seq of the last resend request
    requested_at: float = 0.0
    early: dict[int, Record] = field(default_factory=dict)  # arrived before their turn


class RelayNode:
    """One relay node (one process). `await start()`, `url`, `await stop()`."""

    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.verifier = P.Verifier(P.load_public_key(config.stage_public_pem))
        self.store: Store = (
            RedisStore(config.redis_url, config.sale, config.stream_maxlen)
            if config.redis_url
            else MemoryStore(config.sale, config.history_records)
        )
        self.history = SeqHistory(config.sale, config.history_records)
        self.hub: Hub | None = None
        self.url = ""
        # The stage's own intake, with this node's public-key verifier and bucket.
        self.door = BidDoor(
            self.verifier.bidder,
            lambda: config.sale,
            RateLimiter(config.bid_rate, config.bid_rate * 2),
        )
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._link: _Link | None = None
        self._link_tasks: list[asyncio.Task[None]] = []
        self._pending: dict[str, asyncio.Future[JSON]] = {}
        self._grew = asyncio.Event()
        self._state: str | None = None
        self._state_at = 0.0
        self._remote_holder: tuple[float, bool] = (0.0, False)
        self.records_in = 0  # records received over the link (for tests)
        self.duplicates = 0

    # -- app ---------------------------------------------------------------------------

    def _hub_config(self) -> HubConfig:
        cfg = self.config
        key = KeySpec(cfg.stage_public_pem.decode(), ("EdDSA",), use="subscribe", issuer=ISSUER)
        return HubConfig(
            keys=(key,),
            audiences=("auctionmen",),
            issuers=(ISSUER,),
            allow_anonymous=True,
            cors_origins=cfg.cors_origins,
            history_size=0,
            heartbeat=cfg.heartbeat,
            max_subscribers=cfg.max_subscribers,
            max_per_client=cfg.max_per_client,
        )

    def make_app(self) -> web.Application:
        """The node's app; its lifecycle is declared here, in start order (aiohttp stops the
        `cleanup_ctx` entries in reverse): the stored history, the hub, the background loops."""
        app = web.Application(
            client_max_size=64 * 1024,
            middlewares=[
                problems,
                refusals,
                security_headers,
                cors(self.config.cors_origins),
                self._catch_up,
            ],
        )
        r = app.router
        add_pages(r, lambda: [web_root() / "images"])
        r.add_get("/api/sales/{sale}/state", self.state)
        r.add_post("/api/sales/{sale}/bids", self.bids)
        r.add_post("/api/session", self.session)
        r.add_get("/relay/status", self.relay_status)
        r.add_get(P.LINK_PATH, self.link)
        app.cleanup_ctx.append(self._stored_history)
        self.hub = setup_mercure(app, self._hub_config())
        # Our seq-indexed history replaces the hub's ring (history_size=0 keeps it empty).
        self.hub.history = HistoryRouter([self.history])
        app.cleanup_ctx.append(self._background)
        app.on_shutdown.append(self._end_link)
        return app

    async def start(self) -> None:
        cfg = self.config
        self._runner = GuardedRunner(
            self.make_app(),
            Guard(cfg.guard),
            handle_signals=False,
            shutdown_timeout=2.0,
            access_log=None,
        )
        await self._runner.setup()
        try:
            site = web.TCPSite(
                self._runner,
                cfg.host,
                cfg.port,
                reuse_port=cfg.reuse_port or None,
                backlog=listen_backlog(cfg.listen_backlog),
            )
            await site.start()
        except BaseException:
            await self.stop()
            raise
        port = self._runner.addresses[0][1]
        self.url = f"http://{cfg.host}:{port}"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _stored_history(self, app: web.Application) -> AsyncIterator[None]:
        """Start where the stored history ends; close the store last."""
        await self._load()
        yield
        await self.store.close()

    async def _background(self, app: web.Application) -> AsyncIterator[None]:
        """Tail the stream into the hub, report subscribers, take replies for other nodes."""
        loops = [self._tail(), self._report()]
        if isinstance(self.store, RedisStore):
            loops.append(self._replies())
        self._tasks = [asyncio.create_task(loop, name="relay-loop") for loop in loops]
        yield
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if isinstance(self.store, RedisStore):
            with contextlib.suppress(Exception):
                await self.store.forget_node(self.config.node_id)
            if self._link is not None:
                with contextlib.suppress(Exception):
                    await self.store.drop_link(self.config.node_id)

    async def _end_link(self, app: web.Application) -> None:
        """End the stage link first, so the server's shutdown does not wait for it."""
        tasks, self._link_tasks = self._link_tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._link is not None:
            with contextlib.suppress(Exception):
                await self._link.ws.close()

    # -- history: load, tail, publish ---------------------------------------------------

    async def _load(self) -> None:
        last, _, _ = await self.store.head()
        start = max(0, last - self.config.history_records)
        self.history.reset(start)

    def _ingest(self, record: Record) -> bool:
        """Publish one record into the local hub if it is the next one (dedupe by seq)."""
        h = self.history
        if record.seq <= h.head:
            return False
        if record.seq != h.head + 1:
            log.warning("relay history jumps from %d to %d (stream trimmed?)", h.head, record.seq)
        updates = updates_for(record, self.config.sale_iri)
        hub = self.hub
        if hub is not None:
            for update in updates:
                hub.publish(update, internal=True)
        h.add(record.seq, record.epoch, updates)
        self._grew.set()
        return True

    async def _tail(self) -> None:
        while True:
            items = await _retrying(
                "reading the stream", self.store.read(self.history.head, 500, 1.0)
            )
            for seq, payload in items or ():
                if seq <= self.history.head:
                    continue
                try:
                    self._ingest(P.record_from_json(json.loads(payload)))
                except (ValueError, KeyError, TypeError):
                    log.exception("relay: unreadable stream entry %d", seq)
                    self.history.head = seq

    async def wait_for(self, seq: int, within: float) -> bool:
        """Wait until this node has published `seq` (bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self.history.head < seq:
            left = deadline - loop.time()
            if left <= 0:
                return False
            self._grew.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._grew.wait(), left)
        return True

    async def _prefetch(self, seq: int) -> None:
        """Fetch records [seq, floor) from the stream for a deep Last-Event-ID."""
        store = self.store
        if not isinstance(store, RedisStore):
            return
        h = self.history
        got: dict[int, tuple[int, list[Update]]] = {}
        after = seq - 1
        # The floor moves while we await (the tail keeps adding): re-read it every page.
        while after < h.floor - 1 and len(got) < 200_000:
            page = await store.range(after, h.floor - 1, 1000)
            if not page:
                break
            for s, payload in page:
                record = P.record_from_json(json.loads(payload))
                got[s] = (record.epoch, updates_for(record, self.config.sale_iri))
            after = page[-1][0]
        h.prefetched = got

    @web.middleware
    async def _catch_up(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Before a subscription resumes: let this node reach the cursor, fetch older ones."""
        hub = self.hub
        if hub is None or request.path != hub.config.hub_path or request.method != "GET":
            return await handler(request)
        cursor = request.headers.get("Last-Event-ID")
        for name in _CURSOR_PARAMS:
            cursor = request.query.get(name, cursor)
        parsed = parse_event_id(cursor) if cursor else None
        if parsed is None or parsed[0] != self.config.sale:
            return await handler(request)
        seq = parsed[2]
        if seq > self.history.head:
            await self.wait_for(seq, self.config.catch_up_wait)
        if seq < self.history.floor:
            with contextlib.suppress(Exception):
                await self._prefetch(seq)
            # The hub's handler registers the subscriber and computes its replay before its
            # first await; drop the fetched records right after that (next loop turn).
            fetched = self.history.prefetched
            asyncio.get_running_loop().call_soon(self._drop_prefetched, fetched)
        return await handler(request)

    def _drop_prefetched(self, fetched: dict[int, tuple[int, list[Update]]]) -> None:
        if self.history.prefetched is fetched:
            self.history.prefetched = {}

    # -- the stage link -------------------------------------------------------------------

    async def link(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        try:
            sale, epoch, instance = self.verifier.link(
                auth[7:] if auth.startswith("Bearer ") else ""
            )
        except TokenError as exc:
            return problem(401, P.BAD_LINK_TOKEN, f"the stage link token was refused: {exc}")
        if sale != self.config.sale:
            return problem(403, "wrong_sale", "this relay serves another sale")
        ws = web.WebSocketResponse(heartbeat=self.config.link_heartbeat, max_msg_size=8 << 20)
        await ws.prepare(request)
        try:
            claim = await self.store.claim(epoch, instance)
        except StoreUnavailable as exc:
            log.warning("relay: cannot take the stage link: %s", exc)
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"history unavailable")
            return ws
        if not claim.ok:
            log.warning(
                "relay: refused a stage at epoch %d (sale is at epoch %d)", epoch, claim.epoch
            )
            await ws.send_json(
                {
                    "t": "refused",
                    "reason": P.STALE_EPOCH,
                    "detail": f"this sale is held by epoch {claim.epoch}; epoch {epoch} is older",
                    "epoch": claim.epoch,
                }
            )
            await ws.close()
            return ws
        old = self._link
        if old is not None:
            await old.ws.close()
        link = self._link = _Link(ws, epoch, instance)
        await ws.send_json(
            {
                "t": "hello",
                "last_seq": claim.last_seq,
                "last_hash": claim.last_hash,
                "epoch": claim.epoch,
            }
        )
        tasks = [asyncio.create_task(self._hold(link), name="relay-hold")]
        if isinstance(self.store, RedisStore):
            tasks.append(asyncio.create_task(self._bid_queue(link), name="relay-bids"))
        self._link_tasks.extend(tasks)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                if not await self._on_link_message(link, json.loads(msg.data)):
                    break
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("relay: bad message on the stage link: %s", exc)
        except ConnectionError:
            pass  # the stage went away mid-answer; it re-sends from our last seq
        except StoreUnavailable as exc:
            log.warning("relay: dropping the stage link, the history is unavailable: %s", exc)
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(ValueError):
                    self._link_tasks.remove(task)
            if self._link is link:
                self._link = None
                if isinstance(self.store, RedisStore):
                    with contextlib.suppress(Exception):
                        await self.store.drop_link(self.config.node_id)
            await ws.close()
        return ws

    async def _on_link_message(self, link: _Link, msg: JSON) -> bool:
        kind = msg.get("t")
        ws = link.ws
        if kind == "rec":
            record = P.record_from_json(msg["r"])
            if record.sale != self.config.sale or not P.hash_ok(record):
                await ws.send_json(
                    {
                        "t": "refused",
                        "reason": P.DIVERGED,
                        "detail": f"record {record.seq} fails its hash",
                    }
                )
                return False
            self.records_in += 1
            status, last = await self.store.append(link.epoch, link.instance, record)
            while status == "ok" and last + 1 in link.early:
                # Records that arrived ahead of their turn (reordered) go in now.
                if record.seq == self.history.head + 1:
                    self._ingest(record)  # fast path; the tail skips it as a duplicate
                record = link.early.pop(last + 1)
                status, last = await self.store.append(link.epoch, link.instance, record)
            if status == "ok":
                if record.seq == self.history.head + 1:
                    self._ingest(record)
                await ws.send_json({"t": "ack", "seq": last})
            elif status == "dup":
                self.duplicates += 1
                await ws.send_json({"t": "ack", "seq": last})
            elif status == "gap":
                if len(link.early) < 4096:
                    link.early[record.seq] = record  # wait for the missing ones
                else:
                    now = time.monotonic()
                    link.early.clear()
                    if link.requested != last + 1 or now - link.requested_at > 0.2:
                        link.requested, link.requested_at = last + 1, now
                        await ws.send_json({"t": "resend", "from": last + 1})
            else:
                reason = P.STALE_EPOCH if status == "fenced" else P.DIVERGED
                await ws.send_json(
                    {"t": "refused", "reason": reason, "detail": f"record {record.seq}: {status}"}
                )
                return False
        elif kind == "state":
            text = json.dumps(msg["state"], separators=(",", ":"))
            self._state, self._state_at = text, time.monotonic()
            await self.store.set_state(text)
        elif kind == "answer":
            self._answered(msg)
        return True

    def _answered(self, msg: JSON) -> None:
        origin = msg.get("node")
        if origin not in (None, self.config.node_id) and isinstance(self.store, RedisStore):
            task = asyncio.create_task(self.store.push_reply(str(origin), msg))
            self._link_tasks.append(task)
            task.add_done_callback(self._forget_task)
            return
        future = self._pending.pop(str(msg.get("id")), None)
        if future is not None and not future.done():
            future.set_result(msg)

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):
            self._link_tasks.remove(task)

    async def _hold(self, link: _Link) -> None:
        """While connected: advertise the link (Redis) and tell the stage who is watching."""
        store = self.store
        while True:
            if isinstance(store, RedisStore):
                with contextlib.suppress(Exception):
                    await store.hold_link(self.config.node_id, 3.0)
                    await store.report_subscribers(self.config.node_id, self._subscribers())
                    n = await store.subscribers()
                    await link.ws.send_json({"t": "stats", "subscribers": n})
            else:
                with contextlib.suppress(Exception):
                    await link.ws.send_json({"t": "stats", "subscribers": self._subscribers()})
            await asyncio.sleep(1.0)

    async def _bid_queue(self, link: _Link) -> None:
        """The link holder takes bids other nodes queued in Redis and forwards them."""
        store = self.store
        assert isinstance(store, RedisStore)
        while True:
            request = await _retrying("reading queued bids", store.pop_bid(1.0))
            if request is None:
                continue
            if request.get("deadline", 0) < time.time():
                continue  # its bidder was already told "unconfirmed": never place it late
            await link.ws.send_json({"t": "bid", **request})

    def _subscribers(self) -> int:
        return self.hub.count() if self.hub is not None else 0

    async def _report(self) -> None:
        store = self.store
        while isinstance(store, RedisStore):
            with contextlib.suppress(Exception):
                await store.report_subscribers(self.config.node_id, self._subscribers())
            await asyncio.sleep(2.0)

    async def _replies(self) -> None:
        store = self.store
        assert isinstance(store, RedisStore)
        while True:
            reply = await _retrying("reading replies", store.pop_reply(self.config.node_id, 1.0))
            if reply is not None:
                future = self._pending.pop(str(reply.get("id")), None)
                if future is not None and not future.done():
                    future.set_result(reply)

    async def stage_connected(self) -> bool:
        if self._link is not None:
            return True
        store = self.store
        if not isinstance(store, RedisStore):
            return False
        at, value = self._remote_holder
        now = time.monotonic()
        if now - at > 0.25:
            try:
                value = await store.link_holder() is not None
            except Exception:
                value = False
            self._remote_holder = (now, value)
        return value

    # -- HTTP API ------------------------------------------------------------------------

    def _check_sale(self, request: web.Request) -> web.Response | None:
        if request.match_info["sale"] != self.config.sale:
            return problem(404, "unknown_sale", f"no sale {request.match_info['sale']!r} here")
        return None

    async def state(self, request: web.Request) -> web.Response:
        refused = self._check_sale(request)
        if refused is not None:
            return refused
        text = self._state
        if isinstance(self.store, RedisStore) and (
            self._link is None and time.monotonic() - self._state_at > 0.25
        ):
            with contextlib.suppress(Exception):
                text = await self.store.get_state() or text
                self._state, self._state_at = text, time.monotonic()
        if text is None:
            return problem(
                503,
                P.STAGE_UNREACHABLE,
                "the auction room has not reached this relay yet; try again soon",
            )
        body = json.loads(text)
        body["stage_connected"] = await self.stage_connected()
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    async def bids(self, request: web.Request) -> web.Response:
        """The stage's intake (same checks, order and answers), then forward to the stage."""
        admitted = await self.door.admit(request)
        request_id = uuid.uuid4().hex
        timeout = self.config.bid_timeout
        forwarded: JSON = {
            "id": request_id,
            "node": self.config.node_id,
            "token": admitted.token,
            "deadline": time.time() + timeout,
            "body": admitted.bid.to_json(),
        }
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            link = self._link
            if link is not None:
                await link.ws.send_json({"t": "bid", **forwarded})
            elif isinstance(self.store, RedisStore) and await self.stage_connected():
                try:
                    await self.store.push_bid(forwarded)
                except StoreUnavailable:
                    return _unreachable(
                        "the relay cannot reach the auction room right now; "
                        "your bid was NOT placed — try again shortly"
                    )
            else:
                return _unreachable(
                    "the auction room is not connected to the internet "
                    "right now; your bid was NOT placed — try again shortly"
                )
            answer = await asyncio.wait_for(future, timeout)
        except (TimeoutError, ConnectionError, RuntimeError):
            # It left for the stage, so it may have been placed: only the stage knows, and
            # it answers a repeat of the same key with its first answer.
            response = problem(
                503,
                P.UNCONFIRMED,
                "no answer from the auction room in time; "
                "your bid may or may not have been placed — send it again "
                "with the same key to find out (it is never counted twice)",
            )
            response.headers["Retry-After"] = "1"
            return response
        finally:
            self._pending.pop(request_id, None)
        return respond(int(answer.get("status", 502)), answer.get("body") or {})

    async def session(self, request: web.Request) -> web.Response:
        """As the stage's: trade a bidder token for the hub cookie and the topics."""
        token = bearer(request)
        claims = verified(token, self.verifier.bidder, self.config.sale)
        return session_response(
            request,
            token or "",
            claims,
            self.config.sale_iri,
            behind_tls_proxy=self.config.behind_tls_proxy,
        )

    async def relay_status(self, request: web.Request) -> web.Response:
        last, _, epoch = await self.store.head()
        return web.json_response(
            {
                "node": self.config.node_id,
                "pid": os.getpid(),
                "head": self.history.head,
                "stored": last,
                "epoch": epoch,
                "stage_connected": await self.stage_connected(),
                "link_here": self._link is not None,
                "subscribers": self._subscribers(),
            }
        )


T = TypeVar("T")


async def _retrying(what: str, read: Awaitable[T]) -> T | None:
    """One blocking read from Redis; a failure is logged and waited out (None), never fatal:
    the loops that call this go on when Redis comes back."""
    try:
        return await read
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.warning("relay: %s failed: %s", what, exc)
        await asyncio.sleep(0.5)
        return None


def _unreachable(detail: str) -> web.Response:
    response = problem(503, P.STAGE_UNREACHABLE, detail)
    response.headers["Retry-After"] = "2"
    return response
