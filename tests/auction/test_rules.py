"""One test (or table) per rule of the engine: lots, bids, books, ties, clerk actions, hammer."""

from __future__ import annotations

import pytest

from hub.auction import reasons as R
from hub.auction.engine import Engine
from hub.auction.events import Actor

from .helpers import AUCTIONEER, CLERK, Sale, bidder, projections, replay


def sale(**settings) -> Sale:
    s = Sale(settings)
    s.lot("1", title="Vase", start=100, reserve=300)
    s.lot("2", title="Clock", start=50)
    s.bidders("A", "B", "C")
    return s


# ---------------------------------------------------------------- lot state machine


def test_lot_walks_pending_open_fair_warning_sold():
    s = sale()
    assert s.state("1")["status"] == "pending"
    s.ok({"op": "open_lot", "lot": "1"})
    assert s.state("1")["status"] == "open"
    s.ok({"op": "bid", "lot": "1", "amount": 100}, bidder("A"))
    s.ok({"op": "floor_bid", "lot": "1", "amount": 400, "paddle": "B"})
    s.ok({"op": "fair_warning", "lot": "1"})
    assert s.state("1")["status"] == "fair_warning"
    d = s.ok({"op": "hammer", "lot": "1", "source": "gavel"})
    lot = s.state("1")
    assert lot["status"] == "sold"
    assert lot["hammer"]["amount"] == 400
    assert lot["hammer"]["paddle"] == "B"
    assert lot["hammer"]["source"] == "gavel"
    assert lot["hammer"]["at"] == s.now
    assert s.types(d) == ["lot_sold"]


def test_bid_during_fair_warning_reopens_bidding():
    s = sale()
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "A"})
    s.ok({"op": "fair_warning", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "B"})
    assert s.state("1")["status"] == "open"


@pytest.mark.parametrize(
    ("op", "status", "reason"),
    [
        ("fair_warning", "pending", R.LOT_NOT_OPEN),
        ("hammer", "pending", R.LOT_NOT_OPEN),
        ("pass", "pending", R.LOT_NOT_OPEN),
        ("retract", "pending", R.LOT_CLOSED),
        ("hammer", "sold", R.LOT_NOT_OPEN),
        ("withdraw", "sold", R.LOT_CLOSED),
        ("open_lot", "sold", R.LOT_NOT_PENDING),
        ("fair_warning", "withdrawn", R.LOT_NOT_OPEN),
        ("reopen", "withdrawn", R.LOT_NOT_CLOSED),
        ("reopen", "open", R.LOT_NOT_CLOSED),
    ],
)
def test_commands_out_of_state_are_refused(op, status, reason):
    s = sale()
    if status != "pending":
        s.ok({"op": "open_lot", "lot": "1"})
    if status == "sold":
        s.ok({"op": "floor_bid", "lot": "1", "amount": 300, "paddle": "A"})
        s.ok({"op": "hammer", "lot": "1"})
    if status == "withdrawn":
        s.ok({"op": "withdraw", "lot": "1", "reason": "vendor"})
    assert s.state("1")["status"] == status
    s.no({"op": op, "lot": "1", "reason": "x"}, reason)


def test_only_one_lot_on_the_block():
    s = sale()
    s.ok({"op": "open_lot", "lot": "1"})
    s.no({"op": "open_lot", "lot": "2"}, R.LOT_OPEN)
    s.ok({"op": "pass", "lot": "1"})
    s.ok({"op": "open_lot", "lot": "2"})


def test_withdraw_a_pending_or_open_lot():
    s = sale()
    s.ok({"op": "withdraw", "lot": "2", "reason": "vendor withdrew"})
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "A"})
    s.ok({"op": "withdraw", "lot": "1", "reason": "damage found"})
    assert s.state("1")["status"] == "withdrawn"
    s.no({"op": "floor_bid", "lot": "1", "paddle": "B"}, R.LOT_CLOSED)
    assert s.engine.next_lot() is None


def test_pause_with_message_stops_bids_and_hammer():
    s = sale()
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "pause", "message": "Short break, back at 3pm"})
    assert s.engine.sale_view()["message"] == "Short break, back at 3pm"
    d = s.no({"op": "bid", "lot": "1", "amount": 100}, R.PAUSED, bidder("A"))
    assert d.message == "Short break, back at 3pm"
    assert s.types(d) == ["bid_refused"]  # the attempt is recorded
    s.no({"op": "floor_bid", "lot": "1", "paddle": "A"}, R.PAUSED)
    s.no({"op": "hammer", "lot": "1"}, R.PAUSED)
    s.no({"op": "fair_warning", "lot": "1"}, R.PAUSED)
    s.ok({"op": "resume"})
    s.no({"op": "resume"}, R.NOT_PAUSED)
    s.ok({"op": "bid", "lot": "1", "amount": 100}, bidder("A"))


def test_no_lot_opens_while_paused():
    s = sale()
    s.ok({"op": "pause", "message": "lunch"})
    s.no({"op": "open_lot", "lot": "1"}, R.PAUSED)


# ---------------------------------------------------------------- reopen


def closed_sale(**settings) -> Sale:
    s = sale(**settings)
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "amount": 300, "paddle": "A"})
    s.ok({"op": "hammer", "lot": "1"})
    return s


def test_reopen_needs_a_reason():
    s = closed_sale()
    s.no({"op": "reopen", "lot": "1"}, R.INVALID)
    s.no({"op": "reopen", "lot": "1", "reason": "  "}, R.INVALID)
    s.ok({"op": "reopen", "lot": "1", "reason": "missed a bid in the room"})
    lot = s.state("1")
    assert lot["status"] == "open"
    assert lot["hammer"] is None
    assert s.high("1") == (300, "A")
    assert s.engine.bidder_view("A")["won"] == 0


def test_reopen_allowed_before_next_lot_opens_even_after_window():
    s = closed_sale(reopen_window=10)
    s.now += 3600
    s.ok({"op": "reopen", "lot": "1", "reason": "vendor query"})


def test_reopen_after_next_lot_opened_only_within_window():
    s = closed_sale(reopen_window=10)
    s.lot("3", start=10)
    s.ok({"op": "open_lot", "lot": "2"})
    s.no({"op": "reopen", "lot": "1", "reason": "x"}, R.LOT_OPEN)
    s.ok({"op": "pass", "lot": "2"})
    s.now += 5
    s.ok({"op": "reopen", "lot": "1", "reason": "within the window"})
    s.ok({"op": "hammer", "lot": "1"})  # closes again at now
    s.ok({"op": "open_lot", "lot": "3"})
    s.ok({"op": "pass", "lot": "3"})
    s.now += 11
    s.no({"op": "reopen", "lot": "2", "reason": "too late"}, R.REOPEN_TOO_LATE)
    s.no({"op": "reopen", "lot": "1", "reason": "too late"}, R.REOPEN_TOO_LATE)
    s.ok({"op": "reopen", "lot": "3", "reason": "no later lot opened"})


# ---------------------------------------------------------------- reserve, subject to, house


@pytest.mark.parametrize(
    ("subject_to", "amount", "status", "reason", "provisional"),
    [
        (False, 200, "passed", "reserve_not_met", None),
        (True, 200, "sold", None, True),
        (False, 300, "sold", None, False),
        (True, 300, "sold", None, False),
    ],
)
def test_reserve_pass_or_subject_to(subject_to, amount, status, reason, provisional):
    s = sale(subject_to=subject_to)
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "amount": amount, "paddle": "A"})
    d = s.ok({"op": "hammer", "lot": "1"})
    assert s.state("1")["status"] == status
    if reason:
        assert d.events[0].data["reason"] == reason
    else:
        assert d.events[0].data["hammer"]["subject_to"] is provisional


def test_hammer_without_bids_passes():
    s = sale()
    s.ok({"op": "open_lot", "lot": "2"})
    d = s.ok({"op": "hammer", "lot": "2", "source": "key"})
    assert d.events[0].type == "lot_passed"
    assert d.events[0].data["reason"] == "no_bids"


def test_house_bids_only_below_reserve_and_flagged():
    s = sale()
    s.ok({"op": "open_lot", "lot": "1"})
    d = s.ok({"op": "house_bid", "lot": "1", "amount": 120})
    assert d.events[0].data["bid"]["house"] is True
    assert s.state("1")["high"]["house"] is True
    s.no({"op": "house_bid", "lot": "1", "amount": 160}, R.ALREADY_HIGH)
    s.ok({"op": "floor_bid", "lot": "1", "amount": 160, "paddle": "A"})
    s.no({"op": "house_bid", "lot": "1", "amount": 300}, R.ABOVE_RESERVE)
    s.ok({"op": "house_bid", "lot": "1", "amount": 280})
    d = s.ok({"op": "hammer", "lot": "1"})
    assert d.events[0].type == "lot_passed"
    assert d.events[0].data["reason"] == "bought_in"
    s.ok({"op": "open_lot", "lot": "2"})  # no reserve: no house bid at all
    s.no({"op": "house_bid", "lot": "2", "amount": 50}, R.ABOVE_RESERVE)


# ---------------------------------------------------------------- ladders and overrides


def test_ladder_moves_the_ask():
    s = sale()
    s.ok({"op": "open_lot", "lot": "2"})
    assert s.state("2")["ask"] == 50
    s.ok({"op": "floor_bid", "lot": "2", "paddle": "A"})
    assert s.state("2")["ask"] == 60
    s.ok({"op": "floor_bid", "lot": "2", "amount": 100, "paddle": "B"})
    assert s.state("2")["ask"] == 120  # the 100 row: steps of 20


def test_zero_start_opens_at_first_step():
    s = Sale()
    s.lot("9")
    s.bidders("A")
    s.ok({"op": "open_lot", "lot": "9"})
    assert s.state("9")["ask"] == 10


def test_live_overrides_set_ask_half_double_amount_reset():
    s = sale()
    s.ok({"op": "open_lot", "lot": "2"})
    s.ok({"op": "floor_bid", "lot": "2", "amount": 100, "paddle": "A"})
    s.ok({"op": "set_increment", "lot": "2", "mode": "double"})
    assert s.state("2")["ask"] == 140
    s.ok({"op": "set_increment", "lot": "2", "mode": "half"})
    assert s.state("2")["ask"] == 120
    s.ok({"op": "set_increment", "lot": "2", "mode": "half"})
    assert s.state("2")["ask"] == 110
    s.ok({"op": "set_increment", "lot": "2", "mode": "amount", "amount": 7})
    assert s.state("2")["ask"] == 107
    s.ok({"op": "set_increment", "lot": "2", "mode": "reset"})
    assert s.state("2")["ask"] == 120
    s.ok({"op": "set_ask", "lot": "2", "amount": 105})  # a cut bid
    assert s.state("2")["ask"] == 105
    s.no({"op": "set_ask", "lot": "2", "amount": 100}, R.BELOW_HIGH)
    s.no({"op": "set_increment", "lot": "2", "mode": "triple"}, R.INVALID)
    s.ok({"op": "floor_bid", "lot": "2", "paddle": "B"})
    assert s.high("2") == (105, "B")


def test_set_ask_on_a_waiting_lot_is_its_opening_ask():
    s = sale()
    s.ok({"op": "set_ask", "lot": "2", "amount": 80})
    s.ok({"op": "open_lot", "lot": "2"})
    assert s.state("2")["ask"] == 80


# ---------------------------------------------------------------- acceptance and ties


@pytest.mark.parametrize(
    ("setup", "command", "actor", "reason"),
    [
        ("open", {"op": "bid", "lot": "2", "amount": 40}, "A", R.BELOW_ASK),
        ("open", {"op": "bid", "lot": "2", "amount": 50}, "P", R.NOT_APPROVED),
        ("open", {"op": "bid", "lot": "2", "amount": 50}, "Z", R.UNKNOWN_BIDDER),
        ("open", {"op": "bid", "lot": "2", "amount": 500}, "L", R.OVER_LIMIT),
        ("open", {"op": "bid", "lot": "1", "amount": 500}, "A", R.LOT_CLOSED),
        ("open", {"op": "bid", "lot": "9", "amount": 500}, "A", R.UNKNOWN_LOT),
        ("bid", {"op": "bid", "lot": "2", "amount": 55, "seen_seq": 1}, "B", R.OUTBID),
        ("bid", {"op": "bid", "lot": "2", "amount": 55}, "B", R.BELOW_ASK),
        ("bid", {"op": "bid", "lot": "2", "amount": 50}, "B", R.ALREADY_BID),
        ("bid", {"op": "bid", "lot": "2", "amount": 70}, "A", R.ALREADY_HIGH),
    ],
)
def test_bid_refusals_are_recorded(setup, command, actor, reason):
    s = sale()
    s.ok({"op": "register_bidder", "paddle": "P"})
    s.ok({"op": "register_bidder", "paddle": "L", "status": "approved", "credit_limit": 400})
    s.ok({"op": "open_lot", "lot": "2"})
    if setup == "bid":
        s.ok({"op": "bid", "lot": "2", "amount": 50}, bidder("A"))
    d = s.no(command, reason, bidder(actor))
    if reason != R.UNKNOWN_LOT:
        assert [e.type for e in d.events] == ["bid_refused"]
        assert d.events[0].data["reason"] == reason
        assert d.events[0].audience == "staff"


def test_equal_amounts_first_sequenced_wins():
    s = sale()
    s.ok({"op": "open_lot", "lot": "2"})
    seen = s.engine.seq
    s.ok({"op": "bid", "lot": "2", "amount": 70, "seen_seq": seen}, bidder("A"))
    d = s.no(
        {"op": "floor_bid", "lot": "2", "amount": 70, "paddle": "B", "seen_seq": seen},
        R.ALREADY_BID,
    )
    assert d.events[0].data["attempt"]["paddle"] == "B"
    assert s.high("2") == (70, "A")


def test_credit_limit_counts_what_was_won():
    s = sale()
    s.ok({"op": "set_credit_limit", "paddle": "A", "credit_limit": 400})
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "bid", "lot": "1", "amount": 300}, bidder("A"))
    s.ok({"op": "hammer", "lot": "1"})
    s.ok({"op": "open_lot", "lot": "2"})
    s.no({"op": "bid", "lot": "2", "amount": 110}, R.OVER_LIMIT, bidder("A"))
    s.ok({"op": "bid", "lot": "2", "amount": 100}, bidder("A"))


def test_tie_policy_is_recorded_with_each_decision():
    s = sale(tie_policy="floor_priority")
    s.ok({"op": "open_lot", "lot": "2"})
    d = s.ok({"op": "bid", "lot": "2", "amount": 50}, bidder("A"))
    assert d.events[0].data["tie_policy"] == "floor_priority"


def test_set_to_floor_under_floor_priority():
    s = sale(tie_policy="floor_priority")
    s.ok({"op": "open_lot", "lot": "2"})
    s.ok({"op": "bid", "lot": "2", "amount": 50}, bidder("A"))
    s.no({"op": "floor_bid", "lot": "2", "amount": 50, "paddle": "B"}, R.ALREADY_BID)
    s.no({"op": "set_to_floor", "lot": "2", "paddle": "A"}, R.ALREADY_HIGH)
    d = s.ok({"op": "set_to_floor", "lot": "2", "paddle": "B"})
    assert d.events[0].data["tie_policy"] == "floor_priority"
    assert d.events[0].data["displaced"]["paddle"] == "A"
    assert s.high("2") == (50, "B")
    history = s.state("2")["history"]
    assert [(b["paddle"], b["void"]) for b in history] == [("A", "displaced"), ("B", None)]
    s.no({"op": "set_to_floor", "lot": "2"}, R.NO_ONLINE_HIGH)


def test_set_to_floor_refused_under_first_received():
    s = sale()
    s.ok({"op": "open_lot", "lot": "2"})
    s.ok({"op": "bid", "lot": "2", "amount": 50}, bidder("A"))
    s.no({"op": "set_to_floor", "lot": "2", "paddle": "B"}, R.TIE_POLICY)


# ---------------------------------------------------------------- retract / reinstate


def test_retract_does_not_revive_the_earlier_bid():
    s = sale()
    s.ok({"op": "open_lot", "lot": "2"})
    s.ok({"op": "floor_bid", "lot": "2", "paddle": "A"})  # 50
    s.ok({"op": "floor_bid", "lot": "2", "paddle": "B"})  # 60
    s.no({"op": "retract", "lot": "2"}, R.INVALID)  # a reason is required
    d = s.ok({"op": "retract", "lot": "2", "reason": "bidder misheard"})
    assert d.events[0].data["bid"]["paddle"] == "B"
    assert s.high("2") is None
    assert s.state("2")["ask"] == 60
    s.no({"op": "retract", "lot": "2", "reason": "again"}, R.NO_BID)
    d = s.ok({"op": "hammer", "lot": "2"})
    assert d.events[0].data["reason"] == "no_bids"
    assert [b["void"] for b in s.state("2")["history"]] == [None, "retracted"]


def test_reinstate_the_earlier_bid_is_recorded():
    s = sale()
    s.ok({"op": "open_lot", "lot": "2"})
    s.ok({"op": "floor_bid", "lot": "2", "paddle": "A"})
    s.ok({"op": "floor_bid", "lot": "2", "paddle": "B"})
    s.ok({"op": "retract", "lot": "2", "reason": "wrong paddle"})
    d = s.ok({"op": "reinstate", "lot": "2", "reason": "A confirms"})
    assert s.types(d) == ["bid_reinstated"]
    assert s.high("2") == (50, "A")
    assert s.state("2")["ask"] == 60
    s.no({"op": "reinstate", "lot": "2", "reason": "x"}, R.HAS_HIGH)
    types = [e.type for e in s.journal]
    assert "bid_retracted" in types
    assert "bid_reinstated" in types


# ---------------------------------------------------------------- clerk confirms online


def test_clerk_confirms_online_bids():
    s = sale(confirm_online=True)
    s.ok({"op": "open_lot", "lot": "2"})
    d = s.ok({"op": "bid", "lot": "2", "amount": 50}, bidder("A"))
    assert s.types(d) == ["online_bid_pending"]
    assert s.high("2") is None
    pending = d.events[0].data["pending"]["id"]
    s.ok({"op": "accept_online", "lot": "2", "pending": pending})
    assert s.high("2") == (50, "A")
    d = s.ok({"op": "bid", "lot": "2", "amount": 60}, bidder("B"))
    pending = d.events[0].data["pending"]["id"]
    s.ok({"op": "reject_online", "lot": "2", "pending": pending, "reason": "not seen"})
    s.no({"op": "accept_online", "lot": "2", "pending": pending}, R.NO_PENDING)
    assert s.high("2") == (50, "A")


def test_pending_online_bid_checked_again_on_accept():
    s = sale(confirm_online=True)
    s.ok({"op": "open_lot", "lot": "2"})
    d = s.ok({"op": "bid", "lot": "2", "amount": 50}, bidder("A"))
    pending = d.events[0].data["pending"]["id"]
    s.ok({"op": "floor_bid", "lot": "2", "amount": 60, "paddle": "B"})
    d = s.no({"op": "accept_online", "lot": "2", "pending": pending}, R.BELOW_ASK)
    assert s.types(d) == ["online_bid_rejected"]
    assert s.state("2")["pending"] == []


# ---------------------------------------------------------------- absentee books


def book(s: Sale, lot: str, paddle: str, maximum: int) -> None:
    s.ok({"op": "absentee_bid", "lot": lot, "paddle": paddle, "max": maximum})


@pytest.mark.parametrize(
    ("books", "opening"),
    [
        ([("A", 200)], (50, "A")),  # one book: opens at the start price
        ([("A", 200), ("B", 100)], (120, "A")),  # second max + one step
        ([("A", 100), ("B", 200)], (120, "B")),
        ([("A", 200), ("B", 200)], (200, "A")),  # equal maxima: earliest received
        ([("B", 200), ("A", 200)], (200, "B")),
        ([("A", 110), ("B", 100)], (110, "A")),  # capped at the top max
        ([("A", 300), ("B", 60), ("C", 250)], (270, "A")),
    ],
)
def test_books_open_at_lowest_amount_needed(books, opening):
    s = sale()
    for paddle, maximum in books:
        book(s, "2", paddle, maximum)
    s.ok({"op": "open_lot", "lot": "2"})
    assert s.high("2") == opening


def test_book_answers_one_step_above_each_room_bid():
    s = sale()
    book(s, "2", "A", 150)
    s.ok({"op": "open_lot", "lot": "2"})
    assert s.high("2") == (50, "A")
    d = s.ok({"op": "floor_bid", "lot": "2", "amount": 60, "paddle": "B"})
    assert s.types(d) == ["bid_accepted", "bid_accepted"]
    assert s.high("2") == (70, "A")
    s.ok({"op": "floor_bid", "lot": "2", "amount": 140, "paddle": "B"})
    assert s.high("2") == (140, "B")  # 160 would pass the book's max


def test_room_bid_equal_to_book_max_loses_to_the_book():
    s = sale()
    book(s, "2", "A", 100)
    s.ok({"op": "open_lot", "lot": "2"})
    d = s.no({"op": "floor_bid", "lot": "2", "amount": 100, "paddle": "B"}, R.ALREADY_BID)
    assert s.types(d) == ["bid_accepted", "bid_refused"]
    assert s.high("2") == (100, "A")


def test_book_capped_by_credit_limit():
    s = sale()
    s.ok({"op": "set_credit_limit", "paddle": "A", "credit_limit": 90})
    book(s, "2", "A", 500)
    s.ok({"op": "open_lot", "lot": "2"})
    s.ok({"op": "floor_bid", "lot": "2", "amount": 70, "paddle": "B"})
    assert s.high("2") == (80, "A")
    s.no({"op": "floor_bid", "lot": "2", "amount": 90, "paddle": "C"}, R.ALREADY_BID)
    assert s.high("2") == (90, "A")  # the book can go as far as the remaining credit
    s.ok({"op": "floor_bid", "lot": "2", "amount": 100, "paddle": "C"})
    assert s.high("2") == (100, "C")


def test_books_answer_house_bids():
    s = sale()
    book(s, "1", "A", 250)  # below the reserve of 300: it opens at the start, 100
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "house_bid", "lot": "1", "amount": 200})
    assert s.high("1") == (220, "A")


def test_books_close_when_the_lot_opens_and_manual_execution():
    s = sale(auto_absentee=False)
    book(s, "2", "A", 100)
    s.no({"op": "absentee_bid", "lot": "2", "paddle": "A", "max": 120}, R.DUPLICATE_BOOK)
    s.ok({"op": "open_lot", "lot": "2"})
    s.no({"op": "absentee_bid", "lot": "2", "paddle": "B", "max": 120}, R.LOT_NOT_PENDING)
    assert s.high("2") is None  # automatic execution is off
    s.ok({"op": "floor_bid", "lot": "2", "channel": "absentee", "paddle": "A"})
    s.no({"op": "floor_bid", "lot": "2", "channel": "absentee", "paddle": "B"}, R.NO_BOOK)
    s.no(
        {"op": "floor_bid", "lot": "2", "channel": "absentee", "paddle": "A", "amount": 200},
        R.ABOVE_MAX,
    )
    assert s.high("2") == (50, "A")
    assert s.state("2")["high"]["channel"] == "absentee"


# ---------------------------------------------------------------- late bids


def test_late_bid_raised_then_left_sold():
    s = closed_sale()
    s.now += 2
    d = s.no({"op": "bid", "lot": "1", "amount": 320}, R.TOO_LATE, bidder("B"))
    assert s.types(d) == ["late_bid"]
    late = s.state("1")["late"]
    assert len(late) == 1
    assert late[0]["paddle"] == "B"
    assert late[0]["after"] == 2
    d = s.ok({"op": "leave_sold", "lot": "1"})
    assert s.types(d) == ["late_bid_dismissed"]
    assert s.state("1")["late"] == []
    assert s.state("1")["status"] == "sold"
    s.now += 2  # outside the window: an ordinary refusal
    d = s.no({"op": "bid", "lot": "1", "amount": 400}, R.LOT_CLOSED, bidder("B"))
    assert s.types(d) == ["bid_refused"]


def test_late_bid_raised_then_reopened_on_it():
    s = closed_sale()
    s.now += 1
    d = s.no({"op": "bid", "lot": "1", "amount": 320}, R.TOO_LATE, bidder("B"))
    late_id = d.events[0].data["late"]["id"]
    d = s.ok({"op": "reopen", "lot": "1", "reason": "late online bid", "late": late_id})
    assert s.types(d) == ["lot_reopened", "bid_accepted"]
    assert s.high("1") == (320, "B")
    assert s.state("1")["status"] == "open"
    assert s.state("1")["late"] == []


def test_reopen_on_a_late_bid_that_no_longer_beats_the_high():
    s = closed_sale()
    d = s.no({"op": "bid", "lot": "1", "amount": 300}, R.TOO_LATE, bidder("B"))
    late_id = d.events[0].data["late"]["id"]
    d = s.ok({"op": "reopen", "lot": "1", "reason": "check", "late": late_id})
    assert s.types(d) == ["lot_reopened", "bid_refused"]
    assert d.events[1].data["reason"] == R.ALREADY_BID
    assert s.high("1") == (300, "A")


# ---------------------------------------------------------------- roles, replay


@pytest.mark.parametrize(
    ("actor", "op", "ok"),
    [
        (bidder("A"), "open_lot", False),
        (bidder("A"), "hammer", False),
        (CLERK, "create_sale", False),
        (AUCTIONEER, "hammer", True),
        (Actor("stranger"), "bid", False),
    ],
)
def test_roles(actor, op, ok):
    s = sale()
    d = s.do({"op": op, "lot": "2"}, actor)
    assert (d.reason != R.FORBIDDEN) is ok


def test_bidder_without_paddle_cannot_bid():
    s = sale()
    s.ok({"op": "open_lot", "lot": "2"})
    s.no({"op": "bid", "lot": "2", "amount": 50}, R.FORBIDDEN, Actor("bidder"))


def test_replay_gives_the_same_projections():
    s = closed_sale()
    s.now += 1
    s.do({"op": "bid", "lot": "1", "amount": 320}, bidder("B"))
    s.ok({"op": "reopen", "lot": "1", "reason": "late bid"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "C"})
    assert projections(replay(s.journal)) == projections(s.engine)


def test_decide_does_not_mutate():
    s = sale()
    book(s, "2", "A", 150)
    before = projections(s.engine)
    for command in (
        {"op": "open_lot", "lot": "2"},
        {"op": "hammer", "lot": "2"},
        {"op": "withdraw", "lot": "1"},
    ):
        s.engine.decide(command, CLERK, s.now)
    assert projections(s.engine) == before


def test_demo_catalogue_builds():
    from hub.auction.catalogue import demo_sale, sale_commands

    engine = Engine()
    seq = 0
    for command in sale_commands(demo_sale()):
        d = engine.decide(command, Actor("system"), 0.0)
        assert d.ok, (command, d.reason, d.message)
        for event in d.events:
            seq += 1
            engine.evolve(event, seq)
    assert engine.next_lot() == "1"


def test_staff_view_history_is_bounded_but_the_projection_keeps_every_bid():
    from hub.auction.engine import STAFF_HISTORY

    s = sale()
    s.ok({"op": "open_lot", "lot": "2"})
    for n in range(STAFF_HISTORY + 5):
        s.ok({"op": "floor_bid", "lot": "2", "paddle": "A" if n % 2 else "B"})
    view = s.state("2")
    assert len(view["history"]) == STAFF_HISTORY
    assert view["history_total"] == STAFF_HISTORY + 5
    full = s.engine.projection("lot/2")
    assert full is not None
    assert len(full["bids"]) == STAFF_HISTORY + 5


def test_rebuilding_an_engine_in_place_swaps_its_whole_state():
    """The sequencer rebuilds after a failed write with `engine.__dict__.update(fresh...)`."""
    s = sale()
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "A"})
    live = s.engine
    fresh = replay(s.journal[:-1])  # as if the last bid had not been committed
    live.__dict__.update(fresh.__dict__)
    assert projections(live) == projections(fresh)
    assert live.seq == len(s.journal) - 1
    assert live.public_lot("1")["high"] is None
    assert live.decide({"op": "floor_bid", "lot": "1", "paddle": "B"}, CLERK, s.now).ok
