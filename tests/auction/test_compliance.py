"""People and the law in the core (issue 13): CDD steps, holds, the live AML rule, markers.

Every command: its accepted path, each refusal, hostile input; the journal replays to the
same state; nothing personal is journaled (only steps, outcomes and opaque references).
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.auction import reasons as R
from hub.auction.decide.compliance import cdd_complete, exposure
from hub.auction.events import STAFF, Actor

from .helpers import CLERK, SYSTEM, Sale, bidder, projections, replay

THRESHOLD = 1_000_000  # €10,000.00
DESK = Actor("desk", name="st-2", device="terminal:desk")
OFFICER = Actor("officer", name="st-9", device="desktop")
ADMIN = Actor("admin", name="st-1", device="desktop")
CLERK_ONLY = Actor("clerk", name="st-4", device="terminal:floor")
INV1 = "INV-2026-00001"

FULL_CDD = (
    ("id_seen", "ok"),
    ("address_verified", "ok"),
    ("screened", "clear"),
    ("risk_rated", "low"),
)


def sale(**settings: Any) -> Sale:
    s = Sale(settings, draft=True)
    for lot in ("1", "2", "3"):
        s.lot(lot, start=100_000)
    s.bidders("A", "B", "C")
    s.ok({"op": "go_live"})
    return s


def aml_sale(action: str = "alert", **settings: Any) -> Sale:
    return sale(aml_threshold=THRESHOLD, aml_action=action, **settings)


def cdd(s: Sale, paddle: str, steps: Any = FULL_CDD, actor: Actor = DESK) -> None:
    for step, outcome in steps:
        s.ok({"op": "record_cdd", "paddle": paddle, "step": step, "outcome": outcome}, actor)


def same_after_replay(s: Sale) -> None:
    assert projections(replay(s.journal)) == projections(s.engine)


def bidder_state(s: Sale, paddle: str) -> dict[str, Any]:
    return s.engine.state.bidders[paddle].to_json()


# -- CDD steps


def test_cdd_steps_are_journaled_with_who_and_make_cdd_complete():
    s = sale()
    d = s.ok(
        {
            "op": "record_cdd",
            "paddle": "A",
            "step": "id_seen",
            "outcome": "ok",
            "reference": "sha256:9f86d081884c7d65",
        },
        DESK,
    )
    (event,) = d.events
    assert event.type == "cdd_recorded"
    assert event.audience == STAFF
    assert event.bidders == ()
    assert event.data == {
        "paddle": "A",
        "step": "id_seen",
        "outcome": "ok",
        "reference": "sha256:9f86d081884c7d65",
        "at": s.now,
        "by": "st-2",
        "role": "desk",
    }
    assert not cdd_complete(s.engine.state.bidders["A"])
    cdd(s, "A", FULL_CDD[1:], OFFICER)
    assert cdd_complete(s.engine.state.bidders["A"])
    assert bidder_state(s, "A")["cdd"] == dict(FULL_CDD)
    same_after_replay(s)


def test_what_complete_cdd_needs():
    s = sale()
    s.ok({"op": "register_bidder", "paddle": "CO", "status": "approved", "legal_person": True})
    cdd(s, "CO")
    assert not cdd_complete(s.engine.state.bidders["CO"])  # a company: its beneficial owner
    cdd(s, "CO", [("beneficial_owner", "ok")])
    assert cdd_complete(s.engine.state.bidders["CO"])
    cdd(s, "A", (*FULL_CDD[:3], ("risk_rated", "high")))
    assert not cdd_complete(s.engine.state.bidders["A"])  # high risk: source of funds too
    cdd(s, "A", [("source_of_funds", "ok")])
    assert cdd_complete(s.engine.state.bidders["A"])
    cdd(s, "A", [("address_verified", "failed")])  # the latest outcome of a step counts
    assert not cdd_complete(s.engine.state.bidders["A"])
    cdd(s, "B", (*FULL_CDD[:2], ("screened", "hold"), ("risk_rated", "low")))
    assert not cdd_complete(s.engine.state.bidders["B"])
    same_after_replay(s)


def test_cdd_refusals():
    s = sale()
    cmd = {"op": "record_cdd", "paddle": "A", "step": "id_seen", "outcome": "ok"}
    s.no({**cmd, "paddle": "ZZ"}, R.UNKNOWN_BIDDER, DESK)
    s.no({**cmd, "outcome": "clear"}, R.INVALID, DESK)  # not an outcome of this step
    s.no({**cmd, "step": "risk_rated"}, R.INVALID, DESK)
    s.no({**cmd, "step": "vibes"}, R.INVALID, DESK)
    s.no({**cmd, "outcome": None}, R.INVALID, DESK)
    s.no({**cmd, "step": ["id_seen"]}, R.INVALID, DESK)
    for actor in (CLERK_ONLY, ADMIN, Actor("auctioneer"), Actor("cashier"), bidder("A")):
        d = s.no(cmd, R.FORBIDDEN, actor)
        assert actor.role in str(d.message)
    assert bidder_state(s, "A")["cdd"] == {}


HOSTILE_REFERENCES = [
    "x" * 129,
    "two words",
    "tab\there",
    "nul\x00",
    "line\nbreak",
    "\ud800",
    "bidi\u202eevil",
    "zero\u200bwidth",
    " lead",
    123,
    ["a"],
    {"a": 1},
    True,
]


@pytest.mark.parametrize("reference", HOSTILE_REFERENCES, ids=range(len(HOSTILE_REFERENCES)))
def test_hostile_references_are_refused_and_nothing_is_written(reference):
    s = sale()
    before = len(s.journal)
    commands = [
        {"op": "record_cdd", "paddle": "A", "step": "id_seen", "outcome": "ok"},
        {"op": "hold_bidder", "paddle": "A", "reason": "match"},
        {"op": "note_suspicion", "paddle": "A"},
    ]
    for cmd in commands:
        d = s.no({**cmd, "reference": reference}, R.INVALID, OFFICER)
        assert "'reference'" in str(d.message)
        assert len(str(d.message)) < 200
    assert len(s.journal) == before


HOSTILE_REASONS = ["", "   ", "x" * 501, "two\nlines", "nul\x00", "\ud800", "bidi\u202e", 5, None]


@pytest.mark.parametrize("reason", HOSTILE_REASONS, ids=range(len(HOSTILE_REASONS)))
def test_hostile_reasons_are_refused(reason):
    s = sale()
    s.ok({"op": "hold_bidder", "paddle": "B", "reason": "match"}, OFFICER)
    before = len(s.journal)
    for cmd, actor in (
        ({"op": "hold_bidder", "paddle": "A"}, DESK),
        ({"op": "review_hold", "paddle": "B", "decision": "clear"}, OFFICER),
        ({"op": "erase_identity", "paddle": "A"}, ADMIN),
    ):
        s.no({**cmd, "reason": reason}, R.INVALID, actor)
    assert len(s.journal) == before


def test_an_unknown_or_oversized_paddle_is_refused_everywhere():
    s = sale()
    for paddle, reason in (("ZZ", R.UNKNOWN_BIDDER), ("x" * 33, R.INVALID), ("", R.INVALID)):
        s.no({"op": "hold_bidder", "paddle": paddle, "reason": "r"}, reason, OFFICER)
        s.no({"op": "erase_identity", "paddle": paddle, "reason": "r"}, reason, ADMIN)
        s.no({"op": "note_suspicion", "paddle": paddle, "reference": "n-1"}, reason, OFFICER)
        s.no({"op": "set_linked_purchases", "paddle": paddle, "amount": 1}, reason, DESK)


# -- holds


def test_a_held_bidder_cannot_bid_until_the_officer_clears_the_hold():
    s = sale()
    s.ok({"op": "open_lot", "lot": "1"})
    d = s.ok(
        {"op": "hold_bidder", "paddle": "A", "reason": "screening match", "reference": "scr-12"},
        SYSTEM,
    )
    assert d.events[0].type == "bidder_held"
    assert d.events[0].audience == STAFF
    assert d.events[0].bidders == ()  # the bidder is not told why
    s.no({"op": "bid", "lot": "1", "amount": 100_000}, R.ON_HOLD, bidder("A"))
    s.no({"op": "floor_bid", "lot": "1", "paddle": "A"}, R.ON_HOLD)
    own = s.engine.bidder_view("A")
    assert own is not None
    assert "hold" not in own  # nor sees the hold in their snapshot
    s.no(
        {"op": "review_hold", "paddle": "A", "decision": "clear", "reason": "r"}, R.FORBIDDEN, DESK
    )
    s.no(
        {"op": "review_hold", "paddle": "A", "decision": "maybe", "reason": "r"}, R.INVALID, OFFICER
    )
    s.ok(
        {"op": "review_hold", "paddle": "A", "decision": "clear", "reason": "DOB differs"}, OFFICER
    )
    assert bidder_state(s, "A")["hold"] is None
    s.ok({"op": "bid", "lot": "1", "amount": 100_000}, bidder("A"))
    s.no(
        {"op": "review_hold", "paddle": "A", "decision": "clear", "reason": "r"},
        R.NOT_ON_HOLD,
        OFFICER,
    )
    same_after_replay(s)


def test_a_confirmed_hold_rejects_the_bidder():
    s = sale()
    s.ok({"op": "hold_bidder", "paddle": "B", "reason": "screening match"}, DESK)
    d = s.ok(
        {"op": "review_hold", "paddle": "B", "decision": "confirm", "reason": "same person"},
        OFFICER,
    )
    assert [e.type for e in d.events] == ["hold_confirmed"]
    assert d.events[0].data["by"] == "st-9"
    state = bidder_state(s, "B")
    assert state["status"] == "rejected"
    assert state["hold"] is None
    s.ok({"op": "open_lot", "lot": "1"})
    s.no({"op": "bid", "lot": "1", "amount": 100_000}, R.NOT_APPROVED, bidder("B"))
    same_after_replay(s)


# -- the live AML rule


def test_no_threshold_no_work_and_no_alert():
    s = sale()
    s.ok({"op": "open_lot", "lot": "1"})
    d = s.ok({"op": "bid", "lot": "1", "amount": 5_000_000}, bidder("A"))
    assert [e.type for e in d.events] == ["bid_accepted"]


def test_the_alert_comes_before_the_bid_that_crosses_linked_across_lots_and_sales():
    s = aml_sale("alert")
    s.ok(
        {"op": "set_linked_purchases", "paddle": "A", "amount": 400_000, "sales": ["spring"]}, DESK
    )
    # Lot 1 sold to A at 500,000: exposure 900,000, under the threshold.
    s.ok({"op": "open_lot", "lot": "1"})
    d = s.ok({"op": "bid", "lot": "1", "amount": 500_000}, bidder("A"))
    assert [e.type for e in d.events] == ["bid_accepted"]
    s.ok({"op": "hammer", "lot": "1"})
    assert exposure(s.engine.state, s.engine.state.bidders["A"]) == 900_000
    # Lot 2: a bid of 100,000 takes A to 1,000,000: the alert first, then the bid stands.
    s.ok({"op": "open_lot", "lot": "2"})
    d = s.ok({"op": "bid", "lot": "2", "amount": 100_000}, bidder("A"))
    assert [e.type for e in d.events] == ["aml_alert", "bid_accepted"]
    alert = d.events[0]
    assert alert.audience == STAFF
    assert alert.bidders == ()
    assert alert.lot == "2"
    assert alert.data["exposure"] == THRESHOLD
    assert alert.data["linked"] == 400_000
    assert alert.data["missing"] == ["id_seen", "address_verified", "screened", "risk_rated"]
    # Once per paddle per lot.
    s.ok({"op": "floor_bid", "lot": "2", "paddle": "B", "amount": 120_000})
    d = s.ok({"op": "bid", "lot": "2", "amount": 140_000}, bidder("A"))
    assert [e.type for e in d.events] == ["bid_accepted"]
    assert bidder_state(s, "A")["aml_alerted"] == ["2"]
    same_after_replay(s)


def test_complete_cdd_means_no_alert():
    s = aml_sale("refuse")
    cdd(s, "A")
    s.ok({"op": "open_lot", "lot": "1"})
    d = s.ok({"op": "bid", "lot": "1", "amount": 2_000_000}, bidder("A"))
    assert [e.type for e in d.events] == ["bid_accepted"]


def test_refuse_says_why_to_the_bidder():
    s = aml_sale("refuse")
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "bid", "lot": "1", "amount": 900_000}, bidder("A"))
    d = s.no({"op": "bid", "lot": "1", "amount": 1_000_000}, R.CDD_REQUIRED, bidder("B"))
    assert d.message == "identity checks must be completed before bidding above €10,000.00"
    assert [e.type for e in d.events] == ["aml_alert", "bid_refused"]
    assert s.high("1") == (900_000, "A")
    d = s.no({"op": "floor_bid", "lot": "1", "paddle": "B", "amount": 1_100_000}, R.CDD_REQUIRED)
    assert [e.type for e in d.events] == ["bid_refused"]  # alerted once on this lot already
    # A paddle-less room bid is the auctioneer's to know: no paddle, no rule.
    s.ok({"op": "floor_bid", "lot": "1", "amount": 1_200_000})
    same_after_replay(s)


def test_hold_waits_for_the_clerk_online_and_lets_a_floor_bid_stand():
    s = aml_sale("hold")
    s.ok({"op": "open_lot", "lot": "1"})
    d = s.ok({"op": "bid", "lot": "1", "amount": 1_000_000}, bidder("A"))
    assert [e.type for e in d.events] == ["aml_alert", "online_bid_pending"]
    pending = d.events[1].data["pending"]
    assert pending["why"] == "aml"
    assert s.high("1") is None
    s.ok({"op": "accept_online", "lot": "1", "pending": pending["id"]}, CLERK_ONLY)
    assert s.high("1") == (1_000_000, "A")
    d = s.ok({"op": "floor_bid", "lot": "1", "paddle": "B", "amount": 1_100_000}, CLERK_ONLY)
    assert [e.type for e in d.events] == ["aml_alert", "bid_accepted"]
    same_after_replay(s)


def test_the_total_basis_counts_the_charges():
    # 25 % premium: a hammer of 800,000 costs 1,000,000.
    s = aml_sale("refuse", aml_basis="total", buyer_premium=[[0, 2500]])
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "bid", "lot": "1", "amount": 790_000}, bidder("A"))
    s.no({"op": "bid", "lot": "1", "amount": 800_000}, R.CDD_REQUIRED, bidder("B"))
    hammer_only = aml_sale("refuse", buyer_premium=[[0, 2500]])
    hammer_only.ok({"op": "open_lot", "lot": "1"})
    hammer_only.ok({"op": "bid", "lot": "1", "amount": 800_000}, bidder("B"))


def test_invoice_and_release_wait_for_cdd_over_the_threshold():
    s = aml_sale("alert")
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "bid", "lot": "1", "amount": 1_000_000}, bidder("A"))
    s.ok({"op": "hammer", "lot": "1"})
    s.ok({"op": "open_lot", "lot": "2"})
    s.ok({"op": "bid", "lot": "2", "amount": 100_000}, bidder("B"))
    s.ok({"op": "hammer", "lot": "2"})
    d = s.no({"op": "issue_invoice", "paddle": "A", "number": INV1}, R.CDD_INCOMPLETE, SYSTEM)
    assert "paddle A" in str(d.message)
    s.no({"op": "release_lots", "paddle": "A"}, R.CDD_INCOMPLETE, Actor("cashier"))
    # Under the threshold: B is invoiced as ever.
    s.ok({"op": "issue_invoice", "paddle": "B", "number": INV1}, SYSTEM)
    cdd(s, "A")
    s.ok({"op": "issue_invoice", "paddle": "A", "number": "INV-2026-00002"}, SYSTEM)
    s.ok({"op": "release_lots", "paddle": "A", "override_reason": "paid by card"}, Actor("cashier"))
    same_after_replay(s)


def test_linked_purchases_refusals():
    s = aml_sale()
    cmd = {"op": "set_linked_purchases", "paddle": "A", "amount": 5}
    s.no({**cmd, "sales": ["s1"]}, R.INVALID, DESK)  # this sale is not "elsewhere"
    s.no({**cmd, "sales": ["a", "a"]}, R.INVALID, DESK)
    s.no({**cmd, "sales": ["../etc"]}, R.INVALID, DESK)
    s.no({**cmd, "sales": "spring"}, R.INVALID, DESK)
    s.no({**cmd, "sales": ["x"] * 101}, R.INVALID, DESK)
    s.no({**cmd, "amount": -1}, R.INVALID, DESK)
    s.no({**cmd, "amount": 1.5}, R.INVALID, DESK)
    s.no({**cmd, "amount": True}, R.INVALID, DESK)
    s.no(cmd, R.FORBIDDEN, OFFICER)
    s.ok(cmd, DESK)
    s.ok({**cmd, "amount": 7, "sales": ["spring", "autumn"]}, SYSTEM)  # the latest counts
    assert bidder_state(s, "A")["linked"] == 7
    assert bidder_state(s, "A")["linked_sales"] == ["spring", "autumn"]


@pytest.mark.parametrize(
    "settings",
    [
        {"aml_threshold": 0},
        {"aml_threshold": -5},
        {"aml_threshold": 1.5},
        {"aml_threshold": "10000"},
        {"aml_threshold": True},
        {"aml_threshold": 10**14},
        {"aml_basis": "net"},
        {"aml_action": "warn"},
        {"aml_action": None},
    ],
)
def test_bad_aml_settings_are_refused(settings):
    s = sale()
    s.no({"op": "configure", "settings": settings}, R.INVALID)


def test_aml_settings_change_and_turn_off():
    s = aml_sale("refuse")
    s.ok({"op": "configure", "settings": {"aml_threshold": None}}, ADMIN)
    s.ok({"op": "open_lot", "lot": "1"})
    d = s.ok({"op": "bid", "lot": "1", "amount": 5_000_000}, bidder("A"))
    assert [e.type for e in d.events] == ["bid_accepted"]
    assert s.engine.state.sale.settings.to_json()["aml_threshold"] is None
    same_after_replay(s)


# -- markers: erasure and suspicion


def test_erasure_is_a_marker_without_personal_data():
    s = sale()
    d = s.ok({"op": "erase_identity", "paddle": "C", "reason": "retention period over"}, ADMIN)
    (event,) = d.events
    assert event.type == "identity_erased"
    assert event.audience == STAFF
    assert set(event.data) == {"paddle", "reason", "at", "by", "role"}
    assert event.data["by"] == "st-1"
    assert bidder_state(s, "C")["erased"] is True
    s.no({"op": "erase_identity", "paddle": "C", "reason": "again"}, R.ERASED, SYSTEM)
    s.no({"op": "erase_identity", "paddle": "A", "reason": "r"}, R.FORBIDDEN, OFFICER)
    same_after_replay(s)


def test_a_suspicion_note_journals_only_its_reference():
    s = sale()
    d = s.ok({"op": "note_suspicion", "paddle": "A", "reference": "sar-2026-0001"}, OFFICER)
    (event,) = d.events
    assert event.type == "suspicion_noted"
    assert event.audience == STAFF
    assert event.bidders == ()
    assert event.lot is None
    assert event.data == {"reference": "sar-2026-0001"}
    s.no({"op": "note_suspicion", "paddle": "A"}, R.INVALID, OFFICER)  # a reference is needed
    for actor in (DESK, ADMIN, CLERK_ONLY, Actor("auctioneer"), bidder("A")):
        s.no({"op": "note_suspicion", "paddle": "A", "reference": "x"}, R.FORBIDDEN, actor)
    same_after_replay(s)


def test_compliance_goes_on_after_the_sale_closes():
    s = sale()
    s.ok({"op": "close_sale"})
    cdd(s, "A")
    s.ok({"op": "hold_bidder", "paddle": "B", "reason": "list update"}, SYSTEM)
    s.ok({"op": "erase_identity", "paddle": "C", "reason": "retention"}, SYSTEM)
    assert CLERK.roles  # the tests' staff member holds every role
    same_after_replay(s)
