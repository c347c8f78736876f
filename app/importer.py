"""Running imports on the core loop: parse (in a worker thread), then submit the good rows
and report progress. A catalogue (copying its images into the data dir: one `add_lot` per
row) and a bidder list (one registration per row). No Qt."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

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

AUCTIONEER = Actor("auctioneer")
CHUNK = 50  # commands in flight at once: the sequencer commits them as one batch

Progress = Callable[[int, int], None]


def _read(csv_path: Path) -> bytes:
    try:
        if csv_path.stat().st_size > MAX_FILE_BYTES:
            raise CatalogueError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return csv_path.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"cannot read {csv_path.name}: {exc.strerror}") from exc


def plan_import(csv_path: Path, images_dir: Path | None, existing: set[str],
                currency: str) -> ImportPlan:
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
    stage: Any, csv_path: Path, images_dir: Path | None, progress: Progress
) -> list[RowVerdict]:
    """Import a catalogue into the running sale; returns one verdict per row, in file order.

    Raises CatalogueError when the file as a whole is unusable.
    """
    loop = asyncio.get_running_loop()
    engine = stage.engine
    existing = set(engine.lots)
    currency = engine.sale.settings.currency
    plan = await loop.run_in_executor(None, plan_import, csv_path, images_dir, existing,
                                      currency)
    total = len(plan.good)
    progress(0, total)
    bad = list(plan.bad)
    good: list[RowVerdict] = []
    target = Path(stage.config.data_dir) / "images"
    done = 0
    for start in range(0, total, CHUNK):
        chunk = plan.good[start:start + CHUNK]
        names = [await loop.run_in_executor(None, _copy_images, p, target) for p in chunk]
        answers = await asyncio.gather(*(
            stage.submit(p.command(n), AUCTIONEER) for p, n in zip(chunk, names, strict=True)))
        for p, answer in zip(chunk, answers, strict=True):
            if answer.ok:
                good.append(RowVerdict(p.line, p.lot, True, "; ".join(p.warnings)))
            else:
                bad.append(RowVerdict(p.line, p.lot, False, answer.message or answer.reason))
        done += len(chunk)
        progress(done, total)
    return sorted([*good, *bad], key=lambda v: v.line)


async def run_bidder_import(stage: Any, csv_path: Path, progress: Progress) -> list[RowVerdict]:
    """Register a bidder list in the running sale; one verdict per row, in file order.

    Raises CatalogueError when the file as a whole is unusable.
    """
    loop = asyncio.get_running_loop()
    existing = set(stage.engine.bidders)
    currency = stage.engine.sale.settings.currency
    data = await loop.run_in_executor(None, _read, csv_path)
    plans, bad = await loop.run_in_executor(None, read_bidders, data, existing, currency)
    progress(0, len(plans))
    verdicts = list(bad)

    async def register(p: BidderPlan) -> RowVerdict:
        answer = await stage.register_bidder(p.paddle, p.channel, p.identity,
                                             approved=p.approved, credit_limit=p.credit_limit,
                                             actor=AUCTIONEER)
        return RowVerdict(p.line, p.paddle, answer.ok,
                          "" if answer.ok else answer.message or answer.reason)

    for start in range(0, len(plans), CHUNK):
        verdicts += await asyncio.gather(*map(register, plans[start:start + CHUNK]))
        progress(min(start + CHUNK, len(plans)), len(plans))
    return sorted(verdicts, key=lambda v: v.line)
