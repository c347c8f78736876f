"""Fixtures for the desktop app: a real core (Stage on port 0, tmp data dir) and the window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# Reason: the offscreen platform plugin warns on every top-level window; harmless.
IGNORED_QT = ("This plugin does not support propagateSizeHints",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/app" in str(item.fspath).replace("\\", "/"):
            for pattern in IGNORED_QT:
                item.add_marker(pytest.mark.qt_log_ignore(pattern))


@pytest.fixture
def core_env(tmp_path: Path, qapp) -> Iterator[tuple]:
    """(bridge, core, info) for the demo sale, stopped after the test."""
    from app.bridge import CoreBridge
    from app.facade import CoreThread
    from hub.config import StageConfig

    bridge = CoreBridge()
    core = CoreThread(
        StageConfig(data_dir=tmp_path / "data", port=0, demo=True),
        on_records=bridge.on_records,
        on_gavel=bridge.on_gavel,
    )
    info = core.start()
    bridge.attach(core)
    try:
        yield bridge, core, info
    finally:
        bridge.detach()
        core.stop()


@pytest.fixture
def window(qtbot, core_env, tmp_path: Path):
    from app.main import image_dirs
    from app.ui.main_window import MainWindow

    bridge, _core, info = core_env
    win = MainWindow(bridge, image_dirs(tmp_path / "data"), dialogs=False)
    qtbot.addWidget(win)
    win.show_core(info)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: bool(win.state.lots), timeout=10_000)
    yield win
    win.close()
