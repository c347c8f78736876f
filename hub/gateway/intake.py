"""The one bid intake: every door a bid comes through checks it here, in one order.

Three doors take bids: the stage's `POST /api/sales/{sale}/bids`, a relay node's same
endpoint, and the stage's side of the relay link (a bid a node forwarded). They share:

- the order of checks: sale (404) → bearer token (401) → token's sale (403) → bidder role
  (403) → rate limit (429, before the body is read: a flood costs no parsing) → content
  type (415) → strict JSON (400; NaN/Infinity refused) → a JSON object (422) → the
  idempotency key (422). Oversized bodies are refused by aiohttp (413) as they are read;
- the messages, the reason → HTTP status of the sequencer's answer, problem+json bodies;
- the session answer (topics, hub cookie, and when that cookie is `Secure`).

The stage checks a forwarded bid again, with the same functions: it verifies the bidder's
token itself, so a relay can delay a bid but never forge one.

A bidder's token is verified once (an Ed25519 signature and PyJWT's checks: about half of a
refused bid's cost when 500 arrive at once) and its claims are then kept, by the exact token
text, until the token expires (`TokenCache`). Only bidder tokens are kept: staff tokens are
checked against their live session on every request.
"""

from __future__ import annotations

import json
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from hub.auction import reasons as R
from hub.auction.events import STAFF
from hub.gateway.problems import problem_body, problem_response
from hub.gateway.ratelimit import RateLimiter
from hub.gateway.tokens import STAFF_ROLES, Claims, SessionRevoked, TokenError
from hub.journal.records import canonical_with
from hub.ports import Verdict

JSON = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
"""An idempotency key: a retry with the same key gets the first answer."""
BID_FIELDS = ("lot", "amount", "seen_seq", "key")
COOKIE = "mercureAuthorization"
HUB_PATH = "/.well-known/mercure"


class Refused(Exception):
    """A request refused before it reached the sequencer: a problem+json answer."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail

    def body(self) -> JSON:
        return problem_body(self.status, self.reason, self.detail)

    def response(self) -> web.Response:
        return problem_response(self.status, self.body())


@web.middleware
async def refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a `Refused` raised anywhere in a handler with its problem+json."""
    try:
        return await handler(request)
    except Refused as exc:
        return exc.response()


# -- who is asking ------------------------------------------------------------------------


def bearer(request: web.Request) -> str | None:
    """The bearer token of the Authorization header (never the URL: URLs end up in logs)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":  # auth schemes are case-insensitive (RFC 9110 §11.1)
        return token.strip()
    return None


def verified(token: str | None, verify: Callable[[str], Claims], sale: str) -> Claims:
    """The token's claims, if it is ours, valid and for this sale."""
    if token is None:
        raise Refused(401, "unauthorized", "send 'Authorization: Bearer <token>'")
    try:
        claims = verify(token)
    except SessionRevoked as exc:  # signed out by staff: the page shows "signed out"
        raise Refused(401, "revoked", str(exc)) from None
    except TokenError as exc:
        raise Refused(401, "invalid_token", f"the token was refused: {exc}") from None
    if claims.sale != sale:
        raise Refused(403, "wrong_sale", "this token is for another sale")
    return claims


def check_sale(request: web.Request, sale: str) -> None:
    if request.match_info["sale"] != sale:
        raise Refused(404, "unknown_sale", f"no sale {request.match_info['sale']!r} here")


# -- the body -------------------------------------------------------------------------------


MAX_DEPTH = 32
"""How deeply a body may nest arrays and objects: ours nest two or three levels."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> JSON:
    """An object whose keys are all distinct: `{"amount": 1, "amount": 9}` means nothing."""
    out: JSON = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key[:40]!r} appears twice")
        out[key] = value
    return out


def strict_loads(text: str) -> Any:
    """`json.loads` without NaN and ±Infinity (not JSON, and not money) or repeated keys.

    Too deep a nesting makes the parser recurse until Python gives up: a RecursionError,
    which is not a ValueError, so it is turned into one here.
    """

    def reject(value: str) -> Any:
        raise ValueError(f"{value} is not allowed")

    try:
        return json.loads(text, parse_constant=reject, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep") from None


_FIELD = re.compile(r"[A-Za-z0-9_]{1,40}")  # a field name safe to quote back in an answer


def _check_tree(body: Any) -> None:
    """Bound the nesting and refuse text that is not Unicode (a lone surrogate, which JSON's
    `\\ud800` escape can produce and no store or encoder accepts). Iterative: no recursion."""
    stack: list[tuple[Any, int, str]] = [(body, 0, "body")]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and not _is_unicode(value):
                raise Refused(422, R.INVALID, f"{where} is not valid Unicode text")
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise Refused(400, "bad_json", f"the body nests more than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                name = f"'{key}'" if depth == 0 and _FIELD.fullmatch(str(key)) else where
                if isinstance(key, str):
                    stack.append((key, depth + 1, name))
                stack.append((item, depth + 1, name))


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def read_object(request: web.Request) -> JSON:
    """The request's JSON object body: the one JSON reader of every door (strict JSON, bounded
    nesting, Unicode text only; aiohttp refuses oversized bodies: 413)."""
    if request.content_type != "application/json":
        raise Refused(415, "unsupported_media_type", "send application/json")
    # JSON is UTF-8 (RFC 8259 §8.1): any other charset is refused, not looked up (an
    # unknown codec name would be a LookupError, and latin-1 would read a different text).
    if (request.charset or "utf-8").lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise Refused(415, "unsupported_media_type", "send application/json in UTF-8")
    raw = await request.read()
    try:
        body = strict_loads(raw.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        detail = "the body is not valid JSON"
        if not isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
            detail = f"{detail}: {exc}"  # our own words (NaN, a repeated key, too deep)
        raise Refused(400, "bad_json", detail) from None
    _check_tree(body)
    return as_object(body)


def as_object(body: object) -> JSON:
    if not isinstance(body, dict):
        raise Refused(422, R.INVALID, "the body must be a JSON object")
    return body


def check_key(value: object) -> str | None:
    """The idempotency key, if well formed (or absent)."""
    if value is not None and (not isinstance(value, str) or not KEY.match(value)):
        raise Refused(422, R.INVALID, "'key' must be 1-128 letters, digits or ._:-")
    return value


@dataclass(frozen=True, slots=True)
class Bid:
    """A bidder's bid as sent; the engine judges lot, amount and seen_seq."""

    lot: Any
    amount: Any
    seen_seq: Any
    key: str | None

    @classmethod
    def from_body(cls, body: object) -> Bid:
        body = as_object(body)
        key = check_key(body.get("key"))
        return cls(body.get("lot"), body.get("amount"), body.get("seen_seq"), key)

    def to_json(self) -> JSON:
        """What a relay forwards: the bid's own fields and nothing else."""
        return {"lot": self.lot, "amount": self.amount, "seen_seq": self.seen_seq, "key": self.key}

    def command(self) -> JSON:
        return {"op": "bid", **self.to_json()}


@dataclass(frozen=True, slots=True)
class Admitted:
    """A bid that passed the door: whose, with which token, and what."""

    token: str
    paddle: str
    bid: Bid


class TokenCache:
    """Verified bidder tokens, by their exact text, until they expire.

    The text is the key, so a token differing in one byte is verified afresh; a hit is
    refused once `wall()` passes its `exp` (as the verifier would). Bounded: the least
    recently used are forgotten beyond `size`. Failures are never kept (a forged token costs
    a verification each time, and the rate limit still counts it once verified).
    """

    def __init__(
        self,
        verify: Callable[[str], Claims],
        size: int = 20_000,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._verify = verify
        self.size = size
        self.wall = wall
        self._items: OrderedDict[str, Claims] = OrderedDict()
        self.hits = 0

    def __call__(self, token: str) -> Claims:
        claims = self._items.get(token)
        if claims is not None:
            if claims.expires > self.wall():
                self._items.move_to_end(token)
                self.hits += 1
                return claims
            del self._items[token]
            raise TokenError("token expired")
        claims = self._verify(token)
        if claims.role == "bidder" and claims.sid is None:
            self._items[token] = claims
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return claims


class BidDoor:
    """The checks a bid passes before it may be sequenced (or forwarded to the stage).

    `verify` checks a token's signature (the stage's issuer, or a relay's public-key
    verifier; bidder tokens are then kept in a `TokenCache`); `sale` says which sale this
    door serves; `limiter` is per bidder.
    """

    def __init__(
        self,
        verify: Callable[[str], Claims],
        sale: Callable[[], str],
        limiter: RateLimiter,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.verify = TokenCache(verify)
        self.sale = sale
        self.limiter = limiter
        self.clock = clock

    def _bidder(self, token: str | None) -> tuple[str, str]:
        claims = verified(token, self.verify, self.sale())
        if claims.role != "bidder" or claims.paddle is None:
            raise Refused(403, "forbidden", "only bidders bid here; staff use the commands API")
        if not self.limiter.allow(claims.paddle, self.clock()):
            raise Refused(429, R.RATE_LIMITED, "too many bid attempts; wait a moment")
        return token or "", claims.paddle

    async def admit(self, request: web.Request) -> Admitted:
        """An HTTP bid (the stage's endpoint or a relay node's)."""
        check_sale(request, self.sale())
        token, paddle = self._bidder(bearer(request))
        body = await read_object(request)
        return Admitted(token, paddle, Bid.from_body(body))

    def admit_forwarded(self, token: object, body: object) -> Admitted:
        """A bid a relay forwarded: its token and body as the bidder sent them."""
        checked, paddle = self._bidder(token if isinstance(token, str) else "")
        _check_tree(body)  # what a relay forwards is held to the HTTP door's rules
        return Admitted(checked, paddle, Bid.from_body(body))


# -- the answer -----------------------------------------------------------------------------


def reply(answer: Verdict, *, bid: bool) -> tuple[int, JSON]:
    """The sequencer's answer as HTTP: 200 with the events (commands), 202 pending (an online
    bid waiting for the auctioneer), 409 refused (with the state), 422 malformed,
    403 not allowed, 503 journal down."""
    body: JSON = {"ok": answer.ok, "seq": answer.seq, "state": answer.state}
    if answer.ok:
        types = [r.type for r in answer.events]
        if bid and "online_bid_pending" in types and "bid_accepted" not in types:
            body["pending"] = True
            return 202, body
        if not bid:
            body["events"] = [r.wire(STAFF) for r in answer.events]
        return 200, body
    body.update(reason=answer.reason, detail=answer.message)
    if answer.reason == R.JOURNAL_UNAVAILABLE:
        return 503, body
    if answer.reason in (R.INVALID, R.UNKNOWN_OP):
        return 422, body
    if answer.reason == R.FORBIDDEN:
        return 403, body
    return 409, body


def answer_response(answer: Verdict, *, bid: bool) -> web.Response:
    """`respond(*reply(answer))`, writing the state's JSON as the sequencer already encoded
    it (`Answer.state_json`) instead of encoding the same lot again for each of 500 answers."""
    status, body = reply(answer, bid=bid)
    state_json: str = getattr(answer, "state_json", "")
    if status not in (200, 202, 409) or not state_json or body.get("state") is not answer.state:
        return respond(status, body)
    text = canonical_with(body, "state", state_json)
    return web.Response(text=text, status=status, content_type="application/json")


def respond(status: int, body: JSON) -> web.Response:
    """An answer (ours, or the stage's relayed by a node) as an HTTP response."""
    if "type" in body:  # a problem document
        return problem_response(status, body)
    if status >= 400 and status != 409:  # malformed, forbidden, journal down: a problem
        extra = {k: v for k, v in body.items() if k not in ("reason", "detail")}
        reason, detail = str(body.get("reason")), str(body.get("detail"))
        return problem_response(status, problem_body(status, reason, detail, **extra))
    return web.json_response(body, status=status)


# -- the session ----------------------------------------------------------------------------


def topics(claims: Claims, sale_iri: str) -> JSON:
    """The Mercure topics a token may follow: the room, plus staff's or its bidder's own;
    a consignor only their own (their token grants nothing else)."""
    if claims.role == "consignor":
        return {"mine": f"{sale_iri}/consignors/{claims.subject}"}
    out = {"room": f"{sale_iri}/room"}
    if claims.role in STAFF_ROLES:
        out["staff"] = f"{sale_iri}/staff"
    elif claims.paddle:
        out["mine"] = f"{sale_iri}/bidders/{claims.paddle}"
    return out


def session_response(
    request: web.Request,
    token: str,
    claims: Claims,
    sale_iri: str,
    *,
    behind_tls_proxy: bool,
    extra: JSON | None = None,
) -> web.Response:
    """Trade a bearer token for the cookie EventSource needs (it cannot send headers).

    The cookie is `Secure` when the client reaches us over https: this connection is TLS,
    or the operator says a TLS proxy fronts us.
    """
    body: JSON = {
        "role": claims.role,
        "paddle": claims.paddle,
        "sale": claims.sale,
        "hub": HUB_PATH,
        "topics": topics(claims, sale_iri),
        "expires": claims.expires,
    }
    body.update(extra or {})
    response = web.json_response(body)
    response.set_cookie(
        COOKIE,
        token,
        path=HUB_PATH,
        httponly=True,
        samesite="Strict",
        secure=request.secure or behind_tls_proxy,
        max_age=max(0, int(claims.expires - time.time())),
    )
    return response
