"""Middlewares every response passes: security headers, CORS allowlist, problem+json errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from hub.gateway.problems import problem
from hub.gateway.server import LogDigest, clip

log = logging.getLogger("auctionmen.gateway")
# One traceback per kind of crash a minute, the others counted: a request that makes us crash
# cannot flood the log (issue 14, defect 11).
CRASHES = LogDigest(log, 60.0)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Location")

# Pages load only our own scripts, styles, images and event stream: no CDN, font or inline code.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def cors(origins: Iterable[str]) -> Any:
    """Answer CORS only for an explicit allowlist; never `*` with credentials, never `null`."""
    allowed = frozenset(o for o in origins if o and o != "null")

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS" and origin is not None:
            if origin not in allowed:
                return problem(403, "origin_not_allowed", "this origin may not call the API")
            response: web.StreamResponse = web.Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = (
                "Authorization, Content-Type, Last-Event-ID"
            )
            response.headers["Access-Control-Max-Age"] = "600"
        else:
            response = await handler(request)
        if origin is not None and origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Vary"] = "Origin"
        return response

    return middleware


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn aiohttp's plain-text errors and any crash into problem+json."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/problem+json":
            raise
        reason = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status, "http_error"
        )
        response = problem(exc.status, reason, exc.reason)
        # The rebuilt answer keeps the headers that say what to do next (RFC 9110: a 405
        # MUST carry Allow).
        for name in KEPT_HEADERS:
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    except Exception as exc:
        CRASHES.note(
            f"unhandled errors ({type(exc).__name__})",
            request.remote or "",
            logging.ERROR,
            "unhandled error on %s %s",
            request.method,
            clip(request.path),
            exc_info=exc,
        )
        return problem(500, "internal", "the stage hit an unexpected error; it has been logged")
