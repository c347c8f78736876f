"""Deciding the set-up of a sale: the sale, its rules, lots, bidders and commission bids."""

from __future__ import annotations

from typing import Any

from hub.auction import parse as P
from hub.auction import reasons as R
from hub.auction.decide.base import decides, find_bidder, find_lot
from hub.auction.events import PUBLIC, STAFF, Actor, Decision, Event
from hub.auction.state import DRAFT, LIVE, PENDING, SOLD, WITHDRAWN, Auction

JSON = dict[str, Any]


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


def _reason(reason: str | None) -> str | None:
    return reason.strip() if reason and reason.strip() else None


def _next_order(auction: Auction) -> int:
    """The place after the last lot of the running order."""
    return max((lot.order for lot in auction.lots.values()), default=0) + 1


@decides(P.AddLot)
def add_lot(auction: Auction, cmd: P.AddLot, actor: Actor, now: float) -> Decision:
    if cmd.id in auction.lots:
        return Decision.refuse(R.DUPLICATE_LOT, f"lot {cmd.id} already exists")
    live = auction.sale.status != DRAFT
    if live and _reason(cmd.reason) is None:
        return Decision.refuse(R.CATALOGUE_FROZEN, "the sale is live: adding a lot needs a reason")
    data = {
        "id": cmd.id,
        "order": _next_order(auction),
        "title": cmd.title,
        "description": cmd.description,
        "low": cmd.low,
        "high": cmd.high,
        "start": cmd.start,
        "reserve": cmd.reserve,
        "images": list(cmd.images),
        "quantity": cmd.quantity,
        "consignor": cmd.consignor,
        "vat": cmd.vat,
        "arr": cmd.arr,
        "premium": None if cmd.premium is None else [list(b) for b in cmd.premium],
        "category": cmd.category,
        "condition": cmd.condition,
    }
    added = Event("lot_added", cmd.id, data, STAFF)
    if not live:
        return Decision.accept(added)
    amended: JSON = {
        "changes": {},
        "reason": _reason(cmd.reason),
        "notice": f"Lot {cmd.id} added to the sale",
        "by": actor.role,
    }
    return Decision.accept(added, Event("lot_amended", cmd.id, amended, PUBLIC))


# Fields that may change while the lot is on the block (the auctioneer reads them out).
_ON_THE_BLOCK = frozenset({"description", "condition"})


@decides(P.EditLot)
def edit_lot(auction: Auction, cmd: P.EditLot, actor: Actor, now: float) -> Decision:
    """Draft: `lot_edited`. Live: an amendment with a reason: `lot_amended` (PUBLIC, with the
    saleroom notice) for what everyone sees, `lot_edited` (STAFF) for the reserve and the
    consignor, which a public event never carries."""
    lot = find_lot(auction, cmd.lot)
    changes = dict(cmd.changes)
    low = changes.get("low", lot.low)
    high = changes.get("high", lot.high_estimate)
    if low is not None and high is not None and low > high:
        return Decision.refuse(R.INVALID, "the low estimate would be above the high estimate")
    reason = _reason(cmd.reason)
    if auction.sale.status == DRAFT:
        if not changes:
            return Decision.refuse(R.INVALID, "nothing to change")
        data = {"changes": changes, "reason": reason or "", "by": actor.role}
        return Decision.accept(Event("lot_edited", lot.id, data, STAFF))
    if reason is None:
        return Decision.refuse(R.CATALOGUE_FROZEN, "the sale is live: an amendment needs a reason")
    if lot.status in (SOLD, WITHDRAWN):
        return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
    if lot.status in LIVE and not set(changes) <= _ON_THE_BLOCK:
        return Decision.refuse(
            R.LOT_OPEN, "on the block only the description and condition may change"
        )
    private = {k: v for k, v in changes.items() if k in P.STAFF_LOT_FIELDS}
    public = {k: v for k, v in changes.items() if k not in P.STAFF_LOT_FIELDS}
    # The reason is the notice by default, unless only staff fields change (a new reserve
    # is nobody else's business).
    default = reason if public or not changes else ""
    notice = (cmd.notice if cmd.notice is not None else default).strip()
    events = []
    if private:
        data = {"changes": private, "reason": reason, "by": actor.role}
        events.append(Event("lot_edited", lot.id, data, STAFF))
    if public or notice:
        data = {"changes": public, "reason": reason, "notice": notice, "by": actor.role}
        events.append(Event("lot_amended", lot.id, data, PUBLIC))
    if not events:
        return Decision.refuse(R.INVALID, "nothing to change")
    return Decision.accept(*events)


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
    if cmd.legal_person:  # journaled only when set: older journals keep their form
        data["legal_person"] = True
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


def _own_paddle(actor: Actor, paddle: str) -> Decision | None:
    """A bidder leaves (and cancels) commission bids online for their own paddle only."""
    if actor.role == "bidder" and paddle != actor.paddle:
        return Decision.refuse(R.FORBIDDEN, "a bidder leaves commission bids for their own paddle")
    return None


@decides(P.AbsenteeBid)
def absentee_bid(auction: Auction, cmd: P.AbsenteeBid, actor: Actor, now: float) -> Decision:
    if (refusal := _own_paddle(actor, cmd.paddle)) is not None:
        return refusal
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
    if (refusal := _own_paddle(actor, cmd.paddle)) is not None:
        return refusal
    lot = find_lot(auction, cmd.lot)
    if lot.status != PENDING:
        return Decision.refuse(R.LOT_NOT_PENDING, "commission bids close when the lot opens")
    if not any(b.paddle == cmd.paddle for b in lot.books):
        return Decision.refuse(R.NO_BOOK, f"paddle {cmd.paddle} has no commission bid here")
    return Decision.accept(
        Event("absentee_cancelled", lot.id, {"paddle": cmd.paddle}, STAFF, (cmd.paddle,))
    )
