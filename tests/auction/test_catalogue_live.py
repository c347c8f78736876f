"""The catalogue a house has: the new lot fields, edits in a draft, amendments once live
(a reason, a saleroom notice, never the reserve in public), lots added live, re-offers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.auction import reasons as R
from hub.auction.events import PUBLIC, STAFF

from .helpers import Sale, projections, replay


def sale(draft: bool = True) -> Sale:
    s = Sale(draft=True)
    s.lot("1", title="Vase", start=100, reserve=300, consignor="C-0042", quantity=2,
          vat="standard", arr=True, category="Ceramics", condition="Chip to the rim")  # fmt: skip
    s.lot("2", start=50, low=60, high=90)
    s.bidders("A", "B")
    if not draft:
        s.ok({"op": "go_live"})
    return s


def public_text(s: Sale, decision: Any) -> str:
    """Everything a public event of the decision carries, with its public view, as text."""
    out = []
    for event in decision.events:
        if event.audience == PUBLIC:
            out.append(json.dumps(event.data))
            out.append(json.dumps(s.engine.view(event, PUBLIC)))
    return "".join(out)


# -- the lot fields


def test_new_lot_fields_in_the_views():
    s = sale()
    public = s.engine.public_lot("1")
    assert public is not None
    assert {k: public[k] for k in ("quantity", "vat", "arr", "category", "condition")} == {
        "quantity": 2,
        "vat": "standard",
        "arr": True,
        "category": "Ceramics",
        "condition": "Chip to the rim",
    }
    assert public["notices"] == []
    assert "reserve" not in public
    assert "consignor" not in public
    staff = s.state("1")
    assert (staff["reserve"], staff["consignor"]) == (300, "C-0042")


def test_lot_field_defaults():
    public = sale().engine.public_lot("2")
    assert public is not None
    assert (public["quantity"], public["vat"], public["arr"]) == (1, "margin", False)
    assert (public["category"], public["condition"]) == ("", "")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": 0}, "'quantity'"),
        ({"quantity": -3}, "'quantity'"),
        ({"quantity": 1.5}, "'quantity'"),
        ({"quantity": True}, "'quantity'"),
        ({"quantity": 10**7}, "'quantity'"),
        ({"quantity": "2"}, "'quantity'"),
        ({"vat": "none"}, "'vat' must be one of"),
        ({"vat": ["margin"]}, "'vat' must be one of"),
        ({"arr": "yes"}, "'arr' must be true or false"),
        ({"arr": 1}, "'arr' must be true or false"),
        ({"consignor": "c" * 65}, "longer than 64"),
        ({"category": "c" * 101}, "longer than 100"),
        ({"condition": "c" * 10_001}, "longer than 10000"),
        ({"condition": "bad\x00byte"}, "control characters"),
    ],
)
def test_bad_lot_fields_are_invalid(fields, message):
    s = sale()
    d = s.no({"op": "add_lot", "lot": {"id": "9", **fields}}, R.INVALID)
    assert message in str(d.message)
    d = s.no({"op": "edit_lot", "lot": "2", "changes": fields}, R.INVALID)
    assert message in str(d.message)


# -- editing in a draft


def test_a_draft_is_edited_freely_and_only_staff_hear_of_it():
    s = sale()
    d = s.ok({"op": "edit_lot", "lot": "1", "changes": {"title": "Pair of vases", "reserve": 250}})
    assert [(e.type, e.audience) for e in d.events] == [("lot_edited", STAFF)]
    assert d.events[0].data["changes"] == {"title": "Pair of vases", "reserve": 250}
    staff = s.state("1")
    assert (staff["title"], staff["reserve"], staff["notices"]) == ("Pair of vases", 250, [])
    s.ok({"op": "edit_lot", "lot": "2", "changes": {"start": 70, "high": 200}})
    assert (s.state("2")["start"], s.state("2")["ask"]) == (70, 70)
    assert projections(replay(s.journal)) == projections(s.engine)


@pytest.mark.parametrize(
    ("changes", "reason", "message"),
    [
        ({"id": "99"}, R.INVALID, "cannot change"),
        ({"colour": "red"}, R.INVALID, "unknown lot field"),
        ({}, R.INVALID, "nothing to change"),
        ({"low": 100}, R.INVALID, "low estimate"),  # lot 2's high is 90
        ({"low": 100, "high": 50}, R.INVALID, "low estimate"),
        ("title=x", R.INVALID, "'changes' must be an object"),
    ],
)
def test_bad_edits(changes, reason, message):
    d = sale().no({"op": "edit_lot", "lot": "2", "changes": changes}, reason)
    assert message in str(d.message)


def test_editing_an_unknown_lot():
    sale().no({"op": "edit_lot", "lot": "77", "changes": {"title": "x"}}, R.UNKNOWN_LOT)


# -- amendments once live


def test_a_live_change_needs_a_reason():
    s = sale(draft=False)
    s.no({"op": "edit_lot", "lot": "1", "changes": {"title": "x"}}, R.CATALOGUE_FROZEN)
    s.no({"op": "edit_lot", "lot": "1", "changes": {"title": "x"}, "reason": "  "},
         R.CATALOGUE_FROZEN)  # fmt: skip
    s.no({"op": "add_lot", "lot": {"id": "9"}}, R.CATALOGUE_FROZEN)


def test_an_amendment_is_a_public_notice_on_the_lot():
    s = sale(draft=False)
    d = s.ok(
        {
            "op": "edit_lot",
            "lot": "1",
            "changes": {"condition": "Restored foot rim", "low": 150},
            "reason": "condition report corrected",
            "notice": "Please note: the foot rim is restored",
        }
    )
    assert [(e.type, e.audience) for e in d.events] == [("lot_amended", PUBLIC)]
    assert d.events[0].data == {
        "changes": {"condition": "Restored foot rim", "low": 150},
        "reason": "condition report corrected",
        "notice": "Please note: the foot rim is restored",
        "by": "clerk",
    }
    public = s.engine.view(d.events[0], PUBLIC)["lot"]
    assert public["notices"] == ["Please note: the foot rim is restored"]
    assert public["condition"] == "Restored foot rim"
    # Without a notice, the reason is the notice.
    s.ok({"op": "edit_lot", "lot": "1", "changes": {}, "reason": "Now with its box"})
    assert s.engine.public_lot("1")["notices"][-1] == "Now with its box"  # type: ignore[index]


def test_a_live_reserve_change_never_reaches_the_public():
    s = sale(draft=False)
    d = s.ok({"op": "edit_lot", "lot": "1", "changes": {"reserve": 271}, "reason": "vendor"})
    assert [(e.type, e.audience) for e in d.events] == [("lot_edited", STAFF)]
    d = s.ok(
        {
            "op": "edit_lot",
            "lot": "1",
            "changes": {"reserve": 283, "consignor": "C-9", "title": "Vases"},
            "reason": "vendor lowered the reserve",
            "notice": "Title corrected",
        }
    )
    assert [(e.type, e.audience) for e in d.events] == [
        ("lot_edited", STAFF),
        ("lot_amended", PUBLIC),
    ]
    assert d.events[1].data["changes"] == {"title": "Vases"}
    text = public_text(s, d)
    assert "283" not in text
    assert "271" not in text
    assert "C-9" not in text
    assert (s.state("1")["reserve"], s.state("1")["consignor"]) == (283, "C-9")


def test_on_the_block_only_the_description_and_condition_change():
    s = sale(draft=False)
    s.ok({"op": "open_lot", "lot": "1"})
    s.no({"op": "edit_lot", "lot": "1", "changes": {"reserve": 200}, "reason": "r"}, R.LOT_OPEN)
    s.no({"op": "edit_lot", "lot": "1", "changes": {"title": "x"}, "reason": "r"}, R.LOT_OPEN)
    s.ok({"op": "edit_lot", "lot": "1", "changes": {"condition": "Hairline"}, "reason": "seen"})
    s.ok({"op": "edit_lot", "lot": "1", "changes": {}, "reason": "Sold with a stand"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "A", "amount": 300})
    s.ok({"op": "hammer", "lot": "1"})
    s.no({"op": "edit_lot", "lot": "1", "changes": {}, "reason": "late"}, R.LOT_CLOSED)


def test_a_lot_added_live_is_announced_after_the_last_lot():
    s = sale(draft=False)
    d = s.ok({"op": "add_lot", "lot": {"id": "1A", "title": "Stand", "start": 20,
                                        "reserve": 31337}, "reason": "late entry"})  # fmt: skip
    assert [(e.type, e.audience) for e in d.events] == [
        ("lot_added", STAFF),
        ("lot_amended", PUBLIC),
    ]
    assert d.events[1].data["notice"] == "Lot 1A added to the sale"
    assert "31337" not in public_text(s, d)
    assert s.state("1A")["order"] == 3
    assert s.engine.public_lot("1A")["notices"] == ["Lot 1A added to the sale"]  # type: ignore[index]
    s.no({"op": "add_lot", "lot": {"id": "1A"}, "reason": "again"}, R.DUPLICATE_LOT)


# -- re-offers


def test_a_passed_lot_is_reoffered_at_the_end_with_its_old_bids_voided():
    s = sale(draft=False)
    s.ok({"op": "absentee_bid", "lot": "1", "paddle": "B", "max": 120})
    s.no({"op": "reoffer", "lot": "1"}, R.NOT_PASSED)
    s.ok({"op": "open_lot", "lot": "1"})  # B's book bids 100, below the reserve of 300
    s.no({"op": "reoffer", "lot": "1"}, R.NOT_PASSED)
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "A", "amount": 140})
    s.ok({"op": "hammer", "lot": "1"})  # below the reserve: passed
    assert s.state("1")["status"] == "passed"
    d = s.ok({"op": "reoffer", "lot": "1", "reason": "vendor lowered the reserve"})
    assert d.events[0].type == "lot_reoffered"
    assert d.events[0].audience == PUBLIC
    assert d.events[0].data == {"order": 3, "reason": "vendor lowered the reserve", "at": s.now}
    lot = s.state("1")
    assert (lot["status"], lot["order"], lot["high"], lot["hammer"]) == ("pending", 3, None, None)
    assert lot["books"] == []
    assert {b["void"] for b in lot["history"]} == {"reoffered"}
    assert lot["ask"] == 100
    s.no({"op": "reoffer", "lot": "1"}, R.NOT_PASSED)
    assert s.engine.next_lot() == "2"
    s.ok({"op": "edit_lot", "lot": "1", "changes": {"reserve": 100}, "reason": "vendor"})
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "B"})
    s.ok({"op": "hammer", "lot": "1"})
    assert s.state("1")["hammer"]["amount"] == 100
    assert s.engine.bidders["B"].won == 100
    assert projections(replay(s.journal)) == projections(s.engine)


def test_sold_and_withdrawn_lots_are_not_reoffered():
    s = sale(draft=False)
    s.ok({"op": "withdraw", "lot": "2", "reason": "damaged"})
    s.no({"op": "reoffer", "lot": "2"}, R.NOT_PASSED)
    s.no({"op": "reoffer", "lot": "77"}, R.UNKNOWN_LOT)
