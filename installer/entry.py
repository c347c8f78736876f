"""The bundle's entry point: `auctionmen` with every subcommand (the desktop app, `serve`,
`relay`, `token`, ...), exactly as the `auctionmen = app.cli:main` script of a checkout.

`freeze_support` first: `invoices --workers N` and the relay node start "spawn" children, and
a frozen child is this same executable, which must run the child's work instead of the CLI.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from app.cli import main

    sys.exit(main())
