"""Bidder registration: a paddle in the journal, the person's name in the identities store.

The journal (the legal, hash-chained record) holds the paddle, channel, status and limit;
name, email and phone are personal data and go to the identities store, which can erase
them. The staff list of bidders joins the two back together.
"""

from __future__ import annotations

from typing import Any

from hub.auction.events import SYSTEM, Actor
from hub.backend.identities import IDENTITY_FIELDS, IdentityStore
from hub.journal.sequencer import Answer, Sequencer

JSON = dict[str, Any]

_ONLINE_PADDLE_TRIES = 20  # two sign-ups racing for one paddle: the loser takes the next


class Registration:
    """Registers bidders of the sequencer's sale and lists them with their names."""

    def __init__(self, sequencer: Sequencer, identities: IdentityStore) -> None:
        self.sequencer = sequencer
        self.identities = identities

    @property
    def sale_id(self) -> str:
        return self.sequencer.engine.sale.id

    async def register_bidder(
        self,
        paddle: str,
        channel: str,
        fields: JSON,
        *,
        approved: bool,
        credit_limit: int | None = None,
        actor: Actor = SYSTEM,
    ) -> Answer:
        """A bidder registered at the desk (or by phone). Approved at once when staff checked
        their identity; name and contact go to the identities store, never the journal."""
        answer = await self.sequencer.submit(
            {
                "op": "register_bidder",
                "paddle": paddle,
                "channel": channel,
                "status": "approved" if approved else "pending",
                "credit_limit": credit_limit,
            },
            actor,
        )
        if answer.ok and any(fields.get(k) for k in IDENTITY_FIELDS):
            self.identities.add(self.sale_id, str(paddle).strip(), fields)
        return answer

    async def register_online_bidder(self, fields: JSON) -> str:
        """A remote sign-up: the next free online paddle, pending until staff approve."""
        for _ in range(_ONLINE_PADDLE_TRIES):
            taken = set(self.sequencer.engine.bidders)
            paddle = self.identities.next_online_paddle(self.sale_id, taken)
            answer = await self.register_bidder(paddle, "online", fields, approved=False)
            if answer.ok:
                return paddle
        raise RuntimeError("could not allocate a paddle")

    def bidders(self) -> list[JSON]:
        """Every registered bidder with their name (staff only: names are personal data)."""
        out = []
        for paddle, bidder in sorted(self.sequencer.engine.bidders.items()):
            row: JSON = bidder.to_json()
            identity = self.identities.get(self.sale_id, paddle)
            row["name"] = identity["name"] if identity else ""
            out.append(row)
        return out
