"""The registration page against a real `auctionmen serve --demo`, in Debian's Chromium."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pages_harness import PHONE, RealStage, browser, new_page, screenshot, stage

__all__ = ["browser", "stage"]
pytestmark = pytest.mark.e2e
T = 8000
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">Eve'


def staff_bidders(stage: RealStage) -> list[dict[str, Any]]:
    req = urllib.request.Request(f"{stage.url}/api/sales/demo/state")
    req.add_header("Authorization", f"Bearer {stage.token('auctioneer')}")
    with urllib.request.urlopen(req, timeout=10) as r:
        return list(json.loads(r.read())["bidders"])


def wait_text(page: Any, sel: str, expected: str) -> None:
    # a function, not a string: a string predicate is eval'ed, which the page's CSP forbids
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent ?? '').includes(t)",
        arg=[sel, expected],
        timeout=T,
    )


def fill(page: Any, name: str, email: str, phone: str = "") -> None:
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#phone", phone)
    page.click("#register-submit")


def test_register_errors_then_pending_paddle(stage: RealStage, browser: Any) -> None:
    page = new_page(browser, PHONE)
    page.goto(f"{stage.url}/")
    page.click("text=Register to bid online")
    page.wait_for_url("**/static/register.html")
    wait_text(page, "#sale-title", "—")
    assert page.get_by_label("Email").count() == 1  # labelled fields

    # empty form: checked in the browser, the name field is marked and focused
    page.click("#register-submit")
    page.wait_for_selector("#name-error:not([hidden])", timeout=T)
    assert page.get_attribute("#name", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "name"

    # a bad email: the server's problem+json detail, on the field and in the alert
    fill(page, "Eve", "not-an-email")
    wait_text(page, "#form-error", "email")
    assert "does not look like an email address" in page.text_content("#form-error")
    assert "does not look like an email address" in page.text_content("#email-error")
    assert page.get_attribute("#email", "aria-invalid") == "true"
    assert page.get_attribute("#name", "aria-invalid") is None
    assert page.is_visible("#register-form")

    # a hostile name registers and is shown as text, never run
    fill(page, HOSTILE, "eve@example.com", "+44 20 7946 0000")
    page.wait_for_selector("#done:not([hidden])", timeout=T)
    paddle = page.text_content("#paddle") or ""
    assert paddle.strip()
    assert page.text_content("#done-text") == (
        f"Thank you, your paddle is {paddle}, pending approval."
    )
    assert page.text_content("#done-name") == HOSTILE
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#done script, #done img").count() == 0
    assert page.evaluate("document.activeElement.id") == "done"
    assert not page.is_visible("#register-form")
    assert page.errors == []  # no page errors, no CSP violations
    screenshot(page, "register-phone")

    rows = [b for b in staff_bidders(stage) if str(b.get("paddle")) == paddle]
    assert len(rows) == 1
    assert rows[0]["status"] == "pending"
    assert rows[0]["name"] == HOSTILE
    page.context.close()
