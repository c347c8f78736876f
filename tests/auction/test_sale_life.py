"""A sale's life: created as a draft, going live, session breaks, closed; its new rules."""

from __future__ import annotations

from typing import Any

import pytest

from hub.auction import reasons as R
from hub.auction.catalogue import sale_commands
from hub.auction.engine import Engine
from hub.auction.events import PUBLIC, Event

from .helpers import SYSTEM, Sale, bidder, replay


def draft(**settings: Any) -> Sale:
    s = Sale(settings, draft=True)
    s.lot("1", start=100, reserve=300)
    s.lot("2", start=50)
    s.bidders("A", "B")
    return s


def create(sale: Any) -> Any:
    return Engine().decide({"op": "create_sale", "sale": sale}, SYSTEM, 1.0)


# -- creating a sale


@pytest.mark.parametrize(
    "bad",
    ["", " ", "-x", "_x", "a b", "../etc", "a/b", "sale.db", "é", "a" * 65, "x\n", 7, None],
)
def test_a_sale_id_names_a_file_so_only_safe_ids(bad):
    decision = create({"id": bad, "title": "T"})
    assert decision.reason == R.INVALID
    assert decision.events == ()


@pytest.mark.parametrize("good", ["a", "2026-12-autumn", "Sale_01", "a" * 64])
def test_good_sale_ids(good):
    assert create({"id": good}).ok


def test_a_new_sale_is_a_draft_with_its_house_and_sessions():
    sessions = [
        {"name": "Day 1", "starts": "2026-12-05T10:00", "from_lot": "1", "to_lot": "250"},
        {"name": "Day 2", "starts": "2026-12-06T10:00", "from_lot": "251", "to_lot": "480"},
    ]
    sale = {"id": "x", "title": "T", "house": "Dore & Rees", "timezone": "Europe/London"}
    decision = create({**sale, "sessions": sessions})
    data = decision.events[0].data
    assert data["status"] == "draft"
    assert data["house"] == "Dore & Rees"
    assert data["timezone"] == "Europe/London"
    assert data["sessions"] == sessions
    engine = Engine()
    engine.evolve(decision.events[0], 1)
    view = engine.sale_view()
    assert (view["status"], view["house"], view["session"]) == ("draft", "Dore & Rees", 0)
    assert view["sessions"] == sessions
    assert view["break"] is None
    assert view["head"] is None


@pytest.mark.parametrize(
    ("sale", "message"),
    [
        ({"sessions": "Day 1"}, "'sessions' must be a list"),
        ({"sessions": [{"name": "D"}] * 61}, "at most 60"),
        ({"sessions": ["Day 1"]}, "each session is an object"),
        ({"sessions": [{"name": "D", "rm": "-rf"}]}, "unknown session key"),
        ({"sessions": [{"starts": "tomorrow"}]}, "'starts' is a date and time"),
        ({"sessions": [{"name": "x" * 101}]}, "longer than 100"),
        ({"sessions": [{"name": "a\x00b"}]}, "control characters"),
        ({"timezone": "Europe/London; DROP"}, "timezone is a zone name"),
        ({"house": "h" * 201}, "longer than 200"),
    ],
)
def test_malformed_sale_descriptions_are_invalid(sale, message):
    decision = create({"id": "x", **sale})
    assert decision.reason == R.INVALID
    assert message in str(decision.message)


def test_old_journals_without_a_status_replay_as_a_live_sale():
    old = [
        Event("sale_created", None, {"id": "old", "title": "T", "settings": {}}),
        Event("lot_added", "1", {"id": "1", "order": 1, "title": "", "description": "",
                                 "low": None, "high": None, "start": 100, "reserve": None,
                                 "images": []}),
    ]  # fmt: skip
    engine = replay(old)
    assert engine.sale_view()["status"] == "live"
    assert engine.sale_view()["house"] == ""
    lot = engine.public_lot("1")
    assert lot is not None
    assert (lot["quantity"], lot["vat"], lot["arr"], lot["notices"]) == (1, "margin", False, [])
    assert engine.decide({"op": "open_lot", "lot": "1"}, SYSTEM, 5.0).ok


# -- draft and going live


def test_a_draft_builds_its_catalogue_but_runs_nothing():
    s = draft()
    s.ok({"op": "absentee_bid", "lot": "2", "paddle": "B", "max": 80})
    s.ok({"op": "set_ask", "lot": "1", "amount": 120})
    s.ok({"op": "configure", "settings": {"late_window": 2}})
    for command in (
        {"op": "open_lot", "lot": "1"},
        {"op": "floor_bid", "lot": "1"},
        {"op": "house_bid", "lot": "1"},
        {"op": "hammer", "lot": "1"},
        {"op": "pause", "message": "x"},
        {"op": "close_sale"},
        {"op": "end_session"},
    ):
        s.no(command, R.SALE_NOT_LIVE)
    s.no({"op": "bid", "lot": "1", "amount": 100}, R.SALE_NOT_LIVE, bidder("A"))
    assert s.journal[-1].type == "settings_changed"  # the refusals journal nothing


def test_go_live_needs_lots_and_a_draft():
    s = Sale(draft=True)
    s.no({"op": "go_live"}, R.INVALID)
    s.lot("1", start=100)
    d = s.ok({"op": "go_live"})
    assert [(e.type, e.audience) for e in d.events] == [("sale_live", PUBLIC)]
    assert s.engine.sale_view()["status"] == "live"
    s.no({"op": "go_live"}, R.INVALID)
    s.ok({"op": "open_lot", "lot": "1"})


def test_go_live_is_staff_only():
    s = draft()
    s.no({"op": "go_live"}, R.FORBIDDEN, bidder("A"))


def test_the_demo_goes_live_unless_it_says_draft():
    sale = {"sale": {"id": "d", "title": "D"}, "lots": [{"id": "1"}]}
    assert sale_commands(sale)[-1] == {"op": "go_live"}
    assert {"op": "go_live"} not in sale_commands({**sale, "draft": True})


# -- closing


def test_close_waits_for_the_lot_on_the_block_then_refuses_everything():
    s = draft()
    s.ok({"op": "go_live"})
    s.ok({"op": "open_lot", "lot": "2"})
    s.no({"op": "close_sale"}, R.LOT_OPEN)
    s.ok({"op": "floor_bid", "lot": "2", "paddle": "A"})
    s.ok({"op": "hammer", "lot": "2"})
    d = s.ok({"op": "close_sale"})
    assert d.events[0].data == {"at": s.now, "by": "clerk"}
    assert d.events[0].audience == PUBLIC
    assert s.engine.sale_view()["status"] == "closed"
    for command in (
        {"op": "open_lot", "lot": "1"},
        {"op": "add_lot", "lot": {"id": "9"}},
        {"op": "register_bidder", "paddle": "Z"},
        {"op": "configure", "settings": {}},
        {"op": "close_sale"},
        {"op": "go_live"},
        {"op": "reopen", "lot": "2", "reason": "late"},
    ):
        s.no(command, R.SALE_CLOSED)
    s.no({"op": "bid", "lot": "1", "amount": 100}, R.SALE_CLOSED, bidder("A"))


def test_closed_state_survives_replay():
    s = draft()
    s.ok({"op": "go_live"})
    s.ok({"op": "close_sale"})
    assert replay(s.journal).sale_view()["status"] == "closed"


# -- sessions


def test_a_session_break_pauses_the_sale_with_its_message_and_next_start():
    s = draft()
    s.ok({"op": "go_live"})
    s.ok({"op": "open_lot", "lot": "2"})
    s.no({"op": "end_session"}, R.LOT_OPEN)
    s.ok({"op": "pass", "lot": "2"})
    d = s.ok({"op": "end_session", "message": "Back tomorrow", "next_start": "2026-12-06T10:00"})
    assert d.events[0].data == {
        "session": 0,
        "message": "Back tomorrow",
        "next_start": "2026-12-06T10:00",
        "at": s.now,
    }
    view = s.engine.sale_view()
    assert view["break"] == {"message": "Back tomorrow", "next_start": "2026-12-06T10:00"}
    assert view["paused"] is True
    s.no({"op": "open_lot", "lot": "1"}, R.PAUSED)
    s.no({"op": "resume"}, R.PAUSED)
    s.no({"op": "pause", "message": "x"}, R.PAUSED)
    s.no({"op": "end_session"}, R.INVALID)
    s.ok({"op": "absentee_bid", "lot": "1", "paddle": "A", "max": 400})  # books carry over
    d = s.ok({"op": "start_session"})
    assert d.events[0].data["session"] == 1
    view = s.engine.sale_view()
    assert (view["session"], view["break"], view["paused"]) == (1, None, False)
    s.no({"op": "start_session"}, R.NOT_PAUSED)
    d = s.ok({"op": "open_lot", "lot": "1"})
    assert s.types(d) == ["lot_opened", "bid_accepted"]  # the book from the break acts
    assert replay(s.journal).sale_view() == s.engine.sale_view()


@pytest.mark.parametrize("bad", ["soon", "2026-13-01T10:00", 7, "x" * 33])
def test_a_next_start_is_a_date_and_time(bad):
    s = draft()
    s.ok({"op": "go_live"})
    s.no({"op": "end_session", "next_start": bad}, R.INVALID)


# -- the new rules


def test_new_settings_are_stored_and_shown_as_the_rules():
    s = draft()
    premium = [[0, 2500], [50_000_000, 2000], [300_000_000, 1450]]
    d = s.ok(
        {
            "op": "configure",
            "settings": {"buyer_premium": premium, "vat_rate_bp": 2000, "subject_to_window": 3600},
        }
    )
    assert d.events[0].audience == PUBLIC
    rules = s.engine.sale_view()["rules"]
    assert rules["buyer_premium"] == premium
    assert rules["vat_rate_bp"] == 2000
    assert set(rules) == {
        "tie_policy",
        "late_window",
        "reopen_window",
        "subject_to",
        "confirm_online",
        "auto_absentee",
        "buyer_premium",
        "vat_rate_bp",
        "currency",
        # issue 12: the money rules bidders see before they bid
        "premium_surcharge_bp",
        "vat_reduced_bp",
        "vat_import_bp",
        "sales_tax_bp",
        "arr_threshold",
        "arr_eur_ppm",
        "credit_includes_charges",
    }
    assert s.engine.sale.settings.subject_to_window == 3600
    assert replay(s.journal).sale_view() == s.engine.sale_view()


def test_rules_default():
    rules = draft().engine.sale_view()["rules"]
    assert rules["buyer_premium"] == []
    assert rules["vat_rate_bp"] == 0
    assert draft().engine.sale.settings.subject_to_window == 172_800


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"buyer_premium": [[100, 2500]]}, "first band starts at 0"),
        ({"buyer_premium": [[0, 2500], [0, 2000]]}, "bands ascend"),
        ({"buyer_premium": [[0, 2500], [500, 2000], [400, 1000]]}, "bands ascend"),
        ({"buyer_premium": [[0, 10_001]]}, "between 0 and 10000"),
        ({"buyer_premium": [[0, -1]]}, "between 0 and 10000"),
        ({"buyer_premium": [[0, 25.5]]}, "whole numbers"),
        ({"buyer_premium": [[0, True]]}, "whole numbers"),
        ({"buyer_premium": [[0]]}, "each row is"),
        ({"buyer_premium": "25%"}, "a list of at most 20"),
        ({"buyer_premium": [[i, 100] for i in range(21)]}, "a list of at most 20"),
        ({"vat_rate_bp": 10_001}, "vat_rate_bp"),
        ({"vat_rate_bp": -1}, "vat_rate_bp"),
        ({"vat_rate_bp": "20%"}, "vat_rate_bp"),
        ({"subject_to_window": -1}, "subject_to_window"),
        ({"subject_to_window": 1.5}, "subject_to_window"),
        ({"subject_to_window": 10**9}, "subject_to_window"),
    ],
)
def test_bad_rules_are_invalid(settings, message):
    s = draft()
    d = s.no({"op": "configure", "settings": settings}, R.INVALID)
    assert message in str(d.message)
    assert create({"id": "x", "settings": settings}).reason == R.INVALID
