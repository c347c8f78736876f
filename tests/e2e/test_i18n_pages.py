"""The pages' languages: the catalogue route, the HTML extractor, every message of the public
pages translated in German and French, and each public page shown in the pseudo-language with
no visible text that bypassed the catalogues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hub import i18n
from hub.auction.commands import QUICK_MESSAGES
from hub.gateway.pages import add_pages
from tests.e2e.i18n_check import extract_ids

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
