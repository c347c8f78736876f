"""JWT verification (PyJWT, fixed algorithm list per key) and grants for both dialects.

1.0 tokens: ``typ: at+jwt``, ``iss``/``aud``/``exp`` required, RFC 9396
``authorization_details``. 0.x tokens: any signed JWT with a ``mercure`` claim.
Any doubt about a token makes the whole token invalid (no partial acceptance, A8).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt

from . import errors
from .config import HubConfig, KeySpec
from .topics import EXACT, URITEMPLATE, URLPATTERN, Selector, SelectorError, compile_selector
from .update import has_bad_chars

DETAIL_TYPE = "https://mercure.rocks/authorization-detail"
_FORBIDDEN_HEADERS = ("jku", "jwk", "x5u", "x5c", "crit")
_AT_JWT = ("at+jwt", "application/at+jwt")


@dataclass(frozen=True, slots=True)
class Grants:
    """What a verified token allows. ``dialect`` is "v1" or "v0"."""

    dialect: str
    publish: tuple[Selector, ...] = ()
    subscribe: tuple[Selector, ...] = ()
    # 1.0: (selectors, payload) per subscribe detail; 0.x: one entry with mercure.payload.
    payloads: tuple[tuple[tuple[Selector, ...], Any], ...] = ()
    exp: float | None = None
    session: str | None = None  # the token's `sid`: a staff session the embedder may revoke

    def can_publish(self, topics: Sequence[str]) -> bool:
        return all(any(s.matches(t) for s in self.publish) for t in topics)

    def can_subscribe_any(self, topics: tuple[str, ...]) -> bool:
        return any(s.matches_any(topics) for s in self.subscribe)

    def payload_for(self, selector_text: str) -> Any:
        for selectors, payload in self.payloads:
            if any(s.text == selector_text or s.matches(selector_text) for s in selectors):
                return payload
        return None


ANONYMOUS = Grants(dialect="anonymous")


def _candidate_keys(config: HubConfig, alg: str, kid: str | None, use: str) -> list[KeySpec]:
    return [
        k
        for k in config.keys
        if alg in k.algorithms
        and k.use in (use, "both")
        and (kid is None or k.kid is None or k.kid == kid)
    ]


def verify_token(token: str, config: HubConfig, use: str) -> Grants:
    """Verify ``token`` for ``use`` ("publish"/"subscribe"); raise a 401 HubError if bad."""
    if len(token) > config.max_token_length:
        raise errors.invalid_token("token too long")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise errors.invalid_token("malformed token") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise errors.invalid_token("unsupported algorithm")
    if any(h in header for h in _FORBIDDEN_HEADERS):
        raise errors.invalid_token("unsupported token header")
    typ = header.get("typ")
    is_v1 = isinstance(typ, str) and typ.lower() in _AT_JWT
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    keys = _candidate_keys(config, alg, kid, use)
    if not keys:
        raise errors.invalid_token("unsupported algorithm")
    required = ["exp", "iss", "aud"] if is_v1 else (["exp"] if config.v0_require_exp else [])
    claims: dict[str, Any] | None = None
    used: KeySpec | None = None
    for key in keys:
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=list(key.algorithms),
                leeway=config.leeway,
                options={"require": required, "verify_aud": False, "verify_iss": False},
            )
            used = key
            break
        except jwt.InvalidSignatureError:
            continue
        except (jwt.PyJWTError, ValueError, TypeError):
            raise errors.invalid_token("invalid token") from None
    if claims is None or used is None:
        raise errors.invalid_token("invalid signature")
    _check_iss_aud(claims, config, used, strict=is_v1)
    exp = claims.get("exp")
    exp_f = float(exp) if isinstance(exp, int | float) else None
    if is_v1:
        grants = _v1_grants(claims, config, exp_f)
    else:
        if "authorization_details" in claims:
            raise errors.invalid_token("authorization_details requires typ at+jwt")
        if not config.enable_v0:
            raise errors.invalid_token("token type at+jwt required")
        grants = _v0_grants(claims, config, exp_f)
    sid = claims.get("sid")
    return dataclasses.replace(grants, session=sid) if isinstance(sid, str) else grants


def _check_iss_aud(
    claims: Mapping[str, Any], config: HubConfig, key: KeySpec, strict: bool
) -> None:
    iss = claims.get("iss")
    if iss is not None or strict:
        if not isinstance(iss, str):
            raise errors.invalid_token("invalid issuer")
        if key.issuer is not None and iss != key.issuer:
            raise errors.invalid_token("issuer not bound to this key")
        if config.issuers and iss not in config.issuers:
            raise errors.invalid_token("untrusted issuer")
    aud = claims.get("aud")
    if aud is not None or strict:
        auds = [aud] if isinstance(aud, str) else aud
        if not isinstance(auds, list) or not all(isinstance(a, str) for a in auds):
            raise errors.invalid_token("invalid audience")
        if not set(auds) & set(config.accepted_audiences):
            raise errors.invalid_token("invalid audience")


def _compile_all(kind: str, texts: Any, config: HubConfig, budget: list[int]) -> list[Selector]:
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise errors.invalid_token("malformed grant")
    budget[0] -= len(texts)
    if budget[0] < 0:
        raise errors.invalid_token("too many grants")
    # The same rule as a subscription's selectors: a grant no request could carry is invalid.
    if any(len(t) > config.max_selector_length or has_bad_chars(t) for t in texts):
        raise errors.invalid_token("invalid selector in grant")
    try:
        return [compile_selector(kind, t, config.public_url) for t in texts]
    except SelectorError:
        raise errors.invalid_token("invalid selector in grant") from None


def _v0_grants(claims: Mapping[str, Any], config: HubConfig, exp: float | None) -> Grants:
    claim = claims.get("mercure", claims.get("https://mercure.rocks/"))
    if claim is None:
        return Grants(dialect="v0", exp=exp)
    if not isinstance(claim, dict):
        raise errors.invalid_token("malformed mercure claim")
    budget = [config.max_grants]
    pub = _compile_all(URITEMPLATE, claim.get("publish", []), config, budget)
    sub = _compile_all(URITEMPLATE, claim.get("subscribe", []), config, budget)
    payloads = ((tuple(sub), claim.get("payload")),) if "payload" in claim else ()
    return Grants("v0", tuple(pub), tuple(sub), payloads, exp)


def _v1_grants(claims: Mapping[str, Any], config: HubConfig, exp: float | None) -> Grants:
    details = claims.get("authorization_details", [])
    if not isinstance(details, list):
        raise errors.invalid_token("malformed authorization_details")
    budget = [config.max_grants]
    pub: list[Selector] = []
    sub: list[Selector] = []
    payloads: list[tuple[tuple[Selector, ...], Any]] = []
    for d in details:
        if not isinstance(d, dict) or not isinstance(d.get("type"), str):
            raise errors.invalid_token("malformed authorization detail")
        if d["type"] != DETAIL_TYPE:
            continue  # other authorization servers' details are none of our business
        actions = d.get("actions")
        topics = d.get("topics")
        payload = d.get("payload")
        # Draft-08: `actions` and `topics` are non-empty arrays; a detail that is not is
        # invalid, and so is the whole token (never a detail that silently grants nothing).
        if (
            not isinstance(actions, list)
            or not actions
            or not all(isinstance(a, str) for a in actions)
            or not isinstance(topics, list)
            or not topics
            or (payload is not None and not isinstance(payload, dict))
        ):
            raise errors.invalid_token("malformed authorization detail")
        selectors: list[Selector] = []
        for t in topics:
            if not isinstance(t, dict) or not isinstance(t.get("match"), str) or not t["match"]:
                raise errors.invalid_token("malformed topic in authorization detail")
            mtype = t.get("match_type", EXACT)
            if mtype not in (EXACT, URLPATTERN):
                raise errors.invalid_token("unsupported match_type")
            selectors.extend(_compile_all(mtype, [t["match"]], config, budget))
        if "publish" in actions:
            pub.extend(selectors)
        if "subscribe" in actions:
            sub.extend(selectors)
            if payload is not None:
                payloads.append((tuple(selectors), payload))
    return Grants("v1", tuple(pub), tuple(sub), tuple(payloads), exp)


def parse_bearer(values: Sequence[str]) -> str | None:
    """The token of an ``Authorization`` header; raises ValueError when malformed."""
    if not values:
        return None
    if len(values) > 1:
        raise ValueError("several Authorization headers")
    scheme, _, token = values[0].strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise ValueError("malformed Authorization header")
    return token


def origin_allowed(
    origin_header: str | None,
    referer: str | None,
    allowed: Sequence[str],
    own: tuple[str, str] | None = None,
) -> bool:
    """CSRF check for cookie-authenticated publishing: Origin, else Referer's origin.

    ``own`` is the request's (scheme, Host): when given, the hub's own origin is allowed too.
    """
    origin = origin_header
    if not origin and referer:
        u = urlsplit(referer)
        origin = f"{u.scheme}://{u.netloc}" if u.scheme and u.netloc else None
    if not origin or origin == "null":
        return False
    if "*" in allowed or origin in allowed:
        return True
    return own is not None and same_origin(origin, *own)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(origin: str, scheme: str, host: str) -> bool:
    """Whether ``origin`` is the one a request with this scheme and Host header was sent to.

    Over plain HTTP an ``https`` origin with the same host and port also counts: a TLS proxy
    in front of the hub forwards the Host but not the scheme.
    """
    try:
        o = urlsplit(origin)
        h = urlsplit(f"//{host}")
        if o.scheme not in (scheme, "https") or o.username or o.password:
            return False
        if o.path or o.query or o.fragment or not o.hostname or h.username or h.password:
            return False
        default = _DEFAULT_PORTS.get(o.scheme)
        return o.hostname == h.hostname and (o.port or default) == (h.port or default)
    except ValueError:  # a malformed port or IPv6 literal
        return False


def now() -> float:
    return time.time()
