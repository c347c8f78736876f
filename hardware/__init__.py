"""The gavel: sources (serial, USB-HID, keyboard pedal, simulated), the framed protocol, the
debounce rules and the arming decision. See hardware/README.md.

``import hardware`` is cheap (stdlib only); pyserial and hidapi load when a source needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import backends  # noqa: F401  (registers the built-in backends; the registry imports none)
from .arming import ArmDecision, ArmOn, Reason, decide_strike
from .debounce import DebounceConfig
from .events import Connected, Disconnected, GavelEvent, Heartbeat, Strike, Stuck, Unstuck
from .factory import open_source
from .source import Backoff, BaseSource, EventCallback, GavelSource

if TYPE_CHECKING:
    from .ports import PortInfo, list_ports

__all__ = [
    "ArmDecision",
    "ArmOn",
    "Backoff",
    "BaseSource",
    "Connected",
    "DebounceConfig",
    "Disconnected",
    "EventCallback",
    "GavelEvent",
    "GavelSource",
    "Heartbeat",
    "PortInfo",
    "Reason",
    "Strike",
    "Stuck",
    "Unstuck",
    "decide_strike",
    "list_ports",
    "open_source",
]


def __getattr__(name: str) -> Any:
    if name in ("list_ports", "PortInfo"):
        from . import ports

        return getattr(ports, name)
    raise AttributeError(f"module 'hardware' has no attribute {name!r}")
