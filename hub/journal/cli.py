"""`journal verify DB` and `journal export DB --out DIR [--format csv|json|both]`."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from hub.journal.db import JournalError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auctionmen journal", description="Inspect a sale journal."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="check integrity, seq, hash chain and replay equality")
    v.add_argument("db", help="the journal file (SQLite)")
    e = sub.add_parser("export", help="write every event with its hash as CSV and/or JSON")
    e.add_argument("db", help="the journal file (SQLite)")
    e.add_argument("--out", required=True, help="directory to write into")
    e.add_argument("--format", choices=("csv", "json", "both"), default="both")
    # The events name bidders by paddle only; `auctionmen journal export` adds the inspector's
    # sheets with buyers' and consignors' names and addresses unless --no-pii.
    e.add_argument(
        "--no-pii", action="store_true", help="leave names and addresses out of the sheets"
    )
    return parser


def main(argv: list[str]) -> int:
    """Run the journal command; 0 on success, 1 when verification fails or the file is bad,
    2 for a usage error."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage message
        return int(exc.code or 0)
    try:
        if args.command == "verify":
            from hub.journal.verify import verify

            report = verify(args.db)
            for line in report.lines():
                print(line)
            print(f"{'OK' if report.ok else 'FAILED'}: {args.db}, {report.events} events")
            return 0 if report.ok else 1
        from hub.journal.export import export

        for path in export(args.db, args.out, args.format):
            print(f"wrote {path}")
        return 0
    except JournalError as exc:
        print(f"journal: {exc}", file=sys.stderr)
    except sqlite3.DatabaseError as exc:
        print(f"journal: {args.db}: not a readable journal: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"journal: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
