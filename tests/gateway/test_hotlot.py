"""Issue 17, the hot lot: 200 bidders bid the same ask at once on a real stage (loopback).

What users trust under the burst: exactly one accepted (the first sequenced), every other
bidder refused `already_bid` with the state, every attempt journaled with a gap-free seq,
the accepted bid in the journal before its 200, the journal verifying (hashes and views),
and the winning bid in a room subscriber's stream. One stage and one burst for the module.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import pytest_asyncio

from hub.auction.events import Actor
from hub.config import StageConfig
from hub.journal.verify import verify
from hub.stage import Stage
from tests.gateway.helpers import bearer

pytestmark = pytest.mark.asyncio(loop_scope="module")

BIDDERS = 200
FIRST = 30000
SALE = "/api/sales/demo"


@dataclass
class Burst:
    stage: Stage
    seq0: int
    ask: int
    answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    winner_row_at_answer: tuple[Any, ...] | None = None
    room_frames: list[dict[str, Any]] = field(default_factory=list)


async def _room(stage: Stage, ready: asyncio.Event, frames: list[dict[str, Any]]) -> None:
    """Read the room topic until the accepted bid arrives."""
    topic = quote(f"{stage.sale_iri}/room", safe="")
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{stage.url}/.well-known/mercure?topic={topic}") as resp,
    ):
        assert resp.status == 200
        ready.set()
        async for line in resp.content:
            if line.startswith(b"data:"):
                frames.append(json.loads(line[5:]))
                if frames[-1]["type"] == "bid_accepted":
                    return


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def burst(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Burst]:
    tmp = tmp_path_factory.mktemp("hotlot")
    config = StageConfig(data_dir=tmp / "stage", host="127.0.0.1", port=0, demo=True)
    stage = Stage(config)
    await stage.start()
    try:
        desk = Actor("auctioneer", None, "test")
        paddles = [str(FIRST + n) for n in range(BIDDERS)]
        registered = await asyncio.gather(
            *(
                stage.submit(
                    {
                        "op": "register_bidder",
                        "paddle": p,
                        "status": "approved",
                        "channel": "online",
                    },
                    desk,
                )
                for p in paddles
            )
        )
        assert all(a.ok for a in registered)
        opened = await stage.submit({"op": "open_lot", "lot": "1"}, desk)
        assert opened.ok
        out = Burst(stage, opened.seq, int(opened.state["lot"]["ask"]))
        tokens = {p: stage.issuer.issue("bidder", "demo", paddle=p) for p in paddles}
        ready = asyncio.Event()
        room = asyncio.create_task(_room(stage, ready, out.room_frames))
        await asyncio.wait_for(ready.wait(), 10)
        journal = Path(config.journal_path)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(base_url=stage.url, connector=connector) as http:

            async def one(paddle: str) -> None:
                body = {"lot": "1", "amount": out.ask, "seen_seq": out.seq0, "key": f"k-{paddle}"}
                async with http.post(
                    f"{SALE}/bids", json=body, headers=bearer(tokens[paddle])
                ) as r:
                    answer = await r.json()
                    if r.status == 200:
                        # Read the journal file the moment the 200 is here: the bid must
                        # already be committed, seen by a connection of our own.
                        with sqlite3.connect(journal) as db:
                            out.winner_row_at_answer = db.execute(
                                "SELECT seq, type, json_extract(data, '$.bid.paddle') "
                                "FROM events WHERE seq = ?",
                                (answer["seq"],),
                            ).fetchone()
                    out.answers[paddle] = (r.status, answer)

            await asyncio.gather(*(one(p) for p in paddles))
        await asyncio.wait_for(room, 10)
        yield out
    finally:
        await stage.stop()


def _rows(burst: Burst) -> list[tuple[int, str, dict[str, Any]]]:
    with sqlite3.connect(burst.stage.config.journal_path) as db:
        rows = db.execute(
            "SELECT seq, type, data FROM events WHERE seq > ? ORDER BY seq", (burst.seq0,)
        ).fetchall()
    return [(seq, kind, json.loads(data)) for seq, kind, data in rows]


async def test_exactly_one_accepted_and_every_other_refused_with_the_state(burst: Burst) -> None:
    statuses = [status for status, _ in burst.answers.values()]
    assert len(burst.answers) == BIDDERS
    assert statuses.count(200) == 1
    assert statuses.count(409) == BIDDERS - 1
    winner = next(p for p, (status, _) in burst.answers.items() if status == 200)
    for paddle, (status, body) in burst.answers.items():
        lot = body["state"]["lot"]
        assert lot["id"] == "1"
        if status == 409:
            assert body["reason"] == "already_bid", paddle
            assert body["ok"] is False
            assert body["detail"]
            # The state a refused bidder gets shows who leads and the next ask.
            assert lot["high"]["amount"] == burst.ask
            assert lot["ask"] > burst.ask
            assert "paddle" not in lot["high"] or lot["high"]["paddle"] == winner
            assert body["state"]["sale"]["id"] == "demo"
            assert body["state"]["seq"] > burst.seq0


async def test_every_attempt_journaled_gap_free_and_the_first_sequenced_wins(
    burst: Burst,
) -> None:
    rows = _rows(burst)
    assert [seq for seq, _, _ in rows] == list(range(burst.seq0 + 1, burst.seq0 + 1 + BIDDERS))
    kinds = [kind for _, kind, _ in rows]
    # Every bid was at the ask: whichever the sequencer took first is the one accepted.
    assert kinds[0] == "bid_accepted"
    assert kinds[1:] == ["bid_refused"] * (BIDDERS - 1)
    refused = [data["attempt"]["paddle"] for _, kind, data in rows if kind == "bid_refused"]
    accepted = rows[0][2]["bid"]["paddle"]
    assert sorted([accepted, *refused]) == sorted(burst.answers)
    assert {data["reason"] for _, kind, data in rows if kind == "bid_refused"} == {"already_bid"}
    # Each refusal's answer names the seq of its own record.
    for seq, _kind, data in rows[1:]:
        status, body = burst.answers[data["attempt"]["paddle"]]
        assert status == 409
        assert body["seq"] == seq


async def test_the_accepted_bid_was_durable_before_its_answer(burst: Burst) -> None:
    winner = next(p for p, (status, _) in burst.answers.items() if status == 200)
    assert burst.winner_row_at_answer == (burst.seq0 + 1, "bid_accepted", winner)


async def test_the_journal_verifies_hashes_and_views(burst: Burst) -> None:
    report = verify(burst.stage.config.journal_path)
    assert report.ok, [c for c in report.checks if not c.ok]


async def test_the_room_saw_the_winning_bid_and_no_refusal(burst: Burst) -> None:
    kinds = [frame["type"] for frame in burst.room_frames]
    assert kinds[-1] == "bid_accepted"
    assert "bid_refused" not in kinds
    assert burst.room_frames[-1]["seq"] == burst.seq0 + 1


async def test_a_retry_with_the_same_key_gets_the_same_answer(burst: Burst) -> None:
    """The idempotency table holds the refusal as it was answered (state included)."""
    paddle, (status, first) = next((p, a) for p, a in burst.answers.items() if a[0] == 409)
    token = burst.stage.issuer.issue("bidder", "demo", paddle=paddle)
    body = {"lot": "1", "amount": burst.ask, "seen_seq": burst.seq0, "key": f"k-{paddle}"}
    async with (
        aiohttp.ClientSession(base_url=burst.stage.url) as http,
        http.post(f"{SALE}/bids", json=body, headers=bearer(token)) as r,
    ):
        again = await r.json()
    assert r.status == status
    assert again == first
