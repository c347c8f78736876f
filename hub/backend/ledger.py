"""The sale's books as documents: a buyer's account, invoices, credit notes, a consignor's
settlement, the sale summary, prices realised and what is still owed.

Pure functions of the replayed state (`Auction`: the journal), the sale's rules (journaled
settings and consignor terms) and the parties the identities store names (passed in). Issued
invoices and credit notes are read as they were journaled, never recomputed: a later rule change
does not alter them (`hub/backend/audit.py` checks them against the rules of their time). What
is sold and not invoiced yet is priced with the rules in force now (`charges.lot_charges`).

Amounts are ints of the sale currency's minor unit; a credit note's are negative.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hub.auction import charges
from hub.auction.charges import BP, LotCharges, Terms, lot_charges, round_half_up
from hub.auction.state import PASSED, SOLD, WITHDRAWN, Auction, Lot
from hub.backend.exports import Books
from hub.backend.statements import (
    AccountDoc,
    DocLine,
    InvoiceDoc,
    Party,
    PaymentDoc,
    RealisedRow,
    SettlementDoc,
    SettlementLot,
    SummaryDoc,
    Totals,
)

JSON = dict[str, Any]
BUYER_KINDS = ("hammer", "premium", "surcharge", "vat", "import_vat", "sales_tax", "arr")
PartyOf = Callable[[str], Party]
# The name behind a journaled `payer_ref` (the identities store's), None once erased or unknown.
PayerOf = Callable[[str], str | None]
THIRD_PARTY = "third party"  # what a document says for a payer whose name is gone


class LedgerError(LookupError):
    """A document that does not exist (unknown invoice or credit note number)."""


# ---------------------------------------------------------------------- parties


def buyer_party(paddle: str, row: Mapping[str, Any] | None) -> Party:
    """A bidder's identities row (or none: erased, never given) as a document's buyer."""
    if row is None:
        return Party(paddle)
    return Party(
        paddle,
        name=str(row.get("name") or ""),
        address=str(row.get("address") or ""),
        country=str(row.get("country") or ""),
        email=str(row.get("email") or ""),
        vat_id=str(row.get("vat_id") or ""),
    )


# ---------------------------------------------------------------------- lots and lines


def is_final(lot: Lot) -> bool:
    """Sold, and not waiting for the vendor's subject-to answer (the consignor's sale)."""
    return lot.status == SOLD and not (lot.hammer or {}).get("subject_to")


def sold_to(lot: Lot) -> str | None:
    """The paddle a lot is sold to (final, not subject to the vendor's answer), else None."""
    hammer = lot.hammer or {}
    if lot.status != SOLD or hammer.get("subject_to") or not hammer.get("paddle"):
        return None
    return str(hammer["paddle"])


def uninvoiced_lots(auction: Auction, paddle: str) -> list[Lot]:
    """Lots sold to `paddle` that are on no live invoice, in catalogue order."""
    invoiced = auction.money.invoiced
    lots = [
        lot for lot in auction.lots.values() if lot.id not in invoiced and sold_to(lot) == paddle
    ]
    return sorted(lots, key=lambda lot: lot.order)


def charges_now(auction: Auction, lot: Lot) -> LotCharges:
    """What the buyer of a sold lot pays under the rules in force now."""
    hammer = lot.hammer or {}
    return lot_charges(
        auction.sale.settings,
        lot,
        int(hammer["amount"]),
        str(hammer.get("channel") or "floor"),
        int(hammer.get("seq") or 0),
    )


def doc_lines(lot: Lot, lc: LotCharges) -> list[DocLine]:
    """A lot's charges as document lines."""
    return [
        DocLine(lot.id, lot.title, lc.hammer_seq, c.kind, c.label, c.amount, c.rate_bp, lc.scheme)
        for c in lc.lines
    ]


def totals_of(lines: Iterable[DocLine], margin_vat: int) -> Totals:
    """The sums of a buyer document's lines (`margin_vat` is inside the premium lines)."""
    sums = dict.fromkeys(BUYER_KINDS, 0)
    total = 0
    for line in lines:
        sums[line.kind] = sums.get(line.kind, 0) + line.amount
        total += line.amount
    return Totals(
        hammer=sums["hammer"],
        premium=sums["premium"],
        surcharge=sums["surcharge"],
        vat=sums["vat"] + sums["import_vat"],
        margin_vat=margin_vat,
        sales_tax=sums["sales_tax"],
        arr=sums["arr"],
        total=total,
    )


# ---------------------------------------------------------------------- issued documents


def _lines_of(auction: Auction, data: Mapping[str, Any]) -> tuple[DocLine, ...]:
    out = []
    for raw in data.get("lines") or ():
        lot = auction.lots.get(str(raw.get("lot")))
        out.append(
            DocLine(
                lot=str(raw.get("lot")),
                title=lot.title if lot is not None else "",
                hammer_seq=int(raw.get("hammer_seq") or 0),
                kind=str(raw["kind"]),
                label=str(raw.get("label") or ""),
                amount=int(raw["amount"]),
                rate_bp=None if raw.get("rate_bp") is None else int(raw["rate_bp"]),
                vat_scheme=str(raw.get("vat_scheme") or ""),
            )
        )
    return tuple(out)


def _totals(raw: Mapping[str, Any] | None) -> Totals:
    raw = raw or {}
    return Totals(**{name: int(raw.get(name) or 0) for name in Totals.__dataclass_fields__})


def _issued(
    auction: Auction, kind: str, data: Mapping[str, Any], buyer: Party, paid: int, owed: int
) -> InvoiceDoc:
    sale = auction.sale
    session = data.get("session")
    return InvoiceDoc(
        kind=kind,
        number=str(data["number"]),
        sale=sale.id,
        sale_title=sale.title,
        currency=str(data.get("currency") or sale.settings.currency),
        paddle=str(data["paddle"]),
        buyer=buyer,
        lines=_lines_of(auction, data),
        totals=_totals(data.get("totals")),
        issued_at=None if data.get("at") is None else float(data["at"]),
        seq=None if data.get("seq") is None else int(data["seq"]),
        session=None if session is None else int(session),
        refers_to=None if kind == "invoice" else str(data.get("invoice") or ""),
        reason=str(data.get("reason") or ""),
        by=str(data.get("by") or ""),
        paid=paid,
        owed=owed,
    )


def _invoices_of(auction: Auction, paddle: str) -> list[JSON]:
    found = [d for d in auction.money.invoices.values() if d.get("paddle") == paddle]
    return sorted(found, key=_doc_order)


def _credit_notes_of(auction: Auction, paddle: str) -> list[JSON]:
    found = [d for d in auction.money.credit_notes.values() if d.get("paddle") == paddle]
    return sorted(found, key=_doc_order)


def _allocation(auction: Auction, paddle: str) -> dict[str, tuple[int, int]]:
    """Invoice number → (paid, owed) for one buyer (see `_allocate`)."""
    return _allocate(
        _invoices_of(auction, paddle), _credit_notes_of(auction, paddle), _paid(auction, paddle)
    )


def _allocate(
    invoices: Sequence[Mapping[str, Any]], notes: Iterable[Mapping[str, Any]], paid: int
) -> dict[str, tuple[int, int]]:
    """Invoice number → (paid, owed): what the buyer paid (net of refunds) goes to their
    invoices oldest first, each reduced by its credit notes."""
    credited: dict[str, int] = {}
    for note in notes:
        number = str(note.get("invoice") or "")
        credited[number] = credited.get(number, 0) + _totals(note.get("totals")).total
    left = max(0, paid)
    out: dict[str, tuple[int, int]] = {}
    for inv in invoices:
        number = str(inv["number"])
        net = _totals(inv.get("totals")).total + credited.get(number, 0)
        share = min(max(net, 0), left)
        left -= share
        out[number] = (share, net - share)
    return out


def _allocations(auction: Auction) -> dict[str, dict[str, tuple[int, int]]]:
    """`_allocation` of every buyer with an invoice, in one pass over the books."""
    money = auction.money
    invoices: dict[str, list[JSON]] = {}
    notes: dict[str, list[JSON]] = {}
    paid: dict[str, int] = {}
    for data in money.invoices.values():
        invoices.setdefault(str(data["paddle"]), []).append(data)
    for data in money.credit_notes.values():
        notes.setdefault(str(data["paddle"]), []).append(data)
    for p in money.payments:
        paid[str(p["paddle"])] = paid.get(str(p["paddle"]), 0) + int(p["amount"])
    for r in money.refunds:
        paid[str(r["paddle"])] = paid.get(str(r["paddle"]), 0) - int(r["amount"])
    return {
        paddle: _allocate(sorted(found, key=_doc_order), notes.get(paddle, ()), paid.get(paddle, 0))
        for paddle, found in invoices.items()
    }


def _doc_order(data: Mapping[str, Any]) -> tuple[int, str]:
    return (int(data.get("seq") or 0), str(data["number"]))


def invoice_doc(auction: Auction, number: str, buyer: Party) -> InvoiceDoc:
    """An issued invoice as journaled, with what is paid and owed on it now."""
    data = auction.money.invoices.get(number)
    if data is None:
        raise LedgerError(f"no invoice {number!r} in this sale")
    paid, owed = _allocation(auction, str(data["paddle"])).get(number, (0, 0))
    return _issued(auction, "invoice", data, buyer, paid, owed)


def credit_note_doc(auction: Auction, number: str, buyer: Party) -> InvoiceDoc:
    """An issued credit note as journaled (negative amounts)."""
    data = auction.money.credit_notes.get(number)
    if data is None:
        raise LedgerError(f"no credit note {number!r} in this sale")
    return _issued(auction, "credit_note", data, buyer, 0, 0)


def document_paddle(auction: Auction, number: str) -> str | None:
    """Whose invoice or credit note `number` is (None: no such document)."""
    data = auction.money.invoices.get(number) or auction.money.credit_notes.get(number)
    return None if data is None else str(data["paddle"])


def proforma(auction: Auction, paddle: str, buyer: Party) -> InvoiceDoc | None:
    """What `paddle` bought and has not been invoiced for yet, priced now (None: nothing)."""
    lines: list[DocLine] = []
    margin_vat = 0
    for lot in uninvoiced_lots(auction, paddle):
        lc = charges_now(auction, lot)
        lines.extend(doc_lines(lot, lc))
        margin_vat += lc.margin_vat
    if not lines:
        return None
    totals = totals_of(lines, margin_vat)
    sale = auction.sale
    return InvoiceDoc(
        kind="proforma",
        number=None,
        sale=sale.id,
        sale_title=sale.title,
        currency=sale.settings.currency,
        paddle=paddle,
        buyer=buyer,
        lines=tuple(lines),
        totals=totals,
        owed=totals.total,
    )


# ---------------------------------------------------------------------- payments


def _seq_of(record: Mapping[str, Any]) -> int:
    if record.get("seq") is not None:
        return int(record["seq"])
    ident = str(record.get("id") or "")
    tail = ident.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 0


def _no_payer(ref: str) -> str | None:
    return None


def payer_of(record: Mapping[str, Any], payer: PayerOf = _no_payer) -> str:
    """Who paid, if not the buyer: the name behind the record's `payer_ref` (else "third
    party": erased or unknown), or the name older journals kept in `payer`; "" for the buyer."""
    ref = str(record.get("payer_ref") or "")
    if ref:
        return payer(ref) or THIRD_PARTY
    legacy = str(record.get("payer") or "")
    return legacy or (THIRD_PARTY if record.get("third_party") else "")


def payment_doc(kind: str, record: Mapping[str, Any], payer: PayerOf = _no_payer) -> PaymentDoc:
    """A journaled payment, refund or payout as a document row (`payer` names third parties)."""
    of = record.get("consignor") if kind == "payout" else record.get("paddle")
    return PaymentDoc(
        id=str(record.get("id") or ""),
        kind=kind,
        reference_of=str(of or ""),
        amount=int(record["amount"]),
        method=str(record.get("method") or ""),
        reference=str(record.get("reference") or ""),
        by=str(record.get("by") or ""),
        at=float(record.get("at") or 0),
        seq=_seq_of(record),
        payer=payer_of(record, payer),
        third_party_reason=str(record.get("third_party_reason") or record.get("reason") or ""),
    )


def _paid(auction: Auction, paddle: str) -> int:
    money = auction.money
    paid = sum(int(p["amount"]) for p in money.payments if p.get("paddle") == paddle)
    return paid - sum(int(r["amount"]) for r in money.refunds if r.get("paddle") == paddle)


def _due(auction: Auction, paddle: str) -> int:
    invoices = sum(_totals(d.get("totals")).total for d in _invoices_of(auction, paddle))
    return invoices + sum(_totals(d.get("totals")).total for d in _credit_notes_of(auction, paddle))


def balance(auction: Auction, paddle: str) -> tuple[int, int, int]:
    """(due, paid, owed) of a buyer: invoices − credit notes; payments − refunds; the rest."""
    due, paid = _due(auction, paddle), _paid(auction, paddle)
    return due, paid, due - paid


def status_of(due: int, paid: int, owed: int) -> str:
    """One of statements.ACCOUNT_STATUSES."""
    if owed < 0:
        return "in_credit"
    if owed > 0:
        return "part_paid" if paid > 0 else "owes"
    return "paid" if due or paid else "nothing"


# ---------------------------------------------------------------------- a buyer's account


def account(
    auction: Auction,
    paddle: str,
    identities_row: Mapping[str, Any] | None,
    payer: PayerOf = _no_payer,
) -> AccountDoc:
    """A buyer at checkout: invoices, credit notes, what is not invoiced yet, payments (third
    parties named by `payer`), what they owe and which lots may be released."""
    buyer = buyer_party(paddle, identities_row)
    allocation = _allocation(auction, paddle)
    invoices = tuple(
        _issued(auction, "invoice", d, buyer, *allocation[str(d["number"])])
        for d in _invoices_of(auction, paddle)
    )
    notes = tuple(
        _issued(auction, "credit_note", d, buyer, 0, 0) for d in _credit_notes_of(auction, paddle)
    )
    money = auction.money
    records = [("payment", p) for p in money.payments if p.get("paddle") == paddle]
    records += [("refund", r) for r in money.refunds if r.get("paddle") == paddle]
    payments = tuple(sorted((payment_doc(k, r, payer) for k, r in records), key=lambda p: p.seq))
    due, paid, owed = balance(auction, paddle)
    released = tuple(sorted(lot for lot, who in money.released.items() if who == paddle))
    releasable: tuple[str, ...] = ()
    if owed <= 0:
        mine = {str(d["number"]) for d in _invoices_of(auction, paddle)}
        releasable = tuple(
            lot.id
            for lot in sorted(auction.lots.values(), key=lambda x: x.order)
            if money.invoiced.get(lot.id) in mine and lot.id not in money.released
        )
    return AccountDoc(
        sale=auction.sale.id,
        currency=auction.sale.settings.currency,
        paddle=paddle,
        buyer=buyer,
        invoices=invoices,
        credit_notes=notes,
        proforma=proforma(auction, paddle, buyer),
        payments=payments,
        due=due,
        paid=paid,
        owed=owed,
        status=status_of(due, paid, owed),
        released=released,
        releasable=releasable,
    )


def buyers(auction: Auction) -> list[str]:
    """Paddles with a sold lot, an invoice, a credit note or a payment, sorted."""
    money = auction.money
    found = {p for lot in auction.lots.values() if (p := sold_to(lot)) is not None}
    found |= {str(d["paddle"]) for d in money.invoices.values()}
    found |= {str(d["paddle"]) for d in money.credit_notes.values()}
    found |= {str(p["paddle"]) for p in (*money.payments, *money.refunds)}
    return sorted(found, key=_paddle_key)


def _paddle_key(paddle: str) -> tuple[int, int, str]:
    return (0, int(paddle), "") if paddle.isdigit() else (1, 0, paddle)


def outstanding(auction: Auction) -> list[tuple[str, int]]:
    """(paddle, owed) of every buyer who owes something on an invoice, by paddle."""
    out = []
    for paddle in buyers(auction):
        owed = balance(auction, paddle)[2]
        if owed > 0:
            out.append((paddle, owed))
    return out


# ---------------------------------------------------------------------- consignors


def consignors(auction: Auction) -> list[str]:
    """Consignor references on lots or with terms, sorted."""
    refs = {lot.consignor for lot in auction.lots.values() if lot.consignor}
    return sorted(refs | set(auction.money.terms))


def terms_of(auction: Auction, reference: str) -> Terms:
    """A consignor's journaled terms (none journaled: no commission, no charges)."""
    raw = auction.money.terms.get(reference)
    return Terms() if raw is None else Terms.from_json(raw)


def _rate_text(rate_bp: int) -> str:
    whole, rest = divmod(rate_bp, 100)
    return f"{whole} %" if not rest else f"{whole}.{rest:02d}".rstrip("0") + " %"


@dataclass(frozen=True, slots=True)
class _Deduction:
    lot: str
    title: str
    hammer_seq: int
    kind: str
    label: str
    amount: int  # positive: what the consignor is charged
    rate_bp: int | None = None


def _deductions(auction: Auction, reference: str, lots: Sequence[Lot]) -> list[_Deduction]:
    """What the house charges a consignor, positive, in statement order: per lot (commission,
    its VAT, lot fee, unsold fee, their VAT), then the consignment's fixed charges."""
    terms = terms_of(auction, reference)
    vat_bp = auction.sale.settings.vat_rate_bp if terms.vat_on_commission else 0
    single = terms.commission[0][1] if len(terms.commission) == 1 else None
    out: list[_Deduction] = []

    def add(
        lot: Lot | None, seq: int, kind: str, label: str, amount: int, rate: int | None
    ) -> None:
        if amount:
            out.append(
                _Deduction(
                    lot.id if lot else "", lot.title if lot else "", seq, kind, label, amount, rate
                )
            )
        if amount and vat_bp:
            vat_kind = "commission_vat" if kind == "commission" else "charge_vat"
            vat = round_half_up(amount * vat_bp, BP)
            out.append(
                _Deduction(
                    lot.id if lot else "",
                    lot.title if lot else "",
                    seq,
                    vat_kind,
                    f"VAT {_rate_text(vat_bp)} on {label[0].lower()}{label[1:]}",
                    vat,
                    vat_bp,
                )
            )

    for lot in lots:
        seq = int((lot.hammer or {}).get("seq") or 0)
        if is_final(lot):
            amount = charges.commission(int((lot.hammer or {})["amount"]), terms)
            label = "Commission" + (f" {_rate_text(single)}" if single is not None else "")
            add(lot, seq, "commission", label, amount, single)
        if lot.status != WITHDRAWN:
            add(lot, seq, "charge", "Lot fee", terms.lot_fee, None)
        if lot.status == PASSED:
            add(lot, seq, "unsold_fee", "Unsold fee", terms.unsold_fee, None)
    for label, amount in terms.charges:
        add(None, 0, "charge", label, amount, None)
    return out


def settlement(
    auction: Auction,
    consignor_ref: str,
    party: Party,
    sale_date: date | None = None,
    paid: set[str] | None = None,
) -> SettlementDoc:
    """A consignor's settlement statement: their lots, hammer, deductions, net, payouts.

    Deduction lines are negative. `sale_date` (the sale's date in its timezone) dates the
    payout by the contract's payout days; None leaves the date open. `paid` (`paid_lots`)
    saves computing it again when settling every consignor.
    """
    lots = sorted(
        (lot for lot in auction.lots.values() if lot.consignor == consignor_ref),
        key=lambda lot: lot.order,
    )
    paid_lots = paid_lots_of(auction) if paid is None else paid
    rows = []
    hammer = 0
    for lot in lots:
        raw = lot.hammer or {}
        sold = is_final(lot)
        status = "provisional" if lot.status == SOLD and not sold else lot.status
        if sold:
            hammer += int(raw["amount"])
        rows.append(
            SettlementLot(
                lot=lot.id,
                title=lot.title,
                status=status,
                hammer=int(raw["amount"]) if sold else None,
                hammer_seq=int(raw["seq"]) if sold and raw.get("seq") is not None else None,
                buyer_paid=lot.id in paid_lots,
            )
        )
    lines = tuple(
        DocLine(d.lot, d.title, d.hammer_seq, d.kind, d.label, -d.amount, d.rate_bp)
        for d in _deductions(auction, consignor_ref, lots)
    )
    deductions = sum(line.amount for line in lines)
    payouts = tuple(
        payment_doc("payout", p)
        for p in auction.money.payouts
        if p.get("consignor") == consignor_ref
    )
    paid_out = sum(p.amount for p in payouts)
    terms = terms_of(auction, consignor_ref)
    payout_date = None
    if sale_date is not None:
        payout_date = (sale_date + timedelta(days=terms.payout_days)).isoformat()
    return SettlementDoc(
        sale=auction.sale.id,
        sale_title=auction.sale.title,
        currency=auction.sale.settings.currency,
        consignor=party,
        lots=tuple(rows),
        lines=lines,
        hammer=hammer,
        deductions=deductions,
        net=hammer + deductions,
        payouts=payouts,
        paid_out=paid_out,
        due=hammer + deductions - paid_out,
        payout_date=payout_date,
        absolute=terms.absolute,
    )


def paid_lots_of(auction: Auction) -> set[str]:
    """Lots whose live invoice is paid in full."""
    paid_invoices = {
        number
        for allocation in _allocations(auction).values()
        for number, (_share, owed) in allocation.items()
        if owed <= 0
    }
    return {lot for lot, number in auction.money.invoiced.items() if number in paid_invoices}


# ---------------------------------------------------------------------- the sale


def buyer_figures(auction: Auction) -> Totals:
    """What buyers pay for the sale as it stands: every invoice and credit note, plus every
    sold lot not invoiced yet priced now."""
    sums = dict.fromkeys(Totals.__dataclass_fields__, 0)
    money = auction.money
    for data in (*money.invoices.values(), *money.credit_notes.values()):
        t = _totals(data.get("totals"))
        for name in sums:
            sums[name] += getattr(t, name)
    for lot in auction.lots.values():
        if sold_to(lot) is not None and lot.id not in money.invoiced:
            lc = charges_now(auction, lot)
            t = totals_of(doc_lines(lot, lc), lc.margin_vat)
            for name in sums:
                sums[name] += getattr(t, name)
    return Totals(**sums)


def summary(auction: Auction) -> SummaryDoc:
    """Sold, passed and withdrawn; hammer, premium, tax, resale right and commission; the
    sell-through; who still owes."""
    lots = sorted(auction.lots.values(), key=lambda lot: lot.order)
    sold = [lot for lot in lots if is_final(lot)]
    passed = [lot for lot in lots if lot.status == PASSED]
    withdrawn = [lot for lot in lots if lot.status == WITHDRAWN]
    hammer = sum(int((lot.hammer or {})["amount"]) for lot in sold)
    buyers_pay = buyer_figures(auction)
    house = {"commission": 0, "commission_vat": 0, "charge": 0, "charge_vat": 0, "unsold_fee": 0}
    for ref in consignors(auction):
        mine = [lot for lot in lots if lot.consignor == ref]
        for d in _deductions(auction, ref, mine):
            house[d.kind] += d.amount
    offered = sold + [lot for lot in passed]
    estimates = sum(lot.low or 0 for lot in offered)
    return SummaryDoc(
        sale=auction.sale.id,
        sale_title=auction.sale.title,
        currency=auction.sale.settings.currency,
        lots=len(lots),
        sold=len(sold),
        passed=len(passed),
        withdrawn=len(withdrawn),
        unsold=tuple(lot.id for lot in passed),
        hammer=hammer,
        premium=buyers_pay.premium + buyers_pay.surcharge - buyers_pay.margin_vat,
        vat=buyers_pay.vat + buyers_pay.margin_vat + house["commission_vat"] + house["charge_vat"],
        sales_tax=buyers_pay.sales_tax,
        arr=buyers_pay.arr,
        commission=house["commission"],
        sell_through_count_bp=round_half_up(len(sold) * BP, len(offered)) if offered else 0,
        sell_through_value_bp=round_half_up(hammer * BP, estimates) if estimates else 0,
        outstanding=tuple(outstanding(auction)),
        charges=house["charge"] + house["unsold_fee"],
    )


def prices_realised(auction: Auction) -> list[RealisedRow]:
    """Every lot in catalogue order; sold lots with hammer and hammer plus premium (the
    premium of its invoice, else the schedule's; no channel surcharge)."""
    premium_on_invoice: dict[str, int] = {}
    for data in auction.money.invoices.values():
        for line in data.get("lines") or ():
            if (
                line.get("kind") == "premium"
                and auction.money.invoiced.get(line["lot"]) == data["number"]
            ):
                premium_on_invoice[line["lot"]] = premium_on_invoice.get(line["lot"], 0) + int(
                    line["amount"]
                )
    rows = []
    for lot in sorted(auction.lots.values(), key=lambda x: x.order):
        amount: int | None = None
        price: int | None = None
        if is_final(lot):
            amount = int((lot.hammer or {})["amount"])
            premium = premium_on_invoice.get(lot.id)
            if premium is None:
                premium = charges.banded(amount, charges.premium_bands(auction.sale.settings, lot))
            price = amount + premium
        rows.append(RealisedRow(lot.id, lot.title, lot.status, amount, price))
    return rows


# ---------------------------------------------------------------------- the whole books


def books(
    auction: Auction,
    buyer: PartyOf,
    consignor: PartyOf,
    sale_date: date | None = None,
    payer: PayerOf = _no_payer,
) -> Books:
    """Every document of the sale, for the accounting exports (third parties named by `payer`)."""
    money = auction.money
    invoices = []
    notes = []
    allocations = _allocations(auction)
    for data in money.invoices.values():
        paddle = str(data["paddle"])
        share = allocations[paddle][str(data["number"])]
        invoices.append(_issued(auction, "invoice", data, buyer(paddle), *share))
    for data in money.credit_notes.values():
        notes.append(_issued(auction, "credit_note", data, buyer(str(data["paddle"])), 0, 0))
    paid = paid_lots_of(auction)
    records = [("payment", p) for p in money.payments]
    records += [("refund", r) for r in money.refunds]
    records += [("payout", p) for p in money.payouts]
    payments = sorted((payment_doc(k, r, payer) for k, r in records), key=lambda p: p.seq)
    return Books(
        sale=auction.sale.id,
        currency=auction.sale.settings.currency,
        invoices=sorted(invoices, key=lambda d: str(d.number)),
        credit_notes=sorted(notes, key=lambda d: str(d.number)),
        payments=payments,
        settlements=[
            settlement(auction, ref, consignor(ref), sale_date, paid) for ref in consignors(auction)
        ],
    )
