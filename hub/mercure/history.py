"""History for reconnection: a read ``Protocol``, a bounded id-indexed ring, a router.

A ``HistorySource`` must answer ``after(id)`` without scanning (the ring uses a dict; the
journal-backed source for auction topics seeks its ``(epoch, seq)`` index in O(log n)).
``None`` means "I don't know this id" (never stored, or discarded): the hub then answers
``earliest`` and, per the spec, replays nothing it cannot place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from .update import Update


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


class MemoryHistory:
    """Bounded ring of the last ``size`` updates with an id → position index (O(1) seek)."""

    __slots__ = ("_head", "_index", "_ring", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._ring: list[Update | None] = [None] * size
        self._index: dict[str, int] = {}
        self._head = 0  # absolute position of the next append

    def __len__(self) -> int:
        return min(self._head, self.size)

    def append(self, update: Update) -> None:
        if self.size == 0:
            return
        pos = self._head
        slot = pos % self.size
        old = self._ring[slot]
        if old is not None and self._index.get(old.id) == pos - self.size:
            del self._index[old.id]
        self._ring[slot] = update
        self._index.setdefault(update.id, pos)  # keep the earliest occurrence of a duplicate
        self._head = pos + 1

    def _slice(self, start: int) -> list[Update]:
        ring, size = self._ring, self.size
        out: list[Update] = []
        for pos in range(start, self._head):
            u = ring[pos % size]
            if u is not None:
                out.append(u)
        return out

    def after(self, last_event_id: str) -> list[Update] | None:
        pos = self._index.get(last_event_id)
        if pos is None or pos < self._head - self.size:
            return None
        return self._slice(pos + 1)

    def earliest(self) -> list[Update]:
        return self._slice(max(0, self._head - self.size))

    def last_id(self) -> str | None:
        if self._head == 0 or self.size == 0:
            return None
        u = self._ring[(self._head - 1) % self.size]
        return u.id if u is not None else None


class HistoryRouter:
    """Asks each source in order whether it knows a cursor; the first that does replays.

    Put the ring first (it holds every recent update of every topic) and slower, longer
    sources (the journal) after it. ``earliest`` and ``last_id`` come from the first source.
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

    def earliest(self) -> Iterable[Update]:
        return self.sources[0].earliest() if self.sources else ()

    def last_id(self) -> str | None:
        return self.sources[0].last_id() if self.sources else None
