"""A connected subscriber: plain slots, no queue, no task (the hub writes to its transport)."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from .auth import Grants
from .topics import Selector


@dataclass(frozen=True, slots=True)
class Subscription:
    """One selector of a subscriber, in the shape the subscriptions API reports."""

    match_type: str  # exact | urlpattern | uritemplate | *
    match: str


_NUMBERS = itertools.count(1)  # the hub's index key: never shown to anyone


class Subscriber:
    """One open event stream. ``held`` is a list while replay is in progress (live frames
    wait there), None once live. ``since`` is the hub's publication counter at registration:
    anything published before it comes from history (replay), never from live fan-out."""

    __slots__ = (
        "_id",
        "chunked",
        "deadline",
        "dialect",
        "done",
        "grants",
        "held",
        "last_write",
        "limit",
        "num",
        "payload",
        "selectors",
        "since",
        "stalled_since",
        "transport",
    )

    def __init__(
        self,
        sub_id: str | None,
        dialect: str,
        selectors: tuple[Selector, ...],
        grants: Grants,
        transport: asyncio.Transport | None,
        chunked: bool,
        done: asyncio.Future[str],
    ) -> None:
        self._id = sub_id
        self.num = next(_NUMBERS)
        self.dialect = dialect
        self.selectors = selectors
        self.grants = grants
        self.transport = transport
        self.chunked = chunked
        self.done = done
        self.held: list[bytes] | None = []
        self.since = 0
        self.last_write = 0.0
        self.limit = 0
        self.stalled_since: float | None = None
        self.deadline = 0.0  # loop time at which the stream closes (0: never)
        self.payload: Any = None

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        # Built on demand (subscriptions API and events only): nothing extra per subscriber.
        return tuple(
            Subscription("exact" if s.kind == "*" else s.kind, s.text) for s in self.selectors
        )

    @property
    def id(self) -> str:
        """The subscriber's URN: a random UUIDv4 (122 bits from `secrets`), so nobody can
        guess another connection's id from their own. Made on first use (only the
        subscriptions API and events need it), then kept: one string less per subscriber."""
        if self._id is None:
            self._id = f"urn:uuid:{uuid.UUID(bytes=secrets.token_bytes(16), version=4)}"
        return self._id

    def can_receive(self, topics: tuple[str, ...], private: bool) -> bool:
        """Selector match plus, for private updates, a subscribe grant (re-checked on replay).

        Plain loops, no generators: a reconnection storm calls this for every replayed
        update of every reconnecting subscriber."""
        for sel in self.selectors:
            test = sel.test
            for topic in topics:
                if test(topic):
                    return not private or self.grants.can_subscribe_any(topics)
        return False

    def close(self, reason: str) -> None:
        if not self.done.done():
            self.done.set_result(reason)

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} {self.dialect}>"
