"""The staff pages (clerk, phone operator, cashier, consignor) for everyone, in every language:

- axe-core (injected from the axe-playwright-python package, no CDN) finds no serious or
  critical violation on each page at 360×740 and 1280×800, in the states idle, open, fair
  warning, sold and reconnecting (and the pairing screen);
- each page shown in the pseudo-language `qps` has no visible text that bypassed `t()` or
  `data-i18n`, except data (titles, names, numbers, amounts, key names);
- the clerk page works by keyboard alone.

One fake stage (clerk, phone) and one real `auctionmen serve --demo` (cashier, consignor, whose
money routes the fake does not have), and one browser, for the module.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.axe_audit import audit

sys.path.insert(0, str(Path(__file__).parent))
from i18n_check import unmarked_text
from pages_harness import (
    DESKTOP,
    HOSTILE,
    PHONE,
    STAFF,
    FakeStage,
    RealStage,
    browser,
    event,
    high,
    new_page,
    require_gateway,
    snapshot,
    staff_lot,
)
from test_pages_live import call, wait_text

__all__ = ["browser"]
pytestmark = pytest.mark.e2e
T = 8000
SALE = "/api/sales/demo"
KEYS = ("Space", "Enter", "Esc", "0-9", "?")  # key names on the keys, not words
LANGUAGE_NAMES = ("English", "Deutsch", "Français")  # the selector: each in its own language
TITLE = "Pair of Meissen porcelain vases, c. 1880"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeStage]:
    with FakeStage() as stage:
        yield stage


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealStage]:
    require_gateway()
    stage = RealStage(tmp_path_factory.mktemp("a11y") / "data")
    stage.start()
    try:
        yield stage
    finally:
        stage.stop()


# ------------------------------------------------------------------ clerk and phone (fake)


def lot_view(status: str, **kw: Any) -> dict[str, Any]:
    base = {
        "high": high(60000, "7001"),
        "ask": 65000,
        "bids": 2,
        "status": status,
        "history": [
            {"amount": 55000, "paddle": "7002", "channel": "floor", "house": False},
            {"amount": 60000, "paddle": "7001", "channel": "online", "house": False},
        ],
    }
    base.update(kw)
    return staff_lot(**base)


def follow_a_lot(fake: FakeStage, page: Any, found: dict[str, list[str]], sel: str) -> None:
    """Idle, open, fair warning, sold and reconnecting, each audited; `sel` shows each arrived."""
    audit(page, "idle", found)
    fake.publish(event(6, "lot_opened", lot_view("open", changed_seq=6)), [STAFF], view="s")
    wait_text(page, sel, "1")
    audit(page, "open", found)
    fake.publish(event(7, "fair_warning", lot_view("fair_warning", changed_seq=7)), [STAFF], "s")
    page.wait_for_function("() => document.body.textContent.includes('air warning')", timeout=T)
    audit(page, "fair warning", found)
    sold = lot_view("sold", changed_seq=8, hammer={"amount": 60000, "paddle": "7001"})
    fake.publish(event(8, "lot_sold", sold), [STAFF], view="s")
    page.wait_for_function("() => /sold/i.test(document.body.textContent)", timeout=T)
    audit(page, "sold", found)
    fake.down = True
    fake.drop()
    page.wait_for_selector("#banner:not([hidden])", timeout=T)
    audit(page, "reconnecting", found)
    fake.down = False


def start_fake(fake: FakeStage) -> None:
    fake.down = False
    fake.events.clear()
    fake.snapshot = snapshot(5, None)
    fake.snapshot["phones"] = [
        {"id": "b1", "paddle": "7001", "from_lot": "1", "to_lot": "3", "operator": "Anna"}
    ]
    fake.snapshot["bidders"] = {"7001": {"paddle": "7001", "status": "approved", "name": "Ana"}}


@pytest.mark.parametrize("name", ["clerk", "phone"])
def test_clerk_and_phone_pages_pass_axe_in_every_state(
    browser: Any, fake: FakeStage, name: str
) -> None:
    start_fake(fake)
    found: dict[str, list[str]] = {}
    page = new_page(browser, DESKTOP)
    page.goto(f"{fake.url}/{name}")
    page.wait_for_selector("#pair:not([hidden])", timeout=T)
    audit(page, "pairing", found)
    page.goto(f"{fake.url}/{name}?paired#token=clerk")  # a new address: the page loads again
    page.wait_for_selector("#desk:not([hidden])", timeout=T)
    page.wait_for_function("() => document.body.dataset.connection === 'live'", timeout=T)
    follow_a_lot(fake, page, found, "#lot-number" if name == "clerk" else "#block")
    if name == "clerk":  # the dialogs too
        page.wait_for_selector("#banner[hidden]", state="attached", timeout=T)
        page.keyboard.press("?")
        page.wait_for_selector("#help[open]", timeout=T)
        audit(page, "help", found)
        page.keyboard.press("Escape")
    assert found == {}
    assert page.errors == []
    page.context.close()


# ------------------------------------------------------------------ cashier and consignor (real)


def command(real: RealStage, token: str, body: dict[str, Any]) -> None:
    status, answer = call(real, "POST", f"{SALE}/commands", token, body)
    assert status == 200, (body, answer)


def consignor_link(real: RealStage, token: str) -> str:
    status, answer = call(real, "POST", f"{SALE}/consignors/C-1001/link", token, {})
    assert status == 200, answer
    return str(answer["link"])


def fits_a_phone(page: Any, tables: bool = True) -> bool:
    """At 360 px the page does not scroll sideways, nor (`tables`) do its tables: titles wrap
    by words. (The cashier's five-column table may scroll in its own focusable region.)"""
    page.set_viewport_size(PHONE)
    return bool(
        page.evaluate(
            """(tables) => document.documentElement.scrollWidth <= innerWidth && (!tables ||
              [...document.querySelectorAll('.table-wrap')]
                .every((w) => w.scrollWidth <= w.clientWidth))""",
            tables,
        )
    )


def wait_reconnecting(page: Any) -> None:
    page.wait_for_selector("#banner:not([hidden])", timeout=T)


def test_cashier_and_consignor_pages_pass_axe_in_every_state(browser: Any, real: RealStage) -> None:
    clerk = real.token("clerk")
    found: dict[str, list[str]] = {}
    desk = new_page(browser, DESKTOP)
    desk.goto(f"{real.url}/cashier")
    desk.wait_for_selector("#pair:not([hidden])", timeout=T)
    audit(desk, "cashier pairing", found)
    desk.goto(f"{real.url}/cashier?paired#token={clerk}")
    desk.wait_for_selector("#desk:not([hidden])", timeout=T)
    audit(desk, "cashier idle", found)

    watcher = new_page(browser, DESKTOP)
    watcher.goto(consignor_link(real, clerk))
    watcher.wait_for_selector("#view:not([hidden])", timeout=T)
    audit(watcher, "consignor idle", found)
    command(real, clerk, {"op": "open_lot", "lot": "1"})
    wait_text(watcher, "#lots", "Selling now")
    audit(watcher, "consignor open", found)
    command(real, clerk, {"op": "floor_bid", "lot": "1", "paddle": "101", "amount": 70000})
    command(real, clerk, {"op": "fair_warning", "lot": "1"})
    wait_text(watcher, "#lots", "fair warning")
    audit(watcher, "consignor fair warning", found)
    command(real, clerk, {"op": "hammer", "lot": "1", "source": "button"})
    wait_text(watcher, "#lots", "Sold")
    audit(watcher, "consignor sold", found)
    assert fits_a_phone(watcher)

    desk.fill("#paddle", "101")
    desk.press("#paddle", "Enter")
    wait_text(desk, "#account-title", "Paddle 101")
    desk.click("#issue")
    wait_text(desk, "#result", "Invoice INV-")
    audit(desk, "cashier account", found)
    assert fits_a_phone(desk, tables=False)
    # The stage goes away (its streams with it) and comes back on the same port and data.
    real.stop()
    try:
        wait_reconnecting(desk)
        audit(desk, "cashier reconnecting", found)
        wait_reconnecting(watcher)
        audit(watcher, "consignor reconnecting", found)
    finally:
        real.start()
    assert found == {}
    assert desk.errors == []
    assert watcher.errors == []
    desk.context.close()
    watcher.context.close()


# ------------------------------------------------------------------ the pseudo-language


def test_clerk_and_phone_in_qps_show_no_text_outside_the_catalogues(
    browser: Any, fake: FakeStage
) -> None:
    start_fake(fake)
    lot = lot_view(
        "open",
        changed_seq=5,
        title=HOSTILE,
        pending=[{"id": "1.p1", "amount": 65000, "paddle": "7002", "channel": "online", "at": 1}],
        late=[{"id": "1.l1", "lot": "1", "amount": 70000, "paddle": "7003", "channel": "online"}],
    )
    fake.snapshot = snapshot(5, lot, phones=[])
    fake.snapshot["phones"] = [
        {"id": "b1", "paddle": "7001", "from_lot": "1", "to_lot": "3", "operator": "Anna"},
        {"id": "b2", "paddle": "7004", "from_lot": "2", "to_lot": "2", "operator": "Ben"},
    ]
    fake.snapshot["bidders"] = {"7001": {"paddle": "7001", "status": "approved", "name": "Ana"}}
    data = [
        HOSTILE,
        "Autumn sale (test)",
        "Ana",
        "Anna",
        "Ben",
        "Lot number 2",
        *KEYS,
        *LANGUAGE_NAMES,
    ]
    page = new_page(browser, PHONE)
    page.goto(f"{fake.url}/clerk?lang=qps")
    page.wait_for_selector("#pair:not([hidden])", timeout=T)
    assert unmarked_text(page, data) == []
    page.goto(f"{fake.url}/clerk?lang=qps&paired#token=clerk")
    page.wait_for_selector("#actions [data-action]", timeout=T)
    page.wait_for_function("() => document.querySelector('#bids').textContent === '2'")
    assert unmarked_text(page, data) == []
    page.keyboard.press("?")
    page.wait_for_selector("#help[open]", timeout=T)
    assert unmarked_text(page, data) == []
    page.keyboard.press("Escape")
    page.goto(f"{fake.url}/phone?lang=qps#token=clerk")
    page.wait_for_selector("#bookings tr", timeout=T)
    assert unmarked_text(page, data) == []
    assert page.errors == []
    page.context.close()


def test_cashier_and_consignor_in_qps_show_no_text_outside_the_catalogues(
    browser: Any, real: RealStage
) -> None:
    clerk = real.token("clerk")
    page = new_page(browser, DESKTOP)
    page.goto(f"{real.url}/cashier?lang=qps#token={clerk}")
    page.wait_for_selector("#desk:not([hidden])", timeout=T)
    page.fill("#paddle", "101")
    page.press("#paddle", "Enter")
    page.wait_for_selector("#account-grid:not([hidden])", timeout=T)
    status, account = call(real, "GET", f"{SALE}/accounts/101", clerk)
    assert status == 200
    names = [account["buyer"].get("name") or "", account["buyer"].get("address") or ""]
    titles = [line.get("title") or "" for doc in account["invoices"] for line in doc["lines"]]
    numbers = [d["number"] for d in account["invoices"]]
    data = [*names, *titles, *numbers, "Auctionmen", *LANGUAGE_NAMES]
    assert unmarked_text(page, data) == []
    page.goto(consignor_link(real, clerk).replace("/consignor#", "/consignor?lang=qps#"))
    page.wait_for_selector("#view:not([hidden])", timeout=T)
    lots = page.evaluate(
        "() => [...document.querySelectorAll('#lots td.title')].map((td) => td.textContent)"
    )
    assert unmarked_text(page, [*lots, "C-1001", "Auctionmen", *data]) == []
    assert page.errors == []
    page.context.close()


# ------------------------------------------------------------------ the keyboard


def test_the_clerk_page_by_keyboard_alone(browser: Any, fake: FakeStage) -> None:
    start_fake(fake)
    fake.snapshot = snapshot(5, lot_view("open", changed_seq=5))
    page = new_page(browser, DESKTOP)
    page.goto(f"{fake.url}/clerk#token=clerk")
    page.wait_for_selector("#actions [data-action]", timeout=T)
    page.wait_for_function("() => document.querySelector('#bids').textContent === '2'")
    focused = "() => document.activeElement.id || document.activeElement.dataset.action || ''"
    assert page.evaluate(focused) == "paddle"  # ready to type at once

    # Every toolbar button is a Tab stop, in order, with a visible focus ring.
    actions = page.evaluate(
        "() => [...document.querySelectorAll('#actions [data-action]')].map(b => b.dataset.action)"
    )
    reached = []
    for _ in range(len(actions) + 6):
        page.keyboard.press("Tab")
        here = page.evaluate(focused)
        if here in actions:
            ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert ring != "none", here
            reached.append(here)
    assert reached == actions

    # A paddle typed and Enter: a floor bid for that paddle; focus back in the paddle field.
    page.focus("#paddle")
    page.keyboard.type("101")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#result').textContent !== ''")
    bid = fake.calls("/commands")[-1]["body"]
    assert (bid["op"], bid["paddle"]) == ("floor_bid", "101")
    assert page.evaluate(focused) == "paddle"

    # A prompt by key: the dialog takes the keys, Enter sends, focus comes back.
    page.keyboard.press("s")
    page.wait_for_selector("#ask-dialog[open]", timeout=T)
    assert page.evaluate(focused) == "ask-input"
    page.keyboard.type("720")
    page.keyboard.press("Enter")
    page.wait_for_selector("#ask-dialog:not([open])", state="attached", timeout=T)
    page.wait_for_function(
        "() => document.querySelector('#result').textContent.includes('Set ask')", timeout=T
    )
    assert fake.calls("/commands")[-1]["body"] == {"op": "set_ask", "lot": "1", "amount": 72000}
    assert page.evaluate(focused) == "paddle"

    # The language selector is reachable and changes the page's words without a reload.
    page.focus("#lang")
    page.keyboard.press("ArrowDown")  # English -> Deutsch
    page.wait_for_function(
        "() => document.querySelector('[data-action=hammer] .label').textContent === 'Zuschlag'",
        timeout=T,
    )
    assert page.evaluate("() => document.documentElement.lang") == "de"
    assert page.evaluate("() => localStorage.getItem('auctionmen.lang')") == "de"
    assert page.errors == []
    page.context.close()
