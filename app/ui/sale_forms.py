"""The sale-day forms as plain functions: what the operator typed becomes the command (or the
new sale's spec) to send, or the messages to show on the form. No Qt: the dialogs and panels
are thin shells around these, and the tests drive these directly with hostile input.

Every function raises `FormError` (all the problems at once, one line each) and never returns
half a command: a form with one bad field sends nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.formatting import decimals, format_money, format_plain_amount, parse_money
from app.i18n import N_, _

JSON = dict[str, Any]

# The same pattern and words as the engine and the CLI (a sale id names a file).
SALE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
SALE_ID_RULE = N_("1 to 64 letters, digits, '-' or '_', starting with a letter or digit")
TIE_POLICIES = {
    "first_received": N_("First bid received wins"),
    "floor_priority": N_("The room wins"),
}
VAT_SCHEMES = ("margin", "standard", "reduced", "zero", "import")
VAT_LABELS = {
    "margin": N_("margin"),
    "standard": N_("standard"),
    "reduced": N_("reduced"),
    "zero": N_("zero"),
    "import": N_("import"),
}
STATUSES = ("draft", "live", "closed")
STATUS_WORDS = {"draft": N_("DRAFT"), "live": N_("LIVE"), "closed": N_("CLOSED")}
MAX_SESSIONS = 20
MAX_BANDS = 10
MAX_MESSAGE = 500
MAX_LINE = 200
# C0 controls other than tab/newline/CR, and DEL: the engine refuses them, so does every form.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\t\u2028\u2029]")
_TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")


class FormError(ValueError):
    """What is wrong with a form, one message per problem."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


class _Problems:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def check(self) -> None:
        if self.messages:
            raise FormError(self.messages)


def clean_line(
    text: str, what: str, problems: _Problems, *, limit: int = MAX_LINE, required: bool = False
) -> str:
    """One line of text: trimmed, no control characters or line breaks, at most `limit`."""
    return _clean(text, what, problems, limit=limit, required=required, lines=False)


def clean_text(
    text: str, what: str, problems: _Problems, *, limit: int, required: bool = False
) -> str:
    """Several lines of text (a message, a condition report): no control characters."""
    return _clean(text, what, problems, limit=limit, required=required, lines=True)


def _clean(
    text: str, what: str, problems: _Problems, *, limit: int, required: bool, lines: bool
) -> str:
    value = text.strip()
    if required and not value:
        problems.add(_("{what}: required").format(what=what))
    elif len(value) > limit:
        problems.add(_("{what}: at most {limit} characters").format(what=what, limit=limit))
    elif _CONTROL.search(value) or (not lines and _LINE_BREAK.search(value)):
        allowed = "" if lines else " " + _("or line breaks")
        problems.add(
            _("{what}: control characters{allowed} are not allowed").format(
                what=what, allowed=allowed
            )
        )
    return value


def parse_start(text: str) -> str:
    """A session start as typed ("2026-12-05 10:00" or "2026-12-05T10:00") → "2026-12-05T10:00"."""
    raw = text.strip()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(raw, fmt).strftime("%Y-%m-%dT%H:%M")
        except ValueError:
            continue
    raise ValueError(_("not a date and time (YYYY-MM-DD HH:MM): {raw!r}").format(raw=raw[:40]))


def _percent_bp(text: str) -> int:
    """ "20", "20%", "14.5 %" → basis points (2000, 1450); 0..100 % with at most 2 decimals."""
    raw = text.strip().removesuffix("%").strip().replace(",", ".")
    if not re.fullmatch(r"\d{1,3}(\.\d{1,2})?", raw):
        raise ValueError(_("not a percentage: {text!r}").format(text=text.strip()[:20]))
    whole, _sep, frac = raw.partition(".")
    bp = int(whole) * 100 + int(frac.ljust(2, "0") or 0)
    if bp > 10_000:
        raise ValueError(_("a rate is at most 100 %"))
    return bp


def format_bp(bp: int) -> str:
    """2000 → "20 %"; 1450 → "14.5 %"."""
    whole, rest = divmod(int(bp), 100)
    return f"{whole}.{rest:02d}".rstrip("0").rstrip(".") + " %" if rest else f"{whole} %"


def parse_premium(text: str, currency: str) -> list[list[int]]:
    """The buyer's premium bands, one per line "FROM: RATE%" (FROM in major units, "0: 25%"),
    marginal per band, the first from 0, ascending → `[[from_minor, rate_bp], ...]`.
    Empty text: no premium (`[]`)."""
    bands: list[list[int]] = []
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) > MAX_BANDS:
        raise ValueError(_("at most {n} bands").format(n=MAX_BANDS))
    for number, line in enumerate(lines, start=1):
        amount, sep, rate = line.rpartition(":")
        if not sep:
            raise ValueError(
                _("band {number}: write it as 'FROM: RATE%', e.g. '0: 25%'").format(number=number)
            )
        try:
            start = parse_money(amount, currency)
        except ValueError as exc:
            raise ValueError(_("band {number}: {error}").format(number=number, error=exc)) from None
        try:
            bp = _percent_bp(rate)
        except ValueError as exc:
            raise ValueError(_("band {number}: {error}").format(number=number, error=exc)) from None
        if bands and start <= bands[-1][0]:
            raise ValueError(_("band {number}: the bands must go up").format(number=number))
        bands.append([start, bp])
    if bands and bands[0][0] != 0:
        raise ValueError(_("the first band starts at 0"))
    return bands


def format_premium(bands: Iterable[Sequence[int]], currency: str) -> str:
    """The inverse of `parse_premium`, for the edit field."""
    return "\n".join(
        f"{format_plain_amount(int(b[0]), currency)}: {format_bp(int(b[1]))}" for b in bands
    )


def _number(text: str, what: str, lo: float, hi: float, problems: _Problems) -> float:
    raw = text.strip().replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        problems.add(_("{what}: not a number").format(what=what))
        return lo
    if not (lo <= value <= hi) or value != value:
        problems.add(_("{what}: between {lo:g} and {hi:g}").format(what=what, lo=lo, hi=hi))
        return lo
    return value


@dataclass(slots=True)
class RulesForm:
    """The house rules as typed. `ladder` is a ladder's rows (None: keep the sale's own)."""

    tie_policy: str = "first_received"
    late_window: str = "3"
    reopen_window: str = "120"
    subject_to: bool = False
    subject_to_hours: str = "48"
    confirm_online: bool = False
    auto_absentee: bool = True
    buyer_premium: str = ""
    vat_rate: str = "20"
    ladder: list[list[int]] | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> RulesForm:
        currency = str(settings.get("currency") or "EUR")
        window = settings.get("subject_to_window")
        return cls(
            tie_policy=str(settings.get("tie_policy") or "first_received"),
            late_window=f"{float(settings.get('late_window', 3.0)):g}",
            reopen_window=f"{float(settings.get('reopen_window', 120.0)):g}",
            subject_to=bool(settings.get("subject_to")),
            subject_to_hours=f"{float(window) / 3600:g}" if window is not None else "48",
            confirm_online=bool(settings.get("confirm_online")),
            auto_absentee=bool(settings.get("auto_absentee", True)),
            buyer_premium=format_premium(settings.get("buyer_premium") or (), currency),
            vat_rate=format_bp(int(settings.get("vat_rate_bp") or 0)).removesuffix(" %"),
        )


def parse_rules(form: RulesForm, currency: str, problems: _Problems | None = None) -> JSON:
    """The `settings` object of `configure` (and of a new sale) from the rules form."""
    own = problems is None
    problems = problems or _Problems()
    out: JSON = {}
    if form.tie_policy not in TIE_POLICIES:
        problems.add(_("Ties: one of {choices}").format(choices=", ".join(TIE_POLICIES)))
    out["tie_policy"] = form.tie_policy
    out["late_window"] = _number(form.late_window, _("Late-bid window (s)"), 0, 60, problems)
    out["reopen_window"] = _number(form.reopen_window, _("Reopen window (s)"), 0, 3600, problems)
    hours = _number(form.subject_to_hours, _("Subject-to window (h)"), 1, 720, problems)
    out["subject_to"] = bool(form.subject_to)
    out["subject_to_window"] = round(hours * 3600)
    out["confirm_online"] = bool(form.confirm_online)
    out["auto_absentee"] = bool(form.auto_absentee)
    try:
        out["buyer_premium"] = parse_premium(form.buyer_premium, currency)
    except ValueError as exc:
        problems.add(_("Buyer's premium: {exc}").format(exc=exc))
    try:
        out["vat_rate_bp"] = _percent_bp(form.vat_rate or "0")
    except ValueError as exc:
        problems.add(_("VAT rate: {exc}").format(exc=exc))
    if form.ladder is not None:
        out["ladder"] = [list(row) for row in form.ladder]
    if own:
        problems.check()
    return out


def changed_settings(new: Mapping[str, Any], old: Mapping[str, Any]) -> JSON:
    """Only what differs from the sale's settings (a Save with no change sends nothing)."""
    return {k: v for k, v in new.items() if old.get(k) != v}


# ---------------------------------------------------------------------- a new sale


@dataclass(slots=True)
class SessionRow:
    name: str = ""
    starts: str = ""
    from_lot: str = ""
    to_lot: str = ""

    def blank(self) -> bool:
        return not (self.name.strip() or self.starts.strip() or self.from_lot or self.to_lot)


@dataclass(slots=True)
class SaleForm:
    id: str = ""
    title: str = ""
    house: str = ""
    currency: str = "EUR"
    timezone: str = "Europe/London"
    sessions: list[SessionRow] = field(default_factory=list)
    rules: RulesForm = field(default_factory=RulesForm)


def check_sale_id(sale_id: str, existing: Iterable[str] = ()) -> str | None:
    """Why `sale_id` cannot name a new sale, or None."""
    if not SALE_ID.fullmatch(sale_id):
        return _("Sale id: {rule}").format(rule=_(SALE_ID_RULE))
    if sale_id.lower() in {s.lower() for s in existing}:
        return _("Sale id: a sale '{sale_id}' already exists").format(sale_id=sale_id)
    return None


def _sessions(rows: Sequence[SessionRow], problems: _Problems) -> list[JSON]:
    rows = [r for r in rows if not r.blank()]
    if len(rows) > MAX_SESSIONS:
        problems.add(_("Sessions: at most {n}").format(n=MAX_SESSIONS))
        return []
    out: list[JSON] = []
    names: set[str] = set()
    for n, row in enumerate(rows, start=1):
        what = _("Session {n}").format(n=n)
        name = clean_line(
            row.name, _("{what} name").format(what=what), problems, limit=100, required=True
        )
        if name and name.lower() in names:
            problems.add(_("{what}: the name '{name}' is used twice").format(what=what, name=name))
        names.add(name.lower())
        try:
            starts = parse_start(row.starts)
        except ValueError as exc:
            problems.add(_("{what} start: {exc}").format(what=what, exc=exc))
            starts = ""
        if out and starts and out[-1]["starts"] and starts <= out[-1]["starts"]:
            problems.add(_("{what}: starts before the session above ends").format(what=what))
        from_lot = clean_line(
            row.from_lot, _("{what} from lot").format(what=what), problems, limit=32
        )
        to_lot = clean_line(row.to_lot, _("{what} to lot").format(what=what), problems, limit=32)
        out.append({"name": name, "starts": starts, "from_lot": from_lot, "to_lot": to_lot})
    return out


def sale_spec(form: SaleForm, existing: Iterable[str] = ()) -> JSON:
    """The new sale's spec for `create_sale`: `{id, title, house, timezone, sessions,
    settings}` (currency in the settings)."""
    problems = _Problems()
    sale_id = form.id.strip()
    why = check_sale_id(sale_id, existing)
    if why:
        problems.add(why)
    title = clean_line(form.title, _("Title"), problems, limit=200, required=True)
    house = clean_line(form.house, _("House"), problems, limit=200, required=True)
    currency = form.currency.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        problems.add(_("Currency: a three-letter ISO 4217 code, e.g. EUR"))
        currency = "EUR"
    tz = form.timezone.strip()
    try:
        if not re.fullmatch(r"[A-Za-z0-9_+\-/]{1,64}", tz):
            raise ValueError
        ZoneInfo(tz)
    except (ValueError, ZoneInfoNotFoundError):
        problems.add(
            _("Timezone: not a known time zone (e.g. Europe/London): {tz!r}").format(tz=tz[:40])
        )
    sessions = _sessions(form.sessions, problems)
    settings = parse_rules(form.rules, currency, problems)
    settings["currency"] = currency
    if not settings.get("buyer_premium"):
        settings.pop("buyer_premium", None)  # none: the store takes bands or nothing
    problems.check()
    return {
        "id": sale_id,
        "title": title,
        "house": house,
        "timezone": tz,
        "sessions": sessions,
        "settings": settings,
    }


# ---------------------------------------------------------------------- what bidders see


def rules_text(rules: Mapping[str, Any], currency: str | None = None) -> list[str]:
    """The house rules in the words a bidder reads ("Rules of this sale")."""
    cur = str(currency or rules.get("currency") or "EUR")
    tie = str(rules.get("tie_policy"))
    lines = [_("Ties: {rule}.").format(rule=_(TIE_POLICIES.get(tie, tie)))]
    late = float(rules.get("late_window") or 0)
    if late:
        lines.append(
            _("A bid up to {late:g} s after the hammer is shown to the auctioneer.").format(
                late=late
            )
        )
    if rules.get("confirm_online"):
        lines.append(_("Online bids count once the clerk accepts them."))
    if rules.get("auto_absentee", True):
        lines.append(_("Commission bids are executed by the house, at the lowest price needed."))
    if rules.get("subject_to"):
        window = rules.get("subject_to_window")
        if window:
            text = _(
                "Lots below the reserve may be sold 'subject to' the vendor's approval within "
                "{hours:g} h."
            ).format(hours=float(window) / 3600)
        else:
            text = _("Lots below the reserve may be sold 'subject to' the vendor's approval.")
        lines.append(text)
    bands = [list(b) for b in rules.get("buyer_premium") or ()]
    if bands:
        parts = []
        for i, (start, bp) in enumerate(bands):
            if i + 1 < len(bands):
                parts.append(
                    _("{rate} up to {amount}").format(
                        rate=format_bp(bp), amount=format_money(bands[i + 1][0], cur)
                    )
                )
            elif len(bands) > 1:
                parts.append(
                    _("{rate} above {amount}").format(
                        rate=format_bp(bp), amount=format_money(start, cur)
                    )
                )
            else:
                parts.append(format_bp(bp))
        lines.append(
            _("Buyer's premium: {bands} of the hammer price.").format(bands="; ".join(parts))
        )
    vat = rules.get("vat_rate_bp")
    if vat is not None:
        lines.append(_("VAT: {rate} where it applies.").format(rate=format_bp(int(vat))))
    return lines


def status_text(sale: Mapping[str, Any]) -> tuple[str, str]:
    """The sale's state for the header: (text, level) with level draft|live|closed|break."""
    status = str(sale.get("status") or "live")
    pause = sale.get("break")
    if status == "live" and isinstance(pause, Mapping):
        nxt = pause.get("next_start")
        if nxt:
            text = _("SESSION BREAK · next {start}").format(start=str(nxt).replace("T", " "))
            return text, "break"
        return _("SESSION BREAK"), "break"
    sessions = sale.get("sessions") or []
    index = sale.get("session")
    if status == "live" and sessions and isinstance(index, int) and 0 <= index < len(sessions):
        return _("LIVE · {session}").format(session=sessions[index].get("name")), "live"
    return _(STATUS_WORDS.get(status, status.upper())), status if status in STATUSES else "live"


# ---------------------------------------------------------------------- lots

LOT_TEXT = {"title": 1_000, "category": 100, "consignor": 64}
LOT_MONEY = ("low", "high", "start", "reserve")


@dataclass(slots=True)
class LotForm:
    id: str = ""
    title: str = ""
    description: str = ""
    low: str = ""
    high: str = ""
    start: str = ""
    reserve: str = ""
    quantity: str = "1"
    category: str = ""
    condition: str = ""
    consignor: str = ""
    vat: str = "margin"
    arr: bool = False

    @classmethod
    def from_lot(cls, lot: Mapping[str, Any], currency: str) -> LotForm:
        est = lot.get("estimate") or {}

        def money(value: Any) -> str:
            return format_plain_amount(value, currency) if value is not None else ""

        return cls(
            id=str(lot.get("id") or ""),
            title=str(lot.get("title") or ""),
            description=str(lot.get("description") or ""),
            low=money(est.get("low")),
            high=money(est.get("high")),
            start=money(lot.get("start") or None),
            reserve=money(lot.get("reserve")),
            quantity=str(lot.get("quantity") or 1),
            category=str(lot.get("category") or ""),
            condition=str(lot.get("condition") or ""),
            consignor=str(lot.get("consignor") or ""),
            vat=str(lot.get("vat") or "margin"),
            arr=bool(lot.get("arr")),
        )


def lot_fields(form: LotForm, currency: str, problems: _Problems) -> JSON:
    """Every field of the lot form as the engine's lot object (without the id)."""
    out: JSON = {}
    out["title"] = clean_line(form.title, _("Title"), problems, limit=1_000, required=True)
    out["description"] = clean_text(form.description, _("Description"), problems, limit=10_000)
    for key, what in (
        ("low", _("Low estimate")),
        ("high", _("High estimate")),
        ("start", _("Start")),
    ):
        raw = getattr(form, key)
        if raw.strip():
            try:
                out[key] = parse_money(raw, currency)
            except ValueError as exc:
                problems.add(_("{what}: {error}").format(what=what, error=exc))
        else:
            out[key] = None if key != "start" else 0
    if form.reserve.strip():
        try:
            out["reserve"] = parse_money(form.reserve, currency)
        except ValueError as exc:
            problems.add(_("Reserve: {exc}").format(exc=exc))
    else:
        out["reserve"] = None
    low, high = out.get("low"), out.get("high")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.add(_("Estimate: the low estimate is above the high one"))
    qty = form.quantity.strip()
    if not re.fullmatch(r"\d{1,6}", qty) or int(qty) < 1:
        problems.add(_("Quantity: a whole number from 1"))
    else:
        out["quantity"] = int(qty)
    out["category"] = clean_line(form.category, _("Category"), problems, limit=100)
    out["condition"] = clean_text(form.condition, _("Condition"), problems, limit=10_000)
    out["consignor"] = clean_line(form.consignor, _("Consignor"), problems, limit=64)
    if form.vat not in VAT_SCHEMES:
        problems.add(_("VAT: one of {choices}").format(choices=", ".join(VAT_SCHEMES)))
    out["vat"] = form.vat
    out["arr"] = bool(form.arr)
    return out


def _lot_value(lot: Mapping[str, Any], key: str) -> Any:
    est = lot.get("estimate") or {}
    if key in ("low", "high"):
        return est.get(key)
    defaults = {"quantity": 1, "vat": "margin", "arr": False, "start": 0}
    value = lot.get(key)
    if value is None and key in defaults:
        return defaults[key]
    if value is None and key in ("title", "description", "category", "condition", "consignor"):
        return ""
    return value


def amendment(
    lot: Mapping[str, Any],
    form: LotForm,
    currency: str,
    *,
    live: bool,
    reason: str = "",
    notice: str = "",
) -> JSON:
    """`edit_lot` for what changed on the form. Live: an amendment, with a reason (journaled)
    and a saleroom notice (shown to everyone); draft: a free edit."""
    problems = _Problems()
    fields = lot_fields(form, currency, problems)
    if form.id.strip() and form.id.strip() != str(lot.get("id")):
        problems.add(_("Lot number: cannot be changed (withdraw the lot and add a new one)"))
    changes = {k: v for k, v in fields.items() if v != _lot_value(lot, k)}
    if not problems.messages and not changes:
        problems.add(_("Nothing changed"))
    cmd: JSON = {"op": "edit_lot", "lot": str(lot.get("id")), "changes": changes}
    if live:
        cmd["reason"] = clean_line(reason, _("Reason"), problems, limit=500, required=True)
        cmd["notice"] = clean_text(
            notice, _("Saleroom notice"), problems, limit=1_000, required=True
        )
    problems.check()
    return cmd


def new_lot(
    form: LotForm, existing: Iterable[str], currency: str, *, live: bool, reason: str = ""
) -> JSON:
    """`add_lot` from the form; live, a reason is required (the catalogue is frozen)."""
    problems = _Problems()
    lot_id = clean_line(form.id, _("Lot number"), problems, limit=32, required=True)
    if lot_id and lot_id in set(existing):
        problems.add(_("Lot number: lot {lot_id} already exists").format(lot_id=lot_id))
    fields = lot_fields(form, currency, problems)
    lot = {"id": lot_id, **{k: v for k, v in fields.items() if v is not None}}
    cmd: JSON = {"op": "add_lot", "lot": lot}
    if live:
        cmd["reason"] = clean_line(reason, _("Reason"), problems, limit=500, required=True)
    problems.check()
    return cmd


def reoffer_command(lot: Mapping[str, Any] | None, reason: str = "") -> JSON:
    """`reoffer` for a passed lot."""
    problems = _Problems()
    if lot is None:
        raise FormError([_("Choose a passed lot first")])
    if lot.get("status") != "passed":
        problems.add(
            _("Lot {id} is not passed: only a passed lot can be re-offered").format(
                id=lot.get("id")
            )
        )
    text = clean_line(reason, _("Reason"), problems, limit=500)
    problems.check()
    cmd: JSON = {"op": "reoffer", "lot": str(lot.get("id"))}
    if text:
        cmd["reason"] = text
    return cmd


def subject_to_lots(lots: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Lots sold provisionally ("subject to" the vendor), in catalogue order."""
    out = [
        lot
        for lot in lots
        if lot.get("status") == "sold" and bool((lot.get("hammer") or {}).get("subject_to"))
    ]
    return sorted(out, key=lambda lot: lot.get("order") or 0)


# ---------------------------------------------------------------------- messages, sessions


def _paddle(text: str, bidders: Iterable[Mapping[str, Any]], problems: _Problems) -> str:
    paddle = text.strip()
    if not re.fullmatch(r"\d{1,9}", paddle):
        problems.add(_("Paddle: a paddle number"))
    elif paddle not in {str(b.get("paddle")) for b in bidders}:
        problems.add(_("Paddle: {paddle} is not registered").format(paddle=paddle))
    return paddle


def message_command(text: str, paddle: str = "", bidders: Iterable[Mapping[str, Any]] = ()) -> JSON:
    """`message` to every online bidder (no paddle) or to one registered paddle."""
    problems = _Problems()
    body = clean_text(text, _("Message"), problems, limit=MAX_MESSAGE, required=True)
    cmd: JSON = {"op": "message", "text": body}
    if paddle.strip():
        cmd["paddle"] = _paddle(paddle, bidders, problems)
    problems.check()
    return cmd


def end_session_command(message: str, next_start: str = "") -> JSON:
    """`end_session` with the message every screen shows and the next session's start."""
    problems = _Problems()
    cmd: JSON = {"op": "end_session"}
    text = clean_text(message, _("Message"), problems, limit=MAX_MESSAGE)
    if text:
        cmd["message"] = text
    if next_start.strip():
        try:
            cmd["next_start"] = parse_start(next_start)
        except ValueError as exc:
            problems.add(_("Next session: {exc}").format(exc=exc))
    problems.check()
    return cmd


# ---------------------------------------------------------------------- phones


def phone_command(
    paddle: str,
    from_lot: str,
    to_lot: str,
    operator: str,
    *,
    order: Sequence[str],
    bidders: Iterable[Mapping[str, Any]],
    booked: Iterable[Mapping[str, Any]] = (),
) -> JSON:
    """`book_phone`: a paddle on the lots from..to (running order) with an operator."""
    problems = _Problems()
    paddle = _paddle(paddle, bidders, problems)
    name = clean_line(operator, _("Operator"), problems, limit=64, required=True)
    first, last = from_lot.strip(), (to_lot.strip() or from_lot.strip())
    index = {lot: i for i, lot in enumerate(order)}
    for what, lot in ((_("From lot"), first), (_("To lot"), last)):
        if lot not in index:
            problems.add(
                _("{what}: no lot {lot!r} in this sale").format(what=what, lot=lot[:32])
                if lot
                else _("{what}: required").format(what=what)
            )
    if first in index and last in index:
        if index[first] > index[last]:
            problems.add(_("Lots: 'from' comes after 'to' in the running order"))
        else:
            span = set(order[index[first] : index[last] + 1])
            for b in booked:
                if str(b.get("paddle")) != paddle:
                    continue
                other = set(lots_between(order, str(b.get("from_lot")), str(b.get("to_lot"))))
                if span & other:
                    problems.add(
                        _(
                            "Paddle {paddle} is already booked on lots {from_lot}–{to_lot} "
                            "({operator})"
                        ).format(
                            paddle=paddle,
                            from_lot=b.get("from_lot"),
                            to_lot=b.get("to_lot"),
                            operator=b.get("operator"),
                        )
                    )
                    break
    problems.check()
    return {
        "op": "book_phone",
        "paddle": paddle,
        "from_lot": first,
        "to_lot": last,
        "operator": name,
    }


def lots_between(order: Sequence[str], first: str, last: str) -> list[str]:
    """The lots from `first` to `last` in the running order (empty if either is unknown)."""
    if first not in order or last not in order:
        return []
    i, j = order.index(first), order.index(last)
    return list(order[i : j + 1])


def next_call(
    order: Sequence[str], current: str | None, waiting: Iterable[str], span: Sequence[str]
) -> str:
    """What a phone operator needs to know about a booking: the next lot of the range still to
    come and how far away it is in the running order ("5 · 3 lots away", "5 · on the block")."""
    if current in span and current is not None:
        return _("{lot} · on the block").format(lot=current)
    left = set(waiting)
    nxt = next((lot for lot in span if lot in left), None)
    if nxt is None:
        return _("done")
    if current not in order:
        return nxt
    away = order.index(nxt) - order.index(current)
    if away <= 0:
        return nxt
    text = _("{lot} · 1 lot away") if away == 1 else _("{lot} · {away} lots away")
    return text.format(lot=nxt, away=away)


def by_operator(phones: Iterable[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Bookings grouped per operator (each operator's card), operators alphabetically."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for booking in phones:
        out.setdefault(str(booking.get("operator") or ""), []).append(booking)
    return sorted(out.items(), key=lambda kv: kv[0].lower())


def decimals_hint(currency: str) -> str:
    """ "1,200.50" or "1,200" for money fields' placeholders."""
    return "1200.50" if decimals(currency) else "1200"
