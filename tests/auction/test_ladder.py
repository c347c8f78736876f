"""The increment ladder: the shipped table, and bad tables refused with a clear reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.auction.ladder import STANDARD, Ladder, LadderError

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_csv_is_the_standard_ladder():
    text = (ROOT / "resources" / "ladders" / "standard.csv").read_text("utf-8")
    assert Ladder.from_csv(text) == STANDARD


def test_increments_and_next_ask():
    assert STANDARD.increment(0) == 500
    assert STANDARD.increment(4_999) == 500
    assert STANDARD.increment(5_000) == 1_000
    assert STANDARD.next_ask(100_000) == 110_000


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "at least one row"),
        ("from,increment\n100,5\n", "start at 0"),
        ("0,5\n50,0\n", "positive"),
        ("0,5\n50,10\n40,10\n", "strictly increasing"),
        ("0,5\n50\n", "2 columns"),
        ("0,five\n", "whole number"),
    ],
)
def test_bad_tables_are_refused_with_the_reason(text, why):
    with pytest.raises(LadderError, match=why):
        Ladder.from_csv(text)
