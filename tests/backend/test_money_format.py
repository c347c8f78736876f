"""Amounts as documents print them: grouping, the currency's symbol or code, its decimals."""

from __future__ import annotations

import pytest

from hub.backend.money import format_money, format_rate


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (123450, "EUR", "€1,234.50"),
        (0, "EUR", "€0.00"),
        (5, "EUR", "€0.05"),
        (-1200, "GBP", "-£12.00"),
        (100000000000, "USD", "$1,000,000,000.00"),
        (100000, "CHF", "CHF 1,000.00"),
        (9995, "SEK", "SEK 99.95"),
        (1234567, "JPY", "JPY 1,234,567"),
        (1234567, "KWD", "KWD 1,234.567"),
        (123450, "eur", "€1,234.50"),
    ],
)
def test_format_money_english(minor, currency, text):
    assert format_money(minor, currency) == text


def test_format_money_german_and_french_put_the_symbol_after():
    assert format_money(123450, "EUR", "de") == "1.234,50\u00a0€"
    assert format_money(-123450, "EUR", "fr_FR") == "-1\u202f234,50\u00a0€"


def test_unknown_locale_reads_as_english():
    assert format_money(123450, "EUR", "xx") == "€1,234.50"


def test_none_prints_nothing():
    assert format_money(None, "EUR") == ""


@pytest.mark.parametrize("bad", [12.5, "100", True, 1e3])
def test_only_ints_are_money(bad):
    with pytest.raises(TypeError, match="minor unit"):
        format_money(bad, "EUR")


@pytest.mark.parametrize(
    ("bp", "text"),
    [(2500, "25\u00a0%"), (1450, "14.5\u00a0%"), (5, "0.05\u00a0%"), (0, "0\u00a0%")],
)
def test_format_rate(bp, text):
    assert format_rate(bp) == text
    assert format_rate(None) == ""
