"""People and the law in the core (issue 13): CDD steps, holds, the live AML rule, markers.

No personal data is decided or journaled here: the identities store (hub/backend) keeps names,
documents and notes; the journal keeps that a step was done, by whom, with which outcome and an
opaque reference. `aml_check` is the live rule the bid path calls; with `aml_threshold` null
(the default) it returns at once.
"""

from __future__ import annotations

from hub.auction import parse as P
from hub.auction import reasons as R
from hub.auction.accounts import buyer_of, sold_charges
from hub.auction.charges import buyer_cost
from hub.auction.decide.base import decides, find_bidder
from hub.auction.events import STAFF, Actor, Decision, Event
from hub.auction.state import Auction, Bidder, Lot

JSON = dict[str, object]

REFUSE_MESSAGE = "identity checks must be completed before bidding above {threshold}"


def cdd_complete(bidder: Bidder) -> bool:
    """Has this bidder completed due diligence? ID seen, address verified, screened clear,
    risk rated (high risk also needs source of funds), and for a company its beneficial owner."""
    cdd = bidder.cdd
    if cdd.get("id_seen") != "ok" or cdd.get("address_verified") != "ok":
        return False
    if cdd.get("screened") != "clear" or bidder.hold is not None:
        return False
    risk = cdd.get("risk_rated")
    if risk is None or (risk == "high" and cdd.get("source_of_funds") != "ok"):
        return False
    return not bidder.legal_person or cdd.get("beneficial_owner") == "ok"


def purchases(auction: Auction, paddle: str) -> int:
    """This sale's purchases on the AML basis: the hammers, or all the buyer pays."""
    if auction.sale.settings.aml_basis == "hammer":
        return auction.bidders[paddle].won
    return sum(
        sold_charges(auction, lot).total for lot in auction.lots.values() if buyer_of(lot) == paddle
    )


def exposure(
    auction: Auction,
    bidder: Bidder,
    lot: Lot | None = None,
    amount: int = 0,
    channel: str = "floor",
) -> int:
    """Linked purchases elsewhere + this sale's purchases (+ winning `lot` at `amount`)."""
    total = bidder.linked + purchases(auction, bidder.paddle)
    if lot is not None:
        settings = auction.sale.settings
        total += (
            amount if settings.aml_basis == "hammer" else buyer_cost(settings, lot, amount, channel)
        )
    return total


def over_threshold_without_cdd(auction: Auction, bidder: Bidder) -> bool:
    """A buyer at or over the threshold without complete CDD (invoice and release wait)."""
    threshold = auction.sale.settings.aml_threshold
    if threshold is None:
        return False
    return exposure(auction, bidder) >= threshold and not cdd_complete(bidder)


def money(auction: Auction, amount: int) -> str:
    """An amount in the sale's currency for a message: "€10,000.00" (two decimals)."""
    currency = auction.sale.settings.currency
    sign = {"EUR": "€", "GBP": "£", "USD": "$"}.get(currency, currency + " ")
    return f"{sign}{amount // 100:,}.{amount % 100:02d}"


def aml_check(
    auction: Auction, lot: Lot, paddle: str | None, channel: str, amount: int
) -> tuple[str, Event | None]:
    """The live rule for one checked bid: ("ok" | "alert" | "hold" | "refuse", its alert).

    "ok": nothing to do. Otherwise the bid would take exposure to the threshold or over it
    without complete CDD; the alert event is raised once per paddle per lot (None after)."""
    threshold = auction.sale.settings.aml_threshold
    if threshold is None or paddle is None or channel == "house":
        return "ok", None
    bidder = auction.bidders[paddle]
    if cdd_complete(bidder):
        return "ok", None
    total = exposure(auction, bidder, lot, amount, channel)
    if total < threshold:
        return "ok", None
    action = auction.sale.settings.aml_action
    alert = None
    if lot.id not in bidder.aml_alerted:
        data = {
            "paddle": paddle,
            "amount": amount,
            "exposure": total,
            "threshold": threshold,
            "linked": bidder.linked,
            "action": action,
            "channel": channel,
            "missing": missing_steps(bidder),
        }
        alert = Event("aml_alert", lot.id, data, STAFF)
    return action, alert


def missing_steps(bidder: Bidder) -> list[str]:
    """The CDD steps still wanting, for the alert (what the desk must do)."""
    cdd, out = bidder.cdd, []
    for step, good in (("id_seen", "ok"), ("address_verified", "ok"), ("screened", "clear")):
        if cdd.get(step) != good:
            out.append(step)
    if "risk_rated" not in cdd:
        out.append("risk_rated")
    elif cdd["risk_rated"] == "high" and cdd.get("source_of_funds") != "ok":
        out.append("source_of_funds")
    if bidder.legal_person and cdd.get("beneficial_owner") != "ok":
        out.append("beneficial_owner")
    if bidder.hold is not None:
        out.append("hold")
    return out


def _by(actor: Actor) -> JSON:
    return {"by": actor.name or actor.role, "role": actor.role}


@decides(P.RecordCdd)
def record_cdd(auction: Auction, cmd: P.RecordCdd, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    if cmd.outcome not in P.CDD_STEP_OUTCOMES[cmd.step]:
        allowed = ", ".join(P.CDD_STEP_OUTCOMES[cmd.step])
        return Decision.refuse(R.INVALID, f"the outcome of {cmd.step} is one of {allowed}")
    data = {
        "paddle": bidder.paddle,
        "step": cmd.step,
        "outcome": cmd.outcome,
        "reference": cmd.reference,
        "at": now,
        **_by(actor),
    }
    return Decision.accept(Event("cdd_recorded", None, data, STAFF))


@decides(P.HoldBidder)
def hold_bidder(auction: Auction, cmd: P.HoldBidder, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    data = {
        "paddle": bidder.paddle,
        "reason": cmd.reason,
        "reference": cmd.reference,
        "at": now,
        **_by(actor),
    }
    return Decision.accept(Event("bidder_held", None, data, STAFF))


@decides(P.ReviewHold)
def review_hold(auction: Auction, cmd: P.ReviewHold, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    if bidder.hold is None:
        return Decision.refuse(R.NOT_ON_HOLD, f"paddle {bidder.paddle} is not on hold")
    kind = "hold_cleared" if cmd.decision == "clear" else "hold_confirmed"
    data = {"paddle": bidder.paddle, "reason": cmd.reason, "at": now, **_by(actor)}
    return Decision.accept(Event(kind, None, data, STAFF))


@decides(P.SetLinkedPurchases)
def set_linked_purchases(
    auction: Auction, cmd: P.SetLinkedPurchases, actor: Actor, now: float
) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    if auction.sale.id in cmd.sales:
        return Decision.refuse(R.INVALID, "linked purchases are in other sales, not this one")
    data = {"paddle": bidder.paddle, "amount": cmd.amount, "sales": list(cmd.sales), "at": now}
    return Decision.accept(Event("linked_purchases_set", None, data, STAFF))


@decides(P.EraseIdentity)
def erase_identity(auction: Auction, cmd: P.EraseIdentity, actor: Actor, now: float) -> Decision:
    bidder = find_bidder(auction, cmd.paddle)
    if bidder.erased:
        return Decision.refuse(R.ERASED, f"paddle {bidder.paddle}'s identity is erased already")
    data = {"paddle": bidder.paddle, "reason": cmd.reason, "at": now, **_by(actor)}
    return Decision.accept(Event("identity_erased", None, data, STAFF))


@decides(P.NoteSuspicion)
def note_suspicion(auction: Auction, cmd: P.NoteSuspicion, actor: Actor, now: float) -> Decision:
    find_bidder(auction, cmd.paddle)
    # Only the reference: which paddle, and why, is in the officer's store (P4), so the
    # journal (and any export of it) says only that a note was made, by whom, when.
    data = {"reference": cmd.reference}
    return Decision.accept(Event("suspicion_noted", None, data, STAFF))
