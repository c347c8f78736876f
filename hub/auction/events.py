"""Commands in, events out: the records the engine speaks in.

An `Event` is what the engine decided; the sequencer stamps it with `seq`, `epoch` and `at`
when it is journaled. Everything here is plain data that round-trips through canonical JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


# One encoder, made once: `json.dumps` with these options builds a new encoder per call,
# which costs more than encoding a small event (the same output: json.dumps calls this).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_json(value: Any) -> str:
    """The one JSON form used for hashes and projections: sorted keys, no spaces, UTF-8."""
    return _CANONICAL(value)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who issued a command: a person's role(s), name and device; for bidders, their paddle.

    `role` is the role the command is sent as (see hub/auction/roles.py); `roles` are every
    role the person holds (empty: just `role`). `name` names the person (a staff account id
    such as "st-3", "owner" on a desktop without accounts); `device` where they sat
    ("desktop", "terminal:<label>"). The journal stores this with every event.
    """

    role: str  # a role of hub/auction/roles.py: "auctioneer", "clerk", ..., "bidder", "system"
    paddle: str | None = None
    name: str | None = None
    roles: tuple[str, ...] = ()
    device: str | None = None

    def held(self) -> tuple[str, ...]:
        """Every role this actor may act in."""
        if not self.roles or self.role in ("bidder", "consignor"):
            return (self.role,)  # a bidder's or consignor's token never carries staff rights
        return self.roles if self.role in self.roles else (self.role, *self.roles)

    def to_json(self) -> JSON:
        out: JSON = {"role": self.role, "paddle": self.paddle, "name": self.name}
        # Only when set, so journals written before issue 13 keep their exact form.
        if self.roles:
            out["roles"] = list(self.roles)
        if self.device is not None:
            out["device"] = self.device
        return out

    @classmethod
    def from_json(cls, data: JSON) -> Actor:
        return cls(
            role=data["role"],
            paddle=data.get("paddle"),
            name=data.get("name"),
            roles=tuple(data.get("roles") or ()),
            device=data.get("device"),
        )


SYSTEM = Actor("system")

# Who may see an event: the public room topic, one bidder's private topic, or staff only.
PUBLIC = "public"
STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Event:
    """One fact the engine decided.

    `data` holds everything `evolve` needs to apply the event, so replay never re-runs a
    decision. `audience` says which topics carry it: PUBLIC events go to the room topic (and
    staff), STAFF events only to staff; `bidders` names the paddles whose private topic also
    gets it.
    """

    type: str
    lot: str | None
    data: JSON = field(default_factory=dict)
    audience: str = PUBLIC
    bidders: tuple[str, ...] = ()

    def to_json(self) -> JSON:
        return {
            "type": self.type,
            "lot": self.lot,
            "data": self.data,
            "audience": self.audience,
            "bidders": list(self.bidders),
        }

    @classmethod
    def from_json(cls, raw: JSON) -> Event:
        return cls(
            type=raw["type"],
            lot=raw.get("lot"),
            data=raw.get("data") or {},
            audience=raw.get("audience", PUBLIC),
            bidders=tuple(raw.get("bidders") or ()),
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer to one command.

    Accepted: `ok` is True and `events` are to be journaled. Refused: `ok` is False, `reason`
    is machine-readable and `events` may still hold records to journal (a refused bid attempt
    is recorded, a late bid raises an alert).
    """

    ok: bool
    events: tuple[Event, ...] = ()
    reason: str | None = None
    message: str | None = None

    @classmethod
    def accept(cls, *events: Event) -> Decision:
        return cls(True, tuple(events))

    @classmethod
    def refuse(cls, reason: str, message: str, *events: Event) -> Decision:
        return cls(False, tuple(events), reason, message)
