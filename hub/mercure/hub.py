"""The dispatcher: subscriber index, in-process publish, adaptive batched fan-out, replay.

Delivery path (perf-notes.md): ``publish()`` validates, encodes the SSE frame once, stores it
in history and appends it to ``_pending``. One flusher task takes everything pending and
writes it straight to each matching connection's transport, one write per subscriber per
pass, in slices (yielding to the loop between slices) and starting at a rotating offset.
Updates that arrive during a pass go out together in the next one. No per-subscriber queue,
task or coroutine; a subscriber whose transport buffer passes the bound is aborted (it
reconnects with Last-Event-ID and resumes from history).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from . import errors, sse
from .auth import Grants
from .config import HubConfig
from .history import (
    HistoryRouter,
    HistorySource,
    MemoryHistory,
    SplitHistory,
    replay_after,
    replay_earliest,
)
from .subscriber import Subscriber, Subscription
from .topics import WILDCARD, Selector
from .update import Update, has_bad_chars, new_event_id

log = logging.getLogger("hub.mercure")

_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normalise_path(path: str) -> str:
    """Decode percent-encoded unreserved chars, then remove dot segments (RFC 3986 5.2.4)."""

    def dec(m: re.Match[str]) -> str:
        ch = chr(int(m.group(1), 16))
        return ch if ch in _UNRESERVED else m.group(0).upper()

    out: list[str] = []
    for seg in _PCT.sub(dec, path).split("/"):
        if seg == "..":
            if len(out) > 1:
                out.pop()
        elif seg != ".":
            out.append(seg)
    if path.endswith(("/.", "/..")):
        out.append("")
    return "/".join(out)


class Hub:
    """An embeddable Mercure hub core (no HTTP here; see ``app.py`` for the aiohttp side)."""

    def __init__(self, config: HubConfig, sources: Sequence[HistorySource] = ()) -> None:
        self.config = config
        self.ring = MemoryHistory(config.history_size)
        self.side = MemoryHistory(config.history_size)  # subscription events
        self.history: HistorySource = HistoryRouter([SplitHistory(self.ring, self.side), *sources])
        self._subscribers: dict[int, Subscriber] = {}
        self._exact: dict[str, set[Subscriber]] = {}
        self._wildcard: set[Subscriber] = set()
        self._patterns: dict[Selector, set[Subscriber]] = {}
        self._pending: list[Update] = []
        # Frames owed to subscribers a pass had already written when they were published.
        self._carry: dict[Subscriber, list[bytes]] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._n_held = 0
        self._seq = 0  # publication counter
        self._last_reg = -1  # counter value at the most recent registration
        self._rotation = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.dropped_slow = 0
        self.late_joined = 0  # deliveries that joined a pass already in progress
        self.hub_path = _normalise_path(config.hub_path)
        # Set by the embedder: is this staff session (a token's `sid`) still live? A revoked
        # one may not subscribe, and its open streams end at the next sweep.
        self.admit_session: Callable[[str], bool] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._flusher(), name="mercure-flusher"),
                asyncio.create_task(self._sweeper(), name="mercure-sweeper"),
            ]

    async def close(self) -> None:
        """Close every open stream (handlers return, aiohttp ends the responses)."""
        self._closed = True
        for sub in list(self._subscribers.values()):
            self._drop(sub, "shutdown")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    @property
    def subscribers(self) -> list[Subscriber]:
        return list(self._subscribers.values())

    def count(self) -> int:
        return len(self._subscribers)

    # ------------------------------------------------------------------ publishing
    def validate(self, update: Update, internal: bool = False) -> None:
        """Raise HubError (400/413) for anything the spec refuses (mercure.md §1.2)."""
        cfg = self.config
        if not update.topics:
            raise errors.bad_request('missing "topic"')
        if len(update.topics) > cfg.max_topics:
            raise errors.too_large("too many topics")
        for t in update.topics:
            if len(t) > cfg.max_topic_length:
                raise errors.too_large("topic too long")
            if not t or has_bad_chars(t):
                raise errors.bad_request("invalid topic")
            if t == WILDCARD:
                raise errors.bad_request('the topic "*" cannot be published')
            if not internal and self.is_reserved(t):
                raise errors.bad_request("topic in the hub's reserved namespace")
        if update.id and (
            has_bad_chars(update.id) or update.id.startswith("#") or update.id == "earliest"
        ):
            raise errors.bad_request("invalid id")
        if update.type and (
            has_bad_chars(update.type) or (update.type == "mercure" and not internal)
        ):
            raise errors.bad_request("invalid type")
        if update.retry is not None and update.retry < 0:
            raise errors.bad_request("invalid retry")

    def is_reserved(self, topic: str) -> bool:
        """Topics resolving to the hub path or below it (draft-08 P10), whatever the host:
        a forged subscription event must not be publishable under any hostname."""
        try:
            path = urlsplit(urljoin(self.config.public_url, topic)).path
        except ValueError:
            return False
        path = _normalise_path(path)
        return path == self.hub_path or path.startswith(self.hub_path + "/")

    def publish(self, update: Update, *, internal: bool = False) -> str:
        """Publish from the same event loop (no HTTP). Returns the event id.

        Raises ``HubError`` for invalid updates. The frame is encoded here, once.
        """
        return self._publish(update, internal, self.ring)

    def _publish(self, update: Update, internal: bool, ring: MemoryHistory) -> str:
        self.validate(update, internal)
        if not update.id:
            update.id = new_event_id()
        try:
            update.frame = sse.encode(update)
        except (sse.FieldError, UnicodeEncodeError):
            raise errors.bad_request("invalid update") from None
        self._seq += 1
        update.hub_seq = self._seq
        ring.append(update)
        if self._subscribers:
            self._pending.append(update)
            self._idle.clear()
            self._wake.set()
        return update.id

    # ------------------------------------------------------------------ index
    def _index(self, sub: Subscriber) -> None:
        for sel in sub.selectors:
            if sel.kind == WILDCARD:
                self._wildcard.add(sub)
            elif sel.kind == "exact":
                self._exact.setdefault(sel.text, set()).add(sub)
            else:
                self._patterns.setdefault(sel, set()).add(sub)

    def _unindex(self, sub: Subscriber) -> None:
        self._wildcard.discard(sub)
        for sel in sub.selectors:
            if sel.kind == "exact":
                s = self._exact.get(sel.text)
                if s is not None:
                    s.discard(sub)
                    if not s:
                        del self._exact[sel.text]
            elif sel.kind != WILDCARD:
                p = self._patterns.get(sel)
                if p is not None:
                    p.discard(sub)
                    if not p:
                        del self._patterns[sel]

    # ------------------------------------------------------------------ subscribing
    def open(
        self, sub: Subscriber, cursor: str | None, expires_at: float | None = None
    ) -> tuple[list[bytes], str | None]:
        """Register ``sub`` (holding live frames) and compute its replay, in one loop step.

        Returns the replay frames and the value for the cursor response header.
        """
        if self._closed:
            raise errors.HubError(503, "hub is shutting down")
        if not self._admitted(sub):
            raise errors.invalid_token("session revoked")
        self._subscribers[sub.num] = sub
        sub.since = self._last_reg = self._seq
        sub.limit = self.config.max_write_buffer
        self._n_held += 1
        self._index(sub)
        loop = asyncio.get_running_loop()
        deadlines: list[float] = []
        if self.config.write_timeout > 0:
            deadlines.append(loop.time() + self.config.write_timeout * random.uniform(0.8, 1.0))
        if expires_at is not None:
            # Close no later than exp; wall clock -> loop clock.
            deadlines.append(loop.time() + max(0.0, expires_at - _wall()))
        if deadlines:
            # Checked by the sweeper: no timer object per subscriber (memory at 10k+).
            sub.deadline = min(deadlines)
        self._subscription_event(sub, active=True)
        if cursor is None:
            return [], None
        replay: Iterable[Update] | None
        # Only the updates this subscriber might see (the history's topic index), not every
        # one stored after the cursor: a reconnection storm is O(N log n), not O(N^2).
        if cursor == "earliest":
            replay, header = replay_earliest(self.history, sub), "earliest"
        else:
            replay = replay_after(self.history, cursor, sub)
            header = cursor if replay is not None else "earliest"
        frames = [
            u.frame or sse.encode(u) for u in replay or () if sub.can_receive(u.topics, u.private)
        ]  # authorization re-checked per event
        return frames, header

    def go_live(self, sub: Subscriber, replay: list[bytes]) -> None:
        """After headers are out: write first comment, replay, then held live frames."""
        held = sub.held or []
        sub.held = None
        self._n_held -= 1
        tr = sub.transport
        if sub.done.done() or tr is None or tr.is_closing():
            self._drop(sub, "disconnected")
            return
        payload = b"".join([sse.HEARTBEAT, *replay, *held])
        tr.write(sse.chunk(payload) if sub.chunked else payload)
        # A long replay may sit in the buffer for a while; don't mistake it for slowness.
        sub.limit = self.config.max_write_buffer + len(payload)
        sub.last_write = asyncio.get_running_loop().time()

    def admits(self, grants: Grants) -> bool:
        """May a token with these grants (still) subscribe? Only a revoked session may not."""
        session = grants.session
        return session is None or self.admit_session is None or self.admit_session(session)

    def _admitted(self, sub: Subscriber) -> bool:
        return self.admits(sub.grants)

    def drop_session(self, session: str) -> int:
        """End at once every stream opened with this (just revoked) staff session."""
        subs = [s for s in self._subscribers.values() if s.grants.session == session]
        for sub in subs:
            self._drop(sub, "session revoked", abort=True)
        return len(subs)

    def remove(self, sub: Subscriber) -> None:
        """Forget ``sub`` (idempotent); called by the handler when its stream ends."""
        self._drop(sub, "closed")

    def _drop(self, sub: Subscriber, reason: str, abort: bool = False) -> None:
        if self._subscribers.pop(sub.num, None) is None:
            return
        if sub.held is not None:
            self._n_held -= 1
            sub.held = None
        self._unindex(sub)
        tr, sub.transport = sub.transport, None  # nothing more is written after this
        if abort and tr is not None:
            tr.abort()
        sub.close(reason)
        self._subscription_event(sub, active=False)

    # ------------------------------------------------------------------ fan-out
    def _targets(self, update: Update) -> list[Subscriber]:
        topics = update.topics
        parts: list[set[Subscriber]] = []
        exact = self._exact
        for t in topics:
            s = exact.get(t)
            if s:
                parts.append(s)
        if self._wildcard:
            parts.append(self._wildcard)
        for sel, subs in self._patterns.items():
            if sel.matches_any(topics):
                parts.append(subs)
        if not parts:
            return []
        cand = list(parts[0]) if len(parts) == 1 else list(set().union(*parts))
        seq = update.hub_seq
        if not update.private and not self._n_held and seq > self._last_reg:
            return cand  # the common case: no per-subscriber filtering at all
        out: list[Subscriber] = []
        granted: dict[int, bool] = {}  # subscribers sharing one token share one check
        for sub in cand:
            if seq <= sub.since:
                continue  # published before this subscriber registered: history's job
            if update.private:
                g = sub.grants
                ok = granted.get(id(g))
                if ok is None:
                    ok = granted[id(g)] = g.can_subscribe_any(topics)
                if not ok:
                    continue
            if sub.held is not None:
                sub.held.append(update.frame)
                continue
            out.append(sub)
        return out

    async def _flusher(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending or self._carry:
                batch, self._pending = self._pending, []
                try:
                    await self._deliver(batch)
                except Exception:  # a bug here must not stop delivery for everyone
                    log.exception("fan-out pass failed")
            self._idle.set()

    async def flushed(self) -> None:
        """Wait until everything published so far has been written to the transports."""
        await self._idle.wait()

    async def _deliver(self, batch: list[Update]) -> None:
        loop = asyncio.get_running_loop()
        carry, self._carry = self._carry, {}
        if len(batch) == 1 and not carry:
            u = batch[0]
            await self._write_all(self._targets(u), None, u.frame, loop)
            return
        # Several frames in one pass: each subscriber gets its frames in one write, those
        # carried over from the previous pass first.
        wanted: dict[Subscriber, list[bytes]] = {sub: frames for sub, frames in carry.items()}
        for u in batch:
            for sub in self._targets(u):
                lst = wanted.get(sub)
                if lst is None:
                    wanted[sub] = [u.frame]
                else:
                    lst.append(u.frame)
        await self._write_all(list(wanted), _joined(wanted), b"", loop)

    def _take_late(self, ahead: list[Subscriber], late: dict[Subscriber, list[bytes]]) -> None:
        """Updates published while a pass is running: the subscribers the pass has not reached
        yet get them in the same write; the others in the next pass, in order. So under load
        an event waits for part of a pass, not for the whole pass in progress plus its own."""
        updates, self._pending = self._pending, []
        ahead_set = set(ahead)
        for u in updates:
            for sub in self._targets(u):
                if sub in ahead_set:
                    target = late
                    self.late_joined += 1
                else:
                    target = self._carry
                lst = target.get(sub)
                if lst is None:
                    target[sub] = [u.frame]
                else:
                    lst.append(u.frame)

    async def _write_all(
        self,
        subs: list[Subscriber],
        acc: dict[Subscriber, bytes] | None,
        frame: bytes,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        n = len(subs)
        if not n:
            return
        start = self._rotation % n
        self._rotation += 1
        order = subs[start:] + subs[:start]  # fairness: nobody is always last
        late: dict[Subscriber, list[bytes]] = {}
        joined: dict[tuple[int, ...], bytes] = {}  # a payload plus late frames, joined once
        chunked: dict[int, bytes] = {}  # id(payload) -> its chunk framing, built once
        step = max(1, self.config.flush_slice)
        for k in range(0, n, step):
            now = loop.time()
            for sub in order[k : k + step]:
                tr = sub.transport
                if tr is None or sub.held is not None:
                    continue
                if tr.is_closing():
                    self._drop(sub, "disconnected")
                    continue
                raw = frame if acc is None else acc[sub]
                if late:
                    more = late.get(sub)
                    if more:
                        key = (id(raw), *map(id, more))
                        both = joined.get(key)
                        if both is None:
                            both = joined[key] = raw + b"".join(more)
                        raw = both
                if sub.chunked:
                    c = chunked.get(id(raw))
                    if c is None:
                        c = chunked[id(raw)] = sse.chunk(raw)
                    tr.write(c)
                else:
                    tr.write(raw)
                sub.last_write = now
                if tr.get_write_buffer_size() > sub.limit:
                    self.dropped_slow += 1
                    self._drop(sub, "slow consumer", abort=True)
            if k + step < n:
                await asyncio.sleep(0)
                if self._pending:
                    self._take_late(order[k + step :], late)

    # ------------------------------------------------------------------ liveness
    async def _sweeper(self) -> None:
        """One pass per ``sweep_interval``: heartbeats, dead and stalled connections."""
        cfg = self.config
        loop = asyncio.get_running_loop()
        frozen_at = -1
        while True:
            await asyncio.sleep(cfg.sweep_interval)
            subs = list(self._subscribers.values())
            if len(subs) != frozen_at:
                # Move the long-lived connection objects out of the collector's reach: a
                # full pass over ~1M aiohttp objects stalls fan-out for tens of ms
                # (perf-notes). Cheap, and done only when the subscriber set changed.
                gc.freeze()
                frozen_at = len(subs)
            for k in range(0, len(subs), 2000):
                now = loop.time()
                for sub in subs[k : k + 2000]:
                    self._check(sub, now)
                await asyncio.sleep(0)

    def _check(self, sub: Subscriber, now: float) -> None:
        cfg = self.config
        if sub.deadline and now >= sub.deadline:
            self._drop(sub, "expired")  # token expiry or connection rotation
            return
        if not self._admitted(sub):
            self._drop(sub, "session revoked", abort=True)  # revoked by another process
            return
        tr = sub.transport
        if tr is None or sub.held is not None:
            return
        if tr.is_closing():
            self._drop(sub, "disconnected")
            return
        if tr.get_write_buffer_size() > 0:
            if sub.stalled_since is None:
                sub.stalled_since = now
            elif cfg.dispatch_timeout > 0 and now - sub.stalled_since > cfg.dispatch_timeout:
                self.dropped_slow += 1
                self._drop(sub, "write timeout", abort=True)
                return
        else:
            sub.stalled_since = None
            sub.limit = cfg.max_write_buffer
        if cfg.heartbeat > 0 and now - sub.last_write >= cfg.heartbeat:
            tr.write(sse.HEARTBEAT_CHUNK if sub.chunked else sse.HEARTBEAT)
            sub.last_write = now

    # ------------------------------------------------------------------ subscription events
    def subscription_topic(self, sub: Subscriber, index: int, dialect: str | None = None) -> str:
        return self._topic_of(sub, sub.subscriptions[index], dialect)

    def _topic_of(self, sub: Subscriber, s: Subscription, dialect: str | None) -> str:
        # Both drafts: the hub URL's *path*, then /subscriptions/... (as the reference hub).
        # URL patterns still select it: they resolve relative topics against the hub's URL.
        base = self.config.hub_path + "/subscriptions"
        who = _quoted_id(sub.id)
        if (dialect or sub.dialect) == "v0":  # draft-07: {topic}/{subscriber}
            return f"{base}/{_quoted(s.match)}/{who}"
        return f"{base}/{s.match_type}/{_quoted(s.match)}/{who}"

    def subscription_doc(
        self, sub: Subscriber, index: int, active: bool, dialect: str | None = None
    ) -> dict[str, Any]:
        """The subscription document, in ``dialect`` (default: the subscriber's own)."""
        return self._doc_of(sub, sub.subscriptions[index], active, dialect)

    def _doc_of(
        self, sub: Subscriber, s: Subscription, active: bool, dialect: str | None
    ) -> dict[str, Any]:
        topic = self._topic_of(sub, s, dialect)
        doc: dict[str, Any]
        if (dialect or sub.dialect) == "v0":
            doc = {
                "@context": "https://mercure.rocks/",
                "id": topic,
                "type": "Subscription",
                "topic": s.match,
                "subscriber": sub.id,
                "active": active,
            }
        else:
            doc = {
                "id": topic,
                "type": "subscription",
                "match_type": s.match_type,
                "match": s.match,
                "subscriber": sub.id,
                "active": active,
            }
        payload = sub.grants.payload_for(s.match)
        if payload is not None:
            doc["payload"] = payload
        return doc

    def _subscription_event(self, sub: Subscriber, active: bool) -> None:
        # Twice per connection (on and off): in a reconnection storm with subscription
        # events on, this was most of the hub's work, so each part is built once here.
        if not self.config.subscriptions or self._closed:
            return
        kind = "" if sub.dialect == "v0" else "mercure"
        for s in sub.subscriptions:
            doc = self._doc_of(sub, s, active, None)
            event = Update(topics=(doc["id"],), data=json.dumps(doc), private=True, type=kind)
            self._publish(event, True, self.side)


_OWN_ID = re.compile(r"urn:uuid:[0-9a-f-]{36}")


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    """A selector percent-encoded for a subscription topic (10,000 subscribers share few)."""
    return quote(text, safe="")


def _quoted_id(sub_id: str) -> str:
    """A subscriber id percent-encoded; ours (`urn:uuid:` + hex) only has ':' to encode."""
    if _OWN_ID.fullmatch(sub_id):
        return sub_id.replace(":", "%3A")
    return quote(sub_id, safe="")


def _joined(wanted: dict[Subscriber, list[bytes]]) -> dict[Subscriber, bytes]:
    """Each subscriber's frames as one payload; most share the same frames (one topic), so
    each distinct sequence is joined once."""
    cache: dict[tuple[int, ...], bytes] = {}
    out: dict[Subscriber, bytes] = {}
    for sub, frames in wanted.items():
        key = tuple(map(id, frames))
        raw = cache.get(key)
        if raw is None:
            raw = cache[key] = b"".join(frames)
        out[sub] = raw
    return out


def _wall() -> float:
    return time.time()
