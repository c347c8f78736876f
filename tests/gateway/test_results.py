"""The sale's results over HTTP: staff only, JSON and CSV, from `hub.backend.results`."""

from __future__ import annotations

import csv
import io

from hub.auction.events import Actor
from hub.backend.money import format_plain_amount
from tests.gateway.helpers import bearer

SALE = "/api/sales/demo"
CLERK = Actor("clerk", roles=("clerk", "auctioneer"))


async def sell_lot_one(stage) -> int:
    """Open lot 1, floor bids from 101 and 102 until the reserve is met (101 last), hammer;
    returns the price."""
    answer = await stage.submit({"op": "open_lot", "lot": "1"}, CLERK)
    assert answer.ok, answer
    for _ in range(10):
        for paddle in ("102", "101"):
            answer = await stage.submit({"op": "floor_bid", "lot": "1", "paddle": paddle}, CLERK)
            assert answer.ok, answer
        if stage.snapshot(staff=True)["lot"]["reserve_met"]:
            break
    lot = stage.snapshot(staff=True)["lot"]
    assert lot["high"]["paddle"] == "101"
    answer = await stage.submit({"op": "hammer", "lot": "1", "source": "button"}, CLERK)
    assert answer.ok, answer
    return int(lot["high"]["amount"])


async def test_results_list_every_lot_with_the_hammer_price(stage, http):
    price = await sell_lot_one(stage)
    token = stage.issuer.issue("clerk", "demo")
    async with http.get(f"{SALE}/results", headers=bearer(token)) as r:
        assert r.status == 200
        assert r.headers["Cache-Control"] == "no-store"
        body = await r.json()
    assert body["sale"] == "demo"
    rows = {row["lot"]: row for row in body["results"]}
    assert list(rows) == [lot["id"] for lot in stage.snapshot()["lots"]]
    assert rows["1"]["status"] == "sold"
    assert rows["1"]["hammer"] == price
    assert rows["1"]["paddle"] == "101"
    assert rows["2"]["status"] == "pending"
    assert rows["2"]["hammer"] is None


async def test_results_as_csv(stage, http):
    price = await sell_lot_one(stage)
    token = stage.issuer.issue("auctioneer", "demo")
    async with http.get(f"{SALE}/results.csv", headers=bearer(token)) as r:
        assert r.status == 200
        assert r.content_type == "text/csv"
        assert r.headers["Content-Disposition"] == 'attachment; filename="demo-results.csv"'
        text = await r.text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["lot"] == "1"
    assert rows[0]["paddle"] == "101"
    assert rows[0]["status"] == "Sold"
    assert rows[0]["hammer"] == format_plain_amount(price, "EUR")  # major units: "750"


async def test_results_are_for_staff_only(stage, http):
    bidder = stage.issuer.issue("bidder", "demo", paddle="7001")
    for path in ("results", "results.csv"):
        async with http.get(f"{SALE}/{path}") as r:
            assert r.status == 401
            assert (await r.json())["reason"] == "unauthorized"
        async with http.get(f"{SALE}/{path}", headers=bearer(bidder)) as r:
            assert r.status == 403
            assert (await r.json())["reason"] == "forbidden"
        async with http.get(f"/api/sales/other/{path}", headers=bearer(bidder)) as r:
            assert r.status == 404
