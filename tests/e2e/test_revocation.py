"""Per-person pairing and revocation against a real `auctionmen serve --demo`, in Debian's
Chromium: a staff member pairs the clerk terminal with their name and PIN, runs a lot, is
signed out from another process (the staff store, as the desktop or CLI would), and the
terminal's next command is refused 401 `revoked` and the page shows "Signed out"."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from hub.backend.staff import StaffStore

sys.path.insert(0, str(Path(__file__).parent))
from pages_harness import PHONE, RealStage, browser, new_page, screenshot, stage
from test_pages_live import call, wait_text

__all__ = ["browser", "stage"]
pytestmark = pytest.mark.e2e


def test_a_signed_out_terminal_stops(browser: Any, stage: RealStage) -> None:
    store = StaffStore(stage.data_dir / "staff.db")
    try:
        ann = store.create("Ann Example", ["auctioneer", "clerk"], pin="2468")
        clerk = new_page(browser)
        clerk.goto(f"{stage.url}/clerk")
        clerk.wait_for_selector("#staff-name", timeout=10_000)
        # The stage's own PIN no longer pairs: this house has staff accounts.
        clerk.fill("#pin", "000000")
        clerk.press("#pin", "Enter")
        wait_text(clerk, "#pair-error", "Enter your name and your own PIN")
        clerk.fill("#staff-name", "Ann Example")
        clerk.fill("#pin", "1111")
        clerk.press("#pin", "Enter")
        wait_text(clerk, "#pair-error", "do not match")
        clerk.fill("#pin", "2468")
        clerk.press("#pin", "Enter")
        wait_text(clerk, "[data-action=next_lot]", "Next: lot 1")
        clerk.keyboard.press("n")
        wait_text(clerk, "#result", "Lot 1 is open")
        # A second, idle desk of the same person (the cashier's page, signed in by name).
        idle = new_page(browser)
        idle.goto(f"{stage.url}/cashier")
        idle.wait_for_selector("#staff-name", timeout=10_000)
        idle.fill("#staff-name", "Ann Example")
        idle.fill("#pin", "2468")
        idle.press("#pin", "Enter")
        idle.wait_for_function("() => document.body.dataset.session === 'live'", timeout=10_000)
        [session] = [s for s in store.sessions(ann.id) if s.sid != _sid(idle, store, ann.id)]
        assert session.device.startswith("terminal:terminal-")
        token = clerk.evaluate("sessionStorage.getItem('auctionmen.clerk.token')")
        assert call(stage, "GET", "/api/sales/demo/state", token)[0] == 200

        assert sorted(store.revoke_all(ann.id, by="st-9")) == sorted(
            s.sid for s in store.sessions(ann.id, live_only=False)
        )
        status, body = call(stage, "GET", "/api/sales/demo/state", token)
        assert (status, body["reason"]) == (401, "revoked")
        # The terminal's next command: refused, and the page stops.
        clerk.focus("#paddle")
        clerk.keyboard.type("101")
        clerk.keyboard.press("Enter")
        wait_text(clerk, "#pair-error", "Signed out: a staff member ended this session")
        assert clerk.evaluate("document.body.dataset.session") == "signed-out"
        assert clerk.is_hidden("#desk")
        assert clerk.evaluate("sessionStorage.getItem('auctionmen.clerk.token')") is None
        screenshot(clerk, "clerk-signed-out")
        # The idle desk sent nothing, yet it is told within seconds and stops too.
        wait_text(idle, "#pair-error", "Signed out", timeout=20_000)
        assert idle.is_hidden("#desk")
        assert idle.errors == []
        clerk.set_viewport_size(PHONE)
        screenshot(clerk, "clerk-signed-out-360")
        assert clerk.errors == []
        # Signing in again works (a new session).
        clerk.fill("#staff-name", "Ann Example")
        clerk.fill("#pin", "2468")
        clerk.press("#pin", "Enter")
        clerk.wait_for_function("() => document.body.dataset.session === 'live'", timeout=10_000)
        clerk.wait_for_selector("#desk", state="visible", timeout=10_000)
        assert len(store.sessions(ann.id)) == 1
    finally:
        store.close()


def _sid(page: Any, store: StaffStore, staff: str) -> str:
    """The session of the token `page` holds."""
    token = page.evaluate("sessionStorage.getItem('auctionmen.clerk.token')")
    for session in store.sessions(staff):
        if session.sid in _claims(token):
            return session.sid
    raise AssertionError("the page's token names no live session")


def _claims(token: str) -> str:
    import base64

    body = token.split(".")[1]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
