"""The JSON API: snapshot, bids, staff commands, registration, sessions and pairing."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import segno
from aiohttp import web

from hub.auction import reasons as R
from hub.auction.events import STAFF, Actor
from hub.gateway.keys import STAGE
from hub.gateway.problems import problem
from hub.gateway.tokens import STAFF_ROLES, Claims, TokenError
from hub.journal.sequencer import Answer
from hub.mercure.app import add_discovery_link

JSON = dict[str, Any]
COOKIE = "mercureAuthorization"
HUB_PATH = "/.well-known/mercure"
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    return None


def _claims(request: web.Request, *, staff: bool = False) -> Claims:
    """The caller's verified claims, from the Authorization header only (never the URL)."""
    stage = request.app[STAGE]
    token = _bearer(request)
    if token is None:
        raise _Problem(401, "unauthorized", "send 'Authorization: Bearer <token>'")
    try:
        claims = stage.issuer.verify(token)
    except TokenError as exc:
        raise _Problem(401, "invalid_token", f"the token was refused: {exc}") from None
    if claims.sale != request.match_info.get("sale", claims.sale):
        raise _Problem(403, "wrong_sale", "this token is for another sale")
    if staff and claims.role not in STAFF_ROLES:
        raise _Problem(403, "forbidden", "staff only")
    return claims


class _Problem(Exception):
    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.response = problem(status, reason, detail)


@web.middleware
async def problem_exceptions(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except _Problem as exc:
        return exc.response


async def _json_object(request: web.Request) -> JSON:
    if request.content_type != "application/json":
        raise _Problem(415, "unsupported_media_type", "send application/json")
    try:
        body = await request.json(loads=_strict_loads)
    except web.HTTPRequestEntityTooLarge:
        raise
    except (ValueError, UnicodeDecodeError):
        raise _Problem(400, "bad_json", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _Problem(422, R.INVALID, "the body must be a JSON object")
    return body


def _strict_loads(text: str) -> Any:
    def reject(value: str) -> Any:
        raise ValueError(f"{value} is not allowed")

    return json.loads(text, parse_constant=reject)


def _sale(request: web.Request) -> None:
    stage = request.app[STAGE]
    if request.match_info["sale"] != stage.sale_id:
        raise _Problem(404, "unknown_sale", f"no sale {request.match_info['sale']!r} here")


async def state(request: web.Request) -> web.Response:
    _sale(request)
    stage = request.app[STAGE]
    claims = _claims(request) if _bearer(request) is not None else None
    staff = claims is not None and claims.role in STAFF_ROLES
    snapshot = stage.snapshot(staff=staff)
    if staff:
        snapshot["bidders"] = stage.bidders()
    elif claims is not None and claims.paddle:
        snapshot["bidder"] = stage.engine.bidder_view(claims.paddle)
    response = web.json_response(snapshot)
    # Mercure discovery: where updates of this resource are published, under which topic,
    # and the cursor to subscribe from so nothing falls between snapshot and stream.
    cursor = f"{stage.sale_id}:{snapshot['epoch']}:{snapshot['seq']}:s"
    add_discovery_link(response, HUB_PATH, last_event_id=cursor)
    response.headers.add("Link", f'<{stage.sale_iri}/room>; rel="self"')
    return response


async def current_sale(request: web.Request) -> web.Response:
    """The sale this stage runs, for pages opened without one (the room display)."""
    stage = request.app[STAGE]
    return web.json_response({"sale": stage.sale_id, "title": stage.engine.sale.title})


async def bids(request: web.Request) -> web.Response:
    _sale(request)
    stage = request.app[STAGE]
    claims = _claims(request)
    if claims.role != "bidder" or claims.paddle is None:
        raise _Problem(403, "forbidden", "only bidders bid here; staff use the commands API")
    if not stage.bid_limiter.allow(claims.paddle, time.monotonic()):
        return problem(429, R.RATE_LIMITED, "too many bid attempts; wait a moment")
    body = await _json_object(request)
    key = body.get("key")
    if key is not None and (not isinstance(key, str) or not _KEY.match(key)):
        raise _Problem(422, R.INVALID, "'key' must be 1-128 letters, digits or ._:-")
    command = {
        "op": "bid",
        "lot": body.get("lot"),
        "amount": body.get("amount"),
        "seen_seq": body.get("seen_seq"),
        "key": key,
    }
    answer = await stage.submit(command, Actor("bidder", claims.paddle), key)
    return _answer(answer, bid=True)


def _answer(answer: Answer, bid: bool = False) -> web.Response:
    """200 with the events, 202 pending, 409 refused (with the state), 503 journal down."""
    body: JSON = {"ok": answer.ok, "seq": answer.seq, "state": answer.state}
    if answer.ok:
        types = [r.type for r in answer.events]
        if bid and "online_bid_pending" in types and "bid_accepted" not in types:
            body["pending"] = True
            return web.json_response(body, status=202)
        if not bid:
            body["events"] = [r.wire(STAFF) for r in answer.events]
        return web.json_response(body)
    body.update(reason=answer.reason, detail=answer.message)
    if answer.reason == R.JOURNAL_UNAVAILABLE:
        return web.json_response(body, status=503)
    if answer.reason in (R.INVALID, R.UNKNOWN_OP):
        return web.json_response(body, status=422)
    if answer.reason == R.FORBIDDEN:
        return web.json_response(body, status=403)
    return web.json_response(body, status=409)


async def commands(request: web.Request) -> web.Response:
    _sale(request)
    stage = request.app[STAGE]
    claims = _claims(request, staff=True)
    body = await _json_object(request)
    key = body.get("key")
    if key is not None and (not isinstance(key, str) or not _KEY.match(key)):
        raise _Problem(422, R.INVALID, "'key' must be 1-128 letters, digits or ._:-")
    actor = Actor(claims.role, None, claims.subject)
    answer = await stage.submit(body, actor, key)
    response = _answer(answer)
    if answer.ok and body.get("op") == "approve_bidder":
        # Staff get the bidder's link (and its QR code) right away.
        link = stage.bidder_link(str(body.get("paddle")))
        payload = json.loads(response.text or "{}")
        payload["link"] = link
        payload["qr_svg"] = segno.make(link, error="m").svg_inline(scale=4)
        return web.json_response(payload)
    return response


async def register(request: web.Request) -> web.Response:
    """A remote bidder signs up; staff approve or reject (pending until then)."""
    _sale(request)
    stage = request.app[STAGE]
    if not stage.register_limiter.allow(request.remote or "?", time.monotonic()):
        return problem(429, R.RATE_LIMITED, "too many registrations from here; wait a moment")
    body = await _json_object(request)
    fields: dict[str, str] = {}
    for name, limit, required in (("name", 200, True), ("email", 254, True),
                                  ("phone", 40, False)):
        value = body.get(name)
        if value is None and not required:
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise _Problem(422, R.INVALID, f"'{name}' must be text of at most {limit} characters")
        fields[name] = value.strip()
    if "@" not in fields["email"]:
        raise _Problem(422, R.INVALID, "'email' does not look like an email address")
    paddle = await stage.register_online_bidder(fields)
    return web.json_response({"paddle": paddle, "status": "pending"}, status=202)


async def session(request: web.Request) -> web.Response:
    """Trade a bearer token for the cookie EventSource needs (it cannot send headers)."""
    stage = request.app[STAGE]
    claims = _claims(request)
    token = _bearer(request) or ""
    body = {
        "role": claims.role,
        "paddle": claims.paddle,
        "sale": claims.sale,
        "hub": HUB_PATH,
        "topics": stage.topics(claims),
        "expires": claims.expires,
    }
    if claims.paddle:
        body["bidder"] = stage.engine.bidder_view(claims.paddle)
    response = web.json_response(body)
    response.set_cookie(COOKIE, token, path="/.well-known/mercure", httponly=True,
                        samesite="Strict", max_age=max(0, int(claims.expires - time.time())),
                        secure=request.secure)
    return response


async def pair(request: web.Request) -> web.Response:
    """A clerk terminal pairs with the PIN the desktop app shows."""
    stage = request.app[STAGE]
    if not stage.pair_limiter.allow(request.remote or "?", time.monotonic()):
        return problem(429, R.RATE_LIMITED, "too many attempts; wait a minute")
    body = await _json_object(request)
    pin = body.get("pin")
    if not isinstance(pin, str) or not stage.check_pin(pin):
        return problem(403, "wrong_pin", "that PIN is not the one on the stage screen")
    token = stage.issuer.issue("clerk", stage.sale_id, ttl=12 * 3600)
    return web.json_response({"token": token, "sale": stage.sale_id})
