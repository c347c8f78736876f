"""Staff over HTTP: per-person pairing, tokens that name the person and their roles, the
session checked on every request (revocation at once: 401 `revoked`), the legacy stage PIN
only while the house has no staff accounts, lockout, and hostile pairing input."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from hub.gateway.ratelimit import RateLimiter
from hub.gateway.tokens import STAFF_ROLES, TokenError, TokenIssuer, load_or_create_key
from hub.journal.records import Record
from hub.stage import Stage
from tests.gateway.helpers import bearer

SALE = "/api/sales/demo"


async def pair(http: aiohttp.ClientSession, body: Any) -> tuple[int, dict[str, Any], Any]:
    async with http.post("/api/pair", json=body) as r:
        return r.status, await r.json(), r.headers


async def command(http: aiohttp.ClientSession, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with http.post(f"{SALE}/commands", json=body, headers=bearer(token)) as r:
        return r.status, await r.json()


def records(stage: Stage) -> list[Record]:
    found: list[Record] = []
    stage.add_listener(found.extend)
    return found


# -- the token side -------------------------------------------------------------------------


def test_staff_session_tokens_carry_the_person(tmp_path) -> None:
    issuer = TokenIssuer(load_or_create_key(tmp_path), "https://auctionmen.local/sales/")
    token = issuer.issue(
        "clerk",
        "demo",
        subject="st-3",
        roles=("clerk", "desk"),
        sid="abc123",
        name="Ann",
        device="terminal:floor-1",
    )
    claims = issuer.verify(token)
    assert (claims.role, claims.subject, claims.roles) == ("clerk", "st-3", ("clerk", "desk"))
    assert (claims.sid, claims.name, claims.device) == ("abc123", "Ann", "terminal:floor-1")
    legacy = issuer.verify(issuer.issue("clerk", "demo"))
    assert (legacy.roles, legacy.sid) == ((), None)
    for role in STAFF_ROLES:  # every staff role may hold a token
        assert issuer.verify(issuer.issue(role, "demo")).staff
    with pytest.raises(TokenError):
        issuer.issue("clerk", "demo", subject="st-3", roles=("root",), sid="x")
    with pytest.raises(TokenError):
        issuer.issue("bidder", "demo", paddle="7", subject="st-3", roles=("clerk",), sid="x")


def test_the_session_check_runs_on_staff_tokens_only(tmp_path) -> None:
    issuer = TokenIssuer(load_or_create_key(tmp_path), "https://auctionmen.local/sales/")
    seen: list[str | None] = []

    def check(claims) -> str | None:
        seen.append(claims.sid)
        return "signed out" if claims.sid == "dead" else None

    issuer.sessions = check
    issuer.verify(issuer.issue("bidder", "demo", paddle="7"))
    assert seen == []
    live = issuer.issue("clerk", "demo", subject="st-1", roles=("clerk",), sid="live")
    assert issuer.verify(live).sid == "live"
    dead = issuer.issue("clerk", "demo", subject="st-1", roles=("clerk",), sid="dead")
    with pytest.raises(TokenError, match="signed out"):
        issuer.verify(dead)
    assert seen == ["live", "dead"]


# -- pairing and revocation on a real stage ------------------------------------------------


async def test_a_person_pairs_acts_by_name_and_is_revoked_at_once(stage: Stage, http) -> None:
    stage.staff.create("Ann Clerk", ["clerk", "auctioneer"], pin="2468")
    status, body, _ = await pair(http, {"staff": "Ann Clerk", "pin": "2468", "device": "floor-1"})
    assert status == 200, body
    assert (body["staff"], body["name"], body["roles"]) == (
        "st-1",
        "Ann Clerk",
        ["auctioneer", "clerk"],
    )
    token = body["token"]
    claims = stage.issuer.verify(token)
    assert claims.device == "terminal:floor-1"
    committed = records(stage)
    status, answer = await command(http, token, {"op": "open_lot", "lot": "1"})
    assert status == 200, answer
    actor = committed[-1].actor
    assert actor["name"] == "st-1"
    assert actor.get("device") == "terminal:floor-1"
    # The session endpoint says who is signed in.
    async with http.post("/api/session", headers=bearer(token)) as r:
        assert r.status == 200
        session = await r.json()
    assert (session["name"], session["staff"]) == ("Ann Clerk", "st-1")

    assert stage.revoke_session(claims.sid or "", by="st-9")
    status, refused = await command(http, token, {"op": "pause"})
    assert status == 401
    assert refused["reason"] == "revoked"
    async with http.get(f"{SALE}/state", headers=bearer(token)) as r:
        assert r.status == 401
    async with http.post("/api/session", headers=bearer(token)) as r:
        assert r.status == 401
        assert (await r.json())["reason"] == "revoked"
    assert not any(rec.type == "paused" for rec in committed)


async def test_revoke_all_and_deactivate_end_every_terminal(stage: Stage, http) -> None:
    stage.staff.create("Ann", ["clerk"], pin="2468")
    tokens = []
    for label in ("a", "b"):
        _, body, _ = await pair(http, {"staff": "st-1", "pin": "2468", "device": label})
        tokens.append(body["token"])
    assert len(stage.revoke_staff("st-1", by="st-2")) == 2
    for token in tokens:
        status, body = await command(http, token, {"op": "open_lot", "lot": "1"})
        assert (status, body["reason"]) == (401, "revoked")


async def test_the_stage_pin_pairs_only_while_there_are_no_accounts(stage: Stage, http) -> None:
    status, body, _ = await pair(http, {"pin": stage.pin})
    assert status == 200
    legacy = body["token"]
    assert (await command(http, legacy, {"op": "open_lot", "lot": "1"}))[0] == 200
    stage.staff.create("Ann", ["admin"], pin="2468")
    status, body, _ = await pair(http, {"pin": stage.pin})
    assert (status, body["reason"]) == (403, "staff_pin_required")
    # A token from before the accounts (no session) stops too.
    status, body = await command(http, legacy, {"op": "pause"})
    assert (status, body["reason"]) == (401, "revoked")
    assert "name and PIN" in body["detail"]


async def test_wrong_pin_then_lockout_with_the_wait(stage: Stage, http) -> None:
    stage.limits.pairing = RateLimiter(1000, 1000)  # the PIN lockout, not the address limit
    stage.staff.create("Ann", ["clerk"], pin="2468")
    for _ in range(5):
        status, body, _ = await pair(http, {"staff": "Ann", "pin": "0000"})
        assert (status, body["reason"]) == (403, "wrong_pin")
    status, body, headers = await pair(http, {"staff": "Ann", "pin": "2468"})
    assert (status, body["reason"]) == (429, "locked")
    assert "try again in" in body["detail"]
    assert 0 < int(headers["Retry-After"]) <= 300
    # Unknown people get the same answer as a wrong PIN.
    status, body, _ = await pair(http, {"staff": "Nobody", "pin": "2468"})
    assert (status, body["reason"]) == (403, "wrong_pin")


HOSTILE = [
    {"staff": "x" * 100_000, "pin": "2468"},
    {"staff": "Ann\u0000", "pin": "2468"},
    {"staff": "<script>alert(1)</script>", "pin": "2468"},
    {"staff": ["Ann"], "pin": "2468"},
    {"staff": None, "pin": "2468"},
    {"staff": "Ann", "pin": 2468},
    {"staff": "Ann", "pin": "2" * 10_000},
    {"staff": "Ann", "pin": None},
    {"staff": "Ann", "pin": "2468", "device": "a\nb"},
    {"staff": "Ann", "pin": "2468", "device": "x" * 1000},
    {"staff": "Ann", "pin": "2468", "device": 7},
    {"staff": "Ann", "pin": "2468", "device": "\u202e"},
]


async def test_hostile_pairing_is_refused_without_a_session(stage: Stage, http) -> None:
    stage.limits.pairing = RateLimiter(1000, 1000)
    stage.staff.create("Ann", ["clerk"], pin="2468")
    for body in HOSTILE:
        status, answer, _ = await pair(http, body)
        assert status in (403, 413, 422), (body, answer)
        assert "token" not in answer
        assert len(json.dumps(answer)) < 2000  # nothing echoed whole
    assert stage.staff.sessions() == []
    # The lockout counted the wrong PINs of a real name only (not the hostile names).
    status, answer, _ = await pair(http, {"staff": "Ann", "pin": "2468", "device": "ok"})
    assert status == 200, answer


async def test_raw_hostile_bodies(stage: Stage, http) -> None:
    stage.limits.pairing = RateLimiter(1000, 1000)
    stage.staff.create("Ann", ["clerk"], pin="2468")
    for raw in (b'{"staff": "\\ud800", "pin": "2468"}', b"[]", b"not json", b'{"staff": 1e999}'):
        async with http.post(
            "/api/pair", data=raw, headers={"Content-Type": "application/json"}
        ) as r:
            assert r.status in (400, 403, 422), raw
    assert stage.staff.sessions() == []


async def test_a_clerk_cannot_hammer(stage: Stage, http) -> None:
    """Role-bound tokens: the person's roles decide (P1's matrix: hammer is the auctioneer's)."""
    stage.staff.create("Ann", ["auctioneer"], pin="1111")
    stage.staff.create("Carl", ["clerk"], pin="2222")
    _, boss, _ = await pair(http, {"staff": "Ann", "pin": "1111"})
    _, clerk, _ = await pair(http, {"staff": "Carl", "pin": "2222"})
    assert (await command(http, boss["token"], {"op": "open_lot", "lot": "1"}))[0] == 200
    status, body = await command(http, clerk["token"], {"op": "hammer"})
    assert status == 403, body
    assert body["reason"] == "forbidden"


async def _staff_stream(stage: Stage, http: aiohttp.ClientSession, token: str) -> Any:
    url = "/.well-known/mercure"
    return await http.get(url, params={"topic": f"{stage.sale_iri}/staff"}, headers=bearer(token))


async def _ended(response: aiohttp.ClientResponse) -> bool:
    """Read until the hub closes the stream (bounded): True when it did."""
    try:
        async with asyncio.timeout(10):
            while True:
                chunk = await response.content.readany()
                if not chunk:
                    return True
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionError):
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize("where", ["the stage", "another process"])
async def test_a_revoked_session_loses_its_event_stream(stage: Stage, http, where: str) -> None:
    """Revocation ends the terminal's live staff stream too, not only its API calls: at once
    when the stage revokes, at the hub's next sweep when another process wrote the revocation
    (the CLI, a second desk); a new subscription with that token is refused 401."""
    stage.staff.create("Ann", ["clerk"], pin="2468")
    _, body, _ = await pair(http, {"staff": "st-1", "pin": "2468", "device": "floor-1"})
    token = body["token"]
    sid = stage.issuer.verify(token).sid or ""
    stream = await _staff_stream(stage, http, token)
    assert stream.status == 200
    await stream.content.readany()  # the first heartbeat: the stream is live
    if where == "the stage":
        assert stage.revoke_session(sid, by="st-9")
    else:
        assert stage.staff.revoke(sid, "st-9")
    assert await _ended(stream)
    stream.release()
    again = await _staff_stream(stage, http, token)
    assert again.status == 401
    again.release()
