"""The cashier's desk and the buyer's invoice against a real `auctionmen serve --demo`, in
Debian's Chromium: a lot is knocked down over HTTP, the cashier invoices it, the buyer sees the
invoice through their own bidder link, the cashier records a part payment then the rest, and
a second desk open on the same buyer follows the status live (staff topic)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pages_harness import PHONE, RealStage, browser, new_page, screenshot, stage
from test_pages_live import call, wait_text

__all__ = ["browser", "stage"]
pytestmark = pytest.mark.e2e
SALE = "/api/sales/demo"
LAPTOP = {"width": 1366, "height": 768}
DESKTOP = {"width": 1280, "height": 800}


def sell(stage: RealStage, token: str, lot: str, paddle: str, amount: int) -> None:
    """Open `lot`, a room bid of `amount` (at or over the reserve) by `paddle`, hammer."""
    for body in (
        {"op": "open_lot", "lot": lot},
        {"op": "floor_bid", "lot": lot, "paddle": paddle, "amount": amount},
        {"op": "hammer", "lot": lot, "source": "button"},
    ):
        status, answer = call(stage, "POST", f"{SALE}/commands", token, body)
        assert status == 200, (body, answer)


def open_desk(browser: Any, stage: RealStage, token: str, viewport: dict[str, int]) -> Any:
    page = new_page(browser, viewport)
    page.goto(f"{stage.url}/cashier#token={token}")
    page.wait_for_selector("#desk:not([hidden])", timeout=8000)
    assert "token" not in page.url
    page.fill("#paddle", "101")
    page.press("#paddle", "Enter")
    wait_text(page, "#account-title", "Paddle 101")
    return page


def test_a_buyer_sees_their_invoice_and_the_cashier_takes_part_then_full_payment(
    browser: Any, stage: RealStage
) -> None:
    clerk = stage.token("clerk")
    sell(stage, clerk, "1", "101", 70000)
    sell(stage, clerk, "4A", "101", 80000)

    desk = open_desk(browser, stage, clerk, DESKTOP)
    wait_text(desk, "#lots", "Not invoiced")
    desk.click("#issue")
    wait_text(desk, "#result", "Invoice INV-")
    wait_text(desk, "#account-status", "Owes")
    status, account = call(stage, "GET", f"{SALE}/accounts/101", clerk)
    assert status == 200
    number = account["invoices"][0]["number"]
    total = account["owed"]
    assert total == account["invoices"][0]["totals"]["total"]
    euros = f"€{total / 100:,.2f}"
    wait_text(desk, "#owed", euros)
    wait_text(desk, "#docs", number)
    screenshot(desk, "cashier-owes-1280")

    # A second desk on the same buyer, to see the status change live.
    other = open_desk(browser, stage, stage.token("clerk"), LAPTOP)
    wait_text(other, "#account-status", "Owes")

    # The buyer opens their own bidder link: the invoice, what they owe, links to it.
    bidder = new_page(browser, PHONE)
    bidder.goto(f"{stage.url}/bid#token={stage.token('bidder', '101')}")
    wait_text(bidder, "#account-title", "Your invoice")
    # The buyer's premium is on the lot (the demo's schedule: no lot has its own bands).
    wait_text(bidder, "#lot-premium", "Buyer's premium: 25% of the hammer price up to €500,000")
    screenshot(bidder, "bidder-lot-premium-360")
    wait_text(bidder, "#account-invoices", number)
    wait_text(bidder, "#account-owed", euros)
    wait_text(bidder, "#account-status", "Please pay")
    bidder.locator("#account").scroll_into_view_if_needed()
    screenshot(bidder, "bidder-invoice-360")
    # The invoice opens in a new tab (the document cookie carries the token there).
    with bidder.context.expect_page() as opened:
        bidder.click(f"#account-invoices a[href$='{number}.html']")
    invoice = opened.value
    invoice.wait_for_load_state()
    assert number in invoice.content()

    # Part payment by card.
    desk.fill("#pay-amount", "100")
    desk.select_option("#pay-method", "card")
    desk.fill("#pay-reference", "slip 0042")
    desk.press("#pay-reference", "Enter")
    wait_text(desk, "#result", "Payment of €100.00 recorded")
    wait_text(desk, "#account-status", "Part paid")
    wait_text(desk, "#payments", "slip 0042")
    wait_text(other, "#account-status", "Part paid")  # live, over the staff topic
    wait_text(bidder, "#account-status", "still to pay")  # live, over the buyer's own topic
    screenshot(other, "cashier-part-paid-1366")

    # The rest: the amount field already holds what is owed.
    rest = total - 10000
    assert desk.input_value("#pay-amount") == f"{rest // 100}.{rest % 100:02d}".replace(".00", "")
    desk.select_option("#pay-method", "transfer")
    desk.click("#pay")
    wait_text(desk, "#account-status", "Paid")
    wait_text(desk, "#owed", "€0.00")
    wait_text(other, "#account-status", "Paid")
    wait_text(bidder, "#account-status", "Paid in full")

    # Released for collection, and the receipt prints.
    wait_text(desk, "#releasable", "Ready for collection: lot 1, 4A")
    desk.click("#release")
    wait_text(desk, "#result", "Released for collection: lot 1, 4A")
    wait_text(desk, "#lots", "Released")
    with desk.context.expect_page() as opened:
        desk.locator("#payments a").first.click()
    receipt = opened.value
    receipt.wait_for_load_state()
    assert "€100.00" in receipt.content()
    screenshot(desk, "cashier-paid-1280")

    status, account = call(stage, "GET", f"{SALE}/accounts/101", clerk)
    assert (account["status"], account["paid"], account["owed"]) == ("paid", total, 0)
    assert [p["method"] for p in account["payments"]] == ["card", "transfer"]
    for page in (desk, other, bidder):
        assert page.errors == []
        page.context.close()


def test_the_desk_says_why_a_payment_is_refused(browser: Any, stage: RealStage) -> None:
    clerk = stage.token("clerk")
    sell(stage, clerk, "1", "101", 70000)
    desk = open_desk(browser, stage, clerk, DESKTOP)
    desk.click("#issue")
    wait_text(desk, "#account-status", "Owes")
    for typed, message in (
        ("", "Type the amount paid"),
        ("-5", "Type the amount paid"),
        ("12.345", "Type the amount paid"),
        ("1000000", "more than the buyer owes"),
    ):
        desk.fill("#pay-amount", typed)
        desk.click("#pay")
        wait_text(desk, "#result", message)
    desk.fill("#pay-amount", "10")
    desk.click("#third-party summary")
    desk.fill("#pay-payer", "A. Stranger")
    desk.click("#pay")
    wait_text(desk, "#result", "needs the payer and a reason")
    desk.fill("#pay-why", "buyer's company pays; letter on file")
    desk.click("#pay")
    wait_text(desk, "#result", "Payment of €10.00 recorded")
    wait_text(desk, "#payments", "paid by A. Stranger")
    # An unknown paddle is said plainly.
    desk.fill("#paddle", "9999")
    desk.press("#paddle", "Enter")
    wait_text(desk, "#result", "No bidder with that paddle")
    assert desk.errors == []
    desk.context.close()
