"""History and reconnection: > 20,000 stored events, O(1)/O(log n) seeks, earliest, replay
authorization, and replay-then-live with no gap and no duplicate."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Iterable

import pytest

from hub.mercure import HistoryRouter, MemoryHistory, Update, conformance_config

from .helpers import Server, bearer, running_hub, v1_token

N = 25_000


def _u(i: int, topic: str = "t", private: bool = False) -> Update:
    return Update(topics=(topic,), data=str(i), id=f"e{i}", private=private)


def test_ring_seek_and_bounds() -> None:
    ring = MemoryHistory(N)
    for i in range(N + 5_000):  # wraps: the first 5,000 are discarded
        ring.append(_u(i))
    assert len(ring) == N
    assert ring.last_id() == f"e{N + 4_999}"
    for start in (5_000, 5_001, 12_345, 20_000, N + 4_998):
        after = ring.after(f"e{start}")
        assert after is not None
        assert [u.id for u in after] == [f"e{i}" for i in range(start + 1, N + 5_000)]
    assert ring.after("e4999") is None  # discarded
    assert ring.after("never") is None  # unknown
    assert ring.after(f"e{N + 4_999}") == []  # newest: nothing after it
    assert [u.id for u in ring.earliest()][:2] == ["e5000", "e5001"]


def test_ring_duplicate_ids_resolve_to_earliest() -> None:
    ring = MemoryHistory(10)
    for u in (Update(("t",), "a", "dup"), Update(("t",), "b", "x"), Update(("t",), "c", "dup")):
        ring.append(u)
    assert [u.data for u in ring.after("dup") or []] == ["b", "c"]


def test_ring_size_zero_keeps_nothing() -> None:
    ring = MemoryHistory(0)
    ring.append(_u(1))
    assert ring.after("e1") is None
    assert ring.last_id() is None
    assert list(ring.earliest()) == []


class IndexedSource:
    """A journal-like source: ids 'j<seq>', seek by bisect, counts comparisons."""

    def __init__(self, n: int) -> None:
        self.seqs = list(range(n))
        self.updates = [Update(topics=("auction",), data=str(i), id=f"j{i}") for i in range(n)]
        self.calls = 0

    def after(self, last_event_id: str) -> Iterable[Update] | None:
        self.calls += 1
        if not last_event_id.startswith("j") or not last_event_id[1:].isdigit():
            return None
        seq = int(last_event_id[1:])
        i = bisect.bisect_left(self.seqs, seq)
        if i == len(self.seqs) or self.seqs[i] != seq:
            return None
        return self.updates[i + 1 :]

    def earliest(self) -> Iterable[Update]:
        return self.updates

    def last_id(self) -> str | None:
        return self.updates[-1].id if self.updates else None


def test_router_asks_sources_in_order() -> None:
    ring = MemoryHistory(100)
    ring.append(_u(1))
    ring.append(_u(2))
    journal = IndexedSource(30_000)
    router = HistoryRouter([ring, journal])
    assert [u.id for u in router.after("e1") or []] == ["e2"]
    assert journal.calls == 0
    tail = list(router.after("j29990") or [])
    assert [u.id for u in tail] == [f"j{i}" for i in range(29_991, 30_000)]
    assert router.after("zzz") is None
    assert router.last_id() == "e2"


async def _read_until(stream_resp, marker: bytes, wait: float = 20.0) -> bytes:
    buf = bytearray()
    for _ in range(1_000_000):
        if marker in buf:
            return bytes(buf)
        chunk = await asyncio.wait_for(stream_resp.content.readany(), wait)
        if not chunk:
            raise EOFError
        buf += chunk
    raise AssertionError("bounded loop exhausted")


def _ids(raw: bytes) -> list[str]:
    return [line[4:] for line in raw.decode().split("\n") if line.startswith("id: ")]


@pytest.fixture
async def big() -> Server:  # type: ignore[misc]
    async with running_hub(conformance_config(history_size=30_000)) as s:
        for i in range(N):
            s.hub.publish(_u(i, private=(i % 1000 == 7)))
        yield s


@pytest.mark.parametrize("start", [0, 9_999, 10_001, 17_500, N - 2])
async def test_resume_from_many_points_v1(big: Server, start: int) -> None:
    async with big.session.get(
        big.url, params={"match": "t"}, headers={"Last-Event-ID": f"e{start}"}
    ) as r:
        assert r.headers["Mercure-Last-Event-ID"] == f"e{start}"
        raw = await _read_until(r, f"id: e{N - 1}\n".encode())
    # Anonymous: private updates are not replayed (authorization re-checked per event).
    assert _ids(raw) == [f"e{i}" for i in range(start + 1, N) if i % 1000 != 7]


async def test_resume_with_grant_includes_private(big: Server) -> None:
    tok = v1_token(subscribe=["t"])
    async with big.session.get(
        big.url, params={"match": "t", "last_event_id": "e20000"}, headers=bearer(tok)
    ) as r:
        assert r.headers["Mercure-Last-Event-ID"] == "e20000"
        raw = await _read_until(r, f"id: e{N - 1}\n".encode())
    assert _ids(raw) == [f"e{i}" for i in range(20_001, N)]


async def test_v0_cursor_query_and_header_name(big: Server) -> None:
    async with big.session.get(big.url, params={"topic": "t", "lastEventID": "e24990"}) as r:
        assert r.headers["Last-Event-ID"] == "e24990"
        assert "Mercure-Last-Event-ID" not in r.headers
        raw = await _read_until(r, f"id: e{N - 1}\n".encode())
    assert _ids(raw) == [f"e{i}" for i in range(24_991, N)]
    # The header beats the query parameter.
    async with big.session.get(
        big.url, params={"topic": "t", "lastEventID": "e1"}, headers={"Last-Event-ID": "e24997"}
    ) as r:
        raw = await _read_until(r, f"id: e{N - 1}\n".encode())
    assert _ids(raw) == ["e24998", "e24999"]


async def test_unknown_cursor_answers_earliest_then_live(big: Server) -> None:
    async with big.session.get(
        big.url, params={"match": "t"}, headers={"Last-Event-ID": "no-such-id"}
    ) as r:
        assert r.headers["Mercure-Last-Event-ID"] == "earliest"
        await asyncio.wait_for(r.content.readany(), 5)
        big.hub.publish(Update(topics=("t",), data="live", id="live-1"))
        raw = await _read_until(r, b"id: live-1\n")
    assert _ids(raw) == ["live-1"]  # nothing replayed for an id we cannot place


async def test_earliest_sends_everything(server: Server) -> None:
    for i in range(5):
        server.hub.publish(_u(i))
    async with server.session.get(
        server.url, params={"match": "t", "last_event_id": "earliest"}
    ) as r:
        assert r.headers["Mercure-Last-Event-ID"] == "earliest"
        raw = await _read_until(r, b"id: e4\n")
    assert _ids(raw) == [f"e{i}" for i in range(5)]


@pytest.mark.parametrize("yields", [0, 1, 3, 7])
async def test_replay_then_live_no_gap_no_duplicate(server: Server, yields: int) -> None:
    hub = server.hub
    for i in range(100):
        hub.publish(_u(i))

    async def publisher() -> None:
        for i in range(100, 300):
            hub.publish(_u(i))
            for _ in range(yields):
                await asyncio.sleep(0)

    task = asyncio.create_task(publisher())
    async with server.session.get(
        server.url, params={"match": "t"}, headers={"Last-Event-ID": "e49"}
    ) as r:
        await task
        raw = await _read_until(r, b"id: e299\n")
    assert _ids(raw) == [f"e{i}" for i in range(50, 300)]


async def test_resume_twice_over_http_no_duplicates(server: Server) -> None:
    # (The pending-vs-replay race itself is pinned down with fake transports in test_fanout.)
    s = server
    s.hub.publish(_u(0))
    s.hub.publish(_u(1))
    async with s.session.get(s.url, params={"match": "t"}, headers={"Last-Event-ID": "e0"}) as r:
        s.hub.publish(_u(2))
        raw = await _read_until(r, b"id: e2\n")
        s.hub.publish(_u(3))
        raw += await _read_until(r, b"id: e3\n")
    assert _ids(raw) == ["e1", "e2", "e3"]


async def test_journal_source_through_http() -> None:
    journal = IndexedSource(25_000)
    async with (
        running_hub(conformance_config(), sources=[journal]) as s,
        s.session.get(s.url, params={"match": "auction"}, headers={"Last-Event-ID": "j24000"}) as r,
    ):
        assert r.headers["Mercure-Last-Event-ID"] == "j24000"
        raw = await _read_until(r, b"id: j24999\n")
    assert _ids(raw) == [f"j{i}" for i in range(24_001, 25_000)]
    assert journal.calls == 1
