"""The active-subscriptions web API (mercure.md §1.5), in the requesting token's dialect.

Subscription *events* are published by ``Hub`` itself on connect/disconnect.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from aiohttp import web

from . import dialect_v0, errors
from .auth import ANONYMOUS, parse_bearer, verify_token
from .hub import Hub


def _grants(hub: Hub, request: web.Request) -> Any:
    cfg = hub.config
    try:
        token = parse_bearer(request.headers.getall("Authorization", []))
    except ValueError as e:
        raise errors.invalid_request(str(e)) from None
    if token is None:
        token = request.cookies.get(cfg.cookie_name_v1) or request.cookies.get(cfg.cookie_name_v0)
    if token is None:
        raise errors.no_token()
    return verify_token(token, cfg, "subscribe")


async def subscriptions_handler(
    hub: Hub, request: web.Request, cors: dict[str, str]
) -> web.StreamResponse:
    cfg = hub.config
    if not cfg.subscriptions:
        raise errors.HubError(404, "subscriptions API disabled")
    if request.method not in ("GET", "HEAD"):
        raise errors.HubError(405, "method not allowed", headers={"Allow": "GET, HEAD"})
    grants = _grants(hub, request)
    dialect = "v0" if grants.dialect == "v0" else "v1"
    raw_path = request.raw_path.split("?", 1)[0]
    base = urlsplit(cfg.public_url)
    absolute = f"{base.scheme}://{base.netloc}{raw_path}"
    # The requested URL itself must be granted for subscription (AS7).
    allowed = grants is not ANONYMOUS and any(
        s.matches(raw_path) or s.matches(absolute) for s in grants.subscribe
    )
    if not allowed:
        err = errors.insufficient_scope("not allowed to read these subscriptions")
        raise dialect_v0.map_error(err) if dialect == "v0" else err
    tail = raw_path[len(cfg.hub_path + "/subscriptions") :]
    segs = [unquote(s) for s in tail.split("/")[1:]] if tail else []
    if any(s == "" for s in segs):
        raise errors.bad_request("empty path segment")
    want_type = want_match = want_sub = None
    if dialect == "v1":
        if len(segs) not in (0, 2, 3):
            raise errors.HubError(404, "not found")
        if segs:
            want_type, want_match = segs[0], segs[1]
            if want_type not in ("exact", "urlpattern", "uritemplate"):
                raise errors.bad_request("unknown match_type")
            want_sub = segs[2] if len(segs) == 3 else None
    else:
        if len(segs) > 2:
            raise errors.HubError(404, "not found")
        want_match = segs[0] if segs else None
        want_sub = segs[1] if len(segs) == 2 else None

    docs: list[dict[str, Any]] = []
    for sub in hub.subscribers:
        if want_sub is not None and sub.id != want_sub:
            continue
        for i, s in enumerate(sub.subscriptions):
            if want_match is not None and s.match != want_match:
                continue
            if want_type is not None and s.match_type != want_type:
                continue
            docs.append(hub.subscription_doc(sub, i, True, dialect))

    last_id = hub.history.last_id() or "earliest"
    headers = {**cors, "ETag": f'"{last_id}"', "Cache-Control": "must-revalidate"}
    inm = request.headers.get("If-None-Match")
    if inm is not None and inm.strip('"') == last_id:
        return web.Response(status=304, headers=headers)
    single = want_sub is not None
    if single and not docs:
        raise errors.HubError(404, "subscription not found")
    body: dict[str, Any]
    if dialect == "v0":
        ctype = "application/ld+json"
        if single:
            body = {**docs[0], "@context": "https://mercure.rocks/", "lastEventID": last_id}
        else:
            body = {
                "@context": "https://mercure.rocks/",
                "id": raw_path,
                "type": "Subscriptions",
                "lastEventID": last_id,
                "subscriptions": docs,
            }
    else:
        ctype = "application/json"
        body = (
            docs[0] if single else {"id": raw_path, "type": "subscriptions", "subscriptions": docs}
        )
        headers["Link"] = (
            f'<{cfg.public_url}>; rel="mercure"; last-event-id="{last_id}"; '
            'type="mercure"; content-type="application/json"'
        )
    return web.json_response(body, headers=headers, content_type=ctype)
