"""The benchmarks still run: each at a tiny size, as a real process.

Only behaviour is checked (exit status, every event reached every subscriber); the figures
they print are not looked at. The full sizes are run by hand (README.md, "Figures").
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SMALL = {
    "fanout": [
        "tests.bench.fanout.bench_fanout",
        "--sizes",
        "50",
        "--peer-max",
        "50",
        "--p1-count",
        "3",
        "--idle",
        "0.2",
        "--nchan-max",
        "0",
    ],
    "storm": [
        "tests.bench.bench_storm",
        "--sizes",
        "40",
        "--servers",
        "hub",
        "--subscription-events",
        "on",
        "--events",
        "3",
        "--warmup",
        "1",
        "--idle",
        "0.2",
        "--away",
        "0.3",
    ],
    "loop": ["tests.bench.bench_loop", "--small", "20", "--large", "40", "--bids", "3"],
    "gavel": ["tests.bench.bench_gavel", "--subs", "20", "--lots", "2"],
    "relay-two-nodes": [
        "tests.bench.bench_relay",
        "--subscribers",
        "40",
        "--events",
        "3",
        "--warmup",
        "1",
        "--idle",
        "0.2",
    ],
    "relay-workers": [
        "tests.bench.bench_relay",
        "--scenario",
        "workers",
        "--subscribers",
        "40",
        "--events",
        "3",
        "--warmup",
        "1",
        "--idle",
        "0.2",
    ],
}


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", sorted(SMALL))
def test_bench_runs_and_delivers_everything(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *SMALL[name]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    rows = [
        line
        for line in done.stdout.splitlines()
        if line.startswith("| ") and "%" in line and "----" not in line
    ]
    assert rows, output[-3000:]
    # Every result row says "100 %" delivered: no event missing, duplicated or cut off.
    assert all("| 100 %" in row for row in rows if "delivered" not in row), rows
