"""Running imports on the core loop: parse (in a worker thread), then submit the good rows
and report progress. A catalogue (copying its images into the data dir: one `add_lot` per
row) and a bidder list (one registration per row). No Qt.

The importers see only what they need of the sale (`CatalogueTarget`, `BidderTarget`, built
by the core facade on the core loop), never the stage.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
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
    decode,
    image_target_name,
    index_images,
    parse_catalogue,
)
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


@dataclass(frozen=True, slots=True)
class BidderTarget:
    """What a bidder-list import needs of the running sale (read when the import starts)."""

    paddles: frozenset[str]  # paddles already registered
    currency: str
    register: RegisterBidder


def _read(csv_path: Path) -> bytes:
    try:
        if csv_path.stat().st_size > MAX_FILE_BYTES:
            raise CatalogueError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return csv_path.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"cannot read {csv_path.name}: {exc.strerror}") from exc


def plan_import(
    csv_path: Path, images_dir: Path | None, existing: set[str], currency: str
) -> ImportPlan:
    text = decode(_read(csv_path))
    return parse_catalogue(text, index_images(images_dir), existing, currency, images_dir)


def _copy_images(plan: LotPlan, target: Path) -> list[str]:
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for n, source in enumerate(plan.image_files, start=1):
        name = image_target_name(plan.lot, n, source)
        try:
            shutil.copyfile(source, target / name)
        except OSError as exc:
            plan.warnings.append(f"image {source.name[:40]} not copied: {exc.strerror}")
            continue
        names.append(name)
    return names


async def run_import(
    sale: CatalogueTarget, csv_path: Path, images_dir: Path | None, progress: Progress
) -> list[RowVerdict]:
    """Import a catalogue into the running sale; returns one verdict per row, in file order.

    Raises CatalogueError when the file as a whole is unusable.
    """
    loop = asyncio.get_running_loop()
    plan = await loop.run_in_executor(
        None, plan_import, csv_path, images_dir, set(sale.lots), sale.currency
    )
    total = len(plan.good)
    progress(0, total)
    bad = list(plan.bad)
    good: list[RowVerdict] = []
    target = sale.images_dir
    done = 0
    for start in range(0, total, CHUNK):
        chunk = plan.good[start : start + CHUNK]
        names = [await loop.run_in_executor(None, _copy_images, p, target) for p in chunk]
        answers = await asyncio.gather(
            *(sale.submit(p.command(n), AUCTIONEER) for p, n in zip(chunk, names, strict=True))
        )
        for p, answer in zip(chunk, answers, strict=True):
            if answer.ok:
                good.append(RowVerdict(p.line, p.lot, True, "; ".join(p.warnings)))
            else:
                bad.append(RowVerdict(p.line, p.lot, False, answer.message or answer.reason or ""))
        done += len(chunk)
        progress(done, total)
    return sorted([*good, *bad], key=lambda v: v.line)


async def run_bidder_import(
    sale: BidderTarget, csv_path: Path, progress: Progress
) -> list[RowVerdict]:
    """Register a bidder list in the running sale; one verdict per row, in file order.

    Raises CatalogueError when the file as a whole is unusable.
    """
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(None, _read, csv_path)
    plans, bad = await loop.run_in_executor(
        None, read_bidders, data, set(sale.paddles), sale.currency
    )
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
        return RowVerdict(
            p.line, p.paddle, answer.ok, "" if answer.ok else answer.message or answer.reason or ""
        )

    for start in range(0, len(plans), CHUNK):
        verdicts += await asyncio.gather(*map(register, plans[start : start + CHUNK]))
        progress(min(start + CHUNK, len(plans)), len(plans))
    return sorted(verdicts, key=lambda v: v.line)
