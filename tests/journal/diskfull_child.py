"""Run the disk-full scenario on a journal in DIR (a size-capped tmpfs); print facts as JSON.

Usage: python diskfull_child.py DIR OUT_DB. Runs inside `unshare -m` so the tmpfs is private;
the final journal is copied to OUT_DB for the parent to verify.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

from journal_helpers import disk_full_scenario, setup_demo

from hub.journal.sequencer import Sequencer
from hub.journal.verify import verify


def _fill(directory: Path) -> None:
    """Write a ballast file until the filesystem refuses (ENOSPC)."""
    chunk = b"\0" * 4096
    with (directory / "ballast").open("wb", buffering=0) as f:
        try:
            for _ in range(1_000_000):
                f.write(chunk)
        except OSError:
            pass


async def main(directory: Path, out: Path) -> dict[str, object]:
    path = directory / "journal.db"
    seq = Sequencer(path, probe_interval=0.05)
    await seq.start()
    try:
        await setup_demo(seq)
        facts = await disk_full_scenario(
            seq, lambda: _fill(directory), lambda: os.remove(directory / "ballast")
        )
    finally:
        await seq.stop()
    report = verify(path)
    facts["verify_ok"] = report.ok
    facts["verify"] = report.lines()
    shutil.copy(path, out)
    return facts


if __name__ == "__main__":
    result = asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
    print(json.dumps(result))
