"""Every command of the auction: who may send it, its fields, what it emits; and the keys.

The engine dispatches and checks permissions from this table; the gateway serves it
(`GET /api/commands`) and lists its ops in the OpenAPI document; the Qt console and the clerk
page build their buttons, keys and help from `BINDINGS`, so both use the same keys. Pure data,
stdlib only.

A command is declared once, as its typed class in `parse.py` (`@command(...)`: roles, events,
label, help; the fields are the dataclass's); `COMMANDS` is built from those declarations, in
their order. Adding a staff command means: its class in `parse.py`, its handler in the `decide`
phase module it belongs to (`@decides(Cls)`), its test; a binding here if it has a key; and, if
it emits a new event type, that event's handler in `evolve.py`. Importing the engine fails if a
handler or an event handler is missing, and `tests/auction/test_commands.py` checks that each
parser reads exactly the fields its class declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hub.auction import parse
from hub.auction.events import Actor

JSON = dict[str, Any]

# Re-exported: the roles and a field's shape are declared with the command classes.
BIDDER = parse.BIDDER
STAFF = parse.STAFF
SYSTEM = parse.SYSTEM
FIELD_KINDS = parse.FIELD_KINDS
Field = parse.Field


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


COMMANDS: tuple[Command, ...] = tuple(
    Command(d.op, d.roles, d.fields, d.events, d.label, d.help) for d in parse.DECLARED.values()
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
        "B",  # not "0": on the clerk page digits type a paddle or an amount
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
    _b(
        "house_bid",
        "house_bid",
        "V",
        "House bid",
        "Bidding",
        "A vendor bid on the house's behalf, only below the reserve (shown to everyone)",
    ),
    _b(
        "message",
        "message",
        "M",
        "Message",
        "Sale",
        "A message to every online bidder (type a paddle first for one bidder)",
        prompt="message",
    ),
    _b("help", None, "?", "Keys", "Sale", "Show or hide this list"),
)

# The quick messages the console and the clerk page offer (the `message` op takes any text).
QUICK_MESSAGES: tuple[str, ...] = (
    "Last call: the lot is about to be sold",
    "Bidding is with the room",
    "The sale resumes shortly",
)

BY_ACTION: Mapping[str, Binding] = MappingProxyType({b.action: b for b in BINDINGS})


def allowed(op: str, actor: Actor | str) -> bool:
    """May this actor (any of its roles), or this one role, send `op`?

    The system actor (setup, replays, the backend's own commands) may send anything.
    """
    held = (actor,) if isinstance(actor, str) else actor.held()
    if "system" in held:
        return op in BY_OP
    command = BY_OP.get(op)
    return command is not None and not command.roles.isdisjoint(held)


def refusal_text(op: str, actor: Actor | str) -> str:
    """The message of a `forbidden` refusal: it names the role(s) the actor holds."""
    held = (actor,) if isinstance(actor, str) else actor.held()
    return f"{' + '.join(held)} may not {op}"


def catalogue() -> JSON:
    """What `GET /api/commands` serves: every command, every key binding, the quick messages."""
    return {
        "commands": [c.to_json() for c in COMMANDS],
        "bindings": [b.to_json() for b in BINDINGS],
        "quick_messages": list(QUICK_MESSAGES),
    }
