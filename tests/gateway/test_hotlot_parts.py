"""Issue 17's parts, one at a time: the reused views and JSON, the token cache, the order in
which a batch is answered, and the QR codes drawn off the stage loop."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from hub.auction.events import PUBLIC, STAFF, Actor, Event, canonical_json
from hub.gateway import api, money
from hub.gateway.intake import TokenCache
from hub.gateway.tokens import Claims, TokenError
from hub.journal.records import canonical_with
from hub.journal.sequencer import INERT, Answer, _Views
from hub.stage import Stage
from tests.gateway.helpers import bearer

DESK = Actor("auctioneer", None, "test")
SALE = "/api/sales/demo"


# -- the JSON spliced from parts already encoded -------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"lot": {"b": 1, "a": [1, 2]}, "type": "x", "data": {"z": "é", "a": None}},
        {"lot": None},
        {"a": 1, "lot": "ü\u2028"},
        {"lot": 1.5, "zz": True, "lo": 0, "lots": "x"},
    ],
)
def test_canonical_with_is_canonical_json(body: dict[str, Any]) -> None:
    assert canonical_with(body, "lot", canonical_json(body["lot"])) == canonical_json(body)


async def test_inert_events_change_nothing_and_their_views_are_the_engines(
    stage: Stage,
) -> None:
    seq = stage.sequencer
    await stage.submit({"op": "open_lot", "lot": "1"}, DESK)
    ask = stage.engine.public_lot("1")["ask"]  # type: ignore[index]
    await stage.submit({"op": "bid", "lot": "1", "amount": ask}, Actor("bidder", "7001"))
    engine = copy.deepcopy(seq.engine)  # the stage's own is never changed outside a batch
    views = _Views(engine)

    def shown() -> list[str]:
        """Every view a cached lot or sale view could stand for."""
        lots = [engine.public_lot(lot) for lot in engine.lots]
        lots += [engine.staff_lot(lot) for lot in engine.lots]
        return [canonical_json(v) for v in (*lots, engine.sale_view())]

    before = shown()
    for kind in INERT:
        attempt = {"amount": ask, "paddle": "7002", "channel": "online", "seen_seq": 1}
        event = Event(kind, "1", {"attempt": attempt, "reason": "already_bid"}, STAFF, ("7002",))
        engine.evolve(event, engine.seq + 1)
        assert shown() == before
        for audience in (PUBLIC, STAFF):
            view, text = views.event(event, audience)
            assert view == engine.view(event, audience)
            assert text == canonical_json(engine.view(event, audience))
    state, text = views.state({"lot": "1"}, Actor("bidder", "7002"))
    assert json.loads(text) == state
    assert text == canonical_json(state)


def test_an_answers_canonical_form_is_canonical_json() -> None:
    state = {"seq": 7, "sale": {"id": "s"}, "lot": {"id": "1", "ask": 5}}
    answer = Answer(False, "already_bid", "m", 7, (), state, state_json=canonical_json(state))
    assert answer.canonical() == canonical_json(answer.to_json())
    assert Answer(True, None, None, 7, (), state).canonical() == canonical_json(
        Answer(True, None, None, 7, (), state).to_json()
    )


# -- the token cache -------------------------------------------------------------------------


class _Verifier:
    def __init__(self) -> None:
        self.calls = 0
        self.expires = 2000.0

    def __call__(self, token: str) -> Claims:
        self.calls += 1
        if token.startswith("bad"):
            raise TokenError("bad signature")
        if token.startswith("staff"):
            return Claims("clerk", "demo", "st-1", None, self.expires, ("clerk",), "sid-1")
        return Claims("bidder", "demo", token, token, self.expires)


def test_a_bidder_token_is_verified_once_until_it_expires() -> None:
    verify, now = _Verifier(), [1000.0]
    cache = TokenCache(verify, wall=lambda: now[0])
    assert cache("tok-1").paddle == "tok-1"
    assert cache("tok-1").paddle == "tok-1"
    assert verify.calls == 1
    assert cache.hits == 1
    cache("tok-1x")  # one byte more is another token: verified afresh
    assert verify.calls == 2
    now[0] = 2000.0  # the token's exp: refused, as the verifier would
    with pytest.raises(TokenError):
        cache("tok-1")
    now[0], verify.expires = 1400.0, 1500.0
    cache("tok-1")  # forgotten: verified again
    assert verify.calls == 3
    now[0] = 1600.0
    with pytest.raises(TokenError):
        cache("tok-1")


def test_failures_and_staff_tokens_are_never_kept() -> None:
    verify = _Verifier()
    cache = TokenCache(verify, wall=lambda: 1000.0)
    for _ in range(3):
        with pytest.raises(TokenError):
            cache("bad-token")
    assert verify.calls == 3
    cache("staff-token")
    cache("staff-token")  # a staff session is checked on every request
    assert verify.calls == 5


def test_the_cache_is_bounded() -> None:
    verify = _Verifier()
    cache = TokenCache(verify, size=3, wall=lambda: 1000.0)
    for n in range(10):
        cache(f"tok-{n}")
    cache("tok-9")
    assert verify.calls == 10
    cache("tok-0")  # long forgotten
    assert verify.calls == 11


async def test_a_forged_token_is_refused_even_after_the_real_one_was_cached(
    stage: Stage, http: Any
) -> None:
    token = stage.issuer.issue("bidder", "demo", paddle="7001")
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[:-4]}AAAA"
    body = {"lot": "1", "amount": 1, "key": "forged-1"}
    for attempt in (token, forged, token + " ", token):
        async with http.post(f"{SALE}/bids", json=body, headers=bearer(attempt)) as r:
            answer = await r.json()
        if attempt is forged:
            assert r.status == 401
            assert answer["reason"] == "invalid_token"
        else:
            assert r.status in (409, 200)  # the lot is not open: a refusal, with the state


# -- the order a batch is answered in ------------------------------------------------------


async def test_the_public_event_is_queued_before_the_refusals_are_answered(
    tmp_path: Path, stage: Stage
) -> None:
    """Resolving a future only schedules its submitter; the listener (the hub) schedules the
    fan-out. The accepted bid's submitter runs first, then the fan-out, then the refused."""
    log: list[str] = []
    loop = asyncio.get_running_loop()

    def listener(records: list[Any]) -> None:
        if any(r.type == "bid_accepted" for r in records):
            loop.call_soon(log.append, "fan-out")  # as the hub's flusher is woken

    await stage.submit({"op": "open_lot", "lot": "1"}, DESK)
    ask = stage.engine.public_lot("1")["ask"]  # type: ignore[index]
    remove = stage.sequencer.add_listener(listener)
    try:

        async def bid(paddle: str) -> None:
            answer = await stage.submit(
                {"op": "bid", "lot": "1", "amount": ask}, Actor("bidder", paddle)
            )
            log.append("accepted" if answer.ok else "refused")

        await asyncio.gather(bid("7001"), bid("7002"), bid("7003"))
    finally:
        remove()
    assert log == ["accepted", "fan-out", "refused", "refused"]


# -- QR codes off the loop -----------------------------------------------------------------


async def test_an_approvals_qr_code_is_drawn_off_the_stage_loop(
    stage: Stage, http: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    draw = api._qr_svg

    def spy(text: str, scale: int) -> str:
        threads.append(threading.current_thread().name)
        return draw(text, scale)

    monkeypatch.setattr(api, "_qr_svg", spy)
    token = stage.issuer.issue("clerk", "demo")
    for command in (
        {"op": "register_bidder", "paddle": "9100", "channel": "online"},
        {"op": "approve_bidder", "paddle": "9100"},
    ):
        async with http.post(f"{SALE}/commands", json=command, headers=bearer(token)) as r:
            answer = await r.json()
            assert r.status == 200, answer
    assert answer["qr_svg"].startswith("<svg")
    assert "/bid#token=" in answer["link"]
    assert threads
    assert threading.main_thread().name not in threads


async def test_a_consignor_links_qr_codes_are_drawn_off_the_stage_loop(
    stage: Stage, http: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    draw = money._qr_codes

    def spy(link: str) -> tuple[str, str]:
        threads.append(threading.current_thread().name)
        return draw(link)

    monkeypatch.setattr(money, "_qr_codes", spy)
    token = stage.issuer.issue("clerk", "demo", subject="Carla")
    async with http.post(f"{SALE}/consignors/C-1001/link", json={}, headers=bearer(token)) as r:
        body = await r.json()
    assert r.status == 200, body
    assert body["qr_svg"].startswith("<svg")
    assert body["qr_uri"].startswith("data:image/svg+xml")
    assert threads
    assert threading.main_thread().name not in threads


async def test_a_burst_arriving_over_a_few_loop_iterations_is_one_batch(stage: Stage) -> None:
    """Requests of one burst are parsed over several loop iterations; they share one
    transaction (one fsync) instead of the first one committing alone."""
    stage.sequencer.batch_budget = float("inf")  # transactions counted: no time cuts
    await stage.submit({"op": "open_lot", "lot": "1"}, DESK)
    ask = stage.engine.public_lot("1")["ask"]  # type: ignore[index]
    before = stage.sequencer.batches

    async def late_bid(paddle: str, iterations: int) -> bool:
        for _ in range(iterations):  # as a request read one loop iteration later
            await asyncio.sleep(0)
        answer = await stage.submit(
            {"op": "bid", "lot": "1", "amount": ask}, Actor("bidder", paddle)
        )
        return answer.ok

    oks = await asyncio.gather(late_bid("7001", 0), late_bid("7002", 1), late_bid("7003", 2))
    assert oks == [True, False, False]
    # One batch, cut once after the accepted bid (see the next test): without waiting for
    # the later arrivals, each would have been committed alone (three transactions).
    assert stage.sequencer.batches == before + 2


async def test_the_winning_bid_is_committed_and_published_before_the_refusals_are_decided(
    stage: Stage,
) -> None:
    """A batch is cut after the command with a public event: the listener (the hub) gets
    the accepted bid alone, in its own transaction; the refusals follow in the next."""
    published: list[list[str]] = []
    stage.sequencer.batch_budget = float("inf")
    await stage.submit({"op": "open_lot", "lot": "1"}, DESK)
    ask = stage.engine.public_lot("1")["ask"]  # type: ignore[index]
    remove = stage.sequencer.add_listener(lambda rs: published.append([r.type for r in rs]))
    before = stage.sequencer.batches
    try:
        answers = await asyncio.gather(
            *(
                stage.submit({"op": "bid", "lot": "1", "amount": ask}, Actor("bidder", p))
                for p in ("7001", "7002", "7003")
            )
        )
    finally:
        remove()
    assert [a.ok for a in answers] == [True, False, False]
    assert published == [["bid_accepted"], ["bid_refused", "bid_refused"]]
    assert stage.sequencer.batches == before + 2
    # Gap-free across the cut.
    assert [a.seq for a in answers] == [answers[0].seq, answers[0].seq + 1, answers[0].seq + 2]


async def test_a_run_of_public_events_is_cut_once_not_per_command(stage: Stage) -> None:
    """Only one cut per batch: twenty lots added at once (each a public event, as in a
    catalogue import's chunk) take two transactions, not twenty."""
    stage.sequencer.batch_budget = float("inf")
    before = stage.sequencer.batches
    answers = await asyncio.gather(
        *(
            stage.submit(
                {"op": "add_lot", "lot": {"id": f"A{n}", "title": "t"}, "reason": "test"}, DESK
            )
            for n in range(20)
        )
    )
    assert all(a.ok for a in answers)
    assert any(r.is_public for a in answers for r in a.events)
    assert stage.sequencer.batches - before == 2


async def test_a_long_batch_is_committed_in_parts_and_the_loop_runs_between(
    stage: Stage,
) -> None:
    """Past `batch_budget` of deciding (an injected work clock: 4 ms a command here, 10 ms
    allowed) the transaction ends, the loop gets a turn, then the rest follows: every
    command answered, in order, gap-free."""
    ticks = iter(range(0, 10_000, 4))
    stage.sequencer.work_clock = lambda: next(ticks) / 1000
    ran_between: list[int] = []
    committed: list[list[int]] = []
    loop = asyncio.get_running_loop()

    def listener(records: list[Any]) -> None:
        committed.append([r.seq for r in records])
        loop.call_soon(lambda: ran_between.append(len(committed)))

    remove = stage.sequencer.add_listener(listener)
    try:
        answers = await asyncio.gather(
            *(
                stage.submit(
                    {"op": "add_lot", "lot": {"id": f"B{n}", "title": "t"}, "reason": "t"},
                    DESK,
                )
                for n in range(12)
            )
        )
    finally:
        remove()
    assert all(a.ok for a in answers)
    seqs = [r.seq for a in answers for r in a.events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert [s for part in committed for s in part] == seqs
    assert len(committed) >= 3  # cut by the budget, not only after the first public event
    assert ran_between[: len(committed) - 1] == list(range(1, len(committed)))


async def test_a_run_is_never_cut(stage: Stage) -> None:
    """`submit_run` is all or nothing (numbered invoices): neither a public event nor the
    budget splits it."""
    stage.sequencer.work_clock = iter(range(0, 10_000, 50)).__next__  # 50 s a command
    before = stage.sequencer.batches
    commands = [
        {"op": "add_lot", "lot": {"id": f"R{n}", "title": "t"}, "reason": "t"} for n in range(8)
    ]
    answers = await stage.sequencer.submit_run(commands, DESK)
    assert all(a.ok for a in answers)
    assert stage.sequencer.batches == before + 1
