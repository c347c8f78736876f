"""Coverage-guided fuzzing (issue 14): a short atheris run per target, and its seed corpus.

Each run is a subprocess (atheris/libFuzzer own the process) started from the committed seed
corpus, with a per-input alarm (`-timeout`: a hang is a finding) and run_fuzz.py's blow-up
guard. Findings are saved under the test's tmp folder; the output names the input.

Budget: AUCTIONMEN_FUZZ_RUNS inputs per target (default 2,000) and AUCTIONMEN_FUZZ_SECONDS at
most (default 30). A long run, e.g. ten minutes a target:
`AUCTIONMEN_FUZZ_RUNS=0 AUCTIONMEN_FUZZ_SECONDS=600 pytest tests/fuzz -s` (0 runs = no limit).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from targets import TARGETS  # noqa: E402

RUNS = int(os.environ.get("AUCTIONMEN_FUZZ_RUNS", "2000"))
SECONDS = int(os.environ.get("AUCTIONMEN_FUZZ_SECONDS", "30"))
PER_INPUT_TIMEOUT_S = 20


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seed_corpus_replays_clean(name: str) -> None:
    """Every committed input (seeds and past findings) passes: the corpus is a regression test."""
    corpus = HERE / "corpus" / name
    assert len(list(corpus.iterdir())) >= 5, f"{corpus} needs seeds"
    for path in sorted(corpus.iterdir()):
        TARGETS[name].run(path.read_bytes())


@pytest.mark.slow
@pytest.mark.timeout(SECONDS + 120)
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz(name: str, tmp_path: Path) -> None:
    seed = int(os.environ.get("AUCTIONMEN_FUZZ_SEED", random.randrange(1, 1 << 30)))
    found = tmp_path / "found"
    found.mkdir()
    args = [
        sys.executable,
        str(HERE / "run_fuzz.py"),
        name,
        str(found),  # new inputs go here; the committed corpus is only read
        str(HERE / "corpus" / name),
        f"-runs={RUNS or -1}",
        f"-max_total_time={SECONDS}",
        f"-timeout={PER_INPUT_TIMEOUT_S}",
        f"-seed={seed}",
        "-rss_limit_mb=2048",
        "-max_len=4096",
        f"-artifact_prefix={tmp_path}/",
        "-print_final_stats=1",
    ]
    proc = subprocess.run(
        args,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=SECONDS + 90,
        check=False,
    )
    tail = proc.stderr[-4000:]
    assert proc.returncode == 0, f"{name} (seed {seed}) found something:\n{tail}"
    assert "Done " in proc.stderr, tail
    runs = next(
        int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("Done ")
    )
    print(f"\nfuzz {name}: {runs} inputs, 0 findings (seed {seed})")
    assert runs >= min(RUNS, 100) if RUNS else runs > 0


def test_blow_up_guard_catches_a_backtracking_regex(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard itself: a catastrophic regex (exponential in the input) is a finding."""
    import re

    import run_fuzz

    monkeypatch.setattr(run_fuzz, "SLOW_BASE_S", 0.02)
    monkeypatch.setattr(run_fuzz, "SLOW_PER_BYTE_S", 0.0)
    evil = re.compile(r"(a*)*b")

    def backtracks(data: bytes) -> None:
        evil.match(data.decode())

    guarded = run_fuzz.guarded(backtracks)
    assert callable(guarded)
    guarded(b"ab")  # linear inputs pass
    with pytest.raises(run_fuzz.SlowInput):
        guarded(b"a" * 26)
