"""Issue 17: replay after a cursor looks only at what the subscriber might see.

The indexed replay (`after_for`, `earliest_for`) of the in-memory ring and of the relay
node's seq history must give exactly what the walk gives (`after`, `earliest`, filtered by
`can_receive`): same updates, same order, no gap, no duplicate, the same unknown cursors.
Hypothesis compares them over random histories, readers and cursors; a plain list model
checks the ring itself. A last test counts the candidates a storm's reconnection examines.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.mercure.auth import Grants
from hub.mercure.history import (
    HistoryRouter,
    MemoryHistory,
    SplitHistory,
    replay_after,
    replay_earliest,
)
from hub.mercure.subscriber import Subscriber
from hub.mercure.topics import EXACT, URITEMPLATE, URLPATTERN, WILDCARD, Selector, compile_selector
from hub.mercure.update import Update
from hub.relay.node import SeqHistory

BASE = "https://e.test/.well-known/mercure"
TOPICS = [
    "https://e.test/room",
    "https://e.test/staff",
    "https://e.test/bidders/1",
    "https://e.test/bidders/2",
    "/.well-known/mercure/subscriptions/exact/room/urn:1",
    "/.well-known/mercure/subscriptions/exact/room/urn:2",
]
SELECTORS = [
    *((EXACT, t) for t in TOPICS),
    (EXACT, "https://e.test/nobody"),
    (WILDCARD, WILDCARD),
    (URITEMPLATE, "https://e.test/bidders/{id}"),
    (URLPATTERN, "https://e.test/*"),
    (URLPATTERN, "/.well-known/mercure/subscriptions/*"),
]


@dataclass(frozen=True)
class Reader:
    selectors: tuple[Selector, ...]
    grants: Grants

    def can_receive(self, update: Update) -> bool:
        return Subscriber.can_receive(self, update.topics, update.private)  # type: ignore[arg-type]


selector = st.sampled_from(SELECTORS).map(lambda s: compile_selector(s[0], s[1], BASE))
readers = st.builds(
    lambda sel, grants: Reader(tuple(sel), Grants("v1", subscribe=tuple(grants))),
    st.lists(selector, min_size=1, max_size=3),
    st.lists(selector, max_size=2),
)


def decode(k: int, x: int, uid: str | None = None) -> Update:
    """Update number `k` from one drawn integer (cheaper to draw than many small values):
    one to three topics, private or not, an id from a small pool (duplicates) or unique."""
    topics = tuple(TOPICS[(x >> (2 + 3 * i)) % len(TOPICS)] for i in range(1 + x % 3))
    if uid is None:
        uid = ["a", "b", "c", f"u{k}", f"u{k}", f"u{k}"][(x >> 13) % 6]
    return Update(topics, f"d{k}", uid, private=bool(x >> 12 & 1))


codes = st.lists(st.integers(0, 1 << 16), max_size=40)
updates = codes.map(lambda xs: [decode(k, x) for k, x in enumerate(xs)])


def visible(found: object, reader: Reader) -> list[Update] | None:
    if found is None:
        return None
    return [u for u in found if reader.can_receive(u)]  # type: ignore[attr-defined]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(0, 12), stored=updates, reader=readers)
def test_the_ring_replays_exactly_what_the_walk_replays(
    size: int, stored: list[Update], reader: Reader
) -> None:
    ring = MemoryHistory(size)
    for u in stored:
        ring.append(u)
    router = HistoryRouter([ring])
    for cursor in {u.id for u in stored} | {"unknown", "a"}:
        walked = visible(ring.after(cursor), reader)
        assert visible(ring.after_for(cursor, reader), reader) == walked
        assert visible(replay_after(router, cursor, reader), reader) == walked
    walked_all = visible(ring.earliest(), reader)
    assert visible(ring.earliest_for(reader), reader) == walked_all
    assert visible(replay_earliest(router, reader), reader) == walked_all


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 10), xs=codes, reader=readers)
def test_the_ring_matches_a_plain_list(size: int, xs: list[int], reader: Reader) -> None:
    """Unique ids: replay after the i-th update is what follows it among the last `size`."""
    stored = [decode(k, x, f"id{k}") for k, x in enumerate(xs)]
    ring = MemoryHistory(size)
    for u in stored:
        ring.append(u)
    window = stored[-size:]
    for u in stored:
        got = visible(ring.after_for(u.id, reader), reader)
        if u in window:
            i = window.index(u)
            assert got == [w for w in window[i + 1 :] if reader.can_receive(w)]
        else:
            assert got is None  # discarded: the hub answers `earliest`
    assert visible(ring.earliest_for(reader), reader) == [
        w for w in window if reader.can_receive(w)
    ]


SALE = "s1"


@st.composite
def seq_histories(draw: st.DrawFn) -> tuple[SeqHistory, list[str]]:
    """A relay node's history: records in order, some holes (an unreadable stream entry
    moves `head` without a record), an occasional reset, sometimes prefetched records."""
    size = draw(st.integers(1, 12))
    h = SeqHistory(SALE, size)
    ids: list[str] = []
    seq, epoch = 0, 1
    made: dict[int, tuple[int, list[Update]]] = {}
    for x in draw(st.lists(st.integers(0, 1 << 20), max_size=30)):
        action = ["add"] * 8 + ["hole", "reset", "epoch"]
        seq += 1
        what = action[x % len(action)]
        if what == "hole":
            h.head = seq
            continue
        if what == "reset":
            h.reset(seq)
            continue
        if what == "epoch":
            epoch += 1
        views = [("p", "s"), ("s",), ("p", "s", "c"), ("s", "c")][(x >> 4) % 4]
        record = []
        for i, v in enumerate(views):
            u = decode(seq, x >> (5 + i), f"{SALE}:{epoch}:{seq}:{v}")
            u.private = v != "p"
            record.append(u)
        made[seq] = (epoch, record)
        ids.extend(u.id for u in record)
        h.add(seq, epoch, record)
    below = [s for s in made if s < h.floor]
    if below:
        keep = draw(st.lists(st.sampled_from(below), unique=True))
        h.prefetched = {s: made[s] for s in keep}
    ids += [f"{SALE}:1:0:p", f"{SALE}:9:1:s", "other:1:1:p", "junk", f"{SALE}:1:{seq + 1}:s"]
    return h, ids


@settings(max_examples=80, deadline=None)
@given(built=seq_histories(), reader=readers)
def test_the_relay_history_replays_exactly_what_the_walk_replays(
    built: tuple[SeqHistory, list[str]], reader: Reader
) -> None:
    h, cursors = built
    for cursor in cursors:
        walked = visible(h.after(cursor), reader)
        assert visible(h.after_for(cursor, reader), reader) == walked, cursor
    assert visible(h.earliest_for(reader), reader) == visible(h.earliest(), reader)


def test_a_storm_reconnection_examines_only_its_own_events() -> None:
    """5,000 subscribers' subscription events (private, one topic each) and 20 room events
    after the cursor: a room subscriber's replay looks at 20 candidates, not 10,020; a
    wildcard subscriber without grants only at the public ones."""
    ring = MemoryHistory(100_000)
    ring.append(Update(("https://e.test/room",), "start", "cursor"))
    for k in range(5_000):
        topic = f"/.well-known/mercure/subscriptions/exact/room/urn:{k}"
        ring.append(Update((topic,), "{}", f"sub-{k}-off", private=True))
        if k % 250 == 0:
            ring.append(Update(("https://e.test/room",), f"e{k}", f"room-{k}"))
        ring.append(Update((topic,), "{}", f"sub-{k}-on", private=True))
    room = Reader((compile_selector(EXACT, "https://e.test/room"),), Grants("anonymous"))
    anyone = Reader((compile_selector(WILDCARD, WILDCARD),), Grants("anonymous"))
    for reader in (room, anyone):
        picked = ring.after_for("cursor", reader)
        assert picked is not None
        assert [u.id for u in picked] == [f"room-{k}" for k in range(0, 5_000, 250)]
    walked = ring.after("cursor")
    assert walked is not None
    assert len(walked) == 10_020


@settings(max_examples=100, deadline=None)
@given(main_size=st.integers(0, 8), side_size=st.integers(0, 8), xs=codes, reader=readers)
def test_split_history_replays_in_order_without_gaps(
    main_size: int, side_size: int, xs: list[int], reader: Reader
) -> None:
    """Subscription events in their own ring: replay is every visible update published
    after the cursor, in publication order, or None (unknown) when a ring lost one the
    reader might have seen; never a silent gap."""
    main, side = MemoryHistory(main_size), MemoryHistory(side_size)
    split = SplitHistory(main, side)
    published: list[Update] = []
    for k, x in enumerate(xs):
        u = decode(k, x, f"id{k}")
        u.hub_seq = k + 1
        if x >> 15 & 1:  # a subscription event: private, on its own topic
            u.topics, u.private = (f"/.well-known/mercure/subscriptions/exact/room/urn:{k}",), True
            side.append(u)
        else:
            main.append(u)
        published.append(u)
    held = {u.id for u in [*main.earliest(), *side.earliest()]}
    for u in published:
        got = visible(split.after_for(u.id, reader), reader)
        if u.id not in held:
            assert got is None
            continue
        lost_main = main.evicted_seq > u.hub_seq
        lost_side = side.evicted_seq > u.hub_seq and bool(reader.grants.subscribe)
        if got is None:
            assert lost_main or lost_side
            continue
        assert got == [w for w in published[u.hub_seq :] if reader.can_receive(w)]
        walked = split.after(u.id)
        if walked is not None:
            assert visible(walked, reader) == got
    assert split.after_for("unknown", reader) is None
    everything = visible(split.earliest(), reader) or []
    assert visible(split.earliest_for(reader), reader) == everything
    assert everything == sorted(everything, key=lambda w: w.hub_seq)
    last = max(held, key=lambda i: int(i[2:]), default=None)
    assert split.last_id() == last
