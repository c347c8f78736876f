"""The live sale completed: books open at the reserve, phone bids, house bids, messages, the
vendor's subject-to answers, commission bids left online, phone bookings."""

from __future__ import annotations

import pytest

from hub.auction import commands as C
from hub.auction import reasons as R
from hub.auction.events import PUBLIC, STAFF

from .helpers import Sale, bidder, projections, replay

# The helpers' ladder: 10s to 100, 20s to 500, then 50s.


def books(start: int, reserve: int | None, *maxima: int, **settings: object) -> Sale:
    s = Sale(dict(settings))
    s.lot("1", start=start, reserve=reserve)
    paddles = [chr(ord("A") + i) for i in range(len(maxima))]
    s.bidders(*paddles, "R")
    for paddle, top in zip(paddles, maxima, strict=True):
        s.ok({"op": "absentee_bid", "lot": "1", "paddle": paddle, "max": top})
    return s


# -- books open at the reserve


def test_a_book_above_the_reserve_opens_at_the_reserve_and_the_lot_sells():
    """The issue's case: a book at 800, reserve 500, start 300: not passed, opens at 500."""
    s = books(300, 500, 800)
    d = s.ok({"op": "open_lot", "lot": "1"})
    assert s.types(d) == ["lot_opened", "bid_accepted"]
    assert s.high("1") == (500, "A")
    assert s.state("1")["reserve_met"] is True
    s.ok({"op": "hammer", "lot": "1"})
    assert s.state("1")["status"] == "sold"
    assert s.state("1")["hammer"]["amount"] == 500


def test_the_room_can_still_take_it_higher():
    s = books(300, 500, 800)
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "R"})  # 550: the book answers 600
    assert s.high("1") == (600, "A")
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "R", "amount": 850})
    assert s.high("1") == (850, "R")


@pytest.mark.parametrize(
    ("start", "reserve", "maxima", "opens"),
    [
        (300, 500, (800,), 500),  # the ladder from 300 meets 500 exactly
        (310, 500, (800,), 510),  # 490 + 20: the first step above the reserve
        (310, 500, (505,), 505),  # but never above the book's maximum
        (300, 500, (500,), 500),  # a book at the reserve exactly
        (300, 500, (800, 600), 650),  # two books: the second's max plus its increment
        (300, 500, (800, 450), 500),  # the second below the reserve: the reserve
        (300, 500, (700, 700), 700),  # equal maxima: the earliest, at the max
        (300, 500, (450,), 300),  # a book below the reserve opens at the ask as before
        (300, 500, (450, 420), 440),  # ... and the second book's price as before
        (300, None, (800,), 300),  # no reserve: as before
        (600, 500, (800,), 600),  # opening above the reserve: as before
    ],
)
def test_where_books_open(start, reserve, maxima, opens):
    s = books(start, reserve, *maxima)
    s.ok({"op": "open_lot", "lot": "1"})
    assert s.high("1") == (opens, "A")


def test_a_book_capped_by_credit_below_the_reserve_does_not_open_at_it():
    s = books(300, 500, 800)
    s.ok({"op": "set_credit_limit", "paddle": "A", "credit_limit": 400})
    s.ok({"op": "open_lot", "lot": "1"})
    assert s.high("1") == (300, "A")


def test_without_automatic_execution_books_wait_for_the_clerk():
    s = books(300, 500, 800, auto_absentee=False)
    d = s.ok({"op": "open_lot", "lot": "1"})
    assert s.types(d) == ["lot_opened"]


# -- phone bids are phone bids


def test_a_phone_paddle_bids_on_the_phone_unless_told_otherwise():
    s = Sale()
    s.lot("1", start=100)
    s.bidders("P", channel="phone")
    s.bidders("F")
    s.ok({"op": "open_lot", "lot": "1"})
    d = s.ok({"op": "floor_bid", "lot": "1", "paddle": "P"})
    assert d.events[0].data["bid"]["channel"] == "phone"
    d = s.ok({"op": "floor_bid", "lot": "1", "paddle": "F"})
    assert d.events[0].data["bid"]["channel"] == "floor"
    d = s.ok({"op": "floor_bid", "lot": "1", "paddle": "P", "channel": "floor"})
    assert d.events[0].data["bid"]["channel"] == "floor"
    d = s.ok({"op": "floor_bid", "lot": "1"})  # an anonymous room bid
    assert d.events[0].data["bid"]["channel"] == "floor"
    s.no({"op": "floor_bid", "lot": "1", "channel": "online"}, R.INVALID)


# -- house bids and the keys


def test_house_bid_key_and_the_reset_key():
    assert C.BY_ACTION["house_bid"].key == "V"
    assert C.BY_ACTION["house_bid"].op == "house_bid"
    assert C.BY_ACTION["inc_reset"].key == "B"
    assert not any(b.key.isdigit() for b in C.BINDINGS)  # digits type paddles and amounts
    assert C.BY_ACTION["message"].key == "M"
    assert C.BY_ACTION["message"].prompt == "message"
    assert len(C.QUICK_MESSAGES) == 3


def test_a_house_bid_is_disclosed_and_stops_below_the_reserve():
    s = Sale()
    s.lot("1", start=100, reserve=300)
    s.ok({"op": "open_lot", "lot": "1"})
    d = s.ok({"op": "house_bid", "lot": "1"})
    assert d.events[0].audience == PUBLIC
    public = s.engine.view(d.events[0], PUBLIC)["lot"]
    assert public["high"]["house"] is True
    s.ok({"op": "floor_bid", "lot": "1"})
    s.no({"op": "house_bid", "lot": "1", "amount": 300}, R.ABOVE_RESERVE)


# -- messages


def test_a_message_to_everyone_is_public_and_to_one_bidder_private():
    s = Sale()
    s.lot("1")
    s.bidders("A")
    d = s.ok({"op": "message", "text": "  " + C.QUICK_MESSAGES[0] + " "})
    assert (d.events[0].audience, d.events[0].bidders) == (PUBLIC, ())
    assert d.events[0].data == {"id": "m1", "text": C.QUICK_MESSAGES[0], "paddle": None}
    d = s.ok({"op": "message", "text": "Your line is ready", "paddle": "A"})
    assert (d.events[0].audience, d.events[0].bidders) == (STAFF, ("A",))
    assert d.events[0].data["id"] == "m2"
    s.no({"op": "message", "text": "hi", "paddle": "Z"}, R.UNKNOWN_BIDDER)
    s.no({"op": "message", "text": "   "}, R.INVALID)
    s.no({"op": "message", "text": "x" * 501}, R.INVALID)
    s.no({"op": "message", "text": "<b>\x07</b>"}, R.INVALID)
    s.no({"op": "message", "text": "hi"}, R.FORBIDDEN, bidder("A"))
    assert replay(s.journal).sale.messages == 2


# -- the vendor's answer on subject-to lots


def subject_to_sale(window: int = 3600) -> Sale:
    s = Sale({"subject_to": True, "subject_to_window": window})
    s.lot("1", start=100, reserve=300)
    s.lot("2", start=100, reserve=300)
    s.lot("3", start=100)
    s.bidders("A", "B")
    for lot in ("1", "2"):
        s.ok({"op": "open_lot", "lot": lot})
        s.ok({"op": "floor_bid", "lot": lot, "paddle": "A", "amount": 200})
        s.ok({"op": "hammer", "lot": lot})
    assert s.state("1")["hammer"]["subject_to"] is True
    assert s.engine.bidders["A"].won == 400
    return s


def test_the_vendor_accepts_or_declines():
    s = subject_to_sale()
    s.now += 60
    d = s.ok({"op": "resolve_subject_to", "lot": "1", "accept": True})
    assert (d.events[0].type, d.events[0].audience) == ("subject_to_resolved", PUBLIC)
    assert d.events[0].data == {"accept": True, "reason": "", "at": s.now}
    assert d.events[0].bidders == ("A",)
    lot = s.state("1")
    assert (lot["status"], lot["hammer"]["subject_to"]) == ("sold", False)
    assert s.engine.bidders["A"].won == 400
    s.no({"op": "resolve_subject_to", "lot": "1", "accept": False}, R.NOT_SUBJECT_TO)
    s.ok({"op": "resolve_subject_to", "lot": "2", "accept": False, "reason": "vendor"})
    lot = s.state("2")
    assert (lot["status"], lot["hammer"]["reason"]) == ("passed", "vendor_declined")
    assert s.engine.bidders["A"].won == 200  # the declined lot's total is released
    assert projections(replay(s.journal)) == projections(s.engine)


def test_subject_to_answers_only_within_the_window_and_after_the_close():
    s = subject_to_sale(window=3600)
    s.ok({"op": "close_sale"})
    s.now += 3600
    s.ok({"op": "resolve_subject_to", "lot": "1", "accept": True})  # closed: still answered
    s.now += 1
    s.no({"op": "resolve_subject_to", "lot": "2", "accept": True}, R.TOO_LATE)


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ({"lot": "3", "accept": True}, R.NOT_SUBJECT_TO),  # pending
        ({"lot": "9", "accept": True}, R.UNKNOWN_LOT),
        ({"lot": "1", "accept": "yes"}, R.INVALID),
        ({"lot": "1", "accept": 1}, R.INVALID),
        ({"lot": "1"}, R.INVALID),
        ({"lot": "1", "accept": True, "reason": "x" * 501}, R.INVALID),
    ],
)
def test_bad_subject_to_answers(command, reason):
    subject_to_sale().no({"op": "resolve_subject_to", **command}, reason)


def test_a_lot_sold_outright_is_not_subject_to():
    s = Sale()
    s.lot("1", start=100)
    s.bidders("A")
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "A"})
    s.ok({"op": "hammer", "lot": "1"})
    s.no({"op": "resolve_subject_to", "lot": "1", "accept": True}, R.NOT_SUBJECT_TO)


# -- commission bids left online


def test_a_bidder_leaves_and_cancels_their_own_commission_bid_until_the_lot_opens():
    s = Sale()
    s.lot("1", start=100)
    s.bidders("A", "B")
    d = s.ok({"op": "absentee_bid", "lot": "1", "paddle": "A", "max": 200}, bidder("A"))
    assert (d.events[0].audience, d.events[0].bidders) == (STAFF, ("A",))
    s.no({"op": "absentee_bid", "lot": "1", "paddle": "B", "max": 200}, R.FORBIDDEN, bidder("A"))
    s.no({"op": "cancel_absentee", "lot": "1", "paddle": "A"}, R.FORBIDDEN, bidder("B"))
    s.no({"op": "absentee_bid", "lot": "1", "paddle": "A", "max": 300}, R.DUPLICATE_BOOK,
         bidder("A"))  # fmt: skip
    s.ok({"op": "cancel_absentee", "lot": "1", "paddle": "A"}, bidder("A"))
    s.ok({"op": "absentee_bid", "lot": "1", "paddle": "A", "max": 50_000}, bidder("A"))
    s.ok({"op": "open_lot", "lot": "1"})
    s.no({"op": "cancel_absentee", "lot": "1", "paddle": "A"}, R.LOT_NOT_PENDING, bidder("A"))
    s.no({"op": "absentee_bid", "lot": "1", "paddle": "A", "max": 9}, R.FORBIDDEN,
         bidder("7"))  # fmt: skip


def test_a_bidder_still_may_not_run_the_sale():
    s = Sale()
    s.lot("1", start=100)
    s.bidders("A")
    for op in ("open_lot", "book_phone", "message", "edit_lot", "reoffer", "close_sale"):
        s.no({"op": op, "lot": "1"}, R.FORBIDDEN, bidder("A"))


# -- phone bookings


def test_phone_bookings_by_lot_range_with_an_operator():
    s = Sale()
    for lot in ("1", "2", "3", "4"):
        s.lot(lot, start=100)
    s.bidders("A", "B")
    book = {"op": "book_phone", "paddle": "A", "from_lot": "1", "to_lot": "2", "operator": "Jo"}
    d = s.ok(book)
    assert (d.events[0].type, d.events[0].audience) == ("phone_booked", STAFF)
    assert d.events[0].data == {
        "id": "ph1",
        "paddle": "A",
        "from_lot": "1",
        "to_lot": "2",
        "operator": "Jo",
    }
    s.no(book, R.INVALID)  # the same booking twice
    s.no({**book, "from_lot": "2", "to_lot": "4"}, R.INVALID)  # overlaps
    s.ok({**book, "from_lot": "3", "to_lot": "4", "operator": "Sam"})
    s.ok({**book, "paddle": "B", "operator": "Sam"})
    assert [p["id"] for p in s.engine.snapshot(staff=True)["phones"]] == ["ph1", "ph2", "ph3"]
    assert "phones" not in s.engine.snapshot()
    s.ok({"op": "cancel_phone", "id": "ph1"})
    s.no({"op": "cancel_phone", "id": "ph1"}, R.NO_BOOKING)
    assert [p["id"] for p in s.engine.snapshot(staff=True)["phones"]] == ["ph2", "ph3"]
    assert projections(replay(s.journal)) == projections(s.engine)
    d = s.ok({**book, "from_lot": "1", "to_lot": "1"})
    assert d.events[0].data["id"] == "ph4"  # ids are never reused


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"paddle": "Z"}, R.UNKNOWN_BIDDER),
        ({"from_lot": "9"}, R.UNKNOWN_LOT),
        ({"to_lot": "9"}, R.UNKNOWN_LOT),
        ({"from_lot": "2", "to_lot": "1"}, R.INVALID),
        ({"operator": " "}, R.INVALID),
        ({"operator": "o" * 65}, R.INVALID),
        ({"operator": None}, R.INVALID),
        ({"from_lot": 1}, R.INVALID),
        ({"paddle": ""}, R.INVALID),
    ],
)
def test_bad_phone_bookings(fields, reason):
    s = Sale()
    s.lot("1")
    s.lot("2")
    s.bidders("A")
    book = {"op": "book_phone", "paddle": "A", "from_lot": "1", "to_lot": "2", "operator": "Jo"}
    s.no({**book, **fields}, reason)


def test_phone_bookings_and_messages_in_a_draft():
    s = Sale(draft=True)
    s.lot("1")
    s.bidders("A")
    s.ok({"op": "book_phone", "paddle": "A", "from_lot": "1", "to_lot": "1", "operator": "Jo"})
    s.ok({"op": "message", "text": "The sale starts at ten"})
    s.no({"op": "resolve_subject_to", "lot": "1", "accept": True}, R.SALE_NOT_LIVE)
