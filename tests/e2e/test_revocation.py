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
        [session] = store.sessions(ann.id)
        assert session.device.startswith("terminal:terminal-")
        token = clerk.evaluate("sessionStorage.getItem('auctionmen.clerk.token')")
        assert call(stage, "GET", "/api/sales/demo/state", token)[0] == 200

        assert store.revoke_all(ann.id, by="st-9") == [session.sid]
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
