"""What every decide handler shares: the handler table, refusals raised deep, lookups.

A handler is registered for its command class with `@decides(Cls)`, like qutebrowser's
`cmdutils.register`: the op comes from the class, so the table cannot pair an op with a
handler of another command's type. `hub.auction.decide` checks the table against
`commands.BY_OP` once every phase module has registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hub.auction import reasons as R
from hub.auction.events import Actor, Decision
from hub.auction.parse import Parsed
from hub.auction.state import Auction, Bidder, Lot

C = TypeVar("C", bound=Parsed)
Handler = Callable[[Auction, C, Actor, float], Decision]

Precheck = Callable[[Auction, Actor], Decision | None]

# op -> handler, and op -> its precheck. Filled at import by the phase modules; read only by
# `decide`.
HANDLERS: dict[str, Callable[[Auction, Any, Actor, float], Decision]] = {}
PRECHECKS: dict[str, Precheck] = {}


def decides(
    cls: type[C], *, precheck: Precheck | None = None
) -> Callable[[Handler[C]], Handler[C]]:
    """Register the decorated function as the one handler of `cls.OP`.

    `precheck` gives a refusal that depends on no field of the command (the sale exists
    already; a bidder token without a paddle) before the fields are parsed, so such a
    command is refused for that reason whatever its fields hold.
    """

    def register(handler: Handler[C]) -> Handler[C]:
        if cls.OP in HANDLERS:
            raise RuntimeError(f"two handlers for op {cls.OP!r}")
        HANDLERS[cls.OP] = handler
        if precheck is not None:
            PRECHECKS[cls.OP] = precheck
        return handler

    return register


class Refusal(Exception):
    """Raised by lookups deep in a handler: becomes a refusal with this reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def find_lot(auction: Auction, lot_id: str) -> Lot:
    lot = auction.lots.get(lot_id)
    if lot is None:
        raise Refusal(R.UNKNOWN_LOT, f"there is no lot {lot_id}")
    return lot


def find_bidder(auction: Auction, paddle: str) -> Bidder:
    bidder = auction.bidders.get(paddle)
    if bidder is None:
        raise Refusal(R.UNKNOWN_BIDDER, f"paddle {paddle} is not registered")
    return bidder


def paused(auction: Auction) -> Decision:
    """The refusal for anything that waits while the sale is paused."""
    return Decision.refuse(R.PAUSED, auction.sale.message or "the sale is paused")
