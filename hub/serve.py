"""`auctionmen serve`: the stage core without Qt, until SIGINT/SIGTERM.

What it prints is for the person who started it: the addresses, a bidder link and the clerk's
way in that work as printed (issue 15). Its output may go away (a closed pipe, `| head`):
the stage then keeps serving and stops writing, because bidders must not lose the stage
because a log reader left.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import shlex
import shutil
import socket
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from hub.backend.sales import SaleError
from hub.config import StageConfig
from hub.journal.db import JournalError
from hub.journal.records import Record
from hub.links import record_address
from hub.mercure.app import raise_open_file_limit
from hub.runtime import until_stopped
from hub.stage import Stage
from hub.tls import TlsError

log = logging.getLogger("auctionmen.serve")


def _say(text: str, stream: str = "stdout") -> None:
    """Print to stdout or stderr; a closed pipe silences that stream for good (writes go to
    /dev/null, as Python's docs advise) instead of stopping the stage."""
    out = getattr(sys, stream)
    try:
        print(text, file=out, flush=True)
    except (BrokenPipeError, ConnectionResetError, ValueError):
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            setattr(sys, stream, open(os.devnull, "w"))  # noqa: SIM115 -- lives to the end


def _log_json(event: str, **fields: Any) -> None:
    _say(json.dumps({"event": event, "at": time.time(), **fields}))


def program() -> str:
    """How the person who started us runs `auctionmen` again: `./scripts/run` says so in
    AUCTIONMEN_PROG; else the name on PATH, else the full path of this program."""
    named = os.environ.get("AUCTIONMEN_PROG", "").strip()
    if named:
        return named
    me = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    on_path = shutil.which("auctionmen")
    if on_path and (not me or os.path.realpath(on_path) == os.path.realpath(me)):
        return "auctionmen"
    return shlex.quote(me) if me.endswith("auctionmen") else "auctionmen"


def demo_paddle(stage: Stage) -> str | None:
    """An approved bidder to print a link for: online ones first (a link is how they bid)."""
    approved = [b for b in stage.engine.bidders.values() if b.status == "approved"]
    approved.sort(key=lambda b: (b.channel != "online", b.paddle))
    return approved[0].paddle if approved else None


def access_lines(stage: Stage, prog: str | None = None) -> list[str]:
    """How people get in, as lines that work when copied: the room, a bidder, the clerk."""
    prog = prog or program()
    base = stage.base_url()
    data_dir = shlex.quote(str(stage.config.data_dir))
    lines = [f"  room display: {base}/room"]
    paddle = demo_paddle(stage) if stage.config.demo or stage.sale_id == "demo" else None
    if paddle is not None:
        lines.append(f"  bidder link:  {stage.bidder_link(paddle)}   (paddle {paddle})")
    else:
        tls = "" if stage.tls else " --tls off"
        lines.append(
            f"  bidder link:  {prog} token --data-dir {data_dir} --sale {stage.sale_id} "
            f"--role bidder --paddle N --link{tls}"
        )
    if stage.staff.has_accounts():
        lines.append(f"  clerk:        sign in at {base}/clerk with your staff name and PIN")
    else:
        lines.append(f"  clerk link:   {stage.clerk_link()}")
        lines.append(f"  clerk PIN:    {stage.pin}   (pair a terminal at {base}/clerk)")
    if stage.sale_id == "demo":
        lines.append(
            f"  the demo keeps its bids between runs; to start it over: {prog} --fresh "
            f"(or {prog} sale reset demo --data-dir {data_dir})"
        )
    return lines


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
                _say(
                    f"Sale '{stage.sale_id}' closed: journal sealed, head hash {stage.sale.head}",
                    "stderr",
                )

    stage.add_listener(sealed)
    try:
        record_address(config.data_dir, stage.sale_id, stage.url, stage.base_url())
    except OSError as exc:
        log.warning("cannot record the stage's address in %s: %s", config.data_dir, exc)
    _log_json(
        "serving",
        url=stage.url,
        base_url=stage.base_url(),
        sale=stage.sale_id,
        pin=stage.pin,
        journal=str(config.journal_path),
        gavel=config.gavel,
        tls=stage.tls.source if stage.tls else "off",
        tls_ca_fingerprint=stage.tls.ca_fingerprint if stage.tls else None,
        warning=None if stage.tls else PLAIN_HTTP_WARNING,
    )
    if not config.json_logs:
        lines = [f"Auctionmen stage for sale '{stage.sale_id}' at {stage.url}"]
        _say("\n".join(lines + access_lines(stage) + tls_lines(stage)), "stderr")
    try:
        await until_stopped(stop)
    finally:
        await stage.stop()
        _log_json("stopped")


# What binding a socket fails with; anything else is not "cannot listen".
LISTEN_ERRORS = frozenset(
    {errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES, errno.EPERM, errno.EAFNOSUPPORT}
)


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
        if exc.errno not in LISTEN_ERRORS and not isinstance(exc, socket.gaierror):
            print(f"auctionmen serve: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(
            f"auctionmen serve: cannot listen on {config.host}:{config.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    return 0
