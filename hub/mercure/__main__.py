"""Standalone hub: ``python -m hub.mercure --port N [--config FILE | --conformance]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import signal
from collections.abc import Sequence

from aiohttp import web

from .app import make_mercure_app, raise_open_file_limit
from .config import HubConfig, conformance_config
from .history import HistorySource
from .listen import backlog_flag, listen_backlog


async def start_standalone(
    config: HubConfig, host: str = "127.0.0.1", port: int = 0, sources: Sequence[HistorySource] = ()
) -> tuple[web.AppRunner, int]:
    """Start the hub on ``host:port`` (0 = any free port); returns the runner and the port.

    Stop it with ``await runner.cleanup()``.
    """
    app = make_mercure_app(config, sources)
    # handler_cancellation: a disconnected subscriber's handler ends at once.
    # max_field_size: let over-long tokens reach the hub, which answers 401 (not aiohttp's 400).
    runner = web.AppRunner(
        app,
        handler_cancellation=True,
        shutdown_timeout=3.0,
        max_field_size=96 * 1024,
        max_line_size=64 * 1024,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=listen_backlog(config.listen_backlog))
    await site.start()
    server = getattr(site, "_server", None)
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, int(bound)


async def run_standalone(config: HubConfig, host: str = "127.0.0.1", port: int = 3000) -> None:
    """Serve only the hub until SIGINT/SIGTERM."""
    runner, bound = await start_standalone(config, host, port)
    logging.getLogger("hub.mercure").info(
        "Mercure hub on http://%s:%d%s", host, bound, config.hub_path
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hub.mercure", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--config", help="TOML or JSON file with HubConfig fields")
    group.add_argument(
        "--conformance",
        action="store_true",
        help="the configuration the official conformance suites expect",
    )
    parser.add_argument(
        "--backlog",
        type=backlog_flag,
        help="listen backlog (default: the config's listen_backlog, 4096; capped by somaxconn)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    raise_open_file_limit()
    if args.config:
        config = HubConfig.from_file(args.config)
    elif args.conformance:
        config = conformance_config()
    else:
        parser.error("pass --config FILE or --conformance")
    if args.backlog is not None:
        config = dataclasses.replace(config, listen_backlog=args.backlog)
    try:
        import uvloop

        uvloop.run(run_standalone(config, args.host, args.port))
    except ImportError:
        asyncio.run(run_standalone(config, args.host, args.port))


if __name__ == "__main__":
    main()
