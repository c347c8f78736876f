"""The stage's aiohttp application: API, web pages and the Mercure hub on one port.

`make_app` takes the capabilities the handlers use (`Capabilities`) and stores each under its
own typed key (`hub/gateway/keys.py`); it never sees the stage that built them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from hub.auction.commands import catalogue
from hub.gateway import api
from hub.gateway import keys as K
from hub.gateway.intake import BidDoor, refusals
from hub.gateway.money import add_money_routes
from hub.gateway.officer import OfficerDesk, add_officer_routes
from hub.gateway.openapi import document
from hub.gateway.pages import add_pages, web_root
from hub.gateway.ratelimit import Limits
from hub.gateway.security import cors, problems, security_headers
from hub.gateway.tokens import TokenIssuer
from hub.ports import LinkBuilder, Money, Registrar, Results, SaleView, StaffDoor, Submit

__all__ = ["Capabilities", "Settings", "add_pages", "make_app", "web_root"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the gateway's handlers may use: each goes under its own app key."""

    submit: Submit
    sale: SaleView
    issuer: TokenIssuer
    limits: Limits
    door: BidDoor  # the one bid intake, shared with the relay link
    registrar: Registrar
    links: LinkBuilder
    check_pin: Callable[[str], bool]
    results: Results
    # The sales beside this one (blocking: read off the loop); None: no GET /api/sales.
    sales: Callable[[], list[dict[str, Any]]] | None = None
    # The cashier's desk (accounts, invoices, payments); None: no money routes.
    money: Money | None = None
    # Staff accounts (per-person pairing); None: only the stage PIN pairs.
    staff: StaffDoor | None = None
    # The officer's suspicion notes (hub/backend/sar.py); None: no officer routes.
    officer: OfficerDesk | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """How the gateway answers (from the stage config)."""

    max_body: int = 64 * 1024
    cors_origins: tuple[str, ...] = ()
    image_dirs: tuple[Path, ...] = ()  # lot images, searched in order, before the samples
    behind_tls_proxy: bool = False
    # What the public pages may know of the house (room languages, currency board): /house.json
    house_info: Callable[[], dict[str, Any]] | None = None


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())


async def command_catalogue(request: web.Request) -> web.Response:
    """Every command and key binding (`hub/auction/commands.py`): clients build from it."""
    response = web.json_response(catalogue())
    response.headers["Cache-Control"] = "no-cache"
    return response


def make_app(caps: Capabilities, settings: Settings) -> web.Application:
    app = web.Application(
        client_max_size=settings.max_body,
        middlewares=[problems, refusals, security_headers, cors(settings.cors_origins)],
    )
    app[K.SUBMIT] = caps.submit
    app[K.SALE] = caps.sale
    app[K.ISSUER] = caps.issuer
    app[K.LIMITS] = caps.limits
    app[K.BID_DOOR] = caps.door
    app[K.REGISTRAR] = caps.registrar
    app[K.LINKS] = caps.links
    app[K.PAIRING] = caps.check_pin
    app[K.RESULTS] = caps.results
    if caps.sales is not None:
        app[K.SALES] = caps.sales
    if caps.staff is not None:
        app[K.STAFF] = caps.staff
    app[K.BEHIND_TLS_PROXY] = settings.behind_tls_proxy
    r = app.router
    # Imported catalogue images first, then the shipped samples.
    add_pages(r, lambda: [*settings.image_dirs, web_root() / "images"], settings.house_info)
    r.add_get("/api/openapi.json", openapi)
    r.add_get("/api/commands", command_catalogue)
    r.add_get("/api/sales/current", api.current_sale)
    if caps.sales is not None:
        r.add_get("/api/sales", api.sales)
    r.add_get("/api/sales/{sale}/state", api.state)
    r.add_post("/api/sales/{sale}/bids", api.bids)
    r.add_post("/api/sales/{sale}/commands", api.commands)
    r.add_post("/api/sales/{sale}/register", api.register)
    r.add_get("/api/sales/{sale}/results", api.results)
    r.add_get("/api/sales/{sale}/results.csv", api.results_csv)
    r.add_post("/api/session", api.session)
    r.add_post("/api/pair", api.pair)
    add_money_routes(app, caps.money)
    add_officer_routes(app, caps.officer)
    return app
