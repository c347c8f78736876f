"""Bid storm for the kill -9 test (reliability F1). Run as a script, never imported by pytest.

Usage: python crash_child.py DB [--control] [--clients N] [--seed S]

Prints `READY <seq>` once it is sequencing, `SEND <key>` just before each submit, and
`ACK <key> <seq>` as soon as the answer is back (after COMMIT). With `--control` it
acknowledges *before* submitting and waits a little before the command reaches the
sequencer: the broken behaviour the test must catch. The parent SIGKILLs it at a random time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys

from hub.auction.events import Actor
from hub.journal.sequencer import Sequencer

CLERK = Actor("clerk", roles=("clerk", "auctioneer"))
BIDS_PER_LOT = 25  # keep lot histories (and their staff views) short


def emit(line: str) -> None:
    # One write(2) per line, straight to the pipe: once written it survives our SIGKILL.
    os.write(1, (line + "\n").encode())


async def next_lot(seq: Sequencer) -> None:
    engine = seq.engine
    current = engine.lots.get(engine.sale.current or "")
    if current is not None and current.status in ("open", "fair_warning"):
        await seq.submit({"op": "hammer", "lot": current.id, "source": "key"}, CLERK)
    lot = engine.next_lot()
    assert lot is not None, "the crash sale ran out of lots"
    answer = await seq.submit({"op": "open_lot", "lot": lot}, CLERK)
    assert answer.ok, answer


async def client(seq: Sequencer, n: int, control: bool, rng: random.Random) -> None:
    engine = seq.engine
    paddle = f"p{n}"
    i = 0
    while True:
        i += 1
        lot = engine.public_lot(engine.sale.current)
        assert lot is not None
        if n == 0 and lot["bids"] >= BIDS_PER_LOT:
            await next_lot(seq)
            continue
        key = f"e{seq.epoch}-c{n}-{i}"
        command = {
            "op": "bid",
            "lot": lot["id"],
            "amount": lot["ask"],
            "seen_seq": seq.last_seq,
            "key": key,
        }
        emit(f"SEND {key}")
        if control:
            emit(f"ACK {key} -")  # WRONG on purpose: acknowledged before it is durable
            await asyncio.sleep(0.02)
            await seq.submit(command, Actor("bidder", paddle))
        else:
            answer = await seq.submit(command, Actor("bidder", paddle))
            if answer.events:
                emit(f"ACK {key} {answer.events[0].seq}")
            else:
                emit(f"NACK {key} {answer.reason}")
        await asyncio.sleep(rng.uniform(0.01, 0.05))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--control", action="store_true")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seq = Sequencer(args.db)
    await seq.start()
    await next_lot(seq)
    emit(f"READY {seq.last_seq}")
    await asyncio.gather(
        *(client(seq, n, args.control, random.Random(rng.random())) for n in range(args.clients))
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
