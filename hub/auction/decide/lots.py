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
from hub.auction.state import LIVE, OPEN, PASSED, PENDING, Auction, Lot

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
            amount = book_price(auction, lot, books, floor=ask)
            events.append(book_event(auction, lot, books[0], amount, now, offset=1))
    return Decision.accept(*events)


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
