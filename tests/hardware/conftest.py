"""Shared helpers for the gavel tests: an event collector, fast timings, leak checks."""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

# This folder is named like the package under test. pytest's default "prepend" import mode puts
# tests/ on sys.path, where tests/hardware/ would be picked up as a namespace package named
# ``hardware`` and shadow the real one. A real package on sys.path always wins over a
# namespace portion, so put the repo root on it (the same as pytest's ``pythonpath = ["."]``).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
if getattr(sys.modules.get("hardware"), "__file__", "") is None:
    del sys.modules["hardware"]

from gavel_testkit import Collector  # noqa: E402

from hardware.source import BaseSource  # noqa: E402


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
async def sources() -> AsyncIterator[list[BaseSource]]:
    """Append every source a test opens; all are closed (threads joined) afterwards."""
    opened: list[BaseSource] = []
    yield opened
    for s in opened:
        await s.aclose()


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    yield
    leaked = [
        t.name
        for t in threading.enumerate()
        if t.is_alive() and (t.name.startswith("gavel:") or t.name.startswith("sim-gavel"))
    ]
    assert not leaked, f"threads left running: {leaked}"
