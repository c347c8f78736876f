"""A cloud relay node stands alone: it loads no gavel driver, journal writer or personal data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = (
    "hub.stage",
    "hub.serve",
    "hub.gavel",
    "hub.journal.sequencer",
    "hub.backend.identities",
    "hub.backend.registration",
    "hub.live",
)


def loaded_by(module: str) -> set[str]:
    """Every module a fresh interpreter has loaded after `import module`."""
    code = f"import sys, {module}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(out.stdout.split())


def test_the_relay_node_loads_neither_hardware_nor_the_stage():
    loaded = loaded_by("hub.relay.node") | loaded_by("hub.relay.cli")
    bad = sorted(
        m for m in loaded if m.split(".")[0] in ("hardware", "app", "PySide6") or m in FORBIDDEN
    )
    assert bad == []
    assert "hub.feed" in loaded  # the same record → Mercure mapping as the stage
    assert "hub.gateway.intake" in loaded  # the same bid intake as the stage


def test_the_stage_side_of_the_link_does_not_need_the_stage():
    loaded = loaded_by("hub.relay.link")
    assert not {"hub.stage", "hub.serve", "hub.gavel"} & loaded
