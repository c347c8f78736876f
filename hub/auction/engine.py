"""The auction engine: `decide` a command against the state, `evolve` the state by events.

Pure and deterministic: no I/O, no clock (the caller passes `now`), no randomness. `decide`
never mutates; `evolve` applies one journaled event and is the only mutation, so the state is
exactly replay(journal). Money is an int in the sale currency's minor unit.

This class is a thin facade over the engine's three faces, one module each:
- `hub.auction.decide` (with `parse` at its edge): commands in, a `Decision` out;
- `hub.auction.evolve`: one journaled event into the state;
- `hub.auction.views`: what each audience sees, and the stored projections.
All the state is one `Auction` in `self.state`, so rebuilding the engine in place
(`engine.__dict__.update(fresh.__dict__)`) swaps it whole.
"""

from __future__ import annotations

from typing import Any

from hub.auction import views
from hub.auction.decide import decide
from hub.auction.events import Actor, Decision, Event
from hub.auction.evolve import evolve
from hub.auction.state import Auction, Bidder, Lot, Sale
from hub.auction.views import STAFF_HISTORY

JSON = dict[str, Any]

__all__ = ["STAFF_HISTORY", "Engine"]


class Engine:
    """One sale's auction state and rules."""

    def __init__(self) -> None:
        self.state = Auction()

    # The state's parts, as the journal, the gateway and the app read them.
    @property
    def sale(self) -> Sale:
        return self.state.sale

    @property
    def lots(self) -> dict[str, Lot]:
        return self.state.lots

    @property
    def bidders(self) -> dict[str, Bidder]:
        return self.state.bidders

    @property
    def seq(self) -> int:
        return self.state.seq

    @property
    def dirty(self) -> set[str]:
        return self.state.dirty

    def decide(self, command: JSON, actor: Actor, now: float) -> Decision:
        """Answer one command: events to journal, or a refusal with a machine-readable reason."""
        return decide(self.state, command, actor, now)

    def evolve(self, event: Event, seq: int) -> None:
        """Apply one journaled event. Deterministic: the same events give the same state."""
        evolve(self.state, event, seq)

    def public_lot(self, lot_id: str | None) -> JSON | None:
        return views.public_lot(self.state, lot_id)

    def staff_lot(self, lot_id: str | None) -> JSON | None:
        return views.staff_lot(self.state, lot_id)

    def sale_view(self) -> JSON:
        return views.sale_view(self.state)

    def lot_summaries(self) -> list[JSON]:
        return views.lot_summaries(self.state)

    def snapshot(self, staff: bool = False) -> JSON:
        return views.snapshot(self.state, staff)

    def bidder_view(self, paddle: str) -> JSON | None:
        return views.bidder_view(self.state, paddle)

    def next_lot(self) -> str | None:
        return views.next_lot(self.state)

    def view(self, event: Event, audience: str) -> JSON:
        return views.view(self.state, event, audience)

    def projection(self, key: str) -> JSON | None:
        return views.projection(self.state, key)

    def projection_keys(self) -> list[str]:
        return views.projection_keys(self.state)

    def take_dirty(self) -> set[str]:
        """The projection keys changed since the last call; starts a new set."""
        dirty, self.state.dirty = self.state.dirty, set()
        return dirty
