"""History for reconnection: a read ``Protocol``, a bounded id-indexed ring, a router.

A ``HistorySource`` must answer ``after(id)`` without scanning (the ring uses a dict; the
journal-backed source for auction topics seeks its ``(epoch, seq)`` index in O(log n)).
``None`` means "I don't know this id" (never stored, or discarded): the hub then answers
``earliest`` and, per the spec, replays nothing it cannot place.

Replay for one subscriber must not walk every stored update either: in a reconnection storm
with subscription events on, each reconnection walked thousands of other subscribers'
private events to find its 20 (issue 17). So a source may also answer ``after_for(id,
reader)``: the updates after ``id`` that ``reader`` *might* see, a sub-sequence of
``after(id)`` in the same order. ``TopicIndex`` finds them in O(log n + k) for a reader
with exact selectors (the pages' case), and walks only the public updates for a wildcard
or pattern reader. The hub still checks ``can_receive`` on each: the index only narrows.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from .auth import Grants
from .topics import EXACT, Selector
from .update import Update


class Reader(Protocol):
    """Who replays: its selectors and grants (a ``Subscriber``)."""

    @property
    def selectors(self) -> tuple[Selector, ...]: ...

    @property
    def grants(self) -> Grants: ...


@runtime_checkable
class HistorySource(Protocol):
    """Read side of a history store. Methods are called on the hub's loop: keep them quick."""

    def after(self, last_event_id: str) -> Iterable[Update] | None:
        """Updates stored after ``last_event_id`` (oldest first), or None if the id is unknown.

        Duplicate ids resolve to their earliest occurrence (draft-08 R8).
        """
        ...

    def earliest(self) -> Iterable[Update]:
        """Everything this source still holds, oldest first (cursor ``earliest``)."""
        ...

    def last_id(self) -> str | None:
        """Id of the newest stored update, or None when empty."""
        ...


class _Positions:
    """Ascending positions; the oldest leave from the front (amortised O(1), no deque:
    ``bisect`` needs O(1) indexing)."""

    __slots__ = ("items", "start")

    def __init__(self) -> None:
        self.items: list[int] = []
        self.start = 0

    def __len__(self) -> int:
        return len(self.items) - self.start

    def drop_first(self) -> None:
        self.start += 1
        if self.start >= 64 and self.start * 2 >= len(self.items):
            del self.items[: self.start]
            self.start = 0

    def since(self, pos: int) -> list[int]:
        """Positions >= ``pos``: O(log n + k)."""
        items = self.items
        return items[bisect_left(items, pos, self.start) :]


class TopicIndex:
    """Where each stored update sits, by topic and by public/private, as ascending ints.

    Positions are the caller's: add in ascending order, drop the oldest first.
    """

    __slots__ = ("_private", "_public", "_topics")

    def __init__(self) -> None:
        self._topics: dict[str, _Positions] = {}
        self._public = _Positions()
        self._private = _Positions()

    def add(self, pos: int, update: Update) -> None:
        topics = self._topics
        for t in dict.fromkeys(update.topics):  # a topic listed twice is indexed once
            lst = topics.get(t)
            if lst is None:
                lst = topics[t] = _Positions()
            lst.items.append(pos)
        (self._private if update.private else self._public).items.append(pos)

    def drop(self, update: Update) -> None:
        """Forget ``update``, the oldest position still indexed."""
        topics = self._topics
        for t in dict.fromkeys(update.topics):
            lst = topics[t]
            lst.drop_first()
            if not lst:
                del topics[t]  # subscription topics are one per subscriber: don't keep them
        (self._private if update.private else self._public).drop_first()

    def clear(self) -> None:
        self._topics.clear()
        self._public = _Positions()
        self._private = _Positions()

    def select(self, start: int, reader: Reader) -> list[int]:
        """Positions >= ``start`` of the updates ``reader`` might see, ascending, no repeat.

        Exact selectors only: the positions of those topics (public and private). Any
        wildcard or pattern selector: every public position, plus the private ones its
        grants might open (by topic when the grants are exact, else all of them).
        """
        topics = self._topics
        runs: list[list[int]] = []
        broad = False
        for sel in reader.selectors:
            if sel.kind != EXACT:
                broad = True
                break
            lst = topics.get(sel.text)
            if lst is not None:
                runs.append(lst.since(start))
        if broad:
            runs = [self._public.since(start)]
            grants = reader.grants.subscribe
            if any(g.kind != EXACT for g in grants):
                runs.append(self._private.since(start))
            else:
                for g in grants:
                    lst = topics.get(g.text)
                    if lst is not None:
                        runs.append(lst.since(start))
        runs = [r for r in runs if r]
        if not runs:
            return []
        if len(runs) == 1:
            return runs[0]
        out: list[int] = []
        last = -1
        for pos in heapq.merge(*runs):
            if pos != last:
                out.append(pos)
                last = pos
        return out


class MemoryHistory:
    """Bounded ring of the last ``size`` updates with an id → position index (O(1) seek)
    and a ``TopicIndex`` (replay for one reader in O(log n + k))."""

    __slots__ = ("_head", "_index", "_ring", "_topics", "evicted_seq", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._ring: list[Update | None] = [None] * size
        self._index: dict[str, int] = {}
        self._topics = TopicIndex()
        self._head = 0  # absolute position of the next append
        self.evicted_seq = 0  # hub_seq of the newest update pushed out of the ring

    def __len__(self) -> int:
        return min(self._head, self.size)

    def append(self, update: Update) -> None:
        if self.size == 0:
            self.evicted_seq = update.hub_seq  # dropped at once
            return
        pos = self._head
        slot = pos % self.size
        old = self._ring[slot]
        if old is not None:
            self.evicted_seq = old.hub_seq
            if self._index.get(old.id) == pos - self.size:
                del self._index[old.id]
            self._topics.drop(old)
        self._ring[slot] = update
        self._index.setdefault(update.id, pos)  # keep the earliest occurrence of a duplicate
        self._topics.add(pos, update)
        self._head = pos + 1

    def _slice(self, start: int) -> list[Update]:
        ring, size = self._ring, self.size
        out: list[Update] = []
        for pos in range(start, self._head):
            u = ring[pos % size]
            if u is not None:
                out.append(u)
        return out

    def _seek(self, last_event_id: str) -> int | None:
        """Position of the first update after the cursor, or None if the cursor is unknown."""
        pos = self._index.get(last_event_id)
        if pos is None or pos < self._head - self.size:
            return None
        return pos + 1

    def after(self, last_event_id: str) -> list[Update] | None:
        start = self._seek(last_event_id)
        return None if start is None else self._slice(start)

    def after_for(self, last_event_id: str, reader: Reader) -> list[Update] | None:
        start = self._seek(last_event_id)
        return None if start is None else self._pick(start, reader)

    def earliest(self) -> list[Update]:
        return self._slice(max(0, self._head - self.size))

    def earliest_for(self, reader: Reader) -> list[Update]:
        return self._pick(max(0, self._head - self.size), reader)

    def _pick(self, start: int, reader: Reader) -> list[Update]:
        ring, size = self._ring, self.size
        out: list[Update] = []
        for pos in self._topics.select(start, reader):
            u = ring[pos % size]
            if u is not None:
                out.append(u)
        return out

    def last_id(self) -> str | None:
        u = self.newest()
        return u.id if u is not None else None

    def newest(self) -> Update | None:
        if self._head == 0 or self.size == 0:
            return None
        return self._ring[(self._head - 1) % self.size]

    def get(self, last_event_id: str) -> Update | None:
        """The stored update with this id (its earliest occurrence), or None."""
        start = self._seek(last_event_id)
        return None if start is None else self._ring[(start - 1) % self.size]

    def _first_after_seq(self, seq: int) -> int:
        """Position of the first stored update published after ``seq`` (``hub_seq``)."""
        ring, size = self._ring, self.size
        lo, hi = max(0, self._head - size), self._head
        while lo < hi:
            mid = (lo + hi) // 2
            u = ring[mid % size]
            if u is not None and u.hub_seq <= seq:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def since_seq(self, seq: int) -> list[Update]:
        return self._slice(self._first_after_seq(seq)) if self.size else []

    def since_seq_for(self, seq: int, reader: Reader) -> list[Update]:
        return self._pick(self._first_after_seq(seq), reader) if self.size else []


class SplitHistory:
    """The hub's own subscription events in a ring of their own (``side``), beside every
    other update (``main``), replayed as one history in publication order (``hub_seq``).

    A reconnection storm with subscription events on publishes two per subscriber; in one
    shared ring they pushed the sale's events out within seconds, and every cursor then
    fell back to the slower journal (issue 17). A cursor is unknown (None) when either ring
    has dropped an update published after it, so nothing is skipped; except that a reader
    without subscribe grants can never see the (private) subscription events, so for it only
    the main ring must be complete.
    """

    __slots__ = ("main", "side")

    def __init__(self, main: MemoryHistory, side: MemoryHistory) -> None:
        self.main = main
        self.side = side

    def _seq(self, last_event_id: str) -> int | None:
        got = (self.main.get(last_event_id), self.side.get(last_event_id))
        found = [u for u in got if u is not None]
        return min(u.hub_seq for u in found) if found else None

    def after(self, last_event_id: str) -> list[Update] | None:
        seq = self._seq(last_event_id)
        if seq is None or max(self.main.evicted_seq, self.side.evicted_seq) > seq:
            return None
        return _in_order(self.main.since_seq(seq), self.side.since_seq(seq))

    def after_for(self, last_event_id: str, reader: Reader) -> list[Update] | None:
        seq = self._seq(last_event_id)
        if seq is None or self.main.evicted_seq > seq:
            return None
        main = self.main.since_seq_for(seq, reader)
        if self.side.evicted_seq > seq:
            return None if reader.grants.subscribe else main
        return _in_order(main, self.side.since_seq_for(seq, reader))

    def earliest(self) -> list[Update]:
        return _in_order(self.main.earliest(), self.side.earliest())

    def earliest_for(self, reader: Reader) -> list[Update]:
        return _in_order(self.main.earliest_for(reader), self.side.earliest_for(reader))

    def last_id(self) -> str | None:
        newest = [u for u in (self.main.newest(), self.side.newest()) if u is not None]
        return max(newest, key=_hub_seq).id if newest else None


def _hub_seq(update: Update) -> int:
    return update.hub_seq


def _in_order(a: list[Update], b: list[Update]) -> list[Update]:
    """Two lists in publication order merged into one."""
    if not b:
        return a
    if not a:
        return b
    return list(heapq.merge(a, b, key=_hub_seq))


class HistoryRouter:
    """Asks each source in order whether it knows a cursor; the first that does replays.

    Put the ring first (it holds every recent update of every topic) and slower, longer
    sources (the journal) after it. ``earliest`` and ``last_id`` come from the first source.
    A router is itself a source with ``after_for``/``earliest_for``.
    """

    __slots__ = ("sources",)

    def __init__(self, sources: Sequence[HistorySource]) -> None:
        self.sources = list(sources)

    def after(self, last_event_id: str) -> Iterable[Update] | None:
        for source in self.sources:
            found = source.after(last_event_id)
            if found is not None:
                return found
        return None

    def after_for(self, last_event_id: str, reader: Reader) -> Iterable[Update] | None:
        for source in self.sources:
            found = replay_after(source, last_event_id, reader)
            if found is not None:
                return found
        return None

    def earliest(self) -> Iterable[Update]:
        return self.sources[0].earliest() if self.sources else ()

    def earliest_for(self, reader: Reader) -> Iterable[Update]:
        return replay_earliest(self.sources[0], reader) if self.sources else ()

    def last_id(self) -> str | None:
        return self.sources[0].last_id() if self.sources else None


def replay_after(
    source: HistorySource, last_event_id: str, reader: Reader
) -> Iterable[Update] | None:
    """``source.after_for`` where the source has it (narrowed for ``reader``), else ``after``."""
    narrow = getattr(source, "after_for", None)
    if narrow is not None:
        found: Iterable[Update] | None = narrow(last_event_id, reader)
        return found
    return source.after(last_event_id)


def replay_earliest(source: HistorySource, reader: Reader) -> Iterable[Update]:
    """``source.earliest_for`` where the source has it, else ``earliest``."""
    narrow = getattr(source, "earliest_for", None)
    if narrow is not None:
        found: Iterable[Update] = narrow(reader)
        return found
    return source.earliest()
