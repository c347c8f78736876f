"""A relay node's history knows only the cursors the sale issued (issue 14, defect 7).

`SeqHistory.after` answers None (the hub then replays nothing and says `earliest`) for a
respelled number (strict `parse_event_id`) or an epoch other than the one that wrote the
record; the ids as issued still replay exactly what follows them.
"""

from __future__ import annotations

from hub.feed import event_id
from hub.mercure.update import Update
from hub.relay.node import SeqHistory
from tests.test_feed_cursors import respellings

EPOCH = 2


def record_updates(seq: int, public: bool) -> list[Update]:
    """A record's updates as `updates_for` shapes them: public (if any), then staff."""
    out = []
    if public:
        out.append(Update(("room",), f"{seq}p", event_id("demo", EPOCH, seq, "p")))
    out.append(Update(("staff",), f"{seq}s", event_id("demo", EPOCH, seq, "s"), private=True))
    return out


def history() -> SeqHistory:
    h = SeqHistory("demo", 100)
    for seq in range(1, 15):
        h.add(seq, EPOCH, record_updates(seq, public=seq != 12))
    return h


def test_issued_cursors_replay_what_follows():
    h = history()
    after_p = h.after(event_id("demo", EPOCH, 11, "p"))
    assert after_p is not None
    assert [u.id for u in after_p][:3] == ["demo:2:11:s", "demo:2:12:s", "demo:2:13:p"]
    after_s = h.after(event_id("demo", EPOCH, 12, "s"))
    assert after_s is not None
    assert [u.id for u in after_s][:2] == ["demo:2:13:p", "demo:2:13:s"]


def test_cursors_never_issued_are_unknown():
    """Defect 7: `1_0`, ` 7 `, Arabic-Indic digits and other epochs resolved to a record."""
    h = history()
    for cursor in respellings(EPOCH, 11):
        assert h.after(cursor) is None, cursor
    assert h.after("demo:2:1_0:p") is None
