"""Decide: answer one command against the state, never changing it.

The way in is `decide()`: a JSON object is checked against the registry (`commands.BY_OP`: is
the op known, may this role send it), passes its op's precheck if it has one, is parsed at the
edge into its typed command (`parse.PARSERS`) and handed to the one handler registered for its
op. Handlers live in one module per phase of the sale: `setup`, `sale` (going live, sessions,
closing), `bidding`, `lots` (the lot's flow on the block), `corrections` and `money` (after
the hammer: invoices, payments, releases, consignors). Importing this
package checks that parsers, handlers and the registry name the same ops, so a command cannot
be declared without a handler, nor handled without a declaration. Before parsing, an op is
refused in a sale status its declaration does not allow (a draft, a closed sale).
"""

from __future__ import annotations

from typing import Any

from hub.auction import commands
from hub.auction import reasons as R
from hub.auction.decide import (  # noqa: F401  (they register)
    bidding,
    compliance,
    corrections,
    lots,
    money,
    sale,
    setup,
)
from hub.auction.decide.base import HANDLERS, PRECHECKS, Refusal
from hub.auction.events import Actor, Decision
from hub.auction.parse import DECLARED, PARSERS, CommandError
from hub.auction.state import DRAFT, SALE_CLOSED, Auction


def _check_tables() -> None:
    declared = set(commands.BY_OP)
    for name, table in (("handler", set(HANDLERS)), ("parser", set(PARSERS))):
        if table != declared:
            raise RuntimeError(
                f"ops without a {name}: {sorted(declared - table)}; "
                f"{name}s of undeclared ops: {sorted(table - declared)}"
            )


_check_tables()


def _not_now(status: str) -> Decision:
    """The refusal of an op its declaration does not allow in the sale's status."""
    if status == SALE_CLOSED:
        return Decision.refuse(R.SALE_CLOSED, "the sale is closed")
    if status == DRAFT:
        return Decision.refuse(R.SALE_NOT_LIVE, "the sale is not live yet: go live first")
    return Decision.refuse(R.INVALID, "the sale is live already")


def decide(auction: Auction, command: Any, actor: Actor, now: float) -> Decision:
    """Answer one command: events to journal, or a refusal with a machine-readable reason."""
    if not isinstance(command, dict):
        return Decision.refuse(R.INVALID, "a command is a JSON object")
    op = command.get("op")
    if not isinstance(op, str) or op not in commands.BY_OP:
        return Decision.refuse(R.UNKNOWN_OP, f"unknown op {op!r}")
    if not commands.allowed(op, actor):
        return Decision.refuse(R.FORBIDDEN, commands.refusal_text(op, actor))
    if not auction.sale.id and op != "create_sale":
        return Decision.refuse(R.NO_SALE, "no sale has been created yet")
    if auction.sale.id and auction.sale.status not in DECLARED[op].states:
        return _not_now(auction.sale.status)
    precheck = PRECHECKS.get(op)
    if precheck is not None and (refusal := precheck(auction, actor)) is not None:
        return refusal
    try:
        return HANDLERS[op](auction, PARSERS[op](command), actor, now)
    except CommandError as exc:
        return Decision.refuse(R.INVALID, str(exc))
    except Refusal as exc:
        return Decision.refuse(exc.reason, exc.message)
