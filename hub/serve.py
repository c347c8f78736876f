"""`auctionmen serve`: the stage core without Qt, until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from hub.backend.sales import SaleError
from hub.config import StageConfig
from hub.journal.db import JournalError
from hub.journal.records import Record
from hub.mercure.app import raise_open_file_limit
from hub.runtime import until_stopped
from hub.stage import Stage
from hub.tls import TlsError


def _log_json(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "at": time.time(), **fields}), flush=True)


PLAIN_HTTP_WARNING = (
    'WARNING: plain HTTP (tls = "off"): the clerk PIN, staff tokens and bidders\' cookies '
    "cross the network unencrypted; anyone on the venue's Wi-Fi can read them"
)


def tls_lines(stage: Stage) -> list[str]:
    """What the operator is told about HTTPS at start: the certificate, or the warning."""
    served = stage.tls
    if served is None:
        return [PLAIN_HTTP_WARNING]
    lines = [
        f"  HTTPS:        {served.source} certificate for {', '.join(served.hosts) or '?'}, "
        f"until {served.not_after:%Y-%m-%d}"
    ]
    if served.ca_fingerprint:
        lines.append(
            f"  house CA:     SHA-256 {served.ca_fingerprint}\n"
            "                install it on the terminals: auctionmen tls ca-cert > house-ca.crt"
        )
    if served.renewed:
        lines.append(f"  (the stage certificate was issued now: {served.renewed})")
    return lines


async def serve_forever(config: StageConfig, stop: asyncio.Event | None = None) -> None:
    stage = Stage(config)
    await stage.start()

    def sealed(records: list[Record]) -> None:
        # The head hash after `sale_closed` is the seal: print it where the operator sees it.
        if any(record.type == "sale_closed" for record in records):
            _log_json("sale_sealed", sale=stage.sale_id, head=stage.sale.head)
            if not config.json_logs:
                print(
                    f"Sale '{stage.sale_id}' closed: journal sealed, head hash {stage.sale.head}",
                    file=sys.stderr,
                    flush=True,
                )

    stage.add_listener(sealed)
    _log_json(
        "serving",
        url=stage.url,
        sale=stage.sale_id,
        pin=stage.pin,
        journal=str(config.journal_path),
        gavel=config.gavel,
        tls=stage.tls.source if stage.tls else "off",
        tls_ca_fingerprint=stage.tls.ca_fingerprint if stage.tls else None,
        warning=None if stage.tls else PLAIN_HTTP_WARNING,
    )
    if not config.json_logs:
        print(
            f"Auctionmen stage for sale '{stage.sale_id}' at {stage.url}\n"
            f"  room display: {stage.url}/room\n"
            f"  clerk PIN:    {stage.pin}   (pair a terminal at {stage.url}/clerk)\n"
            f"  bidder link:  auctionmen token --role bidder --paddle 7001 --link"
            f"{'' if stage.tls else ' --tls off'}\n" + "\n".join(tls_lines(stage)),
            file=sys.stderr,
            flush=True,
        )
    try:
        await until_stopped(stop)
    finally:
        await stage.stop()
        _log_json("stopped")


def run_serve(config: StageConfig) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    raise_open_file_limit()
    runner: Callable[[Coroutine[Any, Any, None]], None]
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    try:
        runner(serve_forever(config))
    except (JournalError, SaleError, TlsError) as exc:
        print(f"auctionmen serve: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(f"auctionmen serve: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.filename is not None:  # the data dir, not the port
            print(f"auctionmen serve: {exc.filename}: {exc.strerror}", file=sys.stderr)
            return 1
        print(
            f"auctionmen serve: cannot listen on {config.host}:{config.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    return 0
