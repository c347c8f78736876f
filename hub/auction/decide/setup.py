"""Deciding the set-up of a sale: the sale, its rules, lots, bidders and commission bids."""

from __future__ import annotations

from hub.auction import parse as P
from hub.auction import reasons as R
from hub.auction.decide.base import decides, find_bidder, find_lot
from hub.auction.events import PUBLIC, STAFF, Actor, Decision, Event
from hub.auction.state import DRAFT, LIVE, PENDING, Auction


def _no_sale_yet(auction: Auction, actor: Actor) -> Decision | None:
    if auction.sale.id:
        return Decision.refuse(R.INVALID, "the sale already exists")
    return None


@decides(P.CreateSale, precheck=_no_sale_yet)
def create_sale(auction: Auction, cmd: P.CreateSale, actor: Actor, now: float) -> Decision:
    data = {
        "id": cmd.id,
        "title": cmd.title,
        "settings": dict(cmd.settings),
        "house": cmd.house,
        "timezone": cmd.timezone,
        "sessions": [dict(x) for x in cmd.sessions],
        "status": DRAFT,
    }
    return Decision.accept(Event("sale_created", None, data, STAFF))


@decides(P.Configure)
def configure(auction: Auction, cmd: P.Configure, actor: Actor, now: float) -> Decision:
    if any(lot.status in LIVE for lot in auction.lots.values()):
        return Decision.refuse(R.LOT_OPEN, "change the sale's rules between lots")
    return Decision.accept(
        Event("settings_changed", None, {"settings": dict(cmd.settings)}, PUBLIC)
    )


@decides(P.AddLot)
def add_lot(auction: Auction, cmd: P.AddLot, actor: Actor, now: float) -> Decision:
    if cmd.id in auction.lots:
        return Decision.refuse(R.DUPLICATE_LOT, f"lot {cmd.id} already exists")
    data = {
        "id": cmd.id,
        "order": len(auction.lots) + 1,
        "title": cmd.title,
        "description": cmd.description,
        "low": cmd.low,
        "high": cmd.high,
        "start": cmd.start,
        "reserve": cmd.reserve,
        "images": list(cmd.images),
    }
    return Decision.accept(Event("lot_added", cmd.id, data, STAFF))


@decides(P.RegisterBidder)
def register_bidder(auction: Auction, cmd: P.RegisterBidder, actor: Actor, now: float) -> Decision:
    if cmd.paddle in auction.bidders:
        return Decision.refuse(R.DUPLICATE_BIDDER, f"paddle {cmd.paddle} is already registered")
    data = {
        "paddle": cmd.paddle,
        "channel": cmd.channel,
        "status": cmd.status,
        "credit_limit": cmd.credit_limit,
    }
    return Decision.accept(Event("bidder_registered", None, data, STAFF, (cmd.paddle,)))


@decides(P.ApproveBidder)
def approve_bidder(auction: Auction, cmd: P.ApproveBidder, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    data = {"paddle": bidder.paddle}
    return Decision.accept(Event("bidder_approved", None, data, STAFF, (bidder.paddle,)))


@decides(P.RejectBidder)
def reject_bidder(auction: Auction, cmd: P.RejectBidder, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    data = {"paddle": bidder.paddle, "reason": cmd.reason}
    return Decision.accept(Event("bidder_rejected", None, data, STAFF, (bidder.paddle,)))


@decides(P.SetCreditLimit)
def set_credit_limit(auction: Auction, cmd: P.SetCreditLimit, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    data = {"paddle": bidder.paddle, "credit_limit": cmd.credit_limit}
    return Decision.accept(Event("credit_limit_set", None, data, STAFF, (bidder.paddle,)))


@decides(P.AbsenteeBid)
def absentee_bid(auction: Auction, cmd: P.AbsenteeBid, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    bidder = find_bidder(auction, cmd.paddle)
    if lot.status != PENDING:
        return Decision.refuse(R.LOT_NOT_PENDING, "commission bids close when the lot opens")
    if bidder.status != "approved":
        return Decision.refuse(R.NOT_APPROVED, f"paddle {bidder.paddle} is not approved")
    if cmd.max < max(lot.start, 1):
        return Decision.refuse(R.BELOW_START, "the commission bid is below the start price")
    if any(b.paddle == bidder.paddle for b in lot.books):
        return Decision.refuse(R.DUPLICATE_BOOK, "cancel the earlier commission bid first")
    data = {"paddle": bidder.paddle, "max": cmd.max, "order": auction.sale.arrivals + 1}
    return Decision.accept(Event("absentee_registered", lot.id, data, STAFF, (bidder.paddle,)))


@decides(P.CancelAbsentee)
def cancel_absentee(auction: Auction, cmd: P.CancelAbsentee, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if lot.status != PENDING:
        return Decision.refuse(R.LOT_NOT_PENDING, "commission bids close when the lot opens")
    if not any(b.paddle == cmd.paddle for b in lot.books):
        return Decision.refuse(R.NO_BOOK, f"paddle {cmd.paddle} has no commission bid here")
    return Decision.accept(
        Event("absentee_cancelled", lot.id, {"paddle": cmd.paddle}, STAFF, (cmd.paddle,))
    )
