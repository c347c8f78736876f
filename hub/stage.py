"""The stage assembled: one sale's core and front doors, started and stopped in order.

This module is the composition root and nothing else. It builds the parts (sequencer and
journal, identities, the gateway's capabilities, the Mercure hub and feed, the gavel, the
relay link), hands each door only the capabilities it uses, and runs them as one ordered
list of lifecycles (`Stage._parts`). Every committed record flows one way: sequencer →
`Stage._on_commit` → hub (and any other listener: the Qt bridge, the relay outbox).

One stage per sale: the first part (`_claim`) takes the sale's lock (`hub.backend.sales.SaleLock`)
and refuses a sale that does not exist (only `--demo` writes one); after `sale_closed` the
journal's head hash is the seal (`LiveSale.snapshot` fills `sale.head`).

`Stage` keeps a few thin delegations the desktop app and the tests use (`submit`,
`snapshot`, `bidder_link`, ...); the work itself lives in `hub/feed.py`, `hub/links.py`,
`hub/live.py`, `hub/backend/registration.py` and the gateway. `auctionmen serve` is
`hub/serve.py`.
"""

from __future__ import annotations

import datetime
import gc
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from hub.auction.catalogue import demo_sale, sale_commands
from hub.auction.engine import Engine
from hub.auction.events import SYSTEM, Actor
from hub.backend import house, rates
from hub.backend.cashier import Cashier
from hub.backend.consignors import ConsignorStore
from hub.backend.identities import IdentityStore
from hub.backend.kyc import Kyc, PolicyRegistrar
from hub.backend.numbering import Numbering
from hub.backend.registration import Registration
from hub.backend.sales import SaleError, SaleLock, check_sale_id, describe_sales, list_sales
from hub.backend.sar import OfficerDesk, OfficerNotes, answer_submit
from hub.backend.staff import StaffError, StaffStore, check_device
from hub.checkout import MoneyDesk
from hub.config import StageConfig
from hub.feed import SaleHistory, stage_hub_config, updates_for
from hub.gateway.app import Capabilities, Settings, make_app
from hub.gateway.intake import BidDoor
from hub.gateway.ratelimit import Limits
from hub.gateway.server import Guard, GuardConfig, GuardedRunner
from hub.gateway.tokens import Claims, TokenIssuer, load_or_create_key
from hub.gavel import EngineSale, GavelLink
from hub.journal.history import JournalHistory
from hub.journal.records import Record
from hub.journal.sequencer import Answer, Sequencer
from hub.links import Links
from hub.live import LiveSale, SaleResults
from hub.mercure.app import setup_mercure
from hub.mercure.hub import Hub
from hub.mercure.listen import listen_backlog
from hub.ports import Listener, StaffPass, StaffRefused
from hub.relay.link import RelayLink, StageSide, start_link
from hub.tls import Served, TlsSite, stage_hosts, stage_tls

log = logging.getLogger("auctionmen.stage")

JSON = dict[str, Any]
Part = Callable[[], AbstractAsyncContextManager[None]]


class Stage:
    """One sale on the stage. `await start()`, `url`, `await stop()`."""

    def __init__(self, config: StageConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        key = load_or_create_key(config.data_dir)
        self.issuer = TokenIssuer(key, config.sale_iri_base)
        self.sequencer = Sequencer(config.journal_path, clock=clock)
        self.identities = IdentityStore(config.data_dir / "identities.db")
        # The officer's suspicion notes: their own file, only the officer role reads it.
        self.officer_notes = OfficerNotes(config.data_dir / "officer.db", clock=clock)
        # Staff accounts: every staff token's session is checked live (revocation at once).
        self.staff = StaffStore(config.data_dir / "staff.db", clock=clock)
        self.issuer.sessions = self._session_problem
        self.registration = Registration(self.sequencer, self.identities)
        # KYC: screening and linked purchases after each registration (issue 13).
        self.kyc = Kyc(
            config.data_dir,
            config.journal_path,
            self.identities,
            self.sequencer.submit,
            lambda: self.sequencer.engine,
            clock=clock,
        )
        # The money desk: consignors in the identities file, invoice numbers house-wide.
        self.consignors = ConsignorStore(config.data_dir / "identities.db")
        self.cashier = Cashier(
            self.sequencer,
            self.identities,
            self.consignors,
            Numbering(config.data_dir),
            lambda: house.load(config.data_dir),
        )
        self.sale = LiveSale(self.sequencer, config)
        self.limits = Limits(config.bid_rate)
        self.door = BidDoor(self.issuer.verify, lambda: self.sale.sale_id, self.limits.bids)
        self.links = Links(config, self.issuer, lambda: self.sale.sale_id, self._is_online)
        self.relay_side = StageSide(
            sale=self.sale,
            door=self.door,
            submit=self.sequencer.submit,
            listen=self.add_listener,
            key=key,
            journal_path=config.journal_path,
            data_dir=config.data_dir,
        )
        self.pin = f"{secrets.randbelow(10**6):06d}"
        self.hub: Hub | None = None
        self.gavel: GavelLink | None = None
        self.relay_link: RelayLink | None = None
        self._listeners: list[Listener] = []
        self._running: AsyncExitStack | None = None
        self.sale_lock = SaleLock(config.journal_path)
        self.tls: Served | None = None  # the certificate served (None: plain HTTP)

    # -- thin delegations (the desktop app, the gavel link and tests use these) -----------

    @property
    def engine(self) -> Engine:
        """The live engine: read it on the stage loop only, never mutate it."""
        return self.sequencer.engine

    @property
    def sale_id(self) -> str:
        return self.sale.sale_id

    @property
    def sale_iri(self) -> str:
        return self.sale.sale_iri

    @property
    def url(self) -> str:
        """Where the stage listens (empty until started)."""
        return self.links.url

    @url.setter
    def url(self, value: str) -> None:
        self.links.url = value

    async def submit(self, command: JSON, actor: Actor, key: str | None = None) -> Answer:
        return await self.sequencer.submit(command, actor, key=key)

    def snapshot(self, staff: bool = False) -> JSON:
        return self.sale.snapshot(staff=staff)

    def bidders(self) -> list[JSON]:
        return self.registration.bidders()

    def add_listener(self, listener: Listener) -> None:
        """Called on the stage loop after each commit; must not block."""
        self._listeners.append(listener)

    def check_pin(self, pin: str) -> bool:
        return secrets.compare_digest(pin.strip(), self.pin)

    def base_url(self) -> str:
        return self.links.base_url()

    def _session_problem(self, claims: Claims) -> str | None:
        """Why a staff token may no longer act (None: it may)."""
        if claims.sid is not None:
            return None if self.staff.is_live(claims.sid) else "a staff member ended this session"
        if self.staff.has_accounts():
            return "this stage has staff accounts: sign in with your name and PIN"
        return None

    def revoke_session(self, sid: str, by: str) -> bool:
        """End one staff session at once: its next request gets 401 `revoked`."""
        done = self.staff.revoke(sid, by)
        if done:
            log.info("staff session %s… revoked by %s", sid[:6], by)
            if self.hub is not None:
                self.hub.drop_session(sid)  # its event streams end now, not at the next sweep
        return done

    def revoke_staff(self, staff_id: str, by: str) -> list[str]:
        """End every session of one person (a lost terminal, a shift's end)."""
        sids = self.staff.revoke_all(staff_id, by)
        if self.hub is not None:
            for sid in sids:
                self.hub.drop_session(sid)
        return sids

    def relay_base_url(self) -> str | None:
        return self.links.relay_base_url()

    def public_house(self) -> dict[str, Any]:
        """What the public pages know of the house (`/house.json`): the room's languages and
        the currency board's rates, hidden once older than the house allows."""
        today = datetime.date.fromtimestamp(self.clock())
        return rates.public_view(self.config.data_dir, today)

    def officer_desk(self) -> OfficerDesk:
        """The officer's suspicion notes of this sale (the role is checked behind)."""
        return OfficerDesk(self.officer_notes, self.sale_id, answer_submit(self.sequencer.submit))

    def bidder_link(self, paddle: str, ttl: float = 24 * 3600) -> str:
        return self.links.bidder_link(paddle, ttl)

    def clerk_link(self, ttl: float = 12 * 3600) -> str:
        return self.links.clerk_link(ttl)

    async def register_bidder(
        self,
        paddle: str,
        channel: str,
        fields: JSON,
        *,
        approved: bool,
        credit_limit: int | None = None,
        actor: Actor = SYSTEM,
    ) -> Answer:
        return await self.registration.register_bidder(
            paddle, channel, fields, approved=approved, credit_limit=credit_limit, actor=actor
        )

    async def register_online_bidder(self, fields: JSON) -> str:
        return await self.registration.register_online_bidder(fields)

    def _is_online(self, paddle: str) -> bool:
        bidder = self.engine.bidders.get(paddle)
        return bidder is not None and bidder.channel == "online"

    # -- lifecycle: one ordered list --------------------------------------------------------

    def _parts(self) -> list[Part]:
        """What runs, in start order; `stop` ends them in reverse."""
        return [
            self._claim,
            self._people,
            self._journal,
            self._feed,
            self._web,
            self._gavel,
            self._relay,
        ]

    async def start(self) -> None:
        stack = AsyncExitStack()
        try:
            for part in self._parts():
                await stack.enter_async_context(part())
        except BaseException:
            await stack.aclose()
            raise
        self._running = stack
        # The long-lived objects are built: keep the collector off them (perf-notes).
        gc.collect()
        gc.freeze()

    async def stop(self) -> None:
        stack, self._running = self._running, None
        if stack is not None:
            await stack.aclose()

    @asynccontextmanager
    async def _claim(self) -> AsyncIterator[None]:
        """The sale is ours alone while the stage runs: a second stage (or `auctionmen sale
        close`) on it is refused with the holder's pid. A sale that does not exist is not
        created by accident (only `--demo` writes one)."""
        cfg = self.config
        check_sale_id(cfg.sale)  # it names a file
        if not cfg.demo and not cfg.journal_path.exists():
            raise SaleError(missing_sale_message(cfg))
        self.sale_lock.acquire()
        try:
            yield
        finally:
            self.sale_lock.release()

    @asynccontextmanager
    async def _people(self) -> AsyncIterator[None]:
        """The identities store (opened with the stage, closed last)."""
        try:
            yield
        finally:
            self.kyc.close()
            self.consignors.close()
            self.identities.close()
            self.officer_notes.close()
            self.staff.close()

    @asynccontextmanager
    async def _journal(self) -> AsyncIterator[None]:
        """The sequencer, the one writer, and the sale its journal holds."""
        self.config.journal_path.parent.mkdir(parents=True, exist_ok=True)
        await self.sequencer.start()
        try:
            if self.config.demo and not self.engine.sale.id:
                await self._create_demo()
            if not self.engine.sale.id:
                raise SaleError(
                    f"{self.config.journal_path} holds no sale (an empty journal); "
                    + missing_sale_message(self.config, listing=False)
                )
            yield
        finally:
            await self.sequencer.stop()

    @asynccontextmanager
    async def _feed(self) -> AsyncIterator[None]:
        """Every commit goes to the hub (once it exists) and to the stage's listeners."""
        remove = self.sequencer.add_listener(self._on_commit)
        try:
            yield
        finally:
            remove()
            await self.kyc.settled()  # the checks started by registrations, before the journal

    @asynccontextmanager
    async def _web(self) -> AsyncIterator[None]:
        """The gateway and the Mercure hub on one port, the hub's history read from the
        journal."""
        cfg = self.config
        # HTTPS unless the house chose plain HTTP: the certificate is checked (or the house
        # one issued) before anything listens.
        public = urlsplit(cfg.public_url).hostname if cfg.public_url else None
        hosts = stage_hosts(cfg.host, public) if cfg.tls != "off" else ()
        tls = stage_tls(cfg.tls, cfg.data_dir, cfg.tls_cert, cfg.tls_key, hosts)
        reader = JournalHistory(cfg.journal_path)
        caps = Capabilities(
            submit=self.sequencer.submit,
            sale=self.sale,
            issuer=self.issuer,
            limits=self.limits,
            door=self.door,
            registrar=PolicyRegistrar(self.registration, cfg.data_dir),
            links=self.links,
            check_pin=self.check_pin,
            results=SaleResults(self.sequencer),
            sales=self._sales,
            money=MoneyDesk(self.cashier),
            staff=StaffDoorway(self.staff),
            officer=self.officer_desk(),
        )
        settings = Settings(
            max_body=cfg.max_body,
            cors_origins=cfg.cors_origins,
            image_dirs=(cfg.data_dir / "images",),
            behind_tls_proxy=cfg.behind_tls_proxy,
            house_info=self.public_house,
        )
        app = make_app(caps, settings)
        history = SaleHistory(reader, self.sale_id, self.sale_iri, lambda: self.sequencer.epoch)
        self.hub = setup_mercure(
            app,
            stage_hub_config(
                self.issuer.public_pem,
                cors_origins=cfg.cors_origins,
                test_secret=cfg.mercure_test_secret,
                publish_origins=cfg.mercure_publish_origins,
            ),
            [history],
        )
        self.hub.admit_session = self.staff.is_live  # a revoked terminal's streams end too
        # Handler cancellation notices a dropped subscriber at once; the larger header limits
        # let the hub itself answer oversized tokens and selector lists with 400/401. The
        # guard: header deadline, unfinished requests per address, descriptor reserve.
        guard = Guard(
            GuardConfig(
                header_timeout=cfg.header_timeout,
                max_unfinished_per_client=cfg.max_unfinished_per_client,
                fd_reserve=cfg.fd_reserve,
                trusted=cfg.trusted_networks,
            )
        )
        runner = GuardedRunner(
            app,
            guard,
            handle_signals=False,
            shutdown_timeout=2.0,
            access_log=None,
            handler_cancellation=True,
            max_field_size=96 * 1024,
            max_line_size=64 * 1024,
        )
        try:
            await runner.setup()
            site = TlsSite(
                runner,
                cfg.host,
                cfg.port,
                ssl_context=tls[0] if tls else None,
                handshake_timeout=cfg.header_timeout,
                backlog=listen_backlog(cfg.listen_backlog),
            )
            await site.start()
            port = runner.addresses[0][1]
            self.tls = tls[1] if tls else None
            self.url = f"{'https' if tls else 'http'}://{cfg.host}:{port}"
            yield
        finally:
            await runner.cleanup()
            self.hub = None
            reader.close()

    @asynccontextmanager
    async def _gavel(self) -> AsyncIterator[None]:
        """The gavel, if one is configured (the settings page may swap it: `set_gavel`)."""
        if self.config.gavel not in ("", "none"):
            self.gavel = GavelLink(EngineSale(lambda: self.engine, self.submit), self.config.gavel)
        try:
            yield
        finally:
            gavel, self.gavel = self.gavel, None
            if gavel is not None:
                await gavel.close()

    @asynccontextmanager
    async def _relay(self) -> AsyncIterator[None]:
        """The relay link: the stage dials out (venues sit behind NAT); the sale goes on if
        it cannot reach the relay."""
        if self.config.relay_url:
            self.relay_link = start_link(self.relay_side, self.config.relay_url)
        try:
            yield
        finally:
            link, self.relay_link = self.relay_link, None
            if link is not None:
                await link.close()

    async def set_gavel(
        self, spec: str, *, test_mode: bool = False, arm_on: str | None = None
    ) -> GavelLink | None:
        """Swap the gavel at run time (the settings page): close the old one, open `spec`."""
        old = self.gavel
        listeners = old.listeners if old is not None else []
        arm_on = arm_on or (old.arm_on if old is not None else "bid")
        self.gavel = None
        if old is not None:
            await old.close()
        self.config.gavel = spec
        if spec not in ("", "none"):
            self.gavel = GavelLink(
                EngineSale(lambda: self.engine, self.submit),
                spec,
                arm_on=arm_on,
                test_mode=test_mode,
                timing=old.timing if old is not None else None,
            )
            for listener in listeners:
                self.gavel.add_listener(listener)
        return self.gavel

    async def _create_demo(self) -> None:
        """The demo's catalogue as the configured sale (`--sale spring --demo`: a copy named
        spring), so the sale id always names its file."""
        sale = demo_sale()
        sale["sale"]["id"] = self.config.sale
        for command in sale_commands(sale):
            answer = await self.submit(command, SYSTEM)
            if not answer.ok:
                raise RuntimeError(f"demo sale: {command['op']} refused: {answer.message}")
        for bidder in sale.get("bidders", []):
            self.identities.add(self.sale_id, str(bidder["paddle"]), bidder)

    def _on_commit(self, records: list[Record]) -> None:
        if any(record.type == "sale_closed" for record in records):
            self._sealed()
        self._kyc_flow(records)
        hub = self.hub
        if hub is not None:
            sale_iri = self.sale_iri
            for record in records:
                for update in updates_for(record, sale_iri):
                    hub.publish(update, internal=True)
        for listener in self._listeners:
            try:
                listener(records)
            except Exception:
                log.exception("a commit listener failed")

    def _kyc_flow(self, records: list[Record]) -> None:
        """Screen and link each new bidder; link everyone again when the sale goes live."""
        for record in records:
            if record.type == "bidder_registered":
                self.kyc.registered(str(record.data["paddle"]))
            elif record.type == "sale_live":
                for paddle in list(self.engine.bidders):
                    self.kyc.registered(paddle, screen=False)

    def _sales(self) -> list[JSON]:
        """The sales in the data dir, for staff over HTTP (without their local paths)."""
        listing = [summary.to_json() for summary in list_sales(self.config.data_dir)]
        for summary in listing:
            del summary["path"]
        return listing

    def _sealed(self) -> None:
        """The sale is closed: its journal's head hash is the seal (`sale.head` in snapshots;
        `auctionmen serve` prints it)."""
        log.info("sale %s closed; journal sealed, head hash %s", self.sale_id, self.sale.head)


class StaffDoorway:
    """The gateway's per-person pairing (`hub.ports.StaffDoor`) over the staff store."""

    def __init__(self, store: StaffStore) -> None:
        self._store = store

    def has_accounts(self) -> bool:
        return self._store.has_accounts()

    def pair(self, who: object, pin: object, label: object) -> StaffPass:
        if not isinstance(label, str):
            raise StaffRefused("invalid", "the device label must be text")
        try:
            device = check_device(f"terminal:{label}")  # before any argon2 work
            account = self._store.verify_pin(who, pin)
            session = self._store.open_session(account.id, device)
        except StaffError as exc:
            raise StaffRefused(exc.reason, exc.message, exc.retry_after) from None
        return StaffPass(
            account.id, account.name, account.roles, session.sid, session.device, session.expires
        )


def missing_sale_message(config: StageConfig, listing: bool = True) -> str:
    """Why a stage cannot start on `config.sale`, with the sales it could start on."""
    data_dir = config.data_dir
    hint = (
        f"create it with `auctionmen sale new --id {config.sale} --title TITLE "
        f"--data-dir {data_dir}`, or start the demo with --demo"
    )
    if not listing:
        return hint
    sales = describe_sales(list_sales(data_dir))
    return f"no sale '{config.sale}' in {data_dir / 'sales'} (sales there: {sales}); {hint}"


def start_relay_link(stage: Stage, relay_url: str, **options: Any) -> RelayLink:
    """Link a running stage to the relay at `relay_url` (tests and benchmarks; the stage
    starts its own when `relay_url` is configured). `await link.close()` before `stop()`."""
    return start_link(stage.relay_side, relay_url, **options)


__all__ = ["Stage", "missing_sale_message", "start_relay_link"]
