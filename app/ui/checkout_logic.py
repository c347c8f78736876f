"""The Checkout and Consignors tabs' logic as plain functions (no Qt): what the cashier typed
becomes a checked request in minor units, and a buyer's account (`AccountDoc`) becomes the
rows and figures the tab shows. Every refusal is a `DeskError` whose messages say what to fix.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from app.formatting import decimals, format_money, parse_money
from app.i18n import N_, _
from hub.backend.statements import AccountDoc, InvoiceDoc, SettlementDoc

METHODS = ("cash", "card", "transfer", "cheque", "other")
METHOD_LABELS = {
    "cash": N_("Cash"),
    "card": N_("Card"),
    "transfer": N_("Bank transfer"),
    "cheque": N_("Cheque"),
    "other": N_("Other"),
}
STATUS_LABELS = {
    "nothing": N_("Nothing to pay"),
    "owes": N_("Owes"),
    "part_paid": N_("Part paid"),
    "paid": N_("Paid"),
    "in_credit": N_("In credit"),
}
MAX_AMOUNT = 10**13  # minor units: more than any lot ever sold, small enough to stay exact
MAX_TEXT = 200  # a reference, a payer's name, a reason
_PADDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAIL = re.compile(r"[.,](\d+)$")  # the digits after the last separator


class DeskError(ValueError):
    """A form the desk refuses; `messages` lists every problem, each a sentence."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def clean_paddle(text: str) -> str:
    """A paddle typed or scanned (scanners may add spaces or a trailing newline)."""
    paddle = text.strip()
    if not paddle:
        raise DeskError([_("Type or scan a paddle number.")])
    if not _PADDLE.match(paddle):
        raise DeskError([_("Not a paddle number: {paddle!r}.").format(paddle=paddle[:30])])
    return paddle


def parse_amount(text: str, currency: str, what: str = "Amount") -> int:
    """An amount typed in major units ("1,234.50", "1.234,50", "€1234") → minor units > 0,
    with the sale currency's decimals (JPY none, BHD three)."""
    tail = _TAIL.search(text.strip())
    if tail and len(tail.group(1)) != 3 and len(tail.group(1)) > decimals(currency):
        # "12.5" yen or "1.2345" euros: a mistyped amount, never read as thousands.
        places = decimals(currency)
        raise DeskError(
            [
                _("{what}: {currency} amounts have at most {places} decimals.").format(
                    what=what, currency=currency, places=places
                )
            ]
        )
    try:
        amount = parse_money(text, currency)
    except ValueError as exc:
        raise DeskError([f"{what}: {exc}."]) from exc
    if amount <= 0:
        raise DeskError([_("{what} must be more than zero.").format(what=what)])
    if amount >= MAX_AMOUNT:
        raise DeskError([_("{what} is too large.").format(what=what)])
    return amount


def clean_text(text: str, what: str, *, limit: int = MAX_TEXT) -> str:
    """One line of free text (a reference, a name, a reason): no control characters."""
    value = text.strip()
    if _CONTROL.search(value):
        raise DeskError(
            [_("{what} may not contain line breaks or control characters.").format(what=what)]
        )
    if len(value) > limit:
        raise DeskError(
            [_("{what} is too long (at most {limit} characters).").format(what=what, limit=limit)]
        )
    return value


def new_key() -> str:
    """An idempotency key: made when a payment is first sent and kept until it is answered,
    so a double press or a retry counts once."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    paddle: str
    amount: int
    method: str
    reference: str
    payer: str = ""
    third_party_reason: str = ""
    key: str = field(default_factory=new_key)


def payment_request(
    paddle: str,
    amount_text: str,
    method: str,
    reference: str,
    currency: str,
    *,
    owed: int | None = None,
    payer: str = "",
    third_party_reason: str = "",
    key: str | None = None,
) -> PaymentRequest:
    """Check a payment form; every problem at once. `owed` (when known) refuses paying more
    than the buyer owes, as the cashier would."""
    problems: list[str] = []
    amount = 0
    for check in (
        lambda: clean_paddle(paddle),
        lambda: parse_amount(amount_text, currency),
        lambda: clean_text(reference, _("The reference")),
        lambda: clean_text(payer, _("The payer")),
        lambda: clean_text(third_party_reason, _("The reason")),
    ):
        try:
            check()
        except DeskError as exc:
            problems += exc.messages
    if method not in METHODS:
        problems.append(
            _("Choose a payment method ({choices}).").format(choices=", ".join(METHODS))
        )
    if not problems:
        amount = parse_amount(amount_text, currency)
        if payer.strip() and not third_party_reason.strip():
            problems.append(
                _("Someone other than the buyer is paying: a staff override needs a reason.")
            )
        if owed is not None and owed <= 0:
            problems.append(_("This buyer owes nothing."))
        elif owed is not None and amount > owed:
            problems.append(
                _("That is more than the buyer owes ({money}).").format(money=money(owed, currency))
            )
    if problems:
        raise DeskError(problems)
    return PaymentRequest(
        clean_paddle(paddle),
        amount,
        method,
        reference.strip(),
        payer.strip(),
        third_party_reason.strip() if payer.strip() else "",
        key or new_key(),
    )


@dataclass(frozen=True, slots=True)
class RefundRequest:
    paddle: str
    amount: int
    method: str
    reference: str
    reason: str
    key: str = field(default_factory=new_key)


def refund_request(
    account: AccountDoc, amount_text: str, method: str, reference: str, reason: str
) -> RefundRequest:
    """Money back to a buyer in credit (after a credit note): never more than the credit,
    always with a reason."""
    problems: list[str] = []
    amount = 0
    try:
        amount = parse_amount(amount_text, account.currency)
    except DeskError as exc:
        problems += exc.messages
    for text, what in ((reference, _("The reference")), (reason, _("The reason"))):
        try:
            clean_text(text, what)
        except DeskError as exc:
            problems += exc.messages
    if method not in METHODS:
        problems.append(
            _("Choose a payment method ({choices}).").format(choices=", ".join(METHODS))
        )
    if not reason.strip():
        problems.append(_("A refund needs a reason."))
    credit = -account.owed
    if credit <= 0:
        problems.append(_("This buyer is not in credit: there is nothing to refund."))
    elif amount > credit:
        problems.append(
            _("That is more than the buyer's credit ({money}).").format(
                money=money(credit, account.currency)
            )
        )
    if problems:
        raise DeskError(problems)
    return RefundRequest(account.paddle, amount, method, reference.strip(), reason.strip())


def release_reason(account: AccountDoc, override_reason: str) -> str:
    """The override reason a release needs (empty when the buyer owes nothing)."""
    reason = clean_text(override_reason, _("The override reason"))
    if account.owed > 0 and not reason:
        owed = format_money(account.owed, account.currency, always_cents=True)
        raise DeskError(
            [_("The buyer still owes {owed}: releasing now needs a reason.").format(owed=owed)]
        )
    if not account.invoices:
        raise DeskError([_("Nothing is invoiced yet: issue the invoice first.")])
    return reason if account.owed > 0 else ""


# -- what the tab shows ------------------------------------------------------------------------


def money(amount: int | None, currency: str) -> str:
    return format_money(amount, currency, always_cents=True)


def status_text(account: AccountDoc) -> str:
    """ "Part paid — owes €1,250.00"."""
    label = STATUS_LABELS.get(account.status, account.status.replace("_", " ").title())
    label = _(label)
    if account.owed > 0:
        return _("{status} — owes {amount}").format(
            status=label, amount=money(account.owed, account.currency)
        )
    if account.owed < 0:
        return _("{status} — {amount} to refund").format(
            status=label, amount=money(-account.owed, account.currency)
        )
    return label


@dataclass(frozen=True, slots=True)
class LotRow:
    lot: str
    title: str
    hammer: int
    document: str  # the invoice number, or "not invoiced"
    released: bool


def lot_rows(account: AccountDoc) -> list[LotRow]:
    """The buyer's lots, each once with its newest document: not invoiced yet (the
    pro-forma), else its latest invoice ("INV-… credited by CN-…" when a note took it back)."""
    credited = {
        (note.refers_to, line.lot): note.number or ""
        for note in account.credit_notes
        for line in note.lines
        if line.kind == "hammer"
    }
    docs: list[InvoiceDoc] = [*reversed(account.invoices)]
    if account.proforma is not None:
        docs.insert(0, account.proforma)
    released = set(account.released)
    rows: list[LotRow] = []
    seen: set[str] = set()
    for doc in docs:
        for line in doc.lines:
            if line.kind != "hammer" or line.lot in seen:
                continue
            seen.add(line.lot)
            label = doc.number or _("not invoiced")
            note = credited.get((doc.number, line.lot)) if doc.kind == "invoice" else None
            if note:
                label = _("{invoice} credited by {note}").format(invoice=label, note=note)
            rows.append(LotRow(line.lot, line.title, line.amount, label, line.lot in released))
    rows.sort(key=lambda r: _lot_key(r.lot))
    return rows


def _lot_key(lot: str) -> tuple[int, int, str]:
    digits = re.match(r"\d+", lot)
    return (0, int(digits.group()), lot) if digits else (1, 0, lot)


@dataclass(frozen=True, slots=True)
class LineRow:
    document: str  # invoice or credit note number, or "pro-forma"
    lot: str
    label: str
    amount: int


def line_rows(account: AccountDoc) -> list[LineRow]:
    """Every line of the buyer's documents, invoices first, then credit notes, then what is
    not invoiced yet; a line cites its lot."""
    rows: list[LineRow] = []
    for doc in (*account.invoices, *account.credit_notes):
        rows += [LineRow(doc.number or "", ln.lot, ln.label, ln.amount) for ln in doc.lines]
    if account.proforma is not None:
        rows += [LineRow("pro-forma", ln.lot, ln.label, ln.amount) for ln in account.proforma.lines]
    return rows


def figures(account: AccountDoc) -> dict[str, str]:
    """The summary figures: due, paid, owed (each with cents) and the status."""
    c = account.currency
    pending = account.proforma.totals.total if account.proforma is not None else 0
    return {
        "due": money(account.due, c),
        "paid": money(account.paid, c),
        "owed": money(account.owed, c),
        "pending": money(pending, c) if pending else "",
        "status": status_text(account),
    }


def payment_rows(account: AccountDoc) -> list[tuple[str, str, str, str, str]]:
    """(id, method, amount, reference, who) per payment or refund; a refund is negative."""
    rows = []
    for p in account.payments:
        sign = -1 if p.kind == "refund" else 1
        who = p.by
        if p.payer:
            who = _("{by} · paid by {payer} ({reason})").format(
                by=p.by, payer=p.payer, reason=p.third_party_reason
            )
        rows.append(
            (
                p.id,
                _(METHOD_LABELS.get(p.method, p.method)),
                money(sign * p.amount, account.currency),
                p.reference,
                who,
            )
        )
    return rows


def document_numbers(account: AccountDoc) -> list[str]:
    """The documents that can be opened: invoices then credit notes."""
    return [d.number for d in (*account.invoices, *account.credit_notes) if d.number]


def safe_file_name(number: str, suffix: str) -> str:
    """A document number as a file name ("INV-2026-00001.pdf"); anything odd becomes "_"."""
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", number)[:60] or "document"
    return f"{stem}.{suffix}"


# -- consignors ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermsForm:
    """A consignor's terms as the `set_consignor_terms` command takes them."""

    consignor: str
    commission: tuple[tuple[int, int], ...]
    vat_on_commission: bool
    charges: tuple[tuple[str, int], ...]
    lot_fee: int
    unsold_fee: int
    payout_days: int
    absolute: bool

    def command(self) -> dict[str, object]:
        return {
            "op": "set_consignor_terms",
            "consignor": self.consignor,
            "commission": [list(b) for b in self.commission],
            "vat_on_commission": self.vat_on_commission,
            "charges": [list(c) for c in self.charges],
            "lot_fee": self.lot_fee,
            "unsold_fee": self.unsold_fee,
            "payout_days": self.payout_days,
            "absolute": self.absolute,
        }


_PERCENT = re.compile(r"^(\d{1,3})(?:[.,](\d{1,2}))?\s*%?$")


def parse_percent(text: str) -> int:
    """ "15", "15 %", "12.5" → basis points (1500, 1250); at most 100 %."""
    m = _PERCENT.match(text.strip())
    if not m:
        raise DeskError(
            [_("Not a percentage: {text!r} (e.g. 15 or 12.5).").format(text=text.strip()[:30])]
        )
    bp = int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    if bp > 10000:
        raise DeskError([_("A commission rate is at most 100 %.")])
    return bp


def parse_commission(text: str, currency: str) -> tuple[tuple[int, int], ...]:
    """Commission bands: "15" (flat), or "15; 10 from 50,000; 5 from 200,000" (marginal,
    like the buyer's premium) → ((0, 1500), (5000000, 1000), ...)."""
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts:
        raise DeskError([_("Give a commission rate (e.g. 15 for 15 %).")])
    if len(parts) > 10:
        raise DeskError([_("At most 10 commission bands.")])
    bands: list[tuple[int, int]] = []
    for i, part in enumerate(parts):
        rate, _sep, start = part.partition(" from ")
        if i == 0 and start:
            raise DeskError([_("The first commission band starts at zero: write its rate only.")])
        if i > 0 and not start:
            raise DeskError(
                [_("Band {n}: say where it starts (e.g. '10 from 50,000').").format(n=i + 1)]
            )
        begin = parse_amount(start, currency, _("Band {n} start").format(n=i + 1)) if start else 0
        if bands and begin <= bands[-1][0]:
            raise DeskError([_("Commission bands must start at increasing amounts.")])
        bands.append((begin, parse_percent(rate)))
    return tuple(bands)


def parse_charges(text: str, currency: str) -> tuple[tuple[str, int], ...]:
    """Fixed charges per consignment: "Photography: 25; Insurance: 10.50"."""
    charges: list[tuple[str, int]] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        label, sep, amount = part.rpartition(":")
        if not sep or not label.strip():
            raise DeskError(
                [_("A charge is 'label: amount', not {text!r}.").format(text=part[:30])]
            )
        charges.append(
            (
                clean_text(label, _("A charge's label"), limit=60),
                parse_amount(
                    amount, currency, _("Charge {label!r}").format(label=label.strip()[:20])
                ),
            )
        )
    if len(charges) > 20:
        raise DeskError([_("At most 20 charges.")])
    return tuple(charges)


def parse_fee(text: str, currency: str, what: str) -> int:
    """An optional fee: empty is zero."""
    return parse_amount(text, currency, what) if text.strip() else 0


def terms_form(
    consignor: str,
    commission: str,
    charges: str,
    lot_fee: str,
    unsold_fee: str,
    payout_days: str,
    currency: str,
    *,
    vat_on_commission: bool,
    absolute: bool,
) -> TermsForm:
    """Check a terms form; every problem at once."""
    problems: list[str] = []
    out: dict[str, object] = {}
    checks = {
        "consignor": lambda: clean_reference(consignor),
        "commission": lambda: parse_commission(commission, currency),
        "charges": lambda: parse_charges(charges, currency),
        "lot_fee": lambda: parse_fee(lot_fee, currency, _("The lot fee")),
        "unsold_fee": lambda: parse_fee(unsold_fee, currency, _("The unsold fee")),
        "payout_days": lambda: parse_days(payout_days),
    }
    for name, check in checks.items():
        try:
            out[name] = check()
        except DeskError as exc:
            problems += exc.messages
    if problems:
        raise DeskError(problems)
    return TermsForm(
        str(out["consignor"]),
        out["commission"],  # type: ignore[arg-type]
        vat_on_commission,
        out["charges"],  # type: ignore[arg-type]
        int(out["lot_fee"]),  # type: ignore[call-overload]
        int(out["unsold_fee"]),  # type: ignore[call-overload]
        int(out["payout_days"]),  # type: ignore[call-overload]
        absolute,
    )


def clean_reference(text: str) -> str:
    """A consignor's reference, as the lots carry it ("C-102"); the store checks the rest."""
    ref = text.strip()
    if not ref:
        raise DeskError([_("Give the consignor's reference (as on the lots).")])
    return clean_text(ref, _("The reference"), limit=64)


def parse_days(text: str) -> int:
    value = text.strip() or "0"
    if not value.isdigit() or int(value) > 365:
        raise DeskError([_("Payout days is a whole number of days from 0 to 365.")])
    return int(value)


def settlement_figures(doc: SettlementDoc) -> dict[str, str]:
    c = doc.currency
    return {
        "hammer": money(doc.hammer, c),
        "deductions": money(doc.deductions, c),
        "net": money(doc.net, c),
        "paid_out": money(doc.paid_out, c),
        "due": money(doc.due, c),
        "payout_date": doc.payout_date or "—",
    }


def payout_request(
    consignor: str, amount_text: str, method: str, reference: str, currency: str, due: int | None
) -> tuple[str, int, str, str]:
    """A payout form → (consignor, amount, method, reference); refuses more than is due."""
    problems: list[str] = []
    try:
        ref = clean_reference(consignor)
    except DeskError as exc:
        problems += exc.messages
    try:
        amount = parse_amount(amount_text, currency)
        if due is not None and amount > due:
            problems.append(
                _("That is more than is due ({money}).").format(money=money(max(due, 0), currency))
            )
    except DeskError as exc:
        problems += exc.messages
    try:
        note = clean_text(reference, _("The reference"))
    except DeskError as exc:
        problems += exc.messages
    if method not in METHODS:
        problems.append(_("Choose a payout method."))
    if problems:
        raise DeskError(problems)
    return ref, amount, method, note
