"""Deciding bids: online, floor and house bids, commission books, online bids the clerk confirms.

A bid attempt is checked against the lot (`check_bid`), then either refused with a record
(`bid_refused`, or `late_bid` just after the hammer) or accepted, and commission books answer
it at once when automatic execution is on. Reopening a lot for a late bid reuses the same steps.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hub.auction import parse as P
from hub.auction import reasons as R
from hub.auction.accounts import buyer_of, sold_charges
from hub.auction.charges import buyer_cost
from hub.auction.decide import compliance
from hub.auction.decide.base import decides, find_lot, paused
from hub.auction.events import PUBLIC, STAFF, Actor, Decision, Event
from hub.auction.state import CLOSED, LIVE, OPEN, Auction, Bid, Bidder, Book, Lot

JSON = dict[str, Any]
ATTEMPT_KEYS = ("amount", "paddle", "channel", "seen_seq", "key")


def _names_a_paddle(auction: Auction, actor: Actor) -> Decision | None:
    if actor.paddle is None:
        return Decision.refuse(R.FORBIDDEN, "a bidder token names a paddle")
    return None


@decides(P.Bid, precheck=_names_a_paddle)
def bid(auction: Auction, cmd: P.Bid, actor: Actor, now: float) -> Decision:
    assert actor.paddle is not None  # the precheck refused a token without one
    return place_bid(
        auction, cmd.lot, actor.paddle, "online", cmd.amount, cmd.seen_seq, cmd.key, now
    )


@decides(P.FloorBid)
def floor_bid(auction: Auction, cmd: P.FloorBid, actor: Actor, now: float) -> Decision:
    if cmd.channel == "absentee":
        # The clerk executing a commission bid by hand (automatic execution off).
        lot = find_lot(auction, cmd.lot)
        book = next((b for b in lot.books if b.paddle == cmd.paddle), None)
        if cmd.paddle is None or book is None:
            return Decision.refuse(R.NO_BOOK, "that paddle has no commission bid here")
        if (cmd.amount if cmd.amount is not None else lot.ask) > book.max:
            return Decision.refuse(R.ABOVE_MAX, "above the commission bid's maximum")
    channel = cmd.channel or _registered_channel(auction, cmd.paddle)
    return place_bid(auction, cmd.lot, cmd.paddle, channel, cmd.amount, cmd.seen_seq, cmd.key, now)


def _registered_channel(auction: Auction, paddle: str | None) -> str:
    """A room bid names no channel: a paddle registered for the phone is a phone bid."""
    bidder = auction.bidders.get(paddle or "")
    return "phone" if bidder is not None and bidder.channel == "phone" else "floor"


@decides(P.HouseBid)
def house_bid(auction: Auction, cmd: P.HouseBid, actor: Actor, now: float) -> Decision:
    return place_bid(auction, cmd.lot, None, "house", cmd.amount, cmd.seen_seq, cmd.key, now)


def place_bid(
    auction: Auction,
    lot_id: str,
    paddle: str | None,
    channel: str,
    amount: int | None,
    seen_seq: int | None,
    key: str | None,
    now: float,
) -> Decision:
    """One bid attempt at `amount` (None: at the ask): refused, pending or accepted."""
    lot = find_lot(auction, lot_id)
    attempt: JSON = {
        "amount": amount if amount is not None else lot.ask,
        "paddle": paddle,
        "channel": channel,
        "seen_seq": seen_seq,
        "key": key,
        "at": now,
    }
    reason = check_bid(auction, lot, attempt, now)
    if reason is not None:
        return refuse_attempt(lot, attempt, reason, now)
    # The live AML rule (issue 13): nothing at all to do while the sale has no threshold.
    action, alert = "ok", None
    if auction.sale.settings.aml_threshold is not None:
        action, alert = compliance.aml_check(auction, lot, paddle, channel, attempt["amount"])
    if action == "refuse":
        threshold = compliance.money(auction, auction.sale.settings.aml_threshold or 0)
        refused = refuse_attempt(
            lot,
            attempt,
            (R.CDD_REQUIRED, compliance.REFUSE_MESSAGE.format(threshold=threshold)),
            now,
        )
        return refused if alert is None else _with_alert(alert, refused)
    held_for_aml = action == "hold" and channel == "online"
    if channel == "online" and (auction.sale.settings.confirm_online or held_for_aml):
        lot_serial = lot.serial + 1
        pending = dict(attempt, id=f"{lot.id}.p{lot_serial}")
        if held_for_aml:
            pending["why"] = "aml"
        decision = Decision.accept(
            Event("online_bid_pending", lot.id, {"pending": pending}, STAFF, (str(paddle),))
        )
    else:
        decision = accept_attempt(auction, lot, attempt, now)
    return decision if alert is None else _with_alert(alert, decision)


def _with_alert(alert: Event, decision: Decision) -> Decision:
    """The decision with the AML alert journaled first (the console sees it before the bid)."""
    return dataclasses.replace(decision, events=(alert, *decision.events))


def check_bid(auction: Auction, lot: Lot, attempt: JSON, now: float) -> tuple[str, str] | None:
    """Why this attempt cannot be accepted now, or None."""
    sale = auction.sale
    amount: int = attempt["amount"]
    paddle: str | None = attempt["paddle"]
    channel: str = attempt["channel"]
    if sale.paused:
        return R.PAUSED, sale.message or "the sale is paused"
    if lot.status in CLOSED:
        recent = lot.closed_at is not None and now - lot.closed_at <= sale.settings.late_window
        if recent and channel != "house":
            return R.TOO_LATE, "the hammer had fallen"
        return R.LOT_CLOSED, f"lot {lot.id} is {lot.status}"
    if lot.status not in LIVE:
        return R.LOT_CLOSED, f"lot {lot.id} is {lot.status}"
    if paddle is not None:
        bidder = auction.bidders.get(paddle)
        if bidder is None:
            return R.UNKNOWN_BIDDER, f"paddle {paddle} is not registered"
        if bidder.status != "approved":
            return R.NOT_APPROVED, f"paddle {paddle} is not approved to bid"
        if bidder.hold is not None:
            return R.ON_HOLD, f"paddle {paddle} is on hold: please see the desk"
    high = lot.high
    if amount <= 0:
        return R.INVALID, "a bid must be above zero"
    if high is not None and amount == high.amount:
        return R.ALREADY_BID, "someone bid that amount first"
    if amount < lot.ask or amount <= lot.floor_amount:
        if attempt["seen_seq"] is not None and attempt["seen_seq"] < lot.changed_seq:
            return R.OUTBID, "the price moved on before your bid arrived"
        return R.BELOW_ASK, f"the ask is {lot.ask}"
    if high is not None and paddle is not None and high.paddle == paddle:
        return R.ALREADY_HIGH, "you are already the highest bidder"
    if high is not None and channel == "house" and high.house:
        return R.ALREADY_HIGH, "the house is already the highest bidder"
    if channel == "house" and (lot.reserve is None or amount >= lot.reserve):
        return R.ABOVE_RESERVE, "house bids are allowed only below the reserve"
    if paddle is not None and over_limit(auction, auction.bidders[paddle], lot, amount, channel):
        return R.OVER_LIMIT, "this bid would pass the bidder's credit limit"
    return None


# -- the credit limit: hammer only, or (rule `credit_includes_charges`) all the buyer pays


def committed(auction: Auction, paddle: str) -> int:
    """What a bidder's won lots cost them under the credit rule (the hammers, or with
    `credit_includes_charges` each lot's whole cost: premium, surcharge, taxes, ARR)."""
    bidder = auction.bidders[paddle]
    if not auction.sale.settings.credit_includes_charges:
        return bidder.won
    return sum(
        sold_charges(auction, lot).total for lot in auction.lots.values() if buyer_of(lot) == paddle
    )


def over_limit(auction: Auction, bidder: Bidder, lot: Lot, amount: int, channel: str) -> bool:
    """Would winning `lot` at `amount` take the bidder past their credit limit?

    Cheap by default (the hammer total); the charges are computed only when the sale's rule
    `credit_includes_charges` is on and the bidder has a limit."""
    limit = bidder.credit_limit
    if limit is None:
        return False
    settings = auction.sale.settings
    if not settings.credit_includes_charges:
        return bidder.won + amount > limit
    cost = buyer_cost(settings, lot, amount, channel)
    return committed(auction, bidder.paddle) + cost > limit


def affordable(auction: Auction, bidder: Bidder, lot: Lot, channel: str) -> int | None:
    """The highest hammer the bidder may still reach on `lot` within their limit (None: no
    limit; -1: not even a bid of nothing). The buyer's cost rises with the hammer, so with
    charges the answer is found by bisection."""
    limit = bidder.credit_limit
    if limit is None:
        return None
    settings = auction.sale.settings
    if not settings.credit_includes_charges:
        return limit - bidder.won
    room = limit - committed(auction, bidder.paddle)
    if room < 0:
        return -1
    low, high = 0, room  # the cost of a hammer is at least the hammer
    while low < high:
        middle = (low + high + 1) // 2
        if buyer_cost(settings, lot, middle, channel) <= room:
            low = middle
        else:
            high = middle - 1
    return low


def refuse_attempt(lot: Lot, attempt: JSON, why: tuple[str, str], now: float) -> Decision:
    """A refusal with its record: a `late_bid` alert just after the hammer, else `bid_refused`."""
    reason, message = why
    to = (attempt["paddle"],) if attempt["paddle"] else ()
    if reason == R.TOO_LATE:
        late = dict(
            attempt, id=f"{lot.id}.l{lot.serial + 1}", after=round(now - (lot.closed_at or now), 3)
        )
        return Decision.refuse(
            reason, message, Event("late_bid", lot.id, {"late": late}, STAFF, to)
        )
    record = Event("bid_refused", lot.id, {"attempt": attempt, "reason": reason}, STAFF, to)
    return Decision.refuse(reason, message, record)


def accept_attempt(
    auction: Auction, lot: Lot, attempt: JSON, now: float, extra: JSON | None = None
) -> Decision:
    """Accept a checked attempt, unless an equal commission bid came first; books answer it."""
    settings = auction.sale.settings
    amount: int = attempt["amount"]
    paddle: str | None = attempt["paddle"]
    new = Bid(
        id=f"{lot.id}.{len(lot.bids) + 1}",
        amount=amount,
        paddle=paddle,
        channel=attempt["channel"],
        at=now,
        house=attempt["channel"] == "house",
    )
    books = (
        eligible_books(auction, lot, exclude=paddle, minimum=amount)
        if settings.auto_absentee
        else []
    )
    if books and books[0].max == amount:
        # An equal commission bid was received first: it takes the amount.
        book_bid = book_event(auction, lot, books[0], amount, now, offset=0)
        record = Event(
            "bid_refused",
            lot.id,
            {"attempt": attempt, "reason": R.ALREADY_BID, "book": books[0].paddle},
            STAFF,
            (paddle,) if paddle else (),
        )
        return Decision.refuse(
            R.ALREADY_BID, "a commission bid at that amount came first", book_bid, record
        )
    data = {
        "bid": new.to_json(),
        "tie_policy": settings.tie_policy,
        "seen_seq": attempt["seen_seq"],
        "key": attempt["key"],
    }
    if extra:
        data.update(extra)
    events = [Event("bid_accepted", lot.id, data, PUBLIC, (paddle,) if paddle else ())]
    next_ask = amount + auction.increment(lot, amount)
    books = [b for b in books if b.max >= next_ask]
    if books:
        price = book_price(auction, lot, books, floor=next_ask)
        events.append(book_event(auction, lot, books[0], price, now, offset=2))
    return Decision.accept(*events)


def eligible_books(auction: Auction, lot: Lot, exclude: str | None, minimum: int) -> list[Book]:
    """Commission bids that can still act at `minimum`, strongest and earliest first.

    A book's maximum is capped by its bidder's remaining credit, so the engine never
    bids a book past the credit limit.
    """
    out = []
    for book in lot.books:
        bidder = auction.bidders.get(book.paddle)
        if book.paddle == exclude or bidder is None or bidder.status != "approved":
            continue
        cap = affordable(auction, bidder, lot, "absentee")
        if cap is not None:
            book = Book(book.paddle, min(book.max, cap), book.order)
        if book.max < minimum:
            continue
        out.append(book)
    out.sort(key=lambda b: (-b.max, b.order))
    return out


def book_price(auction: Auction, lot: Lot, books: list[Book], floor: int) -> int:
    """The lowest amount at which the strongest book beats every other book and `floor`."""
    top = books[0]
    if len(books) == 1:
        return floor
    second = books[1]
    if second.max == top.max:
        return top.max  # equal maxima: the earliest received takes it at the max
    return max(floor, min(top.max, second.max + auction.increment(lot, second.max)))


def book_event(
    auction: Auction, lot: Lot, book: Book, amount: int, now: float, offset: int
) -> Event:
    """The engine's own bid for a commission book, `offset` bids after the lot's last."""
    new = Bid(
        id=f"{lot.id}.{len(lot.bids) + max(offset, 1)}",
        amount=amount,
        paddle=book.paddle,
        channel="absentee",
        at=now,
        auto=True,
    )
    data = {
        "bid": new.to_json(),
        "tie_policy": auction.sale.settings.tie_policy,
        "seen_seq": None,
        "key": None,
    }
    return Event("bid_accepted", lot.id, data, PUBLIC, (book.paddle,))


def reopened_copy(lot: Lot) -> Lot:
    """The lot as it will be once reopened, to judge a late bid against it."""
    return dataclasses.replace(lot, status=OPEN, hammer=None, closed_at=None, late={})


# -- online bids the clerk confirms, and floor priority


def online_rejected(lot: Lot, pending_id: str, paddle: str, reason: str | None) -> Event:
    """A waiting online bid taken off the clerk's list, told to its bidder."""
    return Event(
        "online_bid_rejected",
        lot.id,
        {"pending": pending_id, "paddle": paddle, "reason": reason},
        STAFF,
        (paddle,),
    )


@decides(P.AcceptOnline)
def accept_online(auction: Auction, cmd: P.AcceptOnline, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    pending = lot.pending.get(cmd.pending)
    if pending is None:
        return Decision.refuse(R.NO_PENDING, f"no pending online bid {cmd.pending}")
    attempt = {k: pending[k] for k in ATTEMPT_KEYS}
    attempt["at"] = now
    why = check_bid(auction, lot, attempt, now)
    if why is not None and why[0] == R.PAUSED:
        return Decision.refuse(*why)  # the pending bid waits for the sale to resume
    if why is not None:
        rejected = online_rejected(lot, cmd.pending, pending["paddle"], why[0])
        return Decision.refuse(why[0], why[1], rejected)
    decision = accept_attempt(auction, lot, attempt, now, {"pending": cmd.pending})
    if not decision.ok:  # a commission bid at that amount came first: no longer pending
        rejected = online_rejected(lot, cmd.pending, pending["paddle"], decision.reason)
        return Decision(False, (*decision.events, rejected), decision.reason, decision.message)
    return decision


@decides(P.RejectOnline)
def reject_online(auction: Auction, cmd: P.RejectOnline, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    pending = lot.pending.get(cmd.pending)
    if pending is None:
        return Decision.refuse(R.NO_PENDING, f"no pending online bid {cmd.pending}")
    return Decision.accept(online_rejected(lot, cmd.pending, pending["paddle"], cmd.reason))


@decides(P.SetToFloor)
def set_to_floor(auction: Auction, cmd: P.SetToFloor, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if auction.sale.settings.tie_policy != "floor_priority":
        return Decision.refuse(R.TIE_POLICY, "the sale's tie policy is first received")
    paddle = cmd.paddle
    if auction.sale.paused:
        return paused(auction)
    if lot.status not in LIVE:
        return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
    high = lot.high
    if high is None or high.channel != "online":
        return Decision.refuse(R.NO_ONLINE_HIGH, "the high bid is not an online bid")
    if paddle is not None:
        bidder = auction.bidders.get(paddle)
        if bidder is None or bidder.status != "approved":
            return Decision.refuse(R.NOT_APPROVED, f"paddle {paddle} cannot bid")
        if paddle == high.paddle:
            return Decision.refuse(R.ALREADY_HIGH, f"paddle {paddle} is the high bidder")
        if over_limit(auction, bidder, lot, high.amount, "floor"):
            return Decision.refuse(R.OVER_LIMIT, "this bid would pass the credit limit")
    new = Bid(
        id=f"{lot.id}.{len(lot.bids) + 1}",
        amount=high.amount,
        paddle=paddle,
        channel="floor",
        at=now,
    )
    data = {"displaced": high.to_json(), "bid": new.to_json(), "tie_policy": "floor_priority"}
    to = tuple(p for p in (high.paddle, paddle) if p)
    return Decision.accept(Event("set_to_floor", lot.id, data, PUBLIC, to))
