"""RFC 9457 problem details: every error the gateway answers has this shape."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem_body(status: int, reason: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The problem document itself (the relay link sends it over its socket)."""
    return {
        "type": f"https://auctionmen.local/problems/{reason}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "reason": reason,
        "detail": detail,
        **extra,
    }


def problem(status: int, reason: str, detail: str, **extra: Any) -> web.Response:
    return problem_response(status, problem_body(status, reason, detail, **extra))


def problem_response(status: int, body: dict[str, Any]) -> web.Response:
    text = json.dumps(body, ensure_ascii=False)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate quoted back: escape it rather than crash
        data = json.dumps(body).encode("ascii")
    return web.Response(
        status=status, body=data, content_type="application/problem+json", charset="utf-8"
    )
