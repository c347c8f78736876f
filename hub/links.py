"""The addresses people are given: the stage's public URL, bidder and clerk links.

A phone needs an address it can reach (a loopback URL is useless in a QR code), and an
online bidder bids from home, through the relay when there is one. Reads the config live:
the settings page may change the relay while the stage runs.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hub.config import StageConfig
from hub.gateway.tokens import TokenIssuer

# The address the last stage of a data dir gave people, so `auctionmen token --link` (another
# process) prints links that work: `{data_dir}/stage-address.json`.
ADDRESS_FILE = "stage-address.json"
URL_LIMIT = 300


def lan_address() -> str:
    """This machine's address as its own name resolves (no traffic), else loopback."""
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
    return address


def check_url(url: object, what: str = "url") -> str:
    """A base address people can open: http(s)://host[:port][/path], no query or fragment.
    Returns it without a trailing slash; raises ValueError saying what is wrong."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"{what}: an address like https://192.168.1.20:8765")
    text = url.strip()
    if len(text) > URL_LIMIT or not text.isascii() or not text.isprintable() or " " in text:
        raise ValueError(f"{what} {text[:70]!r}: not an address like https://192.168.1.20:8765")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- raises on a malformed port
    except ValueError:
        raise ValueError(
            f"{what} {text[:70]!r}: the port is not a number from 0 to 65535"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} {text[:70]!r}: must start with http:// or https:// and a host")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{what} {text[:70]!r}: no user, query (?) or fragment (#) allowed")
    return text.rstrip("/")


def record_address(data_dir: Path, sale: str, listen_url: str, base_url: str) -> None:
    """Remember where this stage is reached (written atomically; a failure only logs)."""
    body = {"sale": sale, "url": listen_url, "base_url": base_url, "pid": os.getpid()}
    path = Path(data_dir) / ADDRESS_FILE
    tmp = path.with_name(f".{ADDRESS_FILE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(body), "utf-8")
    os.replace(tmp, path)


def recorded_address(data_dir: Path) -> dict[str, Any] | None:
    """What `record_address` wrote last, if it is readable and sane (else None)."""
    try:
        raw = json.loads((Path(data_dir) / ADDRESS_FILE).read_text("utf-8"))
        base = check_url(raw["base_url"], "base_url")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {"sale": str(raw.get("sale") or ""), "base_url": base}


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
