"""The command registry: every op declared once, and the engine answers exactly those."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from hub.auction import commands as C
from hub.auction.decide import HANDLERS
from hub.auction.evolve import APPLIERS, declared_events
from hub.auction.parse import PARSERS


def test_every_declared_op_is_an_engine_op_and_back():
    assert set(C.BY_OP) == set(HANDLERS) == set(PARSERS)


def test_every_declared_event_has_an_evolve_handler_and_back():
    assert set(APPLIERS) == declared_events()


def test_a_handler_is_registered_once():
    from hub.auction.decide.base import decides
    from hub.auction.parse import Hammer

    with pytest.raises(RuntimeError, match="two handlers"):
        decides(Hammer)(lambda auction, cmd, actor, now: None)  # type: ignore[arg-type,return-value]
    assert HANDLERS["hammer"].__name__ == "hammer"


def test_each_binding_has_one_key_and_keys_do_not_collide():
    keys = [b.key for b in C.BINDINGS]
    assert len(keys) == len(set(keys)), keys
    assert all(b.op is None or b.op in C.BY_OP for b in C.BINDINGS)


def test_permissions_come_from_the_registry():
    assert C.allowed("bid", "bidder")
    assert not C.allowed("hammer", "bidder")
    assert not C.allowed("hammer", "clerk")
    assert C.allowed("floor_bid", "clerk")
    assert C.allowed("hammer", "auctioneer")
    assert not C.allowed("create_sale", "auctioneer")
    assert C.allowed("create_sale", "system")
    assert not C.allowed("no_such_op", "system")
    assert not C.allowed("bid", "stranger")


def test_catalogue_is_plain_json():
    cat = C.catalogue()
    ops = [c["op"] for c in cat["commands"]]
    assert ops == [c.op for c in C.COMMANDS]
    hammer = next(b for b in cat["bindings"] if b["action"] == "hammer")
    assert hammer == {
        "action": "hammer",
        "op": "hammer",
        "key": "H",
        "label": "Hammer",
        "group": "Bidding",
        "help": "Knock down: sold to the high bid (or pass)",
        "preset": {},
        "prompt": None,
    }


class _Reading(dict):  # type: ignore[type-arg]
    """A command that records which of its keys the parser reads."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key, default=None):  # type: ignore[no-untyped-def]
        self.read.add(key)
        return super().get(key, default)


_SAMPLES = {
    "lot": "1",
    "paddle": "7",
    "amount": 100,
    "text": "x",
    "int": 1,
    "number": 1.5,
    "bool": True,
}
_OBJECTS = {"sale": {"id": "s"}, "lot": {"id": "9"}, "settings": {}, "changes": {"title": "x"}}


# Text the parser checks further, and lists (what they hold depends on the field).
_BY_NAME = {
    "next_start": "2026-12-06T10:00",
    "number": "INV-2026-00001",
    "invoice": "INV-2026-00001",
    "lots": ["1"],
    "commission": [[0, 1500]],
    "charges": [["Photography", 5000]],
    "sales": ["spring-2026"],
    "reference": "sha256-abc",
}
_BY_OP_NAME = {("issue_credit_note", "number"): "CN-2026-00001"}


def _sample(field: C.Field, choice: str | None, op: str = "") -> object:
    if (op, field.name) in _BY_OP_NAME:
        return _BY_OP_NAME[op, field.name]
    if field.name in _BY_NAME:
        return _BY_NAME[field.name]
    if field.kind == "choice":
        return choice if choice is not None else field.choices[0]
    if field.kind == "object":
        return _OBJECTS[field.name]
    return _SAMPLES[field.kind]


@pytest.mark.parametrize("command", C.COMMANDS, ids=lambda c: c.op)
def test_the_parser_reads_exactly_the_declared_fields(command):
    """The registry's fields (forms, OpenAPI, the clerk page) are the ones the engine reads."""
    read: set[str] = set()
    choices = [(f, c) for f in command.fields for c in f.choices] or [(None, None)]
    for chosen, choice in choices:
        raw = _Reading(
            {
                "op": command.op,
                **{
                    f.name: _sample(f, choice if f is chosen else None, command.op)
                    for f in command.fields
                },
            }
        )
        PARSERS[command.op](raw)  # a valid sample: no CommandError
        read |= raw.read
    assert read == {f.name for f in command.fields}


def test_a_command_class_is_its_one_declaration():
    """Kind, required and choices come from the dataclass fields' types and `arg` metadata."""
    from hub.auction.parse import arg, fields_of

    @dataclass(frozen=True)
    class Example:
        OP: ClassVar[str] = "example"
        lot: str = arg("lot")
        note: str | None = arg(help="free text")
        mode: str = arg(choices=("a", "b"), optional=True)
        count: int = arg()
        at: int | float | None = arg()
        settings: Mapping[str, Any] = arg()
        flag: bool = arg()
        images: tuple[str, ...] = arg()

    assert [f.to_json() for f in fields_of(Example)] == [
        {"name": "lot", "kind": "lot", "required": True},
        {"name": "note", "kind": "text", "required": False, "help": "free text"},
        {"name": "mode", "kind": "choice", "required": False, "choices": ["a", "b"]},
        {"name": "count", "kind": "int", "required": True},
        {"name": "at", "kind": "number", "required": False},
        {"name": "settings", "kind": "object", "required": True},
        {"name": "flag", "kind": "bool", "required": True},
        {"name": "images", "kind": "list", "required": True},
    ]


def test_the_registry_is_built_from_the_declarations():
    import dataclasses

    from hub.auction.parse import DECLARED, FloorBid

    assert [c.op for c in C.COMMANDS] == list(DECLARED)
    floor = C.BY_OP["floor_bid"]
    assert [f.name for f in floor.fields] == [f.name for f in dataclasses.fields(FloorBid)]
    assert floor.roles == {"clerk", "auctioneer"}
    assert floor.label == "Floor bid"


def test_a_command_class_is_declared_once_and_with_known_kinds():
    from hub.auction.parse import Hammer, arg, command

    with pytest.raises(RuntimeError, match="two command classes"):
        command(C.STAFF, ("lot_sold",), "Hammer", "again")(Hammer)

    @dataclass(frozen=True)
    class Odd:
        OP: ClassVar[str] = "odd_new_op"
        what: str = arg("colour")

        @classmethod
        def parse(cls, cmd: dict[str, object]) -> Odd:
            return cls("x")

    with pytest.raises(RuntimeError, match="unknown field kind"):
        command(C.STAFF, (), "Odd", "odd")(Odd)
    assert "odd_new_op" not in C.BY_OP
