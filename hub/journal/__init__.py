"""hub/journal: the sequencer, the SQLite event journal, replay, verification and export."""

from hub.journal.records import Record
from hub.journal.replay import load_engine
from hub.journal.sequencer import Answer, JournalStatus, Sequencer

__all__ = ["Answer", "JournalStatus", "Record", "Sequencer", "load_engine"]
