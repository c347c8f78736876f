"""SSE framing: one pre-encoded ``bytes`` frame per update, chunked transfer framing.

Only CR, LF and CRLF end an SSE line, so ``data`` is split on exactly those and every piece
becomes its own ``data:`` line: no data value can start a new field. ``id``/``event``/``retry``
are validated (no control or format characters) before they get here.
"""

from __future__ import annotations

import re

from .update import Update, has_bad_chars

_LINE_SPLIT = re.compile(r"\r\n|\r|\n")

HEARTBEAT = b":\n"


class FieldError(ValueError):
    """A value that cannot be put in an SSE field."""


def check_field(name: str, value: str) -> None:
    if has_bad_chars(value):
        raise FieldError(f"invalid character in {name}")


def encode(update: Update) -> bytes:
    """The SSE frame of ``update`` (ends with the blank line that dispatches the event)."""
    parts: list[str] = []
    if update.type:
        check_field("type", update.type)
        parts.append(f"event: {update.type}\n")
    if update.retry is not None:
        if update.retry < 0:
            raise FieldError("invalid retry")
        parts.append(f"retry: {update.retry}\n")
    if update.id:
        check_field("id", update.id)
        parts.append(f"id: {update.id}\n")
    for line in _LINE_SPLIT.split(update.data):
        parts.append(f"data: {line}\n")
    parts.append("\n")
    return "".join(parts).encode("utf-8")


def chunk(payload: bytes) -> bytes:
    """HTTP/1.1 chunked framing of ``payload`` (we write to the transport below aiohttp)."""
    return b"%x\r\n%b\r\n" % (len(payload), payload)


HEARTBEAT_CHUNK = chunk(HEARTBEAT)
