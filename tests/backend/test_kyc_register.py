"""The web sign-up with the house's KYC policy, over real HTTP on a real stage: the policy's
fields are announced and required, KYC fields are checked (bad ones refused whole, nothing
written), a person may not pick a customer id, and the identity lands in the identities store
linked to the same person's paddle in another sale."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from hub.backend import kyc
from hub.stage import Stage

SALE = "/api/sales/demo"
GOOD = {
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "address": "12 St James's Square\nLondon",
    "country": "GB",
    "dob": "1970-12-10",
    "id_type": "passport",
    "id_number": "P1234567",
    "id_expiry": "2031-01-01",
}


@pytest.fixture
async def http(stage: Stage) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=stage.url) as session:
        yield session


def _strict(stage: Stage) -> None:
    kyc.save_policy(
        stage.config.data_dir,
        {"online_require": ["name", "email", "address", "country", "dob", "id_number"]},
    )


async def _names(stage: Stage) -> set[str]:
    return {b["name"] for b in stage.bidders()}


async def test_the_page_learns_what_the_policy_requires(stage, http):
    async with http.get("/api/sales/current") as r:
        assert (await r.json())["required"] == ["name", "email"]
    _strict(stage)
    async with http.get("/api/sales/current") as r:
        assert (await r.json())["required"] == [
            "name",
            "email",
            "address",
            "country",
            "dob",
            "id_number",
        ]


async def test_a_sign_up_missing_a_required_field_is_refused(stage, http):
    _strict(stage)
    before = set(stage.engine.bidders)
    body = {k: v for k, v in GOOD.items() if k != "dob"}
    async with http.post(f"{SALE}/register", json=body) as r:
        assert r.status == 422
        detail = (await r.json())["detail"]
    assert detail == "the house's policy requires: dob"
    assert set(stage.engine.bidders) == before


async def test_a_full_sign_up_stores_the_kyc_fields_outside_the_journal(stage, http):
    _strict(stage)
    async with http.post(f"{SALE}/register", json=GOOD) as r:
        assert r.status == 202, await r.text()
        paddle = (await r.json())["paddle"]
    row = stage.identities.get(stage.sale_id, paddle)
    assert row is not None
    assert (row["dob"], row["id_type"], row["id_number"]) == ("1970-12-10", "passport", "P1234567")
    assert row["address"] == "12 St James's Square\nLondon"
    assert row["customer"].startswith("cu-")
    records = stage.sequencer.engine.bidders[paddle].to_json()
    assert "P1234567" not in str(records)
    await stage.kyc.settled()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dob": "10/12/1970"}, "'dob' must be a date"),
        ({"dob": "1970-02-30"}, "not a real date"),
        ({"id_type": "library_card"}, "'id_type' must be one of"),
        ({"id_number": "P12\u202e34"}, "'id_number'"),
        ({"id_number": "P" * 41}, "'id_number' must be text of at most 40"),
        ({"address": "x" * 501}, "'address' must be text of at most 500"),
        ({"address": "12 Square\u2028London"}, "'address' contains control"),
        ({"country": "GB\x00"}, "'country' contains control"),
        ({"company": "Evil\ud800Co"}, None),  # a lone surrogate cannot even be sent as JSON
        ({"dob": 19701210}, "'dob' must be text"),
    ],
)
async def test_hostile_kyc_fields_are_refused_whole(stage, http, change, message):
    before = set(stage.engine.bidders)
    names_before = await _names(stage)
    body = {**GOOD, **change}
    if message is None:
        raw = '{"name": "Eve", "email": "e@x.org", "company": "Evil\\ud800Co"}'
        async with http.post(
            f"{SALE}/register", data=raw, headers={"Content-Type": "application/json"}
        ) as r:
            assert r.status in (400, 422)
    else:
        async with http.post(f"{SALE}/register", json=body) as r:
            assert r.status == 422, await r.text()
            detail = (await r.json())["detail"]
        assert message in detail
    assert set(stage.engine.bidders) == before
    assert await _names(stage) == names_before


async def test_a_person_cannot_choose_their_customer_id(stage, http):
    stage.identities.add("autumn", "5", {"name": "Someone", "id_number": "X9"})
    body = {**GOOD, "id_number": "Z1", "customer": "cu-1"}
    async with http.post(f"{SALE}/register", json=body) as r:
        assert r.status == 202
        paddle = (await r.json())["paddle"]
    row = stage.identities.get(stage.sale_id, paddle)
    assert row is not None
    assert row["customer"] != "cu-1"
    await stage.kyc.settled()


async def test_the_same_document_links_the_sign_up_to_the_earlier_paddle(stage, http):
    stage.identities.add("autumn", "5", {"name": "Ada L.", "id_number": "P1234567"})
    async with http.post(f"{SALE}/register", json=GOOD) as r:
        assert r.status == 202
        paddle = (await r.json())["paddle"]
    row = stage.identities.get(stage.sale_id, paddle)
    assert row is not None
    assert stage.identities.paddles_of(row["customer"]) == [("autumn", "5"), ("demo", paddle)]
    await stage.kyc.settled()


async def test_a_duplicated_sign_up_gets_another_paddle_not_a_merge(stage, http):
    paddles = []
    for _ in range(2):
        async with http.post(f"{SALE}/register", json=GOOD) as r:
            assert r.status == 202
            paddles.append((await r.json())["paddle"])
    assert paddles[0] != paddles[1]
    rows = [stage.identities.get(stage.sale_id, p) for p in paddles]
    assert rows[0] is not None
    assert rows[1] is not None
    assert rows[0]["customer"] == rows[1]["customer"]  # the same person, twice
    await stage.kyc.settled()
