"""Shared by the journal tests and the crash child (importable: tests/journal is on sys.path)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from hub.auction.catalogue import demo_sale, sale_commands
from hub.auction.events import SYSTEM, Actor
from hub.journal.sequencer import Answer, Sequencer

CLERK = Actor("clerk", roles=("clerk", "auctioneer"))
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
        await must(
            seq,
            {"op": "register_bidder", "paddle": paddle, "channel": "online", "status": "approved"},
            SYSTEM,
        )


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
    await go(
        {"op": "bid", "lot": "1", "amount": 50_000, "seen_seq": s, "key": "a1"}, bidder("7001")
    )
    await go(
        {"op": "bid", "lot": "1", "amount": 50_000, "seen_seq": s, "key": "a2"},
        bidder("7002"),
        ok=False,
    )  # already_bid
    await go(
        {"op": "bid", "lot": "1", "amount": 60_000, "key": "a3"}, bidder("7003"), ok=False
    )  # not approved
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
    late = await go(
        {"op": "bid", "lot": "1", "amount": 10_000_000, "key": "late1"}, bidder("7001"), ok=False
    )
    assert late.reason == "too_late"
    late_id = seq.engine.staff_lot("1")["late"][0]["id"]  # type: ignore[index]
    await go(
        {"op": "reopen", "lot": "1", "reason": "bid while falling", "late": late_id}, AUCTIONEER
    )
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
    await go({"op": "bid", "lot": "3", "amount": 200_000, "key": "c1"}, bidder("7002"), ok=False)
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
        return [
            r[0] for r in conn.execute("SELECT key FROM events WHERE key IS NOT NULL ORDER BY seq")
        ]
    finally:
        conn.close()


def _projections(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT key, json FROM projections"))
    finally:
        conn.close()


async def disk_full_scenario(
    seq: Sequencer, fill: Any, free: Any, max_attempts: int = 400
) -> dict[str, Any]:
    """Bid until the disk is full, check nothing half-happened, free space, check resume.

    `fill()` takes the space away, `free()` gives it back. Returns facts for the caller to
    assert on (the tmpfs variant runs in a child process and prints them as JSON).
    """
    import asyncio

    statuses: list[str] = []
    resumed = asyncio.Event()

    def on_status(status: Any) -> None:
        statuses.append(status.state)
        if status.state == "ok":
            resumed.set()

    seq.add_status_listener(on_status)
    opened = await must(seq, {"op": "open_lot", "lot": "1"})
    await must(seq, {"op": "bid", "lot": "1", "amount": 50_000, "key": "first"}, bidder("7001"))
    fill()
    facts: dict[str, Any] = {"accepted_while_filling": 0}
    failed: Answer | None = None
    for i in range(max_attempts):
        before_seq, before_head = seq.last_seq, seq.head
        before_projections = _projections(seq.path)
        lot = seq.engine.public_lot("1")
        assert lot is not None
        paddle = "7001" if i % 2 else "7002"
        answer = await seq.submit(
            {"op": "bid", "lot": "1", "amount": lot["ask"], "key": f"fill-{i}"}, bidder(paddle)
        )
        if answer.reason == "journal_unavailable":
            failed = answer
            break
        assert answer.ok, (answer.reason, answer.message)
        facts["accepted_while_filling"] += 1
    assert failed is not None, "the disk never filled up"
    facts.update(
        reason=failed.reason,
        message=failed.message,
        events_in_failed_answer=len(failed.events),
        seq_unchanged=seq.last_seq == before_seq,
        head_unchanged=seq.head == before_head,
        projections_unchanged=_projections(seq.path) == before_projections,
        journal_seq_unchanged=_max_seq(seq.path) == before_seq,
        engine_restored=seq.engine.public_lot("1") == lot,
        status_state=seq.status.state,
        status_reason=seq.status.reason,
    )
    # Paused: refused at once, without queueing.
    refused = await seq.submit({"op": "floor_bid", "lot": "1"}, CLERK)
    facts.update(
        refused_reason=refused.reason,
        refused_message=refused.message,
        queue_depth=seq.status.queue_depth,
    )
    # The probe keeps failing while the disk is still full.
    await asyncio.sleep(seq.probe_interval * 3)
    facts["still_paused"] = seq.status.state == "paused"
    free()
    await asyncio.wait_for(resumed.wait(), timeout=30)  # failsafe only
    lot = seq.engine.public_lot("1")
    assert lot is not None
    paddle = "7001" if lot["high"]["paddle"] != "7001" else "7002"
    after = await seq.submit(
        {"op": "bid", "lot": "1", "amount": lot["ask"], "key": "after"}, bidder(paddle)
    )
    facts.update(
        after_ok=after.ok,
        after_reason=after.reason,
        after_seq=after.events[0].seq if after.events else None,
        expected_seq=before_seq + 1,
        statuses=list(statuses),
        opened_seq=opened.seq,
    )
    return facts


def _max_seq(path: Path) -> int:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0)
    finally:
        conn.close()
