"""Fan-out core with fake transports: one encode, index, batching, rotation, slow drop."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from hub.mercure import Hub, HubError, Update, conformance_config
from hub.mercure.auth import ANONYMOUS, Grants
from hub.mercure.subscriber import Subscriber
from hub.mercure.topics import EXACT, compile_selector


class FakeTransport:
    def __init__(self, log: list[str] | None = None, name: str = "", stuck: bool = False) -> None:
        self.writes: list[bytes] = []
        self.closing = False
        self.aborted = False
        self.log = log
        self.name = name
        self.stuck = stuck

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        if self.log is not None:
            self.log.append(self.name)

    def is_closing(self) -> bool:
        return self.closing

    def abort(self) -> None:
        self.aborted = self.closing = True

    def get_write_buffer_size(self) -> int:
        return sum(map(len, self.writes)) if self.stuck else 0


def _sub(
    hub: Hub,
    topics: list[str],
    tr: FakeTransport,
    grants: Grants = ANONYMOUS,
    cursor: str | None = None,
) -> tuple[Subscriber, list[bytes]]:
    sels = tuple(compile_selector(EXACT, t) for t in topics)
    loop = asyncio.get_running_loop()
    sub = Subscriber(
        f"urn:uuid:{uuid.uuid4()}",
        "v1",
        sels,
        grants,
        tr,  # type: ignore[arg-type]
        False,
        loop.create_future(),
    )
    frames, _ = hub.open(sub, cursor)
    return sub, frames


async def _drain(hub: Hub) -> None:
    await asyncio.wait_for(hub.flushed(), 5)


@pytest.fixture
async def hub() -> Hub:  # type: ignore[misc]
    h = Hub(conformance_config(subscriptions=False, flush_slice=100))
    await h.start()
    yield h
    await h.close()


async def test_many_subscribers_one_topic_one_frame_object(hub: Hub) -> None:
    trs = [FakeTransport() for _ in range(1000)]
    for tr in trs:
        sub, frames = _sub(hub, ["lot"], tr)
        hub.go_live(sub, frames)
        tr.writes.clear()
    hub.publish(Update(topics=("lot",), data="x", id="1"))
    hub.publish(Update(topics=("other",), data="y", id="2"))
    await _drain(hub)
    first = trs[0].writes[0]
    assert all(len(tr.writes) == 1 for tr in trs)
    assert all(tr.writes[0] is first for tr in trs)  # encoded once, shared by every write
    assert first == b"id: 1\ndata: x\n\n"


async def test_adaptive_batching_one_write_per_pass(hub: Hub) -> None:
    trs = [FakeTransport() for _ in range(5)]
    for tr in trs:
        sub, frames = _sub(hub, ["lot"], tr)
        hub.go_live(sub, frames)
        tr.writes.clear()
    for i in range(3):  # faster than a pass: they coalesce
        hub.publish(Update(topics=("lot",), data=str(i), id=str(i)))
    await _drain(hub)
    for tr in trs:
        assert tr.writes == [b"id: 0\ndata: 0\n\nid: 1\ndata: 1\n\nid: 2\ndata: 2\n\n"]


async def test_rotation_changes_first_writer(hub: Hub) -> None:
    log: list[str] = []
    for i in range(10):
        tr = FakeTransport(log, str(i))
        sub, frames = _sub(hub, ["lot"], tr)
        hub.go_live(sub, frames)
    log.clear()
    firsts = []
    for _ in range(5):
        hub.publish(Update(topics=("lot",), data="x"))
        await _drain(hub)
        firsts.append(log[0])
        assert sorted(log) == sorted(str(k) for k in range(10))
        log.clear()
    assert len(set(firsts)) == 5


async def test_slow_consumer_dropped_others_unaffected(hub: Hub) -> None:
    slow, fast = FakeTransport(stuck=True), FakeTransport()
    s1, f1 = _sub(hub, ["lot"], slow)
    hub.go_live(s1, f1)
    s2, f2 = _sub(hub, ["lot"], fast)
    hub.go_live(s2, f2)
    big = "x" * (hub.config.max_write_buffer // 4)
    for i in range(8):
        hub.publish(Update(topics=("lot",), data=big, id=str(i)))
        await _drain(hub)
    assert slow.aborted
    assert s1.done.done()
    assert s1 not in hub.subscribers
    assert hub.dropped_slow == 1
    assert len(fast.writes) == 9  # the initial comment + 8 events


async def test_private_filtered_by_grant_and_index(hub: Hub) -> None:
    anon, granted = FakeTransport(), FakeTransport()
    g = Grants("v1", subscribe=(compile_selector(EXACT, "lot"),))
    for tr, gr in ((anon, ANONYMOUS), (granted, g)):
        sub, frames = _sub(hub, ["lot"], tr, gr)
        hub.go_live(sub, frames)
        tr.writes.clear()
    hub.publish(Update(topics=("lot",), data="secret", private=True, id="p"))
    await _drain(hub)
    assert anon.writes == []
    assert granted.writes == [b"id: p\ndata: secret\n\n"]


async def test_pending_update_covered_by_replay_is_not_duplicated(hub: Hub) -> None:
    other = FakeTransport()
    s0, f0 = _sub(hub, ["x"], other)
    hub.go_live(s0, f0)
    hub.publish(Update(topics=("lot",), data="a", id="a"))
    hub.publish(Update(topics=("lot",), data="b", id="b"))  # both pending, not flushed yet
    tr = FakeTransport()
    sub, frames = _sub(hub, ["lot"], tr, cursor="a")
    assert frames == [b"id: b\ndata: b\n\n"]
    hub.publish(Update(topics=("lot",), data="c", id="c"))
    await _drain(hub)  # flush happens while the subscriber is still held
    hub.go_live(sub, frames)
    await _drain(hub)
    assert tr.writes == [b":\nid: b\ndata: b\n\nid: c\ndata: c\n\n"]


async def test_in_process_publish_validation(hub: Hub) -> None:
    for bad in (
        Update(topics=()),
        Update(topics=("*",)),
        Update(topics=("t",), id="a\nb"),
        Update(topics=("t",), type="mercure"),
        Update(topics=("t",), retry=-1),
        Update(topics=("/.well-known/mercure/subscriptions/x",)),
        Update(topics=("t",), data="\ud800"),
    ):
        with pytest.raises(HubError):
            hub.publish(bad)
    event_id = hub.publish(Update(topics=("t",), data="ok"))
    assert event_id.startswith("urn:uuid:")
    assert event_id[23] == "7"


async def test_closing_transport_is_removed(hub: Hub) -> None:
    tr = FakeTransport()
    sub, frames = _sub(hub, ["lot"], tr)
    hub.go_live(sub, frames)
    tr.closing = True
    hub.publish(Update(topics=("lot",), data="x"))
    await _drain(hub)
    assert sub.done.done()
    assert hub.subscribers == []


async def test_updates_published_during_a_pass_keep_order_and_are_never_lost() -> None:
    """One subscriber per slice, publications between slices: late updates join the pass in
    progress for the subscribers ahead and are carried to the next pass for the others.
    Every subscriber still gets every update exactly once, in order."""
    h = Hub(conformance_config(subscriptions=False, flush_slice=1))
    await h.start()
    try:
        trs = [FakeTransport() for _ in range(40)]
        for i, tr in enumerate(trs):
            sub, frames = _sub(h, ["lot", f"own/{i % 3}"], tr)
            h.go_live(sub, frames)
            tr.writes.clear()
        expected: dict[int, list[str]] = {i: [] for i in range(len(trs))}
        for n in range(120):
            topic = "lot" if n % 4 else f"own/{n % 3}"
            h.publish(Update(topics=(topic,), data=str(n), id=f"u{n}"))
            for i in range(len(trs)):
                if topic == "lot" or topic == f"own/{i % 3}":
                    expected[i].append(f"u{n}")
            await asyncio.sleep(0)  # lets the flusher run one slice between publications
        await _drain(h)
        assert h._carry == {}
        merged = 0
        for i, tr in enumerate(trs):
            ids = [
                line[4:]
                for w in tr.writes
                for line in w.decode().split("\n")
                if line.startswith("id: ")
            ]
            assert ids == expected[i], i
            merged += sum(w.count(b"id: ") > 1 for w in tr.writes)
        assert merged > 0  # several updates went out in one write
        assert h.late_joined > 0  # some joined a pass that was already under way
    finally:
        await h.close()
