"""The core facade: named, typed operations on the core loop; no caller ever gets the stage."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.catalogue_import import CatalogueError
from app.facade import CoreThread
from hub.config import StageConfig
from hub.gavel import GavelStatus

ROOT = Path(__file__).resolve().parents[2]
T = 10


@pytest.fixture
def core(tmp_path: Path) -> Iterator[CoreThread]:
    core = CoreThread(StageConfig(data_dir=tmp_path / "data", port=0, demo=True))
    core.start()
    try:
        yield core
    finally:
        core.stop()


def test_the_operations_answer_with_typed_values(core: CoreThread, tmp_path: Path) -> None:
    snap = core.staff_snapshot().result(T)
    assert {"seq", "sale", "lot_views", "bidders", "settings"} <= set(snap)
    answer = core.register_bidder(
        "501", "floor", "Ada", approved=True, credit_limit=100_000
    ).result(T)
    assert answer.ok, answer.message
    rows = {row["paddle"]: row for row in core.bidder_rows().result(T)}
    assert rows["501"]["name"] == "Ada"
    assert core.register_bidder("501", "floor", "Ada", approved=True).result(T).ok is False
    assert "/bid#token=" in core.bidder_link("501").result(T)
    assert core.hub_clients().result(T) == 0
    assert core.relay_status().result(T) is None  # no relay configured
    assert core.submit({"op": "open_lot", "lot": "1"}).result(T).ok
    assert core.set_gavel_test_mode(True).result(T) is None  # no gavel to put in test mode
    status = core.set_gavel("keyboard:F13", test_mode=True).result(T)
    assert isinstance(status, GavelStatus)
    assert (status.spec, status.test_mode) == ("keyboard:F13", True)
    assert core.set_gavel_test_mode(False).result(T).test_mode is False
    assert core.set_gavel("none").result(T) == GavelStatus.none()
    with pytest.raises(ValueError, match="unknown gavel spec"):
        core.set_gavel("bogus").result(T)


def test_imports_run_on_the_core_with_progress(core: CoreThread, tmp_path: Path) -> None:
    lots = tmp_path / "lots.csv"
    lots.write_text("Lot,Title,Low,High\n90,Teapot,100,200\n1,Duplicate,,\n", "utf-8")
    seen: list[tuple[int, int]] = []
    verdicts = core.import_catalogue(
        lots, None, lambda *p: seen.append(p), reason="Late entry"
    ).result(T)
    assert [(v.lot, v.ok) for v in verdicts] == [("90", True), ("1", False)]
    assert seen[-1] == (1, 1)
    people = tmp_path / "people.csv"
    people.write_text("Paddle,Name\n601,Bo\n", "utf-8")
    assert [v.ok for v in core.import_bidders(people, lambda *p: None).result(T)] == [True]
    with pytest.raises(CatalogueError):
        core.import_catalogue(tmp_path / "missing.csv", None, lambda *p: None).result(T)


def test_a_stopped_core_refuses_at_once(tmp_path: Path) -> None:
    core = CoreThread(StageConfig(data_dir=tmp_path, port=0, demo=True))
    for operation in (core.staff_snapshot, core.bidder_rows, core.hub_clients):
        with pytest.raises(RuntimeError, match="not running"):
            operation()


def test_no_ui_code_reaches_the_stage() -> None:
    """Only facade.py holds the stage; the rest of app/ uses the operations."""
    assert not hasattr(CoreThread, "call")
    assert not hasattr(CoreThread, "run")
    offenders = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        if path.name == "facade.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Name) and node.id == "stage":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} stage")
            if isinstance(node, ast.arg) and node.arg == "stage":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} stage argument")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("_call", "_run", "_stage")
                and ast.unparse(node.value).endswith("core")
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} core.{node.attr}")
    assert offenders == []
