"""hub/journal: the sequencer, the SQLite event journal, replay, verification and export.

The names below load on first use: a reader of records (a relay node, the journal tools)
must not pull in the sequencer's writer by importing the package.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.journal.records import Record
    from hub.journal.replay import load_engine
    from hub.journal.sequencer import Answer, JournalStatus, Sequencer

_HOMES = {
    "Record": "hub.journal.records",
    "load_engine": "hub.journal.replay",
    "Answer": "hub.journal.sequencer",
    "JournalStatus": "hub.journal.sequencer",
    "Sequencer": "hub.journal.sequencer",
}

__all__ = ["Answer", "JournalStatus", "Record", "Sequencer", "load_engine"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'hub.journal' has no attribute {name!r}")
    return getattr(import_module(home), name)
