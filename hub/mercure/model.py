"""The dialect-neutral request model, plus the strict form parser shared by both dialects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl

from . import errors
from .topics import Selector
from .update import Update

_DIGITS = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    """What a subscribe request asks for, whichever dialect it was written in."""

    dialect: str  # "v1" (draft-08) or "v0" (draft-07)
    selectors: tuple[Selector, ...]
    cursor: str | None  # Last-Event-ID header, else the dialect's query param
    token: str | None
    token_from_cookie: bool


def parse_form(raw: str | bytes, max_fields: int) -> list[tuple[str, str]]:
    """``application/x-www-form-urlencoded`` → pairs. Invalid UTF-8 or too many fields → 400.

    Field count over the limit is a size problem (413) for bodies, so callers pick.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("ascii")  # a valid form body is pure ASCII
        except UnicodeDecodeError:
            raise errors.bad_request("form body is not URL-encoded") from None
    if len(raw) <= 1024:
        # Thousands of browsers reconnecting at once send the same few queries (issue 17).
        return list(_parse_short(raw, max_fields))
    return _parse(raw, max_fields)


@lru_cache(maxsize=256)
def _parse_short(raw: str, max_fields: int) -> tuple[tuple[str, str], ...]:
    return tuple(_parse(raw, max_fields))


def _parse(raw: str, max_fields: int) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            raw,
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=max_fields,
        )
    except UnicodeDecodeError:
        raise errors.bad_request("invalid UTF-8 in form") from None
    except ValueError:
        raise errors.too_large("too many fields") from None


def parse_publish_form(pairs: list[tuple[str, str]]) -> Update:
    """The publication fields (same in both dialects). Unknown fields are ignored (P8)."""
    topics: list[str] = []
    first: dict[str, str] = {}
    private = False
    for name, value in pairs:
        if name == "topic":
            topics.append(value)
        elif name == "private":
            private = True  # presence, never the value (P4)
        elif name in ("data", "id", "type", "retry"):
            first.setdefault(name, value)
    retry: int | None = None
    if "retry" in first:
        if not _DIGITS.fullmatch(first["retry"]):
            raise errors.bad_request("invalid retry")
        retry = int(first["retry"])
    return Update(
        topics=tuple(topics),
        data=first.get("data", ""),
        id=first.get("id", ""),
        type=first.get("type", ""),
        private=private,
        retry=retry,
    )
