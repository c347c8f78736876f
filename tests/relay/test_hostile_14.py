"""Issue 14, the relay's part: a relay node (internet-facing) answers hostile input cleanly.

The node reads bids through the stage's one intake (`hub/gateway/intake.py`), so each fix
there must hold here too; each test names its defect and failed on main before the fix.
"""

from __future__ import annotations

import jwt
import pytest

from hub.relay.link import RelayLink
from hub.stage import Stage

SALE = "/api/sales/demo"
DEEP_ARRAYS = b"[" * 1000 + b"]" * 1000


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


async def test_relay_bids_refuse_deep_json(stage: Stage, make_node, http) -> None:
    """Defect 2 on the relay: 1,000 nested arrays were a 500; now 400 bad_json."""
    node = await make_node()
    token = stage.issuer.issue("bidder", "demo", paddle="7001")
    for data in (DEEP_ARRAYS, b'{"lot": ' + b"[" * 40 + b"]" * 40 + b"}"):
        async with http.post(f"{node.url}{SALE}/bids", data=data, headers=_headers(token)) as r:
            assert r.status == 400, await r.text()
            assert r.content_type == "application/problem+json"
            assert (await r.json())["reason"] == "bad_json"


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b'{"lot": "1", "amount": 1, "amount": 9, "seen_seq": 1}', 400, "bad_json"),
        (b'{"lot": "\\ud800", "amount": 1, "seen_seq": 1}', 422, "invalid"),
    ],
)
async def test_relay_bids_refuse_what_the_stage_refuses(
    stage: Stage, make_node, http, data, status, reason
) -> None:
    """Repeated keys and lone surrogates: the relay answers as the stage does, before the link."""
    node = await make_node()
    token = stage.issuer.issue("bidder", "demo", paddle="7002")
    for url in (stage.url, node.url):
        async with http.post(f"{url}{SALE}/bids", data=data, headers=_headers(token)) as r:
            assert (r.status, (await r.json())["reason"]) == (status, reason), url


async def test_the_stage_rechecks_a_forwarded_body(stage: Stage, make_node, link_to) -> None:
    """A relay that forwards a body the HTTP door would refuse gets the same refusal."""
    node = await make_node()
    link: RelayLink = link_to(node.url)
    token = stage.issuer.issue("bidder", "demo", paddle="9600")
    deep: object = "1"
    for _ in range(40):
        deep = [deep]
    status, body = await link.decide_bid(token, {"lot": deep, "amount": 1, "seen_seq": 1})
    assert (status, body["reason"]) == (400, "bad_json")
    status, body = await link.decide_bid(token, {"lot": "\udc80", "amount": 1, "seen_seq": 1})
    assert (status, body["reason"]) == (422, "invalid")


def _forged(stage: Stage, headers: dict | None, **changes: object) -> str:
    good = stage.issuer.issue("bidder", "demo", paddle="7001")
    payload = {**jwt.decode(good, options={"verify_signature": False}), **changes}
    return jwt.encode(payload, stage.issuer._key, algorithm="EdDSA", headers=headers)


@pytest.mark.parametrize(
    ("headers", "changes"),
    [({"typ": "JWT"}, {}), ({"typ": "at+jwt"}, {"exp": "9999999999"})],
)
async def test_relay_checks_typ_and_numeric_exp(
    stage: Stage, make_node, http, headers, changes
) -> None:
    """Defect 6 on the relay: it verifies with the same code, so the same refusals."""
    node = await make_node()
    token = _forged(stage, headers, **changes)
    for path in ("/api/session", f"{SALE}/bids"):
        async with http.post(f"{node.url}{path}", json={}, headers=_headers(token)) as r:
            assert r.status == 401, path
            assert (await r.json())["reason"] == "invalid_token"


@pytest.mark.parametrize("role", ["bidder", "clerk", "consignor"])
async def test_relay_session_refuses_another_sales_token(
    stage: Stage, make_node, http, role
) -> None:
    """Defect 5's reference behaviour: the relay answers 403 wrong_sale, and sets no cookie."""
    node = await make_node()
    options = {"bidder": {"paddle": "7001"}, "clerk": {}, "consignor": {"subject": "C-1"}}[role]
    token = stage.issuer.issue(role, "other", **options)
    async with http.post(f"{node.url}/api/session", headers=_headers(token)) as r:
        assert r.status == 403
        assert (await r.json())["reason"] == "wrong_sale"
        assert "mercureAuthorization" not in r.cookies


async def test_relay_405_carries_allow(make_node, http) -> None:
    """Defect 9 on the relay: the same problems middleware, the same Allow header."""
    node = await make_node()
    async with http.get(f"{node.url}{SALE}/bids") as r:
        assert r.status == 405
        assert r.headers["Allow"] == "POST"
        assert r.content_type == "application/problem+json"


@pytest.mark.parametrize(
    "data",
    ["[" * 2000 + "]" * 2000, '{"t": "ack", "t": "resend"}', "[1]", "NaN", "{"],
    ids=["deep", "repeated-key", "not-an-object", "nan", "truncated"],
)
def test_the_stage_side_drops_a_relay_that_sends_garbage(data: str) -> None:
    """Defect 2's class on the stage's side of the link: a hostile or broken relay's message
    drops the link as a broken connection (reconnect, no traceback), never a RecursionError."""
    from hub.relay.link import _message

    with pytest.raises(ConnectionError):
        _message(data)
    assert _message('{"t": "ack", "seq": 3}') == {"t": "ack", "seq": 3}
