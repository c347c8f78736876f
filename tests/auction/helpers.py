"""Small helpers for driving the engine in tests: decide, then evolve what was decided."""

from __future__ import annotations

from typing import Any

from hub.auction.commands import BY_OP
from hub.auction.engine import Engine
from hub.auction.events import Actor, Decision, Event, canonical_json
from hub.auction.parse import DECLARED
from hub.auction.roles import ALL_STAFF_ROLES

SYSTEM = Actor("system")
# The staff member of these tests holds every staff role (as the desktop's owner does): the
# role matrix itself is tested in test_roles.py.
CLERK = Actor("clerk", name="clerk", roles=ALL_STAFF_ROLES)
AUCTIONEER = Actor("auctioneer")

LADDER = [[0, 10], [100, 20], [500, 50]]


def bidder(paddle: str) -> Actor:
    return Actor("bidder", paddle=paddle)


class Sale:
    """An engine plus the journal it has produced, with a clock the test moves.

    The sale is created as a draft; unless `draft` is asked for, it goes live by itself before
    the first command a draft refuses (once it has lots), as a house does when the catalogue
    is ready.
    """

    def __init__(self, settings: dict[str, Any] | None = None, draft: bool = False) -> None:
        self.auto_live = not draft
        self.engine = Engine()
        self.journal: list[Event] = []
        self.now = 1000.0
        base = {"ladder": LADDER, "late_window": 3, "reopen_window": 60}
        base.update(settings or {})
        self.ok(
            {"op": "create_sale", "sale": {"id": "s1", "title": "Test", "settings": base}}, SYSTEM
        )

    def do(self, command: dict[str, Any], actor: Actor = CLERK) -> Decision:
        if self.auto_live and self._waits_for_live(command):
            self.ok({"op": "go_live"})
        decision = self.engine.decide(command, actor, self.now)
        check_declared(command, decision)
        for event in decision.events:
            self.journal.append(event)
            self.engine.evolve(event, len(self.journal))
        return decision

    def _waits_for_live(self, command: Any) -> bool:
        op = command.get("op") if isinstance(command, dict) else None
        declared = DECLARED.get(op) if isinstance(op, str) else None
        sale = self.engine.sale
        return (
            declared is not None
            and sale.status == "draft"
            and bool(self.engine.lots)
            and "draft" not in declared.states
            and op != "go_live"
        )

    def ok(self, command: dict[str, Any], actor: Actor = CLERK) -> Decision:
        decision = self.do(command, actor)
        assert decision.ok, (command, decision.reason, decision.message)
        return decision

    def no(self, command: dict[str, Any], reason: str, actor: Actor = CLERK) -> Decision:
        decision = self.do(command, actor)
        assert not decision.ok, (command, decision.events)
        assert decision.reason == reason, (command, decision.reason, decision.message)
        return decision

    def lot(self, lot_id: str, **fields: Any) -> None:
        """Add a lot (once live, with a reason: a live catalogue changes only with one)."""
        command: dict[str, Any] = {"op": "add_lot", "lot": {"id": lot_id, **fields}}
        if self.engine.sale.status != "draft":
            command["reason"] = "added during the sale"
        self.ok(command)

    def bidders(self, *paddles: str, **fields: Any) -> None:
        for paddle in paddles:
            self.ok({"op": "register_bidder", "paddle": paddle, "status": "approved", **fields})

    def state(self, lot_id: str) -> dict[str, Any]:
        view = self.engine.staff_lot(lot_id)
        assert view is not None
        return view

    def high(self, lot_id: str) -> tuple[int, str | None] | None:
        high = self.state(lot_id)["high"]
        return None if high is None else (high["amount"], high["paddle"])

    def types(self, decision: Decision) -> list[str]:
        return [e.type for e in decision.events]


def check_declared(command: Any, decision: Decision) -> None:
    """Every event a decision carries is one its op declares in the registry (no drift)."""
    if decision.events:
        declared = BY_OP[command["op"]].events
        undeclared = [e.type for e in decision.events if e.type not in declared]
        assert not undeclared, (command["op"], undeclared)


def replay(events: list[Event]) -> Engine:
    """A fresh engine fed the journal through its JSON form, as after a crash."""
    import json

    fresh = Engine()
    for seq, event in enumerate(events, start=1):
        fresh.evolve(Event.from_json(json.loads(canonical_json(event.to_json()))), seq)
    return fresh


def projections(engine: Engine) -> dict[str, str]:
    return {key: canonical_json(engine.projection(key)) for key in engine.projection_keys()}
