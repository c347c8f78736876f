"""The `auctionmen` command: the desktop app, and the headless tools beside it.

Qt is imported only for the desktop app, so `serve`, `token` and `journal` run anywhere.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _add_stage_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--data-dir", type=Path, help="where the journal and keys live")
    p.add_argument(
        "--demo", action="store_true", default=None, help="create the demo sale on first run"
    )
    p.add_argument("--sale", help="sale id (default demo)")
    p.add_argument("--config", type=Path, help="a TOML config file")
    p.add_argument("--gavel", help="gavel source, e.g. serial:/dev/ttyACM0, pty, none")
    p.add_argument("--relay-url", help="cloud relay node(s) to dial, comma-separated")
    p.add_argument("--json-logs", action="store_true", default=None, help="log JSON lines")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auctionmen", description=__doc__)
    sub = parser.add_subparsers(dest="command")

    gui = sub.add_parser("gui", help="the desktop app (the default)")
    _add_stage_flags(gui)
    gui.add_argument("--temp-data-dir", action="store_true", help="a throwaway data dir (tests)")
    gui.add_argument("--no-dialogs", action="store_true", help="never block on a dialog (tests)")

    serve = sub.add_parser("serve", help="the core and hub without Qt")
    _add_stage_flags(serve)

    token = sub.add_parser("token", help="print a signed token")
    token.add_argument("--data-dir", type=Path)
    token.add_argument("--role", required=True, choices=["bidder", "clerk", "auctioneer"])
    token.add_argument("--paddle")
    token.add_argument("--sale", default="demo")
    token.add_argument("--ttl", type=float, default=12 * 3600, help="seconds (default 12 h)")
    token.add_argument("--link", action="store_true", help="print a bidder link, not the token")

    key = sub.add_parser("stage-key", help="print the stage's public key (for a relay)")
    key.add_argument("--data-dir", type=Path)

    results = sub.add_parser("results", help="a sale's results (one row per lot) as CSV")
    results.add_argument("db", type=Path, help="the sale's journal file (SQLite)")
    results.add_argument("--out", type=Path, help="CSV file to write (default: standard output)")

    # journal and relay parse their own arguments (see main); listed here for --help.
    journal = sub.add_parser("journal", help="verify or export a sale's journal")
    journal.add_argument("args", nargs=argparse.REMAINDER)

    relay = sub.add_parser("relay", help="a cloud relay node")
    relay.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _stage_config(ns: argparse.Namespace):  # type: ignore[no-untyped-def]
    from hub.config import StageConfig

    return StageConfig.load(
        ns.config,
        host=ns.host,
        port=ns.port,
        data_dir=ns.data_dir,
        demo=ns.demo,
        sale=ns.sale,
        gavel=ns.gavel,
        relay_url=ns.relay_url,
        json_logs=ns.json_logs,
    )


def _has_display() -> bool:
    if sys.platform != "linux":
        return True
    if os.environ.get("QT_QPA_PLATFORM") in ("offscreen", "minimal", "vnc"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # These commands parse their own arguments (so `auctionmen relay --help` is theirs).
    if argv and argv[0] == "journal":
        from hub.journal.cli import main as journal_main

        return journal_main(argv[1:])
    if argv and argv[0] == "relay":
        from hub.relay.cli import main as relay_main

        return relay_main(argv[1:])
    parser = build_parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["gui", *argv]
    ns = parser.parse_args(argv)
    from hub.config import ConfigError

    try:
        if ns.command == "token":
            return _token(ns)
        if ns.command == "stage-key":
            from hub.config import StageConfig
            from hub.gateway.tokens import load_or_create_key, public_pem

            config = StageConfig.load(None, data_dir=ns.data_dir)
            sys.stdout.write(public_pem(load_or_create_key(config.data_dir)).decode())
            return 0
        if ns.command == "results":
            return _results(ns)
        if ns.command == "serve":
            from hub.serve import run_serve

            return run_serve(_stage_config(ns))
        if ns.command == "gui":
            config = _stage_config(ns)
            if not _has_display():
                print(
                    "auctionmen: no display found; running the core headless "
                    "(auctionmen serve). Open the printed address in a browser.",
                    file=sys.stderr,
                )
                return run_headless(config)
            from app.main import run_gui

            return run_gui(config, temp_data_dir=ns.temp_data_dir, no_dialogs=ns.no_dialogs)
    except ConfigError as exc:
        print(f"auctionmen: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 0


def run_headless(config) -> int:  # type: ignore[no-untyped-def]
    from hub.serve import run_serve

    if not config.journal_path.exists():
        config.demo = True
    return run_serve(config)


def _results(ns: argparse.Namespace) -> int:
    """Results straight from the journal: works on a closed sale and beside a running stage."""
    import sqlite3

    from hub.backend.results import journal_results, results_csv
    from hub.journal.db import JournalError

    try:
        rows = journal_results(ns.db)
    except (JournalError, sqlite3.DatabaseError) as exc:
        print(f"auctionmen results: {exc}", file=sys.stderr)
        return 1
    text = results_csv(rows)
    if ns.out is None:
        sys.stdout.write(text)
        return 0
    try:
        ns.out.write_text(text, "utf-8", newline="")
    except OSError as exc:
        print(f"auctionmen results: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {ns.out} ({len(rows)} lots)", file=sys.stderr)
    return 0


def _token(ns: argparse.Namespace) -> int:
    from hub.config import StageConfig
    from hub.gateway.tokens import TokenError, TokenIssuer, load_or_create_key

    config = StageConfig.load(None, data_dir=ns.data_dir, sale=ns.sale)
    try:
        issuer = TokenIssuer(load_or_create_key(config.data_dir), config.sale_iri_base)
        token = issuer.issue(ns.role, ns.sale, paddle=ns.paddle, ttl=ns.ttl)
    except TokenError as exc:
        print(f"auctionmen token: {exc}", file=sys.stderr)
        return 2
    if ns.link:
        base = config.public_url or f"http://{config.host}:{config.port}"
        page = "bid" if ns.role == "bidder" else "clerk"
        print(f"{base}/{page}#token={token}")
    else:
        print(token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
