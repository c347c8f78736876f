"""The web clients: bidder, clerk, room and phone-operator pages, their static files, lot
images, the pages' message catalogues (`/i18n/<lang>.json`) and what the house tells the public
pages (`/house.json`: the room's languages, the currency board's rates).

Served by the stage and by every relay node (bidders at home open the relay's pages).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

import hub.i18n as i18n

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PAGES = {
    "/bid": "bidder.html",
    "/clerk": "clerk.html",
    "/room": "room.html",
    "/phone": "phone.html",
    "/cashier": "cashier.html",
    "/consignor": "consignor.html",
    "/": "index.html",
}
WEB_DOMAINS = ("web", "web_staff")
CATALOGUE_MAX_AGE = 300  # seconds: a new release's words reach a page within minutes
HouseInfo = Callable[[], dict[str, Any]]


def web_root() -> Path:
    return Path(str(resources.files("resources").joinpath("web")))


def _page(name: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        path = web_root() / name
        if not path.exists():
            if name == "index.html":
                raise web.HTTPFound("/room")
            raise web.HTTPNotFound()
        response = web.FileResponse(path)
        response.headers["Cache-Control"] = "no-cache"
        return response

    return handler


def catalogue_json(lang: str) -> bytes:
    """The pages' catalogue of `lang` (web + web_staff merged) as JSON; `qps` maps every
    known id to its pseudo form. KeyError: not a language the pages speak."""
    if lang == i18n.PSEUDO:
        ids = {m for d in WEB_DOMAINS for m in i18n.po_ids(i18n.LANGUAGES[1], d)}
        table = {m: i18n.pseudo(m) for m in sorted(ids)}
    elif lang in i18n.LANGUAGES:
        table = i18n.messages(lang, WEB_DOMAINS)
    else:
        raise KeyError(lang)
    return json.dumps(table, ensure_ascii=False, sort_keys=True).encode()


async def catalogue(request: web.Request) -> web.StreamResponse:
    """GET /i18n/<lang>.json: cacheable, with an ETag; 404 for anything but a page language."""
    name = request.match_info["name"]
    lang = name.removesuffix(".json")
    if not name.endswith(".json") or len(lang) > 8:
        raise web.HTTPNotFound()
    try:
        body = catalogue_json(lang)
    except KeyError:
        raise web.HTTPNotFound() from None
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {"Cache-Control": f"public, max-age={CATALOGUE_MAX_AGE}", "ETag": etag}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=body, content_type="application/json", charset="utf-8", headers=headers
    )


def _house(info: HouseInfo | None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = info() if info else {}
        return web.json_response(body, headers={"Cache-Control": "no-cache"})

    return handler


def add_pages(
    router: web.UrlDispatcher,
    image_dirs: Callable[[], list[Path]],
    house: HouseInfo | None = None,
) -> None:
    """The pages, their static files and lot images (the first folder holding one wins),
    their catalogues, and `house()`: what the public pages may know of the house's settings
    (none: the pages' defaults and the shipped sample rates)."""
    for path, name in PAGES.items():
        router.add_get(path, _page(name))
    router.add_static("/static", web_root(), follow_symlinks=False)
    router.add_get("/i18n/{name}", catalogue)
    router.add_get("/house.json", _house(house))

    async def image(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if "/" in name or "\\" in name or name.startswith("."):
            raise web.HTTPNotFound()
        for folder in image_dirs():
            path = folder / name
            if path.is_file():
                return web.FileResponse(path)
        raise web.HTTPNotFound()

    router.add_get("/images/{name}", image)
