"""Disk full (reliability F6): fail clearly, write nothing partial, pause, resume by itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from journal_helpers import disk_full_scenario, setup_demo

from hub.journal.sequencer import Sequencer
from hub.journal.verify import verify

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def _assert_facts(facts: dict[str, Any]) -> None:
    assert facts["reason"] == "journal_unavailable"
    assert "database or disk is full" in facts["message"]
    assert "the sale is paused" in facts["message"]
    assert facts["events_in_failed_answer"] == 0
    assert facts["seq_unchanged"]
    assert facts["head_unchanged"]
    assert facts["journal_seq_unchanged"]
    assert facts["projections_unchanged"]
    assert facts["engine_restored"]
    assert (facts["status_state"], facts["status_reason"]) == ("paused", "journal_unavailable")
    assert facts["refused_reason"] == "journal_unavailable"
    assert facts["refused_message"].startswith("the journal cannot write:")
    assert facts["queue_depth"] == 0
    assert facts["still_paused"]
    assert facts["after_ok"]
    assert facts["after_seq"] == facts["expected_seq"]
    assert facts["statuses"] == ["paused", "ok"]


@pytest.fixture
async def seq(tmp_path: Path) -> AsyncIterator[Sequencer]:
    sequencer = Sequencer(tmp_path / "j.db", probe_interval=0.02)
    await sequencer.start()
    await setup_demo(sequencer)
    yield sequencer
    await sequencer.stop()


async def test_sqlite_full_injected_with_max_page_count(seq: Sequencer) -> None:
    conn = seq.db.conn

    def fill() -> None:
        # The writer may not grow the file past its current size: SQLITE_FULL.
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")

    def free() -> None:
        conn.execute("PRAGMA max_page_count = 1073741823")

    facts = await disk_full_scenario(seq, fill, free)
    _assert_facts(facts)
    report = verify(seq.path)
    assert report.ok, report.lines()


def _tmpfs_unavailable(tmp_path: Path) -> str | None:
    if not sys.platform.startswith("linux"):
        return "size-capped tmpfs needs Linux mount namespaces"
    if shutil.which("unshare") is None:
        return "unshare(1) is not installed"
    probe = tmp_path / "probe"
    probe.mkdir()
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs '{probe}'"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        return f"cannot mount a tmpfs in a mount namespace here: {result.stderr.strip()}"
    return None


def test_real_disk_full_on_a_size_capped_tmpfs(tmp_path: Path) -> None:
    reason = _tmpfs_unavailable(tmp_path)
    if reason:
        pytest.skip(reason)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    out = tmp_path / "final.db"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]))
    script = (
        f"mount -t tmpfs -o size=2m tmpfs '{mnt}' && "
        f"exec '{sys.executable}' '{HERE / 'diskfull_child.py'}' '{mnt}' '{out}'"
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    _assert_facts(facts)
    assert facts["verify_ok"], facts["verify"]
    report = verify(out)
    assert report.ok, report.lines()
