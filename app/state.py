"""What the console knows about the sale, folded from the snapshot and committed records.

Pure (no Qt): `ConsoleState.apply(wire)` takes one staff wire body and says what changed, so
widgets redraw only their part (Anki's change descriptors).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

LIVE = ("open", "fair_warning")
BIDDER_EVENTS = ("bidder_registered", "bidder_approved", "bidder_rejected", "credit_limit_set")


@dataclass(slots=True)
class Changes:
    lot_ids: set[str] = field(default_factory=set)
    current: bool = False
    sale: bool = False
    bidders: bool = False
    settings: bool = False
    phones: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.lot_ids
            or self.current
            or self.sale
            or self.bidders
            or self.settings
            or self.phones
        )

    def merge(self, other: Changes) -> None:
        self.lot_ids |= other.lot_ids
        self.current |= other.current
        self.sale |= other.sale
        self.bidders |= other.bidders
        self.settings |= other.settings
        self.phones |= other.phones


@dataclass(slots=True)
class ConsoleState:
    sale: JSON = field(default_factory=dict)
    lots: dict[str, JSON] = field(default_factory=dict)
    bidders: list[JSON] = field(default_factory=list)
    settings: JSON = field(default_factory=dict)
    seq: int = 0
    started_at: float | None = None
    last_type: str = ""
    phones: list[JSON] = field(default_factory=list)  # phone bookings (staff)
    head: str = ""  # the journal head hash at the snapshot (a closed sale's seal)

    @classmethod
    def from_snapshot(cls, snap: Mapping[str, Any]) -> ConsoleState:
        state = cls()
        state.sale = dict(snap.get("sale") or {})
        state.seq = int(snap.get("seq") or 0)
        for lot in snap.get("lot_views") or ():
            if lot:
                state.lots[str(lot["id"])] = dict(lot)
        state.bidders = list(snap.get("bidders") or [])
        state.settings = dict(snap.get("settings") or {})
        state.started_at = snap.get("started_at")
        state.phones = [dict(p) for p in snap.get("phones") or () if isinstance(p, Mapping)]
        state.head = str(snap.get("head") or "")
        return state

    @property
    def currency(self) -> str:
        return str(self.sale.get("currency") or "EUR")

    @property
    def current_id(self) -> str | None:
        current = self.sale.get("current")
        return str(current) if current else None

    @property
    def current(self) -> JSON | None:
        return self.lots.get(self.current_id or "")

    def ordered(self) -> list[JSON]:
        return sorted(self.lots.values(), key=lambda lot: lot.get("order") or 0)

    def next_lot_id(self) -> str | None:
        """The first lot still waiting, in catalogue order."""
        for lot in self.ordered():
            if lot.get("status") == "pending":
                return str(lot["id"])
        return None

    def live(self) -> bool:
        lot = self.current
        return bool(lot and lot.get("status") in LIVE)

    def apply(self, wire: Mapping[str, Any]) -> Changes:
        """Fold one staff wire body (`Record.wire("staff")`) into the state."""
        changes = Changes()
        seq = int(wire.get("seq") or 0)
        if seq and seq <= self.seq:
            return changes  # already seen (snapshot raced the first records)
        self.seq = max(self.seq, seq)
        kind = str(wire.get("type") or "")
        self.last_type = kind
        lot = wire.get("lot")
        if isinstance(lot, Mapping) and lot.get("id") is not None:
            lot_id = str(lot["id"])
            self.lots[lot_id] = dict(lot)
            changes.lot_ids.add(lot_id)
            if lot_id == self.current_id:
                changes.current = True
        if kind in ("lot_opened", "lot_reopened") and isinstance(lot, Mapping):
            self.sale["current"] = str(lot["id"])
            changes.current = changes.sale = True
            if self.started_at is None:
                self.started_at = float(wire.get("at") or 0) or None
        sale_state = wire.get("sale_state")
        if isinstance(sale_state, Mapping):
            self.sale.update(sale_state)
            changes.sale = changes.current = True
        if kind in BIDDER_EVENTS:
            changes.bidders = True
        if kind == "settings_changed":
            data = wire.get("data") or {}
            if isinstance(data, Mapping) and isinstance(data.get("settings"), Mapping):
                self.settings.update(data["settings"])
            changes.settings = True
        data = wire.get("data")
        if kind == "phone_booked" and isinstance(data, Mapping):
            self.phones.append(dict(data))
            changes.phones = True
        if kind == "phone_cancelled" and isinstance(data, Mapping):
            self.phones = [p for p in self.phones if str(p.get("id")) != str(data.get("id"))]
            changes.phones = True
        return changes

    def apply_all(self, wires: Iterable[Mapping[str, Any]]) -> Changes:
        out = Changes()
        for wire in wires:
            out.merge(self.apply(wire))
        return out
