"""Running a catalogue import against a real stage (the demo sale, live) and, for a draft, the
commands it sends: the dry run writes nothing (checked against the journal), a live sale takes
new lots only with a reason and changes none, a cancel leaves every row whole, and the panel
shows all of it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.catalogue_import import RowVerdict
from app.facade import CoreThread
from app.importer import CatalogueTarget, run_import
from hub.auction.events import Actor
from hub.config import StageConfig
from hub.journal.sequencer import Answer
from tests.app.test_import_xlsx import workbook

T = 10


@pytest.fixture
def core(tmp_path: Path) -> Iterator[CoreThread]:
    core = CoreThread(StageConfig(data_dir=tmp_path / "data", port=0, demo=True))
    core.start()
    try:
        yield core
    finally:
        core.stop()


def journal(core: CoreThread) -> tuple[int, str, int]:
    """The journal's last seq and head hash, and the events in its file (read apart)."""
    seq, head, path = core._call(
        lambda stage: (stage.sequencer.last_seq, stage.sequencer.head, stage.config.journal_path)
    ).result(T)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        (rows,) = db.execute("SELECT COUNT(*) FROM events").fetchone()
    return seq, head, rows


def test_the_dry_run_writes_nothing_and_says_what_would_change(core, tmp_path: Path):
    images = tmp_path / "imgs"
    images.mkdir()
    (images / "90.png").write_bytes(b"\x89PNG fake")
    path = tmp_path / "cat.csv"
    path.write_text(
        "Lot,Title,Low Est,Colour\n"
        "90,Teapot,100,red\n"
        "91,Cup,,\n"
        "91,Cup again,,\n"
        "92,,5,\n"
        "1,Changed title,,\n",
        "utf-8",
    )
    before = journal(core)
    plan = core.preview_catalogue(path, images).result(T)
    assert journal(core) == before  # nothing written
    assert not (tmp_path / "data" / "images" / "90_1.png").exists()  # nothing copied
    assert plan.status == "live"
    assert plan.notes[0] == "columns not read: Colour"
    assert any("only with a reason" in note for note in plan.notes)
    v = {x.line: x for x in plan.verdicts()}
    assert "a new lot needs a reason" in v[2].reason
    assert "repeats line 3" in v[4].reason
    assert v[5].reason == "no title"
    assert "catalogue is frozen" in v[6].reason
    assert "title" in v[6].reason  # field by field: what the row would change

    with_reason = core.preview_catalogue(path, images, reason="Late entries").result(T)
    assert journal(core) == before
    v = {x.line: x for x in with_reason.verdicts()}
    assert (v[2].action, v[3].action) == ("add", "add")
    assert not v[6].ok  # existing lots are never changed live, reason or not

    seen: list[tuple[int, int]] = []
    done = core.import_catalogue(
        path, images, lambda *p: seen.append(p), reason="Late entries"
    ).result(T)
    assert [(x.line, x.lot, x.action) for x in done] == [
        (2, "90", "add"),
        (3, "91", "add"),
        (4, "91", "refuse"),
        (5, "92", "refuse"),
        (6, "1", "refuse"),
    ]
    assert seen[-1] == (2, 2)
    lots = core.staff_snapshot().result(T)["lot_views"]
    by_id = {lot["id"]: lot for lot in lots} if isinstance(lots, list) else lots
    assert by_id["90"]["title"] == "Teapot"
    assert by_id["90"]["images"] == ["90_1.png"]
    assert by_id["1"]["title"] != "Changed title"
    # The same file again: the new lots are there now, unchanged; nothing written.
    after = journal(core)
    again = core.import_catalogue(path, images, lambda *p: None, reason="Again").result(T)
    assert [x.action for x in again][:2] == ["same", "same"]
    assert journal(core) == after


def test_a_cancel_leaves_every_row_whole_and_says_which_did_not_run(core, tmp_path: Path):
    path = tmp_path / "many.csv"
    path.write_text("lot,title\n" + "".join(f"{n},Lot {n}\n" for n in range(500, 620)), "utf-8")
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done >= 50:  # the first batch is in: cancel the rest
            cancel.set()

    before = journal(core)[0]
    verdicts = core.import_catalogue(path, None, progress, reason="Late", cancel=cancel).result(T)
    assert len(verdicts) == 120  # every row a verdict
    added = [v for v in verdicts if v.ok]
    cancelled = [v for v in verdicts if v.action == "cancel"]
    assert len(added) == 50
    assert len(cancelled) == 70
    assert all("cancelled" in v.reason for v in cancelled)
    lots = core.staff_snapshot().result(T)["lot_views"]
    ids = {lot["id"] for lot in lots} if isinstance(lots, list) else set(lots)
    assert {v.lot for v in added} <= ids
    assert not {v.lot for v in cancelled} & ids
    assert journal(core)[0] > before


class Recorder:
    """The sale's submit, for a draft (the engine's edit_lot is not here yet): records the
    commands and answers as told."""

    def __init__(self, refuse: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.commands: list[dict[str, Any]] = []
        self.refuse = refuse

    async def __call__(self, command: dict[str, Any], actor: Actor) -> Answer:
        self.commands.append(command)
        lot = command["lot"]["id"] if command["op"] == "add_lot" else command["lot"]
        ok = lot not in self.refuse
        return Answer(ok, None if ok else "invalid", None if ok else "refused", 0, (), {})


def test_a_draft_import_adds_and_edits_only_what_differs(tmp_path: Path):
    images = tmp_path / "imgs"
    images.mkdir()
    (images / "3.jpg").write_bytes(b"jpg")
    (images / "4.jpg").write_bytes(b"jpg")
    path = tmp_path / "cat.csv"
    path.write_text(
        "lot,title,low,high,vat,arr,condition\n"
        "1,Vase,100,200,,,\n"  # same as the sale
        "2,Clock,,250,standard,yes,\n"  # high and vat and arr change; the empty low does not
        "3,New,1,2,,,fine\n"  # new lot, with an image
        "4,Refused by the engine,,,,,\n",
        "utf-8",
    )
    existing = {
        "1": {"title": "Vase", "low": 10000, "high": 20000, "images": []},
        "2": {"title": "Clock", "low": 9000, "high": 20000, "vat": "margin", "arr": False},
    }
    submit = Recorder(refuse={"4"})
    target = CatalogueTarget(
        frozenset(existing), "EUR", tmp_path / "out", submit, existing=existing, status="draft"
    )
    verdicts = asyncio.run(run_import(target, path, images, lambda *p: None, reason="typed"))
    assert [(v.lot, v.action, v.ok) for v in verdicts] == [
        ("1", "same", True),
        ("2", "edit", True),
        ("3", "add", True),
        ("4", "refuse", False),
    ]
    assert "high €200 → €250" in verdicts[1].reason
    ops = {
        c["op"] + ":" + str(c["lot"] if c["op"] == "edit_lot" else c["lot"]["id"]): c
        for c in submit.commands
    }
    assert ops["edit_lot:2"] == {
        "op": "edit_lot",
        "lot": "2",
        "changes": {"high": 25000, "vat": "standard", "arr": True},
    }
    assert ops["add_lot:3"]["lot"]["condition"] == "fine"
    assert ops["add_lot:3"]["lot"]["images"] == ["3_1.jpg"]
    assert "reason" not in ops["add_lot:3"]  # a draft needs none
    assert (tmp_path / "out" / "3_1.jpg").exists()
    assert not (tmp_path / "out" / "4_1.jpg").exists()  # a refused row leaves no files


def test_the_panel_checks_then_imports(qtbot, window, tmp_path: Path):
    panel = window.importer
    window.tabs.setCurrentWidget(panel)
    path = tmp_path / "cat.csv"
    path.write_text("Lot,Title,Vendor\n201,Bowl,V-1\n201,Bowl twice,\n1,Renamed,\n", "utf-8")
    panel.set_sources(path, None)
    qtbot.mouseClick(panel.check, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.summary.text().startswith("Dry run"), timeout=T * 1000)
    assert panel.summary.text() == (
        "Dry run, nothing written: 0 lots would be added, 0 changed, 0 unchanged, 3 rows refused"
    )
    assert "only with a reason" in panel.notes.text()
    panel.reason_edit.setText("Late consignment")
    qtbot.mouseClick(panel.check, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "1 lots would be added" in panel.summary.text(), timeout=T * 1000)
    rows = [
        tuple(panel.report.item(r, c).text() for c in range(3))
        for r in range(panel.report.rowCount())
    ]
    assert rows == [("2", "201", "would add"), ("3", "201", "refused"), ("4", "1", "refused")]
    assert "201" not in window.state.lots  # a dry run writes nothing
    qtbot.mouseClick(panel.run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "imported" in panel.summary.text(), timeout=T * 1000)
    assert panel.summary.text() == "1 lots imported, 2 rows refused"
    qtbot.waitUntil(lambda: "201" in window.state.lots, timeout=T * 1000)
    assert panel.run.isEnabled()
    assert not panel.cancel.isEnabled()
    verdict = RowVerdict(9, "9", False, "cancelled", "cancel")
    panel.on_done([verdict])
    assert panel.summary.text() == "0 lots imported, 0 rows refused, 1 not run (cancelled)"


def test_bidder_lists_have_a_dry_run_and_a_cancel(core, tmp_path: Path):
    people = tmp_path / "people.csv"
    people.write_text("Paddle,Name,Limit\n601,Bo,100\n601,Bo again,\n602,Cy,-5\n", "utf-8")
    before = journal(core)
    preview = core.preview_bidders(people).result(T)
    assert journal(core) == before  # nothing written
    assert [(v.line, v.action) for v in preview] == [(2, "add"), (3, "refuse"), (4, "refuse")]
    cancel = threading.Event()
    cancel.set()
    verdicts = core.import_bidders(people, lambda *p: None, cancel=cancel).result(T)
    assert [(v.line, v.action) for v in verdicts] == [(2, "cancel"), (3, "refuse"), (4, "refuse")]
    assert journal(core) == before
    verdicts = core.import_bidders(people, lambda *p: None).result(T)
    assert [(v.line, v.ok) for v in verdicts] == [(2, True), (3, False), (4, False)]
    assert journal(core)[0] > before[0]


def test_a_draft_sale_takes_adds_and_edits_then_going_live_freezes_it(tmp_path: Path):
    from hub.backend.sales import create_sale

    data = tmp_path / "data"
    create_sale(
        data,
        {
            "id": "spring",
            "title": "Spring sale",
            "lots": [
                {"id": "1", "title": "Vase", "low": 10000, "high": 20000},
                {"id": "2", "title": "Clock", "vat": "margin"},
            ],
        },
    )
    core = CoreThread(StageConfig(data_dir=data, port=0, sale="spring"))
    core.start()
    try:
        path = tmp_path / "cat.xlsx"
        path.write_bytes(
            workbook(
                ["Lot No", "Title", "Low Est", "High Est", "Qty", "Vendor", "VAT", "ARR"],
                [1, "Vase", 100, 200, None, None, None, None],  # as in the sale
                [2, None, None, 250, 3, "V-9", "standard", "yes"],  # changes, title kept
                [3, "Bowl", 50, 80, None, "V-1", None, None],  # new
            )
        )
        before = journal(core)
        plan = core.preview_catalogue(path, None).result(T)
        assert plan.status == "draft"
        assert journal(core) == before  # the dry run writes nothing
        assert [(v.lot, v.action) for v in plan.verdicts()] == [
            ("1", "same"),
            ("2", "edit"),
            ("3", "add"),
        ]
        assert plan.verdicts()[1].reason == (
            "high — → €250; quantity 1 → 3; consignor — → V-9; vat margin → standard; arr no → yes"
        )
        verdicts = core.import_catalogue(path, None, lambda *p: None).result(T)
        assert [(v.lot, v.action, v.ok) for v in verdicts] == [
            ("1", "same", True),
            ("2", "edit", True),
            ("3", "add", True),
        ], verdicts
        lots = {lot["id"]: lot for lot in core.staff_snapshot().result(T)["lot_views"]}
        clock = lots["2"]
        assert (clock["title"], clock["quantity"], clock["vat"], clock["arr"]) == (
            "Clock",
            3,
            "standard",
            True,
        )
        assert clock["consignor"] == "V-9"
        assert lots["3"]["consignor"] == "V-1"
        # The same file again changes nothing: every row is unchanged now.
        after = journal(core)
        again = core.import_catalogue(path, None, lambda *p: None).result(T)
        assert [v.action for v in again] == ["same", "same", "same"]
        assert journal(core) == after

        assert core.submit({"op": "go_live"}).result(T).ok
        path.write_bytes(workbook(["Lot", "Title", "Low"], [1, "Vase", 120], [4, "Late lot", 10]))
        frozen = core.import_catalogue(path, None, lambda *p: None).result(T)
        assert [(v.lot, v.action) for v in frozen] == [("1", "refuse"), ("4", "refuse")]
        assert "catalogue is frozen" in frozen[0].reason
        assert "needs a reason" in frozen[1].reason
        late = core.import_catalogue(path, None, lambda *p: None, reason="Late entry").result(T)
        assert [(v.lot, v.action, v.ok) for v in late] == [
            ("1", "refuse", False),
            ("4", "add", True),
        ]
        lots = {lot["id"]: lot for lot in core.staff_snapshot().result(T)["lot_views"]}
        assert lots["1"]["estimate"]["low"] == 10000  # never changed by an import once live
        assert "4" in lots
    finally:
        core.stop()
