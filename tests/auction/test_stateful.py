"""The engine against a small independent model, over random command sequences.

The model below re-states the rules from the issue and auction-domain.md §2.3 in its own
terms (plain dicts, no engine code). After every command the engine and the model must agree
on accept/refuse (and the reason), the high bid, the ask and the lot's status; the engine's
journal must replay into a fresh engine with byte-identical projections; and the structural
invariants hold: the accepted chain strictly increases, at most one winner, the hammer equals
the high bid, nothing is accepted while a lot is closed or the sale paused.
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from hub.auction.engine import Engine
from hub.auction.events import Actor, Event, canonical_json
from hub.auction.roles import ALL_STAFF_ROLES

from .helpers import check_declared

SYSTEM = Actor("system")
CLERK = Actor("clerk", roles=ALL_STAFF_ROLES)
LADDER = [(0, 10), (100, 20), (500, 50)]
LATE_WINDOW = 3.0
REOPEN_WINDOW = 10.0
LOTS = {"1": (50, 200), "2": (0, None), "3": (100, 150), "4": (20, 60)}  # start, reserve
PADDLES = ["A", "B", "C", "P", "L", "Z"]  # P: not approved, L: credit 300, Z: unknown
LOW = "low"  # outbid and below_ask are the same refusal seen with a different seen_seq
LIVE = ("open", "fair_warning")
CLOSED = ("sold", "passed")

lot_ids = st.sampled_from(["cur", "cur", "1", "2", "3", "4"])
paddles = st.sampled_from(PADDLES)


def step_of(amount: int, override: int | None) -> int:
    if override is not None:
        return override
    return [step for start, step in LADDER if start <= amount][-1]


class Model:
    """The rules, restated. A lot is a dict; bids are dicts in arrival order."""

    def __init__(self, tie: str, confirm: bool, subject_to: bool, auto: bool) -> None:
        self.tie, self.confirm, self.subject_to, self.auto = tie, confirm, subject_to, auto
        self.paused = False
        self.on_break = False  # between sessions: paused until the next session starts
        self.current: str | None = None
        self.rounds = 0
        self.arrivals = 0
        self.approved = {"A", "B", "C", "L"}
        self.limit = {"L": 300}
        self.won = {p: 0 for p in ("A", "B", "C", "P", "L")}
        self.lots = {
            k: {
                "status": "pending",
                "start": s,
                "reserve": r,
                "bids": [],
                "high": None,
                "ask": s,
                "over": None,
                "books": [],
                "pending": {},
                "late": {},
                "closed_at": None,
                "round": 0,
                "serial": 0,
                "subject_to": False,
            }
            for k, (s, r) in LOTS.items()
        }

    # helpers
    def live(self) -> str | None:
        if self.current and self.lots[self.current]["status"] in LIVE:
            return self.current
        return None

    def high(self, lot: dict) -> dict | None:
        return None if lot["high"] is None else lot["bids"][lot["high"]]

    def last_good(self, lot: dict) -> int:
        good = [b["amount"] for b in lot["bids"] if not b["void"]]
        return good[-1] if good else 0

    def add_bid(self, lot: dict, amount: int, paddle: str | None, channel: str) -> None:
        lot["bids"].append(
            {
                "amount": amount,
                "paddle": paddle,
                "channel": channel,
                "house": channel == "house",
                "void": None,
            }
        )
        lot["high"] = len(lot["bids"]) - 1
        lot["ask"] = amount + step_of(amount, lot["over"])
        lot["status"] = "open"

    def books(self, lot: dict, exclude: str | None, at_least: int) -> list[tuple[int, int, str]]:
        """(max, order, paddle) of books able to bid `at_least`, best first."""
        out = []
        for paddle, top, order in lot["books"]:
            if paddle == exclude or paddle not in self.approved:
                continue
            if paddle in self.limit:
                top = min(top, self.limit[paddle] - self.won[paddle])
            if top >= at_least:
                out.append((top, order, paddle))
        return sorted(out, key=lambda b: (-b[0], b[1]))

    def opening(self, lot: dict, top: int, ask: int) -> int:
        """Books open at the reserve: the ladder from the ask up to it, capped by the top book."""
        reserve = lot["reserve"]
        if reserve is None or reserve <= ask or top < reserve:
            return ask
        price = ask
        while price < reserve:
            price += step_of(price, lot["over"])
        return min(price, top)

    def book_price(self, lot: dict, books: list, floor: int) -> int:
        if len(books) == 1:
            return floor
        (top, _, _), (second, _, _) = books[0], books[1]
        if top == second:
            return top
        return max(floor, min(top, second + step_of(second, lot["over"])))

    def check(
        self, lot: dict, amount: int, paddle: str | None, channel: str, now: float
    ) -> str | None:
        if self.paused:
            return "paused"
        if lot["status"] in CLOSED:
            if now - lot["closed_at"] <= LATE_WINDOW and channel != "house":
                return "too_late"
            return "lot_closed"
        if lot["status"] not in LIVE:
            return "lot_closed"
        if paddle is not None:
            if paddle not in self.won:
                return "unknown_bidder"
            if paddle not in self.approved:
                return "not_approved"
        high = self.high(lot)
        if high and amount == high["amount"]:
            return "already_bid"
        if amount < lot["ask"] or amount <= self.last_good(lot):
            return LOW
        if high and paddle is not None and high["paddle"] == paddle:
            return "already_high"
        if high and channel == "house" and high["house"]:
            return "already_high"
        if channel == "house" and (lot["reserve"] is None or amount >= lot["reserve"]):
            return "above_reserve"
        if paddle in self.limit and self.won[paddle] + amount > self.limit[paddle]:
            return "over_limit"
        return None

    def take(self, lot: dict, amount: int, paddle: str | None, channel: str) -> str | None:
        """A checked bid goes in; commission books answer. Returns a refusal or None."""
        books = self.books(lot, paddle, amount) if self.auto else []
        if books and books[0][0] == amount:
            self.add_bid(lot, amount, books[0][2], "absentee")
            return "already_bid"
        self.add_bid(lot, amount, paddle, channel)
        books = [b for b in books if b[0] >= lot["ask"]]
        if books:
            self.add_bid(lot, self.book_price(lot, books, lot["ask"]), books[0][2], "absentee")
        return None

    def close(self, lot: dict, now: float) -> None:
        high = self.high(lot)
        lot["pending"] = {}
        lot["closed_at"], lot["round"] = now, self.rounds
        below = high is not None and lot["reserve"] is not None and high["amount"] < lot["reserve"]
        if high is None or high["house"] or (below and not self.subject_to):
            lot["status"] = "passed"
        else:
            lot["status"] = "sold"
            lot["subject_to"] = below
            if high["paddle"] in self.won:
                self.won[high["paddle"]] += high["amount"]


class EngineVsModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine()
        self.journal: list[Event] = []
        self.now = 1000.0

    # ------------------------------------------------------------ plumbing

    def run(self, command: dict, actor: Actor = CLERK) -> tuple[bool, str | None, list[Event]]:
        before_paused = self.engine.sale.paused
        before = {k: lot.status for k, lot in self.engine.lots.items()}
        decision = self.engine.decide(command, actor, self.now)
        check_declared(command, decision)
        events = list(decision.events)
        opened: set[str] = set()
        for event in events:
            if event.type in ("lot_opened", "lot_reopened"):
                opened.add(str(event.lot))
            if event.type in ("bid_accepted", "set_to_floor"):
                # Nothing is accepted while the sale is paused or the lot is not live.
                assert not before_paused, (command, event)
                assert before[str(event.lot)] in LIVE or event.lot in opened, (command, event)
            self.journal.append(event)
            self.engine.evolve(event, len(self.journal))
        reason = decision.reason
        if reason in ("outbid", "below_ask"):
            reason = LOW
        return decision.ok, reason, events

    def agree(
        self, got: tuple[bool, str | None, list[Event]], refusal: str | None, command: dict
    ) -> None:
        ok, reason, _ = got
        assert (ok, reason) == (refusal is None, refusal), (command, ok, reason, refusal)

    def lot_id(self, which: str) -> str:
        return (self.m.current or "1") if which == "cur" else which

    # ------------------------------------------------------------ setup

    @initialize(
        tie=st.sampled_from(["first_received", "floor_priority"]),
        confirm=st.booleans(),
        subject_to=st.booleans(),
        auto=st.sampled_from([True, True, False]),
    )
    def setup(self, tie: str, confirm: bool, subject_to: bool, auto: bool) -> None:
        self.m = Model(tie, confirm, subject_to, auto)
        sale = {
            "id": "s",
            "title": "t",
            "settings": {
                "ladder": [list(r) for r in LADDER],
                "tie_policy": tie,
                "confirm_online": confirm,
                "subject_to": subject_to,
                "auto_absentee": auto,
                "late_window": LATE_WINDOW,
                "reopen_window": REOPEN_WINDOW,
            },
        }
        commands: list[dict] = [{"op": "create_sale", "sale": sale}]
        for lot_id, (start, reserve) in LOTS.items():
            commands.append(
                {"op": "add_lot", "lot": {"id": lot_id, "start": start, "reserve": reserve}}
            )
        for paddle in ("A", "B", "C", "P", "L"):
            commands.append(
                {
                    "op": "register_bidder",
                    "paddle": paddle,
                    "status": "pending" if paddle == "P" else "approved",
                    "credit_limit": 300 if paddle == "L" else None,
                    "channel": "phone" if paddle == "C" else "floor",
                }
            )
        commands.append({"op": "go_live"})
        for command in commands:
            assert self.run(command, SYSTEM)[0], command

    # ------------------------------------------------------------ rules

    @rule(dt=st.sampled_from([0, 0.5, 1, 2, 3, 4, 8, 15]))
    def tick(self, dt: float) -> None:
        self.now += dt

    @rule(which=lot_ids, paddle=paddles, top=st.sampled_from([30, 60, 90, 120, 150, 210, 300]))
    def absentee(self, which: str, paddle: str, top: int) -> None:
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        if paddle not in m.won:
            expect: str | None = "unknown_bidder"
        elif lot["status"] != "pending":
            expect = "lot_not_pending"
        elif paddle not in m.approved:
            expect = "not_approved"
        elif top < max(lot["start"], 1):
            expect = "below_start"
        elif any(b[0] == paddle for b in lot["books"]):
            expect = "duplicate_book"
        else:
            expect = None
            m.arrivals += 1
            lot["books"].append((paddle, top, m.arrivals))
        command = {"op": "absentee_bid", "lot": lot_id, "paddle": paddle, "max": top}
        self.agree(self.run(command), expect, command)

    @rule(which=lot_ids)
    def open_lot(self, which: str) -> None:
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        if lot["status"] != "pending":
            expect: str | None = "lot_not_pending"
        elif m.live():
            expect = "lot_open"
        elif m.paused:
            expect = "paused"
        else:
            expect = None
            m.current, m.rounds = lot_id, m.rounds + 1
            lot["status"] = "open"
            ask = lot["ask"] if lot["ask"] > 0 else step_of(0, lot["over"])
            lot["ask"] = ask
            books = m.books(lot, None, ask) if m.auto else []
            if books:
                floor = m.opening(lot, books[0][0], ask)
                m.add_bid(lot, m.book_price(lot, books, floor), books[0][2], "absentee")
        self.agree(self.run({"op": "open_lot", "lot": lot_id}), expect, {"open": lot_id})

    @rule(
        which=lot_ids,
        channel=st.sampled_from(["online", "floor", "phone", "anon", "house", "absentee", "room"]),
        paddle=paddles,
        how=st.sampled_from(["ask", "ask", "step", "jump", "equal", "below", "fixed"]),
        seen=st.sampled_from(["none", "now", "old"]),
    )
    def bid(self, which: str, channel: str, paddle: str, how: str, seen: str) -> None:
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        high = m.high(lot)
        amount = {
            "ask": lot["ask"],
            "step": lot["ask"] + step_of(lot["ask"], lot["over"]),
            "jump": lot["ask"] + 3 * step_of(lot["ask"], lot["over"]),
            "equal": high["amount"] if high else lot["ask"],
            "below": max(1, lot["ask"] - 1),
            "fixed": 140,
        }[how]
        command: dict = {"op": "floor_bid", "lot": lot_id, "amount": amount}
        actor = CLERK
        who: str | None = paddle
        if channel == "online":
            command["op"] = "bid"
            actor = Actor("bidder", paddle=paddle)
        elif channel == "house":
            command["op"] = "house_bid"
            who = None
        elif channel == "anon":
            who = None
            channel = "floor"
        elif channel == "room":  # no channel named: the paddle's registration says
            command["paddle"] = paddle
            channel = "phone" if paddle == "C" else "floor"
        else:
            command.update(channel=channel, paddle=paddle)
        if seen != "none":
            command["seen_seq"] = self.engine.seq if seen == "now" else 0
        expect = None
        if channel == "absentee":
            book = next((b for b in lot["books"] if b[0] == paddle), None)
            if book is None:
                expect = "no_book"
            elif amount > book[1]:
                expect = "above_max"
        if expect is None:
            expect = m.check(lot, amount, who, channel, self.now)
        if expect == "too_late":
            lot["serial"] += 1
            lot["late"][f"{lot_id}.l{lot['serial']}"] = (amount, who, channel)
        elif expect is None and channel == "online" and m.confirm:
            lot["serial"] += 1
            lot["pending"][f"{lot_id}.p{lot['serial']}"] = (amount, who, channel)
        elif expect is None:
            expect = m.take(lot, amount, who, channel)
        self.agree(self.run(command, actor), expect, command)

    @rule(which=lot_ids, accept=st.booleans(), index=st.integers(0, 3))
    def confirm_online(self, which: str, accept: bool, index: int) -> None:
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        ids = sorted(lot["pending"])
        pid = ids[index] if index < len(ids) else f"{lot_id}.p999"
        op = "accept_online" if accept else "reject_online"
        if pid not in lot["pending"]:
            expect: str | None = "no_pending"
        elif not accept:
            expect = None
            del lot["pending"][pid]
        else:
            amount, who, channel = lot["pending"][pid]
            expect = m.check(lot, amount, who, channel, self.now)
            if expect != "paused":
                del lot["pending"][pid]
            if expect is None:
                expect = m.take(lot, amount, who, channel)
        command = {"op": op, "lot": lot_id, "pending": pid}
        self.agree(self.run(command), expect, command)

    @rule(which=lot_ids, paddle=st.sampled_from(["A", "B", "C", "L", "P", None]))
    def set_to_floor(self, which: str, paddle: str | None) -> None:
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        high = m.high(lot)
        expect: str | None = None
        if m.tie != "floor_priority":
            expect = "tie_policy"
        elif m.paused:
            expect = "paused"
        elif lot["status"] not in LIVE:
            expect = "lot_closed"
        elif high is None or high["channel"] != "online":
            expect = "no_online_high"
        elif paddle is not None and paddle not in m.approved:
            expect = "not_approved"
        elif paddle is not None and paddle == high["paddle"]:
            expect = "already_high"
        elif paddle in m.limit and m.won[paddle] + high["amount"] > m.limit[paddle]:
            expect = "over_limit"
        else:
            high["void"] = "displaced"
            ask = lot["ask"]
            m.add_bid(lot, high["amount"], paddle, "floor")
            lot["ask"], lot["status"] = ask, lot["status"]
        command = {"op": "set_to_floor", "lot": lot_id, "paddle": paddle}
        self.agree(self.run(command), expect, command)

    @rule(which=lot_ids)
    def retract(self, which: str) -> None:
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        high = m.high(lot)
        if lot["status"] not in LIVE:
            expect: str | None = "lot_closed"
        elif high is None:
            expect = "no_bid"
        else:
            expect = None
            high["void"] = "retracted"
            lot["high"], lot["ask"] = None, high["amount"]
        command = {"op": "retract", "lot": lot_id, "reason": "misheard"}
        self.agree(self.run(command), expect, command)

    @rule(which=lot_ids)
    def reinstate(self, which: str) -> None:
        lot_id = self.lot_id(which)
        lot = self.m.lots[lot_id]
        good = [i for i, b in enumerate(lot["bids"]) if not b["void"]]
        if lot["status"] not in LIVE:
            expect: str | None = "lot_closed"
        elif lot["high"] is not None:
            expect = "has_high"
        elif not good:
            expect = "no_bid"
        else:
            expect = None
            lot["high"] = good[-1]
            amount = lot["bids"][good[-1]]["amount"]
            lot["ask"] = amount + step_of(amount, lot["over"])
        command = {"op": "reinstate", "lot": lot_id, "reason": "confirmed"}
        self.agree(self.run(command), expect, command)

    @rule(which=lot_ids, delta=st.sampled_from([-5, 1, 5, 40]))
    def set_ask(self, which: str, delta: int) -> None:
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        amount = max(0, lot["ask"] + delta)
        expect: str | None = None
        if lot["status"] not in ("pending", *LIVE):
            expect = "lot_closed"
        elif amount <= m.last_good(lot) or amount <= 0:
            expect = "below_high"
        else:
            lot["ask"] = amount
        command = {"op": "set_ask", "lot": lot_id, "amount": amount}
        self.agree(self.run(command), expect, command)

    @rule(which=lot_ids, mode=st.sampled_from(["half", "double", "reset", "amount"]))
    def set_increment(self, which: str, mode: str) -> None:
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        expect: str | None = None
        if lot["status"] not in ("pending", *LIVE):
            expect = "lot_closed"
        else:
            high = m.high(lot)
            current = step_of(high["amount"] if high else lot["ask"], lot["over"])
            lot["over"] = {
                "half": max(1, current // 2),
                "double": current * 2,
                "reset": None,
                "amount": 15,
            }[mode]
            if high:
                lot["ask"] = high["amount"] + step_of(high["amount"], lot["over"])
        command = {"op": "set_increment", "lot": lot_id, "mode": mode, "amount": 15}
        self.agree(self.run(command), expect, command)

    @rule(which=lot_ids)
    def fair_warning(self, which: str) -> None:
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        if lot["status"] != "open":
            expect: str | None = "lot_not_open"
        elif m.paused:
            expect = "paused"
        else:
            expect = None
            lot["status"] = "fair_warning"
        self.agree(self.run({"op": "fair_warning", "lot": lot_id}), expect, {"fw": lot_id})

    @rule(which=lot_ids, source=st.sampled_from(["gavel", "button", "key"]))
    def hammer(self, which: str, source: str) -> None:
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        if lot["status"] not in LIVE:
            expect: str | None = "lot_not_open"
        elif m.paused:
            expect = "paused"
        else:
            expect = None
            m.close(lot, self.now)
        got = self.run({"op": "hammer", "lot": lot_id, "source": source})
        self.agree(got, expect, {"hammer": lot_id})
        if expect is None:
            closing = got[2][0]
            assert closing.data["hammer"]["source"] == source
            assert closing.data["hammer"]["at"] == self.now

    @rule(which=lot_ids)
    def pass_lot(self, which: str) -> None:
        lot_id = self.lot_id(which)
        lot = self.m.lots[lot_id]
        if lot["status"] not in LIVE:
            expect: str | None = "lot_not_open"
        else:
            expect = None
            lot["status"], lot["pending"] = "passed", {}
            lot["closed_at"], lot["round"] = self.now, self.m.rounds
        self.agree(self.run({"op": "pass", "lot": lot_id}), expect, {"pass": lot_id})

    @rule(which=lot_ids, really=st.sampled_from([False, False, False, True]))
    def withdraw(self, which: str, really: bool = True) -> None:
        if not really:
            return
        lot_id = self.lot_id(which)
        lot = self.m.lots[lot_id]
        if lot["status"] not in ("pending", *LIVE):
            expect: str | None = "lot_closed"
        else:
            expect = None
            lot["status"], lot["pending"] = "withdrawn", {}
        command = {"op": "withdraw", "lot": lot_id, "reason": "vendor"}
        self.agree(self.run(command), expect, command)

    @rule(which=lot_ids, index=st.sampled_from([None, 0, 1, 5]))
    def reopen(self, which: str, index: int | None) -> None:
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        ids = sorted(lot["late"])
        late = None if index is None else (ids[index] if index < len(ids) else "x.l99")
        expect: str | None = None
        if lot["status"] not in CLOSED:
            expect = "lot_not_closed"
        elif m.live():
            expect = "lot_open"
        elif m.paused:
            expect = "paused"
        elif self.now - lot["closed_at"] > REOPEN_WINDOW and lot["round"] != m.rounds:
            expect = "reopen_too_late"
        elif late is not None and late not in lot["late"]:
            expect = "no_late_bid"
        else:
            high = m.high(lot)
            if lot["status"] == "sold" and high and high["paddle"] in m.won:
                m.won[high["paddle"]] -= high["amount"]
            lot["status"], lot["closed_at"], m.current = "open", None, lot_id
            lot["subject_to"] = False
            taken = lot["late"].get(late) if late else None
            lot["late"] = {}
            if taken is not None:
                amount, who, channel = taken
                if m.check(lot, amount, who, channel, self.now) is None:
                    m.take(lot, amount, who, channel)
        command = {"op": "reopen", "lot": lot_id, "reason": "missed bid", "late": late}
        self.agree(self.run(command), expect, command)

    @rule(which=lot_ids)
    def leave_sold(self, which: str) -> None:
        lot_id = self.lot_id(which)
        lot = self.m.lots[lot_id]
        expect = None if lot["late"] else "no_late_bid"
        lot["late"] = {}
        self.agree(self.run({"op": "leave_sold", "lot": lot_id}), expect, {"leave": lot_id})

    @rule(really=st.sampled_from([False, False, True]))
    def pause(self, really: bool) -> None:
        if not really:
            return
        expect = "paused" if self.m.on_break else None
        self.m.paused = True
        self.agree(self.run({"op": "pause", "message": "break"}), expect, {"op": "pause"})

    @rule()
    def resume(self) -> None:
        m = self.m
        expect = "not_paused" if not m.paused else "paused" if m.on_break else None
        if expect is None:
            m.paused = False
        self.agree(self.run({"op": "resume"}), expect, {"op": "resume"})

    @rule(start=st.booleans())
    def session(self, start: bool) -> None:
        """A break between sessions, and the next session: paddles, books and lots carry on."""
        m = self.m
        if start:
            expect = None if m.on_break else "not_paused"
            if expect is None:
                m.on_break = m.paused = False
            command: dict = {"op": "start_session"}
        else:
            expect = "lot_open" if m.live() else "invalid" if m.on_break else None
            if expect is None:
                m.on_break = m.paused = True
            command = {"op": "end_session", "message": "until tomorrow"}
        self.agree(self.run(command), expect, command)

    @rule(
        which=lot_ids,
        change=st.sampled_from(
            [("reserve", None), ("reserve", 40), ("reserve", 120), ("reserve", 250),
             ("start", 30), ("condition", "Hairline crack")]
        ),
    )  # fmt: skip
    def amend(self, which: str, change: tuple[str, object]) -> None:
        """A live amendment with a reason: a new reserve, start price or condition report."""
        lot_id = self.lot_id(which)
        lot = self.m.lots[lot_id]
        key, value = change
        if lot["status"] in ("sold", "withdrawn"):
            expect: str | None = "lot_closed"
        elif lot["status"] in LIVE and key != "condition":
            expect = "lot_open"
        else:
            expect = None
            if key == "reserve":
                lot["reserve"] = value
            elif key == "start":
                lot["start"] = value
                if lot["status"] == "pending":
                    lot["ask"] = value
        command = {"op": "edit_lot", "lot": lot_id, "changes": {key: value}, "reason": "vendor"}
        self.agree(self.run(command), expect, command)

    @rule(which=lot_ids)
    def reoffer(self, which: str) -> None:
        """A passed lot back to waiting: its bids voided, its books gone, at its start price."""
        lot_id = self.lot_id(which)
        lot = self.m.lots[lot_id]
        if lot["status"] != "passed":
            expect: str | None = "not_passed"
        else:
            expect = None
            for bid in lot["bids"]:
                bid["void"] = bid["void"] or "reoffered"
            lot.update(status="pending", high=None, ask=lot["start"], over=None, books=[])
            lot.update(pending={}, late={}, closed_at=None, subject_to=False)
        command = {"op": "reoffer", "lot": lot_id, "reason": "vendor lowered the reserve"}
        self.agree(self.run(command), expect, command)

    @rule(which=lot_ids, accept=st.booleans())
    def vendor_answers(self, which: str, accept: bool) -> None:
        """The vendor's answer on a lot sold subject to (well within the window here)."""
        lot_id = self.lot_id(which)
        lot, m = self.m.lots[lot_id], self.m
        if lot["status"] != "sold" or not lot["subject_to"]:
            expect: str | None = "not_subject_to"
        else:
            expect = None
            lot["subject_to"] = False
            if not accept:
                lot["status"] = "passed"
                high = m.high(lot)
                if high is not None and high["paddle"] in m.won:
                    m.won[high["paddle"]] -= high["amount"]
        command = {"op": "resolve_subject_to", "lot": lot_id, "accept": accept}
        self.agree(self.run(command), expect, command)

    @rule()
    def crash_restart(self) -> None:
        """Serialize the journal as JSON text, replay it into a fresh engine, carry on with it."""
        text = [json.dumps(e.to_json(), allow_nan=False) for e in self.journal]
        fresh = Engine()
        for seq, line in enumerate(text, start=1):
            fresh.evolve(Event.from_json(json.loads(line)), seq)
        assert projections(fresh) == projections(self.engine)
        self.engine = fresh

    # ------------------------------------------------------------ weights
    # Hypothesis picks among enabled rules uniformly; these extra entry points make a sale
    # actually run (bids on the lot on the block, the next lot opening) instead of dying early.

    def _live_or_recent(self) -> bool:
        m = getattr(self, "m", None)
        if m is None or m.current is None:
            return False
        lot = m.lots[m.current]
        return lot["status"] in LIVE or (
            lot["status"] in CLOSED and self.now - lot["closed_at"] <= LATE_WINDOW
        )

    @precondition(lambda self: self._live_or_recent())
    @rule(
        channel=st.sampled_from(["online", "online", "floor", "phone", "anon", "house"]),
        paddle=st.sampled_from(["A", "B", "C", "L"]),
        how=st.sampled_from(["ask", "ask", "step", "jump", "equal", "below"]),
        seen=st.sampled_from(["none", "now"]),
    )
    def bid_on_the_block(self, channel: str, paddle: str, how: str, seen: str) -> None:
        self.bid("cur", channel, paddle, how, seen)

    @precondition(lambda self: self._live_or_recent())
    @rule(
        channel=st.sampled_from(["online", "floor", "phone", "absentee"]),
        paddle=st.sampled_from(["A", "B", "C", "L"]),
        how=st.sampled_from(["ask", "step", "equal"]),
    )
    def bid_on_the_block_again(self, channel: str, paddle: str, how: str) -> None:
        self.bid("cur", channel, paddle, how, "none")

    @precondition(lambda self: hasattr(self, "m") and self.m.live() is not None)
    @rule(
        channel=st.sampled_from(["online", "floor", "house"]),
        paddle=st.sampled_from(["A", "B", "C", "L"]),
        how=st.sampled_from(["ask", "step", "jump"]),
    )
    def bid_on_the_block_third(self, channel: str, paddle: str, how: str) -> None:
        self.bid("cur", channel, paddle, how, "none")

    @precondition(
        lambda self: (
            hasattr(self, "m") and any(lot["status"] == "pending" for lot in self.m.lots.values())
        )
    )
    @rule(
        books=st.lists(
            st.tuples(
                st.sampled_from(["A", "B", "C", "L"]),
                st.sampled_from([60, 90, 120, 150, 210, 300]),
            ),
            min_size=1,
            max_size=3,
        )
    )
    def fill_the_book(self, books: list[tuple[str, int]]) -> None:
        """Commission bids on the next waiting lot, the way a book fills before the sale."""
        waiting = [k for k, lot in sorted(self.m.lots.items()) if lot["status"] == "pending"]
        for paddle, top in books:
            self.absentee(waiting[0], paddle, top)

    @precondition(lambda self: hasattr(self, "m") and self.m.live() is not None)
    @rule(
        rounds=st.lists(
            st.tuples(
                st.sampled_from(["online", "floor", "phone", "anon", "house"]),
                st.sampled_from(["A", "B", "C", "L"]),
                st.sampled_from(["ask", "ask", "step", "equal"]),
                st.booleans(),
            ),
            min_size=1,
            max_size=6,
        )
    )
    def bidding_war(self, rounds: list[tuple[str, str, str, bool]]) -> None:
        """Several bids in a row, each possibly confirmed by the clerk straight away."""
        for channel, paddle, how, confirm in rounds:
            self.bid("cur", channel, paddle, how, "none")
            if confirm and self.m.confirm:
                self.confirm_online("cur", True, 0)

    @precondition(lambda self: hasattr(self, "m") and self.m.live() is not None)
    @rule(
        action=st.sampled_from(["retract", "reinstate", "floor", "accept", "accept", "reject"]),
        paddle=st.sampled_from(["B", "C", "L"]),
    )
    def clerk_on_the_block(self, action: str, paddle: str) -> None:
        if action == "retract":
            self.retract("cur")
        elif action == "reinstate":
            self.reinstate("cur")
        elif action == "floor":
            self.set_to_floor("cur", paddle)
        else:
            self.confirm_online("cur", action == "accept", 0)

    @precondition(
        lambda self: (
            hasattr(self, "m")
            and self.m.current is not None
            and self.m.lots[self.m.current]["status"] in CLOSED
        )
    )
    @rule(action=st.sampled_from(["reopen_late", "reopen_late", "reopen", "leave"]))
    def after_the_hammer(self, action: str) -> None:
        if action == "leave":
            self.leave_sold("cur")
        else:
            self.reopen("cur", 0 if action == "reopen_late" else None)

    @precondition(
        lambda self: (
            hasattr(self, "m")
            and self.m.live() is None
            and any(lot["status"] == "pending" and lot["reserve"] for lot in self.m.lots.values())
        )
    )
    @rule(
        paddle=st.sampled_from(["A", "B", "C", "L"]),
        above=st.sampled_from([0, 5, 30, 100]),
        second=st.sampled_from([None, "A", "B"]),
    )
    def book_at_the_reserve(self, paddle: str, above: int, second: str | None) -> None:
        """Books at or above the reserve on a waiting lot, then it opens: at the reserve."""
        lot_id = next(
            k
            for k, lot in sorted(self.m.lots.items())
            if lot["status"] == "pending" and lot["reserve"]
        )
        reserve = self.m.lots[lot_id]["reserve"]
        self.absentee(lot_id, paddle, reserve + above)
        if second is not None:
            self.absentee(lot_id, second, reserve + above // 2)
        if self.m.paused and not self.m.on_break:
            self.resume()
        self.open_lot(lot_id)

    @precondition(
        lambda self: hasattr(self, "m") and any(lot["subject_to"] for lot in self.m.lots.values())
    )
    @rule(accept=st.booleans())
    def vendor_answers_a_provisional_lot(self, accept: bool) -> None:
        lot_id = next(k for k, lot in sorted(self.m.lots.items()) if lot["subject_to"])
        self.vendor_answers(lot_id, accept)

    @precondition(
        lambda self: (
            hasattr(self, "m") and any(lot["status"] == "passed" for lot in self.m.lots.values())
        )
    )
    @rule(lower=st.booleans())
    def reoffer_a_passed_lot(self, lower: bool) -> None:
        """The house lowers the reserve (or not) and offers a passed lot again."""
        passed = [k for k, lot in sorted(self.m.lots.items()) if lot["status"] == "passed"]
        if lower:
            self.amend(passed[0], ("reserve", 40))
        self.reoffer(passed[0])

    @precondition(lambda self: hasattr(self, "m") and self.m.live() is None)
    @rule(which=st.sampled_from(["next", "next", "next", "1", "2", "3", "4"]), resume=st.booleans())
    def next_lot(self, which: str, resume: bool) -> None:
        if resume and self.m.paused:
            self.resume()
        waiting = [k for k, lot in sorted(self.m.lots.items()) if lot["status"] == "pending"]
        if which == "next":
            which = waiting[0] if waiting else "1"
        self.open_lot(which)

    @precondition(lambda self: hasattr(self, "m") and self.m.live() is not None)
    @rule(how=st.sampled_from(["fair_warning", "hammer", "hammer"]))
    def close_the_block(self, how: str) -> None:
        if how == "hammer":
            self.hammer("cur", "gavel")
        else:
            self.fair_warning("cur")

    # ------------------------------------------------------------ invariants

    @invariant()
    def agrees_with_model(self) -> None:
        m = getattr(self, "m", None)
        if m is None:
            return
        assert self.engine.sale.paused == m.paused
        assert (self.engine.sale_view()["break"] is not None) == m.on_break
        for lot_id, lot in m.lots.items():
            view = self.engine.staff_lot(lot_id)
            assert view is not None
            high = m.high(lot)
            expected = None if high is None else (high["amount"], high["paddle"], high["channel"])
            got = view["high"] and (
                view["high"]["amount"],
                view["high"]["paddle"],
                view["high"]["channel"],
            )
            assert (view["status"], got, view["ask"]) == (lot["status"], expected, lot["ask"]), (
                lot_id
            )
            assert [p["id"] for p in view["pending"]] == sorted(lot["pending"])
            assert [x["id"] for x in view["late"]] == sorted(lot["late"])
        for paddle, won in m.won.items():
            assert self.engine.bidder_view(paddle)["won"] == won

    @invariant()
    def chain_strictly_increases_and_one_winner(self) -> None:
        for lot_id in self.engine.lots:
            view = self.engine.staff_lot(lot_id)
            assert view is not None
            full = self.engine.projection(f"lot/{lot_id}")  # every bid, not the bounded view
            assert full is not None
            chain = [b["amount"] for b in full["bids"] if b["void"] is None]
            assert chain == sorted(set(chain)), (lot_id, chain)
            if view["status"] == "sold":
                assert view["high"] is not None
                assert view["hammer"]["amount"] == view["high"]["amount"]
                assert view["hammer"]["paddle"] == view["high"]["paddle"]
        winners: dict[str, int] = {}
        for event in self.journal:
            if event.type == "lot_sold":
                winners[str(event.lot)] = winners.get(str(event.lot), 0) + 1
                assert winners[str(event.lot)] == 1, event.lot
            elif event.type in ("lot_reopened", "lot_reoffered"):
                winners[str(event.lot)] = 0

    @invariant()
    def replay_equals_state(self) -> None:
        fresh = Engine()
        for seq, event in enumerate(self.journal, start=1):
            fresh.evolve(Event.from_json(json.loads(canonical_json(event.to_json()))), seq)
        assert projections(fresh) == projections(self.engine)


def projections(engine: Engine) -> dict[str, str]:
    return {key: canonical_json(engine.projection(key)) for key in engine.projection_keys()}


NIGHTLY = os.environ.get("HYPOTHESIS_PROFILE") == "nightly"
EngineVsModel.TestCase.settings = settings(
    max_examples=5_000 if NIGHTLY else 200,
    stateful_step_count=100 if NIGHTLY else 40,
)
TestEngineVsModel = pytest.mark.slow(EngineVsModel.TestCase)
