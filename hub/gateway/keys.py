"""Typed application keys shared by the gateway's handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from hub.stage import Stage

STAGE: web.AppKey[Stage] = web.AppKey("stage")
