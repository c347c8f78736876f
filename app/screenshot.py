"""Render the main window to a PNG: `python -m app.screenshot OUT.png`.

Runs offscreen (no display needed) against a throwaway demo sale with a lot in progress.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _wait(app: object, until: Callable[[], bool], timeout: float = 10.0) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.screenshot", description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    ns = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.bridge import CoreBridge
    from app.facade import CoreThread
    from app.main import image_dirs
    from app.ui.main_window import MainWindow
    from hub.config import StageConfig

    tmp = Path(tempfile.mkdtemp(prefix="auctionmen-shot-"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    bridge = CoreBridge()
    core = CoreThread(
        StageConfig(data_dir=tmp, port=0, demo=True),
        on_records=bridge.on_records,
        on_gavel=bridge.on_gavel,
    )
    try:
        info = core.start()
        window = MainWindow(bridge, image_dirs(tmp), dialogs=False)
        bridge.attach(core)
        window.show_core(info)
        window.resize(ns.width, ns.height)
        window.show()
        script = [
            {"op": "open_lot", "lot": "1"},
            {"op": "hammer", "lot": "1", "source": "gavel"},
            {"op": "open_lot", "lot": "2"},
            {"op": "floor_bid", "lot": "2", "paddle": "101"},
            {"op": "floor_bid", "lot": "2", "paddle": "102"},
            {"op": "fair_warning", "lot": "2"},
            {"op": "floor_bid", "lot": "2", "paddle": "101", "channel": "phone"},
        ]
        for command in script:
            core.submit(command).result(10)
        _wait(
            app,
            lambda: (
                window.state.current_id == "2"
                and len((window.state.current or {}).get("history") or []) >= 3
            ),
        )
        _wait(app, lambda: False, 0.3)
        window.grab().save(str(ns.out), "PNG")
        print(ns.out)
        window.close()
        bridge.detach()
        return 0
    finally:
        core.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
