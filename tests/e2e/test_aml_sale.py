"""The live AML rule on a real stage (issue 13's proof): a bidder without complete CDD is
alerted on the staff feed (what the console and the desk's KYC tab draw) before the bid that
takes them to EUR 10,000, counting a lot already bought in this sale and a purchase in another
sale of the house (linked by their ID number); the sale rule's alert / hold / refuse behaves as
configured; the invoice is refused, and so is collection, until CDD is complete.

Everything is real: the other sale's journal on disk, the identities store, the stage (sequencer,
journal, KYC wiring), the cashier. The staff wires are taken from a commit listener, the
path the desktop's console and KYC tab get them through (`CoreThread._forward`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app.ui.kyc import alert_text
from hub.auction.events import SYSTEM, Actor
from hub.backend.cashier import MoneyError
from hub.backend.identities import IdentityStore
from hub.backend.sales import create_sale, sale_path
from hub.config import StageConfig
from hub.journal.records import Record
from hub.journal.sequencer import Sequencer
from hub.stage import Stage

JSON = dict[str, Any]
ADMIN = Actor("admin", name="st-1", device="desktop")
DESK = Actor("desk", name="st-2", device="desktop")
AUCTIONEER = Actor("auctioneer", name="st-3", device="desktop")
CASHIER = Actor("cashier", name="st-4", device="desktop")
BUYER = Actor("bidder", paddle="7001")
THRESHOLD = 1_000_000  # EUR 10,000.00


async def _autumn(data_dir: Path) -> None:
    """The house's previous sale: paddle 501 (the same person) bought lot A1 for €4,000."""
    path = sale_path(data_dir, "autumn")
    path.parent.mkdir(parents=True, exist_ok=True)
    sequencer = Sequencer(path)
    await sequencer.start()
    try:
        for command in (
            {"op": "create_sale", "sale": {"id": "autumn", "title": "Autumn"}},
            {"op": "add_lot", "lot": {"id": "A1", "title": "Clock", "start": 10_000}},
            {"op": "register_bidder", "paddle": "501", "status": "approved"},
            {"op": "go_live"},
            {"op": "open_lot", "lot": "A1"},
            {"op": "floor_bid", "lot": "A1", "paddle": "501", "amount": 400_000},
            {"op": "hammer", "lot": "A1"},
        ):
            answer = await sequencer.submit(command, SYSTEM)
            assert answer.ok, (command, answer.message)
    finally:
        await sequencer.stop()
    identities = IdentityStore(data_dir / "identities.db")
    try:
        identities.add("autumn", "501", {"name": "Ada Lovelace", "id_number": "P1234567"})
    finally:
        identities.close()


@pytest.fixture
async def spring(tmp_path: Path) -> AsyncIterator[tuple[Stage, list[Record]]]:
    data_dir = tmp_path / "house"
    await _autumn(data_dir)
    lots = [{"id": str(n), "title": f"Lot {n}", "start": 10_000} for n in (1, 2, 3)]
    create_sale(data_dir, {"id": "spring", "title": "Spring", "lots": lots, "draft": False})
    stage = Stage(StageConfig(data_dir=data_dir, host="127.0.0.1", port=0, sale="spring"))
    await stage.start()
    seen: list[Record] = []
    stage.add_listener(seen.extend)
    try:
        yield stage, seen
    finally:
        await stage.stop()


async def ok(stage: Stage, command: JSON, actor: Actor) -> None:
    answer = await stage.submit(command, actor)
    assert answer.ok, (command, answer.reason, answer.message)


async def _setup(stage: Stage, action: str) -> None:
    """The AML rule on, the buyer registered online (linked to paddle 501 of autumn) and
    approved, a second bidder in the room; lot 1 sold to the buyer for €3,000."""
    settings = {"aml_threshold": THRESHOLD, "aml_action": action, "aml_basis": "hammer"}
    await ok(stage, {"op": "configure", "settings": settings}, ADMIN)
    answer = await stage.register_bidder(
        "7001",
        "online",
        {"name": "Ada Lovelace", "email": "ada@example.org", "id_number": "P1234567"},
        approved=True,
        actor=DESK,
    )
    assert answer.ok, answer.message
    assert (await stage.register_bidder("8", "floor", {"name": "Bo"}, approved=True)).ok
    await stage.kyc.settled()  # the registration's background check: linking
    buyer = stage.engine.bidders["7001"]
    assert (buyer.linked, buyer.linked_sales) == (400_000, ["autumn"])

    await ok(stage, {"op": "open_lot", "lot": "1"}, AUCTIONEER)
    await ok(stage, {"op": "set_ask", "lot": "1", "amount": 300_000}, AUCTIONEER)
    await ok(stage, {"op": "bid", "lot": "1", "amount": 300_000}, BUYER)  # 700,000: below
    await ok(stage, {"op": "hammer", "lot": "1"}, AUCTIONEER)
    assert stage.engine.lots["1"].hammer["paddle"] == "7001"  # type: ignore[index]

    await ok(stage, {"op": "open_lot", "lot": "2"}, AUCTIONEER)
    await ok(stage, {"op": "floor_bid", "lot": "2", "paddle": "8", "amount": 200_000}, AUCTIONEER)
    await ok(stage, {"op": "set_ask", "lot": "2", "amount": 250_000}, AUCTIONEER)
    # 400,000 + 300,000 + 250,000 = 950,000: still below, no alert.
    await ok(stage, {"op": "bid", "lot": "2", "amount": 250_000}, BUYER)
    await ok(stage, {"op": "floor_bid", "lot": "2", "paddle": "8", "amount": 280_000}, AUCTIONEER)
    await ok(stage, {"op": "set_ask", "lot": "2", "amount": 300_000}, AUCTIONEER)


def _types(records: list[Record]) -> list[str]:
    return [r.type for r in records]


def _alerts(records: list[Record]) -> list[Record]:
    return [r for r in records if r.type == "aml_alert"]


@pytest.mark.parametrize("action", ["alert", "hold", "refuse"])
async def test_the_crossing_bid_is_alerted_first_and_the_rule_applies(spring, action):
    stage, seen = spring
    await _setup(stage, action)
    assert _alerts(seen) == []  # nothing before the crossing bid

    start = len(seen)
    answer = await stage.submit({"op": "bid", "lot": "2", "amount": 300_000}, BUYER)
    crossing = seen[start:]
    alerts = _alerts(crossing)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.audience == "staff"  # never on the room's or the bidder's topic
    assert alert.data["paddle"] == "7001"
    assert alert.data["exposure"] == 400_000 + 300_000 + 300_000
    assert alert.data["threshold"] == THRESHOLD
    wire = alert.wire("staff")  # what the console and the KYC tab receive
    text = alert_text(wire, "EUR")
    assert text.startswith("Lot 2, paddle 7001: CDD not complete: €10,000 with this bid")
    outcome = [t for t in _types(crossing) if t != "aml_alert"]
    # The alert comes before anything the bid did.
    assert _types(crossing).index("aml_alert") == 0
    if action == "alert":
        assert answer.ok
        assert "bid_accepted" in outcome
        assert stage.engine.lots["2"].bids[-1].paddle == "7001"
    elif action == "hold":
        assert answer.ok
        pending = [r for r in crossing if r.type == "online_bid_pending"]
        assert len(pending) == 1
        assert pending[0].data["pending"]["why"] == "aml"  # the clerk sees why it waits
        assert "bid_accepted" not in outcome
    else:
        assert not answer.ok
        assert answer.reason == "cdd_required"
        assert "identity checks must be completed" in (answer.message or "")
        assert "bid_accepted" not in outcome

    # A second bid on the same lot raises no second alert (once per paddle per lot).
    await stage.submit({"op": "bid", "lot": "2", "amount": 300_000}, BUYER)
    assert len(_alerts(seen)) == 1


async def test_the_invoice_and_collection_wait_for_complete_cdd(spring):
    stage, seen = spring
    await _setup(stage, "alert")
    await ok(stage, {"op": "bid", "lot": "2", "amount": 300_000}, BUYER)
    await ok(stage, {"op": "hammer", "lot": "2"}, AUCTIONEER)
    assert len(_alerts(seen)) == 1

    with pytest.raises(MoneyError) as refused:
        await stage.cashier.issue_invoice("7001", "st-4")
    assert refused.value.reason == "cdd_incomplete"
    assert "identity checks must be complete" in str(refused.value)
    with pytest.raises(MoneyError) as held:
        await stage.cashier.release("7001", [], "st-4", override_reason="trusted buyer")
    assert held.value.reason == "cdd_incomplete"
    assert not stage.engine.state.money.invoiced

    # The desk completes CDD, each step naming the person.
    for step, outcome in (
        ("id_seen", "ok"),
        ("address_verified", "ok"),
        ("screened", "clear"),
        ("risk_rated", "low"),
    ):
        answer = await stage.kyc.record_step(
            "7001", step, outcome, f"{step}-1", actor=DESK, fields=None
        )
        assert answer.ok, answer.message
    steps = [r for r in seen if r.type == "cdd_recorded"]
    assert [r.actor.get("name") for r in steps] == ["st-2"] * 4
    assert all("Ada" not in str(r.data) for r in steps)  # no PII in the journal

    issued = await stage.cashier.issue_invoice("7001", "st-4")
    assert issued.ok, issued.message
    assert set(stage.engine.state.money.invoiced) == {"1", "2"}
    released = await stage.cashier.release("7001", [], "st-4", override_reason="trusted buyer")
    assert released.ok, released.message

    # The buyer's CDD file for the supervisor has the steps, who and when.
    file = stage.kyc.cdd_file("7001")
    assert [e["type"] for e in file["events"]].count("cdd_recorded") == 4
    assert {e["by"] for e in file["events"] if e["type"] == "cdd_recorded"} == {"st-2"}
    assert file["identity"]["id_number"] == "P1234567"


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sanctions"
OFFICER = Actor("officer", name="st-5", device="desktop")


async def test_a_listed_person_is_held_at_registration_until_the_officer_clears(spring):
    stage, seen = spring
    stage.kyc.room.import_list(FIXTURES / "eu_fsf_1_1.xml", "eu")
    answer = await stage.register_bidder(
        "9", "floor", {"name": "Viktor Andreyevich Kravchenko"}, approved=True, actor=DESK
    )
    assert answer.ok, answer.message
    await stage.kyc.settled()  # screened in the background, as every registration is
    bidder = stage.engine.bidders["9"]
    assert bidder.hold is not None
    assert bidder.cdd.get("screened") == "hold"
    held = [r for r in seen if r.type == "bidder_held"]
    assert len(held) == 1
    assert "Kravchenko" not in str([r.data for r in seen])  # the person's name stays out

    await ok(stage, {"op": "open_lot", "lot": "1"}, AUCTIONEER)
    refused = await stage.submit(
        {"op": "floor_bid", "lot": "1", "paddle": "9", "amount": 10_000}, AUCTIONEER
    )
    assert not refused.ok
    assert refused.reason == "on_hold"

    # Only the officer reviews; the desk may not.
    review = {"op": "review_hold", "paddle": "9", "decision": "clear", "reason": "other DOB"}
    assert (await stage.submit(review, DESK)).reason == "forbidden"
    await ok(stage, review, OFFICER)
    assert stage.engine.bidders["9"].hold is None
    await ok(stage, {"op": "floor_bid", "lot": "1", "paddle": "9", "amount": 10_000}, AUCTIONEER)

    # The CDD file has the screening record (lists and their hashes, the hit) and the review.
    file = stage.kyc.cdd_file("9")
    assert [s["verdict"] for s in file["screenings"]] == ["hold"]  # cited twice, listed once
    assert file["screenings"][0]["lists"][0]["list"] == "eu"
    types = [e["type"] for e in file["events"]]
    assert types.index("bidder_held") < types.index("hold_cleared")


async def test_a_rescreen_does_not_raise_a_hold_the_officer_already_cleared(spring):
    stage, seen = spring
    stage.kyc.room.import_list(FIXTURES / "eu_fsf_1_1.xml", "eu")
    await stage.register_bidder(
        "9", "floor", {"name": "Viktor Andreyevich Kravchenko"}, approved=True, actor=DESK
    )
    await stage.kyc.settled()
    review = {"op": "review_hold", "paddle": "9", "decision": "clear", "reason": "other DOB"}
    await ok(stage, review, OFFICER)
    # The same list again (a monthly re-import): the cleared match is not raised again.
    stage.kyc.room.import_list(FIXTURES / "eu_fsf_1_1.xml", "eu")
    done = await stage.kyc.rescreen(list(stage.engine.bidders), SYSTEM)
    assert [d.result.ref for d in done if d.result.verdict == "hold"] == []
    assert stage.engine.bidders["9"].hold is None
    assert len([r for r in seen if r.type == "bidder_held"]) == 1
    # A new list naming them under another entry holds them again.
    stage.kyc.room.import_list(FIXTURES / "sdn.csv", "ofac", alt=FIXTURES / "alt.csv")
    stage.identities.update(stage.sale_id, "9", {"name": "Marcus Edward Holloway"})
    done = await stage.kyc.rescreen(["9"], SYSTEM)
    assert [d.result.verdict for d in done] == ["hold"]
    assert stage.engine.bidders["9"].hold is not None
