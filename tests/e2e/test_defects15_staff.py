"""Issue 15's defects on the staff pages, in Debian's Chromium against the fake stage:

- 7: a hammer below the reserve passes the lot: the clerk page said "Hammer: done" in green;
  it now says "passed" in a neutral tone, and the Hammer button warns before it is pressed;
- 13: the PIN lockout said "wait a minute" while a try came back every 5 s: the page says the
  stage's real wait (its Retry-After) and counts it down; the stage sends that header;
- 10: amounts carry the currency and the language's separators; long names wrap by words.

One fake stage and one browser for the module; each test sets the stage's state it needs.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

sys.path.insert(0, str(Path(__file__).parent))
from pages_harness import (
    DESKTOP,
    PHONE,
    FakeStage,
    browser,
    event,
    high,
    new_page,
    snapshot,
    staff_lot,
)

from hub.config import StageConfig
from hub.gateway.ratelimit import RateLimiter
from hub.stage import Stage

__all__ = ["browser"]
pytestmark = pytest.mark.e2e
T = 5000  # ms: every wait is bounded


class LockoutStage(FakeStage):
    """The fake stage, whose pairing can answer 429 with a Retry-After (or none)."""

    def __init__(self) -> None:
        super().__init__()
        self.retry_after: str | None = None  # None: pairing answers as the fake does

    async def _pair(self, request: web.Request) -> web.Response:
        if self.retry_after is None:
            return await super()._pair(request)
        await self._record(request)
        headers = {"Retry-After": self.retry_after} if self.retry_after else {}
        body = {"reason": "rate_limited", "detail": "too many attempts"}
        return web.json_response(body, status=429, headers=headers)


@pytest.fixture(scope="module")
def fake() -> Iterator[LockoutStage]:
    stage = LockoutStage()
    stage.start()
    try:
        yield stage
    finally:
        stage.stop()


def reset(fake: LockoutStage, current: dict[str, Any] | None, **sale: Any) -> None:
    fake.snapshot = snapshot(5, current, **sale)
    fake.events.clear()
    fake.requests.clear()
    fake.retry_after = None
    fake.command_answer = lambda body: (200, {"ok": True, "events": []})


def open_clerk(browser: Any, fake: FakeStage, viewport: dict[str, int] = DESKTOP) -> Any:
    page = new_page(browser, viewport)
    page.goto(f"{fake.url}/clerk#token=clerk")
    page.wait_for_selector("#actions [data-action=hammer]", timeout=T)
    page.wait_for_function("() => document.querySelector('#bids').textContent !== '0'", timeout=T)
    return page


def result(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => { const r = document.querySelector('#result');
          return {text: r.textContent, cls: r.className, color: getComputedStyle(r).color}; }"""
    )


# ------------------------------------------------------------------ 7: passed is not sold


def test_hammer_below_the_reserve_warns_then_says_passed_not_sold(
    browser: Any, fake: LockoutStage
) -> None:
    below = staff_lot(high=high(60000, "7001"), ask=65000, bids=2, reserve=70000, changed_seq=5)
    reset(fake, below)
    passed = dict(below, status="passed", changed_seq=6)
    fake.command_answer = lambda body: (
        200,
        {"ok": True, "events": [event(6, "lot_passed", passed)]},
    )
    page = open_clerk(browser, fake)
    hammer = page.locator("#actions [data-action=hammer]")
    assert "Reserve not met: the hammer passes the lot" in hammer.inner_text()
    reserve = page.evaluate("() => document.querySelector('#reserve').className")
    assert "tone-warn" in reserve  # "(not met)" is not drawn like "(met)"

    page.keyboard.press("h")
    page.wait_for_function("() => document.querySelector('#result').textContent !== ''", timeout=T)
    said = result(page)
    assert said["text"] == "Lot 1 passed: not sold"
    assert "tone-ok" not in said["cls"]
    assert "tone-closed" in said["cls"]
    assert said["color"] != "rgb(10, 107, 45)"  # not the green of a sale
    assert fake.calls("/commands")[-1]["body"] == {"op": "hammer", "lot": "1", "source": "clerk"}
    page.wait_for_function("() => document.querySelector('#lot-status').textContent === 'passed'")
    assert page.locator(".hammer-warning").count() == 0  # nothing live to warn about
    assert page.errors == []
    page.context.close()


def test_hammer_over_the_reserve_sells_in_green_without_a_warning(
    browser: Any, fake: LockoutStage
) -> None:
    over = staff_lot(
        high=high(75000, "7001"), ask=80000, bids=3, reserve=70000, reserve_met=True, changed_seq=5
    )
    reset(fake, over)
    sold = dict(over, status="sold", hammer={"amount": 75000, "paddle": "7001"}, changed_seq=6)
    fake.command_answer = lambda body: (200, {"ok": True, "events": [event(6, "lot_sold", sold)]})
    page = open_clerk(browser, fake)
    assert page.locator(".hammer-warning").count() == 0
    assert "tone-ok" in page.evaluate("() => document.querySelector('#reserve').className")
    page.keyboard.press("h")
    page.wait_for_function("() => document.querySelector('#result').textContent !== ''", timeout=T)
    said = result(page)
    assert said["text"] == "Lot 1 sold for €750 to paddle 7001"
    assert "tone-ok" in said["cls"]
    page.context.close()


def test_hammer_with_no_bid_or_subject_to_says_what_it_will_do(
    browser: Any, fake: LockoutStage
) -> None:
    reset(fake, staff_lot(bids=0, reserve=70000, changed_seq=5))
    page = open_clerk_no_bids(browser, fake)
    assert "No bid: the hammer passes the lot" in page.inner_text("[data-action=hammer]")
    page.context.close()

    below = staff_lot(high=high(60000, "7001"), ask=65000, bids=2, reserve=70000, changed_seq=5)
    reset(fake, below, rules={"subject_to": True})
    page = open_clerk(browser, fake)
    text = page.inner_text("[data-action=hammer]")
    assert "Reserve not met: the hammer sells subject to the vendor" in text
    # Without events in the answer, the page says what the hammer was bound to do.
    page.keyboard.press("h")
    page.wait_for_function("() => document.querySelector('#result').textContent !== ''", timeout=T)
    said = result(page)
    assert said["text"] == "Lot 1 sold subject to the vendor's acceptance at €600"
    assert "tone-warn" in said["cls"]
    page.context.close()


def open_clerk_no_bids(browser: Any, fake: FakeStage) -> Any:
    page = new_page(browser)
    page.goto(f"{fake.url}/clerk#token=clerk")
    page.wait_for_selector("#actions [data-action=hammer] .hammer-warning", timeout=T)
    return page


# ------------------------------------------------------------------ 13: the real wait


def open_pairing(browser: Any, fake: LockoutStage) -> Any:
    page = new_page(browser)
    page.clock.install()  # the countdown runs on the test's clock, not the wall's
    page.goto(f"{fake.url}/clerk")
    page.wait_for_selector("#pair:not([hidden])", timeout=T)
    return page


def test_lockout_says_the_stages_real_wait_and_counts_it_down(
    browser: Any, fake: LockoutStage
) -> None:
    reset(fake, None)
    fake.retry_after = "7"
    page = open_pairing(browser, fake)
    page.fill("#pin", "000000")
    page.press("#pin", "Enter")
    page.wait_for_function("() => /7 s/.test(document.querySelector('#pair-error').textContent)")
    shown = page.inner_text("#pair-error")
    assert shown == "Too many attempts — try again in 7 s"
    assert "minute" not in shown
    assert page.is_disabled("#pair-form button[type=submit]")
    page.clock.run_for(6000)
    assert page.inner_text("#pair-error") == "Too many attempts — try again in 1 s"
    page.clock.run_for(1000)
    assert page.inner_text("#pair-error") == "You can try again now"
    assert page.is_enabled("#pair-form button[type=submit]")

    # A 429 without the header claims no number it does not know.
    fake.retry_after = ""
    page.press("#pin", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#pair-error').textContent.includes('wait a moment')"
    )
    assert page.is_enabled("#pair-form button[type=submit]")
    # Hostile or absurd headers: never a negative or a word.
    for header, expected in (("-5", "wait a moment"), ("soon", "wait a moment"), ("12", "12 s")):
        fake.retry_after = header
        page.evaluate("() => { document.querySelector('#pair-error').textContent = ''; }")
        page.press("#pin", "Enter")
        page.wait_for_function(
            "(t) => document.querySelector('#pair-error').textContent.includes(t)", arg=expected
        )
        page.clock.run_for(13000)
    assert page.errors == []
    page.context.close()


def test_rate_limiter_knows_its_wait() -> None:
    bucket = RateLimiter(0.2, 5)  # the pairing bucket: a try every 5 s after a burst of 5
    for _ in range(5):
        assert bucket.allow("a", 100.0)
    assert bucket.wait("a", 100.0) == pytest.approx(5.0)
    assert not bucket.allow("a", 101.0)
    assert bucket.wait("a", 101.0) == pytest.approx(4.0)
    assert bucket.wait("a", 105.0) == 0.0
    assert bucket.wait("someone else", 101.0) == 0.0  # a key it has never seen


def test_the_stage_sends_the_real_wait_with_its_refusal(tmp_path: Path) -> None:
    """The real gateway (an in-process stage): the sixth wrong PIN in a burst is refused with
    a Retry-After that is the bucket's refill time (at most 5 s), and the detail says the same
    number, not "a minute"."""

    async def burst() -> list[tuple[int, str | None, dict[str, Any]]]:
        config = StageConfig(data_dir=tmp_path / "stage", host="127.0.0.1", port=0, demo=True)
        stage = Stage(config)
        await stage.start()
        try:
            async with aiohttp.ClientSession(base_url=stage.url) as http:
                out = []
                for _ in range(6):
                    async with http.post("/api/pair", json={"pin": "not-it"}) as r:
                        out.append((r.status, r.headers.get("Retry-After"), await r.json()))
                return out
        finally:
            await stage.stop()

    # Its own thread and loop: this module's browser runs Playwright's sync API in this one.
    answers: list[Any] = []
    worker = threading.Thread(target=lambda: answers.extend(asyncio.run(burst())))
    worker.start()
    worker.join(60)
    assert [a[0] for a in answers[:5]] == [403] * 5
    status, retry_after, body = answers[5]
    assert status == 429
    assert retry_after is not None
    assert 1 <= int(retry_after) <= 5
    assert f"try again in {retry_after} s" in body["detail"]


# ------------------------------------------------------------------ 10: amounts and names


def test_amounts_have_currency_and_the_languages_separators(
    browser: Any, fake: LockoutStage
) -> None:
    big = staff_lot(
        high=high(1_250_000, "7001"),
        ask=1_300_000,
        increment=50_000,
        bids=9,
        reserve=2_000_000,
        changed_seq=5,
    )
    reset(fake, big)
    page = open_clerk(browser, fake)
    figures = page.evaluate(
        "() => ['#high', '#ask', '#increment', '#reserve']"
        ".map((s) => document.querySelector(s).textContent)"
    )
    assert figures == ["€12,500", "€13,000", "€500", "€20,000 (not met)"]
    page.context.close()

    page = new_page(browser)
    page.goto(f"{fake.url}/clerk?lang=de#token=clerk")
    page.wait_for_function("() => document.querySelector('#bids').textContent === '9'", timeout=T)
    assert page.inner_text("#high") == "12.500\u00a0€"
    assert page.inner_text("#ask") == "13.000\u00a0€"
    page.context.close()


# Words of the table's text that a line break cuts in two (a hyphen may end a line).
BROKEN_WORDS = """(sel) => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector(sel), NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    for (const m of text.matchAll(/[^\\s-]+-?/g)) {
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      if (range.getClientRects().length > 1) out.push(m[0]);
    }
  }
  return out;
}"""


def test_names_and_titles_wrap_by_words_on_the_phone_card(browser: Any, fake: LockoutStage) -> None:
    title = "Große Kommode mit Intarsienarbeiten, Süddeutschland um 1780, Nussbaum furniert"
    reset(fake, staff_lot(changed_seq=5, title=title))
    fake.snapshot["phones"] = [
        {"id": "ph1", "paddle": "201", "from_lot": "1", "to_lot": "12", "operator": "Anna"},
        {"id": "ph2", "paddle": "20234", "from_lot": "3", "to_lot": "3", "operator": "Bernadette"},
    ]
    fake.snapshot["bidders"] = {
        "201": {"paddle": "201", "name": "Maximiliane von Hohenzollern-Sigmaringen"},
        "20234": {"paddle": "20234", "name": "Jean-Baptiste Duchâteau-Villeneuve"},
    }
    page = new_page(browser, PHONE)
    page.goto(f"{fake.url}/phone#token=clerk")
    page.wait_for_selector("#bookings tr", timeout=T)
    assert page.evaluate(BROKEN_WORDS, "#bookings") == []
    assert not page.evaluate("() => document.documentElement.scrollWidth > innerWidth")
    table = page.evaluate(
        "() => document.querySelector('.table-wrap').scrollWidth <= "
        "document.querySelector('.table-wrap').clientWidth"
    )
    assert table  # every column on screen, none scrolled away
    # The sale's title keeps a line of its own in the header at 360 px.
    assert page.evaluate("() => document.querySelector('#sale-title').clientWidth") > 250
    page.context.close()
