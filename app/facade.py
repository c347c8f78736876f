"""The one narrow, thread-safe interface between the Qt UI and the core. No Qt here.

`CoreThread` runs the `Stage` (sequencer, journal, Mercure hub, gateway) and the gavel on
their own asyncio loop (uvloop where available) in a dedicated thread. The UI calls named,
typed operations (`staff_snapshot`, `register_bidder`, `import_catalogue`, `set_gavel`,
`submit`, ...; see "operations" below), each returning a `concurrent.futures.Future[T]`
resolved on the core loop; `CoreBridge.deliver` hands the result (or the error) back to the Qt
thread. Committed records arrive through `on_records`, called on the core thread (the bridge
turns that into a queued signal). No UI code ever receives the stage, and a blocked UI never
delays a bid or a broadcast.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from app.catalogue_import import ImportPlan, RowVerdict
from app.importer import (
    BidderTarget,
    CatalogueTarget,
    Progress,
    lot_fields,
    preview_bidders,
    preview_import,
    run_bidder_import,
    run_import,
    sale_status,
)
from hub.auction.events import Actor
from hub.auction.roles import ALL_STAFF_ROLES
from hub.config import StageConfig
from hub.gavel import GavelLink, GavelStatus
from hub.journal.records import Record
from hub.journal.sequencer import Answer

if TYPE_CHECKING:
    from hub.auction.engine import Engine
    from hub.backend.consignors import ConsignorStore
    from hub.backend.sales import SaleSummary
    from hub.backend.statements import AccountDoc, SettlementDoc
    from hub.relay.link import RelayStatus
    from hub.stage import Stage

log = logging.getLogger("auctionmen.core")

T = TypeVar("T")
JSON = dict[str, Any]
# The desktop with no staff accounts is the whole house (issue 13): the owner, every role.
OWNER = Actor("auctioneer", name="owner", roles=ALL_STAFF_ROLES, device="desktop")
AUCTIONEER = OWNER  # the name older callers use
DESK = "desk"  # who the desk's money operations are by (the journal's `by`)

RecordsCallback = Callable[[list[JSON]], None]
GavelCallback = Callable[[GavelStatus], None]


class NotAllowed(RuntimeError):
    """The person signed in on the desktop may not do this (a RuntimeError: the bridge hands
    it to the caller's error half)."""


@dataclass(frozen=True, slots=True)
class CoreInfo:
    """What the window shows about the running core."""

    url: str
    sale: str
    pin: str
    bidder_join: str  # the public registration page
    clerk_link: str  # signed clerk link (token in the fragment)
    data_dir: str
    gavel: GavelStatus


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:  # Windows, or not installed
        return asyncio.new_event_loop()


def _catalogue_target(stage: Stage) -> CatalogueTarget:
    """What a catalogue import may see of the sale (read on the core loop)."""
    engine = stage.engine
    return CatalogueTarget(
        frozenset(engine.lots),
        engine.sale.settings.currency,
        Path(stage.config.data_dir) / "images",
        stage.submit,
        existing=lot_fields(engine.state),
        status=sale_status(engine.state),
    )


def _bidder_target(stage: Stage) -> BidderTarget:
    engine = stage.engine
    return BidderTarget(
        frozenset(engine.bidders), engine.sale.settings.currency, stage.register_bidder
    )


class CoreThread:
    """The core on its own loop and thread.

    Args:
        config: the stage config (data dir, host, port, sale, demo, gavel).
        on_records: called on the core thread after each commit with the records' staff
            wire bodies (`{"seq", "type", "lot": staff lot view, ...}`); must not block.
        on_gavel: called on the core thread when the gavel's status changes.
        arm_on: when a gavel strike hammers ("bid" or "fair_warning").
        stage_factory: builds the stage (tests may wrap it).
    """

    def __init__(
        self,
        config: StageConfig,
        *,
        on_records: RecordsCallback | None = None,
        on_gavel: GavelCallback | None = None,
        arm_on: str = "bid",
        stage_factory: Callable[[StageConfig], Stage] | None = None,
    ) -> None:
        self.config = config
        self._on_records = on_records
        self._on_gavel = on_gavel
        self._arm_on = arm_on
        self._stage_factory = stage_factory
        # Who the desktop acts as: the owner until a staff member signs in (`sign_in`).
        self.actor: Actor = OWNER
        self._session: str | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._stage: Stage | None = None  # only ever touched on the core loop
        self._gavel: GavelLink | None = None  # watched here; the stage owns and closes it
        self._unwatch: Callable[[], None] | None = None
        self.info: CoreInfo | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 30.0) -> CoreInfo:
        """Start the thread and wait until the stage listens. Raises what the start raised."""
        if self._thread is not None:
            raise RuntimeError("the core is already started")
        self._thread = threading.Thread(target=self._main, name="auctionmen-core", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the core did not start in time")
        if self._error is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
            raise self._error
        assert self.info is not None
        return self.info

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the gavel, the hub and the journal (in that order); idempotent."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                pass
        thread.join(timeout)
        if thread.is_alive():
            log.error("the core thread did not stop within %.0f s", timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._ready.is_set() and self._error is None

    def _main(self) -> None:
        loop = _new_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._amain())
        except BaseException as exc:  # reported to start() if it has not returned yet
            if not self._ready.is_set():
                self._error = exc
            else:
                log.exception("the core loop failed")
        finally:
            self._ready.set()
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _amain(self) -> None:
        from hub.stage import Stage  # the core loads with the core thread, not with the UI

        self._stop = asyncio.Event()
        factory = self._stage_factory or Stage
        stage = factory(self.config)
        self._stage = stage
        await stage.start()
        try:
            stage.add_listener(self._forward)
            link = stage.gavel
            if link is not None:
                # The core owns the gavel (hub.gavel); the console only watches it.
                link.arm_on = self._arm_on
                self._watch(link)
            self.info = CoreInfo(
                url=stage.url,
                sale=stage.sale_id,
                pin=stage.pin,
                bidder_join=f"{stage.base_url()}/bid",
                clerk_link=stage.clerk_link(),
                data_dir=str(self.config.data_dir),
                gavel=link.status if link is not None else GavelStatus.none(),
            )
            self._ready.set()
            await self._stop.wait()
        finally:
            self._watch(None)
            await stage.stop()

    def _forward(self, records: list[Record]) -> None:
        """Commit listener (core loop): hand plain data to the UI, never wait for it."""
        if self._on_records is None:
            return
        self._on_records([r.wire("staff") for r in records])

    def _watch(self, link: GavelLink | None) -> None:
        """Report `link`'s status changes to `on_gavel` (and stop reporting the old one's)."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        self._gavel = link
        if link is not None:
            self._unwatch = link.add_listener(self._gavel_status)

    def _gavel_status(self, status: GavelStatus) -> None:
        if self._on_gavel is not None:
            self._on_gavel(status)

    # ------------------------------------------------------------------ on the core loop

    def _require(self) -> tuple[asyncio.AbstractEventLoop, Stage]:
        loop, stage = self._loop, self._stage
        if (
            loop is None
            or stage is None
            or loop.is_closed()
            or not self._ready.is_set()
            or self._error
        ):
            raise RuntimeError("the core is not running")
        return loop, stage

    def _call(self, fn: Callable[[Stage], T]) -> concurrent.futures.Future[T]:
        """Run `fn(stage)` on the core loop (reads engine state consistently). Private: the
        operations below are the interface; tests may use it to reach what no UI needs."""
        loop, stage = self._require()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(stage))
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future

    def _run(self, fn: Callable[[Stage], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Run the coroutine `fn(stage)` on the core loop (long jobs such as an import)."""
        loop, stage = self._require()

        async def wrapper() -> T:
            return await fn(stage)

        return asyncio.run_coroutine_threadsafe(wrapper(), loop)

    # ------------------------------------------------------------------ operations
    # Callable from any thread; each raises RuntimeError when the core is not running and
    # otherwise returns a future resolved on the core loop.

    def submit(
        self, command: JSON, actor: Actor | None = None, key: str | None = None
    ) -> concurrent.futures.Future[Answer]:
        """Sequence a staff command as `actor` (default: whoever is signed in on the desktop,
        `self.actor`); the future resolves to its `Answer`."""
        who = actor or self.actor
        return self._run(lambda stage: stage.submit(command, who, key))

    def staff_snapshot(self) -> concurrent.futures.Future[JSON]:
        """Everything the console needs to draw from scratch (see `staff_snapshot`)."""
        return self._call(staff_snapshot)

    def bidder_rows(self) -> concurrent.futures.Future[list[JSON]]:
        """Bidders with their registered names (see `bidder_rows`)."""
        return self._call(bidder_rows)

    def register_bidder(
        self,
        paddle: str,
        channel: str,
        name: str,
        *,
        approved: bool,
        credit_limit: int | None = None,
    ) -> concurrent.futures.Future[Answer]:
        """Register at the desk: the paddle in the journal, the name in the identities store."""
        return self._run(
            lambda stage: stage.register_bidder(
                paddle,
                channel,
                {"name": name},
                approved=approved,
                credit_limit=credit_limit,
                actor=self.actor,
            )
        )

    def bidder_link(self, paddle: str) -> concurrent.futures.Future[str]:
        """A bidder's signed join link (token in the fragment)."""
        return self._call(lambda stage: str(stage.bidder_link(paddle)))

    def import_catalogue(
        self,
        csv_path: Path,
        images_dir: Path | None,
        progress: Progress,
        *,
        reason: str | None = None,
        cancel: threading.Event | None = None,
    ) -> concurrent.futures.Future[list[RowVerdict]]:
        """Add (and in a draft, change) a catalogue's lots from a CSV or .xlsx file; one
        verdict per row. `progress(done, total)` runs on the core thread; `reason` is needed to
        add lots to a live sale; `cancel` stops between batches. Fails with `CatalogueError`
        when the file as a whole is unusable."""
        return self._run(
            lambda stage: run_import(
                _catalogue_target(stage),
                csv_path,
                images_dir,
                progress,
                reason=reason,
                cancel=cancel,
            )
        )

    def preview_catalogue(
        self, csv_path: Path, images_dir: Path | None, *, reason: str | None = None
    ) -> concurrent.futures.Future[ImportPlan]:
        """The dry run of `import_catalogue`: what it would add, change and refuse (nothing
        is written)."""
        return self._run(
            lambda stage: preview_import(_catalogue_target(stage), csv_path, images_dir, reason)
        )

    def import_bidders(
        self, csv_path: Path, progress: Progress, *, cancel: threading.Event | None = None
    ) -> concurrent.futures.Future[list[RowVerdict]]:
        """Register a bidder list; one verdict per row (see `import_catalogue`)."""
        return self._run(
            lambda stage: run_bidder_import(
                _bidder_target(stage), csv_path, progress, cancel=cancel
            )
        )

    def preview_bidders(self, csv_path: Path) -> concurrent.futures.Future[list[RowVerdict]]:
        """The dry run of `import_bidders` (nothing is written)."""
        return self._run(lambda stage: preview_bidders(_bidder_target(stage), csv_path))

    def hub_clients(self) -> concurrent.futures.Future[int]:
        """Subscribers connected to the stage's Mercure hub."""
        return self._call(lambda stage: stage.hub.count() if stage.hub is not None else 0)

    def relay_status(self) -> concurrent.futures.Future[RelayStatus | None]:
        """The relay link's status, or None when no relay is configured."""
        return self._call(
            lambda stage: stage.relay_link.status() if stage.relay_link is not None else None
        )

    def set_gavel(
        self, spec: str, *, test_mode: bool = False, arm_on: str | None = None
    ) -> concurrent.futures.Future[GavelStatus]:
        """Swap the gavel at run time (the settings tab).

        The future resolves to the new `GavelStatus`; later changes go to `on_gavel` as usual.
        Fails with `ValueError` for a malformed spec.
        """

        async def swap(stage: Stage) -> GavelStatus:
            self._watch(None)  # stop watching the old link before the stage closes it
            if arm_on is not None:
                self._arm_on = arm_on
            try:
                link = await stage.set_gavel(spec, test_mode=test_mode, arm_on=self._arm_on)
            except Exception:
                self._gavel_status(GavelStatus.none(spec))
                raise
            if link is None:
                status = GavelStatus.none()
                self._gavel_status(status)
                return status
            self._watch(link)
            self._gavel_status(link.status)
            return link.status

        return self._run(swap)

    def set_gavel_test_mode(self, on: bool) -> concurrent.futures.Future[GavelStatus | None]:
        """Test mode on the running gavel: strikes are detected and shown, nothing hammers."""

        def apply(_stage: Stage) -> GavelStatus | None:
            link = self._gavel
            return link.set_test_mode(on) if link is not None else None  # reported at once

        return self._call(apply)

    # -- sale day: each a named command, answered like `submit`

    def go_live(self) -> concurrent.futures.Future[Answer]:
        """Draft → live: the catalogue freezes (changes become journaled amendments)."""
        return self.submit({"op": "go_live"})

    def close_sale(self) -> concurrent.futures.Future[Sealed]:
        """Close the sale; once closed, the journal head hash is its seal."""

        async def close(stage: Stage) -> Sealed:
            answer = await stage.submit({"op": "close_sale"}, self.actor)
            return Sealed(answer, stage.sequencer.head if answer.ok else "")

        return self._run(close)

    def rates_info(self) -> concurrent.futures.Future[RatesInfo | None]:
        """The currency board's rates now (None: none imported). Fails with RatesError when
        the stored file is unreadable."""

        async def read(stage: Stage) -> RatesInfo | None:
            return await asyncio.to_thread(_rates_info, Path(stage.config.data_dir))

        return self._run(read)

    def import_rates(self, source: Path) -> concurrent.futures.Future[RatesInfo]:
        """Import an ECB reference rates XML file for the room's currency board (parsed in a
        worker thread). Fails with RatesError, saying why, and keeps the old rates."""

        async def run(stage: Stage) -> RatesInfo:
            from hub.backend import rates

            data_dir = Path(stage.config.data_dir)
            await asyncio.to_thread(rates.import_file, data_dir, source)
            info = await asyncio.to_thread(_rates_info, data_dir)
            assert info is not None  # just saved
            return info

        return self._run(run)

    def journal_head(self) -> concurrent.futures.Future[str]:
        """The hash of the last committed event (a closed sale's seal)."""
        return self._call(lambda stage: stage.sequencer.head)

    def configure(self, settings: JSON) -> concurrent.futures.Future[Answer]:
        """Change the house rules (refused while a lot is live)."""
        return self.submit({"op": "configure", "settings": settings})

    def edit_lot(self, command: JSON) -> concurrent.futures.Future[Answer]:
        """An `edit_lot` (draft: an edit; live: an amendment with reason and notice)."""
        return self.submit(_expect(command, "edit_lot"))

    def add_lot(self, command: JSON) -> concurrent.futures.Future[Answer]:
        """An `add_lot` (live: with its reason)."""
        return self.submit(_expect(command, "add_lot"))

    def reoffer(self, lot: str, reason: str = "") -> concurrent.futures.Future[Answer]:
        """A passed lot back into the running order, after the last lot."""
        cmd: JSON = {"op": "reoffer", "lot": lot}
        if reason:
            cmd["reason"] = reason
        return self.submit(cmd)

    def resolve_subject_to(
        self, lot: str, accept: bool, reason: str = ""
    ) -> concurrent.futures.Future[Answer]:
        """The vendor's answer on a lot sold "subject to"."""
        cmd: JSON = {"op": "resolve_subject_to", "lot": lot, "accept": bool(accept)}
        if reason:
            cmd["reason"] = reason
        return self.submit(cmd)

    def message(self, command: JSON) -> concurrent.futures.Future[Answer]:
        """A `message` to every online bidder, or to one paddle."""
        return self.submit(_expect(command, "message"))

    def end_session(self, command: JSON) -> concurrent.futures.Future[Answer]:
        """An `end_session` (a break with a message and the next start)."""
        return self.submit(_expect(command, "end_session"))

    def start_session(self) -> concurrent.futures.Future[Answer]:
        """The next session starts: the sale resumes."""
        return self.submit({"op": "start_session"})

    def book_phone(self, command: JSON) -> concurrent.futures.Future[Answer]:
        """A `book_phone`: a paddle on a lot range with an operator."""
        return self.submit(_expect(command, "book_phone"))

    def cancel_phone(self, booking: str) -> concurrent.futures.Future[Answer]:
        return self.submit({"op": "cancel_phone", "id": booking})

    def press_pedal(self) -> None:
        """The keyboard pedal was pressed (any thread; the source is thread-safe)."""
        gavel = self._gavel
        if gavel is not None:
            gavel.press()

    # -- money (issue 12): the stage's Cashier (hub/backend/cashier.py) on the core loop:
    # commands, and the documents as data (the ledger over the live state). A refusal, by
    # the cashier or by the core, fails the future with `MoneyError` (`.reason`, `.message`).

    def account(self, paddle: str) -> concurrent.futures.Future[AccountDoc]:
        """A buyer's account at checkout: lots, invoices, lines, due, paid, owed, status.
        Fails with `MoneyError("unknown_bidder")` for a paddle the sale does not know."""
        return self._call(lambda stage: _cashier(stage).account(paddle))

    def issue_invoice(self, paddle: str) -> concurrent.futures.Future[Answer]:
        """Invoice `paddle`'s lots not invoiced yet (numbered by the house)."""
        return self._run(lambda stage: _cashier(stage).issue_invoice(paddle, DESK))

    def issue_all_invoices(
        self, progress: Progress | None = None
    ) -> concurrent.futures.Future[IssueReport]:
        """At close: an invoice for every buyer with lots not invoiced yet, one buyer at a
        time (`progress(done, total)` on the core thread after each); refusals are collected."""

        async def issue(stage: Stage) -> IssueReport:
            from hub.backend import ledger

            cashier = _cashier(stage)
            state = stage.engine.state
            paddles = [p for p in ledger.buyers(state) if ledger.uninvoiced_lots(state, p)]
            issued: list[str] = []
            refused: list[tuple[str, str]] = []
            for done, paddle in enumerate(paddles, 1):
                try:
                    answer = await cashier.issue_invoice(paddle, DESK)
                except Exception as exc:  # MoneyError and the like: reported per buyer
                    refused.append((paddle, str(exc)))
                else:
                    if answer.ok:
                        issued.append(paddle)
                    else:
                        refused.append((paddle, answer.message or answer.reason or "refused"))
                if progress is not None:
                    progress(done, len(paddles))
            return IssueReport(tuple(issued), tuple(refused))

        return self._run(issue)

    def record_payment(
        self,
        paddle: str,
        amount: int,
        method: str,
        reference: str,
        *,
        key: str,
        payer: str = "",
        third_party_reason: str = "",
    ) -> concurrent.futures.Future[Answer]:
        """A payment at the desk; `key` makes a retry count once."""
        return self._run(
            lambda stage: _cashier(stage).record_payment(
                paddle,
                amount,
                method,
                reference,
                key,
                DESK,
                payer=payer,
                third_party_reason=third_party_reason,
            )
        )

    def record_refund(
        self, paddle: str, amount: int, method: str, reference: str, *, key: str, reason: str
    ) -> concurrent.futures.Future[Answer]:
        """Money given back to a buyer (never more than they paid); `key` counts a retry once."""
        return self._run(
            lambda stage: _cashier(stage).record_refund(
                paddle, amount, method, reference, key, DESK, reason
            )
        )

    def release_lots(
        self, paddle: str, lots: tuple[str, ...] = (), *, override_reason: str = ""
    ) -> concurrent.futures.Future[Answer]:
        """Release lots for collection (() = every releasable one); an unpaid buyer's lots
        need `override_reason`."""
        return self._run(
            lambda stage: _cashier(stage).release(
                paddle, list(lots), DESK, override_reason=override_reason
            )
        )

    def document(self, number: str, fmt: str) -> concurrent.futures.Future[bytes]:
        """An invoice or credit note as "html" (UTF-8) or "pdf" bytes; the PDF renders in a
        worker thread, off the core loop."""

        async def render(stage: Stage) -> bytes:
            return await _render(stage, _cashier(stage).invoice(number), fmt)

        return self._run(render)

    def receipt(self, paddle: str, payment: str, fmt: str) -> concurrent.futures.Future[bytes]:
        """A receipt for one payment or refund ("PAY-<seq>") of `paddle`, as HTML or PDF."""

        async def render(stage: Stage) -> bytes:
            from hub.backend import house
            from hub.backend import render as documents
            from hub.backend.pdf import pdf_bytes

            if fmt not in ("html", "pdf"):
                raise ValueError(f"no document format {fmt!r} (html or pdf)")
            account = _cashier(stage).account(paddle)
            found = next((p for p in account.payments if p.id == payment), None)
            if found is None:
                raise LookupError(f"no payment {payment[:40]!r} for paddle {paddle}")
            profile = house.load(Path(stage.config.data_dir))
            html = documents.receipt_html(
                account, found, profile, tz=stage.engine.sale.timezone or None
            )
            if fmt == "html":
                return html.encode("utf-8")
            return await asyncio.to_thread(pdf_bytes, html)

        return self._run(render)

    def consignor_rows(self) -> concurrent.futures.Future[list[JSON]]:
        """Consignors: every record, and every reference on a lot without one, each with this
        sale's terms (None when not set) and the sale currency."""
        return self._call(consignor_rows)

    def save_consignor(
        self, reference: str, fields: JSON, *, new: bool
    ) -> concurrent.futures.Future[JSON]:
        """Add (`new`) or change a consignor record in the identities store (not journaled);
        fails with `ConsignorError` saying which field is wrong."""

        def save(stage: Stage) -> JSON:
            store = _consignors(stage)
            row: JSON = store.add(reference, fields) if new else store.update(reference, fields)
            return row

        return self._call(save)

    def set_consignor_terms(self, command: JSON) -> concurrent.futures.Future[Answer]:
        """A `set_consignor_terms` command (journaled in this sale)."""
        terms = dict(_expect(command, "set_consignor_terms"))
        terms.pop("op")
        consignor = str(terms.pop("consignor"))
        return self._run(lambda stage: _cashier(stage).set_terms(consignor, terms, DESK))

    def settlement(self, consignor: str) -> concurrent.futures.Future[SettlementDoc]:
        """A consignor's settlement statement for this sale (from the journal)."""
        return self._call(lambda stage: _cashier(stage).settlement(consignor))

    def settlement_document(self, consignor: str, fmt: str) -> concurrent.futures.Future[bytes]:
        """A settlement statement as "html" or "pdf" bytes."""

        async def render(stage: Stage) -> bytes:
            return await _render(stage, _cashier(stage).settlement(consignor), fmt)

        return self._run(render)

    def record_payout(
        self, consignor: str, amount: int, method: str, reference: str, *, key: str
    ) -> concurrent.futures.Future[Answer]:
        """A payout to a consignor (never more than is due); `key` makes a retry count once."""
        return self._run(
            lambda stage: _cashier(stage).record_payout(
                consignor, amount, method, reference, key, DESK
            )
        )

    # -- KYC and screening (issue 13): the desk's KYC panel and the Screening tab

    # -- the officer's suspicion notes (hub/backend/sar.py): the store refuses anyone who
    # does not hold the officer role (SarForbidden, a ValueError with the reason)

    def suspicion_notes(
        self, actor: Actor, status: str | None = None
    ) -> concurrent.futures.Future[list[JSON]]:
        return self._call(lambda stage: stage.officer_desk().notes(actor, status))

    def note_suspicion(
        self, actor: Actor, paddle: str, text: str
    ) -> concurrent.futures.Future[JSON]:
        return self._run(lambda stage: stage.officer_desk().note(actor, paddle, text))

    def set_note_status(
        self, actor: Actor, reference: str, status: str, comment: str
    ) -> concurrent.futures.Future[JSON]:
        return self._call(
            lambda stage: stage.officer_desk().set_status(actor, reference, status, comment)
        )

    def kyc_record(self, paddle: str) -> concurrent.futures.Future[JSON]:
        """A bidder's KYC file as the panel shows it: identity fields, the bidder's CDD state
        in the sale, every CDD event with who and when, and what the policy requires."""
        return self._call(lambda stage: kyc_record(stage, paddle))

    def save_kyc(self, paddle: str, fields: JSON) -> concurrent.futures.Future[JSON]:
        """Change a bidder's identity / KYC fields (identities store, not journaled); fails
        with IdentityError naming the field."""
        return self._call(lambda stage: stage.identities.update(stage.sale_id, paddle, fields))

    def record_cdd(
        self, paddle: str, step: str, outcome: str, reference: str = "", fields: JSON | None = None
    ) -> concurrent.futures.Future[Answer]:
        """One CDD step by the person at the desk (PII to identities, the step journaled)."""
        return self._run(
            lambda stage: stage.kyc.record_step(
                paddle, step, outcome, reference, actor=self.actor, fields=fields
            )
        )

    def store_scan(self, paddle: str, path: Path) -> concurrent.futures.Future[JSON]:
        """Keep an ID scan under {data_dir}/kyc/ and reference it (its SHA-256) on the bidder."""

        async def store(stage: Stage) -> JSON:
            from hub.backend.identities import store_scan

            content = await asyncio.to_thread(Path(path).read_bytes)
            digest = store_scan(Path(stage.config.data_dir), content)
            row: JSON = stage.identities.update(stage.sale_id, paddle, {"id_scan": digest})
            return row

        return self._run(store)

    def screen_now(self, paddle: str) -> concurrent.futures.Future[JSON]:
        """Screen a bidder against the imported lists now: {verdict, reference, hits}."""

        async def screen(stage: Stage) -> JSON:
            done = await stage.kyc.screen(paddle, self.actor)
            return {"reference": done.reference, **done.result.record()}

        return self._run(screen)

    def link_purchases(self, paddle: str) -> concurrent.futures.Future[JSON]:
        """Add up the bidder's purchases in the house's other sales and tell the sale."""

        async def link(stage: Stage) -> JSON:
            linked, answer = await stage.kyc.link(paddle, self.actor)
            return {
                "amount": linked.amount,
                "sales": list(linked.sales),
                "problems": list(linked.problems),
                "ok": answer.ok if answer else True,
                "message": answer.message if answer else None,
            }

        return self._run(link)

    def review_hold(
        self, paddle: str, decision: str, reason: str
    ) -> concurrent.futures.Future[Answer]:
        """The officer clears or confirms a screening hold (core `review_hold`)."""
        command = {"op": "review_hold", "paddle": paddle, "decision": decision, "reason": reason}
        return self.submit(command)

    def cdd_export(self, paddle: str, fmt: str) -> concurrent.futures.Future[bytes]:
        """The buyer's CDD file for the supervisor, as "json" or "html"."""

        def export(stage: Stage) -> bytes:
            from hub.backend.kyc import cdd_html

            if fmt not in ("json", "html"):
                raise ValueError(f"no CDD file format {fmt[:10]!r} (json or html)")
            file = stage.kyc.cdd_file(paddle)
            if fmt == "html":
                return cdd_html(file).encode("utf-8")
            return json.dumps(file, ensure_ascii=False, indent=1).encode("utf-8")

        return self._call(export)

    def aml_threshold(self) -> concurrent.futures.Future[JSON]:
        """EUR 10,000 in the sale's currency at this month's house rate: {threshold,
        currency, rate, month}; fails with AmlError when the house has no rate for it."""
        return self._call(lambda stage: stage.kyc.threshold())

    def screening_lists(self) -> concurrent.futures.Future[list[JSON]]:
        """The imported sanctions / PEP lists (name, source, hash, when, entries)."""
        return self._call(
            lambda stage: [dataclasses.asdict(info) for info in stage.kyc.room.lists()]
        )

    def import_screening_list(
        self,
        path: Path,
        kind: str,
        alt: Path | None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> concurrent.futures.Future[JSON]:
        """Import a list (EU, UN, OFAC with alt.csv, PEP), then screen every bidder of the
        sale again: {list, rescreened, holds}. A bad file is refused whole (ScreeningError)."""

        async def run(stage: Stage) -> JSON:
            info = await asyncio.to_thread(
                stage.kyc.room.import_list, path, kind, alt=alt, progress=progress
            )
            done = await stage.kyc.rescreen(list(stage.engine.bidders), self.actor)
            holds = [d.result.ref for d in done if d.result.verdict == "hold"]
            return {"list": dataclasses.asdict(info), "rescreened": len(done), "holds": holds}

        return self._run(run)

    # ------------------------------------------------------------------ staff (issue 13)
    # Accounts and sessions live in the stage's staff.db (`hub.backend.staff`); argon2 work
    # runs in a worker thread. Managing staff takes the admin role (the owner has every role
    # until a staff member signs in). Refusals raise `StaffError` (`reason`, `message`).

    def has_staff(self) -> concurrent.futures.Future[bool]:
        return self._call(lambda stage: stage.staff.has_accounts())

    def staff_accounts(self) -> concurrent.futures.Future[list[JSON]]:
        """Every account (never a hash) with its live sessions."""
        return self._call(staff_accounts)

    def create_staff(
        self, name: str, roles: list[str], pin: str
    ) -> concurrent.futures.Future[JSON]:
        self._admin()
        return self._off_loop(lambda stage: stage.staff.create(name, roles, pin=pin).to_json())

    def update_staff(
        self, staff_id: str, name: str | None, roles: list[str] | None
    ) -> concurrent.futures.Future[JSON]:
        """A new name and/or roles; fewer roles end the person's sessions (their tokens
        carry the old roles)."""
        self._admin()

        def update(stage: Stage) -> JSON:
            before = set(stage.staff.get(staff_id).roles)
            account = stage.staff.update(staff_id, name=name, roles=roles)
            if not before <= set(account.roles):
                stage.revoke_staff(staff_id, self._by())
            return account.to_json()

        return self._off_loop(update)

    def reset_pin(self, staff_id: str, pin: str) -> concurrent.futures.Future[None]:
        self._admin()
        return self._off_loop(lambda stage: stage.staff.set_pin(staff_id, pin))

    def deactivate_staff(self, staff_id: str) -> concurrent.futures.Future[list[str]]:
        """The account cannot sign in again; its sessions end at once."""
        self._admin()
        if staff_id == self.actor.name:
            raise NotAllowed("you cannot deactivate your own account while signed in")
        return self._call(lambda stage: stage.staff.deactivate(staff_id, self._by()))

    def revoke_session(self, sid: str) -> concurrent.futures.Future[bool]:
        """End one terminal's session at once (its next request: 401 `revoked`)."""
        self._admin()
        return self._call(lambda stage: stage.revoke_session(sid, self._by()))

    def sign_in(self, who: str, pin: str) -> concurrent.futures.Future[JSON]:
        """A staff member signs in on the desktop: it then acts as them (their roles, their
        staff id, device "desktop")."""

        def check(stage: Stage) -> JSON:
            account = stage.staff.verify_pin(who, pin)
            session = stage.staff.open_session(account.id, "desktop")
            primary = account.roles[0]
            self.actor = Actor(primary, name=account.id, roles=account.roles, device="desktop")
            self._session = session.sid
            return account.to_json()

        return self._off_loop(check)

    def sign_out(self) -> concurrent.futures.Future[None]:
        """Back to the sign-in dialog: the desktop's session ends."""
        sid, self._session = self._session, None

        def end(stage: Stage) -> None:
            if sid is not None:
                stage.revoke_session(sid, self._by())

        future = self._call(end)
        self.actor = OWNER
        return future

    def _admin(self) -> None:
        if "admin" not in self.actor.held():
            raise NotAllowed("only an administrator may manage staff accounts")

    def _by(self) -> str:
        return self.actor.name or "owner"

    def _off_loop(self, fn: Callable[[Stage], T]) -> concurrent.futures.Future[T]:
        """`fn(stage)` in a worker thread (argon2 would hold the core loop for ~0.1 s)."""

        async def run(stage: Stage) -> T:
            return await asyncio.to_thread(fn, stage)

        return self._run(run)


def staff_accounts(stage: Stage) -> list[JSON]:
    sessions = stage.staff.sessions()
    rows = []
    for account in stage.staff.accounts():
        row = account.to_json()
        row["sessions"] = [s.to_json() for s in sessions if s.staff == account.id]
        rows.append(row)
    return rows


def kyc_record(stage: Stage, paddle: str) -> JSON:
    """What the KYC panel shows of one bidder (read on the core loop)."""
    bidder = stage.engine.bidders.get(paddle)
    if bidder is None:
        raise LookupError(f"no bidder {paddle[:40]!r} in this sale")
    file = stage.kyc.cdd_file(paddle)
    policy = stage.kyc.policy()
    legal = bool(getattr(bidder, "legal_person", False))
    return {
        "paddle": paddle,
        "bidder": bidder.to_json(),
        "identity": file["identity"],
        "beneficial_owners": file["beneficial_owners"],
        "documents": file["documents"],
        "events": file["events"],
        "required": list(policy.required(bidder.channel, legal)),
        "cdd": dict(getattr(bidder, "cdd", {}) or {}),
        "hold": getattr(bidder, "hold", None),
    }


@dataclass(frozen=True, slots=True)
class RatesInfo:
    """The currency board's rates as the app shows them: their day, how many currencies,
    and how many days old the house lets the room display show them."""

    date: datetime.date
    currencies: int
    max_age_days: int


def _rates_info(data_dir: Path) -> RatesInfo | None:
    from hub.backend import house, rates

    found = rates.load(data_dir)
    if found is None:
        return None
    try:
        max_age = house.load(data_dir).rates_max_age_days
    except house.HouseError:
        max_age = house.DEMO_HOUSE.rates_max_age_days
    return RatesInfo(found.date, len(found.rates), max_age)


@dataclass(frozen=True, slots=True)
class Sealed:
    """The answer to `close_sale`, and the seal (journal head hash) when it was accepted."""

    answer: Answer
    head: str


@dataclass(frozen=True, slots=True)
class IssueReport:
    """What "issue all invoices" did: the paddles invoiced, and (paddle, why) refused."""

    issued: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]


def _cashier(stage: Stage) -> Any:
    cashier = getattr(stage, "cashier", None)
    if cashier is None:
        raise RuntimeError("the money desk (cashier) is not available in this stage")
    return cashier


def _consignors(stage: Stage) -> ConsignorStore:
    store: ConsignorStore = _cashier(stage).consignors
    return store


async def _render(stage: Stage, doc: Any, fmt: str) -> bytes:
    """A money document as HTML or PDF bytes (an invoice's PDF is Factur-X, its EN 16931 XML
    embedded as the web serves it, when the buyer's record allows one); WeasyPrint runs in a
    worker thread."""
    from hub.backend import house, render
    from hub.backend.statements import InvoiceDoc

    if fmt not in ("html", "pdf"):
        raise ValueError(f"no document format {fmt!r} (html or pdf)")
    profile = house.load(Path(stage.config.data_dir))
    if isinstance(doc, InvoiceDoc):
        html = (
            render.credit_note_html(doc, profile)
            if doc.kind == "credit_note"
            else render.invoice_html(doc, profile)
        )
    else:
        html = render.settlement_html(doc, profile)
    if fmt == "html":
        return html.encode("utf-8")
    from hub.backend.einvoice import EInvoiceError, facturx_pdf
    from hub.backend.pdf import pdf_bytes

    if isinstance(doc, InvoiceDoc) and doc.kind == "invoice":  # as the web serves it
        try:
            return await asyncio.to_thread(facturx_pdf, doc, profile)
        except EInvoiceError as exc:
            # E.g. a buyer registered at the desk without a country: the buyer still gets the
            # same printed invoice, without the embedded XML.
            log.warning("%s: PDF without its e-invoice XML: %s", doc.number, exc)
    return await asyncio.to_thread(pdf_bytes, html)


def consignor_rows(stage: Stage) -> list[JSON]:
    """The Consignors tab's list (see `CoreThread.consignor_rows`)."""
    terms = dict(stage.engine.state.money.terms)
    rows = {str(r["reference"]): {**r, "recorded": True} for r in _consignors(stage).list()}
    for lot in stage.engine.lots.values():
        ref = lot.consignor
        if ref and ref not in rows:
            rows[ref] = {"reference": ref, "recorded": False}
    currency = stage.engine.sale.settings.currency
    return [
        {**row, "terms": terms.get(ref), "currency": currency} for ref, row in sorted(rows.items())
    ]


def _expect(command: JSON, op: str) -> JSON:
    """A command built by a form for one operation (a programming error otherwise)."""
    if command.get("op") != op:
        raise ValueError(f"expected a '{op}' command, got {command.get('op')!r}")
    return command


# ---------------------------------------------------------------------- sales on disk


class SaleShelf:
    """The sales in a data dir (`hub.backend.sales`), off the UI thread: list, create, start
    the demo over. Each returns a future; file work runs on one worker thread, in order."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sales")

    def list(self) -> concurrent.futures.Future[list[SaleSummary]]:
        from hub.backend.sales import list_sales

        return self._pool.submit(list_sales, self.data_dir)

    def create(self, spec: JSON) -> concurrent.futures.Future[SaleSummary]:
        """Create a sale whole or not at all; fails with `SaleError` saying why."""
        from hub.backend.sales import create_sale

        return self._pool.submit(create_sale, self.data_dir, spec)

    def reset_demo(self) -> concurrent.futures.Future[SaleSummary]:
        """A fresh demo (refused with `SaleLocked` while a stage runs it)."""
        from hub.backend.sales import reset_demo

        return self._pool.submit(reset_demo, self.data_dir)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class CoreHost:
    """The running core, and switching it to another sale: stop the old core, start one on the
    new sale. Switching runs on a worker thread (a stop and a start take a moment)."""

    def __init__(self, config: StageConfig, make: Callable[[StageConfig], CoreThread]) -> None:
        self.config = config
        self._make = make
        self.core: CoreThread | None = None
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="core-host")

    def start(self) -> CoreInfo:
        """Start the configured sale (blocking: the app's start, before the window)."""
        core = self._make(self.config)
        info = core.start()
        self.core = core
        return info

    def switch(
        self, sale: str, *, demo: bool = False, before: Callable[[], object] | None = None
    ) -> concurrent.futures.Future[CoreInfo]:
        """Stop the running core, run `before()` (e.g. start the demo over), then start a core
        on `sale`. If that fails, the old sale starts again and the future fails with why."""

        def run() -> CoreInfo:
            old, previous = self.core, (self.config.sale, self.config.demo)
            self.core = None
            if old is not None:
                old.stop()
            if before is not None:
                try:
                    before()
                except BaseException:
                    self.core = self._make(self.config)
                    self.core.start()
                    raise
            self.config.sale, self.config.demo = sale, demo
            core = self._make(self.config)
            try:
                info = core.start()
            except BaseException:
                self.config.sale, self.config.demo = previous
                again = self._make(self.config)
                again.start()
                self.core = again
                raise
            self.core = core
            return info

        return self._pool.submit(run)

    def stop(self) -> None:
        self._pool.shutdown(wait=True)
        if self.core is not None:
            self.core.stop()
            self.core = None


# ---------------------------------------------------------------------- reads (core loop)


def staff_snapshot(stage: Stage) -> JSON:
    """Everything the console needs at start."""
    engine = stage.engine
    snap: JSON = stage.snapshot(staff=True)
    snap["lot_views"] = [engine.staff_lot(lot_id) for lot_id in engine.lots]
    snap["bidders"] = bidder_rows(stage)
    snap["settings"] = engine.sale.settings.to_json()
    snap["started_at"] = first_open_at(engine)
    snap["head"] = stage.sequencer.head  # staff only: the seal once the sale is closed
    snap.setdefault("phones", [])
    return snap


def bidder_rows(stage: Stage) -> list[JSON]:
    """Bidders with their registered names (identities live outside the journal)."""
    rows = []
    for paddle, bidder in sorted(stage.engine.bidders.items(), key=lambda kv: (len(kv[0]), kv[0])):
        row = bidder.to_json()
        name = ""
        try:
            found = stage.identities.get(stage.sale_id, paddle)
        except Exception:
            found = None
        if isinstance(found, dict):
            name = str(found.get("name") or "")
        row["name"] = name
        rows.append(row)
    return rows


def first_open_at(engine: Engine) -> float | None:
    """When the first lot of the sale closed or opened (for lots per hour), if any."""
    times = [lot.closed_at for lot in engine.lots.values() if lot.closed_at is not None]
    for lot in engine.lots.values():
        for bid in lot.bids:
            times.append(bid.at)
    return min(times) if times else None
