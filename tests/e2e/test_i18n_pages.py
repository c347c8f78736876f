"""The pages' languages: the catalogue route, the HTML extractor, every message of the public
pages translated in German and French, and each public page shown in the pseudo-language with
no visible text that bypassed the catalogues."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hub import i18n
from hub.auction.commands import QUICK_MESSAGES
from hub.gateway.pages import add_pages
from tests.e2e.i18n_check import extract_ids, unmarked_text
from tests.e2e.pages_harness import (
    DESKTOP,
    FakeStage,
    browser,
    event,
    high,
    lot,
    new_page,
    snapshot,
)

__all__ = ["browser"]  # the module's Chromium (a fixture)

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "resources" / "web"
# The public pages and the JS they share: domain `web` (the staff pages are `web_staff`).
PUBLIC_SOURCES = [
    *(WEB / f"{p}.html" for p in ("bidder", "room", "register", "index")),
    *(
        WEB / "js" / f"{m}.js"
        for m in ("bidder", "room", "register", "state", "ui", "connection", "saleday", "money")
    ),
]


@pytest.fixture
async def client(aiohttp_client: Any) -> Any:
    app = web.Application()
    add_pages(app.router, lambda: [WEB / "images"])
    return await aiohttp_client(app)


async def test_catalogue_route_serves_each_language_cacheable(client: Any) -> None:
    r = await client.get("/i18n/de.json")
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert "max-age" in r.headers["Cache-Control"]
    table = await r.json()
    assert table["Bid"] == "Bieten"
    etag = r.headers["ETag"]
    again = await client.get("/i18n/de.json", headers={"If-None-Match": etag})
    assert again.status == 304
    assert await (await client.get("/i18n/en.json")).json() == {}
    pseudo = await (await client.get("/i18n/qps.json")).json()
    assert pseudo["Bid"] == "⟦Bid⟧"


@pytest.mark.parametrize(
    "name",
    ["xx.json", "de", "../de.json", "de.json.json", "%2e%2e.json", "a" * 300 + ".json", "DE.json"],
)
async def test_catalogue_route_refuses_what_is_not_a_page_language(client: Any, name: str) -> None:
    r = await client.get(f"/i18n/{name}")
    assert r.status == 404


def test_html_extractor_reads_text_and_named_attributes() -> None:
    html = (
        '<p data-i18n>Hello\n  world</p><span data-i18n="Given">Other</span>'
        '<button data-i18n-attr="aria-label title" aria-label="Close" title="">×</button>'
        "<p>not marked</p>"
    )
    assert sorted(m for _, m in i18n.html_messages(html)) == ["Close", "Given", "Hello world"]


def test_html_extractor_survives_hostile_markup() -> None:
    html = '<p data-i18n><script>alert(1)</script></p><div data-i18n-attr="x" x>' + "<b>" * 5000
    assert i18n.html_messages(html) == [(1, "alert(1)")]


def public_ids() -> set[str]:
    return extract_ids(PUBLIC_SOURCES) | set(QUICK_MESSAGES)


def test_public_pages_have_messages_to_translate() -> None:
    ids = public_ids()
    assert {"Bid", "Room display — Auctionmen", "Reconnecting…", "Fair warning"} <= ids


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_every_public_message_is_translated(lang: str) -> None:
    assert i18n.missing(public_ids(), lang, ["web", "web_staff"]) == []


# ------------------------------------------------------------------ the pages in `qps`

DATA = [
    "Pair of Meissen porcelain vases, c. 1880",
    "Hand-painted floral reserves.",
    "Autumn sale (test)",
    *(f"Lot number {i}" for i in range(1, 8)),
    *i18n.NAMES.values(),
    "Auctionmen",
    "Ada Lovelace",
]


@pytest.fixture(scope="module")
def stage() -> Iterator[FakeStage]:
    with FakeStage() as fake:
        yield fake


def walk(page: Any, where: str) -> None:
    bad = unmarked_text(page, DATA)
    assert bad == [], f"{where}: text shown without the catalogue: {bad}"
    # Every msgid the page asked t() for is one the extractor finds (so it is in the PO files).
    shown = set(page.evaluate("[...(globalThis.__msgidsShown || [])]"))
    unknown = shown - public_ids() - set(i18n.messages("de", ["web_staff"]))
    assert unknown == set(), f"{where}: msgids the extractor does not find: {unknown}"


def test_bidder_page_in_qps_shows_only_catalogue_text(browser: Any, stage: FakeStage) -> None:
    stage.events.clear()
    stage.snapshot = snapshot(
        3,
        lot(high=high(130000, "7001"), ask=140000, changed_seq=3, vat="margin", quantity=2),
        **sale_rules(),
    )
    page = new_page(browser)
    page.goto(f"{stage.url}/bid?lang=qps#token=bidder-101")
    page.wait_for_function("() => document.querySelector('#current').textContent.includes('1,300')")
    walk(page, "bidder, open")
    stage.publish(
        event(4, "fair_warning", lot(status="fair_warning", high=high(130000, "7001"), ask=140000))
    )
    page.wait_for_function("() => document.body.dataset.lotStatus === 'fair_warning'")
    walk(page, "bidder, fair warning")
    sold = {"amount": 130000, "paddle": "7001", "channel": "online"}
    stage.publish(event(5, "lot_sold", lot(status="sold", high=high(130000, "7001"), hammer=sold)))
    page.wait_for_function("() => document.body.dataset.lotStatus === 'sold'")
    walk(page, "bidder, sold")
    stage.down = True
    stage.drop()
    page.wait_for_function("() => document.body.dataset.connection === 'reconnecting'")
    walk(page, "bidder, reconnecting")
    stage.down = False
    page.context.close()


def sale_rules() -> dict[str, Any]:
    return {
        "rules": {
            "buyer_premium": [[0, 2500], [50000000, 2000]],
            "vat_rate_bp": 1900,
            "tie_policy": "floor_priority",
            "subject_to": False,
            "late_window": 3,
            "reopen_window": 10,
            "confirm_online": True,
            "auto_absentee": True,
        }
    }


def test_room_register_and_index_in_qps(browser: Any, stage: FakeStage) -> None:
    stage.events.clear()
    stage.snapshot = snapshot(6, lot(high=high(130000, "101", "floor"), ask=140000, changed_seq=6))
    page = new_page(browser)
    page.goto(f"{stage.url}/room?lang=qps")
    page.wait_for_function("() => !document.querySelector('.board').hidden")
    walk(page, "room, open")
    fw = lot(status="fair_warning", high=high(130000, "7001"), ask=140000, changed_seq=7)
    stage.publish(event(7, "fair_warning", fw))
    page.wait_for_function("() => document.body.dataset.lotStatus === 'fair_warning'")
    walk(page, "room, fair warning")
    stage.publish(event(8, "lot_passed", lot(status="passed", high=high(130000, "7001"))))
    page.wait_for_function("() => document.body.dataset.lotStatus === 'passed'")
    walk(page, "room, passed")
    stage.down = True
    stage.drop()
    page.wait_for_function("() => document.body.dataset.connection === 'reconnecting'")
    walk(page, "room, reconnecting")
    stage.down = False
    page.goto(f"{stage.url}/static/register.html?lang=qps")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    page.click("#register-submit")
    page.wait_for_function("() => document.querySelector('#form-error').textContent !== ''")
    walk(page, "register, errors")
    page.goto(f"{stage.url}/?lang=qps")
    page.wait_for_function("() => document.querySelector('h2').textContent.startsWith('⟦')")
    walk(page, "index")
    page.context.close()


def test_bidder_chooses_a_language_on_the_page_and_it_is_remembered(
    browser: Any, stage: FakeStage
) -> None:
    stage.events.clear()  # a fresh sale: nothing to replay after the snapshot
    stage.snapshot = snapshot(3, lot(high=high(130000, "7001"), ask=140000, changed_seq=3))
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{stage.url}/bid#token=bidder-101")
    # The browser's language first: French words, French money.
    page.wait_for_function("() => document.querySelector('#bid').textContent.includes('Enchérir')")
    assert "1 400" in page.text_content("#ask").replace("\u202f", " ").replace("\xa0", " ")
    page.select_option("#lang", "de")
    page.wait_for_function("() => document.querySelector('#bid').textContent.includes('bieten')")
    assert page.text_content("#ask").replace("\xa0", " ") == "1.400 €"
    assert page.text_content(".bidbox .label") == "Aktuelles Gebot"
    assert page.evaluate("document.documentElement.lang") == "de"
    page.reload()
    page.wait_for_function("() => document.querySelector('#bid').textContent.includes('bieten')")
    assert page.input_value("#lang") == "de"
    context.close()


def test_room_shows_the_house_two_languages(browser: Any, stage: FakeStage) -> None:
    stage.events.clear()
    stage.house = {**stage.house, "room_languages": ["de", "en"]}
    try:
        fw = lot(status="fair_warning", high=high(130000, "101", "floor"), ask=140000)
        stage.snapshot = snapshot(6, fw)
        page = new_page(browser)
        page.goto(f"{stage.url}/room")
        page.wait_for_function("() => document.querySelector('#ask .second') !== null")
        assert page.text_content("#headline .second") == "Fair warning"
        first = page.evaluate("document.querySelector('#headline').firstChild.textContent")
        assert first == "Letzter Aufruf"
        ask = (page.text_content("#ask") or "").replace("\xa0", " ")
        assert ask == "Nächstes Gebot 1.400 €Next bid 1.400 €"
        assert page.text_content("#bidder") == "Bieter 101Paddle 101"
        assert page.get_attribute("#ask .second", "lang") == "en"
        assert page.evaluate("document.documentElement.lang") == "de"
        page.context.close()
    finally:
        stage.house = {**stage.house, "room_languages": []}


def test_canned_messages_in_the_bidder_language_or_the_house_two(
    browser: Any, stage: FakeStage
) -> None:
    stage.events.clear()
    stage.snapshot = snapshot(3, lot(high=high(130000, "7001"), ask=140000, changed_seq=3))
    page = new_page(browser)
    page.goto(f"{stage.url}/bid?lang=fr#token=bidder-101")
    page.wait_for_selector("#bid:not([disabled])")
    canned, free = QUICK_MESSAGES[0], "Lot 7 is withdrawn today"
    stage.publish(event(4, "message_sent", None, {"id": 1, "text": canned}))
    stage.publish(event(5, "message_sent", None, {"id": 2, "text": free}))
    page.wait_for_function("() => document.querySelectorAll('.message-text').length === 2")
    texts = page.locator(".message-text").all_text_contents()
    assert texts == [free, "Dernier appel : le lot va être adjugé"]  # newest first
    page.context.close()
    stage.house = {**stage.house, "room_languages": ["de", "en"]}
    try:
        page = new_page(browser)
        page.goto(f"{stage.url}/bid?lang=fr#token=bidder-101")
        page.wait_for_function("() => document.querySelectorAll('.message-text').length === 2")
        texts = page.locator(".message-text").all_text_contents()
        german = "Letzter Aufruf: Das Los wird gleich zugeschlagen"
        assert texts == [free, f"{german} / {canned}"]
        page.context.close()
    finally:
        stage.house = {**stage.house, "room_languages": []}
