"""Deciding corrections: retract and reinstate a bid, reopen a closed lot, dismiss late bids.

Corrections never rewrite history: each is a new event with who did it and why.
"""

from __future__ import annotations

from hub.auction import parse as P
from hub.auction import reasons as R
from hub.auction.decide.base import decides, find_lot, paused
from hub.auction.decide.bidding import (
    ATTEMPT_KEYS,
    accept_attempt,
    check_bid,
    reopened_copy,
)
from hub.auction.events import PUBLIC, STAFF, Actor, Decision, Event
from hub.auction.state import CLOSED, LIVE, Auction


@decides(P.Retract)
def retract(auction: Auction, cmd: P.Retract, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if lot.status not in LIVE:
        return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
    high = lot.high
    if high is None:
        return Decision.refuse(R.NO_BID, "there is no bid to retract")
    data = {"bid": high.to_json(), "reason": cmd.reason, "by": actor.role}
    return Decision.accept(
        Event("bid_retracted", lot.id, data, PUBLIC, (high.paddle,) if high.paddle else ())
    )


@decides(P.Reinstate)
def reinstate(auction: Auction, cmd: P.Reinstate, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if lot.status not in LIVE:
        return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
    if lot.high is not None:
        return Decision.refuse(R.HAS_HIGH, "reinstate only after a retraction")
    candidate = next((b for b in reversed(lot.bids) if b.void is None), None)
    if candidate is None:
        return Decision.refuse(R.NO_BID, "there is no earlier bid to reinstate")
    data = {"bid": candidate.to_json(), "reason": cmd.reason}
    to = (candidate.paddle,) if candidate.paddle else ()
    return Decision.accept(Event("bid_reinstated", lot.id, data, PUBLIC, to))


@decides(P.Reopen)
def reopen(auction: Auction, cmd: P.Reopen, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    sale = auction.sale
    if lot.status not in CLOSED:
        return Decision.refuse(R.LOT_NOT_CLOSED, f"lot {lot.id} is {lot.status}")
    number = auction.money.invoiced.get(lot.id)
    if number is not None:  # an issued invoice never changes: a credit note comes first
        return Decision.refuse(R.INVOICED, f"lot {lot.id} is on invoice {number}: credit it first")
    live = auction.live_lot()
    if live is not None:
        return Decision.refuse(R.LOT_OPEN, f"lot {live.id} is on the block")
    if sale.paused:
        return paused(auction)
    in_time = lot.closed_at is not None and now - lot.closed_at <= sale.settings.reopen_window
    if not in_time and lot.closed_round != sale.rounds:
        return Decision.refuse(
            R.REOPEN_TOO_LATE, "a later lot has opened and the window to reopen has passed"
        )
    late_id = cmd.late
    if late_id is not None and late_id not in lot.late:
        return Decision.refuse(R.NO_LATE_BID, f"no late bid {late_id}")
    data = {
        "reason": cmd.reason,
        "late": late_id,
        "hammer": lot.hammer,
        "by": actor.role,
        "at": now,
    }
    events = [Event("lot_reopened", lot.id, data)]
    if late_id is not None:
        # Take the late bid as if it had arrived while the hammer was falling.
        late = lot.late[late_id]
        scratch = reopened_copy(lot)
        attempt = {k: late[k] for k in ATTEMPT_KEYS}
        attempt["at"] = now
        attempt["seen_seq"] = None
        why = check_bid(auction, scratch, attempt, now)
        if why is None:
            accepted = accept_attempt(auction, scratch, attempt, now, {"late": late_id})
            events.extend(accepted.events)
        else:  # reopened, but the late bid no longer beats the high bid: recorded
            to = (attempt["paddle"],) if attempt["paddle"] else ()
            events.append(
                Event(
                    "bid_refused",
                    lot.id,
                    {"attempt": attempt, "reason": why[0], "late": late_id},
                    STAFF,
                    to,
                )
            )
    return Decision.accept(*events)


@decides(P.LeaveSold)
def leave_sold(auction: Auction, cmd: P.LeaveSold, actor: Actor, now: float) -> Decision:
    lot = find_lot(auction, cmd.lot)
    if cmd.late is None:
        ids = sorted(lot.late)
    elif cmd.late in lot.late:
        ids = [cmd.late]
    else:
        return Decision.refuse(R.NO_LATE_BID, f"no late bid {cmd.late}")
    if not ids:
        return Decision.refuse(R.NO_LATE_BID, "there is no late bid to decide")
    events = [
        Event(
            "late_bid_dismissed",
            lot.id,
            {"late": i, "by": actor.role},
            STAFF,
            (lot.late[i]["paddle"],) if lot.late[i]["paddle"] else (),
        )
        for i in ids
    ]
    return Decision.accept(*events)
