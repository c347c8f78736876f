"""Views: what each audience sees of the state, and the stored projections. Read only.

The public lot never shows the reserve or commission maxima; the staff lot adds them. Every
journaled event carries the view of its lot rendered right after it was applied (`view`).
"""

from __future__ import annotations

from typing import Any

from hub.auction import accounts
from hub.auction.events import STAFF, Event
from hub.auction.state import PENDING, Auction

JSON = dict[str, Any]

STAFF_HISTORY = 30  # most recent bids shown in a lot's staff view


def public_lot(auction: Auction, lot_id: str | None) -> JSON | None:
    """What everyone may see of a lot: never the reserve or commission maxima."""
    lot = auction.lots.get(lot_id or "")
    if lot is None:
        return None
    high = lot.high
    return {
        "id": lot.id,
        "order": lot.order,
        "title": lot.title,
        "description": lot.description,
        "estimate": {"low": lot.low, "high": lot.high_estimate},
        "start": lot.start,
        "images": list(lot.images),
        "quantity": lot.quantity,
        "vat": lot.vat,
        "arr": lot.arr,
        "premium": None if lot.premium is None else [list(b) for b in lot.premium],
        "category": lot.category,
        "condition": lot.condition,
        "notices": list(lot.notices),
        "status": lot.status,
        "ask": lot.ask,
        "increment": auction.increment(lot, high.amount if high else lot.ask),
        "high": high.public() if high else None,
        "bids": sum(1 for b in lot.bids if b.void is None),
        "hammer": lot.hammer,
        "currency": auction.sale.settings.currency,
        "changed_seq": lot.changed_seq,
    }


def staff_lot(auction: Auction, lot_id: str | None) -> JSON | None:
    """The public lot plus what only staff see: reserve, books, pending and late bids."""
    view = public_lot(auction, lot_id)
    if view is None:
        return None
    lot = auction.lots[str(lot_id)]
    high = lot.high
    view.update(
        reserve=lot.reserve,
        consignor=lot.consignor,
        reserve_met=lot.reserve is None or (high is not None and high.amount >= lot.reserve),
        books=[b.to_json() for b in sorted(lot.books, key=lambda b: (-b.max, b.order))],
        pending=[lot.pending[k] for k in sorted(lot.pending)],
        late=[lot.late[k] for k in sorted(lot.late)],
        # Bounded: every journaled staff view carries it, so a long lot must not make
        # each event grow with it. The full history is in the projection.
        history=[b.to_json() for b in lot.bids[-STAFF_HISTORY:]],
        history_total=len(lot.bids),
    )
    return view


def sale_view(auction: Auction) -> JSON:
    s = auction.sale
    return {
        "id": s.id,
        "title": s.title,
        "currency": s.settings.currency,
        "paused": s.paused,
        "message": s.message,
        "current": s.current,
        "tie_policy": s.settings.tie_policy,
        "confirm_online": s.settings.confirm_online,
        "status": s.status,
        "house": s.house,
        "timezone": s.timezone,
        "session": s.session,
        "sessions": [dict(x) for x in s.sessions],
        "break": dict(s.pause_break) if s.pause_break is not None else None,
        "rules": s.settings.rules(),
        "head": None,  # the journal's head hash once sealed: the stage fills it in
    }


def lot_summaries(auction: Auction) -> list[JSON]:
    return [
        {
            "id": lot.id,
            "order": lot.order,
            "title": lot.title,
            "status": lot.status,
            "estimate": {"low": lot.low, "high": lot.high_estimate},
            "images": lot.images[:1],
            "hammer": lot.hammer["amount"] if lot.hammer and "amount" in lot.hammer else None,
        }
        for lot in sorted(auction.lots.values(), key=lambda x: x.order)
    ]


def snapshot(auction: Auction, staff: bool = False) -> JSON:
    """Everything a client needs to render from scratch, as of `seq`."""
    lot = staff_lot if staff else public_lot
    snap = {
        "seq": auction.seq,
        "sale": sale_view(auction),
        "lot": lot(auction, auction.sale.current),
        "lots": lot_summaries(auction),
    }
    if staff:
        snap["phones"] = [dict(p) for p in auction.sale.phones.values()]
    return snap


def bidder_view(auction: Auction, paddle: str) -> JSON | None:
    """A bidder's private snapshot: their registration and, after the hammer, their account
    (invoice numbers and totals, due, paid, owed: numbers only, no personal data)."""
    bidder = auction.bidders.get(paddle)
    if bidder is None:
        return None
    return {**bidder.private_json(), "account": accounts.account(auction, paddle)}


def next_lot(auction: Auction) -> str | None:
    """The first lot still waiting, in catalogue order."""
    waiting = [lot for lot in auction.lots.values() if lot.status == PENDING]
    return min(waiting, key=lambda x: x.order).id if waiting else None


# Events about one lot that also change what the sale view shows.
_SALE_EVENTS = frozenset({"sale_paused", "sale_resumed", "settings_changed"})


def view(auction: Auction, event: Event, audience: str) -> JSON:
    """The body a topic carries for `event`, rendered after it was applied."""
    lot = staff_lot if audience == STAFF else public_lot
    body: JSON = {"type": event.type, "lot": lot(auction, event.lot), "data": event.data}
    if event.lot is None or event.type in _SALE_EVENTS:
        body["sale"] = sale_view(auction)
    return body


# -- projections


def projection(auction: Auction, key: str) -> JSON | None:
    """The stored form of one part of the state; journal rows keep these up to date."""
    kind, _, name = key.partition("/")
    if kind == "sale":
        return auction.sale.to_json()
    if kind == "lot":
        lot = auction.lots.get(name)
        return lot.to_json() if lot else None
    if kind == "bidder":
        bidder = auction.bidders.get(name)
        return bidder.to_json() if bidder else None
    if kind == "money":
        return money_part(auction, name)
    raise KeyError(key)


def money_part(auction: Auction, name: str) -> JSON | None:
    """One row of the money: a document, a payment, a lot's invoice and release, a consignor's
    terms. One row each, so a commit writes only what it changed."""
    money = auction.money
    part, _, ident = name.partition("/")
    if part == "invoice":
        return money.invoices.get(ident)
    if part == "credit_note":
        return money.credit_notes.get(ident)
    if part in ("payment", "refund", "payout"):
        rows = {"payment": money.payments, "refund": money.refunds, "payout": money.payouts}[part]
        index = int(ident) - 1 if ident.isdigit() else -1
        return rows[index] if 0 <= index < len(rows) else None
    if part == "lot":
        return {"invoiced": money.invoiced.get(ident), "released": money.released.get(ident)}
    if part == "terms":
        return money.terms.get(ident)
    raise KeyError(f"money/{name}")


def money_keys(auction: Auction) -> list[str]:
    """The money's projection keys (none before anything is invoiced, paid or agreed)."""
    money = auction.money
    # Every lot ever invoiced keeps its row (credited: invoiced null), so no row is orphaned.
    ever = {lot for invoice in money.invoices.values() for lot in invoice["lots"]}
    lots = sorted(ever | set(money.released))
    return [
        *(f"money/invoice/{n}" for n in money.invoices),
        *(f"money/credit_note/{n}" for n in money.credit_notes),
        *(f"money/payment/{i}" for i in range(1, len(money.payments) + 1)),
        *(f"money/refund/{i}" for i in range(1, len(money.refunds) + 1)),
        *(f"money/payout/{i}" for i in range(1, len(money.payouts) + 1)),
        *(f"money/lot/{lot}" for lot in lots),
        *(f"money/terms/{c}" for c in money.terms),
    ]


def projection_keys(auction: Auction) -> list[str]:
    return [
        "sale",
        *(f"lot/{k}" for k in auction.lots),
        *(f"bidder/{k}" for k in auction.bidders),
        *money_keys(auction),
    ]
