"""The two text rules every door shares: one for identifiers, one for display text.

Identifiers (paddles, lot ids, consignor references) end up in topic IRIs, tokens, file
names and log lines, so they may hold no invisible or line-breaking character at all: no
control (C0, DEL, C1 including NEL U+0085), no format character (bidi overrides and
isolates, zero-width spaces, BOM), no line or paragraph separator (U+2028, U+2029), no
lone surrogate, no whitespace but the plain space, and at most `limit` characters.

Display text (names, phones, addresses, messages) may hold any printable character, format
characters included (Arabic and Hebrew names need the direction marks), but no control
character (LF and CR only where several lines are meant; never NEL, U+2028, U+2029), no
lone surrogate, and no bidi override (U+202D, U+202E: they reorder what follows, a spoofing
tool in a list).

Each rule returns the problem in words, or None; `check_*` raise ValueError with it.
Pure and stdlib only: the auction core, the gateway and the app all call it.
"""

from __future__ import annotations

import unicodedata

IDENTIFIER_LIMIT = 64
# Categories no identifier may contain: controls, format, surrogates, private use,
# line and paragraph separators.
_IDENTIFIER_BANNED = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_BIDI_OVERRIDES = frozenset({"\u202d", "\u202e"})


def _name(char: str) -> str:
    return f"U+{ord(char):04X}"


def identifier_problem(value: str, *, limit: int = IDENTIFIER_LIMIT) -> str | None:
    """Why `value` is not an acceptable identifier, or None if it is."""
    if not value:
        return "must not be empty"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    if value != value.strip(" "):
        return "must not start or end with a space"
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return "is not valid Unicode text (a lone surrogate)"
        if category in _IDENTIFIER_BANNED:
            return f"contains invisible or control characters ({_name(char)})"
        if category == "Zs" and char != " ":
            return f"contains a special space ({_name(char)}); use a plain space"
    return None


def text_problem(value: str, *, limit: int, multiline: bool = False) -> str | None:
    """Why `value` is not acceptable display text, or None if it is.

    With `multiline`, line feeds and carriage returns are allowed; a tab always is. NEL and
    the Unicode line and paragraph separators never are (they break lines only in some
    readers: a log line, a CSV row or a script would split where a page does not).
    """
    if len(value) > limit:
        return f"must be at most {limit} characters"
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return "is not valid Unicode text (a lone surrogate)"
        if char in "\n\r":
            if not multiline:
                return "must be a single line"
            continue
        if char == "\t":
            continue
        if category in ("Cc", "Zl", "Zp"):
            return f"contains control characters ({_name(char)})"
        if char in _BIDI_OVERRIDES:
            return f"contains a direction override ({_name(char)})"
    return None


def check_identifier(value: str, what: str, *, limit: int = IDENTIFIER_LIMIT) -> str:
    """`value` if it is an acceptable identifier, else ValueError("'what' ...")."""
    problem = identifier_problem(value, limit=limit)
    if problem is not None:
        raise ValueError(f"'{what}' {problem}")
    return value


def check_text(value: str, what: str, *, limit: int, multiline: bool = False) -> str:
    """`value` if it is acceptable display text, else ValueError("'what' ...")."""
    problem = text_problem(value, limit=limit, multiline=multiline)
    if problem is not None:
        raise ValueError(f"'{what}' {problem}")
    return value
