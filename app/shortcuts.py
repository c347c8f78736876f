"""The console's keys, buttons and help: the command registry's bindings, plus two app-only keys.

One key per action, the same as on the clerk page: every command action comes from
`hub.auction.commands.BINDINGS`. Only what is not a command and exists only in the desktop app
(import a catalogue, export the results) is added here. Pure data, no Qt; key strings use Qt's
portable `QKeySequence` text ("Space", "W", "Ctrl+I").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from app.i18n import N_, _
from hub.auction.commands import BINDINGS, Binding


@dataclass(frozen=True, slots=True)
class Shortcut:
    action: str  # the console action it triggers
    label: str  # button text
    keys: tuple[str, ...]  # first one is shown on the button
    help: str
    group: str
    op: str | None = None  # the op it sends (None: screen or app action)
    preset: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    prompt: str | None = None  # what the operator is asked first ("reason", "amount", ...)


def from_binding(b: Binding) -> Shortcut:
    return Shortcut(b.action, b.label, (b.key,), b.help, b.group, b.op, b.preset, b.prompt)


# Desktop-only actions (the main window handles them): not commands, so not in the registry.
APP_ONLY: tuple[Shortcut, ...] = (
    Shortcut(
        "import",
        N_("Import catalogue…"),
        ("Ctrl+I",),
        N_("Import lots from CSV and images"),
        "Sale",
    ),
    Shortcut("export", N_("Export results…"), ("Ctrl+E",), N_("Export the results as CSV"), "Sale"),
)

SHORTCUTS: tuple[Shortcut, ...] = tuple(from_binding(b) for b in BINDINGS) + APP_ONLY

# The Checkout tab's keys, live only while that tab has the focus (the cashier's hands are on
# the scanner and the keypad). Enter in the paddle field looks a buyer up; Enter in the amount
# field records the payment, like Ctrl+Return anywhere on the tab.
CHECKOUT_KEYS: tuple[Shortcut, ...] = (
    Shortcut(
        "focus_paddle",
        N_("Next buyer"),
        ("F2",),
        N_("Checkout: type or scan a paddle"),
        N_("Checkout"),
    ),
    Shortcut(
        "record_payment",
        N_("Record payment"),
        ("Ctrl+Return",),
        N_("Checkout: record it"),
        N_("Checkout"),
    ),
)

BY_ACTION: Mapping[str, Shortcut] = MappingProxyType({s.action: s for s in SHORTCUTS})


def all_keys() -> list[str]:
    return [k for s in SHORTCUTS for k in s.keys]


def key_hint(action: str) -> str:
    """The key of an action, for button captions ("Space")."""
    shortcut = BY_ACTION.get(action)
    return shortcut.keys[0] if shortcut else ""


def button_text(s: Shortcut) -> str:
    """A button's label in the app's language; "…" when it asks for something before sending."""
    return _(s.label) + "…" if s.prompt else _(s.label)


def grouped() -> list[tuple[str, list[Shortcut]]]:
    """The table in help-overlay order: groups in first-appearance order."""
    out: dict[str, list[Shortcut]] = {}
    for s in SHORTCUTS:
        out.setdefault(s.group, []).append(s)
    return list(out.items())
