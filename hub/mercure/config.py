"""Hub configuration: one frozen dataclass, loadable from a TOML or JSON file."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .listen import DEFAULT_BACKLOG, check_backlog

HS_ALGS = ("HS256", "HS384", "HS512")
ASYMMETRIC_ALGS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)


class ConfigError(ValueError):
    """Refuse to start rather than run with a dangerous key setup."""


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One verification key with its explicit algorithm allowlist.

    ``key`` is an HMAC secret (algorithms HS*) or a PEM public key (asymmetric algorithms).
    ``use`` is "publish", "subscribe" or "both". ``issuer`` binds the key to one ``iss``.
    """

    key: str
    algorithms: tuple[str, ...] = ("HS256",)
    use: str = "both"
    issuer: str | None = None
    kid: str | None = None

    def __post_init__(self) -> None:
        if not self.algorithms or "none" in (a.lower() for a in self.algorithms):
            raise ConfigError("a key needs an explicit, non-'none' algorithm list")
        is_pem = self.key.lstrip().startswith("-----BEGIN")
        hs = [a for a in self.algorithms if a in HS_ALGS]
        asym = [a for a in self.algorithms if a in ASYMMETRIC_ALGS]
        if len(hs) + len(asym) != len(self.algorithms):
            raise ConfigError(f"unknown algorithm in {self.algorithms}")
        if hs and asym:
            raise ConfigError("never mix HMAC and asymmetric algorithms on one key")
        if is_pem and hs:
            raise ConfigError("a PEM key with an HS* algorithm is refused (key confusion)")
        if not is_pem and asym:
            raise ConfigError("asymmetric algorithms need a PEM public key")
        if hs and len(self.key.encode()) < 32:
            raise ConfigError("HMAC secrets must be at least 32 bytes")
        if self.use not in ("publish", "subscribe", "both"):
            raise ConfigError(f"invalid key use {self.use!r}")


@dataclass(frozen=True, slots=True)
class HubConfig:
    """Everything the hub needs; defaults are the safe ones (mercure.md §3)."""

    keys: tuple[KeySpec, ...] = ()
    hub_path: str = "/.well-known/mercure"
    # Pinned public URL of the hub (token ``aud`` / resource identifier, relative patterns).
    public_url: str = "https://localhost/.well-known/mercure"
    issuers: tuple[str, ...] = ()  # accepted ``iss`` for 1.0 tokens; empty = any
    audiences: tuple[str, ...] = ()  # accepted ``aud``; empty = (public_url,)
    v0_require_exp: bool = False  # 0.x tokens often have no exp (conformance token)
    enable_v0: bool = True  # speak draft-07 too (protocol compatibility 7)
    enable_v0_query_authorization: bool = False
    allow_anonymous: bool = False
    cors_origins: tuple[str, ...] = ()  # "*" = any origin, without credentials
    publish_origins: tuple[str, ...] = ()  # CSRF allowlist for cookie-authenticated POST
    publish_same_origin: bool = False  # also the hub's own origin (the request's Host)
    cookie_name_v1: str = "__Secure-mercure_access_token"
    cookie_name_v0: str = "mercureAuthorization"
    subscriptions: bool = False  # subscription events + API
    heartbeat: float = 40.0  # seconds; 0 disables
    write_timeout: float = 600.0  # max stream life (randomised 80-100 %); 0 = off
    dispatch_timeout: float = 5.0  # max time a write may sit in a kernel/transport buffer
    max_write_buffer: int = 256 * 1024  # bytes queued in a transport before we drop it
    sweep_interval: float = 1.0  # liveness/heartbeat pass
    flush_slice: int = 1000  # subscribers written per slice before yielding
    history_size: int = 100_000  # in-memory ring (0 = no history)
    max_body_size: int = 1024 * 1024
    max_topics: int = 1000  # per publication
    max_topic_length: int = 4096
    max_selectors: int = 1000  # per subscription request
    max_selector_length: int = 4096
    max_token_length: int = 48 * 1024  # 1,000 grants fit; a 64 KiB token does not
    max_grants: int = 1000
    max_subscribers: int = 0  # open streams in all; 0 = only the fd limit
    max_per_client: int = 0  # open streams per client address; 0 = no limit
    leeway: float = 5.0
    serve_root_page: bool = False  # the conformance suites need a page at "/"
    # Connections the kernel queues for accept() (standalone hub; listen.py says why).
    listen_backlog: int = DEFAULT_BACKLOG

    def __post_init__(self) -> None:
        if not self.hub_path.startswith("/") or self.hub_path.endswith("/"):
            raise ConfigError("hub_path must start with '/' and not end with '/'")
        try:
            check_backlog(self.listen_backlog)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    @property
    def accepted_audiences(self) -> tuple[str, ...]:
        return self.audiences or (self.public_url,)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> HubConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ConfigError(f"unknown config keys: {sorted(unknown)}")
        args = dict(raw)
        if "keys" in args:
            args["keys"] = tuple(
                KeySpec(**{**k, "algorithms": tuple(k.get("algorithms", ("HS256",)))})
                for k in args["keys"]
            )
        for name in ("issuers", "audiences", "cors_origins", "publish_origins"):
            if name in args:
                args[name] = tuple(args[name])
        return cls(**args)

    @classmethod
    def from_file(cls, path: str | Path) -> HubConfig:
        p = Path(path)
        text = p.read_text(encoding="utf-8")
        raw = json.loads(text) if p.suffix == ".json" else tomllib.loads(text)
        section = raw.get("mercure", raw)
        return cls.from_mapping(section)


def conformance_config(**overrides: Any) -> HubConfig:
    """The configuration the official conformance suites expect (mercure.md §2.2)."""
    base: dict[str, Any] = dict(
        keys=(KeySpec("!ChangeThisMercureHubJWTSecretKey!", ("HS256",)),),
        public_url="https://localhost/.well-known/mercure",
        issuers=("https://localhost",),
        allow_anonymous=True,
        subscriptions=True,
        cors_origins=("*",),
        publish_origins=("*",),
        serve_root_page=True,
    )
    base.update(overrides)
    return HubConfig(**base)


__all__ = ["ConfigError", "HubConfig", "KeySpec", "conformance_config"]
