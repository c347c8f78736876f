"""A consignor's private live view against a real `auctionmen serve --demo`, in Debian's
Chromium: staff issue the link, the consignor watches their own lot open, take a bid and sell,
and their running net follow, with no buyer named."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pages_harness import DESKTOP, PHONE, RealStage, browser, new_page, screenshot, stage
from test_pages_live import call, wait_text

__all__ = ["browser", "stage"]
pytestmark = pytest.mark.e2e
SALE = "/api/sales/demo"


def test_a_consignor_watches_their_lot_sell_and_their_net(browser: Any, stage: RealStage) -> None:
    clerk = stage.token("clerk")

    def command(body: dict[str, Any]) -> None:
        status, answer = call(stage, "POST", f"{SALE}/commands", clerk, body)
        assert status == 200, (body, answer)

    # The demo's lot 1 is consigned by C-1001: 10 % commission and a €25 photography charge.
    command(
        {
            "op": "set_consignor_terms",
            "consignor": "C-1001",
            "commission": [[0, 1000]],
            "vat_on_commission": False,
            "charges": [["Photography", 2500]],
            "lot_fee": 0,
            "unsold_fee": 0,
            "payout_days": 30,
            "absolute": False,
        }
    )
    # The cashier makes the link on their desk.
    desk = new_page(browser, DESKTOP)
    desk.goto(f"{stage.url}/cashier#token={clerk}")
    desk.wait_for_selector("#desk:not([hidden])", timeout=8000)
    desk.click("#consignor-tool summary")
    desk.fill("#consignor-ref", "C-9999")
    desk.press("#consignor-ref", "Enter")
    wait_text(desk, "#consignor-result", "No consignor C-9999 in this sale")
    desk.fill("#consignor-ref", "C-1001")
    desk.press("#consignor-ref", "Enter")
    wait_text(desk, "#consignor-result", "Link for C-1001")
    link = desk.input_value("#consignor-link")
    assert link.startswith(f"{stage.url}/consignor#token=")
    assert desk.evaluate("() => document.querySelector('#consignor-qr').naturalWidth") > 0
    screenshot(desk, "cashier-consignor-link-1280")
    assert desk.errors == []
    desk.context.close()

    page = new_page(browser, PHONE)
    page.goto(link)
    wait_text(page, "#who", "Consignor C-1001")
    assert "token" not in page.url
    wait_text(page, "#lots", "To come")
    wait_text(page, "#net", "-€25.00")

    command({"op": "open_lot", "lot": "1"})
    wait_text(page, "#lots", "Selling now")
    command({"op": "floor_bid", "lot": "1", "paddle": "101", "amount": 80000})
    wait_text(page, "#lots", "€800")
    command({"op": "hammer", "lot": "1", "source": "button"})
    wait_text(page, "#lots", "Sold")
    wait_text(page, "#hammer", "€800.00")
    wait_text(page, "#net", "€695.00")  # 800 - 10 % - 25
    screenshot(page, "consignor-sold-360")
    text = page.locator("body").inner_text()
    assert "101" not in text  # never the buyer
    assert "Room bidder" not in text
    assert page.errors == []
    page.context.close()
