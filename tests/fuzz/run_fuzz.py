"""Run one fuzz target under atheris (libFuzzer): `python tests/fuzz/run_fuzz.py TARGET ...`.

Atheris owns the process (libFuzzer exits it), so the tests start this script in a
subprocess. Arguments after the target go to libFuzzer: corpus folders (new inputs are written
to the first), `-runs=N`, `-max_total_time=S`, `-timeout=S` (the per-input alarm: a hang is a
crash), `-seed=N`, `-artifact_prefix=DIR/`. `--replay DIR...` runs every file once, without
atheris, and exits (the regression check of a corpus).

Blow-up guard: an input that takes longer than SLOW_BASE_S + SLOW_PER_BYTE_S x its length,
twice in a row, is a finding ("slow input", saved like a crash). The margins are about a
thousand times what these targets take per input, so only a super-linear path (a backtracking
regex, a quadratic scan) can trip it, never a busy machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

from targets import TARGETS  # noqa: E402

SLOW_BASE_S = 2.0
SLOW_PER_BYTE_S = 0.0005


class SlowInput(Exception):
    """An input whose time grew far beyond its length."""


def guarded(run: object) -> object:
    assert callable(run)

    def timed(data: bytes) -> float:
        started = time.perf_counter()
        run(data)
        return time.perf_counter() - started

    def one(data: bytes) -> None:
        limit = SLOW_BASE_S + SLOW_PER_BYTE_S * len(data)
        # A one-off cost (a lazy import, a cache filling, a pause of the machine) is not the
        # input's: only an input that is slow twice running is a finding.
        if timed(data) > limit and (took := timed(data)) > limit:
            raise SlowInput(f"{took:.2f} s for {len(data)} bytes, twice")

    return one


def replay(name: str, folders: list[str]) -> int:
    run = guarded(TARGETS[name].run)
    assert callable(run)
    count = 0
    for folder in folders:
        for path in sorted(Path(folder).iterdir()):
            if path.is_file():
                run(path.read_bytes())
                count += 1
    print(f"replayed {count} inputs of {name}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in TARGETS:
        print(f"usage: run_fuzz.py {{{','.join(TARGETS)}}} [libFuzzer args]", file=sys.stderr)
        return 2
    name = argv[1]
    if argv[2:3] == ["--replay"]:
        return replay(name, argv[3:])
    import atheris

    target = TARGETS[name]
    with atheris.instrument_imports(include=list(target.instrument)):
        target.run(b"")  # imports the code under test, instrumented
    atheris.Setup([argv[0], *argv[2:]], guarded(target.run))
    atheris.Fuzz()
    return 0  # not reached: libFuzzer exits the process


if __name__ == "__main__":
    sys.exit(main(sys.argv))
