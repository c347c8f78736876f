"""The sale day's pages against a real `auctionmen serve --demo`, in Debian's Chromium.

One sale run over HTTP with the clerk's token while the room display, the bidder page, the
clerk page and a phone operator's page watch: a phone booking and its alert, a house bid, messages
to all and to one bidder, a live amendment's saleroom notice, a commission bid left online, a
session break and the close.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from hub.auction.commands import BY_ACTION

sys.path.insert(0, str(Path(__file__).parent))
from pages_harness import HOSTILE, PHONE, RealStage, browser, new_page, screenshot, stage
from test_pages_live import call, wait_text

__all__ = ["browser", "stage"]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]
T = 8000


def served_ops(stage: RealStage, *needed: str) -> dict[str, list[str]]:
    """The registry's ops and their fields, as the stage serves them; `needed` must be there."""
    status, registry = call(stage, "GET", "/api/commands")
    assert status == 200
    ops = {c["op"]: [f["name"] for f in c["fields"]] for c in registry["commands"]}
    missing = [op for op in needed if op not in ops]
    assert not missing, f"the stage does not serve {missing}"
    return ops


class Clerk:
    """Staff commands over HTTP with the clerk's token."""

    def __init__(self, stage: RealStage) -> None:
        self.stage = stage
        self.token = stage.token("clerk")

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        status, answer = call(self.stage, "POST", "/api/sales/demo/commands", self.token, body)
        assert status == 200, (body, status, answer)
        return answer


def close_all(*pages: Any) -> None:
    for page in pages:
        assert page.evaluate("window.__pwned ?? null") is None
        assert page.errors == []
        page.context.close()


def test_house_bid_commission_break_and_close(browser: Any, stage: RealStage) -> None:
    served_ops(stage, "house_bid", "end_session", "start_session", "close_sale")
    assert "house_bid" in BY_ACTION
    cmd = Clerk(stage)
    room = new_page(browser)
    room.goto(f"{stage.url}/room")
    bidder = new_page(browser, PHONE)
    bidder.goto(f"{stage.url}/bid#token={stage.token('bidder', '7001')}")
    clerk = new_page(browser)
    clerk.goto(f"{stage.url}/clerk#token={cmd.token}")
    wait_text(clerk, "[data-action=next_lot]", "Next: lot 1")
    wait_text(bidder, "#paddle", "Paddle 7001")
    # The rules of this sale, from the real sale view.
    assert "Prices are in EUR" in bidder.locator("#rules").text_content()

    # A commission bid left online (a gateway that takes only staff commands: the page says so).
    bidder.locator("#commission-lot").select_option("2")
    bidder.fill("#commission-max", "20,000")
    bidder.locator("#commission-send").click()
    bidder.wait_for_function(
        "() => document.querySelector('#commission-result').textContent !== ''", timeout=T
    )
    result = bidder.locator("#commission-result").inner_text()
    if "cannot be left online" not in result:
        assert result == "Your commission bid of €20,000 on lot 2 is with the auctioneer"
        wait_text(bidder, "#my-commissions", "Lot 2: your maximum €20,000")
        wait_text(bidder, "#upcoming", "Your commission bid: €20,000")

    # A house bid is disclosed on every screen.
    cmd({"op": "open_lot", "lot": "1"})
    wait_text(clerk, "#lot-number", "Lot 1")
    clerk.locator("#paddle").focus()
    clerk.keyboard.press(BY_ACTION["house_bid"].key.lower())  # the clerk's key, from the registry
    wait_text(room, "#bidder", "House bid (on behalf of the vendor)")
    wait_text(bidder, "#high-note", "House bid (on behalf of the vendor)")
    wait_text(clerk, "#high-who", "House bid (on behalf of the vendor)")
    screenshot(room, "live-saleday-room-house")

    # A session break, then the next session, then the close.
    cmd({"op": "pass", "lot": "1"})
    cmd({"op": "end_session", "message": "Lunch <b>break</b>", "next_start": "2026-12-05T14:00"})
    for page, sel in ((room, "#headline"), (bidder, "#status"), (clerk, "#life")):
        wait_text(page, sel, "Session break: Lunch <b>break</b>")
    wait_text(bidder, "#life", "The next session starts")
    assert "14:00" in bidder.locator("#life").inner_text()
    screenshot(bidder, "live-saleday-bidder-break")
    cmd({"op": "start_session"})
    bidder.wait_for_selector("#life", state="hidden", timeout=T)
    cmd({"op": "close_sale"})
    wait_text(room, "#headline", "The sale is closed")
    wait_text(bidder, "#status", "The sale is closed")
    wait_text(clerk, "#life", "The sale is closed")
    close_all(room, bidder, clerk)


def test_messages_and_saleroom_notices(browser: Any, stage: RealStage) -> None:
    ops = served_ops(stage, "message", "edit_lot")
    assert "message" in BY_ACTION
    cmd = Clerk(stage)
    room = new_page(browser)
    room.goto(f"{stage.url}/room")
    bidder = new_page(browser, PHONE)
    bidder.goto(f"{stage.url}/bid#token={stage.token('bidder', '7001')}")
    clerk = new_page(browser)
    clerk.goto(f"{stage.url}/clerk#token={cmd.token}")
    wait_text(clerk, "[data-action=next_lot]", "Next: lot 1")
    wait_text(bidder, "#paddle", "Paddle 7001")
    cmd({"op": "open_lot", "lot": "1"})
    wait_text(bidder, "#lot-number", "Lot 1")

    # Messages: to everyone, then privately to 7001 (newest first on the bidder page).
    cmd({"op": "message", "text": HOSTILE})
    # The private one from the clerk page: a paddle typed first, the message key, the text.
    clerk.locator("#paddle").focus()
    clerk.keyboard.type("7001")
    clerk.keyboard.press(BY_ACTION["message"].key.lower())
    clerk.wait_for_selector("#message-dialog[open]", timeout=T)
    clerk.fill("#message-text", "Paddle 7001: please call the office")
    clerk.get_by_role("button", name="Send").click()
    wait_text(clerk, "#result", "Message sent to paddle 7001")
    wait_text(bidder, "#messages", "please call the office")
    texts = bidder.locator("#messages .message-text").all_inner_texts()
    assert texts == ["Paddle 7001: please call the office", HOSTILE]
    wait_text(clerk, "#sent", "to paddle 7001")

    # A live amendment of a lot still to come: a saleroom notice on every screen.
    amend: dict[str, Any] = {
        "op": "edit_lot",
        "lot": "3",
        "changes": {"description": "Now attributed to the workshop"},
        "reason": "expert opinion",
    }
    if "notice" in ops["edit_lot"]:
        amend["notice"] = f"Lot 3 is now attributed to the workshop {HOSTILE}"
    answer = cmd(amend)
    notice = next(e for e in answer["events"] if e["type"] == "lot_amended")["data"]["notice"]
    assert notice
    for page in (bidder, room, clerk):
        wait_text(page, "#flash", notice)
    wait_text(bidder, "#upcoming", notice)
    screenshot(bidder, "live-saleday-bidder-notice")
    close_all(room, bidder, clerk)


def test_phone_operator_alert(browser: Any, stage: RealStage) -> None:
    served_ops(stage, "book_phone")
    cmd = Clerk(stage)
    cmd({"op": "register_bidder", "paddle": "260", "channel": "phone", "status": "approved"})
    cmd({"op": "book_phone", "paddle": "260", "from_lot": "4", "to_lot": "5", "operator": "Anna"})
    phone = new_page(browser, PHONE)
    phone.goto(f"{stage.url}/phone#token={cmd.token}&operator=Anna")
    wait_text(phone, "#bookings", "Lots 4–5")
    assert phone.locator("#alerts li").count() == 0
    cmd({"op": "open_lot", "lot": "1"})
    wait_text(phone, "#alerts", "Paddle 260's lot 4 is 3 lots away")
    cmd({"op": "pass", "lot": "1"})
    cmd({"op": "open_lot", "lot": "2"})
    wait_text(phone, "#alerts", "Paddle 260's lot 4 is 2 lots away")
    screenshot(phone, "live-saleday-phone")
    close_all(phone)
