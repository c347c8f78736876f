"""The stage's side of the relay link: dial out, push the journal, answer remote bids.

Runs on the stage's loop. One persistent WebSocket to the relay (venues sit behind NAT, so
the stage always dials). On connect the relay says where its history ends (`last_seq`,
`last_hash`); the stage checks that hash against its own journal and re-sends from there,
older records from the journal (`JournalHistory`), recent ones from the commit listener.
The relay acknowledges what it stored; the acknowledged seq is the outbox cursor, kept in
`relay_outbox.json` next to the journal.

Remote bids arrive over the same socket with the bidder's own token; the stage verifies it
itself (a relay holds only the public key: it can delay a bid, never forge one) and answers
through the relay. Test hook: `Chaos` duplicates and reorders records at the message level
(F9), because duplicating raw TCP bytes would only corrupt WebSocket framing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.auction.events import Actor
from hub.gateway.intake import BidDoor, Refused, reply, strict_loads
from hub.journal.history import JournalHistory
from hub.journal.records import Record
from hub.ports import Listener, SaleView, Submit
from hub.relay import protocol as P

log = logging.getLogger("auctionmen.relay.link")

JSON = dict[str, Any]


def _message(data: str) -> dict[str, Any]:
    """A relay's message: a JSON object, strictly parsed. Anything else (too deep, repeated
    keys, not an object) drops the link like a broken connection, without a traceback."""
    try:
        msg = strict_loads(data)
    except ValueError as exc:
        raise ConnectionError(f"the relay sent a malformed message: {exc}") from None
    if not isinstance(msg, dict):
        raise ConnectionError("the relay sent a message that is not an object")
    return msg


@dataclass(frozen=True, slots=True)
class StageSide:
    """What the link uses of the stage: the sale, the bid intake, the commit stream, files."""

    sale: SaleView  # sale id, epoch, the snapshot the relay serves
    door: BidDoor  # the stage's bid intake (verifies bidder tokens with the stage's key)
    submit: Submit
    listen: Callable[[Listener], object]  # subscribe to committed records
    key: Ed25519PrivateKey  # signs the link token
    journal_path: Path  # older records are re-sent from the journal
    data_dir: Path  # where the outbox cursor is kept


@dataclass(frozen=True, slots=True)
class RelayStatus:
    """What the desktop app shows about the relay."""

    connected: bool
    state: str  # "connecting" | "connected" | "down" | "refused" | "closed"
    reason: str | None  # why it is not connected, in words
    since: float  # wall time of the last state change
    epoch: int
    stage_seq: int  # last committed seq on the stage
    relay_seq: int  # highest seq the relay has confirmed (the outbox cursor)
    lag: int  # stage_seq - relay_seq
    queued: int  # records not yet written to the socket
    remote_bidders: int  # subscribers connected to the relay (all nodes)
    pending_bids: int  # remote bids being decided right now


@dataclass
class Chaos:
    """Message-level fault injection on the record stream (tests only)."""

    duplicate: float = 0.1
    window: int = 5
    seed: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.duplicated = 0

    def apply(self, messages: list[str]) -> list[str]:
        out: list[str] = []
        for i in range(0, len(messages), max(1, self.window)):
            chunk = list(messages[i : i + self.window])
            extra = [m for m in chunk if self.rng.random() < self.duplicate]
            self.duplicated += len(extra)
            chunk += extra
            self.rng.shuffle(chunk)
            out.extend(chunk)
        return out


class _Refused(Exception):
    pass


class RelayLink:
    """The stage's outbound link to a relay. Create with `start_link`.

    `relay_url` may list several nodes of one relay (comma-separated, sharing Redis): when
    the node holding the link goes away, the link moves to the next one.
    """

    def __init__(
        self,
        side: StageSide,
        relay_url: str,
        *,
        backoff: tuple[float, float] = (0.2, 2.0),
        window: int = 1000,
        batch: int = 200,
        chaos: Chaos | None = None,
        bid_concurrency: int = 64,
        retransmit: float = 1.0,
    ) -> None:
        self.side = side
        self.relay_urls = [u.strip().rstrip("/") for u in relay_url.split(",") if u.strip()]
        if not self.relay_urls:
            raise ValueError("no relay URL given")
        self._node = 0
        self.relay_group = ",".join(self.relay_urls)  # the outbox cursor's owner
        self.backoff = backoff
        self.window = window
        self.batch = batch
        self.chaos = chaos
        self.retransmit = retransmit
        self.instance = uuid.uuid4().hex
        self._key = side.key
        self._reader = JournalHistory(side.journal_path)
        self._cursor_path = Path(side.data_dir) / "relay_outbox.json"
        self._recent: deque[Record] = deque(maxlen=5000)
        self._committed = self._reader.last_seq()
        self._acked = self._load_cursor()
        self._sent = self._acked
        self._wake = asyncio.Event()
        self._state = "connecting"
        self._reason: str | None = None
        self._since = time.time()
        self._remote = 0
        self._bids: set[asyncio.Task[None]] = set()
        self._bid_slots = asyncio.Semaphore(bid_concurrency)
        self._state_dirty = True
        self._closed = False
        self._cursor_saved = 0.0
        self._task: asyncio.Task[None] | None = None
        self.connects = 0  # successful sessions (tests)
        self.sent_records = 0

    # -- public --------------------------------------------------------------------------

    def start(self) -> None:
        self.side.listen(self._on_commit)
        self._task = asyncio.create_task(self._run(), name="relay-link")

    async def close(self) -> None:
        self._closed = True
        self._set("closed", None)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._bids):
            task.cancel()
        self._save_cursor(force=True)
        self._reader.close()

    def status(self) -> RelayStatus:
        head = self._committed
        return RelayStatus(
            connected=self._state == "connected",
            state=self._state,
            reason=self._reason,
            since=self._since,
            epoch=self.side.sale.epoch,
            stage_seq=head,
            relay_seq=self._acked,
            lag=max(0, head - self._acked),
            queued=max(0, head - self._sent),
            remote_bidders=self._remote,
            pending_bids=len(self._bids),
        )

    # -- outbox --------------------------------------------------------------------------

    def _on_commit(self, records: list[Record]) -> None:
        if self._closed:
            return
        self._recent.extend(records)
        if records:
            self._committed = max(self._committed, records[-1].seq)
        self._state_dirty = True
        self._wake.set()

    def _load_cursor(self) -> int:
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            data = json.loads(self._cursor_path.read_text("utf-8"))
            if data.get("relay") == self.relay_group:
                return int(data["seq"])
        return 0

    def _save_cursor(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._cursor_saved < 0.5:
            return
        self._cursor_saved = now
        tmp = self._cursor_path.with_suffix(".tmp")
        with contextlib.suppress(OSError):
            tmp.write_text(
                json.dumps(
                    {"relay": self.relay_group, "seq": self._acked, "epoch": self.side.sale.epoch}
                ),
                "utf-8",
            )
            os.replace(tmp, self._cursor_path)

    def _records_after(self, seq: int, limit: int) -> list[Record]:
        recent = self._recent
        if recent and recent[0].seq <= seq + 1 <= recent[-1].seq:
            start = seq + 1 - recent[0].seq
            return [recent[i] for i in range(start, min(len(recent), start + limit))]
        return self._reader.page(seq, limit)

    def _set(self, state: str, reason: str | None) -> None:
        if state != self._state or reason != self._reason:
            self._state, self._reason, self._since = state, reason, time.time()

    # -- the connection --------------------------------------------------------------------

    async def _run(self) -> None:
        delay = self.backoff[0]
        async with aiohttp.ClientSession() as http:
            while not self._closed:
                try:
                    await self._session(http)
                    delay = self.backoff[0]
                except asyncio.CancelledError:
                    raise
                except _Refused as exc:
                    self._set("refused", str(exc))
                    log.error("relay refused this stage: %s", exc)
                    delay = 10.0
                except (aiohttp.ClientError, OSError, TimeoutError, ConnectionError) as exc:
                    self._set("down", f"relay unreachable: {exc or type(exc).__name__}")
                    self._next_node()
                except Exception as exc:
                    log.exception("relay link failed")
                    self._set("down", f"relay link failed: {exc}")
                    self._next_node()
                if self._closed:
                    return
                if self._state == "connected":
                    self._set("down", "relay connection lost")
                await asyncio.sleep(delay)
                delay = min(self.backoff[1], delay * 2)

    @property
    def relay_url(self) -> str:
        """The node the link is (or will next be) connected to."""
        return self.relay_urls[self._node]

    def _next_node(self) -> None:
        self._node = (self._node + 1) % len(self.relay_urls)

    async def _session(self, http: aiohttp.ClientSession) -> None:
        sale = self.side.sale
        token = P.link_token(self._key, sale.sale_id, sale.epoch, self.instance)
        async with http.ws_connect(
            self.relay_url + P.LINK_PATH,
            headers={"Authorization": f"Bearer {token}"},
            heartbeat=2.0,
            timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
            max_msg_size=8 << 20,
        ) as ws:
            hello = await ws.receive(timeout=10.0)
            if hello.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError("relay closed the link before saying hello")
            msg = _message(hello.data)
            if msg.get("t") == "refused":
                raise _Refused(f"{msg.get('reason')}: {msg.get('detail')}")
            relay_last = int(msg["last_seq"])
            if relay_last > self._committed:
                raise _Refused(
                    f"{P.DIVERGED}: the relay holds seq {relay_last}, this journal "
                    f"ends at {self._committed} (a restored or foreign journal?)"
                )
            if relay_last > 0:
                mine = self._reader.get(relay_last)
                if mine is None or mine.hash != msg.get("last_hash"):
                    raise _Refused(
                        f"{P.DIVERGED}: the relay's record {relay_last} differs from this journal"
                    )
            self._acked = self._sent = relay_last
            self._save_cursor(force=True)
            self._state_dirty = True
            self._set("connected", None)
            self.connects += 1
            receiver = asyncio.create_task(self._receive(ws), name="relay-link-recv")
            try:
                await self._send_loop(ws, receiver)
            finally:
                receiver.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await receiver
                self._save_cursor(force=True)

    async def _send_loop(
        self, ws: aiohttp.ClientWebSocketResponse, receiver: asyncio.Task[None]
    ) -> None:
        last_state = 0.0
        acked, progress = self._acked, time.monotonic()
        while not receiver.done():
            now = time.monotonic()
            if self._acked != acked:
                acked, progress = self._acked, now
            elif self._sent > self._acked and now - progress > self.retransmit:
                # Nothing confirmed for a while: send again from the cursor (dedupe by seq).
                self._sent, progress = self._acked, now
            room = self.window - (self._sent - self._acked)
            if self._sent < self._committed and room > 0:
                records = self._records_after(self._sent, min(self.batch, room))
                if records:
                    messages = [
                        json.dumps({"t": "rec", "r": P.record_to_json(r)}, separators=(",", ":"))
                        for r in records
                    ]
                    if self.chaos is not None:
                        messages = self.chaos.apply(messages)
                    for text in messages:
                        await ws.send_str(text)
                    self.sent_records += len(records)
                    self._sent = records[-1].seq
                    continue
            # The snapshot (for the relay's state endpoint) after the records: the events
            # are what subscribers wait for.
            if self._state_dirty and time.monotonic() - last_state >= 0.1:
                self._state_dirty = False
                last_state = time.monotonic()
                await ws.send_str(
                    json.dumps(
                        {"t": "state", "state": self.side.sale.snapshot()}, separators=(",", ":")
                    )
                )
                continue
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            busy = self._state_dirty or self._sent > self._acked
            await asyncio.wait(
                [receiver, waiter],
                timeout=0.1 if busy else 1.0,
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiter.cancel()
        if receiver.done() and not receiver.cancelled():
            exc = receiver.exception()
            if exc is not None:
                raise exc
        raise ConnectionError("relay connection closed")

    async def _receive(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            msg = _message(message.data)
            kind = msg.get("t")
            if kind == "ack":
                seq = int(msg["seq"])
                if seq > self._acked:
                    self._acked = min(seq, self._committed)
                    self._save_cursor()
                    self._wake.set()
            elif kind == "resend":
                start = int(msg["from"])
                if start - 1 < self._sent:
                    self._sent = max(self._acked, start - 1)
                    self._wake.set()
            elif kind == "bid":
                task = asyncio.create_task(self._bid(ws, msg))
                self._bids.add(task)
                task.add_done_callback(self._bids.discard)
            elif kind == "stats":
                self._remote = int(msg.get("subscribers", 0))
            elif kind == "refused":
                raise _Refused(f"{msg.get('reason')}: {msg.get('detail')}")

    # -- remote bids ---------------------------------------------------------------------

    async def _bid(self, ws: aiohttp.ClientWebSocketResponse, msg: JSON) -> None:
        async with self._bid_slots:
            status, body = await self.decide_bid(msg.get("token"), msg.get("body"))
        reply = {
            "t": "answer",
            "id": msg.get("id"),
            "node": msg.get("node"),
            "status": status,
            "body": body,
        }
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(json.dumps(reply, separators=(",", ":")))

    async def decide_bid(self, token: Any, body: Any) -> tuple[int, JSON]:
        """Verify the bidder ourselves, then submit exactly as the stage's bid endpoint."""
        try:
            admitted = self.side.door.admit_forwarded(token, body)
        except Refused as exc:
            return exc.status, exc.body()
        answer = await self.side.submit(
            admitted.bid.command(), Actor("bidder", admitted.paddle), admitted.bid.key
        )
        return reply(answer, bid=True)


def start_link(side: StageSide, relay_url: str, **options: Any) -> RelayLink:
    """Start pushing the stage's journal to the relay at `relay_url` (call on the stage loop,
    once the sequencer runs). Returns the link; `await link.close()` before the sequencer
    stops."""
    link = RelayLink(side, relay_url, **options)
    link.start()
    return link


__all__ = ["Chaos", "RelayLink", "RelayStatus", "StageSide", "start_link"]
