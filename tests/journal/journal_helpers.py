"""Shared by the journal tests and the crash child (importable: tests/journal is on sys.path)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from hub.auction.catalogue import demo_sale, sale_commands
from hub.auction.events import SYSTEM, Actor
from hub.journal.sequencer import Answer, Sequencer

CLERK = Actor("clerk")
AUCTIONEER = Actor("auctioneer")


class FakeClock:
    """A settable wall clock: late windows and reopen windows without sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        self.t += 0.001  # strictly increasing, like a real clock between commands
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def bidder(paddle: str) -> Actor:
    return Actor("bidder", paddle)


async def must(seq: Sequencer, command: dict[str, Any], actor: Actor = CLERK) -> Answer:
    answer = await seq.submit(command, actor)
    assert answer.ok, (command, answer.reason, answer.message)
    return answer


async def setup_demo(seq: Sequencer) -> None:
    for command in sale_commands(demo_sale()):
        await must(seq, command, SYSTEM)


async def register(seq: Sequencer, paddles: list[str]) -> None:
    for paddle in paddles:
        await must(seq, {"op": "register_bidder", "paddle": paddle, "channel": "online",
                         "status": "approved"}, SYSTEM)


async def run_realistic_sale(seq: Sequencer, clock: FakeClock) -> dict[str, int]:
    """The demo sale plus several lots: every channel, books, retract, late bid, reopen."""
    counts = {"ok": 0, "refused": 0}

    async def go(command: dict[str, Any], actor: Actor = CLERK, ok: bool = True) -> Answer:
        answer = await seq.submit(command, actor)
        assert answer.ok is ok, (command, answer.reason, answer.message)
        counts["ok" if answer.ok else "refused"] += 1
        return answer

    await setup_demo(seq)
    # Lot 1: online, floor, phone, house, a refused pending bidder, retract and reinstate.
    opened = await go({"op": "open_lot", "lot": "1"})
    s = opened.seq
    await go({"op": "bid", "lot": "1", "amount": 50_000, "seen_seq": s, "key": "a1"},
             bidder("7001"))
    await go({"op": "bid", "lot": "1", "amount": 50_000, "seen_seq": s, "key": "a2"},
             bidder("7002"), ok=False)  # already_bid
    await go({"op": "bid", "lot": "1", "amount": 60_000, "key": "a3"}, bidder("7003"),
             ok=False)  # not approved
    await go({"op": "approve_bidder", "paddle": "7003"})
    await go({"op": "floor_bid", "lot": "1", "paddle": "101"})
    await go({"op": "floor_bid", "lot": "1", "paddle": "201", "channel": "phone"})
    await go({"op": "house_bid", "lot": "1"})
    await go({"op": "retract", "lot": "1", "reason": "clerk error"})
    await go({"op": "reinstate", "lot": "1", "reason": "bid stands"})
    ask = seq.engine.public_lot("1")["ask"]  # type: ignore[index]
    await go({"op": "bid", "lot": "1", "amount": ask, "key": "a4"}, bidder("7003"))
    await go({"op": "set_increment", "lot": "1", "mode": "double"})
    await go({"op": "floor_bid", "lot": "1"})  # anonymous room bid
    await go({"op": "fair_warning", "lot": "1"})
    await go({"op": "hammer", "lot": "1", "source": "gavel", "device_at": 12.5})
    # A late online bid within the window, then reopen taking it.
    clock.advance(1.0)
    late = await go({"op": "bid", "lot": "1", "amount": 10_000_000, "key": "late1"},
                    bidder("7001"), ok=False)
    assert late.reason == "too_late"
    late_id = seq.engine.staff_lot("1")["late"][0]["id"]  # type: ignore[index]
    await go({"op": "reopen", "lot": "1", "reason": "bid while falling", "late": late_id},
             AUCTIONEER)
    await go({"op": "hammer", "lot": "1", "source": "button"})
    # Lot 2 has a commission book for 201 (max 180,000): it bids automatically.
    clock.advance(60)
    await go({"op": "open_lot", "lot": "2"})
    lot2 = seq.engine.public_lot("2")
    assert lot2 is not None
    await go({"op": "bid", "lot": "2", "amount": lot2["ask"], "key": "b1"}, bidder("7001"))
    await go({"op": "set_ask", "lot": "2", "amount": 200_000})
    await go({"op": "bid", "lot": "2", "amount": 200_000, "key": "b2"}, bidder("7001"))
    await go({"op": "hammer", "lot": "2"})
    # Lot 3 passed, lot 4 withdrawn, a pause in between.
    await go({"op": "open_lot", "lot": "3"})
    await go({"op": "pause", "message": "short break"})
    await go({"op": "bid", "lot": "3", "amount": 200_000, "key": "c1"}, bidder("7002"),
             ok=False)
    await go({"op": "resume"})
    await go({"op": "pass", "lot": "3"})
    await go({"op": "withdraw", "lot": "4", "reason": "consignor withdrew"})
    # Lot 4A with clerk-confirmed online bids.
    await go({"op": "configure", "settings": {"confirm_online": True}}, SYSTEM)
    await go({"op": "open_lot", "lot": "4A"})
    await go({"op": "bid", "lot": "4A", "amount": 80_000, "key": "d1"}, bidder("7002"))
    pending = seq.engine.staff_lot("4A")["pending"][0]["id"]  # type: ignore[index]
    await go({"op": "accept_online", "lot": "4A", "pending": pending})
    await go({"op": "hammer", "lot": "4A"})
    return counts


def journal_keys(path: Path) -> list[str]:
    """Every idempotency key in the events table, one entry per event."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute(
            "SELECT key FROM events WHERE key IS NOT NULL ORDER BY seq")]
    finally:
        conn.close()
