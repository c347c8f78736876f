"""The role matrix (issue 13): every command × every role, from the registry, and the engine.

The expected table is written out here, by hand, from the issue and the contract; the registry
must say the same, the engine must refuse every other pair with `forbidden` naming the role, and
docs/ROLES.md must show it (regenerate with AUCTIONMEN_WRITE_ROLES=1).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub.auction import commands as C
from hub.auction import roles
from hub.auction.events import Actor

from .helpers import SYSTEM, Sale

A, CL, D, CA, AD, OF, B = "auctioneer", "clerk", "desk", "cashier", "admin", "officer", "bidder"

# Who may send each op besides the system actor (which may send anything).
EXPECTED: dict[str, set[str]] = {
    "bid": {B},
    "create_sale": set(),
    "issue_invoice": set(),  # issued through the backend (numbering), by the system actor
    "issue_credit_note": set(),
    # the live loop: the auctioneer
    **{
        op: {A}
        for op in (
            "open_lot",
            "house_bid",
            "fair_warning",
            "hammer",
            "pass",
            "reopen",
            "leave_sold",
            "withdraw",
            "set_ask",
            "set_increment",
            "pause",
            "resume",
            "go_live",
            "close_sale",
            "end_session",
            "start_session",
            "reoffer",
            "resolve_subject_to",
        )
    },
    # the clerk's ops (the auctioneer's too)
    **{
        op: {CL, A}
        for op in (
            "floor_bid",
            "retract",
            "reinstate",
            "accept_online",
            "reject_online",
            "set_to_floor",
            "message",
        )
    },
    # the desk (the auctioneer keeps what it had before issue 13)
    **{
        op: {D, A}
        for op in (
            "register_bidder",
            "approve_bidder",
            "reject_bidder",
            "set_credit_limit",
            "book_phone",
            "cancel_phone",
        )
    },
    "absentee_bid": {D, A, B},  # a bidder: for their own paddle only
    "cancel_absentee": {D, A, B},
    **{op: {CA, A} for op in ("record_payment", "record_refund", "release_lots", "record_payout")},
    **{
        op: {AD, A}
        for op in (
            "configure",
            "add_lot",
            "edit_lot",
            "set_consignor_terms",
            "cancel_lot_sale",
            "reknock",
        )
    },
    # compliance: not the auctioneer's
    "record_cdd": {D, OF},
    "hold_bidder": {D, OF},
    "review_hold": {OF},
    "set_linked_purchases": {D},
    "erase_identity": {AD},
    "note_suspicion": {OF},
}


def test_the_registry_says_what_the_issue_says():
    assert set(EXPECTED) == set(C.BY_OP)
    for command in C.COMMANDS:
        assert set(command.roles) == EXPECTED[command.op], command.op


def test_every_role_is_declared_once():
    assert len(set(roles.ROLES)) == len(roles.ROLES)
    assert set(roles.STAFF_ROLES) == {A, CL, D, CA, AD, OF}
    assert set(roles.ROLES) == set(roles.STAFF_ROLES) | {B, "consignor", "system"}
    assert all(set(c.roles) <= set(roles.ROLES) for c in C.COMMANDS)


def _actor(role: str) -> Actor:
    return Actor(role, paddle="A" if role == B else None, name=f"{role}-1", device="desktop")


def _sale() -> Sale:
    s = Sale()
    s.lot("1", start=100)
    s.bidders("A")
    return s


@pytest.mark.parametrize("role", roles.ROLES)
@pytest.mark.parametrize("op", list(C.BY_OP))
def test_every_command_for_every_role(op: str, role: str):
    """Allowed: never `forbidden` (the command may still be refused for what it holds).
    Not allowed: `forbidden`, and the message names the role."""
    s = _sale()
    decision = s.engine.decide({"op": op}, _actor(role), s.now)
    allowed = role == "system" or role in EXPECTED[op]
    assert C.allowed(op, role) is allowed
    if allowed:
        assert decision.reason != "forbidden", (op, role, decision.message)
    else:
        assert decision.reason == "forbidden", (op, role, decision.reason)
        assert decision.message is not None
        assert role in decision.message
        assert not decision.events


def test_a_person_with_several_roles_may_do_what_any_of_them_may():
    s = _sale()
    desk_and_cashier = Actor("desk", name="st-2", roles=("desk", "cashier"))
    assert C.allowed("register_bidder", desk_and_cashier)
    assert C.allowed("record_payment", desk_and_cashier)
    assert not C.allowed("hammer", desk_and_cashier)
    refused = s.engine.decide({"op": "hammer", "lot": "1"}, desk_and_cashier, s.now)
    assert refused.reason == "forbidden"
    assert refused.message == "desk + cashier may not hammer"
    # The role an actor sends as counts even when `roles` leaves it out.
    assert C.allowed("hammer", Actor("auctioneer", roles=("clerk",)))


def test_a_bidder_or_consignor_token_never_carries_staff_rights():
    sneaky = Actor("bidder", paddle="A", roles=("auctioneer",))
    assert not C.allowed("hammer", sneaky)
    assert not C.allowed("hammer", Actor("consignor", roles=roles.ALL_STAFF_ROLES))


def test_the_owner_without_accounts_may_do_everything_staff_may():
    owner = Actor("auctioneer", name="owner", roles=roles.ALL_STAFF_ROLES, device="desktop")
    for command in C.COMMANDS:
        assert C.allowed(command.op, owner) is bool(command.roles - {B}), command.op


def test_the_actor_is_journaled_with_its_person_and_device_and_old_forms_stay():
    owner = Actor("auctioneer", name="owner", roles=roles.ALL_STAFF_ROLES, device="desktop")
    data = owner.to_json()
    assert data["name"] == "owner"
    assert data["device"] == "desktop"
    assert Actor.from_json(data) == owner
    assert Actor("clerk").to_json() == {"role": "clerk", "paddle": None, "name": None}
    assert Actor.from_json({"role": "clerk", "paddle": None, "name": None}) == Actor("clerk")
    assert SYSTEM.held() == ("system",)


# -- docs/ROLES.md


def matrix_markdown() -> str:
    heads = [roles.LABELS[r] for r in roles.ROLES]
    lines = [
        "| op | " + " | ".join(heads) + " |",
        "|---|" + "---|" * len(heads),
    ]
    for command in C.COMMANDS:
        cells = ["✓" if r == "system" or r in command.roles else "·" for r in roles.ROLES]
        lines.append(f"| `{command.op}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- matrix: begin -->\n", "<!-- matrix: end -->"


def test_docs_roles_md_shows_the_registry():
    path = Path(__file__).resolve().parents[2] / "docs" / "ROLES.md"
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    wanted = head + BEGIN + matrix_markdown() + END + tail
    if os.environ.get("AUCTIONMEN_WRITE_ROLES"):
        path.write_text(wanted, encoding="utf-8")
    assert text == wanted, "docs/ROLES.md is stale: AUCTIONMEN_WRITE_ROLES=1 regenerates it"
