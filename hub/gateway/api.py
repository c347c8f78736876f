"""The JSON API: snapshot, bids, staff commands, registration, sessions and pairing.

Each handler reads the capabilities it needs from typed app keys (`hub/gateway/keys.py`);
bids go through the one intake (`hub/gateway/intake.py`) that the relay uses too.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from typing import Any

import segno
from aiohttp import web

from hub.auction import reasons as R
from hub.auction.commands import allowed
from hub.auction.decide.base import Refusal
from hub.auction.events import Actor
from hub.auction.text import text_problem
from hub.gateway.intake import (
    HUB_PATH,
    Refused,
    answer_response,
    bearer,
    check_key,
    check_sale,
    read_object,
    reply,
    respond,
    session_response,
    verified,
)
from hub.gateway.keys import (
    BEHIND_TLS_PROXY,
    BID_DOOR,
    ISSUER,
    LIMITS,
    LINKS,
    PAIRING,
    REGISTRAR,
    RESULTS,
    SALE,
    SALES,
    STAFF,
    SUBMIT,
)
from hub.gateway.problems import problem
from hub.gateway.tokens import STAFF_ROLES, Claims
from hub.mercure.app import add_discovery_link
from hub.ports import StaffDoor, StaffRefused

JSON = dict[str, Any]


def staff_actor(claims: Claims) -> Actor:
    """The person behind a staff token: every role they hold, their staff id and device. A
    token naming no session (the stage PIN, the desktop's clerk link) is accepted only while
    the house has no staff accounts, and then acts as the whole house, as the desktop does."""
    if claims.sid is None:
        return Actor(claims.role, None, claims.subject, roles=STAFF_ROLES, device="terminal")
    return Actor(claims.role, None, claims.subject, roles=claims.roles, device=claims.device)


def _claims(request: web.Request, *, staff: bool = False) -> Claims:
    """The caller's verified claims, from the Authorization header only (never the URL)."""
    claims = verified(bearer(request), request.app[ISSUER].verify, request.app[SALE].sale_id)
    if staff and claims.role not in STAFF_ROLES:
        raise Refused(403, "forbidden", "staff only")
    return claims


async def state(request: web.Request) -> web.Response:
    sale = request.app[SALE]
    check_sale(request, sale.sale_id)
    claims = _claims(request) if bearer(request) is not None else None
    staff = claims is not None and claims.role in STAFF_ROLES
    snapshot = sale.snapshot(staff=staff)
    if staff:
        snapshot["bidders"] = request.app[REGISTRAR].bidders()
    elif claims is not None and claims.paddle:
        snapshot["bidder"] = sale.bidder_view(claims.paddle)
    response = web.json_response(snapshot)
    # Mercure discovery: where updates of this resource are published, under which topic,
    # and the cursor to subscribe from so nothing falls between snapshot and stream.
    cursor = f"{sale.sale_id}:{snapshot['epoch']}:{snapshot['seq']}:s"
    add_discovery_link(response, HUB_PATH, last_event_id=cursor)
    response.headers.add("Link", f'<{sale.sale_iri}/room>; rel="self"')
    return response


async def current_sale(request: web.Request) -> web.Response:
    """The sale this stage runs, for pages opened without one (the room display)."""
    sale = request.app[SALE]
    # What the house's KYC policy makes the sign-up form require (issue 13).
    required = request.app[REGISTRAR].required_fields()
    return web.json_response({"sale": sale.sale_id, "title": sale.title, "required": required})


async def bids(request: web.Request) -> web.Response:
    admitted = await request.app[BID_DOOR].admit(request)
    answer = await request.app[SUBMIT](
        admitted.bid.command(), Actor("bidder", admitted.paddle), admitted.bid.key
    )
    return answer_response(answer, bid=True)


async def commands(request: web.Request) -> web.Response:
    check_sale(request, request.app[SALE].sale_id)
    claims = _claims(request)
    if claims.role in STAFF_ROLES:
        actor = staff_actor(claims)
    elif claims.role == "bidder" and claims.paddle:
        # A bidder may send the few ops the registry grants the bidder role (a commission
        # bid left online, its cancellation), as themselves; bids have their own intake.
        if not request.app[LIMITS].bids.allow(claims.paddle, time.monotonic()):
            return problem(429, R.RATE_LIMITED, "too many attempts; wait a moment")
        actor = Actor("bidder", claims.paddle)
    else:
        raise Refused(403, "forbidden", "staff only")
    body = await read_object(request)
    key = check_key(body.get("key"))
    op = body.get("op")
    if actor.role == "bidder" and (
        not isinstance(op, str) or op == "bid" or not allowed(op, "bidder")
    ):
        raise Refused(403, "forbidden", "bidders bid at /bids; staff send the other commands")
    answer = await request.app[SUBMIT](body, actor, key)
    status, payload = reply(answer, bid=False)
    if answer.ok and body.get("op") == "approve_bidder":
        # Staff get the bidder's link (and its QR code) right away.
        link = request.app[LINKS].bidder_link(str(body.get("paddle")))
        payload["link"] = link
        payload["qr_svg"] = await qr_svg(link, scale=4)
    return respond(status, payload)


def _qr_svg(text: str, scale: int) -> str:
    return str(segno.make(text, error="m").svg_inline(scale=scale))


async def qr_svg(text: str, *, scale: int) -> str:
    """A QR code as inline SVG, drawn in a worker thread: segno takes tens of milliseconds
    of pure Python per code, which on the loop would hold up every bid and the fan-out
    (issue 17). In a thread the loop gets the interpreter back every switch interval
    (5 ms), so a burst of approvals no longer stalls the sale."""
    return await asyncio.to_thread(_qr_svg, text, scale)


# The sign-up form's fields: (name, longest, always required). Never `customer` (the desk
# links people) nor `id_scan` (a stored file's hash).
SIGN_UP_FIELDS = (
    ("name", 200, True),
    ("email", 254, True),
    ("phone", 40, False),
    ("address", 500, False),
    ("country", 60, False),
    ("dob", 10, False),
    ("id_type", 20, False),
    ("id_number", 40, False),
    ("id_expiry", 10, False),
    ("company", 200, False),
)


async def register(request: web.Request) -> web.Response:
    """A remote bidder signs up; staff approve or reject (pending until then).

    All or nothing: the fields are checked here and again by the registrar before anything is
    written; a refusal (a full disk: 503 `journal_unavailable`) leaves no bidder behind."""
    check_sale(request, request.app[SALE].sale_id)
    if not request.app[LIMITS].registration.allow(request.remote or "?", time.monotonic()):
        return problem(429, R.RATE_LIMITED, "too many registrations from here; wait a moment")
    body = await read_object(request)
    fields: dict[str, str] = {}
    for name, limit, required in SIGN_UP_FIELDS:
        value = body.get(name)
        if (value is None or value == "") and not required:
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise Refused(422, R.INVALID, f"'{name}' must be text of at most {limit} characters")
        # As sent: strip() drops NEL and U+2028. The KYC fields' own rules (dates, document
        # types) and the house's policy are the registrar's.
        trouble = text_problem(value, limit=limit, multiline=name == "address")
        if trouble is not None:
            raise Refused(422, R.INVALID, f"'{name}' {trouble}")
        fields[name] = value.strip()
    if "@" not in fields["email"]:
        raise Refused(422, R.INVALID, "'email' does not look like an email address")
    try:
        paddle = await request.app[REGISTRAR].register_online_bidder(fields)
    except Refusal as exc:
        return _registration_refused(exc)
    return web.json_response({"paddle": paddle, "status": "pending"}, status=202)


def _registration_refused(exc: Refusal) -> web.Response:
    if exc.reason == R.JOURNAL_UNAVAILABLE:
        response = problem(503, exc.reason, exc.message)
        response.headers["Retry-After"] = "5"
        return response
    return problem(422 if exc.reason == R.INVALID else 409, exc.reason or R.INVALID, exc.message)


async def sales(request: web.Request) -> web.Response:
    """Every sale in the stage's data dir (staff): status, lots, totals, head hash. Read in a
    worker thread: it replays each journal."""
    _claims(request, staff=True)
    listing = await asyncio.to_thread(request.app[SALES])
    body = {"current": request.app[SALE].sale_id, "sales": listing}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def results(request: web.Request) -> web.Response:
    """The sale's results so far, one row per lot (staff: reserves and buyers)."""
    sale = request.app[SALE]
    check_sale(request, sale.sale_id)
    _claims(request, staff=True)
    body = {"sale": sale.sale_id, "results": list(request.app[RESULTS].rows())}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def results_csv(request: web.Request) -> web.Response:
    """The same rows as a spreadsheet download."""
    sale = request.app[SALE]
    check_sale(request, sale.sale_id)
    _claims(request, staff=True)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", sale.sale_id)
    return web.Response(
        text=request.app[RESULTS].csv(),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{name}-results.csv"',
        },
    )


async def session(request: web.Request) -> web.Response:
    """Trade a bearer token for the cookie EventSource needs (it cannot send headers)."""
    sale = request.app[SALE]
    claims = _claims(request)
    extra: JSON | None = {"bidder": sale.bidder_view(claims.paddle)} if claims.paddle else None
    if claims.sid is not None:  # a named staff member: the page says who is signed in
        extra = {"staff": claims.subject, "name": claims.name, "roles": list(claims.roles)}
    return session_response(
        request,
        bearer(request) or "",
        claims,
        sale.sale_iri,
        behind_tls_proxy=request.app[BEHIND_TLS_PROXY],
        extra=extra,
    )


async def pair(request: web.Request) -> web.Response:
    """A staff terminal pairs: with `{staff, pin, device?}`, to one named person (their own
    PIN); with `{pin}`, to the PIN the stage screen shows, while the house has no staff
    accounts."""
    pairing, client, now = request.app[LIMITS].pairing, request.remote or "?", time.monotonic()
    if not pairing.allow(client, now):
        wait = max(1, math.ceil(pairing.wait(client, now)))
        response = problem(429, R.RATE_LIMITED, f"too many attempts; try again in {wait} s")
        response.headers["Retry-After"] = str(wait)  # the page says the real wait
        return response
    body = await read_object(request)
    door = request.app.get(STAFF)
    if "staff" in body:
        if door is None:
            return problem(403, "wrong_pin", "this stage has no staff accounts; use its PIN")
        return await _pair_person(request, door, body)
    if door is not None and door.has_accounts():
        return problem(403, "staff_pin_required", "sign in with your name and your own PIN")
    pin = body.get("pin")
    # compare_digest takes ASCII text only (a TypeError, a 500, for "é"); no PIN is longer.
    if (
        not isinstance(pin, str)
        or not pin.isascii()
        or len(pin) > 64
        or not request.app[PAIRING](pin)
    ):
        return problem(403, "wrong_pin", "that PIN is not the one on the stage screen")
    sale_id = request.app[SALE].sale_id
    token = request.app[ISSUER].issue("clerk", sale_id, ttl=12 * 3600)
    return web.json_response({"token": token, "sale": sale_id})


async def _pair_person(request: web.Request, door: StaffDoor, body: JSON) -> web.Response:
    label = body.get("device", "terminal")
    try:
        # argon2 takes tens of milliseconds: off the stage loop.
        grant = await asyncio.to_thread(door.pair, body.get("staff"), body.get("pin"), label)
    except StaffRefused as exc:
        if exc.reason == "locked":
            response = problem(429, "locked", exc.detail)
            response.headers["Retry-After"] = str(int((exc.retry_after or 60) + 0.999))
            return response
        status = 422 if exc.reason == R.INVALID else 403
        return problem(status, exc.reason, exc.detail)
    sale_id = request.app[SALE].sale_id
    token = request.app[ISSUER].issue(
        grant.roles[0],
        sale_id,
        ttl=max(1.0, grant.expires - time.time()),
        subject=grant.staff,
        roles=grant.roles,
        sid=grant.sid,
        name=grant.name,
        device=grant.device,
    )
    return web.json_response(
        {
            "token": token,
            "sale": sale_id,
            "staff": grant.staff,
            "name": grant.name,
            "roles": list(grant.roles),
            "device": grant.device,
        }
    )
