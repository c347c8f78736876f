"""Malformed, oversized and hostile commands: always a clean refusal, never an exception."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.auction import reasons as R
from hub.auction.commands import BY_OP
from hub.auction.engine import Engine
from hub.auction.events import Actor, canonical_json

from .helpers import CLERK, SYSTEM, Sale, bidder, check_declared, projections, replay

MB = "x" * 1_000_000
HOSTILE = [
    None,
    True,
    False,
    -1,
    0.5,
    math.nan,
    math.inf,
    -math.inf,
    10**100,
    -(10**100),
    2**63,
    10**5000,
    "",
    " ",
    MB,
    "<script>alert(1)</script>",
    "\x00",
    "a\nid: 7\n\n",
    "\ud800",
    "\u202e\u200b",
    [],
    [1, 2],
    {},
    {"$gt": ""},
    [[0, 10]] * 10_000,
]


def running_sale() -> Sale:
    s = Sale()
    s.lot("1", title="Vase", start=100, reserve=300)
    s.lot("2", start=50)
    s.bidders("A", "B")
    s.ok({"op": "absentee_bid", "lot": "2", "paddle": "B", "max": 500})
    s.ok({"op": "open_lot", "lot": "1"})
    s.ok({"op": "floor_bid", "lot": "1", "paddle": "A"})
    return s


FIELDS = {
    "create_sale": {
        "sale": {"id": "x", "title": "t", "settings": {}, "house": "h", "sessions": []}
    },
    "configure": {"settings": {"late_window": 1}},
    "add_lot": {
        "lot": {"id": "9", "title": "t", "start": 10, "images": ["a.png"], "quantity": 2},
        "reason": "late entry",
    },
    "register_bidder": {"paddle": "77", "channel": "online", "credit_limit": 100},
    "bid": {"lot": "1", "amount": 200, "seen_seq": 3, "key": "k"},
    "floor_bid": {"lot": "1", "amount": 200, "paddle": "B", "channel": "phone"},
    "set_ask": {"lot": "1", "amount": 500},
    "set_increment": {"lot": "1", "mode": "amount", "amount": 5},
    "hammer": {"lot": "1", "source": "gavel", "device_at": 12.5},
    "pause": {"message": "break"},
    "retract": {"lot": "1", "reason": "r"},
    "reopen": {"lot": "1", "reason": "r"},
    "end_session": {"message": "back soon", "next_start": "2026-12-06T10:00"},
    "edit_lot": {"lot": "2", "changes": {"title": "t"}, "reason": "r", "notice": "n"},
    "reoffer": {"lot": "2", "reason": "r"},
    "message": {"text": "hello", "paddle": "A"},
    "book_phone": {"paddle": "A", "from_lot": "1", "to_lot": "2", "operator": "Jo"},
    "cancel_phone": {"id": "ph1"},
    "resolve_subject_to": {"lot": "1", "accept": True, "reason": "r"},
    "absentee_bid": {"lot": "2", "paddle": "A", "max": 100},
}


CASES = [(op, key, value) for op, fields in FIELDS.items() for key in fields for value in HOSTILE]


@pytest.mark.parametrize(
    ("op", "key", "value"),
    CASES,
    ids=[f"{op}-{key}-{i % len(HOSTILE)}" for i, (op, key, _) in enumerate(CASES)],
)
def test_hostile_field_gives_clean_refusal_or_harmless_event(op, key, value):
    s = running_sale() if op != "create_sale" else None
    engine = s.engine if s else Engine()
    command = {"op": op, **FIELDS[op], key: value}
    decision = engine.decide(command, bidder("B") if op == "bid" else SYSTEM, 2000.0)
    if decision.ok:
        # Accepted: then the value must have been harmless text or a valid number.
        check_events(engine, decision.events)
    else:
        assert isinstance(decision.reason, str)
        assert decision.reason
        check_events(engine, decision.events)


def test_known_bad_values_are_invalid():
    s = running_sale()
    for command in [
        {"op": "bid", "lot": "1", "amount": True},
        {"op": "bid", "lot": "1", "amount": 200.0},
        {"op": "bid", "lot": "1", "amount": math.nan},
        {"op": "bid", "lot": "1", "amount": 10**100},
        {"op": "bid", "lot": "1", "amount": -5},
        {"op": "bid", "lot": "1", "amount": "200"},
        {"op": "bid", "lot": "1"},
        {"op": "bid", "lot": MB, "amount": 200},
        {"op": "bid", "lot": "1", "amount": 200, "seen_seq": 10**5000},
        {"op": "bid", "lot": "1", "amount": 200, "key": MB},
        {"op": "floor_bid", "lot": "1", "paddle": 10**5000},
        {"op": "floor_bid", "lot": "1", "paddle": "\ud800"},
        {"op": "floor_bid", "lot": "1", "channel": "online"},
        {"op": "hammer", "lot": "1", "device_at": math.nan},
        {"op": "hammer", "lot": "1", "device_at": math.inf},
        {"op": "add_lot", "lot": {"id": "9", "title": MB}},
        {"op": "add_lot", "lot": {"id": "9", "title": "a\x00b"}},
        {"op": "add_lot", "lot": {"id": "9", "images": ["x"] * 51}},
        {"op": "add_lot", "lot": {"id": "9", "low": 10, "high": 5}},
        {"op": "add_lot", "lot": "9"},
        {"op": "configure", "settings": {"ladder": [[0, math.inf]]}},
        {"op": "configure", "settings": {"ladder": [[0, 10**100]]}},
        {"op": "configure", "settings": {"ladder": [[0, True]]}},
        {"op": "configure", "settings": {"ladder": [[5, 10]]}},
        {"op": "configure", "settings": {"ladder": "0,10"}},
        {"op": "configure", "settings": {"late_window": math.nan}},
        {"op": "configure", "settings": {"subject_to": 1}},
        {"op": "configure", "settings": {"tie_policy": ["first_received"]}},
        {"op": "configure", "settings": {"nonsense": 1}},
        {"op": "pause", "message": MB},
        {"op": "pause", "message": 5},
        {"op": "set_increment", "lot": "1", "mode": "amount", "amount": 0},
    ]:
        actor = bidder("B") if command["op"] == "bid" else SYSTEM
        decision = s.engine.decide(command, actor, 2000.0)
        assert (decision.ok, decision.reason) == (False, R.INVALID), command
        assert decision.events == ()


@pytest.mark.parametrize("command", [[], "bid", 5, None, {"op": 5}, {"op": "drop_tables"}, {}])
def test_not_a_command(command):
    decision = running_sale().engine.decide(command, CLERK, 0.0)  # type: ignore[arg-type]
    assert not decision.ok
    assert decision.reason in (R.INVALID, R.UNKNOWN_OP)


def test_html_in_a_title_is_kept_as_data():
    s = Sale()
    s.lot("1", title="<img src=x onerror=alert(1)>")
    assert s.engine.public_lot("1")["title"] == "<img src=x onerror=alert(1)>"


def check_events(engine: Engine, events) -> None:
    for event in events:
        text = json.dumps(event.to_json(), allow_nan=False, sort_keys=True)
        text.encode("utf-8")
        assert len(text) < 200_000


# ---------------------------------------------------------------- arbitrary commands

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30).map(lambda x: x * 10**20),
    st.sampled_from([0, 1, 50, 100, 200, 300, 500, 10**13, 10**13 + 1, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "1",
            "2",
            "9",
            "A",
            "B",
            "",
            "half",
            "double",
            "reset",
            "amount",
            "floor",
            "phone",
            "online",
            "absentee",
            "house",
            "gavel",
            "floor_priority",
            "first_received",
            "<b>x</b>",
            "1.p1",
            "1.l1",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = [
    "lot",
    "amount",
    "paddle",
    "seen_seq",
    "key",
    "channel",
    "reason",
    "mode",
    "source",
    "device_at",
    "message",
    "pending",
    "late",
    "max",
    "status",
    "credit_limit",
    "settings",
    "sale",
]
sub_objects = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "title": json_values,
        "start": json_values,
        "reserve": json_values,
        "low": json_values,
        "high": json_values,
        "images": json_values,
        "settings": json_values,
        "description": json_values,
    },
)
commands = st.builds(
    lambda op, fields, extra: {**({"op": op} if op is not None else {}), **fields, **extra},
    st.one_of(st.sampled_from(sorted(BY_OP)), json_values),
    st.dictionaries(st.sampled_from(KEYS), st.one_of(json_values, sub_objects), max_size=6),
    st.dictionaries(st.text(max_size=6), json_values, max_size=2),
)
actors = st.one_of(
    st.sampled_from([SYSTEM, CLERK, bidder("A"), bidder("B"), Actor("bidder")]),
    st.builds(Actor, st.text(max_size=10), st.one_of(st.none(), st.text(max_size=10))),
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(commands, actors), min_size=1, max_size=8), st.booleans())
def test_arbitrary_commands_never_raise(batch, fresh):
    """decide() never raises; whatever it returns evolves, serializes and replays."""
    s = Sale() if fresh else running_sale()
    for command, actor in batch:
        decision = s.engine.decide(command, actor, s.now)
        check_declared(command, decision)
        assert isinstance(decision.ok, bool)
        assert decision.ok or isinstance(decision.reason, str)
        check_events(s.engine, decision.events)
        for event in decision.events:
            s.journal.append(event)
            s.engine.evolve(event, len(s.journal))
        s.now += 1
    for key in s.engine.projection_keys():
        json.dumps(s.engine.projection(key), allow_nan=False)
    assert projections(replay(s.journal)) == projections(s.engine)
    canonical_json(s.engine.snapshot(staff=True))
