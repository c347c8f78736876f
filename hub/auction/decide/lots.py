"""Deciding a lot's flow on the block: open, ask and increment, fair warning, hammer, pass,
withdraw; and pausing the sale."""

from __future__ import annotations

from typing import Any

from hub.auction import parse as P
from hub.auction import reasons as R
from hub.auction.decide.base import decides, find_lot, paused
from hub.auction.decide.bidding import book_event, book_price, eligible_books, online_rejected
from hub.auction.events import PUBLIC, Actor, Decision, Event
from hub.auction.parse import MAX_AMOUNT
from hub.auction.state import LIVE, OPEN, PASSED, PENDING, SOLD, Auction, Book, Lot

JSON = dict[str, Any]


@decides(P.OpenLot)
def open_lot(auction: Auction, cmd: P.OpenLot, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if lot.status != PENDING:
        return Decision.refuse(R.LOT_NOT_PENDING, f"lot {lot.id} is {lot.status}")
    live = auction.live_lot()
    if live is not None:
        return Decision.refuse(R.LOT_OPEN, f"lot {live.id} is still on the block")
    if auction.sale.paused:
        return paused(auction)
    # The ask set while the lot waited (set_ask), else the start price; a lot without a
    # start price opens at the first step of the ladder, never at zero.
    ask = lot.ask if lot.ask > 0 else auction.increment(lot, 0)
    events = [Event("lot_opened", lot.id, {"ask": ask, "at": now})]
    if auction.sale.settings.auto_absentee:
        books = eligible_books(auction, lot, exclude=None, minimum=ask)
        if books:
            amount = book_price(auction, lot, books, floor=opening_floor(auction, lot, books, ask))
            events.append(book_event(auction, lot, books[0], amount, now, offset=1))
    return Decision.accept(*events)


def opening_floor(auction: Auction, lot: Lot, books: list[Book], ask: int) -> int:
    """The least a commission book bids when the lot opens: books open at the reserve.

    A book whose maximum (capped by its bidder's credit) is at or above the reserve opens the
    lot at the reserve, so the lot is not passed for want of a bid its books would have
    made. Walking the ladder up from the opening ask, the reserve is the price when the ladder
    meets it exactly; otherwise the first step above it, but never more than the strongest
    book's maximum (which is at least the reserve). With several books the strongest then
    pays max(this, second max + increment), as at any other time (`book_price`). A book below
    the reserve, or a lot without one (or opening at or above it), opens at the ask as before.

    Worked example on a ladder of 20s from 300: start 300, reserve 500, a book at 800 opens at
    500 and the hammer sells; start 310, reserve 500: the step after 490 is 510.
    """
    reserve = lot.reserve
    if reserve is None or reserve <= ask or books[0].max < reserve:
        return ask
    step = ask
    while step < reserve:
        step += max(1, auction.increment(lot, step))
    return min(step, books[0].max)


@decides(P.SetAsk)
def set_ask(auction: Auction, cmd: P.SetAsk, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if lot.status not in (*LIVE, PENDING):
        return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
    if cmd.amount <= lot.floor_amount or cmd.amount <= 0:
        return Decision.refuse(R.BELOW_HIGH, "the ask must be above the current bid")
    return Decision.accept(Event("ask_set", lot.id, {"ask": cmd.amount}))


@decides(P.SetIncrement)
def set_increment(auction: Auction, cmd: P.SetIncrement, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if lot.status not in (*LIVE, PENDING):
        return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
    current = auction.increment(lot, lot.high.amount if lot.high else lot.ask)
    increment: int | None
    if cmd.mode == "half":
        increment = max(1, current // 2)
    elif cmd.mode == "double":
        increment = min(current * 2, MAX_AMOUNT)
    elif cmd.mode == "reset":
        increment = None
    else:
        increment = cmd.amount
    return Decision.accept(
        Event("increment_set", lot.id, {"increment": increment, "mode": cmd.mode})
    )


@decides(P.FairWarning)
def fair_warning(auction: Auction, cmd: P.FairWarning, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if lot.status != OPEN:
        return Decision.refuse(R.LOT_NOT_OPEN, f"lot {lot.id} is {lot.status}")
    if auction.sale.paused:
        return paused(auction)
    return Decision.accept(Event("fair_warning", lot.id, {"at": now}))


@decides(P.Hammer)
def hammer(auction: Auction, cmd: P.Hammer, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if lot.status not in LIVE:
        return Decision.refuse(R.LOT_NOT_OPEN, f"lot {lot.id} is {lot.status}")
    if auction.sale.paused:
        return paused(auction)
    high = lot.high
    knock: JSON = {"source": cmd.source, "at": now, "device_at": cmd.device_at, "by": actor.role}
    events = drop_pending(lot, R.LOT_CLOSED)
    if high is None:
        events.insert(0, Event("lot_passed", lot.id, {"hammer": knock, "reason": "no_bids"}))
        return Decision.accept(*events)
    knock.update(amount=high.amount, paddle=high.paddle, channel=high.channel, bid_id=high.id)
    below_reserve = lot.reserve is not None and high.amount < lot.reserve
    if high.house:
        ev = Event("lot_passed", lot.id, {"hammer": knock, "reason": "bought_in"})
    elif below_reserve and not auction.sale.settings.subject_to:
        ev = Event("lot_passed", lot.id, {"hammer": knock, "reason": "reserve_not_met"})
    else:
        knock["subject_to"] = below_reserve
        ev = Event(
            "lot_sold", lot.id, {"hammer": knock}, PUBLIC, (high.paddle,) if high.paddle else ()
        )
    return Decision.accept(ev, *events)


@decides(P.Pass)
def pass_(auction: Auction, cmd: P.Pass, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if lot.status not in LIVE:
        return Decision.refuse(R.LOT_NOT_OPEN, f"lot {lot.id} is {lot.status}")
    knock = {"source": cmd.source, "at": now, "by": actor.role}
    return Decision.accept(
        Event("lot_passed", lot.id, {"hammer": knock, "reason": "passed"}),
        *drop_pending(lot, R.LOT_CLOSED),
    )


@decides(P.Withdraw)
def withdraw(auction: Auction, cmd: P.Withdraw, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if lot.status not in (PENDING, *LIVE):
        return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
    data = {"reason": cmd.reason, "at": now}
    return Decision.accept(Event("lot_withdrawn", lot.id, data), *drop_pending(lot, R.LOT_CLOSED))


@decides(P.ResolveSubjectTo)
def resolve_subject_to(
    auction: Auction, cmd: P.ResolveSubjectTo, actor: Actor, now: float
) -> Decision:
    """The vendor's answer on a lot sold below the reserve, within the sale's window."""
    lot = find_lot(auction, cmd.lot)
    hammer = lot.hammer or {}
    if lot.status != SOLD or not hammer.get("subject_to"):
        return Decision.refuse(R.NOT_SUBJECT_TO, f"lot {lot.id} is not sold subject to")
    if now - float(hammer["at"]) > auction.sale.settings.subject_to_window:
        return Decision.refuse(R.TOO_LATE, "the window for the vendor's answer has passed")
    data = {"accept": cmd.accept, "reason": cmd.reason, "at": now}
    to = (hammer["paddle"],) if hammer.get("paddle") else ()
    return Decision.accept(Event("subject_to_resolved", lot.id, data, PUBLIC, to))


@decides(P.Reoffer)
def reoffer(auction: Auction, cmd: P.Reoffer, actor: Actor, now: float) -> Decision:
    """A passed lot back to waiting, after the last lot; its old bids stay, voided."""
    lot = find_lot(auction, cmd.lot)
    if lot.status != PASSED:
        return Decision.refuse(R.NOT_PASSED, f"lot {lot.id} is {lot.status}, not passed")
    order = max(x.order for x in auction.lots.values()) + 1
    data = {"order": order, "reason": cmd.reason, "at": now}
    return Decision.accept(Event("lot_reoffered", lot.id, data, PUBLIC))


def drop_pending(lot: Lot, reason: str) -> list[Event]:
    """Every online bid still waiting for the clerk, rejected as the lot closes."""
    return [
        online_rejected(lot, pid, p["paddle"], reason) for pid, p in sorted(lot.pending.items())
    ]


@decides(P.Pause)
def pause(auction: Auction, cmd: P.Pause, actor: Actor, now: float) -> Decision:
    if auction.sale.pause_break is not None:
        return Decision.refuse(R.PAUSED, "between sessions: start the next session")
    return Decision.accept(Event("sale_paused", None, {"message": cmd.message, "at": now}))


@decides(P.Resume)
def resume(auction: Auction, cmd: P.Resume, actor: Actor, now: float) -> Decision:
    if not auction.sale.paused:
        return Decision.refuse(R.NOT_PAUSED, "the sale is not paused")
    if auction.sale.pause_break is not None:
        return Decision.refuse(R.PAUSED, "between sessions: start the next session")
    return Decision.accept(Event("sale_resumed", None, {"at": now}))
