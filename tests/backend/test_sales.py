"""Sales on disk: specs checked, sales created whole or not at all, listed read-only, the demo
reset, one process per sale. Real files, real SQLite, a real second process for the lock."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hub.auction.events import SYSTEM, Actor
from hub.backend import sales
from hub.backend.identities import IdentityStore
from hub.backend.sales import SaleError, SaleLock, SaleLocked
from hub.journal.sequencer import Sequencer
from hub.journal.verify import verify

CLERK = Actor("clerk", roles=("clerk", "auctioneer"))


def spec(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "autumn-2026",
        "title": "Autumn Fine Art",
        "house": "Maison Test",
        "currency": "GBP",
        "timezone": "Europe/London",
        "sessions": [
            {"name": "Day 1", "starts": "2026-12-05T10:00", "from_lot": "1", "to_lot": "250"},
            {"name": "Day 2", "starts": "2026-12-06T10:00", "from_lot": "251", "to_lot": "480"},
        ],
        "settings": {"tie_policy": "floor_priority", "late_window": 4},
    }
    base.update(overrides)
    return base


def leftovers(data_dir: Path) -> list[str]:
    """Every file in the sales folder (temporary work directories included)."""
    folder = data_dir / "sales"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---------------------------------------------------------------------- creating


def test_a_sale_is_created_whole_and_verifies(tmp_path: Path) -> None:
    summary = sales.create_sale(tmp_path, spec())
    assert summary.id == "autumn-2026"
    assert summary.title == "Autumn Fine Art"
    assert summary.currency == "GBP"
    assert summary.lots == 0
    assert summary.error is None
    assert summary.path == tmp_path / "sales" / "autumn-2026.db"
    assert len(summary.head_hash) == 64
    assert verify(summary.path).ok
    # No temporary directory is left behind beside it.
    assert not [name for name in leftovers(tmp_path) if name.startswith(".new-")]


def test_a_sale_file_with_lots_can_go_live_at_once(tmp_path: Path) -> None:
    lots = [{"id": "1", "title": "A vase", "start": 1000}, {"id": "2", "title": "A clock"}]
    summary = sales.create_sale(tmp_path, spec(lots=lots, draft=False))
    assert (summary.lots, summary.status) == (2, "live")


@pytest.mark.parametrize(
    "bad_id",
    ["../x", "", "a" * 65, "-x", "_x", "a/b", "a b", "a.b", "é", "x\n", None, 5, ["x"]],
)
def test_hostile_ids_are_refused_and_nothing_is_written(tmp_path: Path, bad_id: Any) -> None:
    with pytest.raises(SaleError, match="sale id is 1 to 64"):
        sales.create_sale(tmp_path, spec(id=bad_id))
    assert leftovers(tmp_path) == []
    assert not (tmp_path / "x.db").exists()


def test_an_id_of_64_characters_is_fine(tmp_path: Path) -> None:
    assert sales.create_sale(tmp_path, spec(id="a" * 64)).id == "a" * 64


def test_a_duplicate_id_is_refused_and_the_first_sale_is_untouched(tmp_path: Path) -> None:
    first = sales.create_sale(tmp_path, spec())
    with pytest.raises(SaleError, match="already exists"):
        sales.create_sale(tmp_path, spec(title="Another"))
    again = sales.summarize(first.path)
    assert (again.title, again.head_hash) == (first.title, first.head_hash)
    assert not [name for name in leftovers(tmp_path) if name.startswith(".new-")]


def test_a_foreign_file_under_the_sale_name_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "sales" / "autumn-2026.db"
    target.parent.mkdir()
    target.write_bytes(b"precious")
    with pytest.raises(SaleError, match="already exists"):
        sales.create_sale(tmp_path, spec())
    assert target.read_bytes() == b"precious"


def test_an_engine_refusal_leaves_nothing_behind(tmp_path: Path) -> None:
    """The spec is fine; the second lot repeats the first's number: the engine refuses it,
    and no sale file (nor temporary file) remains."""
    lots = [{"id": "1", "title": "A"}, {"id": "1", "title": "again"}]
    with pytest.raises(SaleError, match=r"add_lot \(lot '1'\) refused"):
        sales.create_sale(tmp_path, spec(lots=lots))
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"currency": "EU"}, "ISO 4217"),
        ({"currency": "EURO"}, "ISO 4217"),
        ({"currency": "€€€"}, "ISO 4217"),
        ({"currency": 978}, "ISO 4217"),
        ({"settings": {"currency": "USD"}}, "two different currencies"),
        ({"timezone": "Mars/Olympus"}, "not a known time zone"),
        ({"timezone": "../../etc/passwd"}, "time zone"),
        ({"timezone": ""}, "time zone"),
        ({"title": ""}, "needs a title"),
        ({"title": "   "}, "needs a title"),
        ({"title": "x" * 501}, "too long"),
        ({"title": "bell\x07"}, "control characters"),
        ({"title": 7}, "title must be text"),
        ({"house": "h" * 201}, "too long"),
        ({"colour": "red"}, "unknown key"),
        ({"draft": "yes"}, "draft must be true or false"),
        ({"draft": False}, "goes live with lots"),
        ({"lots": "1,2,3"}, "lots must be a list"),
        ({"lots": [1, 2]}, "each lot is a table"),
        ({"settings": {"colour": 1}}, "unknown setting"),
        ({"settings": []}, "settings must be a table"),
        ({"settings": {"tie_policy": "loudest"}}, "tie_policy"),
        ({"settings": {"late_window": -1}}, "late_window"),
        ({"settings": {"late_window": True}}, "late_window"),
        ({"settings": {"reopen_window": 10**9}}, "reopen_window"),
        ({"settings": {"subject_to": "yes"}}, "subject_to must be"),
        ({"settings": {"vat_rate_bp": 10_001}}, "basis points"),
        ({"settings": {"vat_rate_bp": 20.5}}, "basis points"),
        ({"settings": {"buyer_premium": [[100, 2500]]}}, "first band starts at 0"),
        ({"settings": {"buyer_premium": [[0, 2500], [0, 2000]]}}, "bands must rise"),
        ({"settings": {"buyer_premium": [[0, 2500, 1]]}}, "each band"),
        ({"settings": {"buyer_premium": [[0, 2500]] * 21}}, "bands"),
        ({"settings": {"ladder": [[0, 0]]}}, "ladder"),
        ({"settings": {"ladder": [[5, 100]]}}, "ladder"),
        ({"settings": {"ladder": "steep"}}, "ladder"),
    ],
)
def test_malformed_specs_are_refused_clearly(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(SaleError, match=message):
        sales.create_sale(tmp_path, spec(**changes))
    assert leftovers(tmp_path) == []


def day(name: str = "Day 1", starts: str = "2026-12-05T10:00", lo: Any = "1", hi: Any = "9") -> Any:
    return {"name": name, "starts": starts, "from_lot": lo, "to_lot": hi}


@pytest.mark.parametrize(
    ("sessions", "message"),
    [
        ([day(starts="tomorrow")], "not a date and time"),
        ([day(starts="2026-13-05T10:00")], "not a date and time"),
        ([day(lo="9", hi="1")], "after to_lot"),
        ([day(), day(starts="2026-12-06T10:00")], "used twice"),
        ([day(), day("Day 2", "2026-12-05T09:00")], "must start after"),
        ([day(hi="250"), day("Day 2", "2026-12-06T10:00", "200", "480")], "overlaps"),
        ([day(name="")], "needs a session 1 name"),
        ([{"name": "Day 1", "starts": "2026-12-05T10:00"}], "missing from_lot, to_lot"),
        ([{**day(), "room": "B"}], "unknown key"),
        (["Day 1,2026-12-05T10:00,1,9"], "a table of"),
        ([day(name=f"D{i}", starts=f"2026-12-05T10:{i:02d}") for i in range(61)], "at most 60"),
        ("Day 1", "sessions must be a list"),
    ],
)
def test_malformed_sessions_are_refused(tmp_path: Path, sessions: Any, message: str) -> None:
    with pytest.raises(SaleError, match=message):
        sales.check_spec(spec(sessions=sessions))


def test_sessions_are_normalised() -> None:
    checked = sales.check_spec(spec(sessions=[day(lo=1, hi=250, starts="2026-12-05 10:00")]))
    assert checked["sessions"] == [day(lo="1", hi="250")]


def test_session_and_premium_flags_parse_or_say_why() -> None:
    assert sales.parse_session("Day 1, 2026-12-05T10:00, 1, 250") == day(hi="250")
    for bad in ("Day 1,2026-12-05T10:00,1", "a,b,c,d,e", ""):
        with pytest.raises(SaleError, match="NAME,START,FROM_LOT,TO_LOT"):
            sales.parse_session(bad)
    assert sales.parse_premium("0:2500,50000000:2000") == [[0, 2500], [50000000, 2000]]
    for bad in ("0:x", "0-2500", "", "0:2500,,", "-1:2500"):
        with pytest.raises(SaleError, match="FROM:RATE_BP"):
            sales.parse_premium(bad)
    with pytest.raises(SaleError, match="between 0 and 10000"):
        sales.parse_premium("0:99999")


def test_a_ladder_file_is_checked() -> None:
    assert sales.ladder_from_csv("from,increment\n0,500\n5000,1000\n") == [[0, 500], [5000, 1000]]
    for bad in ("from,increment\n", "0,500\n0,600\n", "0,five\n", "0,1,2\n", "x" * 100_001):
        with pytest.raises(SaleError):
            sales.ladder_from_csv(bad)


# ---------------------------------------------------------------------- sale files

TOML = """
id = "spring"
title = "Spring Sale"
house = "Maison Test"
currency = "eur"
timezone = "Europe/Paris"

[[sessions]]
name = "Day 1"
starts = 2027-03-05T10:00:00
from_lot = 1
to_lot = 200

[settings]
subject_to = true
buyer_premium = [[0, 2500], [50000000, 2000]]
vat_rate_bp = 2000
"""


def test_a_toml_sale_file_is_read() -> None:
    checked = sales.parse_sale_spec(TOML, "toml")
    assert checked["id"] == "spring"
    assert checked["settings"]["currency"] == "EUR"
    assert checked["sessions"][0]["starts"] == "2027-03-05T10:00"
    assert checked["settings"]["buyer_premium"] == [[0, 2500], [50000000, 2000]]


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ('id = "x"\ntitle = "T"\ncolour = "red"\n', "toml", "unknown key"),
        ('id = "x"\ntitle = "T"\n[settings]\nspeed = 1\n', "toml", "unknown setting"),
        ('id = "x"\ntitle = "T\n', "toml", "not valid TOML"),
        ('id = "x"\nid = "y"\n', "toml", "not valid TOML"),
        ('{"id": "x", "title": "T"', "json", "not valid JSON"),
        ('{"id": "x", "title": "T", "id": "y"}', "json", "appears twice"),
        ('["id", "x"]', "json", "table of keys"),
        ("[" * 100_000 + "]" * 100_000, "json", "nested too deeply|not valid JSON"),
        ('{"id": "x", "title": "' + "x" * sales.MAX_SPEC_BYTES + '"}', "json", "too big"),
        ('{"id": "x"}', "yaml", "unknown sale file format"),
    ],
)
def test_broken_sale_files_are_refused(text: str, fmt: str, message: str) -> None:
    with pytest.raises(SaleError, match=message):
        sales.parse_sale_spec(text, fmt)


def test_read_sale_file_refuses_other_suffixes_missing_files_and_bad_bytes(tmp_path: Path) -> None:
    with pytest.raises(SaleError, match=r"\.toml or \.json"):
        sales.read_sale_file(tmp_path / "sale.yaml")
    with pytest.raises(SaleError, match="cannot read"):
        sales.read_sale_file(tmp_path / "missing.toml")
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"id": "x", "title": "caf\xe9"}')
    with pytest.raises(SaleError, match="not UTF-8"):
        sales.read_sale_file(latin)
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(50_000_000)  # sparse: a 50 MB file is refused without reading it all
    with pytest.raises(SaleError, match="too big"):
        sales.read_sale_file(huge)


# ---------------------------------------------------------------------- listing


def test_list_reports_a_corrupt_file_and_goes_on(tmp_path: Path) -> None:
    sales.create_sale(tmp_path, spec())
    folder = tmp_path / "sales"
    (folder / "broken.db").write_bytes(b"this is not sqlite" * 500)
    (folder / "empty.db").write_bytes(b"")
    (folder / ".hidden.db").write_bytes(b"ignored: not a sale id")
    listed = {s.id: s for s in sales.list_sales(tmp_path)}
    assert sorted(listed) == ["autumn-2026", "broken", "empty"]
    assert listed["autumn-2026"].error is None
    assert listed["broken"].error
    assert "not" in listed["broken"].error
    assert listed["empty"].error
    assert listed["broken"].to_json()["path"] == str(folder / "broken.db")


def test_list_of_an_empty_or_missing_data_dir_is_empty(tmp_path: Path) -> None:
    assert sales.list_sales(tmp_path / "nowhere") == []


def test_list_counts_lots_and_totals_beside_a_running_writer(tmp_path: Path) -> None:
    """A sale with a sold and a passed lot, listed while its sequencer still holds it open."""
    lots = [
        {"id": "1", "title": "A", "start": 10_000},
        {"id": "2", "title": "B", "start": 10_000, "reserve": 90_000},
        {"id": "3", "title": "C"},
    ]
    summary = sales.create_sale(tmp_path, spec(lots=lots, draft=False))

    async def run() -> list[sales.SaleSummary]:
        async with Sequencer(summary.path) as seq:
            commands = [
                {"op": "register_bidder", "paddle": "11", "channel": "floor", "status": "approved"},
                {"op": "open_lot", "lot": "1"},
                {"op": "floor_bid", "lot": "1", "paddle": "11", "amount": 10_000},
                {"op": "hammer", "lot": "1"},
                {"op": "open_lot", "lot": "2"},
                {"op": "hammer", "lot": "2"},  # below the reserve: passed
                {"op": "withdraw", "lot": "3", "reason": "vendor asked"},
            ]
            for command in commands:
                actor = SYSTEM if command["op"] == "register_bidder" else CLERK
                answer = await seq.submit(command, actor)
                assert answer.ok, (command, answer.message)
            return sales.list_sales(tmp_path)

    (listed,) = asyncio.run(run())
    assert (listed.lots, listed.sold, listed.passed, listed.withdrawn) == (3, 1, 1, 1)
    assert listed.hammer_total == 10_000
    assert listed.status == "live"


# ---------------------------------------------------------------------- the demo


def test_reset_demo_starts_it_over(tmp_path: Path) -> None:
    first = sales.reset_demo(tmp_path)
    assert first.id == "demo"
    assert first.lots > 0

    async def bid() -> None:
        async with Sequencer(first.path) as seq:
            assert (await seq.submit({"op": "open_lot", "lot": "1"}, CLERK)).ok

    asyncio.run(bid())
    used = sales.summarize(first.path)
    assert used.head_hash != first.head_hash
    # A stale WAL beside the old file must never be applied to the new one.
    Path(f"{first.path}-wal").write_bytes(b"stale" * 1000)
    again = sales.reset_demo(tmp_path)
    assert again.lots == first.lots
    assert verify(again.path).ok
    assert again.head_hash != used.head_hash
    identities = IdentityStore(tmp_path / "identities.db")
    try:
        rows = list(identities.db.query("SELECT paddle FROM identities WHERE sale = 'demo'"))
    finally:
        identities.close()
    assert len(rows) == len({r["paddle"] for r in rows}) > 0


def test_reset_demo_is_refused_while_the_demo_is_open(tmp_path: Path) -> None:
    first = sales.reset_demo(tmp_path)
    with SaleLock(first.path), pytest.raises(SaleLocked, match=f"process {os.getpid()}"):
        sales.reset_demo(tmp_path)
    assert sales.summarize(first.path).head_hash == first.head_hash


# ---------------------------------------------------------------------- the lock

HOLDER = """
import sys
from pathlib import Path
from hub.backend.sales import SaleLock
lock = SaleLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
"""


def test_the_lock_refuses_a_second_process_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "sales" / "autumn.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(SaleLocked, match=rf"open in process {holder.pid}\b"):
            SaleLock(path).acquire()
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=10) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    # The holder is gone: the kernel dropped its lock.
    with SaleLock(path) as lock:
        assert lock.held
        assert lock.path.read_text().strip() == str(os.getpid())


def test_the_lock_is_released_and_retaken(tmp_path: Path) -> None:
    lock = SaleLock(tmp_path / "sales" / "x.db")
    lock.acquire()
    with pytest.raises(SaleLocked):
        SaleLock(lock.journal).acquire()
    lock.release()
    assert not lock.held
    with SaleLock(lock.journal):
        pass


# ---------------------------------------------------------------------- go live, close


def test_go_live_then_close_seals_the_journal(tmp_path: Path) -> None:
    created = sales.create_sale(tmp_path, spec(lots=[{"id": "1", "title": "A"}]))
    assert created.status == "draft"
    live = sales.apply_op(tmp_path, created.id, {"op": "go_live"})
    assert live.status == "live"
    closed = sales.apply_op(tmp_path, created.id, {"op": "close_sale"})
    assert closed.status == "closed"
    assert verify(closed.path).ok
    with pytest.raises(SaleError, match="close_sale refused"):
        sales.apply_op(tmp_path, created.id, {"op": "close_sale"})


def test_go_live_without_lots_is_refused(tmp_path: Path) -> None:
    created = sales.create_sale(tmp_path, spec())
    with pytest.raises(SaleError, match="go_live refused"):
        sales.apply_op(tmp_path, created.id, {"op": "go_live"})
    assert sales.summarize(created.path).status == "draft"


def test_ops_on_a_missing_or_locked_sale_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SaleError, match="no sale 'nope'"):
        sales.apply_op(tmp_path, "nope", {"op": "close_sale"})
    with pytest.raises(SaleError, match="sale id"):
        sales.apply_op(tmp_path, "../etc", {"op": "close_sale"})
    created = sales.create_sale(tmp_path, spec())
    with SaleLock(created.path), pytest.raises(SaleLocked):
        sales.apply_op(tmp_path, created.id, {"op": "close_sale"})
    assert sales.summarize(created.path).head_hash == created.head_hash


def test_summaries_are_json(tmp_path: Path) -> None:
    summary = sales.create_sale(tmp_path, spec())
    data = json.loads(json.dumps(summary.to_json()))
    assert data["id"] == "autumn-2026"
    assert data["error"] is None


def test_the_stage_config_checks_sale_ids_by_the_same_rule(tmp_path: Path) -> None:
    from hub.config import SALE_ID, ConfigError, StageConfig

    assert SALE_ID is sales.SALE_ID  # one rule, not a copy
    for bad in ("../x", "", "a" * 65, "x/y"):
        with pytest.raises(ConfigError, match="sale id is 1 to 64"):
            StageConfig.load(None, data_dir=tmp_path, sale=bad)
    assert StageConfig.load(None, data_dir=tmp_path, sale="a" * 64).sale == "a" * 64


def test_a_lot_the_engine_refuses_in_a_toml_file_leaves_nothing(tmp_path: Path) -> None:
    text = 'id = "x"\ntitle = "X"\n[[lots]]\nid = "1"\ntitle = 2027-01-01\n'
    with pytest.raises(SaleError, match=r"add_lot \(lot '1'\) refused"):
        sales.create_sale(tmp_path, sales.parse_sale_spec(text, "toml"))
    assert leftovers(tmp_path) == []


def test_work_left_by_a_dead_creator_is_swept(tmp_path: Path) -> None:
    folder = tmp_path / "sales"
    dead = folder / ".new-old-sale-999999999-abc123"  # no process has this pid
    alive = folder / f".new-other-{os.getpid()}-def456"  # a creation still under way
    for work in (dead, alive):
        work.mkdir(parents=True)
        (work / "x.db").write_bytes(b"half")
    sales.create_sale(tmp_path, spec())
    assert not dead.exists()
    assert (alive / "x.db").read_bytes() == b"half"


def test_a_data_dir_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with pytest.raises(SaleError, match="cannot write in"):
        sales.create_sale(not_a_dir, spec())
    with pytest.raises(SaleError, match="cannot lock"):
        sales.reset_demo(not_a_dir)
    with pytest.raises(SaleError, match="cannot lock"):
        SaleLock(not_a_dir / "sales" / "x.db").acquire()
    assert sales.list_sales(not_a_dir) == []
    assert not_a_dir.read_text() == "x"
