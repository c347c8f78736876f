"""Signed tokens: the stage signs (Ed25519), anyone holding the public key verifies.

A relay gets only the public key, so a compromised relay can delay bids but never forge a
bidder. The same token authorises the bidder's Mercure subscriptions (both dialects' claims).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.auction.text import identifier_problem

ALGORITHMS = ["EdDSA"]  # the verifier pins the algorithm; the token never chooses it
ISSUER = "auctionmen-stage"
AUDIENCE = "auctionmen"
# Staff roles as hub/auction/roles.py declares them (issue 13); a staff token's `role` is one
# of them and its `roles` every role the person holds.
STAFF_ROLES = ("auctioneer", "clerk", "desk", "cashier", "admin", "officer")
ROLES = ("bidder", *STAFF_ROLES, "consignor")
ACCESS_TYP = "at+jwt"  # RFC 9068: what our access tokens say they are (the hub checks it too)
MERCURE_DETAIL = "https://mercure.rocks/authorization-detail"


class TokenError(Exception):
    """A token that is missing, malformed, expired or not ours."""


class SessionRevoked(TokenError):
    """A staff token whose session was signed out (or, once the house has staff accounts, a
    staff token naming no session): the gateway answers 401 `revoked`."""


SessionCheck = Callable[["Claims"], str | None]
"""Why a verified staff token's session is not live (None: it is). Set by the stage."""


def load_or_create_key(data_dir: Path) -> Ed25519PrivateKey:
    """The stage's signing key, generated on first run and kept readable by the owner only."""
    path = data_dir / "stage_key.pem"
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise TokenError(f"{path} is not an Ed25519 key")
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True, slots=True)
class Claims:
    """A verified token. Staff tokens of a named person carry `roles` (every role held), `sid`
    (the session the gateway checks is live on every request), `name` and `device`; a token
    made before staff accounts (the stage PIN, the desktop's clerk link) has none of them."""

    role: str
    sale: str
    subject: str
    paddle: str | None
    expires: float
    roles: tuple[str, ...] = ()
    sid: str | None = None
    name: str | None = None
    device: str | None = None

    @property
    def staff(self) -> bool:
        return self.role in STAFF_ROLES


def topics_for(role: str, sale_iri: str, paddle: str | None) -> list[tuple[str, str]]:
    """The topics a role may receive, as (exact topic | URL pattern, kind) pairs.

    Staff see everything of the sale; a bidder the room and their own private topic; a
    consignor only their own topic (`paddle` is then the consignor's reference).
    """
    if role in STAFF_ROLES:
        return [
            (f"{sale_iri}/room", "exact"),
            (f"{sale_iri}/staff", "exact"),
            (f"{sale_iri}/bidders/:paddle", "urlpattern"),
        ]
    if role == "consignor":
        return [(f"{sale_iri}/consignors/{paddle}", "exact")]
    return [(f"{sale_iri}/room", "exact"), (f"{sale_iri}/bidders/{paddle}", "exact")]


def _check_reference(ref: str) -> None:
    """A consignor reference: the same rule as any identifier that ends up in a topic IRI."""
    problem = identifier_problem(ref)
    if problem is not None:
        raise TokenError(f"consignor reference: {problem}")


def _v0_selector(topic: str, kind: str) -> str:
    # Mercure 0.x speaks URI templates where 1.0 speaks URL patterns.
    return topic.replace("/:paddle", "/{paddle}") if kind == "urlpattern" else topic


class TokenIssuer:
    """Issues and checks the stage's tokens."""

    def __init__(
        self,
        key: Ed25519PrivateKey,
        sale_iri_base: str,
        sessions: SessionCheck | None = None,
    ) -> None:
        self._key = key
        self.verifier = TokenVerifier(key.public_key())
        self._iri_base = sale_iri_base
        # Every staff request's session is checked here (revocation takes effect at once);
        # a relay's TokenVerifier has no sessions and takes bids only.
        self.sessions = sessions

    @property
    def public_pem(self) -> bytes:
        return public_pem(self._key)

    def issue(
        self,
        role: str,
        sale: str,
        paddle: str | None = None,
        ttl: float = 12 * 3600,
        now: float | None = None,
        subject: str | None = None,
        *,
        roles: tuple[str, ...] = (),
        sid: str | None = None,
        name: str | None = None,
        device: str | None = None,
    ) -> str:
        """A signed access token. A named staff member's (`sid` set) carries `roles`, `sid`,
        `name` and `device`; `subject` is then their staff id."""
        if role not in ROLES:
            raise TokenError(f"role must be one of {', '.join(ROLES)}")
        if role == "bidder" and not paddle:
            raise TokenError("a bidder token needs a paddle")
        if role == "consignor":
            # The subject is the consignor's reference; it ends up in a topic IRI.
            if not subject or paddle is not None:
                raise TokenError("a consignor token needs subject=<consignor reference>")
            _check_reference(subject)
        issued = time.time() if now is None else now
        sale_iri = f"{self._iri_base}{sale}"
        topics = topics_for(role, sale_iri, subject if role == "consignor" else paddle)
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject or (paddle if role == "bidder" else role),
            "role": role,
            "sale": sale,
            "paddle": paddle if role == "bidder" else None,
            "iat": int(issued),
            "exp": int(issued + ttl),
            # Mercure 0.x (draft-07) and 1.0 (draft-08) subscriber claims.
            "mercure": {"subscribe": [_v0_selector(t, k) for t, k in topics], "publish": []},
            "authorization_details": [
                {
                    "type": MERCURE_DETAIL,
                    "actions": ["subscribe"],
                    "topics": [{"match": t, "match_type": k} for t, k in topics],
                }
            ],
        }
        if sid is not None:
            if role not in STAFF_ROLES or not subject:
                raise TokenError("a staff session token needs a staff role and subject")
            payload.update(_person(roles or (role,), sid, name, device))
        # typ at+jwt: an RFC 9068 access token, as Mercure 1.0 requires.
        return jwt.encode(payload, self._key, algorithm="EdDSA", headers={"typ": ACCESS_TYP})

    def verify(self, token: str, now: float | None = None) -> Claims:
        claims = self.verifier.verify(token, now)
        if claims.staff and self.sessions is not None:
            problem = self.sessions(claims)
            if problem is not None:
                raise SessionRevoked(problem)
        return claims


class TokenVerifier:
    """Checks stage-signed tokens with the public key only (what a relay holds)."""

    def __init__(self, public: Ed25519PublicKey) -> None:
        self._public = public

    def decode(self, token: str, audience: str = AUDIENCE) -> dict[str, Any]:
        """The verified payload: signature, algorithm, issuer, audience and expiry checked."""
        if not token or len(token) > 8192:
            raise TokenError("missing or oversized token")
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                self._public,
                algorithms=ALGORITHMS,
                audience=audience,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=5,
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc
        # PyJWT takes "exp": "123" (it calls int()); a date is a JSON number (RFC 7519 §2).
        for claim in ("exp", "iat", "nbf"):
            value = payload.get(claim)
            if claim in payload and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise TokenError(f"'{claim}' must be a number")
        return payload

    def verify(self, token: str, now: float | None = None) -> Claims:
        """A bidder's, staff member's or consignor's claims (an at+jwt access token)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in (ACCESS_TYP, f"application/{ACCESS_TYP}"):
            raise TokenError("the token is not an access token (typ at+jwt)")
        payload = self.decode(token)
        if now is not None and payload["exp"] < now:
            raise TokenError("token expired")
        role = payload.get("role")
        if role not in ROLES:
            raise TokenError("token has no valid role")
        paddle = payload.get("paddle")
        if role == "bidder" and not isinstance(paddle, str):
            raise TokenError("bidder token without a paddle")
        subject = payload["sub"]
        if role == "consignor":
            if not isinstance(subject, str):
                raise TokenError("consignor token without a reference")
            _check_reference(subject)
        sale = payload.get("sale")
        if not isinstance(sale, str):
            raise TokenError("token names no sale")
        person = _read_person(payload) if role in STAFF_ROLES and "sid" in payload else None
        return Claims(
            role,
            sale,
            str(subject),
            paddle if role == "bidder" else None,
            float(payload["exp"]),
            *(person or ((), None, None, None)),
        )


def _person(
    roles: tuple[str, ...], sid: str, name: str | None, device: str | None
) -> dict[str, Any]:
    if not roles or any(r not in STAFF_ROLES for r in roles):
        raise TokenError(f"staff roles must be among {', '.join(STAFF_ROLES)}")
    return {"roles": list(roles), "sid": sid, "name": name, "dev": device}


def _read_person(
    payload: dict[str, Any],
) -> tuple[tuple[str, ...], str, str | None, str | None]:
    """A staff session's claims, each checked (a signed token is ours, but say why if not)."""
    roles, sid, name, device = (payload.get(k) for k in ("roles", "sid", "name", "dev"))
    if (
        not isinstance(roles, list)
        or not roles
        or len(roles) > len(STAFF_ROLES)
        or any(r not in STAFF_ROLES for r in roles)
    ):
        raise TokenError("staff token with invalid roles")
    if not isinstance(sid, str) or identifier_problem(sid) is not None:
        raise TokenError("staff token with an invalid session")
    for value in (name, device):
        if value is not None and not isinstance(value, str):
            raise TokenError("staff token with an invalid name or device")
    return tuple(roles), sid, name, device
