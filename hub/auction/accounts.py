"""Pure reads of a sale's money: who bought what, what is invoiced, what each buyer owes.

Everything is computed from the replayed state (`Auction`): the lots' hammers, the journaled
invoices, credit notes, payments and refunds. Amounts are ints of the minor unit.
"""

from __future__ import annotations

from typing import Any

from hub.auction.charges import LotCharges, lot_charges
from hub.auction.state import SOLD, Auction, Lot

JSON = dict[str, Any]

# What one invoice line holds, as journaled (`invoice_issued`).
TOTAL_KINDS = ("hammer", "premium", "surcharge", "vat", "margin_vat", "sales_tax", "arr", "total")


def buyer_of(lot: Lot) -> str | None:
    """The paddle a lot is sold to, or None (not sold, or sold to an anonymous room bid)."""
    if lot.status != SOLD or not lot.hammer:
        return None
    paddle = lot.hammer.get("paddle")
    return paddle if isinstance(paddle, str) else None


def is_final(lot: Lot) -> bool:
    """Sold and not waiting for the vendor's subject-to answer."""
    return lot.status == SOLD and bool(lot.hammer) and not (lot.hammer or {}).get("subject_to")


def sold_charges(auction: Auction, lot: Lot) -> LotCharges:
    """What the buyer pays for a sold lot under the sale's rules as they stand."""
    hammer = lot.hammer or {}
    return lot_charges(
        auction.sale.settings,
        lot,
        int(hammer.get("amount", 0)),
        str(hammer.get("channel") or "floor"),
        int(hammer.get("seq", 0)),
    )


def uninvoiced_lots(auction: Auction, paddle: str) -> list[Lot]:
    """A buyer's sold lots (final, not subject to) on no live invoice, in catalogue order."""
    invoiced = auction.money.invoiced
    return sorted(
        (
            lot
            for lot in auction.lots.values()
            if buyer_of(lot) == paddle and is_final(lot) and lot.id not in invoiced
        ),
        key=lambda x: x.order,
    )


def invoices_of(auction: Auction, paddle: str) -> list[JSON]:
    return [inv for inv in auction.money.invoices.values() if inv["paddle"] == paddle]


def credit_notes_of(auction: Auction, paddle: str) -> list[JSON]:
    return [cn for cn in auction.money.credit_notes.values() if cn["paddle"] == paddle]


def balance(auction: Auction, paddle: str) -> tuple[int, int, int]:
    """(due, paid, owed): invoices − credit notes; payments − refunds; due − paid."""
    money = auction.money
    due = sum(int(inv["totals"]["total"]) for inv in invoices_of(auction, paddle))
    due += sum(int(cn["totals"]["total"]) for cn in credit_notes_of(auction, paddle))
    paid = sum(int(p["amount"]) for p in money.payments if p["paddle"] == paddle)
    paid -= sum(int(r["amount"]) for r in money.refunds if r["paddle"] == paddle)
    return due, paid, due - paid


def live_invoiced_lots(auction: Auction, paddle: str) -> list[str]:
    """The lots on a live (uncredited) invoice of this buyer, in invoice order."""
    money = auction.money
    return [
        lot
        for number, inv in sorted(money.invoices.items())
        if inv["paddle"] == paddle
        for lot in inv["lots"]
        if money.invoiced.get(lot) == number
    ]


def releasable(auction: Auction, paddle: str) -> list[str]:
    """Invoiced lots of this buyer not released yet (paid for or not: the caller decides)."""
    released = auction.money.released
    return [lot for lot in live_invoiced_lots(auction, paddle) if lot not in released]


def buyers(auction: Auction) -> list[str]:
    """Paddles with sold lots or invoices in this sale, sorted."""
    paddles = {p for lot in auction.lots.values() if (p := buyer_of(lot)) is not None}
    paddles.update(inv["paddle"] for inv in auction.money.invoices.values())
    return sorted(paddles)


def consignors(auction: Auction) -> list[str]:
    """Consignor references on the lots or with terms, sorted."""
    refs = {lot.consignor for lot in auction.lots.values() if lot.consignor}
    refs.update(auction.money.terms)
    return sorted(refs)


def in_session(auction: Auction, lot: Lot, session: int) -> bool:
    """Is `lot` in the running order range of session `session` (none declared: one session)?"""
    sessions = auction.sale.sessions
    if not sessions:
        return session == 0
    if session >= len(sessions):
        return False
    spec = sessions[session]
    first = auction.lots.get(spec.get("from_lot") or "")
    last = auction.lots.get(spec.get("to_lot") or "")
    if first is not None and lot.order < first.order:
        return False
    return last is None or lot.order <= last.order  # no last lot: open to the end


def totals_of(lines: list[JSON], margin_vat: int) -> JSON:
    """A document's sums by kind; `total` is the sum of every line (never re-rounded)."""
    by_kind = {kind: 0 for kind in TOTAL_KINDS}
    for line in lines:
        kind = "vat" if line["kind"] == "import_vat" else line["kind"]
        by_kind[kind] += int(line["amount"])
        by_kind["total"] += int(line["amount"])
    by_kind["margin_vat"] = margin_vat
    return by_kind


def account(auction: Auction, paddle: str) -> JSON:
    """A bidder's own account, numbers only (no PII): their invoices and what they owe."""
    due, paid, owed = balance(auction, paddle)
    invoices = [
        {"number": inv["number"], "total": inv["totals"]["total"], "at": inv["at"]}
        for inv in sorted(invoices_of(auction, paddle), key=lambda i: i["number"])
    ]
    return {"invoices": invoices, "due": due, "paid": paid, "owed": owed}
