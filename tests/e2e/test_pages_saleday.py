# ruff: noqa: E501  (the JavaScript under test is embedded as strings)
"""The sale day on the pages (issue 11), in Debian's Chromium against the fake stage.

Saleroom notices, messages to bidders, the sale's life (draft, session break, closed), the rules
of this sale, disclosed house bids, commission bids left online and the phone operator's view,
with hostile text, at 360×740 and 1280×800.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.auction import commands
from hub.auction.commands import catalogue

sys.path.insert(0, str(Path(__file__).parent))
from pages_harness import (
    DESKTOP,
    HOSTILE,
    PHONE,
    ROOM,
    SALE,
    STAFF,
    FakeStage,
    browser,
    event,
    fake,
    lot,
    module_page,
    new_page,
    screenshot,
    snapshot,
    staff_lot,
)

__all__ = ["browser", "fake"]
pytestmark = pytest.mark.e2e
MINE = f"{SALE}/bidders/7001"
DOCS = Path(__file__).resolve().parents[2] / "docs"
# The README's screenshots are refreshed only on request, so a test run leaves docs/ alone.
UPDATE_DOCS = os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1"
T = 5000  # ms: every wait is bounded

RULES = {
    "tie_policy": "floor_priority",
    "late_window": 3.0,
    "reopen_window": 120.0,
    "subject_to": True,
    "confirm_online": False,
    "auto_absentee": True,
    "buyer_premium": [[0, 2500], [50000000, 2000], [300000000, 1450]],
    "vat_rate_bp": 2000,
    "currency": "EUR",
}
LIVE_SALE = {
    "status": "live",
    "house": "Harlow & Finch",
    "timezone": "Europe/London",
    "session": 0,
    "sessions": [],
    "break": None,
    "rules": RULES,
    "head": None,
}


def text(page: Any, sel: str) -> str:
    return page.locator(sel).inner_text()


def wait_text(page: Any, sel: str, expected: str) -> None:
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent ?? '').includes(t)",
        arg=[sel, expected],
        timeout=T,
    )


def wait_hidden(page: Any, sel: str) -> None:
    page.wait_for_function("(s) => document.querySelector(s)?.hidden === true", arg=sel, timeout=T)


def assert_safe(page: Any) -> None:
    assert page.evaluate("window.__pwned ?? null") is None
    assert page.errors == []


def no_overflow(page: Any, viewport: dict[str, int], name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{name} overflows at {viewport['width']} px: {width}"


def bidder_commands(fake: FakeStage) -> list[dict[str, Any]]:
    """The commands a bidder's page sent (its token, not the clerk's)."""
    return [c for c in fake.calls("/commands") if (c["auth"] or "").startswith("Bearer bidder-")]


def pending_lots(n: int = 7, **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": str(i),
            "order": i,
            "title": f"Lot number {i}",
            "status": "pending",
            "estimate": {"low": 10000 * i, "high": 20000 * i},
            "images": [f"lot{i}.svg"],
            "hammer": None,
            **extra.get(str(i), {}),
        }
        for i in range(1, n + 1)
    ]


def with_message_binding() -> dict[str, Any]:
    """The registry as the stage serves it (the message key M, the quick messages)."""
    cat = catalogue()
    assert any(b["action"] == "message" for b in cat["bindings"])
    assert cat["quick_messages"] == list(commands.QUICK_MESSAGES)
    return cat


# ------------------------------------------------------------------ pure parts


@pytest.fixture(scope="module")
def js(browser: Any) -> Iterator[Any]:
    with module_page(browser, S="state.js", D="saleday.js") as page:
        yield page


def run(js: Any, body: str, arg: Any = None) -> Any:
    return js.evaluate(f"(arg) => {{ const S = window.S, D = window.D; {body} }}", arg)


def test_session_start_is_shown_in_the_sales_timezone(js: Any) -> None:
    out = run(
        js,
        """return [
        S.sessionStart('2026-12-05T10:00', 'Europe/London', 'en-GB'),
        S.sessionStart('2026-07-05T09:00:00Z', 'Europe/London', 'en-GB'),
        S.sessionStart('2026-07-05T09:00:00Z', 'Not/AZone', 'en-GB'),
        S.sessionStart('tomorrow <b>10</b>', 'Europe/London', 'en-GB'),
        S.sessionStart('', 'Europe/London'), S.sessionStart(null, 'Europe/London'),
        S.sessionStart('x'.repeat(5000), 'UTC').length,
        S.sessionStart('2026-12-06', 'Europe/Paris', 'en-GB'),
    ];""",
    )
    assert out[0] == "Saturday, 5 December 2026 at 10:00 (Europe/London)"
    assert out[1] == "Sunday, 5 July 2026 at 10:00 (Europe/London)"  # BST: UTC+1
    assert out[2] == "Sunday, 5 July 2026 at 09:00 (UTC)"  # an unknown zone: UTC, and said so
    assert out[3] == "tomorrow <b>10</b>"  # shown as it came (as text)
    assert out[4:6] == ["", ""]
    assert out[6] == 100
    assert out[7] == "Sunday, 6 December 2026 (Europe/Paris)"  # a day without a time


def test_sale_life_in_words(js: Any) -> None:
    out = run(
        js,
        """return [
        S.saleLife({status: 'draft'}), S.saleLife({status: 'live', break: null}),
        S.saleLife({status: 'live', timezone: 'Europe/London', break: {message: 'Lunch', next_start: '2026-12-05T14:00'}}),
        S.saleLife({status: 'live', break: {message: '', next_start: null}}),
        S.saleLife({status: 'closed', break: {message: 'x'}}), S.saleLife(null), S.saleLife({}),
    ];""",
    )
    assert out[0]["text"] == "The sale has not started"
    assert out[1] is None
    assert out[2]["text"] == "Session break: Lunch"
    assert out[2]["detail"].startswith("The next session starts ")
    assert "14:00" in out[2]["detail"]
    assert "(Europe/London)" in out[2]["detail"]
    assert out[3]["text"] == "Session break"
    assert out[3]["detail"] == "The sale will resume at the next session"
    assert out[4]["text"] == "The sale is closed"
    assert out[5] is None
    assert out[6] is None


def test_rules_in_words(js: Any) -> None:
    out = run(
        js,
        """return [
        D.premiumText([[0, 2500], [50000000, 2000], [300000000, 1450]], 'EUR'),
        D.premiumText([[300000000, 1450], [0, 2500], ['x', 1], [5, -1], null], 'GBP'),
        D.premiumText([[0, 2250]], 'EUR'), D.premiumText('nope', 'EUR'),
        D.rulesList({currency: 'EUR', rules: arg}),
        D.rulesList({currency: 'GBP', tie_policy: 'first_received', confirm_online: true}),
        D.rulesList(null),
    ];""",
        RULES,
    )
    assert out[0] == [
        "25% of the hammer price up to €500,000",
        "20% from €500,000 to €3,000,000",
        "14.5% above €3,000,000",
    ]
    assert out[1] == ["25% of the hammer price up to £3,000,000", "14.5% above £3,000,000"]
    assert out[2] == ["22.5% of the hammer price"]
    assert out[3] == []
    rules = {r["term"]: r["text"] for r in out[4]}
    assert rules["Buyer's premium"].startswith("25% of the hammer price")
    assert rules["VAT"].startswith("20%")
    assert rules["Equal bids"] == "a bid in the room wins over an equal online bid"
    assert "subject to" in rules["Reserve not met"]
    assert rules["Late bids"] == (
        "A bid arriving up to 3 seconds after the hammer is recorded as a late bid; "
        "the auctioneer may reopen the lot within 120 seconds"
    )
    assert rules["Currency"] == "Prices are in EUR"
    old = {r["term"]: r["text"] for r in out[5]}  # an old sale view: what it has, no more
    assert old["Equal bids"] == "the first bid the auctioneer receives wins"
    assert "Buyer's premium" not in old
    assert "VAT" not in old
    assert out[6] == []


def test_messages_notices_and_bookings_in_the_state(js: Any) -> None:
    evs = [
        event(2, "message_sent", None, {"text": "Hello all", "paddle": None, "id": "m1"}),
        event(3, "message_sent", None, {"text": "For you", "paddle": "7001", "id": "m2"}),
        event(4, "message_sent", None, {"text": "Not for you", "paddle": "7002", "id": "m3"}),
        event(4, "message_sent", None, {"text": "dup", "paddle": None, "id": "m9"}),  # replay
        event(5, "message_sent", None, {"text": 12, "paddle": None, "id": "m4"}),  # malformed
        event(
            6,
            "lot_amended",
            lot("3", status="pending", notices=["Now attributed to the workshop"]),
            {"notice": "Now attributed to the workshop", "reason": "expert", "changes": {}},
        ),
        event(
            7, "absentee_registered", lot("3", status="pending"), {"paddle": "7001", "max": 90000}
        ),
        event(8, "absentee_registered", lot("4", status="pending"), {"paddle": "7002", "max": 5}),
        event(
            9,
            "session_ended",
            None,
            {"session": 0, "message": "Lunch", "next_start": "2026-12-05T14:00"},
        ),
    ]
    out = run(
        js,
        """let s = S.initialState({paddle: '7001'});
        for (const ev of arg) s = S.applyEvent(s, ev);
        const before = s;
        const after = S.dismissMessage(s, 'm2');
        return {
          messages: s.messages.map((m) => m.text), dismissed: after.messages.map((m) => m.text),
          same: S.dismissMessage(s, 'nope') === s, flash: s.flash, commissions: s.commissions,
          summary: s.lots.find((l) => l.id === '3').notices, brk: s.sale.break, block: s.lot,
          closed: S.dismissFlash(before).flash,
        };""",
        evs,
    )
    assert out["messages"] == ["For you", "Hello all"]  # newest first, none for others
    assert out["dismissed"] == ["Hello all"]
    assert out["same"] is True
    assert out["flash"] == {"seq": 6, "lot": "3", "text": "Now attributed to the workshop"}
    assert out["commissions"] == {"3": 90000}
    assert out["summary"] == ["Now attributed to the workshop"]
    assert out["block"] is None  # news about lots still to come puts none on the block
    assert out["brk"] == {"message": "Lunch", "next_start": "2026-12-05T14:00"}
    assert out["closed"] is None

    phones = run(
        js,
        """let s = S.applySnapshot(S.initialState(), arg);
        const one = S.applyEvent(s, {seq: 3, epoch: 1, type: 'phone_booked', data: {id: 'b3', paddle: '203', from_lot: '7', to_lot: '7', operator: 'Anna'}});
        const two = S.applyEvent(one, {seq: 4, epoch: 1, type: 'phone_cancelled', data: {id: 'b1'}});
        const bad = S.applyEvent(two, {seq: 5, epoch: 1, type: 'phone_booked', data: {paddle: '1'}});
        return [s.phones.map((b) => b.id), one.phones.map((b) => b.id), two.phones.map((b) => b.id), bad.phones.length];""",
        {
            **snapshot(2, None),
            "phones": [
                {"id": "b1", "paddle": "201", "from_lot": "4", "to_lot": "5", "operator": "Anna"},
                {"id": "b2", "paddle": "202", "from_lot": "6", "to_lot": "6", "operator": "Ben"},
                "junk",
            ],
        },
    )
    assert phones == [["b1", "b2"], ["b1", "b2", "b3"], ["b2", "b3"], 2]


def test_phone_alerts_follow_the_running_order(js: Any) -> None:
    bookings = [
        {"id": "b1", "paddle": "201", "from_lot": "4", "to_lot": "5", "operator": "Anna"},
        {"id": "b2", "paddle": "202", "from_lot": "10", "to_lot": "12", "operator": "anna "},
        {"id": "b3", "paddle": "203", "from_lot": "2", "to_lot": "2", "operator": "Ben"},
    ]
    out = run(
        js,
        """const lots = ['1','2','3','4','5','6','7','8','9','10','10a','11','12'].map((id, i) => ({id, order: i + 1, status: 'pending'}));
        const at = (current, status, done) => ({
          lot: {id: current, status}, lots: lots.map((l) => ({...l, status: l.id === current ? status : done.includes(l.id) ? 'sold' : l.status})),
          phones: arg,
        });
        const texts = (s, op) => D.phoneAlerts(s, op).map((a) => a.text);
        return {
          open1: texts(at('1', 'open', []), 'Anna'),
          sold1: texts(at('1', 'sold', ['1']), 'Anna'),
          open3: texts(at('3', 'fair_warning', ['1', '2']), 'Anna'),
          open4: texts(at('4', 'open', ['1', '2', '3']), 'ANNA'),
          ben: texts(at('1', 'open', []), 'Ben'),
          all: texts(at('1', 'open', []), ''),
          nobody: texts(at('1', 'open', []), 'Carla'),
          status: D.bookingStatus(at('12', 'open', lots.map((l) => l.id).slice(0, 11)), arg[0]).text,
          natural: ['9', '10', '10a', '11', '12', '1'].map((id) => D.inBooking(arg[1], id)),
          mine: D.bookingsFor({phones: arg}, ' anna').map((b) => b.id),
        };""",
        bookings,
    )
    assert out["open1"] == ["Paddle 201's lot 4 is 3 lots away"]
    assert out["sold1"] == ["Paddle 201's lot 4 is 3 lots away"]  # between lots: 2, 3, then 4
    assert out["open3"] == ["Paddle 201's lot 4 is 1 lot away"]
    assert out["open4"] == ["Paddle 201's lot 4 is on the block now"]
    assert out["ben"] == ["Paddle 203's lot 2 is 1 lot away"]
    assert out["all"] == ["Paddle 203's lot 2 is 1 lot away", "Paddle 201's lot 4 is 3 lots away"]
    assert out["nobody"] == []
    assert out["status"] == "Done: no lots left in this range"
    assert out["natural"] == [False, True, True, True, True, False]
    assert out["mine"] == ["b1", "b2"]


# ------------------------------------------------------------------ the room display


def test_room_shows_notices_house_bids_breaks_and_the_close(browser: Any, fake: FakeStage) -> None:
    current = lot(
        high={"amount": 60000, "paddle": None, "channel": "floor", "house": True},
        ask=65000,
        changed_seq=3,
        notices=[HOSTILE],
    )
    fake.snapshot = snapshot(3, current, **LIVE_SALE)
    page = new_page(browser, PHONE)
    page.goto(f"{fake.url}/room")
    wait_text(page, "#bidder", "House bid (on behalf of the vendor)")
    assert text(page, "#notices") == f"Saleroom notice: {HOSTILE}"
    assert page.locator("#flash").is_hidden()

    amended = lot(
        high={"amount": 60000, "paddle": None, "channel": "floor", "house": True},
        ask=65000,
        changed_seq=4,
        notices=[HOSTILE, "Frame <b>replaced</b>"],
    )
    fake.publish(
        event(
            4,
            "lot_amended",
            amended,
            {"notice": "Frame <b>replaced</b>", "reason": "x", "changes": {}},
        )
    )
    wait_text(page, "#flash", "Frame <b>replaced</b>")
    assert text(page, "#flash .flash-lot") == "Saleroom notice — Lot 1"
    assert text(page, "#notices").count("Saleroom notice") == 2
    no_overflow(page, PHONE, "room")

    sold = lot(
        status="sold", hammer={"amount": 70000, "paddle": "101", "channel": "floor"}, changed_seq=5
    )
    fake.publish(event(5, "lot_sold", sold))
    wait_text(page, "#headline", "Sold")
    brk = {"message": "Lunch <script>", "next_start": "2026-12-05T14:00"}
    fake.publish(
        {
            **event(6, "session_ended", None, {"session": 0, **brk}),
            "sale_state": {**fake.snapshot["sale"], "break": brk, "paused": True},
        }
    )
    wait_text(page, "#headline", "Session break: Lunch <script>")
    wait_text(page, "#life-detail", "The next session starts Saturday, December 5, 2026")
    assert "14:00 (Europe/London)" in text(page, "#life-detail")
    fake.publish(
        {
            **event(7, "sale_closed", None, {"at": 1, "by": "clerk"}),
            "sale_state": {**LIVE_SALE, "status": "closed"},
        }
    )
    wait_text(page, "#headline", "The sale is closed")
    assert_safe(page)


def test_room_before_the_sale_goes_live(browser: Any, fake: FakeStage) -> None:
    fake.snapshot = snapshot(1, None, **{**LIVE_SALE, "status": "draft"})
    page = new_page(browser)
    page.goto(f"{fake.url}/room")
    wait_text(page, "#headline", "The sale has not started")
    fake.publish({**event(2, "sale_live", None, {"at": 1}), "sale_state": LIVE_SALE})
    wait_text(page, "#headline", "The sale will begin shortly")
    assert_safe(page)


# ------------------------------------------------------------------ the bidder page


def open_bidder(browser: Any, fake: FakeStage, viewport: dict[str, int] = DESKTOP) -> Any:
    page = new_page(browser, viewport)
    page.goto(f"{fake.url}/bid#token=bidder-7001")
    return page


def test_bidder_sees_messages_notices_rules_and_house_bids(browser: Any, fake: FakeStage) -> None:
    current = lot(
        high={"amount": 60000, "paddle": None, "channel": "floor", "house": True},
        ask=65000,
        changed_seq=3,
        notices=["Lot 1 now includes the original box"],
    )
    fake.snapshot = snapshot(3, current, **LIVE_SALE)
    fake.snapshot["bidder"] = {
        "paddle": "7001",
        "status": "approved",
        "credit_limit": None,
        "won": 0,
    }
    page = open_bidder(browser, fake, PHONE)
    wait_text(page, "#high-note", "House bid (on behalf of the vendor)")
    assert text(page, "#notices") == "Saleroom notice: Lot 1 now includes the original box"
    assert page.locator("#messages-box").is_hidden()
    # The rules, in words.
    page.locator("#rules-box summary").click()
    rules = text(page, "#rules")
    assert "25% of the hammer price up to €500,000" in rules
    assert "14.5% above €3,000,000" in rules
    assert "a bid in the room wins over an equal online bid" in rules
    assert "up to 3 seconds after the hammer" in rules

    fake.publish(
        event(4, "message_sent", None, {"text": HOSTILE, "paddle": None, "id": "m1"}), [ROOM]
    )
    fake.publish(
        event(
            5,
            "message_sent",
            None,
            {"text": "Your card was declined", "paddle": "7001", "id": "m2"},
        ),
        [MINE],
    )
    wait_text(page, "#messages", "Your card was declined")
    items = page.locator("#messages .message-text").all_inner_texts()
    assert items == ["Your card was declined", HOSTILE]  # newest first
    assert page.locator("#messages .message-to").all_inner_texts() == ["To you", "To all bidders"]
    page.get_by_role("button", name="Dismiss this message").first.click()
    page.wait_for_function(
        "() => document.querySelectorAll('#messages li').length === 1", timeout=T
    )
    assert text(page, "#messages .message-text") == HOSTILE

    fake.publish(
        event(
            6,
            "lot_amended",
            lot("3", order=3, status="pending", notices=["Lot 3 is withdrawn <i>tomorrow</i>"]),
            {"notice": "Lot 3 is withdrawn <i>tomorrow</i>", "reason": "vendor", "changes": {}},
        ),
        [ROOM],
    )
    wait_text(page, "#flash", "Saleroom notice — Lot 3")
    assert "Lot 3 is withdrawn <i>tomorrow</i>" in text(page, "#upcoming")
    no_overflow(page, PHONE, "bidder")
    page.locator("#flash-close").click()
    wait_hidden(page, "#flash")
    assert_safe(page)


def test_bidder_sees_the_lots_facts_and_condition(browser: Any, fake: FakeStage) -> None:
    current = lot(quantity=3, vat="import", arr=True, category="Ceramics", condition=HOSTILE)
    fake.snapshot = snapshot(2, current, **LIVE_SALE)
    page = open_bidder(browser, fake, PHONE)
    wait_text(page, "#lot-facts", "Quantity 3 · Ceramics · VAT: import VAT applies")
    assert "Artist's resale right applies" in text(page, "#lot-facts")
    page.locator("#condition-box summary").click()
    assert text(page, "#condition") == HOSTILE
    fake.publish(event(3, "lot_amended", lot(vat="bogus", condition="", quantity=1), {}))
    wait_hidden(page, "#condition-box")
    assert text(page, "#lot-facts") == ""
    no_overflow(page, PHONE, "bidder")
    assert_safe(page)


def test_bidder_during_a_break_and_after_the_close(browser: Any, fake: FakeStage) -> None:
    brk = {"message": "Back after lunch", "next_start": "2026-12-05T14:00"}
    fake.snapshot = snapshot(
        3, lot(status="sold", hammer={"amount": 1, "paddle": "9"}), **{**LIVE_SALE, "break": brk}
    )
    fake.snapshot["bidder"] = {"paddle": "7001", "status": "approved"}
    page = open_bidder(browser, fake)
    wait_text(page, "#status", "Session break: Back after lunch")
    wait_text(page, "#life", "The next session starts")
    assert "(Europe/London)" in text(page, "#life")
    assert page.locator("#bid").is_disabled()
    fake.publish(
        {
            **event(4, "session_started", None, {"session": 1}),
            "sale_state": {**LIVE_SALE, "session": 1},
        }
    )
    fake.publish({**event(5, "lot_opened", lot("2", order=2, changed_seq=5))})
    wait_text(page, "#bid", "Bid €500")
    assert page.locator("#life").is_hidden()
    fake.publish({**event(6, "lot_passed", lot("2", order=2, status="passed"))})
    fake.publish(
        {
            **event(7, "sale_closed", None, {"at": 1}),
            "sale_state": {**LIVE_SALE, "status": "closed"},
        }
    )
    wait_text(page, "#status", "The sale is closed")
    assert page.locator("#bid").is_disabled()
    assert page.locator("#commission-send").is_disabled()
    assert_safe(page)


def test_bidder_draft_sale_cannot_bid(browser: Any, fake: FakeStage) -> None:
    fake.snapshot = snapshot(1, lot(status="open"), **{**LIVE_SALE, "status": "draft"})
    fake.snapshot["bidder"] = {"paddle": "7001", "status": "approved"}
    page = open_bidder(browser, fake)
    wait_text(page, "#status", "The sale has not started")
    assert page.locator("#bid").is_disabled()
    assert text(page, "#bid-reason") == "Bidding opens when the sale goes live"
    assert_safe(page)


def test_bidder_leaves_and_cancels_a_commission_bid(browser: Any, fake: FakeStage) -> None:
    fake.snapshot = snapshot(2, lot(changed_seq=2), pending_lots(), **LIVE_SALE)
    fake.snapshot["lots"][0]["status"] = "open"
    fake.snapshot["bidder"] = {"paddle": "7001", "status": "approved"}
    answers: list[tuple[int, dict[str, Any]]] = []
    fake.absentee_answer = lambda body: answers.pop(0) if answers else (200, {"ok": True})
    page = open_bidder(browser, fake, PHONE)
    wait_text(page, "#upcoming", "Leave a commission bid")
    # The lot on the block is not offered; the next ones are.
    options = page.locator("#commission-lot option").all_inner_texts()
    assert options[0] == "Lot 2: Lot number 2"
    assert not any(o.startswith("Lot 1:") for o in options)
    page.locator("#upcoming li", has_text="Lot 3").get_by_role(
        "button", name="Leave a commission bid"
    ).click()
    assert page.evaluate("document.activeElement.id") == "commission-max"
    assert page.locator("#commission-lot").input_value() == "3"

    # Malformed and oversized amounts never leave the page.
    for typed in ("", "abc", "12.345", "-5", "0", "9" * 30, "<script>1</script>"):
        page.fill("#commission-max", typed)
        page.locator("#commission-send").click()
        wait_text(page, "#commission-result", "Type your maximum as a number")
    assert bidder_commands(fake) == []

    page.fill("#commission-max", "1,200")
    page.locator("#commission-send").click()
    wait_text(
        page, "#commission-result", "Your commission bid of €1,200 on lot 3 is with the auctioneer"
    )
    sent = bidder_commands(fake)[-1]
    assert sent["auth"] == "Bearer bidder-7001"
    assert sent["body"]["op"] == "absentee_bid"
    assert sent["body"]["lot"] == "3"
    assert sent["body"]["max"] == 120000
    assert sent["body"]["paddle"] == "7001"  # the token's own paddle
    assert re.fullmatch(r"[0-9a-f-]{36}", sent["body"]["key"])
    wait_text(page, "#upcoming", "Your commission bid: €1,200")
    wait_text(page, "#my-commissions", "Lot 3: your maximum €1,200")

    # A duplicate, and one below the start: refused in words.
    answers.append((409, {"ok": False, "reason": "duplicate_book", "detail": "cancel first"}))
    page.locator("#commission-lot").select_option("3")
    page.fill("#commission-max", "1300")
    page.locator("#commission-send").click()
    wait_text(page, "#commission-result", "You already have a commission bid on this lot")
    answers.append((409, {"ok": False, "reason": "below_start", "detail": "x"}))
    page.locator("#commission-lot").select_option("4")
    page.fill("#commission-max", "1")
    page.locator("#commission-send").click()
    wait_text(page, "#commission-result", "Your maximum is below the start price")

    page.locator("#my-commissions").get_by_role("button", name="Cancel").click()
    wait_text(page, "#commission-result", "Your commission bid on lot 3 is cancelled")
    assert bidder_commands(fake)[-1]["body"]["op"] == "cancel_absentee"
    assert page.locator("#my-commissions li").count() == 0

    # The lot opens: it leaves the form's choices.
    fake.publish(event(3, "lot_opened", lot("2", order=2, changed_seq=3)))
    page.wait_for_function(
        "() => ![...document.querySelectorAll('#commission-lot option')].some((o) => o.value === '2')",
        timeout=T,
    )
    no_overflow(page, PHONE, "bidder")
    assert_safe(page)


def test_bidder_commission_on_a_stage_without_bidder_commands(
    browser: Any, fake: FakeStage
) -> None:
    fake.snapshot = snapshot(2, None, pending_lots(), **LIVE_SALE)
    fake.snapshot["bidder"] = {"paddle": "7001", "status": "approved"}
    page = open_bidder(browser, fake)
    wait_text(page, "#commission-lot", "Lot 1")
    page.fill("#commission-max", "500")
    page.locator("#commission-send").click()
    wait_text(page, "#commission-result", "cannot be left online here yet")
    assert page.locator("#my-commissions li").count() == 0
    # A watcher (no link) gets no commission form at all.
    watcher = new_page(browser)
    watcher.goto(f"{fake.url}/bid")
    wait_text(watcher, "#upcoming", "Lot 1")
    assert watcher.locator("#commission").is_hidden()
    assert "Leave a commission bid" not in text(watcher, "#upcoming")
    assert_safe(page)


# ------------------------------------------------------------------ the clerk page


def test_clerk_sends_messages_and_sees_notices(browser: Any, fake: FakeStage) -> None:
    fake.catalogue = with_message_binding
    current = staff_lot(
        high={"amount": 60000, "paddle": None, "channel": "floor", "house": True},
        ask=65000,
        changed_seq=5,
        notices=[HOSTILE],
    )
    fake.snapshot = snapshot(5, current, **LIVE_SALE)
    page = new_page(browser)
    page.goto(f"{fake.url}/clerk#token=clerk")
    wait_text(page, "#high-who", "House bid (on behalf of the vendor)")
    assert text(page, "#notices") == f"Saleroom notice: {HOSTILE}"
    page.wait_for_selector('#actions [data-action="message"]', timeout=T)

    # M opens the message dialog; the typed paddle is its addressee; quick messages fill it.
    page.locator("#paddle").focus()
    page.keyboard.type("7001")
    page.keyboard.press("m")
    page.wait_for_selector("#message-dialog[open]", timeout=T)
    assert page.locator("#message-paddle").input_value() == "7001"
    quick = page.locator("#quick button").all_inner_texts()
    assert quick == with_message_binding()["quick_messages"]
    page.locator("#quick button").first.click()
    assert page.locator("#message-text").input_value() == quick[0]
    shot = screenshot(page, "saleday-clerk-message")
    if UPDATE_DOCS:
        shutil.copy(shot, DOCS / "clerk-message-dialog.png")
    page.fill("#message-text", HOSTILE)
    page.get_by_role("button", name="Send").click()
    wait_text(page, "#result", "Message sent to paddle 7001")
    sent = fake.calls("/commands")[-1]["body"]
    assert sent == {"op": "message", "text": HOSTILE, "paddle": "7001"}

    # To everyone; an empty message or Cancel sends nothing.
    n = len(fake.calls("/commands"))
    page.keyboard.press("m")
    page.wait_for_selector("#message-dialog[open]", timeout=T)
    page.fill("#message-text", "   ")
    page.get_by_role("button", name="Send").click()
    page.keyboard.press("m")
    page.wait_for_selector("#message-dialog[open]", timeout=T)
    page.fill("#message-text", "hello")
    page.keyboard.press("Escape")
    page.wait_for_selector("#message-dialog:not([open])", state="attached", timeout=T)
    assert len(fake.calls("/commands")) == n
    page.locator('#actions [data-action="message"]').click()
    page.fill("#message-text", "Lot 12 is withdrawn")
    page.get_by_role("button", name="Send").click()
    wait_text(page, "#result", "Message sent to every bidder")
    assert fake.calls("/commands")[-1]["body"] == {"op": "message", "text": "Lot 12 is withdrawn"}

    # A refusal comes back in words.
    fake.command_answer = lambda body: (
        409,
        {"ok": False, "reason": "sale_closed", "detail": "closed"},
    )
    page.locator('#actions [data-action="message"]').click()
    page.fill("#message-text", "x")
    page.get_by_role("button", name="Send").click()
    wait_text(page, "#result", "The sale is closed")

    fake.publish(
        event(6, "message_sent", None, {"text": HOSTILE, "paddle": "7001", "id": "m1"}), [STAFF]
    )
    wait_text(page, "#sent", "to paddle 7001")
    assert text(page, "#sent .row-main") == HOSTILE
    fake.publish(
        event(
            7,
            "lot_amended",
            staff_lot(changed_seq=7, notices=[HOSTILE, "Glued <b>foot</b>"]),
            {"notice": "Glued <b>foot</b>", "reason": "r", "changes": {}},
        ),
        [STAFF],
    )
    wait_text(page, "#flash", "Glued <b>foot</b>")
    page.locator("#flash-close").click()
    wait_hidden(page, "#flash")
    assert_safe(page)


def test_clerk_quick_messages_only_from_the_registry(browser: Any, fake: FakeStage) -> None:
    def without_quick() -> dict[str, Any]:
        cat = with_message_binding()
        cat.pop("quick_messages")
        return cat

    fake.catalogue = without_quick
    fake.snapshot = snapshot(2, staff_lot(changed_seq=2), **LIVE_SALE)
    page = new_page(browser)
    page.goto(f"{fake.url}/clerk#token=clerk")
    page.wait_for_selector('#actions [data-action="message"]', timeout=T)
    page.locator('#actions [data-action="message"]').click()
    page.wait_for_selector("#message-dialog[open]", timeout=T)
    assert page.locator("#quick").is_hidden()
    assert page.locator("#quick button").count() == 0
    assert_safe(page)


# ------------------------------------------------------------------ the phone operator


def phone_snapshot(seq: int = 3) -> dict[str, Any]:
    snap = snapshot(seq, staff_lot("1", changed_seq=seq), pending_lots(14), **LIVE_SALE)
    snap["lots"][0]["status"] = "open"
    snap["phones"] = [
        {"id": "b1", "paddle": "201", "from_lot": "4", "to_lot": "5", "operator": "Anna"},
        {"id": "b2", "paddle": "202", "from_lot": "9", "to_lot": "12", "operator": "Anna"},
        {"id": "b3", "paddle": "203", "from_lot": "2", "to_lot": "2", "operator": "Ben"},
    ]
    snap["bidders"] = [
        {"paddle": "201", "status": "approved", "channel": "phone", "name": HOSTILE},
        {"paddle": "202", "status": "approved", "channel": "phone", "name": "Mrs P. Okafor"},
    ]
    return snap


def test_phone_operator_sees_bookings_and_alerts(browser: Any, fake: FakeStage) -> None:
    fake.snapshot = phone_snapshot()
    page = new_page(browser, PHONE)
    page.goto(f"{fake.url}/phone#token=clerk&operator=Anna")
    wait_text(page, "#alerts", "Paddle 201's lot 4 is 3 lots away")
    assert "token" not in page.url
    assert "Anna" not in page.url
    assert fake.calls("/api/session")[-1]["auth"] == "Bearer clerk"
    for _ in range(100):  # the stream opens once the snapshot is in
        if fake.calls("/.well-known/mercure"):
            break
        page.wait_for_timeout(50)
    assert fake.calls("/.well-known/mercure")[-1]["query"]["topic"] == STAFF
    assert text(page, "#operator-chip") == "Operator: Anna"
    rows = page.locator("#bookings tr").all_inner_texts()
    assert len(rows) == 2
    assert "201" in rows[0]
    assert HOSTILE in rows[0]
    assert "Lots 4–5" in rows[0]
    assert "202" in rows[1]
    assert "Lot 9 is 8 lots away" in rows[1]
    assert "203" not in text(page, "#bookings")
    no_overflow(page, PHONE, "phone")

    # The sale moves on: lot 1 sold, lot 2 opens -> lot 4 is 2 away; lot 4 opens -> now.
    fake.publish(event(4, "lot_sold", staff_lot("1", status="sold", changed_seq=4)), [STAFF])
    fake.publish(event(5, "lot_opened", staff_lot("2", order=2, changed_seq=5)), [STAFF])
    wait_text(page, "#alerts", "Paddle 201's lot 4 is 2 lots away")
    fake.publish(event(6, "lot_withdrawn", staff_lot("3", order=3, status="withdrawn")), [STAFF])
    wait_text(page, "#alerts", "Paddle 201's lot 4 is 1 lot away")
    fake.publish(event(7, "lot_passed", staff_lot("2", order=2, status="passed")), [STAFF])
    fake.publish(event(8, "lot_opened", staff_lot("4", order=4, changed_seq=8)), [STAFF])
    wait_text(page, "#alerts", "Paddle 201's lot 4 is on the block now")

    # A new booking and a cancelled one arrive on the stream.
    fake.publish(
        event(
            9,
            "phone_booked",
            None,
            {"id": "b4", "paddle": "204", "from_lot": "6", "to_lot": "6", "operator": "Anna"},
        ),
        [STAFF],
    )
    wait_text(page, "#alerts", "Paddle 204's lot 6 is 2 lots away")
    fake.publish(event(10, "phone_cancelled", None, {"id": "b1"}), [STAFF])
    page.wait_for_function(
        "() => !document.querySelector('#bookings').textContent.includes('201')", timeout=T
    )
    assert "Paddle 201" not in text(page, "#alerts")

    # Another operator, typed in.
    page.fill("#operator", "ben")
    page.keyboard.press("Enter")
    wait_text(page, "#operator-chip", "Operator: ben")
    assert page.locator("#bookings tr").count() == 1
    assert "Done: no lots left in this range" in text(page, "#bookings")
    assert_safe(page)


def test_phone_card_prints_without_the_live_parts(browser: Any, fake: FakeStage) -> None:
    fake.snapshot = phone_snapshot()
    page = new_page(browser, DESKTOP)
    page.goto(f"{fake.url}/phone#token=clerk&operator=Anna")
    wait_text(page, "#alerts", "3 lots away")
    page.emulate_media(media="print")
    assert page.locator("#alerts").is_hidden()
    assert page.locator("#operator-form").is_hidden()
    assert page.locator("#print").is_hidden()
    assert page.locator("#card-sale").is_visible()
    assert text(page, "#card-title") == "Phone card — Anna"
    assert page.locator("#bookings tr").count() == 2
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"
    assert_safe(page)


def test_phone_page_refuses_a_bidder_link_and_pairs(browser: Any, fake: FakeStage) -> None:
    fake.snapshot = phone_snapshot()
    page = new_page(browser)
    page.goto(f"{fake.url}/phone#token=bidder-7001")
    wait_text(page, "#pair-error", "That link is not a staff link.")
    page.fill("#pin", "000000")
    page.keyboard.press("Enter")
    wait_text(page, "#pair-error", "not the one on the stage screen")
    page.fill("#pin", fake.pin)
    page.keyboard.press("Enter")
    wait_text(page, "#operator-chip", "All operators")
    wait_text(page, "#alerts", "Paddle 203's lot 2 is 1 lot away")
    assert "operator Ben" in text(page, "#alerts")
    assert_safe(page)


# ------------------------------------------------------------------ every page, both sizes


def busy_snapshot(staff: bool) -> dict[str, Any]:
    make = staff_lot if staff else lot
    current = make(
        "4",
        order=4,
        title="Art Deco diamond and platinum bracelet",
        description="Old European-cut diamonds, approx. 4.5 ct total, 18 cm.",
        images=["lot4.svg"],
        estimate={"low": 600000, "high": 900000},
        high={"amount": 620000, "paddle": None, "channel": "floor", "house": True},
        ask=650000,
        bids=3,
        changed_seq=9,
        notices=["The clasp is a later replacement (not as catalogued)"],
    )
    lots = pending_lots(
        9,
        **{
            "1": {"status": "sold"},
            "2": {"status": "sold"},
            "3": {"status": "passed"},
            "4": {"status": "open"},
            "6": {"notices": ["Now with its original fitted case"]},
        },
    )
    snap = snapshot(9, current, lots, **LIVE_SALE)
    snap["phones"] = [
        {"id": "b1", "paddle": "201", "from_lot": "7", "to_lot": "8", "operator": "Anna"},
        {"id": "b2", "paddle": "215", "from_lot": "5", "to_lot": "5", "operator": "Anna"},
        {"id": "b3", "paddle": "230", "from_lot": "9", "to_lot": "9", "operator": "Anna"},
    ]
    snap["bidders"] = [
        {"paddle": "201", "name": "Mr J. Castellanos-Whitfield", "status": "approved"},
        {"paddle": "215", "name": "Dr A. Lindqvist", "status": "approved"},
    ]
    if not staff:
        snap["bidder"] = {"paddle": "7001", "status": "approved"}
    return snap


SHOTS = {
    "room": ("/room", "#bidder", "House bid"),
    "bidder": ("/bid#token=bidder-7001", "#messages", "lot 6"),
    "clerk": ("/clerk#token=clerk", "#high-who", "House bid"),
    "phone": ("/phone#token=clerk&operator=Anna", "#alerts", "lot 5"),
}


@pytest.mark.parametrize("name", list(SHOTS))
def test_saleday_screens_fit_both_sizes(browser: Any, fake: FakeStage, name: str) -> None:
    """Each page with every new part showing, at 360×740 and 1280×800; saved under
    artifacts/screenshots/, and into docs/ for the README with UPDATE_DOCS_SCREENSHOTS=1."""
    fake.catalogue = with_message_binding
    fake.snapshot = busy_snapshot(name in ("clerk", "phone"))
    path, sel, expected = SHOTS[name]
    topics = [STAFF] if name in ("clerk", "phone") else [ROOM, MINE]
    fake.publish(
        event(
            10,
            "message_sent",
            None,
            {
                "text": "Online bidders: lot 6 is next after a short pause",
                "paddle": None,
                "id": "m1",
            },
        ),
        topics,
    )
    fake.publish(
        event(
            11,
            "message_sent",
            None,
            {"text": "Please confirm your delivery address", "paddle": "7001", "id": "m2"},
        ),
        topics,
    )
    fake.publish(
        event(
            12,
            "lot_amended",
            lot("6", order=6, status="pending", notices=["Now with its original fitted case"]),
            {"notice": "Now with its original fitted case", "reason": "vendor", "changes": {}},
        ),
        topics,
    )
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = new_page(browser, viewport)
        page.goto(fake.url + path)
        wait_text(page, sel, expected)
        page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=T)
        if name == "bidder":
            page.locator("#rules-box summary").click()
            no_overflow(page, viewport, name)
            rules = screenshot(page, f"saleday-rules-{label}")
            if UPDATE_DOCS:
                shutil.copy(rules, DOCS / f"bidder-rules-{label}.png")
            page.evaluate("window.scrollTo(0, 0)")
        no_overflow(page, viewport, name)
        shot = screenshot(page, f"saleday-{name}-{label}")
        if UPDATE_DOCS:
            doc = f"{'phone-card' if name == 'phone' else name + '-page'}-{label}.png"
            shutil.copy(shot, DOCS / doc)
        assert_safe(page)
        page.context.close()


def test_closed_sale_shows_its_seal_to_staff_only(browser: Any, fake: FakeStage) -> None:
    head = "9f" * 32
    fake.snapshot = snapshot(9, None, **{**LIVE_SALE, "status": "closed", "head": head})
    fake.snapshot["bidder"] = {"paddle": "7001", "status": "approved"}
    clerk = new_page(browser, PHONE)
    clerk.goto(f"{fake.url}/clerk#token=clerk")
    wait_text(clerk, "#life", f"Journal sealed — head hash {head}")
    assert text(clerk, "#life .life-title") == "The sale is closed"
    no_overflow(clerk, PHONE, "clerk")
    bidder = open_bidder(browser, fake, PHONE)
    wait_text(bidder, "#life", "The sale is closed")
    assert head not in text(bidder, "body")
    assert bidder.locator("#bid").is_disabled()
    assert_safe(clerk)
    assert_safe(bidder)


def test_a_lot_sold_subject_to_says_so(js: Any) -> None:
    out = run(
        js,
        """const sold = (hammer) => ({...S.initialState({paddle: '7001'}), sale: {status: 'live'},
            lot: {id: '1', status: 'sold', hammer}});
        return [
          S.bidderStatus(sold({amount: 60000, paddle: '7001', subject_to: true})).text,
          S.bidderStatus(sold({amount: 60000, paddle: '101', subject_to: true})).text,
          S.bidderStatus(sold({amount: 60000, paddle: '101', subject_to: false})).text,
          S.roomStatus(sold({amount: 60000, paddle: '101', subject_to: true})).text,
          S.roomStatus(sold({amount: 60000, paddle: '101'})).text,
        ];""",
    )
    assert out == [
        "Provisionally sold to you for €600 — subject to the vendor's acceptance",
        "Provisionally sold for €600 — subject to the vendor's acceptance",
        "Sold for €600",
        "Sold subject to",
        "Sold",
    ]
