"""The credit limit with the sale rule `credit_includes_charges` (issue 12): premium,
surcharge and taxes count towards the limit, for bids, commission books and set-to-floor."""

from __future__ import annotations

from hub.auction import reasons as R
from hub.auction.decide.bidding import affordable, committed
from tests.auction.helpers import Sale, bidder

# 25 % premium, an online surcharge of 3 %, ladder of 10s from 100 (minor units).
RULES = {"buyer_premium": [[0, 2500]], "premium_surcharge_bp": {"online": 300}}


def sale(includes: bool, limit: int = 1_250) -> Sale:
    s = Sale({**RULES, "credit_includes_charges": includes, "ladder": [[0, 10]]})
    for lot in ("1", "2"):
        s.lot(lot, start=100)
    s.bidders("A", "B")
    s.ok({"op": "register_bidder", "paddle": "W", "channel": "online", "status": "approved"})
    s.ok({"op": "set_credit_limit", "paddle": "A", "credit_limit": limit})
    s.ok({"op": "set_credit_limit", "paddle": "W", "credit_limit": limit})
    return s


def test_without_the_rule_only_the_hammer_counts() -> None:
    s = sale(includes=False)
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "A", "amount": 1_250})
    s.no({"op": "floor_bid", "lot": "1", "paddle": "A", "amount": 1_260}, R.ALREADY_HIGH)
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "B", "amount": 1_260})
    s.no({"op": "floor_bid", "lot": "1", "paddle": "A", "amount": 1_270}, R.OVER_LIMIT)


def test_with_the_rule_the_premium_counts() -> None:
    """Limit 12.50: a 10.00 hammer costs 12.50 with the 25 % premium; 10.10 costs 12.63."""
    s = sale(includes=True)
    s.ok({"op": "open_lot", "lot": "1"})
    s.no({"op": "floor_bid", "lot": "1", "paddle": "A", "amount": 1_010}, R.OVER_LIMIT)
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "A", "amount": 1_000})
    s.ok({"op": "hammer", "lot": "1"})
    assert committed(s.engine.state, "A") == 1_250
    s.ok({"op": "open_lot", "lot": "2"})
    s.no({"op": "floor_bid", "lot": "2", "paddle": "A", "amount": 100}, R.OVER_LIMIT)


def test_the_won_lots_count_with_their_charges() -> None:
    """A wins lot 1 at 4.00 (cost 5.00); of a 12.50 limit 7.50 is left: a 6.00 hammer."""
    s = sale(includes=True)
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "A", "amount": 400})
    s.ok({"op": "hammer", "lot": "1"})
    s.ok({"op": "open_lot", "lot": "2"})
    s.no({"op": "floor_bid", "lot": "2", "paddle": "A", "amount": 610}, R.OVER_LIMIT)
    s.ok({"op": "floor_bid", "lot": "2", "paddle": "A", "amount": 600})


def test_an_online_bid_counts_its_surcharge() -> None:
    """Online: 9.80 costs 9.80 + 2.45 premium + 0.29 surcharge = 12.54, over a 12.50 limit;
    9.70 costs 12.42. The most it may reach is 9.77: 9.77 + 2.44 (2.4425) + 0.29 (0.2931) =
    12.50 exactly; 9.78 would cost 9.78 + 2.45 (2.445, half up) + 0.29 = 12.52."""
    s = sale(includes=True)
    s.ok({"op": "open_lot", "lot": "1"})
    s.no({"op": "bid", "lot": "1", "amount": 980}, R.OVER_LIMIT, bidder("W"))
    s.ok({"op": "bid", "lot": "1", "amount": 970}, bidder("W"))
    lot = s.engine.lots["1"]
    assert affordable(s.engine.state, s.engine.bidders["W"], lot, "online") == 977
    assert affordable(s.engine.state, s.engine.bidders["B"], lot, "online") is None


def test_a_commission_book_stops_at_the_limit_with_charges() -> None:
    """A book of 20.00 for A (limit 12.50 all in) bids at most 10.00 against the room."""
    s = sale(includes=True)
    s.ok({"op": "absentee_bid", "lot": "1", "paddle": "A", "max": 2_000})
    s.ok({"op": "open_lot", "lot": "1"})
    for amount in range(110, 1_100, 20):
        if s.high("1") == (1_000, "A"):
            break
        s.ok({"op": "floor_bid", "lot": "1", "paddle": "B", "amount": amount})
    assert s.high("1") == (1_000, "A")
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "B", "amount": 1_010})
    assert s.high("1") == (1_010, "B")  # the book does not answer past its limit


def test_a_bidder_past_the_limit_cannot_take_the_floor() -> None:
    s = Sale(
        {
            **RULES,
            "credit_includes_charges": True,
            "tie_policy": "floor_priority",
            "ladder": [[0, 10]],
        }
    )
    s.lot("1", start=100)
    s.bidders("A")
    s.ok({"op": "register_bidder", "paddle": "W", "channel": "online", "status": "approved"})
    s.ok({"op": "set_credit_limit", "paddle": "A", "credit_limit": 1_249})
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "bid", "lot": "1", "amount": 1_000}, bidder("W"))
    s.no({"op": "set_to_floor", "lot": "1", "paddle": "A"}, R.OVER_LIMIT)
    s.ok({"op": "set_credit_limit", "paddle": "A", "credit_limit": 1_250})
    s.ok({"op": "set_to_floor", "lot": "1", "paddle": "A"})
