"""Deciding the sale's life: going live, session breaks, closing; messages, phone bookings.

A sale starts as a draft (its catalogue, bidders and books are built freely), goes live
(from then on the catalogue changes only by amendments), may break between sessions (days)
and is closed at the end, after which only the vendor's subject-to answers are taken. Which
ops each status allows is declared with each command (`parse.command(states=...)`).
"""

from __future__ import annotations

from typing import Any

from hub.auction import parse as P
from hub.auction import reasons as R
from hub.auction.decide.base import decides, find_bidder, find_lot
from hub.auction.events import PUBLIC, STAFF, Actor, Decision, Event
from hub.auction.state import Auction, Lot

JSON = dict[str, Any]


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


@decides(P.Message)
def message(auction: Auction, cmd: P.Message, actor: Actor, now: float) -> Decision:
    """To everyone (PUBLIC), or to one bidder (STAFF, and that bidder's private topic)."""
    data = {"id": f"m{auction.sale.messages + 1}", "text": cmd.text, "paddle": cmd.paddle}
    if cmd.paddle is None:
        return Decision.accept(Event("message_sent", None, data, PUBLIC))
    bidder = find_bidder(auction, cmd.paddle)
    return Decision.accept(Event("message_sent", None, data, STAFF, (bidder.paddle,)))


@decides(P.BookPhone)
def book_phone(auction: Auction, cmd: P.BookPhone, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    first, last = find_lot(auction, cmd.from_lot), find_lot(auction, cmd.to_lot)
    if first.order > last.order:
        return Decision.refuse(R.INVALID, f"lot {first.id} comes after lot {last.id}")
    for booking in auction.sale.phones.values():
        if booking["paddle"] == bidder.paddle and _overlap(auction, booking, first, last):
            return Decision.refuse(
                R.INVALID, f"paddle {bidder.paddle} has a phone booked for some of these lots"
            )
    data = {
        "id": f"ph{auction.sale.phone_serial + 1}",
        "paddle": bidder.paddle,
        "from_lot": first.id,
        "to_lot": last.id,
        "operator": cmd.operator,
    }
    return Decision.accept(Event("phone_booked", None, data, STAFF))


def _overlap(auction: Auction, booking: JSON, first: Lot, last: Lot) -> bool:
    """Does a booking's range of lots (in the running order) meet first..last?"""
    a, b = auction.lots.get(booking["from_lot"]), auction.lots.get(booking["to_lot"])
    if a is None or b is None:
        return False
    return a.order <= last.order and first.order <= b.order


@decides(P.CancelPhone)
def cancel_phone(auction: Auction, cmd: P.CancelPhone, actor: Actor, now: float) -> Decision:
    booking = auction.sale.phones.get(cmd.id)
    if booking is None:
        return Decision.refuse(R.NO_BOOKING, f"there is no phone booking {cmd.id}")
    return Decision.accept(Event("phone_cancelled", None, {"id": cmd.id}, STAFF))
