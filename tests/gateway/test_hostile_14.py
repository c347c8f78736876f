"""Issue 14, the gateway's part: every hostile input gets a clean answer (real HTTP, loopback).

Each test names the defect of issue 14 it guards against; each failed on main before the fix.
"""

from __future__ import annotations

import jwt
import pytest

from hub.gateway.tokens import STAFF_ROLES, TokenError
from hub.stage import Stage
from tests.gateway.helpers import bearer

SALE = "/api/sales/demo"


# -- the consignor role (for the consignor portal) -------------------------------------------


def test_consignor_token_names_the_reference_and_only_its_topic(stage: Stage) -> None:
    """A consignor token: role consignor, subject = the reference, one topic and no other."""
    token = stage.issuer.issue("consignor", "demo", subject="C-017")
    claims = stage.issuer.verify(token)
    assert (claims.role, claims.subject, claims.paddle) == ("consignor", "C-017", None)
    assert claims.role not in STAFF_ROLES
    payload = jwt.decode(token, options={"verify_signature": False})
    topic = f"{stage.sale.sale_iri}/consignors/C-017"
    assert payload["mercure"]["subscribe"] == [topic]
    [detail] = payload["authorization_details"]
    assert detail["topics"] == [{"match": topic, "match_type": "exact"}]
    assert detail["actions"] == ["subscribe"]


@pytest.mark.parametrize(
    "subject", [None, "", "C\r\n1", "C\u20281", "C\x851", "\ud800", "C\u202e1", "x" * 65]
)
def test_consignor_token_needs_a_clean_reference(stage: Stage, subject: str | None) -> None:
    with pytest.raises(TokenError):
        stage.issuer.issue("consignor", "demo", subject=subject)


def test_consignor_token_cannot_carry_a_paddle(stage: Stage) -> None:
    with pytest.raises(TokenError):
        stage.issuer.issue("consignor", "demo", paddle="7001", subject="C-1")


async def test_consignor_is_neither_staff_nor_bidder(stage, http) -> None:
    """A consignor token gets no bid, no command, no staff route, no reserve in the snapshot."""
    token = stage.issuer.issue("consignor", "demo", subject="C-017")
    for path, body in (
        (f"{SALE}/bids", {"lot": "1", "amount": 100}),
        (f"{SALE}/commands", {"op": "open_lot", "lot": "1"}),
        (f"{SALE}/commands", {"op": "leave_commission", "lot": "1", "amount": 100}),
    ):
        async with http.post(path, json=body, headers=bearer(token)) as r:
            assert r.status == 403, (path, await r.text())
            assert r.content_type == "application/problem+json"
    for path in ("/api/sales", f"{SALE}/results", f"{SALE}/results.csv"):
        async with http.get(path, headers=bearer(token)) as r:
            assert r.status == 403, path
    async with http.get(f"{SALE}/state", headers=bearer(token)) as r:
        snap = await r.json()
    assert "bidders" not in snap
    assert "bidder" not in snap
    async with http.post("/api/session", headers=bearer(token)) as r:
        assert r.status == 200
        session = await r.json()
    assert session["role"] == "consignor"
    assert session["topics"] == {"mine": f"{stage.sale.sale_iri}/consignors/C-017"}


# -- defect 6: the JWT header's typ and a numeric-string exp ------------------------------------


def _forged(stage: Stage, headers: dict | None, **changes: object) -> str:
    """A token signed with the stage's own key, but with a header or claims changed."""
    good = stage.issuer.issue("bidder", "demo", paddle="7001")
    payload = {**jwt.decode(good, options={"verify_signature": False}), **changes}
    return jwt.encode(payload, stage.issuer._key, algorithm="EdDSA", headers=headers)


@pytest.mark.parametrize(
    ("headers", "changes"),
    [
        ({"typ": "JWT"}, {}),  # defect 6: typ ignored
        (None, {}),  # PyJWT writes typ JWT by default
        ({"typ": "at+jwt"}, {"exp": "9999999999"}),  # defect 6: exp as a numeric string
        ({"typ": "at+jwt"}, {"iat": "1"}),
        ({"typ": "at+jwt"}, {"exp": True}),
    ],
)
async def test_gateway_checks_typ_and_numeric_dates(stage, http, headers, changes) -> None:
    """Defect 6: the gateway accepted typ JWT and "exp": "<digits>"; the hub refuses both."""
    token = _forged(stage, headers, **changes)
    for method, path in (("POST", "/api/session"), ("POST", f"{SALE}/bids")):
        async with http.request(method, path, json={}, headers=bearer(token)) as r:
            assert r.status == 401, (path, await r.text())
            assert (await r.json())["reason"] == "invalid_token"


async def test_a_well_formed_forged_token_still_passes(stage, http) -> None:
    """The control for the test above: the same forging with nothing changed is accepted."""
    token = _forged(stage, {"typ": "at+jwt"})
    async with http.post("/api/session", headers=bearer(token)) as r:
        assert r.status == 200
