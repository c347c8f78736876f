"""Where the stage keeps its files and how it listens: defaults, a TOML file, CLI flags."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

# A sale id names its journal file: the engine's rule, one pattern and one message everywhere.
from hub.auction.parse import SALE_ID, SALE_ID_RULE

SALE_IRI_BASE = "https://auctionmen.local/sales/"


class ConfigError(ValueError):
    """A config file or flag that cannot be used; the message says which and why."""


@dataclass(slots=True)
class StageConfig:
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("auctionmen")))
    host: str = "127.0.0.1"
    port: int = 8765
    sale: str = "demo"
    demo: bool = False
    sale_iri_base: str = SALE_IRI_BASE
    public_url: str | None = None  # how phones reach us, e.g. http://192.168.1.20:8765
    cors_origins: tuple[str, ...] = ()
    bid_rate: float = 5.0  # bid attempts per second per bidder (burst of twice that)
    max_body: int = 64 * 1024
    gavel: str = "none"  # a hardware source spec, e.g. "serial:/dev/ttyACM0"
    relay_url: str | None = None  # relay node(s) the stage dials, comma-separated
    # Where remote bidders open their links (default: the first relay URL), when the
    # address the stage dials is not the public one.
    relay_public_url: str | None = None
    # Clients reach the stage over https through a TLS proxy: the hub cookie is Secure even
    # though this connection is plain (a relay node has the same setting).
    behind_tls_proxy: bool = False
    json_logs: bool = False
    # The guarded server (hub/gateway/server.py, docs/OPERATIONS.md): seconds to complete a
    # request head, connections without a complete head per client address (0: no cap),
    # descriptors kept for trusted addresses, and those addresses (IPs or CIDR networks).
    header_timeout: float = 10.0
    max_unfinished_per_client: int = 256
    fd_reserve: int = 64
    trusted_networks: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    # Test-only: also accept publishes and subscriptions authorised by this HS256 secret
    # (the official Mercure conformance suites sign their own tokens).
    mercure_test_secret: str | None = None
    # Origins (besides the stage's own) whose pages may publish to the hub with the hub cookie,
    # e.g. ["https://display.example"]; "*" = any page on the web (CSRF: only for a test rig).
    mercure_publish_origins: tuple[str, ...] = ()
    # HTTPS on the LAN (hub/tls.py, docs/OPERATIONS.md): "house" serves `tls_cert`/`tls_key`
    # when given, else a certificate of the house authority in the data dir; "off" is plain
    # HTTP. Built in code the default is "off" (tests, benches); `load` (the TOML file and
    # the command line) defaults to "house", and to "off" only for the demo.
    tls: str = "off"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Connections the kernel queues for accept(): thousands of phones reconnect at once when
    # the venue's Wi-Fi comes back (hub/mercure/listen.py; capped by net.core.somaxconn).
    listen_backlog: int = 4096

    @property
    def sales_dir(self) -> Path:
        return self.data_dir / "sales"

    @property
    def journal_path(self) -> Path:
        return self.sales_dir / f"{self.sale}.db"

    def sale_iri(self, sale: str | None = None) -> str:
        return f"{self.sale_iri_base}{sale or self.sale}"

    @classmethod
    def load(cls, path: Path | None = None, **overrides: Any) -> StageConfig:
        values: dict[str, Any] = {}
        if path is not None:
            try:
                raw = tomllib.loads(path.read_text("utf-8"))
            except OSError as exc:
                raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"config {path} is not valid TOML: {exc}") from exc
            # [house] holds house.json's fields (the CLI saves them), not stage settings.
            values.update(raw.get("stage", {k: v for k, v in raw.items() if k != "house"}))
        values.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"]).expanduser()
        if "cors_origins" in values:
            values["cors_origins"] = tuple(values["cors_origins"])
        if "mercure_publish_origins" in values:
            values["mercure_publish_origins"] = _origins(values["mercure_publish_origins"])
        if "trusted_networks" in values:
            values["trusted_networks"] = _networks(values["trusted_networks"])
        _tls(values)
        config = cls(**values)
        _check_guard(config)
        if not isinstance(config.sale, str) or not SALE_ID.fullmatch(config.sale):
            raise ConfigError(f"sale {str(config.sale)[:70]!r}: {SALE_ID_RULE}")
        if not (0 <= config.port <= 65535):
            raise ConfigError(f"port {config.port} is out of range")
        backlog = config.listen_backlog
        if isinstance(backlog, bool) or not isinstance(backlog, int) or not 1 <= backlog <= 1 << 20:
            raise ConfigError(f"listen_backlog {str(backlog)[:40]!r}: a whole number, 1 to 1048576")
        return config


def _origins(raw: object) -> tuple[str, ...]:
    """A list of web origins (`scheme://host[:port]`, or `*`), deduplicated, in order."""
    if not isinstance(raw, list | tuple) or len(raw) > 100:
        raise ConfigError("mercure_publish_origins must be a list of at most 100 origins")
    out: list[str] = []
    for item in raw:
        if not isinstance(item, str) or not _is_origin(item):
            shown = repr(item)[:70]
            raise ConfigError(
                f"mercure_publish_origins: {shown} is not an origin like https://host:port or *"
            )
        if item not in out:
            out.append(item)
    return tuple(out)


def _is_origin(value: str) -> bool:
    if value == "*":
        return True
    if len(value) > 300 or not value.isascii() or not value.isprintable():
        return False
    try:
        u = urlsplit(value)
        u.port  # noqa: B018 -- raises on a malformed port
    except ValueError:
        return False
    return (
        u.scheme in ("http", "https")
        and bool(u.hostname)
        and f"{u.scheme}://{u.netloc}" == value
        and not (u.username or u.password)
        and value == value.lower()
    )


def _networks(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple) or len(raw) > 100:
        raise ConfigError("trusted_networks must be a list of at most 100 addresses or networks")
    for item in raw:
        try:
            if not isinstance(item, str):
                raise TypeError(item)
            ipaddress.ip_network(item, strict=False)
        except (TypeError, ValueError):
            raise ConfigError(
                f"trusted_networks: {repr(item)[:70]} is not an address or CIDR like 192.168.1.0/24"
            ) from None
    return tuple(raw)


def _check_guard(config: StageConfig) -> None:
    """The guarded server's numbers (the same bounds as hub.gateway.server.GuardConfig)."""
    timeout = config.header_timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 3600:
        raise ConfigError(
            f"header_timeout {str(timeout)[:40]!r}: seconds, more than 0, at most 3600"
        )
    for name in ("max_unfinished_per_client", "fd_reserve"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**6:
            raise ConfigError(f"{name} {str(value)[:40]!r}: a whole number from 0 to 1000000")


def _tls(values: dict[str, Any]) -> None:
    """HTTPS unless the house chooses plain HTTP (`tls = "off"`; the demo's default)."""
    for name in ("tls_cert", "tls_key"):
        raw = values.get(name)
        if raw is None:
            continue
        if not isinstance(raw, str | Path) or not str(raw).strip() or len(str(raw)) > 4096:
            raise ConfigError(f"{name}: the path of a PEM file")
        values[name] = Path(raw).expanduser()
    files = [name for name in ("tls_cert", "tls_key") if values.get(name) is not None]
    if len(files) == 1:
        other = "tls_key" if files == ["tls_cert"] else "tls_cert"
        raise ConfigError(f"{files[0]} is set but {other} is not: give both, or neither")
    if "tls" not in values:
        values["tls"] = "house" if files or not values.get("demo") else "off"
    mode = values["tls"]
    if mode not in ("house", "off"):
        raise ConfigError(
            f'tls {str(mode)[:40]!r}: "house" (HTTPS: tls_cert/tls_key, else the house '
            'certificate authority) or "off" (plain HTTP)'
        )
    if mode == "off" and files:
        raise ConfigError('tls = "off" but tls_cert/tls_key are set: choose one')
    public = values.get("public_url")
    if mode == "house" and isinstance(public, str) and public.lower().startswith("http://"):
        raise ConfigError(
            f"public_url {public[:80]!r} is http:// but the stage serves HTTPS: "
            'use https://, or tls = "off"'
        )
