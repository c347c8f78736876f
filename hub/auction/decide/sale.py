"""Deciding the sale's life: going live, session breaks, closing.

A sale starts as a draft (its catalogue, bidders and books are built freely), goes live
(from then on the catalogue changes only by amendments), may break between sessions (days)
and is closed at the end, after which only the vendor's subject-to answers are taken. Which
ops each status allows is declared with each command (`parse.command(states=...)`).
"""

from __future__ import annotations

from hub.auction import parse as P
from hub.auction import reasons as R
from hub.auction.decide.base import decides
from hub.auction.events import PUBLIC, Actor, Decision, Event
from hub.auction.state import Auction


def _on_the_block(auction: Auction) -> Decision | None:
    live = auction.live_lot()
    if live is not None:
        return Decision.refuse(R.LOT_OPEN, f"lot {live.id} is still on the block")
    return None


@decides(P.GoLive)
def go_live(auction: Auction, cmd: P.GoLive, actor: Actor, now: float) -> Decision:
    if not auction.lots:
        return Decision.refuse(R.INVALID, "a sale goes live with lots: add the catalogue first")
    return Decision.accept(Event("sale_live", None, {"at": now}, PUBLIC))


@decides(P.CloseSale)
def close_sale(auction: Auction, cmd: P.CloseSale, actor: Actor, now: float) -> Decision:
    refusal = _on_the_block(auction)
    if refusal is not None:
        return refusal
    return Decision.accept(Event("sale_closed", None, {"at": now, "by": actor.role}, PUBLIC))


@decides(P.EndSession)
def end_session(auction: Auction, cmd: P.EndSession, actor: Actor, now: float) -> Decision:
    refusal = _on_the_block(auction)
    if refusal is not None:
        return refusal
    if auction.sale.pause_break is not None:
        return Decision.refuse(R.INVALID, "the session has ended already")
    data = {
        "session": auction.sale.session,
        "message": cmd.message,
        "next_start": cmd.next_start or None,
        "at": now,
    }
    return Decision.accept(Event("session_ended", None, data, PUBLIC))


@decides(P.StartSession)
def start_session(auction: Auction, cmd: P.StartSession, actor: Actor, now: float) -> Decision:
    if auction.sale.pause_break is None:
        return Decision.refuse(R.NOT_PAUSED, "the session is running: end it first")
    data = {"session": auction.sale.session + 1, "at": now}
    return Decision.accept(Event("session_started", None, data, PUBLIC))
