"""The web clients: bidder, clerk, room and phone-operator pages, their static files and
lot images.

Served by the stage and by every relay node (bidders at home open the relay's pages).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path

from aiohttp import web

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


def add_pages(router: web.UrlDispatcher, image_dirs: Callable[[], list[Path]]) -> None:
    """The pages, their static files and lot images (the first folder holding one wins)."""
    for path, name in PAGES.items():
        router.add_get(path, _page(name))
    router.add_static("/static", web_root(), follow_symlinks=False)

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
