"""What the stage and a relay node say to each other, and how each proves who it is.

The link is one WebSocket the stage dials (`GET /relay/link`, `Authorization: Bearer <link
token>`). Messages are JSON text frames with a `t` field:

stage → relay
  `{"t": "rec", "r": {record}}`        one journal record (`Record.to_json()` + `sale`), seq order
  `{"t": "state", "state": {...}}`     the public snapshot, for `GET /api/sales/{sale}/state`
  `{"t": "answer", "id", "status", "body"}`  the stage's verdict on a forwarded bid

relay → stage
  `{"t": "hello", "last_seq", "last_hash", "epoch"}`  where the relay's history ends
  `{"t": "refused", "reason", "detail"}`  then close (fenced epoch, diverging history, bad token)
  `{"t": "ack", "seq"}`                 everything up to `seq` is stored (Redis or local history)
  `{"t": "resend", "from"}`             a gap: send again from `from`
  `{"t": "bid", "id", "token", "body"}` a remote bid, with the bidder's own token
  `{"t": "stats", "subscribers"}`       remote subscribers connected (all nodes)

Tokens: everything is signed by the stage's Ed25519 key; a relay holds only the public key.
The link token has its own audience, so a bidder token can never open a link and a link
token can never bid.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.auction.events import canonical_json
from hub.gateway.tokens import ISSUER, Claims, TokenError, TokenVerifier
from hub.journal.records import Record, event_hash

JSON = dict[str, Any]

LINK_PATH = "/relay/link"
LINK_AUDIENCE = "auctionmen-relay"
LINK_TTL = 120.0

# Reasons the relay gives (bid intake and link refusals); clients switch on these strings.
STAGE_UNREACHABLE = "stage_unreachable"  # the bid was not forwarded: NOT placed
UNCONFIRMED = "unconfirmed"  # forwarded, no answer in time: maybe placed; resend the same key
STALE_EPOCH = "stale_epoch"
DIVERGED = "diverged"
BAD_LINK_TOKEN = "bad_link_token"


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise TokenError("the stage key must be an Ed25519 public key (PEM)")
    return key


def link_token(
    key: Ed25519PrivateKey, sale: str, epoch: int, instance: str, ttl: float = LINK_TTL
) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": LINK_AUDIENCE,
        "sub": "stage",
        "sale": sale,
        "epoch": epoch,
        "instance": instance,
        "iat": now,
        "exp": now + int(ttl),
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(payload, key, algorithm="EdDSA")


class Verifier(TokenVerifier):
    """Checks stage-signed tokens with the public key only (what a relay holds)."""

    def bidder(self, token: str) -> Claims:
        """Same rules as `TokenIssuer.verify` on the stage."""
        return self.verify(token)

    def link(self, token: str) -> tuple[str, int, str]:
        """(sale, epoch, instance) of a stage link token."""
        payload = self.decode(token, LINK_AUDIENCE)
        sale, epoch, instance = payload.get("sale"), payload.get("epoch"), payload.get("instance")
        if (
            not isinstance(sale, str)
            or not isinstance(epoch, int)
            or epoch < 1
            or not isinstance(instance, str)
            or not instance
        ):
            raise TokenError("link token without sale, epoch or instance")
        return sale, epoch, instance


def record_from_json(data: JSON) -> Record:
    """A record as the stage sent it; raises ValueError/KeyError/TypeError if malformed."""
    return Record(
        seq=int(data["seq"]),
        epoch=int(data["epoch"]),
        at=float(data["at"]),
        type=str(data["type"]),
        lot=data.get("lot"),
        actor=dict(data["actor"]),
        key=data.get("key"),
        audience=str(data["audience"]),
        bidders=tuple(str(b) for b in data.get("bidders", ())),
        data=dict(data["data"]),
        public_view=dict(data["public_view"]),
        staff_view=dict(data["staff_view"]),
        prev_hash=str(data["prev_hash"]),
        hash=str(data["hash"]),
        sale=str(data.get("sale", "")),
    )


def record_to_json(record: Record) -> JSON:
    """The record as the journal stores it: JSON columns in canonical (sorted-key) form, so
    a record sent from the commit listener and one read back from the journal are the same
    bytes on the relay."""
    body = record.to_json()
    for name in ("actor", "data", "public_view", "staff_view"):
        body[name] = json.loads(canonical_json(body[name]))
    body["sale"] = record.sale
    return body


def hash_ok(record: Record) -> bool:
    """The record's hash covers its content (the chain link itself is checked on append)."""
    return event_hash(record.prev_hash, record.hashed_fields()) == record.hash
