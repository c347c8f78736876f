"""Typed application keys: one per capability the gateway's handlers use.

The stage (the composition root) puts the real objects here; a handler reads only the keys it
needs, so each handler says what it depends on and a test can hand it a fake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from hub.gateway.intake import BidDoor
from hub.gateway.ratelimit import Limits
from hub.gateway.tokens import TokenIssuer
from hub.ports import LinkBuilder, Money, Registrar, Results, SaleView, StaffDoor, Submit

SUBMIT: web.AppKey[Submit] = web.AppKey("submit")
"""Sequence a command (bids and staff commands)."""
SALE: web.AppKey[SaleView] = web.AppKey("sale")
"""The running sale: ids, snapshots, a bidder's view."""
ISSUER = web.AppKey("issuer", TokenIssuer)
"""Verifies callers' tokens and signs clerk tokens for paired terminals."""
BID_DOOR = web.AppKey("bid_door", BidDoor)
"""The one bid intake (`hub/gateway/intake.py`)."""
LIMITS = web.AppKey("limits", Limits)
"""Rate limits per bidder and per client address."""
REGISTRAR: web.AppKey[Registrar] = web.AppKey("registrar")
"""Web sign-ups and the staff list of bidders with names."""
LINKS: web.AppKey[LinkBuilder] = web.AppKey("links")
"""Bidder links (approved bidders get theirs, with a QR code)."""
PAIRING: web.AppKey[Callable[[str], bool]] = web.AppKey("pairing")
"""Checks the PIN the stage screen shows (clerk terminals pair with it)."""
RESULTS: web.AppKey[Results] = web.AppKey("results")
"""The sale's results, lot by lot (`hub.backend.results`)."""
SALES: web.AppKey[Callable[[], list[dict[str, Any]]]] = web.AppKey("sales")
"""Every sale in the stage's data dir (`hub.backend.sales.list_sales`), for staff."""
BEHIND_TLS_PROXY = web.AppKey("behind_tls_proxy", bool)
"""Clients reach us over https even when this connection is plain: cookies are Secure."""
MONEY: web.AppKey[Money] = web.AppKey("money")
"""The cashier's desk: accounts, invoices, payments, releases and their documents."""
STAFF: web.AppKey[StaffDoor] = web.AppKey("staff")
"""Staff accounts: per-person pairing (absent: only the stage PIN pairs)."""
