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
