"""The desktop's officer operations: the notes through the facade on a running core; anyone
without the officer role is refused by the store, with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.facade import CoreThread
from hub.auction.commands import BY_OP
from hub.auction.events import Actor
from hub.backend.sar import NOTE_OP, SarError, SarForbidden
from hub.config import StageConfig

OFFICER = Actor("officer", name="st-7", roles=("officer",), device="desktop")
DESK = Actor("desk", name="st-3", roles=("desk",), device="desktop")
TEXT = "Third party paid for lot 4 from an account abroad."


@pytest.fixture
def core(tmp_path: Path) -> Iterator[CoreThread]:
    core = CoreThread(StageConfig(data_dir=tmp_path / "data", port=0, demo=True))
    core.start()
    try:
        yield core
    finally:
        core.stop()


def test_the_officer_notes_and_the_desk_cannot(core: CoreThread) -> None:
    assert core.suspicion_notes(OFFICER).result(10) == []
    with pytest.raises(SarForbidden, match="reporting officer"):
        core.suspicion_notes(DESK).result(10)
    with pytest.raises(SarForbidden):
        core.note_suspicion(DESK, "101", TEXT).result(10)
    if NOTE_OP not in BY_OP:  # the core has no note_suspicion yet: refused, nothing kept
        with pytest.raises(SarError, match="the sale refused the note"):
            core.note_suspicion(OFFICER, "101", TEXT).result(10)
        assert core.suspicion_notes(OFFICER).result(10) == []
        return
    note = core.note_suspicion(OFFICER, "101", TEXT).result(10)
    assert (note["reference"], note["text"]) == ("sar-1", TEXT)
    closed = core.set_note_status(OFFICER, "sar-1", "closed", "explained").result(10)
    assert closed["status"] == "closed"
    with pytest.raises(SarError, match="'text' must be non-empty"):
        core.note_suspicion(OFFICER, "101", "  ").result(10)
    assert [n["reference"] for n in core.suspicion_notes(OFFICER).result(10)] == ["sar-1"]
