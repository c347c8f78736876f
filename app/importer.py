"""Running imports on the core loop: read and judge the file (in a worker thread), then submit
the good rows and report progress. A catalogue (copying its images into the data dir: one
`add_lot` or, in a draft, `edit_lot` per row) and a bidder list (one registration per row).
No Qt.

A dry run (`preview_import`, `preview_bidders`) stops after judging: it writes nothing and
says what the import would add, change and refuse. A cancel (`threading.Event`) is looked at
between batches: every row already sent is whole (one command each, images copied before it
and removed if it is refused), and the rows not sent get a "cancelled" verdict.

The importers see only what they need of the sale (`CatalogueTarget`, `BidderTarget`, built
by the core facade on the core loop), never the stage.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from app.bidder_import import BidderPlan, read_bidders
from app.catalogue_import import (
    MAX_FILE_BYTES,
    CatalogueError,
    ImportPlan,
    LotPlan,
    RowVerdict,
    image_target_name,
    index_images,
    lot_table,
    parse_catalogue,
    row_detail,
)
from app.i18n import _
from hub.auction import views
from hub.auction.events import Actor
from hub.journal.sequencer import Answer

AUCTIONEER = Actor("auctioneer")
CHUNK = 50  # commands in flight at once: the sequencer commits them as one batch

Progress = Callable[[int, int], None]
Submit = Callable[[dict[str, Any], Actor], Awaitable[Answer]]


class RegisterBidder(Protocol):
    """The stage's registration: journals the bidder, stores their identity apart."""

    def __call__(
        self,
        paddle: str,
        channel: str,
        fields: dict[str, Any],
        *,
        approved: bool,
        credit_limit: int | None = None,
        actor: Actor = ...,
    ) -> Awaitable[Answer]: ...


@dataclass(frozen=True, slots=True)
class CatalogueTarget:
    """What a catalogue import needs of the running sale (read when the import starts)."""

    lots: frozenset[str]  # lot ids already in the sale
    currency: str
    images_dir: Path  # where lot images are copied (served to the web pages)
    submit: Submit
    existing: Mapping[str, Mapping[str, Any]] | None = None  # lot id -> fields (`lot_fields`)
    status: str = "live"  # draft | live | closed (`sale_status`)


def sale_status(auction: Any) -> str:
    """The sale's status from its public view (an old journal's sale is live)."""
    return str(views.sale_view(auction).get("status") or "live")


def lot_fields(auction: Any) -> dict[str, dict[str, Any]]:
    """Every lot's fields in add_lot's words, from the staff view (for the dry run's diff)."""
    out: dict[str, dict[str, Any]] = {}
    for lot_id in auction.lots:
        view = views.staff_lot(auction, lot_id) or {}
        estimate = view.get("estimate") or {}
        fields = {k: view[k] for k in FIELDS if k in view}
        fields.update(low=estimate.get("low"), high=estimate.get("high"))
        out[lot_id] = fields
    return out


FIELDS = (
    "title",
    "description",
    "start",
    "reserve",
    "quantity",
    "consignor",
    "vat",
    "arr",
    "category",
    "condition",
    "images",
)


@dataclass(frozen=True, slots=True)
class BidderTarget:
    """What a bidder-list import needs of the running sale (read when the import starts)."""

    paddles: frozenset[str]  # paddles already registered
    currency: str
    register: RegisterBidder


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CatalogueError(
                _("the file is larger than {mb} MB").format(mb=MAX_FILE_BYTES // (1024 * 1024))
            )
        return path.read_bytes()
    except OSError as exc:
        raise CatalogueError(
            _("cannot read {name}: {strerror}").format(name=path.name, strerror=exc.strerror)
        ) from exc


def plan_import(
    path: Path,
    images_dir: Path | None,
    existing: Mapping[str, Mapping[str, Any]] | set[str],
    currency: str,
    *,
    status: str = "live",
    reason: str | None = None,
) -> ImportPlan:
    """Read and judge a catalogue file (CSV or .xlsx): the dry run. Writes nothing."""
    table = lot_table(_read(path), path.name)
    return parse_catalogue(
        table,
        index_images(images_dir),
        existing,
        currency,
        images_dir,
        status=status,
        reason=reason,
    )


def _copy_images(plan: LotPlan, target: Path) -> tuple[list[str], list[Path]]:
    """Copy a row's images; returns their names and the files this copy created."""
    target.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    created: list[Path] = []
    for n, source in enumerate(plan.image_files, start=1):
        name = image_target_name(plan.lot, n, source)
        existed = (target / name).exists()
        try:
            shutil.copyfile(source, target / name)
        except OSError as exc:
            plan.warnings.append(
                _("image {name} not copied: {strerror}").format(
                    name=source.name[:40], strerror=exc.strerror
                )
            )
            continue
        names.append(name)
        if not existed:
            created.append(target / name)
    return names, created


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


async def preview_import(
    sale: CatalogueTarget, path: Path, images_dir: Path | None, reason: str | None = None
) -> ImportPlan:
    """The dry run: what importing `path` would add, change and refuse. Nothing is written."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: _plan(sale, path, images_dir, reason))


def _plan(
    sale: CatalogueTarget, path: Path, images_dir: Path | None, reason: str | None
) -> ImportPlan:
    existing = sale.existing if sale.existing is not None else set(sale.lots)
    return plan_import(path, images_dir, existing, sale.currency, status=sale.status, reason=reason)


async def run_import(
    sale: CatalogueTarget,
    path: Path,
    images_dir: Path | None,
    progress: Progress,
    *,
    reason: str | None = None,
    cancel: threading.Event | None = None,
) -> list[RowVerdict]:
    """Import a catalogue into the running sale; returns one verdict per row, in file order
    (action "add", "edit", "same", "refuse" or "cancel"). `progress(done, total)` counts the
    rows that write something.

    Raises CatalogueError when the file as a whole is unusable.
    """
    loop = asyncio.get_running_loop()
    plan = await loop.run_in_executor(None, lambda: _plan(sale, path, images_dir, reason))
    verdicts = [v for v in plan.verdicts() if v.action in ("same", "refuse")]
    work = [p for p in plan.good if p.action in ("add", "edit")]
    total = len(work)
    progress(0, total)
    target = sale.images_dir
    live_reason = reason if sale.status != "draft" else None  # a draft's lots need none
    done = 0
    for start in range(0, total, CHUNK):
        chunk = work[start : start + CHUNK]
        if cancel is not None and cancel.is_set():
            verdicts += [
                RowVerdict(
                    p.line, p.lot, False, _("not imported: the import was cancelled"), "cancel"
                )
                for p in work[start:]
            ]
            break
        copies = [await loop.run_in_executor(None, _copy_images, p, target) for p in chunk]
        answers = await asyncio.gather(
            *(
                sale.submit(p.command(names, live_reason), AUCTIONEER)
                for p, (names, _created) in zip(chunk, copies, strict=True)
            )
        )
        for p, (_names, created), answer in zip(chunk, copies, answers, strict=True):
            if answer.ok:
                detail = row_detail(p, plan.currency)
                verdicts.append(RowVerdict(p.line, p.lot, True, detail, p.action))
            else:
                _remove(created)  # a refused row leaves no files behind
                reason_text = answer.message or answer.reason or ""
                verdicts.append(RowVerdict(p.line, p.lot, False, reason_text, "refuse"))
        done += len(chunk)
        progress(done, total)
    return sorted(verdicts, key=lambda v: v.line)


def _bidder_plan(sale: BidderTarget, path: Path) -> tuple[list[BidderPlan], list[RowVerdict]]:
    return read_bidders(_read(path), set(sale.paddles), sale.currency, path.name)


async def preview_bidders(sale: BidderTarget, path: Path) -> list[RowVerdict]:
    """The dry run of a bidder list: who would be registered (action "add") and which rows are
    refused. Nothing is written."""
    loop = asyncio.get_running_loop()
    plans, bad = await loop.run_in_executor(None, _bidder_plan, sale, path)
    good = [RowVerdict(p.line, p.paddle, True, "", "add") for p in plans]
    return sorted([*good, *bad], key=lambda v: v.line)


async def run_bidder_import(
    sale: BidderTarget,
    path: Path,
    progress: Progress,
    *,
    cancel: threading.Event | None = None,
) -> list[RowVerdict]:
    """Register a bidder list in the running sale; one verdict per row, in file order.

    Raises CatalogueError when the file as a whole is unusable.
    """
    loop = asyncio.get_running_loop()
    plans, bad = await loop.run_in_executor(None, _bidder_plan, sale, path)
    progress(0, len(plans))
    verdicts = list(bad)

    async def register(p: BidderPlan) -> RowVerdict:
        answer = await sale.register(
            p.paddle,
            p.channel,
            p.identity,
            approved=p.approved,
            credit_limit=p.credit_limit,
            actor=AUCTIONEER,
        )
        if answer.ok:
            return RowVerdict(p.line, p.paddle, True, "", "add")
        return RowVerdict(p.line, p.paddle, False, answer.message or answer.reason or "", "refuse")

    for start in range(0, len(plans), CHUNK):
        if cancel is not None and cancel.is_set():
            verdicts += [
                RowVerdict(p.line, p.paddle, False, _("not registered: cancelled"), "cancel")
                for p in plans[start:]
            ]
            break
        verdicts += await asyncio.gather(*map(register, plans[start : start + CHUNK]))
        progress(min(start + CHUNK, len(plans)), len(plans))
    return sorted(verdicts, key=lambda v: v.line)
