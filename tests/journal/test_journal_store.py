"""The journal on disk: append-only triggers, hash chain, seq, replay == projections, restart."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from journal_helpers import CLERK, FakeClock, bidder, must, run_realistic_sale, setup_demo

from hub.auction.events import canonical_json
from hub.journal.cli import main as journal_main
from hub.journal.db import JournalLocked, open_writer
from hub.journal.records import Record, event_hash
from hub.journal.replay import load_engine
from hub.journal.sequencer import Sequencer
from hub.journal.verify import verify


@pytest.fixture
async def sale_db(tmp_path: Path) -> Path:
    """A journal holding a realistic sale run, closed cleanly."""
    path = tmp_path / "sale.db"
    clock = FakeClock()
    seq = Sequencer(path, clock=clock)
    await seq.start()
    await run_realistic_sale(seq, clock)
    await seq.stop()
    return path


def _tamper(src: Path, dst: Path, *sql: str) -> Path:
    """Copy the journal and run `sql` on the copy with the append-only triggers dropped."""
    shutil.copy(src, dst)
    conn = sqlite3.connect(dst, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    for statement in sql:
        conn.execute(statement)
    conn.close()
    return dst


def test_triggers_refuse_update_and_delete(sale_db: Path) -> None:
    conn = sqlite3.connect(sale_db, isolation_level=None)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET data = '{}' WHERE seq = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM events WHERE seq = 3")
    last = conn.execute("SELECT MAX(seq), hash FROM events").fetchone()
    # Inserting out of order (a gap or a forged chain) is refused too.
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(
            "INSERT INTO events SELECT seq + 5, epoch, at, type, lot, actor, key, "
            "audience, bidders, data, public_view, staff_view, ?, hash "
            "FROM events WHERE seq = ?",
            (last[1], last[0]),
        )
    conn.close()
    assert verify(sale_db).ok


def test_realistic_sale_verifies_and_replay_equals_projections(sale_db: Path) -> None:
    report = verify(sale_db)
    assert report.ok, report.lines()
    assert report.events > 40
    conn = sqlite3.connect(sale_db)
    engine = load_engine(conn)
    stored = dict(conn.execute("SELECT key, json FROM projections"))
    conn.close()
    replayed = {k: canonical_json(engine.projection(k)) for k in engine.projection_keys()}
    assert replayed == stored  # byte for byte, every key
    lot1 = json.loads(stored["lot/1"])
    assert lot1["status"] == "sold"
    assert any(b["void"] == "retracted" for b in lot1["bids"])
    assert {b["channel"] for b in lot1["bids"]} >= {"online", "floor", "phone", "house"}


def test_chain_is_sha256_over_prev_hash_and_canonical_fields(sale_db: Path) -> None:
    conn = sqlite3.connect(sale_db)
    from hub.journal.records import SELECT_COLUMNS

    rows = conn.execute(f"SELECT {SELECT_COLUMNS} FROM events ORDER BY seq").fetchall()
    conn.close()
    prev = "0" * 64
    for row in rows:
        record = Record.from_row(row)
        assert record.prev_hash == prev
        assert event_hash(prev, record.hashed_fields()) == record.hash
        prev = record.hash


def test_tampered_row_is_reported_at_its_seq(sale_db: Path, tmp_path: Path) -> None:
    copy = _tamper(
        sale_db,
        tmp_path / "tampered.db",
        "UPDATE events SET data = replace(data, '50000', '5000') "
        "WHERE seq = (SELECT MIN(seq) FROM events WHERE type = 'bid_accepted')",
    )
    first_bid = (
        sqlite3.connect(copy)
        .execute("SELECT MIN(seq) FROM events WHERE type = 'bid_accepted'")
        .fetchone()[0]
    )
    report = verify(copy)
    assert not report.ok
    assert not report.check("append-only").ok
    chain = report.check("chain")
    assert not chain.ok
    assert chain.seqs == (first_bid,)
    assert f"seq {first_bid}" in chain.detail
    assert verify(sale_db).ok  # the original is untouched


def test_rehashed_tampering_breaks_the_link_to_the_next_row(sale_db: Path, tmp_path: Path) -> None:
    # A forger who recomputes the edited row's hash still breaks the next row's prev_hash.
    conn = sqlite3.connect(sale_db)
    from hub.journal.records import SELECT_COLUMNS

    row = conn.execute(f"SELECT {SELECT_COLUMNS} FROM events WHERE seq = 20").fetchone()
    conn.close()
    record = Record.from_row(row)
    fields = record.hashed_fields()
    fields["at"] = record.at + 1
    forged = event_hash(record.prev_hash, fields)
    copy = _tamper(
        sale_db,
        tmp_path / "forged.db",
        f"UPDATE events SET at = at + 1, hash = '{forged}' WHERE seq = 20",
    )
    chain = verify(copy).check("chain")
    assert not chain.ok
    assert chain.seqs == (21,)


def test_seq_gap_is_reported(sale_db: Path, tmp_path: Path) -> None:
    copy = _tamper(sale_db, tmp_path / "gap.db", "DELETE FROM events WHERE seq = 30")
    report = verify(copy)
    assert report.check("seq").seqs == (30,)
    assert "seq 30 missing" in report.check("seq").detail
    assert not report.check("chain").ok


def test_edited_projection_and_view_are_reported(sale_db: Path, tmp_path: Path) -> None:
    copy = _tamper(
        sale_db,
        tmp_path / "proj.db",
        "UPDATE projections SET json = replace(json, '\"sold\"', '\"passed\"') WHERE key = 'lot/1'",
        "UPDATE events SET public_view = replace(public_view, 'open', 'shut') WHERE seq = 18",
    )
    report = verify(copy)
    assert "lot/1" in report.check("projections").detail
    assert report.check("replay").seqs == (18,)
    assert report.check("chain").ok  # views are derived, not hashed: replay catches them


async def test_restart_new_epoch_seq_continues_state_equal(sale_db: Path) -> None:
    before = load_engine(sqlite3.connect(sale_db))
    seq = Sequencer(sale_db, clock=FakeClock(1_900_000_000.0))
    await seq.start()
    try:
        assert seq.epoch == 2
        assert seq.last_seq == before.seq
        assert seq.engine.snapshot(staff=True) == before.snapshot(staff=True)
        for key in before.projection_keys():
            assert seq.engine.projection(key) == before.projection(key)
        opened = await must(seq, {"op": "open_lot", "lot": "5"})
        assert [r.seq for r in opened.events] == [before.seq + 1, before.seq + 2]
        assert opened.events[0].epoch == 2
        # Lot 5's commission book (102, max 260,000) opens the bidding by itself.
        assert [r.type for r in opened.events] == ["lot_opened", "bid_accepted"]
    finally:
        await seq.stop()
    epochs = sqlite3.connect(sale_db).execute("SELECT epoch FROM epochs").fetchall()
    assert epochs == [(1,), (2,)]
    assert verify(sale_db).ok


async def test_one_writer_per_file(tmp_path: Path) -> None:
    path = tmp_path / "one.db"
    first = Sequencer(path)
    await first.start()
    try:
        with pytest.raises(JournalLocked):
            await Sequencer(path).start()
    finally:
        await first.stop()


def test_migrations_apply_once(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    for _ in range(2):
        db = open_writer(path)
        names = [r["name"] for r in db.query("SELECT name FROM _sqlite_migrations")]
        assert db.query("PRAGMA journal_mode").__next__()["journal_mode"] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        db.close()
    assert names == ["m001_events", "m002_projections", "m003_epochs", "m004_answers", "m005_probe"]


async def test_history_pages_after_a_seq(sale_db: Path) -> None:
    from hub.journal.history import JournalHistory

    with JournalHistory(sale_db, page_size=7) as history:
        last = history.last_seq()
        got = list(history.after(10))
        assert [r.seq for r in got] == list(range(11, last + 1))
        assert list(history.after(last)) == []
        assert [r.seq for r in history.after(10, until=15)] == [11, 12, 13, 14, 15]
        record = history.get(20)
        assert record is not None
        body = record.wire()
        assert {"seq", "epoch", "type", "at", "sale", "lot", "data"} <= set(body)
        assert body["sale"] == "demo"
        # The read-only connection really is read-only.
        with pytest.raises(sqlite3.OperationalError):
            history._conn.execute("DELETE FROM projections")


def test_cli_verify_and_export(
    sale_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert journal_main(["verify", str(sale_db)]) == 0
    out = capsys.readouterr().out
    assert "ok   chain: verified from genesis" in out
    assert out.strip().splitlines()[-1].startswith("OK:")

    assert journal_main(["export", str(sale_db), "--out", str(tmp_path / "x")]) == 0
    data = json.loads((tmp_path / "x" / "events.json").read_text("utf-8"))
    head = json.loads((tmp_path / "x" / "chain_head.json").read_text("utf-8"))
    assert data["head"] == head["head"] == data["records"][-1]["hash"]
    # An inspector can re-check the chain from the export alone.
    prev = data["genesis"]
    for rec in data["records"]:
        fields = {
            k: rec[k]
            for k in (
                "seq",
                "epoch",
                "at",
                "type",
                "lot",
                "actor",
                "key",
                "audience",
                "bidders",
                "data",
            )
        }
        assert event_hash(prev, fields) == rec["hash"]
        prev = rec["hash"]
    csv_lines = (tmp_path / "x" / "events.csv").read_text("utf-8").splitlines()
    assert csv_lines[0].startswith("seq,epoch,at,type")
    assert (
        journal_main(["export", str(sale_db), "--out", str(tmp_path / "y"), "--format", "csv"]) == 0
    )
    assert not (tmp_path / "y" / "events.json").exists()

    bad = _tamper(sale_db, tmp_path / "bad.db", "DELETE FROM events WHERE seq = 5")
    capsys.readouterr()
    assert journal_main(["verify", str(bad)]) == 1
    assert "FAIL seq: gap: seq 5 missing" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["missing", "garbage", "other_sqlite", "empty"])
def test_cli_clear_errors(tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "j.db"
    if kind == "garbage":
        path.write_bytes(b"this is not sqlite at all" * 100)
    elif kind == "other_sqlite":
        sqlite3.connect(path).execute("CREATE TABLE t (a)")
    elif kind == "empty":
        path.write_bytes(b"")
    assert journal_main(["verify", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("journal: ")
    assert "Traceback" not in err
    assert {
        "missing": "no such file",
        "garbage": "not a readable",
        "other_sqlite": "not an Auctionmen journal",
        "empty": "not an Auctionmen journal",
    }[kind] in err
    assert journal_main(["export", str(path), "--out", str(tmp_path / "o")]) == 1
    assert journal_main(["frobnicate"]) == 2


async def test_records_and_wire_bodies(tmp_path: Path) -> None:
    seq = Sequencer(tmp_path / "w.db", clock=FakeClock())
    await seq.start()
    try:
        await setup_demo(seq)
        opened = await must(seq, {"op": "open_lot", "lot": "1"}, CLERK)
        refused = await seq.submit({"op": "bid", "lot": "1", "amount": 1}, bidder("7001"))
        assert refused.reason == "below_ask"
        record = refused.events[0]
        assert record.type == "bid_refused"
        assert not record.is_public
        assert record.bidders == ("7001",)
        assert "reserve" in record.wire("staff")["lot"]
        assert "reserve" not in record.wire("public")["lot"]
        assert opened.events[0].wire()["lot"]["status"] == "open"
    finally:
        await seq.stop()
