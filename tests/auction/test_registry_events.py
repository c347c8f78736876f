"""The registry's `events` are exact: every (op, event type) it declares happens in a sale.

The other direction (nothing emitted that is not declared) is checked on every decision the
tests make (`helpers.check_declared`, also in the stateful and the arbitrary-command tests).
"""

from __future__ import annotations

from typing import Any

from hub.auction import commands as C

from .helpers import SYSTEM, Sale, bidder


class Tour(Sale):
    """A sale that records which (op, event type) pairs its decisions carried."""

    def __init__(self, seen: set[tuple[str, str]], draft: bool = False, **settings: Any) -> None:
        self.seen = seen
        super().__init__(settings, draft=draft)

    def do(self, command: dict[str, Any], actor: Any = None) -> Any:
        decision = super().do(command, actor) if actor else super().do(command)
        self.seen.update((command["op"], e.type) for e in decision.events)
        return decision


def _setup_and_bids(seen: set[tuple[str, str]]) -> None:
    s = Tour(seen)
    s.ok({"op": "configure", "settings": {"late_window": 3}})
    for lot in ("1", "2", "3", "4"):
        s.lot(lot, start=100 if lot == "1" else 50, reserve=300 if lot == "1" else None)
    s.bidders("A", "B", "C")
    s.ok({"op": "register_bidder", "paddle": "P"})
    s.ok({"op": "approve_bidder", "paddle": "P"})
    s.ok({"op": "register_bidder", "paddle": "Q"})
    s.ok({"op": "reject_bidder", "paddle": "Q", "reason": "no ID"})
    s.ok({"op": "set_credit_limit", "paddle": "C", "credit_limit": 100_000})
    s.ok({"op": "absentee_bid", "lot": "2", "paddle": "B", "max": 500})
    s.ok({"op": "absentee_bid", "lot": "3", "paddle": "A", "max": 200})
    s.ok({"op": "cancel_absentee", "lot": "3", "paddle": "A"})
    # Lot 2: the book opens it and answers each bid.
    s.ok({"op": "open_lot", "lot": "2"})
    s.ok({"op": "floor_bid", "lot": "2", "paddle": "A"})
    s.no({"op": "floor_bid", "lot": "2", "paddle": "A", "amount": 1}, "below_ask")
    s.no({"op": "bid", "lot": "2", "amount": 1}, "below_ask", bidder("C"))
    s.ok({"op": "bid", "lot": "2", "amount": 600}, bidder("C"))
    s.ok({"op": "set_ask", "lot": "2", "amount": 700})
    s.ok({"op": "set_increment", "lot": "2", "mode": "double"})
    s.ok({"op": "retract", "lot": "2", "reason": "misheard"})
    s.ok({"op": "reinstate", "lot": "2", "reason": "heard right"})
    s.ok({"op": "pause", "message": "break"})
    s.ok({"op": "resume"})
    s.ok({"op": "fair_warning", "lot": "2"})
    s.ok({"op": "hammer", "lot": "2"})  # sold to C
    # Late bids: C's is taken on reopening (A's is left), then C's second is refused as C is high.
    s.no({"op": "bid", "lot": "2", "amount": 800}, "too_late", bidder("C"))
    s.no({"op": "floor_bid", "lot": "2", "paddle": "A", "amount": 900}, "too_late")
    late = [x["id"] for x in s.state("2")["late"]]
    s.ok({"op": "leave_sold", "lot": "2", "late": late[1]})
    d = s.ok({"op": "reopen", "lot": "2", "reason": "late bid", "late": late[0]})
    assert s.types(d) == ["lot_reopened", "bid_accepted"]
    s.ok({"op": "hammer", "lot": "2"})  # sold to C
    s.no({"op": "bid", "lot": "2", "amount": 2000}, "too_late", bidder("C"))
    late = [x["id"] for x in s.state("2")["late"]]
    d = s.ok({"op": "reopen", "lot": "2", "reason": "late bid", "late": late[0]})
    assert s.types(d) == ["lot_reopened", "bid_refused"]
    s.ok({"op": "pass", "lot": "2"})
    # Lot 1: the house bids below the reserve and buys it in.
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "house_bid", "lot": "1"})
    s.no({"op": "house_bid", "lot": "1", "amount": 120}, "already_high")
    s.ok({"op": "hammer", "lot": "1"})


def _clerk_confirms(seen: set[tuple[str, str]]) -> None:
    s = Tour(seen, confirm_online=True)
    for lot in ("1", "2", "3", "4"):
        s.lot(lot, start=50)
    s.bidders("A", "B")
    s.ok({"op": "absentee_bid", "lot": "1", "paddle": "B", "max": 60})
    s.ok({"op": "open_lot", "lot": "1"})  # B's book bids 50
    pending = s.ok({"op": "bid", "lot": "1", "amount": 60}, bidder("A"))
    s.no(
        {"op": "accept_online", "lot": "1", "pending": pending.events[0].data["pending"]["id"]},
        "already_bid",
    )  # the book at 60 came first
    pending = s.ok({"op": "bid", "lot": "1", "amount": 80}, bidder("A"))
    s.ok({"op": "accept_online", "lot": "1", "pending": pending.events[0].data["pending"]["id"]})
    pending = s.ok({"op": "bid", "lot": "1", "amount": 200}, bidder("B"))
    s.ok({"op": "reject_online", "lot": "1", "pending": pending.events[0].data["pending"]["id"]})
    s.ok({"op": "bid", "lot": "1", "amount": 300}, bidder("B"))
    s.ok({"op": "hammer", "lot": "1"})  # sold to A; B's waiting bid is rejected
    for close in ({"op": "pass", "lot": "2"}, {"op": "withdraw", "lot": "3"}):
        s.ok({"op": "open_lot", "lot": close["lot"]})
        s.ok({"op": "bid", "lot": close["lot"], "amount": 50}, bidder("A"))
        s.ok(close)
    s.ok({"op": "withdraw", "lot": "4"})


def _floor_priority(seen: set[tuple[str, str]]) -> None:
    s = Tour(seen, tie_policy="floor_priority")
    s.lot("1", start=50)
    s.bidders("A", "B")
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "bid", "lot": "1", "amount": 50}, bidder("A"))
    s.ok({"op": "set_to_floor", "lot": "1", "paddle": "B"})


def _sale_day(seen: set[tuple[str, str]]) -> None:
    s = Tour(seen, draft=True)
    s.lot("1", start=50)
    s.lot("2", start=50)
    s.ok({"op": "edit_lot", "lot": "1", "changes": {"title": "Vase"}})
    s.ok({"op": "go_live"})
    s.ok({"op": "add_lot", "lot": {"id": "3"}, "reason": "late entry"})
    s.ok(
        {"op": "edit_lot", "lot": "1", "changes": {"reserve": 60, "title": "Vases"}, "reason": "r"}
    )
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "pass", "lot": "1"})
    s.ok({"op": "reoffer", "lot": "1", "reason": "vendor"})
    s.bidders("A")
    s.ok({"op": "message", "text": "Welcome"})
    d = s.ok({"op": "book_phone", "paddle": "A", "from_lot": "2", "to_lot": "3", "operator": "Jo"})
    s.ok({"op": "cancel_phone", "id": d.events[0].data["id"]})
    s.ok({"op": "configure", "settings": {"subject_to": True}})
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "A"})
    s.ok({"op": "hammer", "lot": "1"})  # below the reserve of 60: sold subject to
    s.ok({"op": "resolve_subject_to", "lot": "1", "accept": True})
    s.ok({"op": "end_session", "message": "until tomorrow"})
    s.ok({"op": "start_session"})
    s.ok({"op": "close_sale"})


def _money(seen: set[tuple[str, str]]) -> None:
    s = Tour(seen, draft=True, buyer_premium=[[0, 2500]])
    s.ok({"op": "set_consignor_terms", "consignor": "C1", "commission": [[0, 1500]]})
    for lot in ("1", "2", "3"):
        s.lot(lot, start=100, consignor="C1")
    s.bidders("A", "B")
    s.ok({"op": "go_live"})
    for lot in ("1", "2", "3"):
        s.ok({"op": "open_lot", "lot": lot})
        s.ok({"op": "floor_bid", "lot": lot, "paddle": "A"})
        s.ok({"op": "hammer", "lot": lot})
    s.ok({"op": "close_sale"})
    s.ok({"op": "cancel_lot_sale", "lot": "3", "reason": "vendor withdrew"})
    s.ok({"op": "issue_invoice", "paddle": "A", "number": "INV-2026-00001"}, SYSTEM)
    s.ok(
        {
            "op": "issue_credit_note",
            "invoice": "INV-2026-00001",
            "lots": ["2"],
            "number": "CN-2026-00001",
            "reason": "reknock",
        },
        SYSTEM,
    )
    s.ok({"op": "reknock", "lot": "2", "paddle": "B", "amount": 120, "reason": "wrong paddle"})
    s.ok({"op": "record_payment", "paddle": "A", "amount": 200, "method": "card"})
    s.ok({"op": "record_refund", "paddle": "A", "amount": 50, "method": "card", "reason": "over"})
    s.ok({"op": "release_lots", "paddle": "A", "override_reason": "trusted buyer"})
    s.ok({"op": "record_payout", "consignor": "C1", "amount": 50, "method": "transfer"})


def _compliance(seen: set[tuple[str, str]]) -> None:
    """Issue 13: CDD steps, holds and their review, linked purchases, the AML alert, markers."""
    s = Tour(seen, aml_threshold=1_000, aml_action="alert")
    s.lot("1", start=100)
    s.bidders("A", "B", "C")
    s.ok({"op": "record_cdd", "paddle": "A", "step": "id_seen", "outcome": "ok"})
    s.ok({"op": "hold_bidder", "paddle": "B", "reason": "screening match", "reference": "sc-1"})
    s.ok({"op": "review_hold", "paddle": "B", "decision": "clear", "reason": "not the person"})
    s.ok({"op": "hold_bidder", "paddle": "C", "reason": "screening match"})
    s.ok({"op": "review_hold", "paddle": "C", "decision": "confirm", "reason": "same DOB"})
    s.ok({"op": "set_linked_purchases", "paddle": "A", "amount": 900, "sales": ["spring"]})
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "bid", "lot": "1", "amount": 100}, bidder("A"))  # 900 + 100: the threshold
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "B", "amount": 1_000})
    s.ok({"op": "erase_identity", "paddle": "C", "reason": "retention: 5 years"})
    s.ok({"op": "note_suspicion", "paddle": "A", "reference": "sar-1"})


def test_every_declared_event_of_every_command_happens():
    seen: set[tuple[str, str]] = set()
    tours = (_setup_and_bids, _clerk_confirms, _floor_priority, _sale_day, _money, _compliance)
    for tour in tours:
        tour(seen)
    declared = {(c.op, t) for c in C.COMMANDS for t in c.events}
    assert declared - seen == set()
    assert seen - declared == set()
