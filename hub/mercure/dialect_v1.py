"""Mercure 1.0 (draft-08) request parsing: ``match``/``match_exact``/``match_urlpattern``,
``last_event_id``, the ``__Secure-mercure_access_token`` cookie, RFC 6750 errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from . import errors
from .auth import parse_bearer
from .config import HubConfig
from .model import SubscribeRequest
from .topics import EXACT, URLPATTERN, Selector, SelectorError, compile_selector
from .update import has_bad_chars

DIALECT = "v1"
CURSOR_PARAM = "last_event_id"
CURSOR_HEADER = "Mercure-Last-Event-ID"
_MATCHERS = {"match": EXACT, "match_exact": EXACT, "match_urlpattern": URLPATTERN}


def is_v1(pairs: Sequence[tuple[str, str]]) -> bool:
    return any(name[:5].lower() == "match" for name, _ in pairs)


def parse_subscribe(
    pairs: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    auth_headers: Sequence[str],
    cookies: Mapping[str, str],
    config: HubConfig,
) -> SubscribeRequest:
    selectors: list[Selector] = []
    cursor: str | None = None
    for name, value in pairs:
        if name[:5].lower() == "match":
            kind = _MATCHERS.get(name)
            if kind is None:
                raise errors.bad_request(f"unknown parameter {name[:40]!r}")  # typos fail loudly
            if len(selectors) >= config.max_selectors:
                raise errors.bad_request("too many selectors")
            if len(value) > config.max_selector_length or not value or has_bad_chars(value):
                raise errors.bad_request("invalid selector")
            try:
                selectors.append(compile_selector(kind, value, config.public_url))
            except SelectorError as e:
                raise errors.bad_request(str(e)) from None
        elif name == CURSOR_PARAM and cursor is None:
            cursor = value
    if not selectors:
        raise errors.bad_request('missing "match" parameter')
    header_cursor = headers.get("Last-Event-ID")
    if header_cursor:
        cursor = header_cursor  # the header wins (R4)
    if cursor is not None and has_bad_chars(cursor):
        raise errors.bad_request("invalid last event id")
    try:
        token = parse_bearer(auth_headers)
    except ValueError as e:
        raise errors.invalid_request(str(e)) from None
    from_cookie = False
    if token is None:
        # RFC 9700: never from the URL in 1.0. Cookie: ours, then the 0.x name.
        token = cookies.get(config.cookie_name_v1) or cookies.get(config.cookie_name_v0)
        from_cookie = token is not None
    return SubscribeRequest(DIALECT, tuple(selectors), cursor or None, token, from_cookie)


def map_error(err: errors.HubError) -> errors.HubError:
    return err  # our errors are already RFC 6750 shaped
