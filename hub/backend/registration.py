"""Bidder registration: a paddle in the journal, the person's name in the identities store.

The journal (the legal, hash-chained record) holds the paddle, channel, status and limit;
name, email and phone are personal data and go to the identities store, which can erase
them. The staff list of bidders joins the two back together.

A registration is all or nothing across the two stores: the fields are checked before
anything is written, the identity is written first, and if the journal then refuses (a
paddle taken meanwhile, a full disk) that identity row is removed again. The journal never
holds a bidder whose identity could not be stored. Registrations run one at a time, so an
undo never removes a row another registration wrote.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

from hub.auction import reasons as R
from hub.auction.decide.base import Refusal
from hub.auction.events import SYSTEM, Actor
from hub.auction.text import identifier_problem
from hub.backend.identities import IdentityError, IdentityStore, clean_identity
from hub.journal.sequencer import Answer, Sequencer

log = logging.getLogger("auctionmen.registration")

JSON = dict[str, Any]

_ONLINE_PADDLE_TRIES = 20  # two sign-ups racing for one paddle: the loser takes the next


class Registration:
    """Registers bidders of the sequencer's sale and lists them with their names."""

    def __init__(self, sequencer: Sequencer, identities: IdentityStore) -> None:
        self.sequencer = sequencer
        self.identities = identities
        self._one_at_a_time = asyncio.Lock()

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
        their identity; name and contact go to the identities store, never the journal.

        Refused without writing anything: fields that cannot be stored (`invalid`, checked
        before the journal), an identities store that cannot write (`journal_unavailable`),
        and whatever the journal refuses (then the identity just written is removed)."""
        try:
            clean = clean_identity(fields)
        except IdentityError as exc:
            return self._refused(R.INVALID, str(exc))
        problem = identifier_problem(str(paddle).strip(), limit=32)
        if problem is not None:
            return self._refused(R.INVALID, f"'paddle' {problem}")
        async with self._one_at_a_time:
            return await self._register(paddle, channel, clean, approved, credit_limit, actor)

    async def _register(
        self,
        paddle: str,
        channel: str,
        clean: dict[str, str],
        approved: bool,
        credit_limit: int | None,
        actor: Actor,
    ) -> Answer:
        key = str(paddle).strip()
        created = None
        if any(clean.values()) and key not in self.sequencer.engine.bidders:
            try:
                created = self.identities.add(self.sale_id, key, clean)
            except sqlite3.Error as exc:
                log.error("identities store cannot write: %s", exc)
                return self._refused(
                    R.JOURNAL_UNAVAILABLE,
                    f"the registration could not be stored ({exc}); nothing was registered",
                )
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
        if not answer.ok and created is not None:
            self._undo(key, created)
        return answer

    def _refused(self, reason: str, message: str) -> Answer:
        """A refusal before the journal, shaped as the journal's own (nothing written)."""
        seq = self.sequencer.engine.seq
        return Answer(False, reason, message, seq, (), {"seq": seq})

    def _undo(self, paddle: str, created: float) -> None:
        try:
            self.identities.remove(self.sale_id, paddle, created)
        except sqlite3.Error as exc:
            # Left behind: a name for a paddle the journal never registered. Nobody lists
            # it (the staff list walks the journal's bidders) and the next online paddle
            # skips its number; erasure at the end of retention removes it.
            log.error("could not undo the identity of unregistered paddle %s: %s", paddle, exc)

    async def register_online_bidder(self, fields: JSON) -> str:
        """A remote sign-up: the next free online paddle, pending until staff approve.

        Raises `Refusal` with the reason: `invalid` fields, `journal_unavailable` (a full
        disk), or the journal's own; a paddle taken meanwhile is retried with the next one."""
        answer = None
        for _ in range(_ONLINE_PADDLE_TRIES):
            taken = set(self.sequencer.engine.bidders)
            paddle = self.identities.next_online_paddle(self.sale_id, taken)
            answer = await self.register_bidder(paddle, "online", fields, approved=False)
            if answer.ok:
                return paddle
            if answer.reason != R.DUPLICATE_BIDDER:
                break
        reason = answer.reason if answer is not None and answer.reason else R.INVALID
        message = answer.message if answer is not None and answer.message else "not registered"
        raise Refusal(reason, message)

    def bidders(self) -> list[JSON]:
        """Every registered bidder with their name (staff only: names are personal data)."""
        out = []
        for paddle, bidder in sorted(self.sequencer.engine.bidders.items()):
            row: JSON = bidder.to_json()
            identity = self.identities.get(self.sale_id, paddle)
            row["name"] = identity["name"] if identity else ""
            out.append(row)
        return out
