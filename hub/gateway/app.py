"""The stage's aiohttp application: API, web pages and the Mercure hub on one port."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from hub.auction.commands import catalogue
from hub.gateway import api
from hub.gateway.keys import STAGE
from hub.gateway.openapi import document
from hub.gateway.security import cors, problems, security_headers

if TYPE_CHECKING:
    from hub.stage import Stage

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PAGES = {"/bid": "bidder.html", "/clerk": "clerk.html", "/room": "room.html",
         "/": "index.html"}


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


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())


async def command_catalogue(request: web.Request) -> web.Response:
    """Every command and key binding (`hub/auction/commands.py`): clients build from it."""
    response = web.json_response(catalogue())
    response.headers["Cache-Control"] = "no-cache"
    return response


def add_pages(router: web.UrlDispatcher, image_dirs: Callable[[], list[Path]]) -> None:
    """The web clients: pages, their static files and lot images (first folder wins)."""
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


def make_app(stage: Stage) -> web.Application:
    app = web.Application(
        client_max_size=stage.config.max_body,
        middlewares=[problems, api.problem_exceptions, security_headers,
                     cors(stage.config.cors_origins)],
    )
    app[STAGE] = stage
    r = app.router
    # Imported catalogue images first, then the shipped samples.
    add_pages(r, lambda: [stage.config.data_dir / "images", web_root() / "images"])
    r.add_get("/api/openapi.json", openapi)
    r.add_get("/api/commands", command_catalogue)
    r.add_get("/api/sales/current", api.current_sale)
    r.add_get("/api/sales/{sale}/state", api.state)
    r.add_post("/api/sales/{sale}/bids", api.bids)
    r.add_post("/api/sales/{sale}/commands", api.commands)
    r.add_post("/api/sales/{sale}/register", api.register)
    r.add_post("/api/session", api.session)
    r.add_post("/api/pair", api.pair)
    return app
