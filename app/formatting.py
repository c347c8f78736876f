"""Pure formatting helpers: money in minor units, durations, channels. No Qt.

In English the app's own formats are kept; in another language numbers and money follow the
locale through Babel ("1.200 €" in German, "1 200 €" in French). Money stays an int of the
minor unit until it is shown here."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.numbers import format_currency, format_decimal

from app.i18n import N_, _, babel_locale

# Shared with post-sale (hub/backend), which may not import the app.
from hub.backend.money import decimals as decimals
from hub.backend.money import format_plain_amount as format_plain_amount
from hub.backend.results import STATUS_LABELS as STATUS_LABELS
from hub.backend.results import status_label as core_status_label

_SYMBOLS = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "JPY": "¥",
    "CHF": "CHF ",
    "SEK": "SEK ",
    "NOK": "NOK ",
    "DKK": "DKK ",
    "AUD": "A$",
    "CAD": "C$",
    "HKD": "HK$",
    "CNY": "CN¥",
}
DASH = "—"


def format_money(minor: int | None, currency: str = "EUR", *, always_cents: bool = False) -> str:
    """`123450` EUR → "€1,234.50"; whole amounts drop the cents ("€1,200"). None → "—".

    Args:
        minor: the amount in the currency's minor unit.
        currency: ISO 4217 code of the sale.
        always_cents: keep ".00" on whole amounts (exports).
    """
    if minor is None:
        return DASH
    digits = decimals(currency)
    if babel_locale() != "en":
        return _locale_money(int(minor), currency, digits, always_cents)
    sign = "-" if minor < 0 else ""
    major, rest = divmod(abs(int(minor)), 10**digits)
    text = f"{major:,}"
    if digits and (rest or always_cents):
        text += f".{rest:0{digits}d}"
    symbol = _SYMBOLS.get(currency.upper(), currency.upper() + " ")
    return f"{sign}{symbol}{text}"


def _locale_money(minor: int, currency: str, digits: int, always_cents: bool) -> str:
    """Money in the app's locale: Babel's pattern; whole amounts without the cents."""
    amount = Decimal(minor).scaleb(-digits)
    whole = not always_cents and minor % 10**digits == 0
    pattern = None
    if whole:  # the locale's own pattern without its decimals
        standard = Locale.parse(babel_locale()).currency_formats["standard"].pattern
        pattern = re.sub(r"\.0+", "", standard)
    return format_currency(
        amount, currency.upper(), pattern, locale=babel_locale(), currency_digits=not whole
    )


def format_number(value: int | float) -> str:
    """A count or figure with the locale's grouping ("12,345"; "12.345" in German)."""
    return format_decimal(value, locale=babel_locale())


def status_label(status: str | None) -> str:
    """A lot's status as the app says it ("Fair warning")."""
    return _(core_status_label(status))


_MONEY = re.compile(r"^\d{1,13}(?:[.,]\d+)?$")


def parse_money(text: str, currency: str = "EUR") -> int:
    """A typed or imported amount in major units → minor units.

    Accepts "1200", "1,200", "1 200", "1.200,50" (European), "1,200.50", "€1,200".
    Raises ValueError with a reason for anything else (negative, too many decimals, words).
    """
    raw = text.strip()
    for symbol in (*_SYMBOLS.values(), currency.upper()):
        raw = raw.replace(symbol.strip(), "")
    raw = raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "").strip()
    if not raw:
        raise ValueError(_("empty amount"))
    if raw.startswith("-"):
        raise ValueError(_("negative amount"))
    digits = decimals(currency)
    # Decide which separator is the decimal one: the last one, if followed by 1..digits digits.
    last = max(raw.rfind("."), raw.rfind(","))
    if (
        last >= 0
        and 0 < len(raw) - last - 1 <= max(digits, 0)
        and (raw.count(raw[last]) == 1 or (raw[last] == "." and "," in raw[:last]))
    ):
        whole, frac = raw[:last], raw[last + 1 :]
    else:
        whole, frac = raw, ""
    whole = whole.replace(",", "").replace(".", "")
    if not whole:
        whole = "0"
    if (
        not whole.isdigit()
        or (frac and not frac.isdigit())
        or not _MONEY.match(whole + ("." + frac if frac else ""))
    ):
        raise ValueError(_("not an amount: {text!r}").format(text=text.strip()[:40]))
    if len(frac) > digits:
        raise ValueError(_("too many decimals"))
    return int(whole) * 10**digits + (int(frac.ljust(digits, "0")) if digits else 0)


def format_estimate(low: int | None, high: int | None, currency: str = "EUR") -> str:
    """ "€800 – €1,200", or one side only, or "—"."""
    if low is None and high is None:
        return DASH
    if low is None:
        return _("up to {amount}").format(amount=format_money(high, currency))
    if high is None:
        return _("from {amount}").format(amount=format_money(low, currency))
    return f"{format_money(low, currency)} – {format_money(high, currency)}"


def format_duration(seconds: float | None) -> str:
    """12 → "12s"; 75 → "1m 15s"; 3720 → "1h 02m". None → "—"."""
    if seconds is None:
        return DASH
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {(s % 3600) // 60:02d}m"


CHANNEL_LABELS = {
    "floor": N_("Room"),
    "phone": N_("Phone"),
    "online": N_("Online"),
    "absentee": N_("Commission"),
    "house": N_("House"),
}


def channel_label(channel: str | None) -> str:
    return _(CHANNEL_LABELS.get(channel or "", (channel or "").title() or DASH))


def bidder_label(high: dict[str, object] | None) -> str:
    """ "Room · paddle 101", "Online · paddle 7001", "Room (no paddle)"."""
    if not high:
        return DASH
    if high.get("house") or high.get("channel") == "house":
        return _("House bid (for the vendor)")  # disclosed, as the law requires
    channel = channel_label(str(high.get("channel") or ""))
    paddle = high.get("paddle")
    if paddle:
        return _("{channel} · paddle {paddle}").format(channel=channel, paddle=paddle)
    return _("{channel} (no paddle)").format(channel=channel)


def relay_light(status: Any) -> tuple[str, str]:
    """The relay light: (level, detail) from a `RelayStatus` (None: no relay configured)."""
    if status is None:
        return "off", _("not configured")
    if not status.connected:
        reason = f": {status.reason}" if status.reason else ""
        return ("bad" if status.state == "refused" else "warn"), f"{status.state}{reason}"[:60]
    detail = _("lag {lag} · queued {queued} · {remote} remote").format(
        lag=status.lag, queued=status.queued, remote=status.remote_bidders
    )
    return ("ok" if status.lag < 50 else "warn"), detail


def book_text(books: Any, currency: str) -> str:
    """The auctioneer's book for a lot, highest first: "Book: 201 up to €1,800"."""
    if not books:
        return _("No commission bids")
    ranked = sorted(books, key=lambda b: (-int(b.get("max") or 0), b.get("order") or 0))
    parts = [
        _("{paddle} up to {amount}").format(
            paddle=b.get("paddle"), amount=format_money(b.get("max"), currency)
        )
        for b in ranked[:3]
    ]
    if len(ranked) > 3:
        return _("Book: {bids} (+{more} more)").format(bids=", ".join(parts), more=len(ranked) - 3)
    return _("Book: {bids}").format(bids=", ".join(parts))


def paddle_hint(bidders: list[dict[str, Any]], paddle: str, currency: str) -> tuple[str, bool]:
    """Who a typed paddle is, before the bid: (text, ok). Not registered or not approved is
    not ok (the engine would refuse the bid)."""
    paddle = paddle.strip()
    bidder = next((b for b in bidders if str(b.get("paddle")) == paddle), None)
    if bidder is None:
        return _("Paddle {paddle} is not registered").format(paddle=paddle), False
    who = str(bidder.get("name") or _("Paddle {paddle}").format(paddle=paddle))
    status = str(bidder.get("status") or "")
    if status != "approved":
        text = _("{who}: rejected") if status == "rejected" else _("{who}: not approved yet")
        return text.format(who=who), False
    limit = bidder.get("credit_limit")
    limit_text = (
        _("limit {amount}").format(amount=format_money(limit, currency))
        if limit is not None
        else _("no limit")
    )
    return f"{who} · {channel_label(str(bidder.get('channel') or ''))} · {limit_text}", True


def hammer_outcome(lot: dict[str, Any] | None, subject_to: bool = False) -> str:
    """What pressing Hammer does to `lot` now, as the engine decides it: "sell", "subject_to"
    (sold below the reserve, the vendor to confirm), "pass" (reserve not met), "no_bids",
    "bought_in" (the high bid is the house's), or "" (the lot is not live)."""
    if not lot or lot.get("status") not in ("open", "fair_warning"):
        return ""
    high = lot.get("high")
    if not high:
        return "no_bids"
    if high.get("house") or high.get("channel") == "house":
        return "bought_in"
    reserve = lot.get("reserve")
    if reserve is not None and int(high.get("amount") or 0) < int(reserve):
        return "subject_to" if subject_to else "pass"
    return "sell"
