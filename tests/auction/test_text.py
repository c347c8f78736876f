"""The two text rules (issue 14, defect 8): identifiers and display text."""

from __future__ import annotations

import pytest

from hub.auction.text import (
    IDENTIFIER_LIMIT,
    check_identifier,
    check_text,
    identifier_problem,
    text_problem,
)


@pytest.mark.parametrize("value", ["7001", "A-12", "12a", "Lot 3", "Ø-7", "قطعة", "C.017_x"])
def test_identifiers_that_pass(value: str) -> None:
    assert identifier_problem(value) is None
    assert check_identifier(value, "paddle") == value


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "empty"),
        ("x" * (IDENTIFIER_LIMIT + 1), "at most"),
        (" 7", "space"),
        ("7 ", "space"),
        ("7\r", "control"),
        ("7\n8", "control"),
        ("7\x00", "control"),
        ("7\x1b[31m", "control"),
        ("7\x7f", "control"),
        ("7\x85", "control"),  # NEL, a C1 control
        ("7\x9b", "control"),  # CSI, a C1 control
        ("7\u2028", "control"),
        ("7\u2029", "control"),
        ("7\u202e", "control"),  # right-to-left override
        ("7\u2066", "control"),  # left-to-right isolate
        ("7\u200b", "control"),  # zero-width space
        ("\ufeff7", "control"),  # byte order mark
        ("7\ue000", "control"),  # private use
        ("7\ud800", "surrogate"),
        ("\udfff", "surrogate"),
        ("7\u00a08", "special space"),
        ("7\u30008", "special space"),
        ("7\t8", "control"),
    ],
)
def test_identifiers_refused(value: str, words: str) -> None:
    problem = identifier_problem(value)
    assert problem is not None
    assert words in problem
    with pytest.raises(ValueError, match="'paddle'"):
        check_identifier(value, "paddle")


def test_identifier_limit_is_the_callers() -> None:
    assert identifier_problem("x" * 32, limit=32) is None
    assert identifier_problem("x" * 33, limit=32) is not None


@pytest.mark.parametrize(
    "value",
    ["Ada Lovelace", "Zoë O'Brien-Šimić", "אבי\u200f כהן", "محمد\u200e", "+44 20 7946\t0958", ""],
)
def test_display_text_that_passes(value: str) -> None:
    assert text_problem(value, limit=200) is None
    assert check_text(value, "name", limit=200) == value


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("Ada\x00", "control"),
        ("Ada\x1b[2J", "control"),
        ("Ada\x85", "control"),
        ("Ada\u2028", "control"),
        ("Ada\u2029", "control"),
        ("Ada\ud800", "surrogate"),
        ("Ada\u202eevil", "override"),
        ("Ada\u202devil", "override"),
        ("Ada\nLovelace", "single line"),
        ("Ada\rLovelace", "single line"),
        ("x" * 201, "at most"),
    ],
)
def test_display_text_refused(value: str, words: str) -> None:
    problem = text_problem(value, limit=200)
    assert problem is not None
    assert words in problem
    with pytest.raises(ValueError, match="'name'"):
        check_text(value, "name", limit=200)


def test_multiline_text_takes_line_breaks_and_nothing_else() -> None:
    assert text_problem("one\r\ntwo\nthree", limit=100, multiline=True) is None
    for bad in ("one\x00", "one\x85two", "one\u2028two", "\ud800", "\u202e"):
        assert text_problem(bad, limit=100, multiline=True) is not None


def test_every_code_point_has_an_answer_and_the_rules_agree() -> None:
    """No code point crashes either rule; what an identifier takes, display text takes too
    (apart from the characters only identifiers refuse: format, private use, special spaces)."""
    for code in range(0x110000):
        char = chr(code)
        ident = identifier_problem(f"a{char}b")
        text = text_problem(char, limit=1)
        if ident is None:
            assert text is None, hex(code)
