"""The three pages in Debian's Chromium against a fake stage (same paths and CSP as the gateway).

The fake lets a test push events one by one, drop the stream, refuse reconnects and answer
bids and commands as it likes, so the pages' behaviour is checked independently of the server.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

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
    high,
    lot,
    new_page,
    screenshot,
    snapshot,
    staff_lot,
)

__all__ = ["browser", "fake"]
pytestmark = pytest.mark.e2e
MINE = f"{SALE}/bidders/7001"
T = 5000  # ms: every wait is bounded


def text(page: Any, sel: str) -> str:
    return page.locator(sel).inner_text()


def wait_text(page: Any, sel: str, expected: str) -> None:
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent ?? '').includes(t)",
        arg=[sel, expected],
        timeout=T,
    )


def open_bidder(
    browser: Any, fake: FakeStage, viewport: dict[str, int] = DESKTOP, token: str = "bidder-7001"
) -> Any:
    page = new_page(browser, viewport)
    page.goto(f"{fake.url}/bid#token={token}")
    return page


def test_bidder_token_leaves_the_url_and_bids(browser: Any, fake: FakeStage) -> None:
    fake.snapshot = snapshot(2, lot(changed_seq=2))
    page = open_bidder(browser, fake)
    wait_text(page, "#bid", "Bid €500")
    assert "token" not in page.url
    assert page.evaluate("sessionStorage.getItem('auctionmen.bidder.token')") == "bidder-7001"
    assert fake.calls("/api/session")[0]["auth"] == "Bearer bidder-7001"
    streams = fake.calls("/.well-known/mercure")
    assert streams
    assert all("token" not in r["path"] + str(r["query"]) for r in fake.requests)
    assert text(page, "#status") == "Bidding is open — no bids yet"
    assert not page.locator("#bid").is_disabled()

    # My bid is accepted, then someone else's: the words follow the events.
    fake.publish(
        event(
            3,
            "bid_accepted",
            lot(high=high(50000, "7001"), ask=55000, changed_seq=3),
            {"bid": {"paddle": "7001", "amount": 50000}},
        ),
        [ROOM, MINE],
    )
    wait_text(page, "#status", "You are winning")
    assert page.locator("#bid").is_disabled()
    assert text(page, "#bid-reason") == "You are the highest bidder"
    other = event(
        4,
        "bid_accepted",
        lot(high=high(55000, "101", "floor"), ask=60000, changed_seq=4),
        {"bid": {"paddle": "101"}},
    )
    fake.publish(other, [ROOM])
    wait_text(page, "#status", "Outbid")
    wait_text(page, "#bid", "Bid €600")
    assert text(page, "#current") == "€550"

    # The bid races another: 409 outbid, in words, with the new ask.
    fake.bid_answer = lambda body: (
        409,
        {
            "ok": False,
            "reason": "outbid",
            "detail": "the price moved on",
            "seq": 6,
            "state": lot(high=high(130000, "102", "floor"), ask=140000, changed_seq=5),
        },
    )
    page.locator("#bid").focus()
    page.keyboard.press("Enter")  # keyboard use: the button is a real button
    wait_text(page, "#notice", "Outbid — another bidder was first at €1,300")
    wait_text(page, "#bid", "Bid €1,400")
    sent = fake.calls("/bids")[-1]
    assert sent["auth"] == "Bearer bidder-7001"
    assert sent["body"]["lot"] == "1"
    assert sent["body"]["amount"] == 60000
    assert sent["body"]["seen_seq"] == 4
    assert re.fullmatch(r"[0-9a-f-]{36}", sent["body"]["key"])

    # The same event again changes nothing; the hammer says who won.
    fake.publish(other, [ROOM])
    fake.publish(
        event(
            7,
            "lot_sold",
            lot(
                status="sold",
                high=high(140000, "7001"),
                hammer={"amount": 140000, "paddle": "7001"},
            ),
            {"hammer": {"amount": 140000, "paddle": "7001"}},
        ),
        [ROOM, MINE],
    )
    wait_text(page, "#status", "Sold to you for €1,400")
    assert page.locator("#bid").is_disabled()
    assert text(page, "#bid-reason") == "This lot is closed"
    assert page.errors == []


def test_bidder_reconnects_and_recovers_missed_events(browser: Any, fake: FakeStage) -> None:
    fake.snapshot = snapshot(2, lot(changed_seq=2))
    page = open_bidder(browser, fake)
    wait_text(page, "#bid", "Bid €500")
    fake.publish(
        event(3, "bid_accepted", lot(high=high(50000, "101", "floor"), ask=55000, changed_seq=3))
    )
    wait_text(page, "#bid", "Bid €550")

    # The stream drops; the browser reconnects by itself with Last-Event-ID.
    fake.drop()
    fake.publish(
        event(4, "bid_accepted", lot(high=high(55000, "102", "floor"), ask=60000, changed_seq=4))
    )
    wait_text(page, "#bid", "Bid €600")
    assert fake.calls("/.well-known/mercure")[-1]["last_event_id"] == "demo:1:3:p"

    # The hub is down and refuses streams: the banner shows, then the page comes back on its own.
    fake.down = True
    fake.drop()
    page.wait_for_selector("#banner:not([hidden])", timeout=T)
    assert text(page, "#banner") == "Reconnecting…"
    for seq, amount in ((5, 60000), (6, 65000)):
        fake.publish(
            event(
                seq,
                "bid_accepted",
                lot(high=high(amount, "101", "floor"), ask=amount + 5000, changed_seq=seq),
            )
        )
    warned = lot(status="fair_warning", high=high(65000, "101", "floor"), ask=70000, changed_seq=7)
    fake.publish(event(7, "fair_warning", warned))
    page.wait_for_timeout(300)
    assert "Reconnecting" in text(page, "#banner")
    fake.down = False
    wait_text(page, "#status", "Fair warning")
    page.wait_for_selector("#banner", state="hidden", timeout=T)
    assert text(page, "#current") == "€650"
    last = [r for r in fake.calls("/.well-known/mercure") if r["last_event_id"]]
    assert last[-1]["last_event_id"] == "demo:1:4:p"
    assert page.errors == []


def test_bidder_page_resends_an_unconfirmed_bid_with_the_same_key(
    browser: Any, fake: FakeStage
) -> None:
    """Through a relay a bid can go to the room and its answer be lost ("unconfirmed"): the
    page says it is checking, sends the same bid again with the same key and shows the room's
    real answer; it never says "not placed" for a bid that may have been placed."""
    fake.snapshot = snapshot(2, lot(changed_seq=2))
    answers = iter(
        [
            (503, {"reason": "unconfirmed", "status": 503}),
            (
                409,
                {
                    "ok": False,
                    "reason": "already_high",
                    "seq": 3,
                    "state": lot(high=high(50000, "7001"), ask=55000, changed_seq=3),
                },
            ),
        ]
    )
    fake.bid_answer = lambda body: next(answers)
    page = open_bidder(browser, fake)
    wait_text(page, "#bid", "Bid €500")
    page.locator("#bid").click()
    wait_text(page, "#notice", "checking whether your bid of €500 was placed")
    wait_text(page, "#notice", "You are already the highest bidder")
    wait_text(page, "#current", "€500")
    sent = fake.calls("/bids")
    assert len(sent) == 2
    assert sent[0]["body"] == sent[1]["body"]  # the same key, amount and seen_seq
    assert "NOT placed" not in text(page, "body")
    assert page.errors == []


def test_bidder_without_a_valid_link_or_approval_cannot_bid(browser: Any, fake: FakeStage) -> None:
    fake.snapshot = snapshot(2, lot(changed_seq=2))
    page = open_bidder(browser, fake, token="forged")
    wait_text(page, "#gate", "expired or is not valid")
    wait_text(page, "#bid", "Bid €500")
    assert page.locator("#bid").is_disabled()
    assert page.evaluate("sessionStorage.getItem('auctionmen.bidder.token')") is None
    page.context.close()

    fake.session = lambda token: (
        200,
        {
            "role": "bidder",
            "paddle": "7003",
            "sale": "demo",
            "topics": {"room": ROOM},
            "bidder": {"status": "pending"},
        },
    )
    page = open_bidder(browser, fake, token="bidder-7003")
    wait_text(page, "#bid-reason", "Your registration is waiting for approval")
    assert page.locator("#bid").is_disabled()
    fake.publish(event(3, "bidder_approved", None, {"paddle": "7003"}), [ROOM])
    page.wait_for_function("() => !document.querySelector('#bid').disabled", timeout=T)
    fake.publish(event(4, "sale_paused", None, {"message": "Back in five minutes"}), [ROOM])
    wait_text(page, "#status", "Paused: Back in five minutes")
    assert page.locator("#bid").is_disabled()
    assert page.errors == []


def test_clerk_pairs_and_works_from_the_keyboard(browser: Any, fake: FakeStage) -> None:
    current = staff_lot(
        high=high(60000, "7001"),
        ask=65000,
        changed_seq=5,
        bids=2,
        title=HOSTILE,
        pending=[
            {
                "id": "1.p1",
                "amount": 65000,
                "paddle": "7002",
                "channel": "online",
                "at": time.time() - 4,
            }
        ],
        late=[],
        history=[
            {"id": "1.1", "amount": 55000, "paddle": "101", "channel": "floor", "void": None},
            {"id": "1.2", "amount": 60000, "paddle": "7001", "channel": "online", "void": None},
        ],
    )
    fake.snapshot = snapshot(5, current)
    fake.snapshot["bidders"] = [{"paddle": "7001", "name": HOSTILE, "status": "approved"}]
    page = new_page(browser)
    page.goto(f"{fake.url}/clerk")
    page.wait_for_selector("#pin", timeout=T)
    page.fill("#pin", "000000")
    page.keyboard.press("Enter")
    wait_text(page, "#pair-error", "not the one on the stage screen")
    page.fill("#pin", fake.pin)
    page.keyboard.press("Enter")
    wait_text(page, "#ask", "€650")
    assert fake.calls("/api/session")[-1]["auth"] == "Bearer clerk-paired"
    # The stream opens once the snapshot is in, resuming from the snapshot's seq.
    for _ in range(100):
        if fake.calls("/.well-known/mercure"):
            break
        page.wait_for_timeout(50)
    stream = fake.calls("/.well-known/mercure")[-1]["query"]
    assert stream["lastEventID"] == "demo:1:5:s"
    assert stream["topic"] == STAFF
    assert text(page, "#lot-title") == HOSTILE
    assert HOSTILE in text(page, "#high-who")
    assert page.evaluate("window.__pwned ?? null") is None
    assert "waited" in text(page, "#pending")

    # Paddle + Enter bids the ask; an amount overrides it.
    page.keyboard.type("101")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#paddle').value === ''", timeout=T)
    cmd = fake.calls("/commands")[-1]
    assert cmd["auth"] == "Bearer clerk-paired"
    assert {k: cmd["body"][k] for k in ("op", "lot", "paddle", "amount", "seen_seq")} == {
        "op": "floor_bid",
        "lot": "1",
        "paddle": "101",
        "amount": 65000,
        "seen_seq": 5,
    }
    page.keyboard.press("a")
    page.keyboard.type("1,234")
    page.focus("#paddle")
    page.keyboard.type("102")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#amount').value === ''", timeout=T)
    assert fake.calls("/commands")[-1]["body"]["amount"] == 123400

    def last_op() -> dict[str, Any]:
        page.wait_for_timeout(150)
        return fake.calls("/commands")[-1]["body"]

    page.keyboard.press("w")
    assert last_op()["op"] == "fair_warning"
    page.keyboard.press("y")
    assert last_op() == {"op": "accept_online", "lot": "1", "pending": "1.p1"}
    page.keyboard.press("x")
    assert last_op()["op"] == "reject_online"
    page.keyboard.press("r")
    page.wait_for_selector("#ask-dialog[open]", timeout=T)
    page.keyboard.type("wrong paddle")
    page.keyboard.press("Enter")
    assert last_op() == {"op": "retract", "lot": "1", "reason": "wrong paddle"}
    page.keyboard.press("i")
    page.wait_for_selector("#ask-dialog[open]", timeout=T)
    page.keyboard.press("Enter")
    assert last_op() == {"op": "reinstate", "lot": "1", "reason": "retracted in error"}
    page.keyboard.press("-")
    assert last_op() == {"op": "set_increment", "lot": "1", "mode": "half"}
    page.keyboard.press("+")
    assert last_op() == {"op": "set_increment", "lot": "1", "mode": "double"}
    page.keyboard.press("s")
    page.wait_for_selector("#ask-dialog[open]", timeout=T)
    page.keyboard.type("lots")
    page.keyboard.press("Enter")
    wait_text(page, "#result", "The amount is not a number")
    page.keyboard.press("s")
    page.wait_for_selector("#ask-dialog[open]", timeout=T)
    page.keyboard.type("720")
    page.keyboard.press("Enter")
    assert last_op() == {"op": "set_ask", "lot": "1", "amount": 72000}
    page.get_by_role("button", name="Increment ×2").click()
    assert last_op() == {"op": "set_increment", "lot": "1", "mode": "double"}
    page.keyboard.press("d")
    page.wait_for_selector("#ask-dialog[open]", timeout=T)
    page.get_by_role("button", name="Cancel").click()  # cancelled: nothing sent
    assert last_op()["op"] == "set_increment"
    page.keyboard.press("d")
    page.wait_for_selector("#ask-dialog[open]", timeout=T)
    page.keyboard.press("Enter")
    assert last_op() == {"op": "withdraw", "lot": "1", "reason": "withdrawn by the vendor"}
    page.keyboard.press("h")
    assert last_op()["op"] == "hammer"

    # A refusal comes back in words.
    fake.command_answer = lambda body: (
        409,
        {"ok": False, "reason": "lot_open", "detail": "lot 1 is still on the block"},
    )
    page.keyboard.press("n")
    wait_text(page, "#result", "Another lot is still on the block")
    assert fake.calls("/commands")[-1]["body"] == {"op": "open_lot", "lot": "2"}

    # Help overlay.
    page.keyboard.press("?")
    page.wait_for_selector("#help[open]", timeout=T)
    page.keyboard.press("Escape")
    page.wait_for_selector("#help:not([open])", state="attached", timeout=T)

    # The staff topic: refused attempts and late bids, with Reopen / Leave sold.
    fake.command_answer = lambda body: (200, {"ok": True, "events": []})
    fake.publish(
        event(
            6,
            "bid_refused",
            current,
            {
                "attempt": {"amount": 60000, "paddle": "7002", "channel": "online"},
                "reason": "outbid",
            },
        ),
        [STAFF],
        view="s",
    )
    wait_text(page, "#refused", "paddle 7002")
    sold = staff_lot(
        status="sold",
        high=high(60000, "7001"),
        hammer={"amount": 60000, "paddle": "7001"},
        late=[
            {
                "id": "1.l1",
                "amount": 65000,
                "paddle": "7002",
                "channel": "online",
                "after": 1.2,
                "at": 1,
            }
        ],
    )
    fake.publish(event(7, "late_bid", sold, {"late": sold["late"][0]}), [STAFF], view="s")
    wait_text(page, "#late", "1.2 s after the hammer")
    page.locator("#late").get_by_role("button", name="Leave sold").click()
    assert last_op() == {"op": "leave_sold", "lot": "1", "late": "1.l1"}
    page.locator("#late").get_by_role("button", name="Reopen").click()
    page.wait_for_selector("#ask-dialog[open]", timeout=T)
    page.keyboard.press("Enter")
    assert last_op() == {"op": "reopen", "lot": "1", "reason": "late bid", "late": "1.l1"}
    assert page.errors == []


def test_room_display(browser: Any, fake: FakeStage) -> None:
    fake.snapshot = snapshot(
        3,
        lot(
            high=high(130000, "7001"),
            ask=140000,
            changed_seq=3,
            title=HOSTILE,
            images=["missing.svg"],
        ),
    )
    page = new_page(browser)
    page.goto(f"{fake.url}/room")
    wait_text(page, "#current", "€1,300")
    assert text(page, "#bidder") == "Online"
    assert text(page, "#lot-title") == HOSTILE
    assert page.evaluate("window.__pwned ?? null") is None
    wait_text(page, "#rates", "USD")
    assert "≈ $1,404" in text(page, "#rates")
    assert "EUR" not in text(page, "#rates")
    assert "2026" in text(page, "#rates-date")
    page.wait_for_function(
        "() => document.querySelector('#lot-image').src.endsWith('placeholder.svg')", timeout=T
    )
    assert fake.calls("/.well-known/mercure")[-1]["query"]["topic"] == ROOM
    assert all(r["auth"] is None for r in fake.requests)

    fake.publish(
        event(4, "fair_warning", lot(status="fair_warning", high=high(130000, "7001"), ask=140000))
    )
    wait_text(page, "#headline", "Fair warning")
    assert page.evaluate("document.body.dataset.lotStatus") == "fair_warning"
    fake.publish(
        event(5, "bid_accepted", lot(status="open", high=high(140000, "101", "floor"), ask=150000))
    )
    wait_text(page, "#bidder", "Paddle 101")
    fake.publish(
        event(
            6,
            "lot_sold",
            lot(
                status="sold",
                high=high(140000, "101", "floor"),
                hammer={"amount": 140000, "paddle": "101", "channel": "floor"},
            ),
        )
    )
    wait_text(page, "#headline", "Sold")
    assert text(page, "#current") == "€1,400"
    assert page.errors == []


PAGES = {
    "bidder": "/bid#token=bidder-7001",
    "clerk": "/clerk#token=clerk",
    "room": "/room",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_screenshots(browser: Any, fake: FakeStage, name: str) -> None:
    """Each page at phone and desktop sizes, saved under artifacts/screenshots/."""
    current = staff_lot(
        "4",
        order=4,
        title="Art Deco diamond and platinum bracelet",
        description="Old European-cut diamonds, approx. 4.5 ct total, 18 cm.",
        images=["lot4.svg"],
        estimate={"low": 600000, "high": 900000},
        high=high(620000, "7001"),
        ask=650000,
        bids=3,
        changed_seq=9,
        pending=[
            {
                "id": "4.p1",
                "amount": 650000,
                "paddle": "7002",
                "channel": "online",
                "at": time.time() - 4,
            }
        ],
        history=[
            {"id": "4.1", "amount": 600000, "paddle": "101", "channel": "floor", "void": None},
            {"id": "4.2", "amount": 620000, "paddle": "7001", "channel": "online", "void": None},
        ],
    )
    fake.snapshot = snapshot(9, current)
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = new_page(browser, viewport)
        page.goto(fake.url + PAGES[name])
        wait_text(page, "#ask" if name != "room" else "#current", "€6,")
        page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=T)
        if name == "bidder":
            wait_text(page, "#status", "You are winning")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name} overflows at {viewport['width']} px"
        screenshot(page, f"{name}-{label}")
        assert page.errors == []
        page.context.close()
