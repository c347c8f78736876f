"""Journal rows as Python objects, and the hash that chains them."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from hub.auction.events import PUBLIC, STAFF, Event, canonical_json

JSON = dict[str, Any]

# Columns in table order; the hash covers HASHED, the views are derived and checked by replay.
COLUMNS = (
    "seq",
    "epoch",
    "at",
    "type",
    "lot",
    "actor",
    "key",
    "audience",
    "bidders",
    "data",
    "public_view",
    "staff_view",
    "prev_hash",
    "hash",
)
HASHED = ("seq", "epoch", "at", "type", "lot", "actor", "key", "audience", "bidders", "data")
SELECT_COLUMNS = ", ".join(COLUMNS)


def event_hash(prev_hash: str, fields: JSON) -> str:
    """sha256(prev_hash + canonical JSON of the hashed fields), hex.

    `fields` holds the HASHED keys with decoded values (actor, bidders and data as JSON
    values, not text), so the rule can be re-implemented from the export alone.
    """
    body = canonical_json({k: fields[k] for k in HASHED})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def canonical_with(body: JSON, key: str, encoded: str) -> str:
    """`canonical_json(body)` when the canonical JSON of `body[key]` is already known
    (`encoded`): the keys before and after it are encoded, the known part is spliced in.
    The sequencer and the feed use it so a lot view shared by many events is encoded once."""
    before = {k: v for k, v in body.items() if k < key}
    after = {k: v for k, v in body.items() if k > key}
    parts = [canonical_json(before)[1:-1]] if before else []
    parts.append(f"{canonical_json(key)}:{encoded}")
    if after:
        parts.append(canonical_json(after)[1:-1])
    return "{" + ",".join(parts) + "}"


@dataclass(frozen=True, slots=True)
class Record:
    """One journaled event, as committed."""

    seq: int
    epoch: int
    at: float
    type: str
    lot: str | None
    actor: JSON
    key: str | None
    audience: str  # PUBLIC: room topic (and staff); STAFF: staff only
    bidders: tuple[str, ...]  # paddles whose private topic also carries it
    data: JSON
    public_view: JSON  # engine.view(event, PUBLIC) right after the event was applied
    staff_view: JSON
    prev_hash: str
    hash: str
    sale: str  # the sale id ("" before create_sale)

    @property
    def event(self) -> Event:
        return Event(self.type, self.lot, self.data, self.audience, self.bidders)

    @property
    def is_public(self) -> bool:
        return self.audience == PUBLIC

    def wire(self, audience: str = PUBLIC) -> JSON:
        """The Mercure `data` body for `audience` (PUBLIC for the room and bidder topics).

        `{"seq", "epoch", "type", "at", "sale": id, "lot": {lot state}, "data": {...}}`, plus
        `"sale_state"` (pause flag, message, current lot) for sale-level events.
        """
        view = self.staff_view if audience == STAFF else self.public_view
        body: JSON = {
            "seq": self.seq,
            "epoch": self.epoch,
            "type": self.type,
            "at": self.at,
            "sale": self.sale,
            "lot": view.get("lot"),
            "data": view.get("data", self.data),
        }
        if "sale" in view:
            body["sale_state"] = view["sale"]
        return body

    def to_json(self) -> JSON:
        """Every column, decoded (the export format)."""
        return {
            "seq": self.seq,
            "epoch": self.epoch,
            "at": self.at,
            "type": self.type,
            "lot": self.lot,
            "actor": self.actor,
            "key": self.key,
            "audience": self.audience,
            "bidders": list(self.bidders),
            "data": self.data,
            "public_view": self.public_view,
            "staff_view": self.staff_view,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    def hashed_fields(self) -> JSON:
        return {
            "seq": self.seq,
            "epoch": self.epoch,
            "at": self.at,
            "type": self.type,
            "lot": self.lot,
            "actor": self.actor,
            "key": self.key,
            "audience": self.audience,
            "bidders": list(self.bidders),
            "data": self.data,
        }

    def row(self) -> tuple[Any, ...]:
        """The row as stored: JSON columns as canonical text."""
        return (
            self.seq,
            self.epoch,
            self.at,
            self.type,
            self.lot,
            canonical_json(self.actor),
            self.key,
            self.audience,
            canonical_json(list(self.bidders)),
            canonical_json(self.data),
            canonical_json(self.public_view),
            canonical_json(self.staff_view),
            self.prev_hash,
            self.hash,
        )

    @classmethod
    def from_row(cls, row: tuple[Any, ...] | sqlite3.Row, sale: str = "") -> Record:
        """From a `SELECT {SELECT_COLUMNS}` row."""
        (
            seq,
            epoch,
            at,
            type_,
            lot,
            actor,
            key,
            audience,
            bidders,
            data,
            public_view,
            staff_view,
            prev_hash,
            hash_,
        ) = tuple(row)
        return cls(
            seq=seq,
            epoch=epoch,
            at=at,
            type=type_,
            lot=lot,
            actor=json.loads(actor),
            key=key,
            audience=audience,
            bidders=tuple(json.loads(bidders)),
            data=json.loads(data),
            public_view=json.loads(public_view),
            staff_view=json.loads(staff_view),
            prev_hash=prev_hash,
            hash=hash_,
            sale=sale,
        )
