"""Every staff command of the console, its keys and its help text. Pure data, no Qt.

Key strings use Qt's portable `QKeySequence` text ("Space", "Ctrl+Z", "F1"); the console
binds each to a `QShortcut`, and the help overlay lists this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shortcut:
    action: str  # the console action it triggers
    label: str  # button text
    keys: tuple[str, ...]  # first one is shown on the button
    help: str
    group: str


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("floor_bid", "Floor bid", ("Space", "F"),
             "Room bid at the asking price (type a paddle first, then Enter, to name it)",
             "Bidding"),
    Shortcut("fair_warning", "Fair warning", ("W",), "Fair warning: last chance", "Bidding"),
    Shortcut("hammer", "Hammer", ("H",), "Knock down: sold to the high bid (or pass)",
             "Bidding"),
    Shortcut("pass", "Pass", ("P",), "Pass the lot (unsold)", "Bidding"),
    Shortcut("next_lot", "Next lot", ("N",), "Open the next waiting lot", "Bidding"),
    Shortcut("retract", "Retract", ("R", "Ctrl+Z"), "Retract the last bid", "Corrections"),
    Shortcut("reinstate", "Reinstate", ("I",), "Reinstate the bid before a retraction",
             "Corrections"),
    Shortcut("inc_double", "Increment ×2", ("+", "="), "Double the increment", "Increment"),
    Shortcut("inc_half", "Increment ÷2", ("-",), "Halve the increment", "Increment"),
    Shortcut("inc_reset", "Ladder", ("0",), "Back to the ladder's increment", "Increment"),
    Shortcut("set_ask", "Set ask…", ("A",), "Type a new asking price", "Increment"),
    Shortcut("accept_online", "Accept", ("O",), "Accept the oldest waiting online bid",
             "Online"),
    Shortcut("reject_online", "Reject", ("X",), "Reject the oldest waiting online bid",
             "Online"),
    Shortcut("set_to_floor", "Set to floor", ("T",),
             "Give an equal online bid to the room (floor priority sales)", "Online"),
    Shortcut("reopen", "Reopen", ("Ctrl+R",), "Reopen the lot for the oldest late bid",
             "Late bids"),
    Shortcut("leave_sold", "Leave sold", ("L",), "Dismiss the late bids: the hammer stands",
             "Late bids"),
    Shortcut("pause", "Pause / resume", ("Ctrl+P",), "Pause the sale with a message, or resume",
             "Sale"),
    Shortcut("withdraw", "Withdraw", ("Ctrl+Shift+W",), "Withdraw the current lot", "Sale"),
    Shortcut("import", "Import catalogue…", ("Ctrl+I",), "Import lots from CSV and images",
             "Sale"),
    Shortcut("export", "Export results…", ("Ctrl+E",), "Export the results as CSV", "Sale"),
    Shortcut("help", "Shortcuts", ("F1", "?"), "Show or hide this list", "Sale"),
)

BY_ACTION = {s.action: s for s in SHORTCUTS}


def all_keys() -> list[str]:
    return [k for s in SHORTCUTS for k in s.keys]


def key_hint(action: str) -> str:
    """The first key of an action, for button captions ("Space")."""
    shortcut = BY_ACTION.get(action)
    return shortcut.keys[0] if shortcut else ""


def grouped() -> list[tuple[str, list[Shortcut]]]:
    """The table in help-overlay order: groups in first-appearance order."""
    out: dict[str, list[Shortcut]] = {}
    for s in SHORTCUTS:
        out.setdefault(s.group, []).append(s)
    return list(out.items())
