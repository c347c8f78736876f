"""The command registry: every op declared once, and the engine answers exactly those."""

from __future__ import annotations

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
    assert C.allowed("hammer", "clerk")
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
    assert hammer == {"action": "hammer", "op": "hammer", "key": "H", "label": "Hammer",
                      "group": "Bidding", "help": "Knock down: sold to the high bid (or pass)",
                      "preset": {}, "prompt": None}
