"""Deciding the money after the hammer: invoices, credit notes, corrections, payments,
releases for collection, consignors' terms and payouts (docs/MONEY.md).

Invoice and credit-note numbers come in the command (the backend allocates them house-wide);
the core checks their form (parse), that this sale has not used them, and that they follow
this sale's last number of the same series and year. Invoice lines are computed here, once,
with `charges.lot_charges`, and journaled: an issued invoice never changes, a correction is a
credit note. Every event carries who (`by`) and when (`at`).
"""

from __future__ import annotations

from typing import Any

from hub.auction import parse as P
from hub.auction import reasons as R
from hub.auction.accounts import (
    balance,
    in_session,
    live_invoiced_lots,
    releasable,
    sold_charges,
    totals_of,
    uninvoiced_lots,
)
from hub.auction.decide import compliance
from hub.auction.decide.base import Refusal, decides, find_bidder, find_lot
from hub.auction.events import PUBLIC, STAFF, Actor, Decision, Event
from hub.auction.state import SOLD, Auction, Lot, Money

JSON = dict[str, Any]


def _by(actor: Actor, given: str = "") -> str:
    """Who did it: the system passes the staff member in `by`; people are named by token."""
    if actor.role == "system":
        return given or "system"
    return actor.name or actor.role


def _check_number(money: Money, number: str, pattern: Any) -> None:
    """Refuse a number this sale has used, or one not after its last of that series and year."""
    if number in money.invoices or number in money.credit_notes:
        raise Refusal(R.INVALID, f"number {number} is used already in this sale")
    match = pattern.fullmatch(number)
    year, serial = match.group(1), int(match.group(2))
    used = [*money.invoices, *money.credit_notes]
    last = max(
        (int(m.group(2)) for n in used if (m := pattern.fullmatch(n)) and m.group(1) == year),
        default=0,
    )
    if serial <= last:
        raise Refusal(R.INVALID, f"number {number} does not follow this sale's last ({last:05d})")


def _payment_id(auction: Auction) -> str:
    """The id of a payment, refund or payout: its event's seq (the decision's first event)."""
    return f"PAY-{auction.seq + 1}"


# -- invoices and credit notes


def _cdd_incomplete(paddle: str, what: str) -> Decision:
    """The AML rule after the hammer: a buyer at the threshold waits for complete CDD."""
    return Decision.refuse(
        R.CDD_INCOMPLETE,
        f"paddle {paddle} has reached the anti-money-laundering threshold: their identity "
        f"checks must be complete before their lots are {what}",
    )


@decides(P.IssueInvoice)
def issue_invoice(auction: Auction, cmd: P.IssueInvoice, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    if compliance.over_threshold_without_cdd(auction, bidder):
        return _cdd_incomplete(bidder.paddle, "invoiced")
    _check_number(auction.money, cmd.number, P.INVOICE_NUMBER)
    lots = uninvoiced_lots(auction, bidder.paddle)
    if cmd.session is not None:
        sessions = auction.sale.sessions
        if cmd.session >= max(1, len(sessions)):
            return Decision.refuse(R.INVALID, f"the sale has no session {cmd.session}")
        lots = [lot for lot in lots if in_session(auction, lot, cmd.session)]
    if not lots:
        return Decision.refuse(
            R.NOTHING_TO_INVOICE, f"paddle {bidder.paddle} has no sold lot to invoice"
        )
    lines: list[JSON] = []
    margin: dict[str, int] = {}
    for lot in lots:
        charges = sold_charges(auction, lot)
        margin[lot.id] = charges.margin_vat
        lines.extend(
            {
                "lot": lot.id,
                "hammer_seq": charges.hammer_seq,
                "kind": c.kind,
                "label": c.label,
                "amount": c.amount,
                "rate_bp": c.rate_bp,
                "vat_scheme": charges.scheme,
            }
            for c in charges.lines
        )
    data = {
        "number": cmd.number,
        "paddle": bidder.paddle,
        "lots": [lot.id for lot in lots],
        "lines": lines,
        "totals": totals_of(lines, sum(margin.values())),
        "margin_vat_by_lot": margin,  # so a credit note reverses exactly what was charged
        "currency": auction.sale.settings.currency,
        "session": cmd.session,
        "by": _by(actor, cmd.by),
        "at": now,
    }
    return Decision.accept(Event("invoice_issued", None, data, STAFF, (bidder.paddle,)))


@decides(P.IssueCreditNote)
def issue_credit_note(
    auction: Auction, cmd: P.IssueCreditNote, actor: Actor, now: float
) -> Decision:
    money = auction.money
    invoice = money.invoices.get(cmd.invoice)
    if invoice is None:
        return Decision.refuse(R.UNKNOWN_INVOICE, f"there is no invoice {cmd.invoice}")
    _check_number(money, cmd.number, P.CREDIT_NOTE_NUMBER)
    live = [lot for lot in invoice["lots"] if money.invoiced.get(lot) == cmd.invoice]
    lots = list(cmd.lots) or live
    for lot in lots:
        if lot not in live:
            return Decision.refuse(
                R.NOT_INVOICED, f"lot {lot} is not on invoice {cmd.invoice} (or credited already)"
            )
    if not lots:
        return Decision.refuse(R.NOT_INVOICED, f"invoice {cmd.invoice} is credited in full")
    chosen = set(lots)
    lines = [
        dict(line, amount=-int(line["amount"]))
        for line in invoice["lines"]
        if line["lot"] in chosen
    ]
    by_lot = invoice.get("margin_vat_by_lot", {})
    margin = -sum(int(by_lot.get(lot, 0)) for lot in lots)
    data = {
        "number": cmd.number,
        "invoice": cmd.invoice,
        "paddle": invoice["paddle"],
        "lots": [lot for lot in invoice["lots"] if lot in chosen],
        "lines": lines,
        "totals": totals_of(lines, margin),
        "currency": invoice["currency"],
        "reason": cmd.reason,
        "by": _by(actor, cmd.by),
        "at": now,
    }
    return Decision.accept(Event("credit_note_issued", None, data, STAFF, (invoice["paddle"],)))


# -- corrections after the hammer


def _sold_not_invoiced(auction: Auction, lot_id: str) -> Lot:
    lot = find_lot(auction, lot_id)
    if lot.status != SOLD:
        raise Refusal(R.NOT_SOLD, f"lot {lot.id} is {lot.status}, not sold")
    number = auction.money.invoiced.get(lot.id)
    if number is not None:
        raise Refusal(R.INVOICED, f"lot {lot.id} is on invoice {number}: credit it first")
    return lot


@decides(P.CancelLotSale)
def cancel_lot_sale(auction: Auction, cmd: P.CancelLotSale, actor: Actor, now: float) -> Decision:
    lot = _sold_not_invoiced(auction, cmd.lot)
    hammer = lot.hammer or {}
    data = {"reason": cmd.reason, "hammer": hammer, "by": _by(actor), "at": now}
    to = (hammer["paddle"],) if hammer.get("paddle") else ()
    return Decision.accept(Event("lot_sale_cancelled", lot.id, data, PUBLIC, to))


@decides(P.Reknock)
def reknock(auction: Auction, cmd: P.Reknock, actor: Actor, now: float) -> Decision:
    lot = _sold_not_invoiced(auction, cmd.lot)
    bidder = find_bidder(auction, cmd.paddle)
    previous = lot.hammer or {}
    if previous.get("paddle") == bidder.paddle and previous.get("amount") == cmd.amount:
        return Decision.refuse(R.INVALID, "the lot is knocked down to that buyer at that price")
    if previous.get("paddle") == bidder.paddle:
        channel = previous.get("channel") or "floor"
    else:  # the channel the buyer registered for decides a channel surcharge
        channel = bidder.channel
    data = {
        "paddle": bidder.paddle,
        "amount": cmd.amount,
        "channel": channel,
        "previous": previous,
        "reason": cmd.reason,
        "by": _by(actor),
        "at": now,
    }
    to = tuple(dict.fromkeys(p for p in (previous.get("paddle"), bidder.paddle) if p))
    return Decision.accept(Event("lot_reknocked", lot.id, data, PUBLIC, to))


# -- payments and releases


@decides(P.RecordPayment)
def record_payment(auction: Auction, cmd: P.RecordPayment, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    if cmd.payer and cmd.payer_ref:
        return Decision.refuse(
            R.INVALID, "a third party is named by 'payer_ref' alone, not also 'payer'"
        )
    third_party = bool(cmd.payer or cmd.payer_ref)
    if third_party and not cmd.third_party_reason:
        return Decision.refuse(
            R.THIRD_PARTY, "a payment by someone other than the buyer needs a staff reason"
        )
    data: JSON = {
        "id": _payment_id(auction),
        "paddle": bidder.paddle,
        "amount": cmd.amount,
        "method": cmd.method,
        "reference": cmd.reference,
        "payer": cmd.payer,
        "third_party_reason": cmd.third_party_reason if third_party else "",
        "by": _by(actor),
        "at": now,
    }
    if cmd.payer_ref:
        # Issue 13: only that a third party paid and an opaque reference; the name is kept in
        # the identities store, where it can be erased (the journal cannot be).
        data["payer_ref"] = cmd.payer_ref
        data["third_party"] = True
    return Decision.accept(Event("payment_recorded", None, data, STAFF, (bidder.paddle,)))


@decides(P.RecordRefund)
def record_refund(auction: Auction, cmd: P.RecordRefund, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    _, paid, _ = balance(auction, bidder.paddle)
    if cmd.amount > paid:
        return Decision.refuse(
            R.TOO_MUCH, f"paddle {bidder.paddle} has paid {paid}: a refund cannot exceed it"
        )
    data = {
        "id": _payment_id(auction),
        "paddle": bidder.paddle,
        "amount": cmd.amount,
        "method": cmd.method,
        "reference": cmd.reference,
        "reason": cmd.reason,
        "by": _by(actor),
        "at": now,
    }
    return Decision.accept(Event("refund_recorded", None, data, STAFF, (bidder.paddle,)))


@decides(P.ReleaseLots)
def release_lots(auction: Auction, cmd: P.ReleaseLots, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    if compliance.over_threshold_without_cdd(auction, bidder):
        return _cdd_incomplete(bidder.paddle, "released")
    live = set(live_invoiced_lots(auction, bidder.paddle))
    released = auction.money.released
    for lot in cmd.lots:
        if lot not in live:
            return Decision.refuse(
                R.NOT_INVOICED, f"lot {lot} is on no live invoice of paddle {bidder.paddle}"
            )
        if lot in released:
            return Decision.refuse(R.ALREADY_RELEASED, f"lot {lot} has been released already")
    lots = list(cmd.lots) or releasable(auction, bidder.paddle)
    if not lots:
        return Decision.refuse(R.NOT_INVOICED, "no invoiced lot is waiting to be released")
    _, _, owed = balance(auction, bidder.paddle)
    if owed > 0 and not cmd.override_reason:
        return Decision.refuse(
            R.UNPAID, f"paddle {bidder.paddle} owes {owed}: release needs an override reason"
        )
    data = {
        "paddle": bidder.paddle,
        "lots": lots,
        "owed": owed,
        "override_reason": cmd.override_reason if owed > 0 else "",
        "by": _by(actor),
        "at": now,
    }
    return Decision.accept(Event("lots_released", None, data, STAFF, (bidder.paddle,)))


# -- consignors


@decides(P.SetConsignorTerms)
def set_consignor_terms(
    auction: Auction, cmd: P.SetConsignorTerms, actor: Actor, now: float
) -> Decision:
    terms = {
        "commission": [list(b) for b in cmd.commission],
        "vat_on_commission": cmd.vat_on_commission,
        "charges": [list(c) for c in cmd.charges],
        "lot_fee": cmd.lot_fee,
        "unsold_fee": cmd.unsold_fee,
        "payout_days": cmd.payout_days,
        "absolute": cmd.absolute,
    }
    data = {"consignor": cmd.consignor, "terms": terms, "by": _by(actor), "at": now}
    return Decision.accept(Event("consignor_terms_set", None, data, STAFF))


@decides(P.RecordPayout)
def record_payout(auction: Auction, cmd: P.RecordPayout, actor: Actor, now: float) -> Decision:
    known = cmd.consignor in auction.money.terms or any(
        lot.consignor == cmd.consignor for lot in auction.lots.values()
    )
    if not known:
        return Decision.refuse(
            R.UNKNOWN_CONSIGNOR, f"no lot and no terms name consignor {cmd.consignor}"
        )
    data = {
        "id": _payment_id(auction),
        "consignor": cmd.consignor,
        "amount": cmd.amount,
        "method": cmd.method,
        "reference": cmd.reference,
        "by": _by(actor),
        "at": now,
    }
    return Decision.accept(Event("payout_recorded", None, data, STAFF))
