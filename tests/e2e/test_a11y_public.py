"""The public pages (bidder, room, register, index) for everyone: axe-core (injected from the
axe-playwright-python package, no CDN) finds no serious or critical violation at 360×740 and
1280×800 in the states idle, open, fair warning, sold and reconnecting; and a bidder can follow
and bid with the keyboard alone.

One fake stage and one Chromium for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.axe_audit import audit
from tests.e2e.pages_harness import (
    PHONE,
    FakeStage,
    browser,
    event,
    high,
    lot,
    new_page,
    snapshot,
)

__all__ = ["browser"]  # the module's Chromium (a fixture)

T = 5000


@pytest.fixture(scope="module")
def stage() -> Iterator[FakeStage]:
    with FakeStage() as fake:
        yield fake


def status_is(page: Any, status: str) -> None:
    page.wait_for_function("(s) => document.body.dataset.lotStatus === s", arg=status, timeout=T)


def run_states(stage: FakeStage, page: Any, found: dict[str, list[str]], name: str) -> None:
    """Idle (no lot) was audited by the caller; then open, fair warning, sold, reconnecting."""
    stage.publish(event(2, "lot_opened", lot(high=None, ask=50000, changed_seq=2)))
    status_is(page, "open")
    audit(page, f"{name} open", found)
    fw = lot(status="fair_warning", high=high(50000, "7001"), ask=55000, changed_seq=3)
    stage.publish(event(3, "fair_warning", fw))
    status_is(page, "fair_warning")
    audit(page, f"{name} fair warning", found)
    hammer = {"amount": 50000, "paddle": "7001", "channel": "online"}
    sold = lot(status="sold", high=high(50000, "7001"), hammer=hammer, changed_seq=4)
    stage.publish(event(4, "lot_sold", sold))
    status_is(page, "sold")
    audit(page, f"{name} sold", found)
    stage.down = True
    stage.drop()
    page.wait_for_function("() => document.body.dataset.connection === 'reconnecting'", timeout=T)
    audit(page, f"{name} reconnecting", found)
    stage.down = False


def fresh(stage: FakeStage) -> None:
    stage.events.clear()
    stage.down = False
    stage.snapshot = snapshot(1, None)


def test_bidder_page_has_no_serious_violation_in_any_state(browser: Any, stage: FakeStage) -> None:
    fresh(stage)
    found: dict[str, list[str]] = {}
    page = new_page(browser)
    page.goto(f"{stage.url}/bid#token=bidder-101")
    status_is(page, "none")
    page.wait_for_selector("#upcoming li", timeout=T)
    audit(page, "bidder idle", found)
    run_states(stage, page, found, "bidder")
    page.context.close()
    assert found == {}


def test_room_page_has_no_serious_violation_in_any_state(browser: Any, stage: FakeStage) -> None:
    fresh(stage)
    found: dict[str, list[str]] = {}
    page = new_page(browser)
    page.goto(f"{stage.url}/room")
    status_is(page, "none")
    audit(page, "room idle", found)
    run_states(stage, page, found, "room")
    page.context.close()
    assert found == {}


def test_register_and_index_have_no_serious_violation(browser: Any, stage: FakeStage) -> None:
    found: dict[str, list[str]] = {}
    page = new_page(browser)
    page.goto(f"{stage.url}/static/register.html")
    page.wait_for_function("() => document.querySelector('#lang').options.length > 0")
    audit(page, "register form", found)
    page.click("#register-submit")
    page.wait_for_function("() => document.querySelector('#form-error').textContent !== ''")
    audit(page, "register errors", found)
    page.goto(f"{stage.url}/")
    page.wait_for_function("() => document.querySelector('#lang').options.length > 0")
    audit(page, "index", found)
    page.context.close()
    assert found == {}


def test_a_bidder_bids_by_keyboard_alone(browser: Any, stage: FakeStage) -> None:
    """Skip link to the Bid button, Enter bids; the button has the amount in its name."""
    fresh(stage)
    stage.snapshot = snapshot(2, lot(high=high(50000, "7001"), ask=55000, changed_seq=2))
    page = new_page(browser, PHONE)
    page.goto(f"{stage.url}/bid#token=bidder-101")
    page.wait_for_selector("#bid:not([disabled])", timeout=T)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the bid button"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "bid"
    assert page.evaluate("document.activeElement.textContent") == "Bid €550"
    before = len(stage.calls("/bids"))
    page.keyboard.press("Enter")
    for _ in range(50):  # bounded: the bid reaches the stage
        if len(stage.calls("/bids")) > before:
            break
        page.wait_for_timeout(100)
    assert stage.calls("/bids")[-1]["body"]["amount"] == 55000
    page.context.close()
