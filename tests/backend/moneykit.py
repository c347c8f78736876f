"""A small sale for the money tests, driven through the real engine: rules, lots of each VAT
scheme, two buyers, one consignor, and helpers to sell lots and run the money commands.

`Book` drives the engine the way the sequencer does (decide, then evolve each event with the
next seq), without a journal: the ledger and property tests use it. The cashier and audit tests
run the same commands through a real Sequencer on a SQLite file (`sale_on_disk`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.auction.engine import Engine
from hub.auction.events import SYSTEM, Actor, Decision, Event, canonical_json
from hub.auction.state import Auction
from hub.journal.sequencer import Sequencer

JSON = dict[str, Any]
CLERK = Actor("clerk", name="Ann", roles=("clerk", "auctioneer"))
T0 = 1_790_000_000.0  # 2026-09-21, UTC

# 25 % to 50,000.00, 20 % above; 3 % on phone bids; VAT 20 %, reduced 5.5 %, import 5.5 %;
# ARR from EUR 3,000.
RULES: JSON = {
    "currency": "EUR",
    "buyer_premium": [[0, 2500], [5_000_000, 2000]],
    "premium_surcharge_bp": {"phone": 300},
    "vat_rate_bp": 2000,
    "vat_reduced_bp": 550,
    "vat_import_bp": 550,
    "arr_threshold": 300_000,
    "arr_eur_ppm": 1_000_000,
}
LOTS: list[JSON] = [
    {
        "id": "1",
        "title": "Pair of Sèvres vases",
        "low": 80_000,
        "vat": "margin",
        "consignor": "C-1",
    },
    {"id": "2", "title": "Walnut bureau", "low": 5_000_000, "vat": "standard", "consignor": "C-1"},
    {
        "id": "3",
        "title": "Study of a head, oil",
        "low": 800_000,
        "vat": "margin",
        "arr": True,
        "consignor": "C-1",
    },
    {"id": "4", "title": "A clock", "low": 50_000, "vat": "margin", "consignor": "C-1"},
]
TERMS: JSON = {
    "commission": [[0, 1500]],
    "vat_on_commission": True,
    "charges": [["Photography", 5_000]],
    "lot_fee": 1_000,
    "unsold_fee": 2_000,
    "payout_days": 30,
    "absolute": False,
}


def sale_commands(
    rules: JSON | None = None,
    lots: Sequence[JSON] = LOTS,
    paddles: Sequence[str] = ("101", "102"),
    sale_id: str = "autumn",
) -> list[JSON]:
    """Create the sale, its catalogue and its bidders, and go live."""
    out: list[JSON] = [
        {
            "op": "create_sale",
            "sale": {
                "id": sale_id,
                "title": "Autumn Sale",
                "sessions": [
                    {"name": "Day 1", "starts": "2026-09-21T10:00", "from_lot": "1", "to_lot": "9"}
                ],
                "settings": dict(RULES if rules is None else rules),
            },
        }
    ]
    out += [{"op": "add_lot", "lot": {"start": 1_000, **lot}} for lot in lots]
    out += [{"op": "register_bidder", "paddle": p, "status": "approved"} for p in paddles]
    out.append({"op": "go_live"})
    return out


def sell_commands(lot: str, paddle: str, amount: int, channel: str = "floor") -> list[JSON]:
    return [
        {"op": "open_lot", "lot": lot},
        {"op": "floor_bid", "lot": lot, "amount": amount, "paddle": paddle, "channel": channel},
        {"op": "hammer", "lot": lot},
    ]


def pass_commands(lot: str) -> list[JSON]:
    return [{"op": "open_lot", "lot": lot}, {"op": "pass", "lot": lot}]


def worked_sale_commands(sale_id: str = "autumn") -> list[JSON]:
    """The worked example: lot 1 (margin) 1,000.00 to 101; lot 2 (standard) 60,000.00 to 102
    on the phone; lot 3 (margin, ARR) 10,000.00 to 101; lot 4 passed."""
    return [
        *sale_commands(sale_id=sale_id),
        *sell_commands("1", "101", 100_000),
        *sell_commands("2", "102", 6_000_000, "phone"),
        *sell_commands("3", "101", 1_000_000),
        *pass_commands("4"),
        {"op": "set_consignor_terms", "consignor": "C-1", **TERMS},
    ]


@dataclass
class Book:
    """The engine, driven like the sequencer drives it, on a test clock."""

    engine: Engine = field(default_factory=Engine)
    now: float = T0
    events: list[tuple[int, Event]] = field(default_factory=list)  # as a journal would hold

    @property
    def state(self) -> Auction:
        return self.engine.state

    def run(self, command: JSON, actor: Actor = CLERK) -> Decision:
        self.now += 1.0
        decision = self.engine.decide(command, actor, self.now)
        for event in decision.events:
            seq = self.engine.seq + 1
            self.engine.evolve(event, seq)
            # As the journal keeps it: canonical JSON, read back.
            self.events.append((seq, Event.from_json(json.loads(canonical_json(event.to_json())))))
        return decision

    def ok(self, command: JSON, actor: Actor | None = None) -> Decision:
        op = command.get("op")
        who = actor or (
            SYSTEM if op in ("create_sale", "issue_invoice", "issue_credit_note") else CLERK
        )
        decision = self.run(command, who)
        assert decision.ok, (command, decision.reason, decision.message)
        return decision

    def all(self, commands: Sequence[JSON]) -> None:
        for command in commands:
            self.ok(command)


async def sale_on_disk(path: Path, commands: Sequence[JSON], clock: Any) -> Sequencer:
    """A started Sequencer on a new journal at `path`, with `commands` journaled."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sequencer = Sequencer(path, clock=clock)
    await sequencer.start()
    for command in commands:
        who = SYSTEM if command["op"] in ("create_sale",) else CLERK
        answer = await sequencer.submit(command, who)
        assert answer.ok, (command, answer.reason, answer.message)
    return sequencer


class Clock:
    """A test clock: every read moves one second on."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1.0
        return self.now
