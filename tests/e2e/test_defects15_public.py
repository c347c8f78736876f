"""Issue 15's defects on the public pages, each as it was seen (these failed on the old main):

4. the room's currency board covered "Next bid" at 1280×720 and 1366×768, and its values wrapped
   under their labels at 1920×1080; the board had no freshness rule.
6. a refusal notice ("The ask is now €2,200") stayed under "Sold for €2,000".
8. the room showed "PASSED €600", telling the room where bidding stopped below the reserve.
9. during an outage the Bid button stayed enabled under "Reconnecting…", and "could not be sent"
   stayed after the connection came back.

One fake stage and one Chromium for the module; each test starts a fresh sale on it.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.backend import house, rates
from tests.e2e.pages_harness import (
    FakeStage,
    RealStage,
    browser,
    event,
    high,
    lot,
    new_page,
    require_gateway,
    screenshot,
    snapshot,
)

__all__ = ["browser"]  # the module's Chromium (a fixture)

T = 5000  # ms: every wait is bounded
BIG = 125000000  # €1,250,000: the widest price a room shows in practice


@pytest.fixture(scope="module")
def module_stage() -> Iterator[FakeStage]:
    with FakeStage() as fake:
        yield fake


@pytest.fixture
def stage(module_stage: FakeStage) -> FakeStage:
    """The module's stage with a fresh sale: no events to replay, the house's defaults."""
    module_stage.events.clear()
    module_stage.down = False
    module_stage.bid_answer = lambda body: (200, {"ok": True})
    module_stage.house = {**module_stage.house, "room_shows_passed_amount": False}
    return module_stage


def wait_text(page: Any, sel: str, expected: str) -> None:
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent ?? '').includes(t)",
        arg=[sel, expected],
        timeout=T,
    )


def box(page: Any, sel: str) -> dict[str, float]:
    b = page.locator(sel).bounding_box()
    assert b is not None, f"{sel} is not shown"
    return dict(b)


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


# ------------------------------------------------------------------ 4: the currency board


def open_room(browser: Any, stage: FakeStage, size: dict[str, int], **kw: Any) -> Any:
    title = "Large pair of Meissen porcelain vases with floral reserves and gilt rims, c. 1880"
    stage.snapshot = snapshot(
        5,
        lot(high=high(BIG, "101", "floor"), ask=BIG + 5000000, changed_seq=5, title=title, **kw),
    )
    page = new_page(browser, size)
    page.goto(f"{stage.url}/room")
    wait_text(page, "#ask", "Next bid")
    page.wait_for_function("() => !document.querySelector('.board').hidden", timeout=T)
    return page


def test_board_fits_each_room_screen(browser: Any, stage: FakeStage) -> None:
    """At 1280×720 and 1366×768 the board never covers "Next bid" (nor the price), which stays
    wholly on screen; at 1920×1080 each value stays on its label's line. One page, resized."""
    page = open_room(browser, stage, {"width": 1280, "height": 720}, notices=["With its box"])
    for size in ({"width": 1280, "height": 720}, {"width": 1366, "height": 768}):
        page.set_viewport_size(size)
        screenshot(page, f"defect4-room-{size['width']}x{size['height']}")
        ask, board, info = box(page, "#ask"), box(page, ".board"), box(page, ".room-info")
        assert not overlaps(ask, board), size
        assert not overlaps(box(page, "#current"), board), size
        assert ask["y"] >= 0
        assert ask["y"] + ask["height"] <= size["height"], size
        assert ask["y"] + ask["height"] <= info["y"] + info["height"] + 0.5, size  # not clipped
    page.set_viewport_size({"width": 1920, "height": 1080})
    rows = page.evaluate(
        """() => [...document.querySelectorAll('#rates li')].map((li) => {
          const cur = li.querySelector('.rate-cur').getBoundingClientRect();
          const val = li.querySelector('.rate-val').getBoundingClientRect();
          const inside = val.right <= li.getBoundingClientRect().right + 0.5;
          return [li.textContent, Math.abs(cur.bottom - val.bottom), inside];
        })"""
    )
    assert len(rows) == 5
    for text, drop, inside in rows:
        assert drop < 4, f"{text!r} wraps under its label"
        assert inside, f"{text!r} overflows its cell"
    page.context.close()


def test_board_shows_the_rates_date_and_hides_when_the_stage_drops_stale_rates(
    browser: Any, stage: FakeStage
) -> None:
    page = open_room(browser, stage, {"width": 1280, "height": 800})
    assert "rates of November 20, 2026" in (page.text_content("#rates-date") or "")
    page.context.close()
    # The stage leaves out rates older than the house allows (rates.public_view): no board.
    fresh_rates = stage.house
    stage.house = {**stage.house, "rates": None}
    try:
        page = new_page(browser)
        page.goto(f"{stage.url}/room")
        wait_text(page, "#ask", "Next bid")
        assert page.locator(".board").is_hidden()
        page.context.close()
    finally:
        stage.house = fresh_rates


# ------------------------------------------------------------------ 8: "Passed" only


def passed_room(browser: Any, stage: FakeStage) -> Any:
    stage.snapshot = snapshot(7, lot(status="passed", high=high(60000, "101", "floor"), ask=65000))
    page = new_page(browser)
    page.goto(f"{stage.url}/room")
    wait_text(page, "#headline", "Passed")
    return page


def test_room_shows_passed_without_the_amount(browser: Any, stage: FakeStage) -> None:
    page = passed_room(browser, stage)
    assert page.text_content("#current") == ""
    assert "600" not in (page.text_content(".room") or "")
    assert page.locator(".board").is_hidden()
    page.context.close()


def test_room_shows_the_passed_amount_when_the_house_chooses(
    browser: Any, stage: FakeStage
) -> None:
    stage.house = {**stage.house, "room_shows_passed_amount": True}
    page = passed_room(browser, stage)
    assert page.text_content("#current") == "€600"
    page.context.close()


# ------------------------------------------------------------------ bidder: 6 and 9


def open_bidder(browser: Any, stage: FakeStage, ask: int = 220000) -> Any:
    stage.snapshot = snapshot(3, lot(high=high(ask - 20000, "7001"), ask=ask, changed_seq=3))
    page = new_page(browser)
    page.goto(f"{stage.url}/bid#token=bidder-101")
    page.wait_for_selector("#bid:not([disabled])", timeout=T)
    return page


def refused(seq: int, ask: int, **kw: Any) -> dict[str, Any]:
    attempt = {"paddle": "101", "amount": ask - 10000, "channel": "online"}
    state = lot(high=high(ask - 20000, "7001"), ask=ask, changed_seq=seq, **kw)
    return event(seq, "bid_refused", state, {"reason": "below_ask", "attempt": attempt})


def test_a_refusal_notice_clears_when_the_lot_closes(browser: Any, stage: FakeStage) -> None:
    page = open_bidder(browser, stage)
    stage.publish(refused(4, 220000))
    wait_text(page, "#notice", "The ask is now €2,200")
    hammer = {"amount": 200000, "paddle": "7001", "channel": "online"}
    stage.publish(
        event(5, "lot_sold", lot(status="sold", high=high(200000, "7001"), hammer=hammer))
    )
    wait_text(page, "#status", "Sold for €2,000")
    assert page.text_content("#notice") == ""
    assert page.locator("#notice").is_hidden()
    page.context.close()


def test_a_refusal_notice_clears_when_the_ask_moves(browser: Any, stage: FakeStage) -> None:
    page = open_bidder(browser, stage)
    stage.publish(refused(4, 220000))
    wait_text(page, "#notice", "The ask is now €2,200")
    bid = {"bid": {"paddle": "7002", "amount": 220000, "channel": "floor"}}
    stage.publish(
        event(5, "bid_accepted", lot(high=high(220000, "7002", "floor"), ask=240000), bid)
    )
    wait_text(page, "#ask", "€2,400")
    assert page.text_content("#notice") == ""
    page.context.close()


def test_bid_is_off_while_reconnecting_and_the_send_failure_clears_after(
    browser: Any, stage: FakeStage
) -> None:
    page = open_bidder(browser, stage)
    # The bid cannot reach the stage: "could not be sent" (the stream is still up).
    page.route("**/bids", lambda route: route.abort())
    page.click("#bid")
    wait_text(page, "#notice", "could not be sent")
    page.unroute("**/bids")
    # Then the stream drops: "Reconnecting…" and no Bid button.
    stage.down = True
    stage.drop()
    page.wait_for_function("() => document.body.dataset.connection === 'reconnecting'", timeout=T)
    assert page.locator("#banner").text_content() == "Reconnecting…"
    assert page.locator("#bid").is_disabled()
    assert "Reconnecting" in (page.text_content("#bid-reason") or "")
    screenshot(page, "defect9-bidder-reconnecting")
    # Back: the button works again and the failure notice is gone.
    stage.down = False
    page.wait_for_function("() => document.body.dataset.connection === 'live'", timeout=15000)
    page.wait_for_selector("#bid:not([disabled])", timeout=T)
    assert page.text_content("#notice") == ""
    page.context.close()


# ------------------------------------------------------------------ live regions


def test_live_regions_speak_once_per_real_change(browser: Any, stage: FakeStage) -> None:
    """A screen reader hears the price, the ask and "you are winning/outbid" once per change:
    the polite live regions' text changes once, not on every event or tick."""
    page = open_bidder(browser, stage, ask=140000)
    page.evaluate(
        """() => {
          window.__spoken = [];
          for (const el of document.querySelectorAll('[aria-live]')) {
            new MutationObserver(() => window.__spoken.push([el.id, el.textContent.trim()]))
              .observe(el, { childList: true, characterData: true, subtree: true });
          }
        }"""
    )
    mine = {"bid": {"paddle": "101", "amount": 140000, "channel": "online"}}
    winning = lot(high=high(140000, "101"), ask=150000, changed_seq=4)
    stage.publish(event(4, "bid_accepted", winning, mine))
    wait_text(page, "#status", "You are winning")
    # The same event again (a replay) and an event that changes nothing a bidder reads.
    stage.publish(event(4, "bid_accepted", winning, mine))
    stage.publish(event(5, "increment_set", winning))
    outbid = lot(high=high(150000, "7001"), ask=160000, changed_seq=6)
    stage.publish(event(6, "bid_accepted", outbid, {"bid": {"paddle": "7001", "amount": 150000}}))
    wait_text(page, "#status", "Outbid")
    spoken = page.evaluate("window.__spoken")
    status = [text for el, text in spoken if el == "status"]
    prices = [text for el, text in spoken if el == "price-live"]
    assert status == ["You are winning", "Outbid"]
    assert len(prices) == 2  # €1,400 → €1,500, then €1,500 → €1,600
    page.context.close()


# ------------------------------------------------------------------ the real stage's /house.json


def test_the_stage_serves_its_imported_rates_and_the_catalogues(tmp_path: Path) -> None:
    """`auctionmen serve` reads the rates imported into its data dir (hub/backend/rates.py) and
    the house's room settings, and serves the pages' catalogues."""
    require_gateway()
    data = tmp_path / "data"
    today = dt.date.today()  # the stage's clock is the real one here
    rates.save(data, rates.Rates(date=today, rates={"USD": 1.05, "CHF": 0.93}))
    house.save(data, {**house.DEMO_HOUSE.to_json(), "room_languages": ["fr", "en"]})
    real = RealStage(data)
    real.start()
    try:
        with urllib.request.urlopen(f"{real.url}/house.json", timeout=10) as r:
            view = json.load(r)
        assert view["rates"] == {
            "date": today.isoformat(),
            "base": "EUR",
            "rates": {"USD": 1.05, "CHF": 0.93},
        }
        assert view["room_languages"] == ["fr", "en"]
        assert view["room_shows_passed_amount"] is False
        with urllib.request.urlopen(f"{real.url}/i18n/fr.json", timeout=10) as r:
            assert json.load(r)["Passed"] == "Ravalé"
    finally:
        real.stop()
