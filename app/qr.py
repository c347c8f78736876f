"""QR codes of the join links, as PNG bytes (segno). No Qt: the widget loads the bytes."""

from __future__ import annotations

import io

import segno


def qr_png(data: str, scale: int = 4, border: int = 2, dark: str = "#111827") -> bytes:
    """`data` as a QR code PNG (error correction M, so a printed copy survives a crease)."""
    qr = segno.make(data, error="m", micro=False)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=border, dark=dark, light="#ffffff")
    return buf.getvalue()
