"""Mercure 0.x (draft-07) request parsing: ``topic`` with URI templates, ``lastEventID``,
the ``mercureAuthorization`` cookie, the optional ``authorization`` query parameter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from . import errors
from .auth import parse_bearer
from .config import HubConfig
from .model import SubscribeRequest
from .topics import URITEMPLATE, Selector, SelectorError, compile_selector
from .update import has_bad_chars

DIALECT = "v0"
CURSOR_PARAM = "lastEventID"
CURSOR_HEADER = "Last-Event-ID"


def is_v0(pairs: Sequence[tuple[str, str]]) -> bool:
    return any(name == "topic" for name, _ in pairs)


def parse_subscribe(
    pairs: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    auth_headers: Sequence[str],
    cookies: Mapping[str, str],
    config: HubConfig,
) -> SubscribeRequest:
    selectors: list[Selector] = []
    cursor: str | None = None
    query_token: str | None = None
    for name, value in pairs:
        if name == "topic":
            if len(selectors) >= config.max_selectors:
                raise errors.bad_request("too many topic selectors")
            if len(value) > config.max_selector_length or not value or has_bad_chars(value):
                raise errors.bad_request("invalid topic selector")
            try:
                selectors.append(compile_selector(URITEMPLATE, value, config.public_url))
            except SelectorError as e:
                raise errors.bad_request(str(e)) from None
        elif name in (CURSOR_PARAM, "Last-Event-ID", "last-event-id") and cursor is None:
            cursor = value  # the reference hub also read Last-Event-ID from the query
        elif name == "authorization" and config.enable_v0_query_authorization:
            query_token = value
    if not selectors:
        raise errors.bad_request('missing "topic" parameter')
    header_cursor = headers.get("Last-Event-ID")
    if header_cursor:
        cursor = header_cursor
    if cursor is not None and has_bad_chars(cursor):
        raise errors.bad_request("invalid last event id")
    try:
        token = parse_bearer(auth_headers)
    except ValueError as e:
        raise errors.invalid_token(str(e)) from None  # the 0.x reference answers 401 here
    from_cookie = False
    if token is None and query_token:
        token = query_token  # beats the cookie (draft-07 A3)
    if token is None:
        token = cookies.get(config.cookie_name_v0) or cookies.get(config.cookie_name_v1)
        from_cookie = token is not None
    return SubscribeRequest(DIALECT, tuple(selectors), cursor or None, token, from_cookie)


def map_error(err: errors.HubError) -> errors.HubError:
    """0.x clients: malformed-auth 400s become 401 like the reference hub."""
    if err.status == 400 and "invalid_request" in err.headers.get("WWW-Authenticate", ""):
        return errors.HubError(401, err.detail, www_authenticate="Bearer")
    return err
