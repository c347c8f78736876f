"""One keymap: the clerk page, as Chromium renders it, is built from the command registry.

Its buttons, `aria-keyshortcuts`, key hints and help dialog carry exactly `BINDINGS`, and
the registry's keys send the registry's commands (the desktop half is tests/app/test_keymap.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pages_harness import (
    PHONE,
    STAFF,
    FakeStage,
    browser,
    event,
    fake,
    high,
    new_page,
    snapshot,
    staff_lot,
)

from hub.auction.commands import BINDINGS, BY_ACTION

__all__ = ["browser", "fake"]
pytestmark = pytest.mark.e2e
T = 5000  # ms: every wait is bounded

PENDING = {"id": "1.p1", "amount": 65000, "paddle": "7002", "channel": "online", "at": time.time()}


def open_clerk(browser: Any, fake: FakeStage, viewport: dict[str, int] | None = None) -> Any:
    fake.snapshot = snapshot(
        5, staff_lot(high=high(60000, "7001"), ask=65000, changed_seq=5, bids=2, pending=[PENDING])
    )
    page = new_page(browser, viewport) if viewport else new_page(browser)
    page.goto(f"{fake.url}/clerk#token=clerk")
    page.wait_for_selector("#actions [data-action]", timeout=T)
    page.wait_for_function("() => document.querySelector('#ask').textContent === '€650'", timeout=T)
    return page


def clear_result(page: Any) -> None:
    page.evaluate("() => { document.querySelector('#result').textContent = ''; }")


def sent_after(page: Any, fake: FakeStage, before: int) -> dict[str, Any]:
    """The one command the page sent after `before` commands, once the page has its answer
    (it says so in #result, cleared before the key), so the next key is not dropped as busy."""
    page.wait_for_function("() => document.querySelector('#result').textContent !== ''", timeout=T)
    calls = fake.calls("/commands")
    assert len(calls) == before + 1, [c["body"] for c in calls[before:]]
    return calls[-1]["body"]


# What the page shows: {action: [aria-keyshortcuts, <kbd>]}, toolbar labels, help rows.
KEYED = """() => Object.fromEntries([...document.querySelectorAll('[data-action]')].map((b) =>
  [b.dataset.action, [b.getAttribute('aria-keyshortcuts'), b.querySelector('kbd')?.innerText]]))"""
LABELS = """() => Object.fromEntries([...document.querySelectorAll('#actions [data-action]')]
  .map((b) => [b.dataset.action, b.querySelector('.label').textContent]))"""
HELP_ROWS = """() => [...document.querySelectorAll('#help-keys tr')].map((r) =>
  [...r.querySelectorAll('kbd')].map((k) => k.textContent).concat([r.lastChild.textContent]))"""


def test_buttons_keys_and_help_are_the_registry(browser: Any, fake: FakeStage) -> None:
    page = open_clerk(browser, fake)
    shown = page.evaluate(KEYED)
    assert shown == {b.action: [b.key, b.key] for b in BINDINGS}
    for action, label in page.evaluate(LABELS).items():
        binding = BY_ACTION[action]
        if action not in ("next_lot", "pause"):  # these follow the state
            assert label == binding.label + ("…" if binding.prompt else "")

    page.keyboard.press("?")
    page.wait_for_selector("#help[open]", timeout=T)
    rows = page.evaluate(HELP_ROWS)
    listed = {tuple(r[:-1]): r[-1] for r in rows if len(r) == 2}
    for b in BINDINGS:
        assert listed[(b.key,)] == b.help
    assert ("A",) in listed  # A (amount field) does not collide with a binding
    page.keyboard.press("Escape")
    page.wait_for_selector("#help:not([open])", state="attached", timeout=T)
    assert page.errors == []


def test_registry_keys_send_the_registry_commands(browser: Any, fake: FakeStage) -> None:
    page = open_clerk(browser, fake)
    n = len(fake.calls("/commands"))

    def press(key: str) -> dict[str, Any]:
        nonlocal n
        clear_result(page)
        page.keyboard.press(key)
        body = sent_after(page, fake, n)
        n += 1
        return body

    def answer(key: str, text: str | None = None) -> dict[str, Any]:
        """A key that asks first: type the answer (or keep the suggestion), Enter."""
        nonlocal n
        clear_result(page)
        page.keyboard.press(key)
        page.wait_for_selector("#ask-dialog[open]", timeout=T)
        if text is not None:
            page.fill("#ask-input", text)
        page.keyboard.press("Enter")
        body = sent_after(page, fake, n)
        n += 1
        return body

    assert press("w") == {"op": "fair_warning", "lot": "1"}
    assert press("Y") == {"op": "accept_online", "lot": "1", "pending": "1.p1"}  # any case
    assert press("x") == {
        "op": "reject_online",
        "lot": "1",
        "pending": "1.p1",
        "reason": "rejected",
    }
    page.evaluate("() => document.activeElement.blur()")  # in a field, 0 is a digit
    # The registry's key (not "0" any more: digits type a paddle or an amount).
    assert press(BY_ACTION["inc_reset"].key) == {"op": "set_increment", "lot": "1", "mode": "reset"}
    assert press("+") == {"op": "set_increment", "lot": "1", "mode": "double"}
    assert answer("s", "720") == {"op": "set_ask", "lot": "1", "amount": 72000}
    assert answer("z", "Back in five") == {"op": "pause", "message": "Back in five"}
    paused = staff_lot(high=high(60000, "7001"), ask=65000, changed_seq=6)
    fake.publish(event(6, "sale_paused", paused, {"message": "Back in five"}), [STAFF], view="s")
    page.wait_for_function(
        "() => document.querySelector('[data-action=pause] .label').textContent === 'Resume'",
        timeout=T,
    )
    assert press("z") == {"op": "resume"}  # paused: the same key resumes, no question
    assert answer("d") == {"op": "withdraw", "lot": "1", "reason": "withdrawn by the vendor"}
    assert press("h") == {"op": "hammer", "lot": "1", "source": "clerk"}

    # Digits typed in the paddle field are the paddle, not keys (0 would reset the increment):
    # Space then bids for that paddle, and it is the only command sent.
    page.focus("#paddle")
    page.keyboard.type("101")
    body = press(" ")
    assert {k: body[k] for k in ("op", "lot", "paddle", "amount")} == {
        "op": "floor_bid",
        "lot": "1",
        "paddle": "101",
        "amount": 65000,
    }
    assert page.errors == []


def test_phone_layout_keeps_every_button_reachable(browser: Any, fake: FakeStage) -> None:
    page = open_clerk(browser, fake, PHONE)
    overflow = page.evaluate("() => document.documentElement.scrollWidth > innerWidth")
    assert not overflow
    n = len(fake.calls("/commands"))
    clear_result(page)
    page.locator("#actions [data-action=pass]").click()
    assert sent_after(page, fake, n) == {"op": "pass", "lot": "1", "source": "clerk"}
