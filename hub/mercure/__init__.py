"""hub/mercure: an embeddable Mercure hub (draft-08 and draft-07) for aiohttp."""

from .app import (
    HUB_KEY,
    add_discovery_link,
    discovery_link,
    make_mercure_app,
    setup_mercure,
)
from .config import HubConfig, KeySpec, conformance_config
from .errors import HubError
from .history import HistoryRouter, HistorySource, MemoryHistory
from .hub import Hub
from .update import Update

__all__ = [
    "HUB_KEY",
    "HistoryRouter",
    "HistorySource",
    "Hub",
    "HubConfig",
    "HubError",
    "KeySpec",
    "MemoryHistory",
    "Update",
    "add_discovery_link",
    "conformance_config",
    "discovery_link",
    "make_mercure_app",
    "setup_mercure",
]
