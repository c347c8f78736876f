"""The officer's routes: suspicious-activity notes (issue 13), for the officer role only.

- `GET  /api/sales/{sale}/officer/notes[?status=open|reported|closed]`: the notes, newest first
- `POST /api/sales/{sale}/officer/notes` `{paddle, text}`: a new note; the sale's journal gets
  only its reference (`note_suspicion`)
- `GET  /api/sales/{sale}/officer/notes/{ref}`: one note with its status history
- `POST /api/sales/{sale}/officer/notes/{ref}/status` `{status, comment}`

Every route needs a staff token whose person holds the `officer` role (403 `forbidden`
otherwise, whatever else they hold); the desk behind (`OfficerDesk`, the backend's
`hub.backend.sar.OfficerDesk`) checks the role again. Answers are `no-store`: a note must not
linger in a cache. Bodies are strict JSON objects with only the named fields.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from hub.auction.events import Actor
from hub.gateway.intake import Refused, bearer, check_sale, read_object, verified
from hub.gateway.keys import ISSUER, SALE
from hub.gateway.tokens import STAFF_ROLES, Claims

JSON = dict[str, Any]
OFFICER_ROLE = "officer"
NO_STORE = {"Cache-Control": "no-store, private"}


class OfficerDesk(Protocol):
    """The officer's notes as the gateway uses them; a bad value raises ValueError (its
    message is the answer), the role is checked again behind."""

    async def note(self, actor: Actor, paddle: object, text: object) -> JSON: ...

    def notes(self, actor: Actor, status: str | None) -> list[JSON]: ...

    def get(self, actor: Actor, reference: str) -> JSON: ...

    def set_status(self, actor: Actor, reference: str, status: object, comment: object) -> JSON: ...


OFFICER: web.AppKey[OfficerDesk] = web.AppKey("officer")


def _officer(request: web.Request) -> Actor:
    """The person asking, if they hold the officer role (401/403 otherwise)."""
    sale = request.app[SALE].sale_id
    check_sale(request, sale)
    claims = verified(bearer(request), request.app[ISSUER].verify, sale)
    actor = _actor(claims)
    if claims.role not in STAFF_ROLES or OFFICER_ROLE not in actor.held():
        raise Refused(403, "forbidden", "only the money-laundering reporting officer may")
    return actor


def _actor(claims: Claims) -> Actor:
    """A token of a named person carries their roles; an older staff token (no session) acts
    for the whole house, as the desktop does while no staff account exists."""
    if claims.sid is None:
        return Actor(claims.role, None, claims.subject, roles=STAFF_ROLES, device="terminal")
    return Actor(claims.role, None, claims.subject, roles=claims.roles, device=claims.device)


async def _fields(request: web.Request, names: tuple[str, ...]) -> JSON:
    body = await read_object(request)
    unknown = sorted(set(body) - set(names))
    if unknown:
        raise Refused(422, "invalid", f"unknown field {unknown[0][:40]!r}")
    return body


def _answer(data: JSON | list[JSON], status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers=NO_STORE)


def _desk(request: web.Request) -> OfficerDesk:
    return request.app[OFFICER]


async def list_notes(request: web.Request) -> web.Response:
    actor = _officer(request)
    status = request.query.get("status")
    try:
        return _answer({"notes": _desk(request).notes(actor, status)})
    except ValueError as exc:
        raise Refused(422, "invalid", str(exc)) from None


async def add_note(request: web.Request) -> web.Response:
    actor = _officer(request)
    body = await _fields(request, ("paddle", "text"))
    try:
        note = await _desk(request).note(actor, body.get("paddle"), body.get("text"))
    except ValueError as exc:
        raise Refused(422, "invalid", str(exc)) from None
    return _answer(note, 201)


async def get_note(request: web.Request) -> web.Response:
    actor = _officer(request)
    try:
        return _answer(_desk(request).get(actor, request.match_info["ref"]))
    except ValueError as exc:
        raise Refused(404, "not_found", str(exc)) from None


async def set_status(request: web.Request) -> web.Response:
    actor = _officer(request)
    body = await _fields(request, ("status", "comment"))
    try:
        note = _desk(request).set_status(
            actor, request.match_info["ref"], body.get("status"), body.get("comment")
        )
    except ValueError as exc:
        raise Refused(422, "invalid", str(exc)) from None
    return _answer(note)


def add_officer_routes(app: web.Application, desk: OfficerDesk | None) -> None:
    """The officer's routes, when the stage keeps suspicion notes."""
    if desk is None:
        return
    app[OFFICER] = desk
    base = "/api/sales/{sale}/officer/notes"
    app.router.add_get(base, list_notes)
    app.router.add_post(base, add_note)
    app.router.add_get(base + "/{ref}", get_note)
    app.router.add_post(base + "/{ref}/status", set_status)
