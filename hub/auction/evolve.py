"""Evolve: apply one journaled event to the state. The only code that changes the state.

Deterministic and total: the same events give the same state, so state = replay(journal).
An event's `data` carries everything needed, so nothing here decides again. One handler per
event type, registered with `@applies("type")`; importing this module checks the table against
the event types the registry declares (`commands.COMMANDS[...].events`), both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.auction import commands
from hub.auction.events import Event
from hub.auction.state import (
    FAIR_WARNING,
    OPEN,
    PASSED,
    PENDING,
    SALE_CLOSED,
    SALE_LIVE,
    SOLD,
    WITHDRAWN,
    Auction,
    Bid,
    Bidder,
    Book,
    Lot,
    Money,
)

JSON = dict[str, Any]
Applier = Callable[[Auction, Event, int], None]

# event type -> its handler; read only by `evolve`.
APPLIERS: dict[str, Applier] = {}


def applies(event_type: str) -> Callable[[Applier], Applier]:
    """Register the decorated function as the one handler of `event_type`."""

    def register(fn: Applier) -> Applier:
        if event_type in APPLIERS:
            raise RuntimeError(f"two handlers for event {event_type!r}")
        APPLIERS[event_type] = fn
        return fn

    return register


def declared_events() -> frozenset[str]:
    """Every event type some command may journal, according to the registry."""
    return frozenset(t for c in commands.COMMANDS for t in c.events)


def evolve(auction: Auction, event: Event, seq: int) -> None:
    """Apply one journaled event at `seq`, and mark what it changed as dirty."""
    auction.seq = seq
    APPLIERS[event.type](auction, event, seq)
    auction.dirty.add("sale")
    if event.lot is not None:
        auction.dirty.add(f"lot/{event.lot}")


def _lot_of(auction: Auction, ev: Event) -> Lot:
    return auction.lots[str(ev.lot)]


def _touch_bidder(auction: Auction, paddle: str) -> Bidder:
    auction.dirty.add(f"bidder/{paddle}")
    return auction.bidders[paddle]


# -- setup


@applies("sale_created")
def _sale_created(auction: Auction, ev: Event, seq: int) -> None:
    d, sale = ev.data, auction.sale
    sale.id = d["id"]
    sale.title = d["title"]
    sale.settings.update(d["settings"])
    # A journal from before sale days has no status: its sale was live from the start.
    sale.status = d.get("status", SALE_LIVE)
    sale.house = d.get("house", "")
    sale.timezone = d.get("timezone", "")
    sale.sessions = [dict(x) for x in d.get("sessions", [])]


@applies("settings_changed")
def _settings_changed(auction: Auction, ev: Event, seq: int) -> None:
    auction.sale.settings.update(ev.data["settings"])


@applies("lot_added")
def _lot_added(auction: Auction, ev: Event, seq: int) -> None:
    d = ev.data
    auction.lots[d["id"]] = Lot(
        id=d["id"],
        order=d["order"],
        title=d["title"],
        description=d["description"],
        low=d["low"],
        high_estimate=d["high"],
        start=d["start"],
        reserve=d["reserve"],
        images=list(d["images"]),
        # Lots from before sale days have none of these: the defaults.
        quantity=d.get("quantity", 1),
        consignor=d.get("consignor", ""),
        vat=d.get("vat", "margin"),
        arr=d.get("arr", False),
        premium=d.get("premium"),
        category=d.get("category", ""),
        condition=d.get("condition", ""),
        ask=d["start"],
        changed_seq=seq,
    )


def _change(lot: Lot, changes: JSON) -> None:
    """Apply catalogue changes (checked when decided) to a lot."""
    for key, value in changes.items():
        if key == "high":
            lot.high_estimate = value
        elif key == "images":
            lot.images = list(value)
        elif key == "start":
            lot.start = value
            if lot.status == PENDING:
                lot.ask = value
        else:
            setattr(lot, key, value)


@applies("lot_edited")
def _lot_edited(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    _change(lot, ev.data["changes"])
    lot.changed_seq = seq


@applies("lot_amended")
def _lot_amended(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    _change(lot, ev.data["changes"])
    if ev.data.get("notice"):
        lot.notices.append(ev.data["notice"])
    lot.changed_seq = seq


@applies("lot_reoffered")
def _lot_reoffered(auction: Auction, ev: Event, seq: int) -> None:
    """A passed lot back to pending at the end of the order; its bids stay, voided."""
    lot = _lot_of(auction, ev)
    for bid in lot.bids:
        if bid.void is None:
            bid.void = "reoffered"
    lot.order = ev.data["order"]
    lot.status = PENDING
    lot.high_id = None
    lot.hammer = None
    lot.closed_at = None
    lot.books = []  # they executed in the first offer
    lot.pending = {}
    lot.late = {}
    lot.increment_override = None
    lot.ask = lot.start
    lot.changed_seq = seq


@applies("bidder_registered")
def _bidder_registered(auction: Auction, ev: Event, seq: int) -> None:
    d = ev.data
    auction.bidders[d["paddle"]] = Bidder(
        d["paddle"],
        d["channel"],
        d["status"],
        d["credit_limit"],
        legal_person=bool(d.get("legal_person", False)),
    )
    auction.dirty.add(f"bidder/{d['paddle']}")


@applies("bidder_approved")
def _bidder_approved(auction: Auction, ev: Event, seq: int) -> None:
    _touch_bidder(auction, ev.data["paddle"]).status = "approved"


@applies("bidder_rejected")
def _bidder_rejected(auction: Auction, ev: Event, seq: int) -> None:
    _touch_bidder(auction, ev.data["paddle"]).status = "rejected"


@applies("credit_limit_set")
def _credit_limit_set(auction: Auction, ev: Event, seq: int) -> None:
    _touch_bidder(auction, ev.data["paddle"]).credit_limit = ev.data["credit_limit"]


@applies("absentee_registered")
def _absentee_registered(auction: Auction, ev: Event, seq: int) -> None:
    d = ev.data
    auction.sale.arrivals = d["order"]
    _lot_of(auction, ev).books.append(Book(d["paddle"], d["max"], d["order"]))


@applies("absentee_cancelled")
def _absentee_cancelled(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    lot.books = [b for b in lot.books if b.paddle != ev.data["paddle"]]


# -- bids


@applies("lot_opened")
def _lot_opened(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    lot.status = OPEN
    lot.ask = ev.data["ask"]
    lot.changed_seq = seq
    auction.sale.current = lot.id
    auction.sale.rounds += 1


@applies("bid_accepted")
def _bid_accepted(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    bid = Bid.from_json(ev.data["bid"])
    lot.bids.append(bid)
    lot.high_id = bid.id
    lot.status = OPEN
    lot.ask = bid.amount + auction.increment(lot, bid.amount)
    lot.changed_seq = seq
    lot.pending.pop(ev.data.get("pending") or "", None)
    if ev.data.get("late"):
        lot.late.pop(ev.data["late"], None)


@applies("bid_refused")
def _bid_refused(auction: Auction, ev: Event, seq: int) -> None:
    pass  # the record is the journal row itself


@applies("online_bid_pending")
def _online_bid_pending(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    lot.serial += 1
    pending = ev.data["pending"]
    lot.pending[pending["id"]] = pending


@applies("online_bid_rejected")
def _online_bid_rejected(auction: Auction, ev: Event, seq: int) -> None:
    _lot_of(auction, ev).pending.pop(ev.data["pending"], None)


@applies("late_bid")
def _late_bid(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    lot.serial += 1
    late = ev.data["late"]
    lot.late[late["id"]] = late


@applies("late_bid_dismissed")
def _late_bid_dismissed(auction: Auction, ev: Event, seq: int) -> None:
    _lot_of(auction, ev).late.pop(ev.data["late"], None)


@applies("set_to_floor")
def _set_to_floor(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    displaced = lot.bid(ev.data["displaced"]["id"])
    assert displaced is not None
    displaced.void = "displaced"
    bid = Bid.from_json(ev.data["bid"])
    lot.bids.append(bid)
    lot.high_id = bid.id
    lot.changed_seq = seq


# -- corrections, ask and increment


@applies("bid_retracted")
def _bid_retracted(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    bid = lot.bid(ev.data["bid"]["id"])
    assert bid is not None
    bid.void = "retracted"
    lot.high_id = None
    lot.ask = bid.amount  # the floor may take the retracted amount again
    lot.changed_seq = seq


@applies("bid_reinstated")
def _bid_reinstated(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    lot.high_id = ev.data["bid"]["id"]
    amount = ev.data["bid"]["amount"]
    lot.ask = amount + auction.increment(lot, amount)
    lot.changed_seq = seq


@applies("ask_set")
def _ask_set(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    lot.ask = ev.data["ask"]
    lot.changed_seq = seq


@applies("increment_set")
def _increment_set(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    lot.increment_override = ev.data["increment"]
    if lot.high is not None:
        lot.ask = lot.high.amount + auction.increment(lot, lot.high.amount)
    lot.changed_seq = seq


# -- the lot's close and reopening


@applies("fair_warning")
def _fair_warning(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    lot.status = FAIR_WARNING
    lot.changed_seq = seq


def _close(auction: Auction, lot: Lot, status: str, hammer: JSON, seq: int) -> None:
    lot.status = status
    lot.hammer = hammer
    lot.closed_at = hammer["at"]
    lot.closed_round = auction.sale.rounds
    lot.changed_seq = seq
    lot.pending = {}


@applies("lot_sold")
def _lot_sold(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    hammer = dict(ev.data["hammer"], seq=seq)  # invoice lines cite the hammer's seq
    _close(auction, lot, SOLD, hammer, seq)
    if hammer.get("paddle") in auction.bidders:
        _touch_bidder(auction, hammer["paddle"]).won += hammer["amount"]


@applies("lot_passed")
def _lot_passed(auction: Auction, ev: Event, seq: int) -> None:
    _close(auction, _lot_of(auction, ev), PASSED, ev.data["hammer"], seq)


@applies("lot_withdrawn")
def _lot_withdrawn(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    lot.status = WITHDRAWN
    lot.pending = {}
    lot.changed_seq = seq


@applies("lot_reopened")
def _lot_reopened(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    if lot.status == SOLD and lot.hammer and lot.hammer.get("paddle") in auction.bidders:
        _touch_bidder(auction, lot.hammer["paddle"]).won -= lot.hammer["amount"]
    lot.status = OPEN
    lot.hammer = None
    lot.closed_at = None
    lot.late = {}  # reopening answers every late bid on the lot
    lot.changed_seq = seq
    auction.sale.current = lot.id


# -- the sale


@applies("sale_paused")
def _sale_paused(auction: Auction, ev: Event, seq: int) -> None:
    auction.sale.paused = True
    auction.sale.message = ev.data["message"]


@applies("sale_resumed")
def _sale_resumed(auction: Auction, ev: Event, seq: int) -> None:
    auction.sale.paused = False
    auction.sale.message = ""


@applies("sale_live")
def _sale_live(auction: Auction, ev: Event, seq: int) -> None:
    auction.sale.status = SALE_LIVE


@applies("sale_closed")
def _sale_closed(auction: Auction, ev: Event, seq: int) -> None:
    auction.sale.status = SALE_CLOSED
    auction.sale.closed_at = ev.data["at"]


@applies("session_ended")
def _session_ended(auction: Auction, ev: Event, seq: int) -> None:
    d, sale = ev.data, auction.sale
    sale.session = d["session"]
    sale.paused = True
    sale.message = d["message"]
    sale.pause_break = {"message": d["message"], "next_start": d["next_start"]}


@applies("session_started")
def _session_started(auction: Auction, ev: Event, seq: int) -> None:
    sale = auction.sale
    sale.session = ev.data["session"]
    sale.paused = False
    sale.message = ""
    sale.pause_break = None


@applies("message_sent")
def _message_sent(auction: Auction, ev: Event, seq: int) -> None:
    auction.sale.messages += 1


@applies("subject_to_resolved")
def _subject_to_resolved(auction: Auction, ev: Event, seq: int) -> None:
    lot = _lot_of(auction, ev)
    hammer = dict(lot.hammer or {}, subject_to=False)
    if not ev.data["accept"]:
        lot.status = PASSED
        hammer["reason"] = "vendor_declined"
        if hammer.get("paddle") in auction.bidders:
            _touch_bidder(auction, hammer["paddle"]).won -= hammer["amount"]
    lot.hammer = hammer
    lot.changed_seq = seq


@applies("phone_booked")
def _phone_booked(auction: Auction, ev: Event, seq: int) -> None:
    auction.sale.phone_serial += 1
    auction.sale.phones[ev.data["id"]] = dict(ev.data)


@applies("phone_cancelled")
def _phone_cancelled(auction: Auction, ev: Event, seq: int) -> None:
    auction.sale.phones.pop(ev.data["id"], None)


# -- money after the hammer


def _money(auction: Auction, *keys: str) -> Money:
    """The sale's money, marking the parts `keys` name as changed (see views.money_keys):
    each document, payment and lot is its own projection row, so a commit rewrites only what
    it changed, never the whole money of the sale."""
    auction.dirty.update(f"money/{key}" for key in keys)
    return auction.money


def _money_lot(lot: str) -> str:
    return f"lot/{lot}"


@applies("invoice_issued")
def _invoice_issued(auction: Auction, ev: Event, seq: int) -> None:
    d = ev.data
    money = _money(auction, f"invoice/{d['number']}", *map(_money_lot, d["lots"]))
    money.invoices[d["number"]] = dict(d, seq=seq)
    for lot in d["lots"]:
        money.invoiced[lot] = d["number"]


@applies("credit_note_issued")
def _credit_note_issued(auction: Auction, ev: Event, seq: int) -> None:
    d = ev.data
    money = _money(auction, f"credit_note/{d['number']}", *map(_money_lot, d["lots"]))
    money.credit_notes[d["number"]] = dict(d, seq=seq)
    for lot in d["lots"]:
        if money.invoiced.get(lot) == d["invoice"]:
            del money.invoiced[lot]


@applies("lot_sale_cancelled")
def _lot_sale_cancelled(auction: Auction, ev: Event, seq: int) -> None:
    """The sale undone after the hammer: the lot is passed, the buyer no longer owns it."""
    lot = _lot_of(auction, ev)
    hammer = dict(lot.hammer or {}, reason="sale_cancelled")
    if hammer.get("paddle") in auction.bidders:
        _touch_bidder(auction, hammer["paddle"]).won -= hammer["amount"]
    lot.status = PASSED
    lot.hammer = hammer
    lot.changed_seq = seq
    if lot.id in auction.money.released:
        del _money(auction, _money_lot(lot.id)).released[lot.id]


@applies("lot_reknocked")
def _lot_reknocked(auction: Auction, ev: Event, seq: int) -> None:
    lot, d = _lot_of(auction, ev), ev.data
    old = lot.hammer or {}
    if old.get("paddle") in auction.bidders:
        _touch_bidder(auction, old["paddle"]).won -= old["amount"]
    lot.hammer = dict(
        old, paddle=d["paddle"], amount=d["amount"], channel=d["channel"], seq=seq, reknocked=True
    )
    if d["paddle"] in auction.bidders:
        _touch_bidder(auction, d["paddle"]).won += d["amount"]
    lot.changed_seq = seq
    if auction.money.released.get(lot.id) not in (None, d["paddle"]):
        # the new buyer's collection is decided anew
        del _money(auction, _money_lot(lot.id)).released[lot.id]


@applies("payment_recorded")
def _payment_recorded(auction: Auction, ev: Event, seq: int) -> None:
    money = auction.money
    _money(auction, f"payment/{len(money.payments) + 1}").payments.append(dict(ev.data, seq=seq))


@applies("refund_recorded")
def _refund_recorded(auction: Auction, ev: Event, seq: int) -> None:
    money = auction.money
    _money(auction, f"refund/{len(money.refunds) + 1}").refunds.append(dict(ev.data, seq=seq))


@applies("payout_recorded")
def _payout_recorded(auction: Auction, ev: Event, seq: int) -> None:
    money = auction.money
    _money(auction, f"payout/{len(money.payouts) + 1}").payouts.append(dict(ev.data, seq=seq))


@applies("lots_released")
def _lots_released(auction: Auction, ev: Event, seq: int) -> None:
    released = _money(auction, *map(_money_lot, ev.data["lots"])).released
    for lot in ev.data["lots"]:
        released[lot] = ev.data["paddle"]


@applies("consignor_terms_set")
def _consignor_terms_set(auction: Auction, ev: Event, seq: int) -> None:
    consignor = ev.data["consignor"]
    _money(auction, f"terms/{consignor}").terms[consignor] = dict(ev.data["terms"])


# -- people and the law (issue 13): no personal data, only steps, holds and markers


@applies("cdd_recorded")
def _cdd_recorded(auction: Auction, ev: Event, seq: int) -> None:
    d = ev.data
    _touch_bidder(auction, d["paddle"]).cdd[d["step"]] = d["outcome"]


@applies("bidder_held")
def _bidder_held(auction: Auction, ev: Event, seq: int) -> None:
    d = ev.data
    hold = {"reason": d["reason"], "reference": d["reference"], "by": d["by"], "at": d["at"]}
    _touch_bidder(auction, d["paddle"]).hold = hold


@applies("hold_cleared")
def _hold_cleared(auction: Auction, ev: Event, seq: int) -> None:
    _touch_bidder(auction, ev.data["paddle"]).hold = None


@applies("hold_confirmed")
def _hold_confirmed(auction: Auction, ev: Event, seq: int) -> None:
    bidder = _touch_bidder(auction, ev.data["paddle"])
    bidder.hold = None
    bidder.status = "rejected"


@applies("linked_purchases_set")
def _linked_purchases_set(auction: Auction, ev: Event, seq: int) -> None:
    bidder = _touch_bidder(auction, ev.data["paddle"])
    bidder.linked = int(ev.data["amount"])
    bidder.linked_sales = [str(x) for x in ev.data["sales"]]


@applies("aml_alert")
def _aml_alert(auction: Auction, ev: Event, seq: int) -> None:
    bidder = _touch_bidder(auction, ev.data["paddle"])
    if ev.lot is not None and ev.lot not in bidder.aml_alerted:
        bidder.aml_alerted.append(ev.lot)


@applies("identity_erased")
def _identity_erased(auction: Auction, ev: Event, seq: int) -> None:
    _touch_bidder(auction, ev.data["paddle"]).erased = True


@applies("suspicion_noted")
def _suspicion_noted(auction: Auction, ev: Event, seq: int) -> None:
    pass  # the record is the journal row; the note itself is in the officer's store


def _check_table() -> None:
    declared, handled = declared_events(), set(APPLIERS)
    if handled != declared:
        raise RuntimeError(
            f"events without a handler: {sorted(declared - handled)}; "
            f"handlers of undeclared events: {sorted(handled - declared)}"
        )


_check_table()
