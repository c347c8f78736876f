"""The addresses people are given: the stage's public URL, bidder and clerk links.

A phone needs an address it can reach (a loopback URL is useless in a QR code), and an
online bidder bids from home, through the relay when there is one. Reads the config live:
the settings page may change the relay while the stage runs.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from hub.config import StageConfig
from hub.gateway.tokens import TokenIssuer


def lan_address() -> str:
    """This machine's address as its own name resolves (no traffic), else loopback."""
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
    return address


class Links:
    """Builds the links of one sale. `url` is where the stage listens (set once it does)."""

    def __init__(
        self,
        config: StageConfig,
        issuer: TokenIssuer,
        sale_id: Callable[[], str],
        is_online: Callable[[str], bool],
    ) -> None:
        self.config = config
        self.issuer = issuer
        self._sale_id = sale_id
        self._is_online = is_online  # registered on the online channel?
        self.url = ""

    def base_url(self) -> str:
        """The address phones use: the configured public URL, else this machine's own
        address when listening on every interface."""
        if self.config.public_url:
            return self.config.public_url
        if self.config.host in ("0.0.0.0", "::", "") and self.url:
            scheme = self.url.partition("://")[0]  # https when the stage serves TLS
            port = self.url.rsplit(":", 1)[1]
            return f"{scheme}://{lan_address()}:{port}"
        return self.url

    def relay_base_url(self) -> str | None:
        cfg = self.config
        if cfg.relay_public_url:
            return cfg.relay_public_url.rstrip("/")
        if cfg.relay_url:
            return cfg.relay_url.split(",")[0].strip().rstrip("/") or None
        return None

    def bidder_link(self, paddle: str, ttl: float = 24 * 3600) -> str:
        """An online bidder bids from home, through the relay when there is one; everyone
        else is in the room, on the venue's network."""
        token = self.issuer.issue("bidder", self._sale_id(), paddle=paddle, ttl=ttl)
        relay = self.relay_base_url()
        base = relay if relay and self._is_online(paddle) else self.base_url()
        return f"{base}/bid#token={token}"

    def clerk_link(self, ttl: float = 12 * 3600) -> str:
        token = self.issuer.issue("clerk", self._sale_id(), ttl=ttl)
        return f"{self.base_url()}/clerk#token={token}"
