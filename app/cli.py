"""The `auctionmen` command: the desktop app, and the headless tools beside it.

Qt is imported only for the desktop app, so `serve`, `sale`, `token` and `journal` run
anywhere.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


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
    p.add_argument(
        "--tls",
        choices=["house", "off"],
        help="house: HTTPS (the default; --demo: off); off: plain HTTP, unencrypted",
    )
    p.add_argument("--tls-cert", type=Path, help="the house's own certificate (PEM)")
    p.add_argument("--tls-key", type=Path, help="its private key (PEM, unencrypted)")
    p.add_argument(
        "--public-url",
        help="the address bidders' phones use, e.g. https://192.168.1.20:8765 "
        "(default: this machine's address when listening on every interface)",
    )
    p.add_argument("--house-name", help="the auction house's name (saved in house.json)")
    p.add_argument(
        "--currency", help="the house's currency, ISO 4217 (e.g. EUR): the default of new sales"
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="start the demo sale over before starting (its bids and lots as shipped)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auctionmen", description=__doc__)
    parser.add_argument("--version", action="version", version=f"auctionmen {version()}")
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
    token.add_argument("--tls", choices=["house", "off"], help="off: an http:// link")
    token.add_argument(
        "--url", help="the stage's public address for --link (default: as configured)"
    )
    token.add_argument("--config", type=Path, help="the stage's TOML config file")

    _add_staff_parser(sub)

    key = sub.add_parser("stage-key", help="print the stage's public key (for a relay)")
    key.add_argument("--data-dir", type=Path)

    _add_sale_parser(sub)
    _add_tls_parser(sub)
    _add_retention_parser(sub)

    results = sub.add_parser("results", help="a sale's results (one row per lot) as CSV")
    results.add_argument("db", type=Path, help="the sale's journal file (SQLite)")
    results.add_argument("--out", type=Path, help="CSV file to write (default: standard output)")

    invoices = sub.add_parser(
        "invoices", help="a sale's issued invoices and credit notes (list, or write HTML/PDF)"
    )
    invoices.add_argument("db", type=Path, help="the sale's journal file (SQLite)")
    invoices.add_argument("--html", type=Path, metavar="DIR", help="write one HTML file each")
    invoices.add_argument("--pdf", type=Path, metavar="DIR", help="write one PDF each")
    invoices.add_argument(
        "--print",
        type=Path,
        metavar="FILE",
        dest="print_file",
        help="write every document in one PDF to print (each laid out once with its own PDF)",
    )
    invoices.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="lay PDFs out in N processes at once (1 to 64; default 1)",
    )

    export = sub.add_parser("export", help="accounting exports of a sale")
    export.add_argument("what", choices=["accounts"])
    export.add_argument("db", type=Path, help="the sale's journal file (SQLite)")
    export.add_argument("--format", choices=["csv", "json"], required=True)
    export.add_argument(
        "--kind",
        default="all",
        help="invoices, credit_notes, lines, payments, refunds, payouts, settlements, "
        "or all (default; CSV then needs --out DIR)",
    )
    export.add_argument("--out", type=Path, help="file to write (a folder for CSV of all)")

    # journal and relay parse their own arguments (see main); listed here for --help.
    journal = sub.add_parser("journal", help="verify or export a sale's journal")
    journal.add_argument("args", nargs=argparse.REMAINDER)

    relay = sub.add_parser("relay", help="a cloud relay node")
    relay.add_argument("args", nargs=argparse.REMAINDER)
    return parser


SALE_FILE_EXAMPLE = """\
a sale file (TOML; JSON has the same keys), amounts in minor units:

  id = "autumn-2026"
  title = "Autumn Fine Art"
  house = "Maison Example"
  currency = "EUR"
  timezone = "Europe/Paris"

  [[sessions]]
  name = "Day 1"
  starts = 2026-12-05T10:00:00
  from_lot = "1"
  to_lot = "250"

  [settings]
  tie_policy = "first_received"    # or floor_priority
  late_window = 3                  # seconds
  reopen_window = 120
  subject_to = false
  subject_to_window = 172800
  confirm_online = false
  auto_absentee = true
  buyer_premium = [[0, 2500], [50000000, 2000]]   # [from, basis points], marginal
  vat_rate_bp = 2000
"""


def _add_staff_parser(sub: Any) -> None:
    staff = sub.add_parser("staff", help="staff accounts: add one (the first, too), list them")
    verbs = staff.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser(
        "add",
        help="add a staff account; its PIN or password comes from stdin or a file, never "
        "the command line",
        description="Add a staff account. Once one exists, terminals sign in by name and PIN "
        "(the stage's shared PIN stops working). Example: "
        "printf '%%s\\n' 4821 | auctionmen staff add --name 'Ada' --role admin "
        "--role auctioneer --pin-stdin",
    )
    add.add_argument("--data-dir", type=Path)
    add.add_argument("--name", required=True, help="the person's name (unique)")
    add.add_argument(
        "--role",
        action="append",
        required=True,
        help="auctioneer, clerk, desk, cashier, admin or officer (repeat for more)",
    )
    secret = add.add_mutually_exclusive_group(required=True)
    secret.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    secret.add_argument("--pin-file", type=Path, help="read the PIN from this file")
    secret.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    secret.add_argument("--password-file", type=Path, help="read the password from this file")
    listing = verbs.add_parser("list", help="the staff accounts (no secrets)")
    listing.add_argument("--data-dir", type=Path)
    listing.add_argument("--json", action="store_true")


SECRET_LIMIT = 4096  # bytes read for a PIN or password: a line, not a file's worth


def _read_secret(path: Path | None) -> str:
    """The first line of `path`, or of stdin when None; without its line ending."""
    from hub.backend.staff import StaffError

    try:
        if path is None:
            data = sys.stdin.buffer.read(SECRET_LIMIT + 1) if sys.stdin else b""
        else:
            with path.open("rb") as f:
                data = f.read(SECRET_LIMIT + 1)
    except OSError as exc:
        raise StaffError("invalid", f"cannot read {path}: {exc.strerror}") from None
    if len(data) > SECRET_LIMIT:
        raise StaffError("invalid", "the PIN or password must be one short line")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise StaffError("invalid", "the PIN or password is not UTF-8 text") from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise StaffError("invalid", "no PIN or password given (an empty line)")
    return lines[0]


def _staff(ns: argparse.Namespace) -> int:
    """`staff add|list`: 0 done, 1 refused (the message says why)."""
    import json

    from hub.backend.staff import StaffError, StaffStore

    prog = f"auctionmen staff {ns.verb}"
    data_dir = _data_dir(ns.data_dir)
    try:
        if ns.verb == "add":
            roles = [r.strip() for text in ns.role for r in text.split(",") if r.strip()]
            pin = password = None
            if ns.pin_stdin or ns.pin_file is not None:
                pin = _read_secret(ns.pin_file).strip()
            else:
                password = _read_secret(ns.password_file)
            store = StaffStore(data_dir / "staff.db")
            try:
                account = store.create(ns.name, roles, pin=pin, password=password)
            finally:
                store.close()
            print(f"added {account.id} {account.name} ({', '.join(account.roles)})")
            return 0
        store = StaffStore(data_dir / "staff.db")
        try:
            accounts = store.accounts()
        finally:
            store.close()
    except StaffError as exc:
        print(f"{prog}: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{prog}: {exc.filename or data_dir}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if ns.json:
        print(json.dumps([a.to_json() for a in accounts], ensure_ascii=False, indent=1))
        return 0
    if not accounts:
        print("no staff accounts yet: `auctionmen staff add --name NAME --role admin --pin-stdin`")
    for a in accounts:
        state = "" if a.active else "  (deactivated)"
        print(f"{a.id:<6} {a.name:<30} {', '.join(a.roles)}{state}")
    return 0


def _add_sale_parser(sub: Any) -> None:
    sale = sub.add_parser("sale", help="create, list, reset, go live with and close sales")
    verbs = sale.add_subparsers(dest="verb", required=True)

    new = verbs.add_parser(
        "new",
        help="create a sale (a draft unless --no-draft)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=SALE_FILE_EXAMPLE,
    )
    new.add_argument("--data-dir", type=Path, help="where the sales live")
    new.add_argument("--file", type=Path, help="a sale file (.toml or .json); flags override it")
    new.add_argument("--id", help="the sale id (letters, digits, - and _; it names the file)")
    new.add_argument("--title")
    new.add_argument("--house", help="the auction house's name")
    new.add_argument("--currency", help="ISO 4217 code, e.g. EUR (default EUR)")
    new.add_argument("--timezone", help="e.g. Europe/Paris (default UTC)")
    new.add_argument(
        "--session",
        action="append",
        metavar="NAME,START,FROM_LOT,TO_LOT",
        help="a session, e.g. 'Day 1,2026-12-05T10:00,1,250' (repeat for each day)",
    )
    new.add_argument("--ladder", type=Path, metavar="FILE", help="increment ladder CSV")
    new.add_argument("--tie-policy", choices=["first_received", "floor_priority"])
    new.add_argument("--late-window", type=float, metavar="SECONDS")
    new.add_argument("--reopen-window", type=float, metavar="SECONDS")
    new.add_argument("--subject-to-window", type=int, metavar="SECONDS")
    new.add_argument("--subject-to", action=argparse.BooleanOptionalAction)
    new.add_argument("--confirm-online", action=argparse.BooleanOptionalAction)
    new.add_argument("--auto-absentee", action=argparse.BooleanOptionalAction)
    new.add_argument(
        "--premium", metavar="FROM:BP,...", help="buyer's premium bands, e.g. 0:2500,50000000:2000"
    )
    new.add_argument("--vat-bp", type=int, metavar="BP", help="VAT in basis points (2000 = 20 %%)")
    new.add_argument(
        "--draft",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start as a draft (default); --no-draft goes live at once (needs lots)",
    )

    listing = verbs.add_parser("list", help="every sale in the data dir")
    listing.add_argument("--data-dir", type=Path)
    listing.add_argument("--json", action="store_true", help="one JSON document")

    reset = verbs.add_parser("reset", help="start a sale over (only the demo)")
    reset.add_argument("which", choices=["demo"])
    reset.add_argument("--data-dir", type=Path)

    for verb, text in (("go-live", "take a draft sale live"), ("close", "close and seal a sale")):
        cmd = verbs.add_parser(verb, help=f"{text} (no stage may be running it)")
        cmd.add_argument("id")
        cmd.add_argument("--data-dir", type=Path)


def _add_retention_parser(sub: Any) -> None:
    ret = sub.add_parser(
        "retention", help="who is due for erasure of personal data, and the erasure itself"
    )
    verbs = ret.add_subparsers(dest="verb", required=True)
    report = verbs.add_parser("report", help="dry run: who would be erased and why")
    report.add_argument("--as-of", help="the day to judge on, YYYY-MM-DD (default today)")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    erase = verbs.add_parser(
        "erase",
        help="erase everyone the report says is due (journaled; no stage may be running)",
    )
    erase.add_argument("--as-of", required=True, help="the day to judge on, YYYY-MM-DD")
    erase.add_argument("--yes", action="store_true", help="really erase (it cannot be undone)")
    hold = verbs.add_parser("hold", help="put a legal hold on a person, or lift it")
    hold.add_argument("kind", choices=("bidder", "consignor"))
    hold.add_argument("key", help="the customer id (cu-N) or consignor reference")
    which = hold.add_mutually_exclusive_group(required=True)
    which.add_argument("--reason", help="why the data must be kept")
    which.add_argument("--lift", action="store_true", help="lift the hold")
    for cmd in (report, erase, hold):
        cmd.add_argument("--data-dir", type=Path)
        cmd.add_argument("--years", type=int, default=5, help="years after the end (default 5)")


def _retention_clock() -> float:
    """Now (a seam for the tests: erasure never judges on a day still to come)."""
    import time

    return time.time()


def _retention(ns: argparse.Namespace) -> int:
    """`retention report|erase|hold`: 0 done, 1 refused (the message says why), 2 usage."""
    import json

    from hub.backend import retention

    prog = f"auctionmen retention {ns.verb}"
    data_dir = _data_dir(ns.data_dir)
    now = _retention_clock()
    if not 1 <= ns.years <= 100:
        print(f"{prog}: --years must be between 1 and 100", file=sys.stderr)
        return 2
    try:
        if ns.verb == "hold":
            retention.set_hold(data_dir, ns.kind, ns.key, None if ns.lift else ns.reason, now)
            print(f"{'lifted the hold on' if ns.lift else 'legal hold on'} {ns.kind} {ns.key}")
            return 0
        as_of = retention.parse_as_of(ns.as_of) if ns.as_of else now
        if ns.verb == "report":
            entries = retention.report(data_dir, as_of, ns.years)
            if ns.json:
                print(json.dumps(entries, ensure_ascii=False, indent=1))
            else:
                _print_retention(entries)
            return 0
        if as_of > retention.parse_as_of(_today(now)):
            print(
                f"{prog}: --as-of {ns.as_of} is in the future; erasure judges on today "
                "or a past day",
                file=sys.stderr,
            )
            return 2
        if not ns.yes:
            print(
                f"{prog}: this erases personal data for good; check `auctionmen retention "
                "report --as-of DATE` first, then add --yes",
                file=sys.stderr,
            )
            return 2
        marker = retention.sale_marker(data_dir, _retention_clock)
        erased = retention.erase(data_dir, as_of, marker, years=ns.years)
    except retention.RetentionError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    for entry in erased:
        print(f"erased {entry['kind']} {entry['key']} ({', '.join(entry['paddles']) or '-'})")
    print(f"{len(erased)} erased")
    return 0


def _today(now: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(now, UTC).date().isoformat()


def _print_retention(entries: list[dict[str, Any]]) -> None:
    for e in entries:
        paddles = ", ".join(e["paddles"]) or "-"
        print(
            f"{e['verdict']:<6} {e['kind']:<9} {e['key']:<14} {paddles:<24} "
            f"ended {e['relationship_end'] or '-'}  due {e['due'] or '-'}  {e['why']}"
        )
    counts = {v: sum(1 for e in entries if e["verdict"] == v) for v in ("erase", "hold", "keep")}
    erased = sum(1 for e in entries if e["verdict"] == "erased")
    print(
        f"{counts['erase']} to erase, {counts['hold']} on legal hold, {counts['keep']} kept, "
        f"{erased} already erased"
    )


def _add_tls_parser(sub: Any) -> None:
    tls = sub.add_parser("tls", help="HTTPS on the LAN: the house certificate authority")
    verbs = tls.add_subparsers(dest="verb", required=True)
    init = verbs.add_parser(
        "init",
        help="create the house CA (once) and the stage's certificate",
        description="Creates the house certificate authority in DATA_DIR/tls (kept if it "
        "exists: the terminals trust it) and a server certificate for this machine's "
        "addresses and names, plus every --host. See docs/OPERATIONS.md.",
    )
    init.add_argument("--data-dir", type=Path)
    init.add_argument(
        "--name", help='the house\'s name in the certificates (default "Auctionmen house")'
    )
    init.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="NAME-or-IP",
        help="another address or name terminals use for the stage (repeatable)",
    )
    ca = verbs.add_parser("ca-cert", help="print the house CA certificate (PEM) to install")
    ca.add_argument("--data-dir", type=Path)


def _tls(ns: argparse.Namespace) -> int:
    """`tls init|ca-cert`: exit 0 done, 1 refused (the message says why)."""
    from hub import tls

    data_dir = _data_dir(ns.data_dir)
    prog = f"auctionmen tls {ns.verb}"
    try:
        if ns.verb == "ca-cert":
            sys.stdout.write(tls.ca_pem(data_dir).decode("ascii"))
            return 0
        created, paths = tls.init_house(data_dir, ns.name, ns.host)
        served = tls.ensure_server_cert(data_dir, tls.stage_hosts("0.0.0.0"), create=False)
    except tls.TlsError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{prog}: {exc.filename or data_dir}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(
        f"{'created' if created else 'kept'} the house CA {paths.ca_cert}\n"
        f"  SHA-256 {served.ca_fingerprint}\n"
        f"stage certificate {served.cert} for {', '.join(served.hosts)}, "
        f"until {served.not_after:%Y-%m-%d}\n"
        "install the CA on each terminal: auctionmen tls ca-cert > house-ca.crt "
        "(docs/OPERATIONS.md)"
    )
    return 0


def _inspector_sheets(argv: list[str]) -> int:
    """After `journal export`: the inspector's clerk sheet and settlements with buyers' and
    consignors' names and addresses from the identities file (none with --no-pii)."""
    from hub.backend.inspector import InspectorError, write_sheets

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("db", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--format", default="both")
    parser.add_argument("--no-pii", action="store_true")
    ns, _ = parser.parse_known_args(argv)
    try:
        paths = write_sheets(ns.db, ns.out, pii=not ns.no_pii, fmt=ns.format)
    except InspectorError as exc:
        print(f"journal: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"journal: {exc.filename or ns.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"wrote {path}")
    print("personal data: " + ("left out (--no-pii)" if ns.no_pii else "names and addresses"))
    return 0


def _data_dir(given: Path | None) -> Path:
    """--data-dir, else the data folder of the user's config file, else the default."""
    from app.settings import default_config
    from hub.config import StageConfig

    return StageConfig.load(default_config(), data_dir=given).data_dir


def _config_file(ns: argparse.Namespace) -> Path | None:
    """--config, else the user's config file (the first-run assistant's) when there is one."""
    from app.settings import default_config

    given: Path | None = getattr(ns, "config", None)
    return given if given is not None else default_config()


def _stage_config(ns: argparse.Namespace):  # type: ignore[no-untyped-def]
    from hub.config import ConfigError, StageConfig
    from hub.links import check_url

    if ns.public_url is not None:
        try:
            check_url(ns.public_url, "--public-url")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    config = StageConfig.load(
        _config_file(ns),
        public_url=ns.public_url,
        host=ns.host,
        port=ns.port,
        data_dir=ns.data_dir,
        demo=ns.demo,
        sale=ns.sale,
        gavel=ns.gavel,
        relay_url=ns.relay_url,
        json_logs=ns.json_logs,
        tls=ns.tls,
        tls_cert=ns.tls_cert,
        tls_key=ns.tls_key,
    )
    _check_gavel(str(config.gavel))
    return config


def _check_gavel(spec: str) -> None:
    """A gavel spec the hardware registry knows, else a ConfigError saying what is wrong."""
    from hardware import registry
    from hub.config import ConfigError

    try:
        registry.parse_spec(spec)
    except ValueError as exc:
        raise ConfigError(
            f"gavel {spec[:60]!r}: {str(exc)[:200]} (e.g. serial:/dev/ttyACM0, hid:0c45:7403, "
            "keyboard:F12, pty or none)"
        ) from None


def version() -> str:
    """The installed package's version: pyproject.toml's, the one place it is written (the
    bundle carries the package metadata; installer/build checks they agree)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("auctionmen")
    except PackageNotFoundError:  # a bare checkout that was never pip-installed
        return "unknown"


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

        code = journal_main(argv[1:])
        if len(argv) == 3 and argv[1] == "verify" and code in (0, 1):
            # Every invoice and credit note recomputed (quiet if the file was not a journal).
            code = max(code, _verify_money(Path(argv[2]), quiet=code != 0))
        if len(argv) > 1 and argv[1] == "export" and code == 0:
            code = _inspector_sheets(argv[2:])
        return code
    if argv and argv[0] == "relay":
        from hub.relay.cli import main as relay_main

        return relay_main(argv[1:])
    parser = build_parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["gui", *argv]
    ns = parser.parse_args(argv)
    from hub.config import ConfigError

    try:
        if ns.command == "token":
            return _token(ns)
        if ns.command == "stage-key":
            from hub.config import StageConfig
            from hub.gateway.tokens import load_or_create_key, public_pem

            config = StageConfig.load(_config_file(ns), data_dir=ns.data_dir)
            sys.stdout.write(public_pem(load_or_create_key(config.data_dir)).decode())
            return 0
        if ns.command == "results":
            return _results(ns)
        if ns.command == "invoices":
            return _invoices(ns)
        if ns.command == "export":
            return _export(ns)
        if ns.command == "sale":
            return _sale(ns)
        if ns.command == "tls":
            return _tls(ns)
        if ns.command == "retention":
            return _retention(ns)
        if ns.command == "staff":
            return _staff(ns)
        if ns.command == "serve":
            from hub.serve import run_serve

            config = _stage_config(ns)
            problem = _prepare(ns, config)
            return problem if problem is not None else run_serve(config)
        if ns.command == "gui":
            config = _stage_config(ns)
            problem = _prepare(ns, config)
            if problem is not None:
                return problem
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


def _prepare(ns: argparse.Namespace, config: Any) -> int | None:
    """Before a stage starts: the house's name and currency from the flags or the config
    file's [house] table (saved in house.json), and --fresh (the demo starts over).
    None when all is well, else the exit code after saying why."""
    from app.settings import known_currency
    from hub.backend import house, sales

    prog = f"auctionmen {ns.command}"
    changes = _house_table(_config_file(ns))
    if ns.house_name is not None:
        changes["name"] = ns.house_name
    if ns.currency is not None:
        changes["currency"] = ns.currency
    currency = changes.get("currency")
    if currency is not None and not (isinstance(currency, str) and known_currency(currency)):
        print(
            f"{prog}: house: currency {str(currency)[:20]!r} is not an ISO 4217 code, like EUR",
            file=sys.stderr,
        )
        return 2
    if changes:
        try:
            _save_house(config.data_dir, changes)
        except (house.HouseError, OSError) as exc:
            print(f"{prog}: house: {exc}", file=sys.stderr)
            return 2 if isinstance(exc, house.HouseError) else 1
    if ns.fresh:
        if config.sale != "demo":
            print(
                f"{prog}: --fresh starts the demo over; sale '{config.sale}' keeps its journal",
                file=sys.stderr,
            )
            return 2
        try:
            summary = sales.reset_demo(config.data_dir)
        except sales.SaleError as exc:
            print(f"{prog}: --fresh: {exc}", file=sys.stderr)
            return 1
        config.demo = True
        print(f"the demo starts over: {summary.path}", file=sys.stderr)
    return None


def _house_table(path: Path | None) -> dict[str, Any]:
    """The [house] table of the config file (house.json's fields), if any."""
    import tomllib

    from hub.config import ConfigError

    if path is None:
        return {}
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}  # StageConfig.load has already said what is wrong with the file
    table = raw.get("house", {})
    if not isinstance(table, dict):
        raise ConfigError(f"config {path}: [house] must be a table of house.json's fields")
    return dict(table)


def _save_house(data_dir: Path, changes: dict[str, Any]) -> Any:
    """Merge `changes` into the house profile (checked whole; a new profile needs at least
    name, address and country, never the demo house's bank details)."""
    from hub.backend import house

    current = house.load(data_dir).to_json() if house.path(data_dir).is_file() else {}
    merged = {**current, **changes}
    if current == {**current, **merged}:
        return house.check(merged)  # nothing new: do not rewrite the file
    if not current and not {"address", "country"} <= set(merged):
        raise house.HouseError(
            "a new house profile needs name, address and country too: set them in the "
            "config file's [house] table or in the app's first-run assistant"
        )
    return house.save(data_dir, merged)


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


# -- money (issue 12): read-only over a sale's journal file -----------------------------------


class _MoneyFileError(Exception):
    """A journal (or a store beside it) that cannot be read; the message says why."""


def _sale_state(db: Path) -> Any:
    """The replayed state of the sale journaled at `db` (read-only)."""
    import sqlite3

    from hub.journal.db import JournalError, connect_reader
    from hub.journal.replay import load_engine

    try:
        conn = connect_reader(db)
    except (JournalError, sqlite3.DatabaseError) as exc:
        raise _MoneyFileError(str(exc)) from None
    try:
        return load_engine(conn).state
    except (JournalError, sqlite3.DatabaseError) as exc:
        raise _MoneyFileError(f"{db}: {exc}") from None
    finally:
        conn.close()


def _data_dir_of(db: Path) -> Path:
    """The data dir a journal lives in (`{data_dir}/sales/{sale}.db`), else its folder."""
    folder = db.resolve().parent
    return folder.parent if folder.name == "sales" else folder


def _rows(
    data_dir: Path, sql: str, table: str, params: tuple[str, ...] = ()
) -> dict[str, dict[str, Any]]:
    """Rows of the identities file beside the journal, read-only; {} when there is none."""
    import sqlite3

    path = data_dir / "identities.db"
    if not path.is_file():
        return {}
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return {}
    try:
        conn.row_factory = sqlite3.Row
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if table not in tables:
            return {}
        return {str(r[0]): dict(r) for r in conn.execute(sql, params)}
    except sqlite3.DatabaseError as exc:
        raise _MoneyFileError(f"{path}: not a readable identities file: {exc}") from None
    finally:
        conn.close()


class _People:
    """Names and addresses for the documents (the identities file beside the journal)."""

    def __init__(self, db: Path, sale: str) -> None:
        data_dir = _data_dir_of(db)
        self.buyers = _rows(
            data_dir, "SELECT paddle, * FROM identities WHERE sale = ?", "identities", (sale,)
        )
        self.consignors = _rows(data_dir, "SELECT reference, * FROM consignors", "consignors")
        # Third parties who paid: the journal keeps only their payer_ref.
        self.payers = _rows(
            data_dir, "SELECT ref, name FROM payers WHERE sale = ?", "payers", (sale,)
        )
        self.data_dir = data_dir

    def buyer(self, paddle: str) -> Any:
        from hub.backend.ledger import buyer_party

        return buyer_party(paddle, self.buyers.get(paddle))

    def consignor(self, reference: str) -> Any:
        from hub.backend.consignors import party_of

        return party_of(reference, self.consignors.get(reference))

    def payer(self, ref: str) -> str | None:
        return str(self.payers.get(ref, {}).get("name") or "") or None


def _verify_money(db: Path, *, quiet: bool = False) -> int:
    """`journal verify`'s money half: every invoice and credit note recomputed from the journal
    and the rules as they were; 0 when all agree, 1 with each difference printed. `quiet`: the
    journal check already failed, so an unreadable file is not reported twice."""
    import sqlite3

    from hub.backend.audit import verify_money
    from hub.journal.db import JournalError

    try:
        problems = verify_money(db)
    except (JournalError, sqlite3.DatabaseError, OSError) as exc:
        if not quiet:
            print(f"journal: money not checked: {exc}", file=sys.stderr)
        return 1
    for line in problems:
        print(f"money: {line}")
    if problems:
        print(f"FAILED: money, {len(problems)} difference(s)")
        return 1
    print("OK: money (every invoice, credit note and total recomputed)")
    return 0


def _invoices(ns: argparse.Namespace) -> int:
    """`auctionmen invoices DB [--html DIR] [--pdf DIR] [--print FILE]`: list, or write each
    document; PDFs go through print runs (each document laid out once for its own file and
    the print file), a chunk at a time so memory stays bounded."""
    from hub.backend import house, ledger, render

    prog = "auctionmen invoices"
    try:
        state = _sale_state(ns.db)
        people = _People(ns.db, state.sale.id)
        profile = house.load(people.data_dir)
        for folder in (ns.html, ns.pdf):
            if folder is not None:
                _make_folder(folder)
        if ns.print_file is not None and ns.print_file.is_dir():
            raise _MoneyFileError(f"{ns.print_file} is a folder, not a file")
    except (_MoneyFileError, house.HouseError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    money = state.money
    docs = [
        ledger.invoice_doc(state, n, people.buyer(str(d["paddle"])))
        for n, d in sorted(money.invoices.items())
    ] + [
        ledger.credit_note_doc(state, n, people.buyer(str(d["paddle"])))
        for n, d in sorted(money.credit_notes.items())
    ]
    if not docs:
        print(f"{prog}: no invoice issued yet in sale '{state.sale.id}'", file=sys.stderr)
        return 0
    from app.formatting import format_money

    written = 0
    for doc in docs:
        number = str(doc.number)
        total = format_money(doc.totals.total, doc.currency, always_cents=True)
        if ns.html is None and ns.pdf is None and ns.print_file is None:
            print(f"{number}  paddle {doc.paddle}  {total}")
            continue
        if ns.html is None:
            continue
        is_note = doc.kind == "credit_note"
        html = (
            render.credit_note_html(doc, profile) if is_note else render.invoice_html(doc, profile)
        )
        try:
            (ns.html / _file_name(number, "html")).write_text(html, "utf-8")
            written += 1
        except OSError as exc:
            print(f"{prog}: cannot write {number}: {exc}", file=sys.stderr)
            return 1
    if ns.pdf is not None or ns.print_file is not None:
        try:
            written += _print_runs(docs, profile, ns.pdf, ns.print_file, ns.workers)
        except OSError as exc:
            print(f"{prog}: cannot write: {exc}", file=sys.stderr)
            return 1
        except (ValueError, RuntimeError) as exc:  # EInvoiceError, PdfError: they say why
            print(f"{prog}: {exc}", file=sys.stderr)
            return 1
    if written:
        print(f"wrote {written} file(s) for {len(docs)} document(s)", file=sys.stderr)
    return 0


PRINT_CHUNK = 50  # documents laid out and held in memory at once by `auctionmen invoices`


def _workers(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"a number of processes from 1 to 64, not {text[:20]!r}")
    return int(text)


def _print_runs(
    docs: list[Any],
    profile: Any,
    folder: Path | None,
    print_file: Path | None,
    workers: int = 1,
) -> int:
    """Each document's own PDF into `folder` and/or all of them into `print_file`, laid out
    a chunk at a time (in `workers` processes, in order); the files written."""
    import functools
    from collections.abc import Iterable
    from concurrent.futures import ProcessPoolExecutor

    from hub.backend.einvoice import PrintRun, print_run

    size = min(PRINT_CHUNK, -(-len(docs) // workers))  # every worker gets a chunk
    parts = [docs[start : start + size] for start in range(0, len(docs), size)]
    one_run = functools.partial(print_run, house=profile, files=folder is not None)
    pool: ProcessPoolExecutor | None = None
    runs: Iterable[PrintRun]
    if workers > 1 and len(parts) > 1:
        import multiprocessing

        # spawn, not fork: a fresh interpreter, no copy of the parent's WeasyPrint/Pango state
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        runs = pool.map(one_run, parts)  # in order
    else:
        runs = map(one_run, parts)
    written, chunks = 0, []
    try:
        for run in runs:
            chunks.append(run.combined)
            if folder is None:
                continue
            for number, data in run.files:
                (folder / _file_name(number, "pdf")).write_bytes(data)
                written += 1
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if print_file is not None:
        print_file.write_bytes(chunks[0] if len(chunks) == 1 else _join_pdfs(chunks))
        written += 1
    return written


def _join_pdfs(pdfs: list[bytes]) -> bytes:
    """The pages of `pdfs` in order as one PDF (pypdf, which factur-x brings along)."""
    import io

    import pypdf

    writer = pypdf.PdfWriter()
    for pdf in pdfs:
        writer.append(pypdf.PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _file_name(number: str, suffix: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_-]", "_", number)[:60] + "." + suffix


def _make_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise _MoneyFileError(f"{folder} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _MoneyFileError(f"cannot create {folder}: {exc.strerror}") from None


def _export(ns: argparse.Namespace) -> int:
    """`auctionmen export accounts DB --format csv|json [--kind K] [--out FILE]`."""
    import json

    from hub.backend import exports, ledger
    from hub.backend.money import decimals

    prog = "auctionmen export accounts"
    kinds = list(exports.KINDS) if ns.kind == "all" else [ns.kind]
    if ns.kind != "all" and ns.kind not in exports.KINDS:
        print(
            f"{prog}: no export {ns.kind!r} (known: all, {', '.join(exports.KINDS)})",
            file=sys.stderr,
        )
        return 2
    if ns.kind == "all" and ns.format == "csv" and ns.out is None:
        print(f"{prog}: CSV of every kind needs --out DIR (or choose one --kind)", file=sys.stderr)
        return 2
    try:
        state = _sale_state(ns.db)
        people = _People(ns.db, state.sale.id)
        books = ledger.books(state, people.buyer, people.consignor, payer=people.payer)
        if ns.format == "csv" and ns.kind == "all":
            _make_folder(ns.out)
    except _MoneyFileError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    if ns.format == "csv" and ns.kind == "all":
        outputs = [(ns.out / f"{kind}.csv", exports.export_csv(books, kind)) for kind in kinds]
    elif ns.format == "csv":
        outputs = [(ns.out, exports.export_csv(books, ns.kind))]
    elif ns.kind == "all":
        body = {
            "sale": books.sale,
            "currency": books.currency,
            "minor_unit_digits": decimals(books.currency),
            "kinds": {kind: exports.rows(books, kind) for kind in kinds},
        }
        outputs = [(ns.out, json.dumps(body, ensure_ascii=False, indent=1))]
    else:
        outputs = [(ns.out, exports.export_json(books, ns.kind))]
    for path, text in outputs:
        if path is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            continue
        try:
            if path.is_dir():
                raise IsADirectoryError(21, "is a folder", str(path))
            path.write_text(text, "utf-8", newline="")
        except OSError as exc:
            print(f"{prog}: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _token(ns: argparse.Namespace) -> int:
    """`auctionmen token`: a signed token, or with --link the page link with it. Refuses a
    sale that is not in the data dir and a paddle not registered in it (exit 1)."""
    from hub.backend.sales import describe_sales, list_sales
    from hub.config import StageConfig
    from hub.gateway.tokens import TokenError, TokenIssuer, load_or_create_key

    prog = "auctionmen token"
    if ns.role == "bidder" and not ns.paddle:
        print(f"{prog}: a bidder token needs --paddle", file=sys.stderr)
        return 2
    config = StageConfig.load(_config_file(ns), data_dir=ns.data_dir, sale=ns.sale, tls=ns.tls)
    if not config.journal_path.is_file():
        sales = describe_sales(list_sales(config.data_dir))
        print(
            f"{prog}: no sale '{config.sale}' in {config.sales_dir} (sales there: {sales})",
            file=sys.stderr,
        )
        return 1
    channel = "floor"
    if ns.role == "bidder" and ns.paddle is not None:
        try:
            bidder = _sale_state(config.journal_path).bidders.get(str(ns.paddle))
        except _MoneyFileError as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return 1
        if bidder is None or bidder.status == "rejected":
            why = "was rejected" if bidder is not None else "is not registered"
            print(
                f"{prog}: paddle {str(ns.paddle)[:40]!r} {why} in sale '{config.sale}'; "
                "register and approve the bidder first (the app's Bidders tab or the clerk page)",
                file=sys.stderr,
            )
            return 1
        if bidder.status != "approved":
            print(f"{prog}: note: paddle {ns.paddle} is not approved yet", file=sys.stderr)
        channel = bidder.channel
    try:
        base, source = (_link_base(ns, config, channel)) if ns.link else ("", "")
        issuer = TokenIssuer(load_or_create_key(config.data_dir), config.sale_iri_base)
        token = issuer.issue(ns.role, config.sale, paddle=ns.paddle, ttl=ns.ttl)
    except TokenError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    if ns.link:
        page = "bid" if ns.role == "bidder" else "clerk"
        print(f"link address: {base} ({source})", file=sys.stderr)
        print(f"{base}/{page}#token={token}")
    else:
        print(token)
    return 0


def _link_base(ns: argparse.Namespace, config: Any, channel: str) -> tuple[str, str]:
    """The address a link starts with, and where it comes from (said to the user):
    --url, the config's public_url (or relay for an online bidder), the address the stage
    of this data dir last gave people, else the default address."""
    from hub.links import ADDRESS_FILE, check_url, recorded_address

    if ns.url is not None:
        return check_url(ns.url, "--url"), "--url"
    where = _config_file(ns)
    relay = config.relay_public_url or (config.relay_url or "").split(",")[0].strip()
    if relay and channel == "online":
        return check_url(relay, "relay address"), f"the relay, from {where or 'the config'}"
    if config.public_url:
        return check_url(config.public_url, "public_url"), f"public_url in {where}"
    recorded = recorded_address(config.data_dir)
    if recorded is not None:
        return recorded["base_url"], (
            f"where the stage of this data dir last listened: {config.data_dir / ADDRESS_FILE}"
        )
    scheme = "http" if config.tls == "off" else "https"
    return f"{scheme}://{config.host}:{config.port}", (
        "the default address, only right on this machine: start the stage once, set "
        "public_url in the config, or pass --url"
    )


# -- auctionmen sale ------------------------------------------------------------------------


def _sale(ns: argparse.Namespace) -> int:
    """`sale new|list|reset|go-live|close`: exit 0 done, 1 refused, 2 usage error."""
    from hub.backend import sales

    data_dir = _data_dir(ns.data_dir)
    prog = f"auctionmen sale {ns.verb}"
    try:
        if ns.verb == "new":
            try:
                spec = sales.check_spec(_sale_spec(ns))
            except sales.SaleError as exc:
                print(f"{prog}: {exc}", file=sys.stderr)
                return 2
            summary = sales.create_sale(data_dir, spec)
            print(f"created sale '{summary.id}' ({summary.status}) in {summary.path}")
            return 0
        if ns.verb == "list":
            return _sale_list(sales.list_sales(data_dir), as_json=ns.json)
        if ns.verb == "reset":
            summary = sales.reset_demo(data_dir)
            print(f"the demo starts over: {summary.path} ({summary.lots} lots)")
            return 0
        try:
            sales.check_sale_id(ns.id)
        except sales.SaleError as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return 2
        op = "go_live" if ns.verb == "go-live" else "close_sale"
        summary = sales.apply_op(data_dir, ns.id, {"op": op})
    except sales.SaleError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    if op == "close_sale":
        print(f"sale '{summary.id}' closed; journal sealed, head hash {summary.head_hash}")
    else:
        print(f"sale '{summary.id}' is {summary.status}")
    return 0


def _sale_spec(ns: argparse.Namespace) -> dict[str, Any]:
    """The sale spec from `--file` and the flags (a flag overrides the file)."""
    from hub.backend import sales

    spec: dict[str, Any] = sales.read_sale_file(ns.file) if ns.file is not None else {}
    for key in ("id", "title", "house", "currency", "timezone", "draft"):
        value = getattr(ns, key)
        if value is not None:
            spec[key] = value
    _house_defaults(spec, ns.data_dir)
    if ns.session:
        spec["sessions"] = [sales.parse_session(text) for text in ns.session]
    rules: dict[str, Any] = dict(spec.get("settings") or {})
    flags = {
        "tie_policy": ns.tie_policy,
        "late_window": ns.late_window,
        "reopen_window": ns.reopen_window,
        "subject_to_window": ns.subject_to_window,
        "subject_to": ns.subject_to,
        "confirm_online": ns.confirm_online,
        "auto_absentee": ns.auto_absentee,
        "vat_rate_bp": ns.vat_bp,
    }
    rules.update({k: v for k, v in flags.items() if v is not None})
    if ns.premium is not None:
        rules["buyer_premium"] = sales.parse_premium(ns.premium)
    if ns.ladder is not None:
        rules["ladder"] = sales.ladder_from_csv(_read_small(ns.ladder, "ladder file"))
    if rules:
        spec["settings"] = rules
    return spec


def _house_defaults(spec: dict[str, Any], data_dir: Path | None) -> None:
    """A new sale takes the house's name and currency unless it names its own (only when
    the house has a profile of its own: the demo house names no real currency choice)."""
    from hub.backend import house

    folder = _data_dir(data_dir)
    if not house.path(folder).is_file():
        return
    try:
        profile = house.load(folder)
    except house.HouseError:
        return  # `sale new` does not need the letterhead; invoices report the broken file
    spec.setdefault("house", profile.name)
    spec.setdefault("currency", profile.currency)


def _read_small(path: Path, what: str, limit: int = 100_000) -> str:
    from hub.backend.sales import SaleError

    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise SaleError(f"cannot read the {what} {path}: {exc.strerror}") from exc
    if len(data) > limit:
        raise SaleError(f"the {what} {path} is too big (over {limit:,} bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SaleError(f"the {what} {path} is not UTF-8 text") from exc


def _sale_list(summaries: list[Any], *, as_json: bool) -> int:
    import json

    from app.formatting import format_money

    if as_json:
        print(json.dumps([s.to_json() for s in summaries], indent=2))
        return 0
    if not summaries:
        print("no sales yet: `auctionmen sale new --id ID --title TITLE` creates one")
        return 0
    rows = [("ID", "STATUS", "TITLE", "LOTS", "SOLD/PASSED", "HAMMER", "HEAD")]
    for s in summaries:
        if s.error is not None:
            rows.append((s.id, "unreadable", s.error[:60], "", "", "", ""))
            continue
        title = s.title if len(s.title) <= 32 else s.title[:31] + "…"
        total = format_money(s.hammer_total, s.currency or "EUR")
        rows.append(
            (
                s.id,
                s.status,
                title,
                str(s.lots),
                f"{s.sold}/{s.passed}",
                total,
                s.head_hash[:12],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
