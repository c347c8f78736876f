"""The stage core assembled: sequencer + journal, Mercure hub and gateway on one event loop.

`Stage` is what `auctionmen serve` runs and what the desktop app runs on its own thread.
Every committed record flows one way: sequencer → `Stage._on_commit` → hub (and any other
listener: the Qt bridge, the relay outbox).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import secrets
import socket
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from hub.auction.catalogue import demo_sale, sale_commands
from hub.auction.events import PUBLIC, STAFF, SYSTEM, Actor, canonical_json
from hub.backend.identities import IdentityStore
from hub.config import StageConfig
from hub.gateway.app import make_app
from hub.gateway.ratelimit import RateLimiter
from hub.gateway.tokens import STAFF_ROLES, Claims, TokenIssuer, load_or_create_key
from hub.gavel import EngineSale, GavelLink
from hub.journal.db import JournalError
from hub.journal.history import JournalHistory
from hub.journal.records import Record
from hub.journal.sequencer import Answer, Sequencer
from hub.mercure.app import raise_open_file_limit, setup_mercure
from hub.mercure.config import HubConfig, KeySpec, conformance_config
from hub.mercure.hub import Hub
from hub.mercure.update import Update
from hub.relay.link import RelayLink, start_link
from hub.runtime import until_stopped

log = logging.getLogger("auctionmen.stage")

JSON = dict[str, Any]


# Browsers wait ~3 s before reconnecting an EventSource unless told otherwise.
RECONNECT_MS = 1000


def lan_address() -> str:
    """This machine's address as its own name resolves (no traffic), else loopback."""
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
    return address


def event_id(sale: str, epoch: int, seq: int, view: str) -> str:
    """The Mercure id of a record's update: `{sale}:{epoch}:{seq}:{p|s}`."""
    return f"{sale}:{epoch}:{seq}:{view}"


def parse_event_id(value: str) -> tuple[str, int, int, str] | None:
    parts = value.rsplit(":", 3)
    if len(parts) != 4 or parts[3] not in ("p", "s"):
        return None
    try:
        return parts[0], int(parts[1]), int(parts[2]), parts[3]
    except ValueError:
        return None


def updates_for(record: Record, sale_iri: str) -> list[Update]:
    """The Mercure updates one journal record becomes, in delivery order (p, then s).

    Public events go to the room topic; staff-only events that concern bidders go privately
    to those bidders' topics (with the public view of the lot); every event goes to staff
    with the staff view (reserve, books, identities).
    """
    out: list[Update] = []
    sale = record.sale
    retry = RECONNECT_MS
    # Canonical JSON: a replayed update is byte for byte the live one (and the relay's).
    public_body = canonical_json(record.wire(PUBLIC))
    if record.is_public:
        out.append(Update((f"{sale_iri}/room",), public_body,
                          event_id(sale, record.epoch, record.seq, "p"), retry=retry))
    elif record.bidders:
        topics = tuple(f"{sale_iri}/bidders/{p}" for p in record.bidders)
        out.append(Update(topics, public_body, event_id(sale, record.epoch, record.seq, "p"),
                          private=True, retry=retry))
    staff_body = canonical_json(record.wire(STAFF))
    out.append(Update((f"{sale_iri}/staff",), staff_body,
                      event_id(sale, record.epoch, record.seq, "s"), private=True, retry=retry))
    return out


class SaleHistory:
    """Mercure history for the sale's topics, read from the journal (the legal record).

    Seeks by `seq` (the primary key), so resuming from any point costs O(log n).
    """

    def __init__(self, reader: JournalHistory, sale: str, sale_iri: str) -> None:
        self.reader = reader
        self.sale = sale
        self.sale_iri = sale_iri

    def after(self, last_event_id: str) -> Iterable[Update] | None:
        parsed = parse_event_id(last_event_id)
        if parsed is None or parsed[0] != self.sale:
            return None
        _, _, seq, view = parsed
        last = self.reader.last_seq()
        if seq > last or seq < 0:
            return None
        out: list[Update] = []
        current = self.reader.get(seq) if view == "p" else None
        if current is not None:
            # The staff update of the same record is delivered after its public one.
            out.extend(u for u in updates_for(current, self.sale_iri) if u.id.endswith(":s"))
        for record in self.reader.after(seq):
            out.extend(updates_for(record, self.sale_iri))
        return out

    def earliest(self) -> Iterable[Update]:
        out: list[Update] = []
        for record in self.reader.after(0):
            out.extend(updates_for(record, self.sale_iri))
        return out

    def last_id(self) -> str | None:
        record = self.reader.get(self.reader.last_seq())
        if record is None:
            return None
        return event_id(self.sale, record.epoch, record.seq, "s")


class Stage:
    """One sale on the stage: the narrow interface the gateway, the app and tests use."""

    def __init__(self, config: StageConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.sale_id = config.sale
        self.sale_iri = config.sale_iri(config.sale)
        self.issuer = TokenIssuer(load_or_create_key(config.data_dir), config.sale_iri_base)
        self.sequencer = Sequencer(config.journal_path, clock=clock)
        self.identities = IdentityStore(config.data_dir / "identities.db")
        self.bid_limiter = RateLimiter(config.bid_rate, config.bid_rate * 2)
        self.pair_limiter = RateLimiter(0.2, 5)
        self.register_limiter = RateLimiter(0.5, 5)
        self.pin = f"{secrets.randbelow(10**6):06d}"
        self.hub: Hub | None = None
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._reader: JournalHistory | None = None
        self.gavel: GavelLink | None = None
        self.relay_link: RelayLink | None = None
        self._listeners: list[Callable[[list[Record]], None]] = []

    # -- the narrow interface -------------------------------------------------

    @property
    def engine(self) -> Any:
        return self.sequencer.engine

    async def submit(self, command: JSON, actor: Actor, key: str | None = None) -> Answer:
        return await self.sequencer.submit(command, actor, key=key)

    def snapshot(self, staff: bool = False) -> JSON:
        snap: JSON = self.engine.snapshot(staff=staff)
        snap["epoch"] = self.sequencer.epoch
        return snap

    def bidders(self) -> list[JSON]:
        """Every registered bidder with their name (staff only: names are personal data)."""
        out = []
        for paddle, bidder in sorted(self.engine.bidders.items()):
            row: JSON = bidder.to_json()
            identity = self.identities.get(self.sale_id, paddle)
            row["name"] = identity["name"] if identity else ""
            out.append(row)
        return out

    def add_listener(self, listener: Callable[[list[Record]], None]) -> None:
        """Called on the stage loop after each commit; must not block."""
        self._listeners.append(listener)

    def topics(self, claims: Claims) -> JSON:
        topics = {"room": f"{self.sale_iri}/room"}
        if claims.role in STAFF_ROLES:
            topics["staff"] = f"{self.sale_iri}/staff"
        elif claims.paddle:
            topics["mine"] = f"{self.sale_iri}/bidders/{claims.paddle}"
        return topics

    def check_pin(self, pin: str) -> bool:
        return secrets.compare_digest(pin.strip(), self.pin)

    def base_url(self) -> str:
        """The address phones use: the configured public URL, else this machine's own
        address when listening on every interface (a loopback URL is useless in a QR code)."""
        if self.config.public_url:
            return self.config.public_url
        if self.config.host in ("0.0.0.0", "::", "") and self.url:
            port = self.url.rsplit(":", 1)[1]
            return f"http://{lan_address()}:{port}"
        return self.url

    def bidder_link(self, paddle: str, ttl: float = 24 * 3600) -> str:
        """An online bidder bids from home, through the relay when there is one; everyone
        else is in the room, on the venue's network."""
        token = self.issuer.issue("bidder", self.sale_id, paddle=paddle, ttl=ttl)
        bidder = self.engine.bidders.get(paddle)
        relay = self.relay_base_url()
        online = bidder is not None and bidder.channel == "online"
        base = relay if relay and online else self.base_url()
        return f"{base}/bid#token={token}"

    def relay_base_url(self) -> str | None:
        cfg = self.config
        if cfg.relay_public_url:
            return cfg.relay_public_url.rstrip("/")
        if cfg.relay_url:
            return cfg.relay_url.split(",")[0].strip().rstrip("/") or None
        return None

    def clerk_link(self, ttl: float = 12 * 3600) -> str:
        token = self.issuer.issue("clerk", self.sale_id, ttl=ttl)
        return f"{self.base_url()}/clerk#token={token}"

    async def register_bidder(self, paddle: str, channel: str, fields: JSON, *,
                              approved: bool, credit_limit: int | None = None,
                              actor: Actor = SYSTEM) -> Answer:
        """A bidder registered at the desk (or by phone). Approved at once when staff checked
        their identity; name and contact go to the identities store, never the journal."""
        answer = await self.submit(
            {"op": "register_bidder", "paddle": paddle, "channel": channel,
             "status": "approved" if approved else "pending", "credit_limit": credit_limit},
            actor)
        if answer.ok and any(fields.get(k) for k in ("name", "email", "phone")):
            self.identities.add(self.sale_id, str(paddle).strip(), fields)
        return answer

    async def register_online_bidder(self, fields: JSON) -> str:
        for _ in range(20):
            paddle = self.identities.next_online_paddle(self.sale_id, set(self.engine.bidders))
            answer = await self.register_bidder(paddle, "online", fields, approved=False)
            if answer.ok:
                return paddle
        raise RuntimeError("could not allocate a paddle")

    # -- lifecycle ------------------------------------------------------------

    def _hub_config(self) -> HubConfig:
        keys = [KeySpec(self.issuer.public_pem.decode(), ("EdDSA",), use="subscribe",
                        issuer="auctionmen-stage")]
        audiences, issuers = ["auctionmen"], ["auctionmen-stage"]
        extra: dict[str, Any] = {}
        if self.config.mercure_test_secret:
            # The official conformance suites publish with their own HS256 token
            # (iss https://localhost, aud the reference hub's URL): test configuration only.
            conformance = conformance_config()
            keys.append(KeySpec(self.config.mercure_test_secret, ("HS256",),
                                issuer="https://localhost"))
            audiences.append(conformance.public_url)
            issuers.append("https://localhost")
            extra = {"subscriptions": True, "publish_origins": ("*",)}
        return HubConfig(
            keys=tuple(keys),
            audiences=tuple(audiences),
            issuers=tuple(issuers),
            allow_anonymous=True,  # the room display and public pages need no token
            cors_origins=self.config.cors_origins,
            history_size=5_000,
            heartbeat=15.0,
            **extra,
        )

    async def start(self) -> None:
        self.config.journal_path.parent.mkdir(parents=True, exist_ok=True)
        await self.sequencer.start()
        if self.config.demo and not self.engine.sale.id:
            await self._create_demo()
        if not self.engine.sale.id:
            raise RuntimeError(
                f"no sale '{self.sale_id}' in {self.config.journal_path}; start with --demo"
            )
        self.sale_id = self.engine.sale.id
        self.sale_iri = self.config.sale_iri(self.sale_id)
        self._reader = JournalHistory(self.config.journal_path)
        app = make_app(self)
        history = SaleHistory(self._reader, self.sale_id, self.sale_iri)
        self.hub = setup_mercure(app, self._hub_config(), [history])
        self.sequencer.add_listener(self._on_commit)
        # Handler cancellation notices a dropped subscriber at once; the larger header limits
        # let the hub itself answer oversized tokens and selector lists with 400/401.
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2.0,
                                     access_log=None, handler_cancellation=True,
                                     max_field_size=96 * 1024, max_line_size=64 * 1024)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self.config.host}:{port}"
        if self.config.gavel not in ("", "none"):
            self.gavel = GavelLink(EngineSale(lambda: self.engine, self.submit),
                                   self.config.gavel)
        if self.config.relay_url:
            # The stage dials out (venues sit behind NAT); the sale goes on if it cannot.
            self.relay_link = start_link(self, self.config.relay_url)
        # The long-lived objects are built: keep the collector off them (perf-notes).
        gc.collect()
        gc.freeze()

    async def set_gavel(self, spec: str, *, test_mode: bool = False,
                        arm_on: str | None = None) -> GavelLink | None:
        """Swap the gavel at run time (the settings page): close the old one, open `spec`."""
        old = self.gavel
        listeners = old.listeners if old is not None else []
        arm_on = arm_on or (old.arm_on if old is not None else "bid")
        self.gavel = None
        if old is not None:
            await old.close()
        self.config.gavel = spec
        if spec not in ("", "none"):
            self.gavel = GavelLink(EngineSale(lambda: self.engine, self.submit), spec,
                                   arm_on=arm_on, test_mode=test_mode,
                                   timing=old.timing if old is not None else None)
            for listener in listeners:
                self.gavel.add_listener(listener)
        return self.gavel

    async def _create_demo(self) -> None:
        sale = demo_sale()
        for command in sale_commands(sale):
            answer = await self.submit(command, SYSTEM)
            if not answer.ok:
                raise RuntimeError(f"demo sale: {command['op']} refused: {answer.message}")
        for bidder in sale.get("bidders", []):
            self.identities.add(self.sale_id, str(bidder["paddle"]), bidder)

    def _on_commit(self, records: list[Record]) -> None:
        hub = self.hub
        if hub is not None:
            for record in records:
                for update in updates_for(record, self.sale_iri):
                    hub.publish(update, internal=True)
        for listener in self._listeners:
            try:
                listener(records)
            except Exception:
                log.exception("a commit listener failed")

    async def stop(self) -> None:
        if self.relay_link is not None:
            await self.relay_link.close()
        if self.gavel is not None:
            await self.gavel.close()
        if self.hub is not None:
            await self.hub.close()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.sequencer.stop()
        if self._reader is not None:
            self._reader.close()
        self.identities.close()


def _log_json(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "at": time.time(), **fields}), flush=True)


async def serve_forever(config: StageConfig, stop: asyncio.Event | None = None) -> None:
    stage = Stage(config)
    await stage.start()
    _log_json("serving", url=stage.url, sale=stage.sale_id, pin=stage.pin,
              journal=str(config.journal_path),
              gavel=config.gavel)
    if not config.json_logs:
        print(f"Auctionmen stage for sale '{stage.sale_id}' at {stage.url}\n"
              f"  room display: {stage.url}/room\n"
              f"  clerk PIN:    {stage.pin}   (pair a terminal at {stage.url}/clerk)\n"
              f"  bidder link:  auctionmen token --role bidder --paddle 7001 --link",
              file=sys.stderr, flush=True)
    try:
        await until_stopped(stop)
    finally:
        await stage.stop()
        _log_json("stopped")


def run_serve(config: StageConfig) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    raise_open_file_limit()
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    try:
        runner(serve_forever(config))
    except JournalError as exc:
        print(f"auctionmen serve: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(f"auctionmen serve: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"auctionmen serve: cannot listen on {config.host}:{config.port}: "
              f"{exc.strerror}", file=sys.stderr)
        return 1
    return 0
