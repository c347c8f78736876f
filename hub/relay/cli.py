"""`auctionmen relay --host H --port P [--redis URL] --stage-key PEM --sale S [--workers N]`.

Prints one JSON line `{"event": "relay_listening", "url", "pid", "worker"}` per worker once
it listens, then serves until SIGINT/SIGTERM. With `--workers N` (N > 1) it starts N worker
processes, each its own asyncio loop with its own SO_REUSEPORT listener and its own Redis
tail; the kernel spreads connections over them. Several workers need Redis (they share
nothing else) and a fixed port. A worker that dies is started again (a new
`relay_listening` line; `relay_worker_restarted` on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from hub.gateway.server import DEFAULT_TRUSTED, GuardConfig
from hub.mercure.app import raise_open_file_limit
from hub.mercure.listen import DEFAULT_BACKLOG, backlog_flag
from hub.relay.node import RelayConfig, RelayNode
from hub.runtime import until_stopped


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="auctionmen relay", description="a cloud relay node")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8780)
    p.add_argument(
        "--redis", default=None, help="redis://host:port/db (omit: one node, local history)"
    )
    p.add_argument(
        "--stage-key",
        required=True,
        type=Path,
        help="the stage's PUBLIC key (PEM) that signs bidder and link tokens",
    )
    p.add_argument("--sale", default="demo")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--history", type=int, default=20_000, help="records mirrored in memory")
    p.add_argument(
        "--backlog",
        type=backlog_flag,
        default=DEFAULT_BACKLOG,
        help="listen backlog: connections queued for accept() when thousands reconnect at "
        "once (capped by net.core.somaxconn)",
    )
    p.add_argument("--bid-timeout", type=float, default=5.0)
    p.add_argument("--cors-origin", action="append", default=[])
    p.add_argument("--sale-iri-base", default="https://auctionmen.local/sales/")
    p.add_argument(
        "--max-subscribers",
        type=int,
        default=0,
        help="open streams per worker before new ones get 429 (0: no cap)",
    )
    p.add_argument(
        "--max-per-client",
        type=int,
        default=0,
        help="open streams per client address (0: no cap; behind a proxy every "
        "client has the proxy's address: cap there instead)",
    )
    p.add_argument(
        "--behind-tls-proxy",
        action="store_true",
        help="clients reach this node over https through a TLS-terminating proxy "
        "(cookies are then marked Secure)",
    )
    p.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        help="seconds a connection has to complete its request head (slowloris), also "
        "between keep-alive requests",
    )
    p.add_argument(
        "--max-unfinished-per-client",
        type=int,
        default=256,
        help="connections without a complete request head per client address (0: no cap)",
    )
    p.add_argument(
        "--fd-reserve",
        type=int,
        default=64,
        help="file descriptors kept for --trusted addresses (and the stage link, Redis)",
    )
    p.add_argument(
        "--trusted",
        action="append",
        default=None,
        metavar="NETWORK",
        help="an address or CIDR network admitted into the descriptor reserve, e.g. the "
        "stage's public address (repeatable; default 127.0.0.1 and ::1; 'none': no address)",
    )
    return p.parse_args(argv)


def _config(ns: argparse.Namespace, pem: bytes) -> RelayConfig:
    return RelayConfig(
        stage_public_pem=pem,
        sale=ns.sale,
        host=ns.host,
        port=ns.port,
        redis_url=ns.redis,
        sale_iri_base=ns.sale_iri_base,
        history_records=ns.history,
        bid_timeout=ns.bid_timeout,
        cors_origins=tuple(ns.cors_origin),
        reuse_port=ns.workers > 1,
        listen_backlog=ns.backlog,
        behind_tls_proxy=ns.behind_tls_proxy,
        max_subscribers=max(0, ns.max_subscribers),
        max_per_client=max(0, ns.max_per_client),
        guard=GuardConfig(
            header_timeout=ns.header_timeout,
            max_unfinished_per_client=ns.max_unfinished_per_client,
            fd_reserve=ns.fd_reserve,
            trusted=_trusted(ns.trusted),
        ),
    )


def _trusted(flags: list[str] | None) -> tuple[str, ...]:
    if flags is None:
        return DEFAULT_TRUSTED
    return tuple(flag for flag in flags if flag != "none")


async def _serve(config: RelayConfig, worker: int) -> None:
    import gc

    node = RelayNode(config)
    await node.start()
    _announce(
        {
            "event": "relay_listening",
            "url": node.url,
            "pid": _pid(),
            "worker": worker,
            "node": config.node_id,
            "at": time.time(),
        }
    )
    gc.collect()
    gc.freeze()  # perf-notes: keep the collector off the long-lived objects
    try:
        await until_stopped()
    finally:
        await node.stop()


def _announce(event: dict[str, Any]) -> None:
    """One JSON line on stdout in a single write: workers share the pipe, and a line split
    over two writes can interleave with another worker's (seen in CI)."""
    sys.stdout.flush()
    os.write(sys.stdout.fileno(), (json.dumps(event) + "\n").encode())


def _pid() -> int:
    return os.getpid()


def _run(config: RelayConfig, worker: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    raise_open_file_limit()  # every subscriber is a socket
    runner: Any
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(_serve(config, worker))


def main(argv: list[str]) -> int:
    ns = parse(argv)
    try:
        pem = ns.stage_key.read_bytes()
    except OSError as exc:
        print(f"auctionmen relay: cannot read {ns.stage_key}: {exc.strerror}", file=sys.stderr)
        return 2
    if ns.workers < 1 or ns.workers > 64:
        print("auctionmen relay: --workers must be 1..64", file=sys.stderr)
        return 2
    if ns.workers > 1 and (not ns.redis or ns.port == 0):
        print("auctionmen relay: several workers need --redis and a fixed --port", file=sys.stderr)
        return 2
    try:
        config = _config(ns, pem)
        from hub.relay.protocol import load_public_key

        load_public_key(pem)
    except Exception as exc:
        print(f"auctionmen relay: {exc}", file=sys.stderr)
        return 2
    if ns.workers == 1:
        try:
            _run(config, 0)
        except OSError as exc:
            print(
                f"auctionmen relay: cannot listen on {ns.host}:{ns.port}: {exc.strerror}",
                file=sys.stderr,
            )
            return 1
        return 0
    return _supervise(ns, pem)


def _supervise(ns: argparse.Namespace, pem: bytes) -> int:
    """Run `ns.workers` worker processes; one that dies is started again (its subscribers
    reconnect to the others meanwhile), until SIGTERM/SIGINT stops them all."""
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def spawn(worker: int) -> Any:
        cfg = _config(ns, pem)  # each worker its own node id
        proc = ctx.Process(target=_run, args=(cfg, worker), name=f"relay-worker-{worker}")
        proc.start()
        return proc

    procs = [spawn(worker) for worker in range(ns.workers)]
    started = [time.monotonic()] * ns.workers

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for proc in procs:
            if proc.is_alive() and proc.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while not stopping:
        wait([proc.sentinel for proc in procs], timeout=1.0)
        for worker, proc in enumerate(procs):
            if stopping or proc.is_alive():
                continue
            # A worker that keeps dying at start is not restarted in a tight loop.
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started[worker])))
            if stopping:
                break
            print(
                json.dumps(
                    {"event": "relay_worker_restarted", "worker": worker, "exitcode": proc.exitcode}
                ),
                file=sys.stderr,
                flush=True,
            )
            procs[worker], started[worker] = spawn(worker), time.monotonic()
    code = 0
    for proc in procs:
        proc.join()
        code = code or (proc.exitcode or 0)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
