"""The update model and the character rules shared by ids, types and topics."""

from __future__ import annotations

import os
import time
import unicodedata
from dataclasses import dataclass, field

# Categories that must never reach an SSE field or a topic: Cc = C0/C1/DEL, Cf = format chars
# (bidi overrides, zero-width joiners...), Cs = lone surrogates (cannot be UTF-8 encoded).
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_ASCII_OK = frozenset(chr(c) for c in range(0x20, 0x7F))


def has_bad_chars(value: str) -> bool:
    """True if ``value`` holds a control, format (Unicode Cf) or surrogate character."""
    if value.isascii():
        return not _ASCII_OK.issuperset(value)
    return any(unicodedata.category(ch) in _BAD_CATEGORIES for ch in value)


def new_event_id() -> str:
    """A ``urn:uuid:`` UUIDv7: time ordered, hub-wide unique, opaque (no seq leaks)."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64
    value |= 0b10 << 62 | rand & ((1 << 62) - 1)
    h = f"{value:032x}"
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(slots=True)
class Update:
    """One Mercure update. ``topics[0]`` is canonical, the rest are alternates."""

    topics: tuple[str, ...]
    data: str = ""
    id: str = ""
    type: str = ""
    private: bool = False
    retry: int | None = None
    # Filled by the hub: the encoded SSE frame (bytes), built once and shared by all writers.
    frame: bytes = field(default=b"", repr=False, compare=False)
    # Filled by the hub: publication order, so a new subscriber skips what it predates.
    hub_seq: int = field(default=0, repr=False, compare=False)
