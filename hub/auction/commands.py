"""Every command of the auction, declared once: who may send it, its fields, what it emits.

The engine dispatches and checks permissions from this table; the gateway serves it
(`GET /api/commands`) and lists its ops in the OpenAPI document; the Qt console and the clerk
page build their buttons, keys and help from `BINDINGS`, so both use the same keys. Pure data,
stdlib only.

Adding a staff command means: its entry here (and a binding if it has a key), its typed class in
`parse.py`, its handler in the `decide` phase module it belongs to, its test; and, if it emits
a new event type, that event's handler in `evolve.py`. Importing the engine fails if any of
these is missing, and `tests/auction/test_commands.py` checks that the parser reads exactly the
fields declared here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

JSON = dict[str, Any]

BIDDER = frozenset({"bidder"})
STAFF = frozenset({"clerk", "auctioneer"})
SYSTEM = frozenset[str]()  # the system actor may send anything; nobody else

# What a field holds, for forms, OpenAPI and the clerk page (the engine checks the values).
FIELD_KINDS = ("lot", "paddle", "amount", "text", "int", "number", "choice", "object", "list")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""

    def to_json(self) -> JSON:
        out: JSON = {"name": self.name, "kind": self.kind, "required": self.required}
        if self.choices:
            out["choices"] = list(self.choices)
        if self.help:
            out["help"] = self.help
        return out


@dataclass(frozen=True, slots=True)
class Command:
    """One op the engine answers."""

    op: str
    roles: frozenset[str]  # besides the system actor, who may send it
    fields: tuple[Field, ...]
    events: tuple[str, ...]  # the event types it may journal (accepted or refused)
    label: str
    help: str

    def to_json(self) -> JSON:
        return {
            "op": self.op,
            "roles": sorted(self.roles),
            "fields": [f.to_json() for f in self.fields],
            "events": list(self.events),
            "label": self.label,
            "help": self.help,
        }


@dataclass(frozen=True, slots=True)
class Binding:
    """One key on the console and the clerk page: an op with preset fields, or a screen action.

    `key` is one key in Qt's portable text ("Space", "W", "+", "?"); the clerk page maps it
    to `KeyboardEvent.key`. `prompt` names what the operator is asked before sending (a
    reason, a message, an amount); `op` is None for actions that only move the screen (help)
    or choose their op from the state (next lot, pause/resume).
    """

    action: str
    op: str | None
    key: str
    label: str
    group: str
    help: str
    preset: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    prompt: str | None = None

    def to_json(self) -> JSON:
        return {
            "action": self.action,
            "op": self.op,
            "key": self.key,
            "label": self.label,
            "group": self.group,
            "help": self.help,
            "preset": dict(self.preset),
            "prompt": self.prompt,
        }


def _f(name: str, kind: str, required: bool = False, *choices: str, help: str = "") -> Field:
    return Field(name, kind, required, tuple(choices), help)


LOT = _f("lot", "lot", True)
PADDLE = _f("paddle", "paddle", True)
REASON = _f("reason", "text", True)
_BID_KEYS = (
    _f("seen_seq", "int", help="the seq the sender last saw (compare-and-set)"),
    _f("key", "text", help="idempotency key: a retry with it counts once"),
)
_CLOSE = ("lot_sold", "lot_passed", "online_bid_rejected")
_BIDS = ("bid_accepted", "bid_refused", "late_bid", "online_bid_pending")
# A room bid is never waiting for the clerk; a house bid is never late; a pass never sells.
_FLOOR_BIDS = ("bid_accepted", "bid_refused", "late_bid")
_HOUSE_BIDS = ("bid_accepted", "bid_refused")

COMMANDS: tuple[Command, ...] = (
    # -- bidders
    Command(
        "bid",
        BIDDER,
        (LOT, _f("amount", "amount", True), *_BID_KEYS),
        _BIDS,
        "Bid",
        "An online bid at `amount` on the lot on the block",
    ),
    # -- setting up a sale
    Command(
        "create_sale",
        SYSTEM,
        (_f("sale", "object", True),),
        ("sale_created",),
        "Create sale",
        "Create the sale: id, title and house rules",
    ),
    Command(
        "configure",
        STAFF,
        (_f("settings", "object", True),),
        ("settings_changed",),
        "Sale rules",
        "Change the sale's rules between lots",
    ),
    Command(
        "add_lot",
        STAFF,
        (_f("lot", "object", True),),
        ("lot_added",),
        "Add lot",
        "Add a lot to the catalogue",
    ),
    Command(
        "register_bidder",
        STAFF,
        (
            PADDLE,
            _f("channel", "choice", False, "floor", "phone", "online", "absentee"),
            _f("status", "choice", False, "pending", "approved"),
            _f("credit_limit", "amount"),
        ),
        ("bidder_registered",),
        "Register bidder",
        "Register a paddle for this sale",
    ),
    Command(
        "approve_bidder",
        STAFF,
        (PADDLE,),
        ("bidder_approved",),
        "Approve",
        "Approve a bidder to bid",
    ),
    Command(
        "reject_bidder",
        STAFF,
        (PADDLE, _f("reason", "text")),
        ("bidder_rejected",),
        "Reject",
        "Refuse a bidder's registration",
    ),
    Command(
        "set_credit_limit",
        STAFF,
        (PADDLE, _f("credit_limit", "amount")),
        ("credit_limit_set",),
        "Set limit",
        "Set or clear a bidder's credit limit",
    ),
    Command(
        "absentee_bid",
        STAFF,
        (LOT, PADDLE, _f("max", "amount", True)),
        ("absentee_registered",),
        "Commission bid",
        "Enter a commission (absentee) bid before the lot opens",
    ),
    Command(
        "cancel_absentee",
        STAFF,
        (LOT, PADDLE),
        ("absentee_cancelled",),
        "Cancel commission",
        "Cancel a commission bid before the lot opens",
    ),
    # -- running a lot
    Command(
        "open_lot",
        STAFF,
        (LOT,),
        ("lot_opened", "bid_accepted"),
        "Open lot",
        "Put a waiting lot on the block",
    ),
    Command(
        "floor_bid",
        STAFF,
        (
            LOT,
            _f("amount", "amount"),
            _f("paddle", "paddle"),
            _f("channel", "choice", False, "floor", "phone", "absentee"),
            *_BID_KEYS,
        ),
        _FLOOR_BIDS,
        "Floor bid",
        "A room (or phone) bid at the ask, or at `amount`",
    ),
    Command(
        "house_bid",
        STAFF,
        (LOT, _f("amount", "amount"), *_BID_KEYS),
        _HOUSE_BIDS,
        "House bid",
        "A bid on the vendor's behalf, only below the reserve",
    ),
    Command(
        "fair_warning",
        STAFF,
        (LOT,),
        ("fair_warning",),
        "Fair warning",
        "Fair warning: last chance",
    ),
    Command(
        "hammer",
        STAFF,
        (LOT, _f("source", "text"), _f("device_at", "number")),
        _CLOSE,
        "Hammer",
        "Knock down: sold to the high bid (or passed)",
    ),
    Command(
        "pass",
        STAFF,
        (LOT, _f("source", "text")),
        ("lot_passed", "online_bid_rejected"),
        "Pass",
        "Pass the lot (unsold)",
    ),
    Command("retract", STAFF, (LOT, REASON), ("bid_retracted",), "Retract", "Retract the last bid"),
    Command(
        "reinstate",
        STAFF,
        (LOT, REASON),
        ("bid_reinstated",),
        "Reinstate",
        "Reinstate the bid before a retraction",
    ),
    Command(
        "reopen",
        STAFF,
        (LOT, REASON, _f("late", "text")),
        ("lot_reopened", "bid_accepted", "bid_refused"),
        "Reopen",
        "Reopen a closed lot (for a late bid, or an error)",
    ),
    Command(
        "leave_sold",
        STAFF,
        (LOT, _f("late", "text")),
        ("late_bid_dismissed",),
        "Leave sold",
        "Dismiss the late bids: the hammer stands",
    ),
    Command(
        "withdraw",
        STAFF,
        (LOT, _f("reason", "text")),
        ("lot_withdrawn", "online_bid_rejected"),
        "Withdraw",
        "Withdraw a lot from the sale",
    ),
    Command(
        "set_ask",
        STAFF,
        (LOT, _f("amount", "amount", True)),
        ("ask_set",),
        "Set ask",
        "Set the asking price",
    ),
    Command(
        "set_increment",
        STAFF,
        (
            LOT,
            _f("mode", "choice", False, "half", "double", "reset", "amount"),
            _f("amount", "amount"),
        ),
        ("increment_set",),
        "Increment",
        "Halve, double, reset or set the increment",
    ),
    Command(
        "pause",
        STAFF,
        (_f("message", "text"),),
        ("sale_paused",),
        "Pause",
        "Pause the sale with a message to everyone",
    ),
    Command("resume", STAFF, (), ("sale_resumed",), "Resume", "Resume the sale"),
    Command(
        "accept_online",
        STAFF,
        (LOT, _f("pending", "text", True)),
        ("bid_accepted", "bid_refused", "online_bid_rejected"),
        "Accept online",
        "Accept a waiting online bid (clerk-confirms sales)",
    ),
    Command(
        "reject_online",
        STAFF,
        (LOT, _f("pending", "text", True), _f("reason", "text")),
        ("online_bid_rejected",),
        "Reject online",
        "Reject a waiting online bid",
    ),
    Command(
        "set_to_floor",
        STAFF,
        (LOT, _f("paddle", "paddle")),
        ("set_to_floor",),
        "Set to floor",
        "Give an equal online bid to the room (floor priority sales)",
    ),
)

BY_OP: Mapping[str, Command] = MappingProxyType({c.op: c for c in COMMANDS})


def _b(
    action: str,
    op: str | None,
    key: str,
    label: str,
    group: str,
    help: str,
    prompt: str | None = None,
    **preset: Any,
) -> Binding:
    return Binding(action, op, key, label, group, help, MappingProxyType(preset), prompt)


# One key per action, the same on the desktop console and the clerk page.
BINDINGS: tuple[Binding, ...] = (
    _b(
        "floor_bid",
        "floor_bid",
        "Space",
        "Floor bid",
        "Bidding",
        "Room bid at the asking price (type a paddle or an amount first to name it)",
    ),
    _b("fair_warning", "fair_warning", "W", "Fair warning", "Bidding", "Fair warning: last chance"),
    _b("hammer", "hammer", "H", "Hammer", "Bidding", "Knock down: sold to the high bid (or pass)"),
    _b("pass", "pass", "P", "Pass", "Bidding", "Pass the lot (unsold)"),
    _b("next_lot", "open_lot", "N", "Next lot", "Bidding", "Open the next waiting lot"),
    _b(
        "retract", "retract", "R", "Retract", "Corrections", "Retract the last bid", prompt="reason"
    ),
    _b(
        "reinstate",
        "reinstate",
        "I",
        "Reinstate",
        "Corrections",
        "Reinstate the bid before a retraction",
        prompt="reason",
    ),
    _b(
        "inc_double",
        "set_increment",
        "+",
        "Increment ×2",
        "Increment",
        "Double the increment",
        mode="double",
    ),
    _b(
        "inc_half",
        "set_increment",
        "-",
        "Increment ÷2",
        "Increment",
        "Halve the increment",
        mode="half",
    ),
    _b(
        "inc_reset",
        "set_increment",
        "0",
        "Ladder",
        "Increment",
        "Back to the ladder's increment",
        mode="reset",
    ),
    _b(
        "set_ask",
        "set_ask",
        "S",
        "Set ask",
        "Increment",
        "Type a new asking price",
        prompt="amount",
    ),
    _b(
        "accept_online",
        "accept_online",
        "Y",
        "Accept",
        "Online",
        "Accept the oldest waiting online bid",
    ),
    _b(
        "reject_online",
        "reject_online",
        "X",
        "Reject",
        "Online",
        "Reject the oldest waiting online bid",
    ),
    _b(
        "set_to_floor",
        "set_to_floor",
        "T",
        "Set to floor",
        "Online",
        "Give an equal online bid to the room (floor priority sales)",
    ),
    _b(
        "reopen",
        "reopen",
        "O",
        "Reopen",
        "Late bids",
        "Reopen the lot for the oldest late bid",
        prompt="reason",
    ),
    _b(
        "leave_sold",
        "leave_sold",
        "L",
        "Leave sold",
        "Late bids",
        "Dismiss the late bids: the hammer stands",
    ),
    _b(
        "pause",
        "pause",
        "Z",
        "Pause / resume",
        "Sale",
        "Pause the sale with a message, or resume",
        prompt="message",
    ),
    _b(
        "withdraw", "withdraw", "D", "Withdraw", "Sale", "Withdraw the current lot", prompt="reason"
    ),
    _b("help", None, "?", "Keys", "Sale", "Show or hide this list"),
)

BY_ACTION: Mapping[str, Binding] = MappingProxyType({b.action: b for b in BINDINGS})


def allowed(op: str, role: str) -> bool:
    """May `role` send `op`? The system actor (setup, replays, tests) may send anything."""
    if role == "system":
        return op in BY_OP
    command = BY_OP.get(op)
    return command is not None and role in command.roles


def catalogue() -> JSON:
    """What `GET /api/commands` serves: every command and every key binding."""
    return {
        "commands": [c.to_json() for c in COMMANDS],
        "bindings": [b.to_json() for b in BINDINGS],
    }
