"""Money as the sale keeps it: integers of the currency's minor unit. Pure, stdlib only."""

from __future__ import annotations

# Minor units per major unit (ISO 4217); everything not listed has two decimals.
_DECIMALS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "HUF": 2, "BHD": 3, "KWD": 3, "TND": 3}


def decimals(currency: str) -> int:
    """How many minor-unit digits `currency` has (ISO 4217; default 2)."""
    return _DECIMALS.get(currency.upper(), 2)


def format_plain_amount(minor: int | None, currency: str = "EUR") -> str:
    """An amount without symbol or grouping, for exports and edit fields: "1234.50"."""
    if minor is None:
        return ""
    digits = decimals(currency)
    if not digits:
        return str(minor)
    sign = "-" if minor < 0 else ""
    major, rest = divmod(abs(minor), 10**digits)
    return f"{sign}{major}.{rest:0{digits}d}" if rest else f"{sign}{major}"


# How an amount reads in a document: the symbol, and whether it stands before the figure.
# Currencies not listed print their ISO code ("SEK 1,234.50"), which is never ambiguous.
_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}
# Per locale: (grouping separator, decimal mark, symbol before the figure).
_LOCALES = {
    "en": (",", ".", True),
    "de": (".", ",", False),
    "fr": ("\u202f", ",", False),  # narrow no-break space, as French typography groups
}


def format_money(minor: int | None, currency: str = "EUR", locale: str = "en") -> str:
    """An amount as a document prints it, grouped and with its currency: "€1,234.50",
    "-£12.00", "CHF 1,000.00", "SEK 99.95"; de: "1.234,50 €". None prints as ""."""
    if minor is None:
        return ""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"money is an int of the minor unit, not {type(minor).__name__}")
    group, mark, before = _LOCALES.get(locale.split("-")[0].split("_")[0], _LOCALES["en"])
    code = currency.upper()
    digits = decimals(code)
    major, rest = divmod(abs(minor), 10**digits)
    figure = f"{major:,}".replace(",", group)
    if digits:
        figure += f"{mark}{rest:0{digits}d}"
    symbol = _SYMBOLS.get(code, code)
    sign = "-" if minor < 0 else ""
    if before:
        spacer = "" if len(symbol) == 1 else " "
        return f"{sign}{symbol}{spacer}{figure}"
    return f"{sign}{figure}\u00a0{symbol}"


def format_rate(rate_bp: int | None) -> str:
    """A rate in basis points as printed: 2500 → "25 %", 1450 → "14.5 %", 5 → "0.05 %"."""
    if rate_bp is None:
        return ""
    whole, rest = divmod(abs(rate_bp), 100)
    sign = "-" if rate_bp < 0 else ""
    frac = f"{rest:02d}".rstrip("0")
    return f"{sign}{whole}{'.' + frac if frac else ''}\u00a0%"
