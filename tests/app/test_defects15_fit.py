"""Issue 15 defect 3: the console fits a 1366×768 and a 1280×800 laptop, at 100 % and at
125 % scaling. Each scale runs in its own process (QT_SCALE_FACTOR is read once, at start):
the window shows a lot in progress, is set to each screen's room, and reports where the
auctioneer's controls are. The room a screen leaves is its size less a taskbar and a title
bar (72 physical pixels), in the logical pixels Qt lays out at that scale."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SCREENS = ((1366, 768), (1280, 800))
CHROME = 72  # a taskbar (40) and a title bar (32), physical pixels
# What must be on screen, whole, at every size: (name, attribute path on the window).
MUST_SEE = {
    "hammer": "console.buttons.hammer",
    "fair_warning": "console.buttons.fair_warning",
    "floor_bid": "console.buttons.floor_bid",
    "next_lot": "console.buttons.next_lot",
    "pass": "console.buttons.pass",
    "next_ask": "console.card.ask",
    "current_bid": "console.card.bid",
    "paddle": "console.paddle",
    "hub_light": "hub_light",
    "gavel_light": "gavel_light",
    "relay_light": "relay_light",
    "bidder_qr": "bidder_qr.image",
    "clerk_qr": "clerk_qr.image",
    "pin": "pin",
}


def room(width: int, height: int, scale: float) -> tuple[int, int]:
    """The window's room on a screen of `width`×`height` physical pixels, in logical pixels."""
    return int(width / scale), int((height - CHROME) / scale)


def _find(window: Any, path: str) -> Any:
    obj = window
    for part in path.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


def probe(scale: float) -> dict:
    """Runs in the child process: the report for every screen at this scale."""
    from PySide6.QtWidgets import QApplication

    from app.bridge import CoreBridge
    from app.facade import CoreThread
    from app.main import image_dirs
    from app.ui.main_window import MainWindow
    from hub.config import StageConfig

    app = QApplication.instance() or QApplication(sys.argv[:1])
    data = Path(tempfile.mkdtemp(prefix="auctionmen-fit-"))
    bridge = CoreBridge()
    core = CoreThread(
        StageConfig(data_dir=data, port=0, demo=True),
        on_records=bridge.on_records,
        on_gavel=bridge.on_gavel,
    )
    info = core.start(timeout=90)  # a loaded CI machine starts a fresh process slowly
    bridge.attach(core)

    def settle(until=lambda: True, limit: float = 10.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            app.processEvents()
            if until():
                return
            time.sleep(0.01)

    window = MainWindow(bridge, image_dirs(data), dialogs=False)
    window.show_core(info)
    window.show()
    try:
        return measure(window, core, scale, settle)
    finally:
        window.close()
        bridge.detach()
        core.stop()
        shutil.rmtree(data, ignore_errors=True)


def measure(window, core, scale: float, settle) -> dict:
    """A lot in progress, then the window set to each screen's room: where things are."""
    from PySide6.QtCore import QPoint, QRect

    for command in (
        {"op": "open_lot", "lot": "1"},
        {"op": "floor_bid", "lot": "1", "paddle": "101"},
        {"op": "floor_bid", "lot": "1", "paddle": "102"},
    ):
        core.submit(command).result(10)
    settle(lambda: len((window.state.current or {}).get("history") or []) >= 2)
    window.statusBar().showMessage("Paddle 7001: their join link is shown.")
    report: dict = {"scale": window.devicePixelRatioF(), "screens": []}
    for width, height in SCREENS:
        w, h = room(width, height, scale)
        window.resize(w, h)
        settle(lambda w=w, h=h: window.width() == w and window.height() == h, 2.0)
        hint = window.minimumSizeHint()
        seen = {}
        for name, path in MUST_SEE.items():
            widget = _find(window, path)
            rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
            small = widget.minimumSizeHint()
            seen[name] = {
                "inside": window.rect().contains(rect) and widget.isVisibleTo(window),
                "whole": widget.width() >= small.width() and widget.height() >= small.height(),
            }
        report["screens"].append(
            {
                "screen": [width, height],
                "room": [w, h],
                "window": [window.width(), window.height()],
                "minimum": [hint.width(), hint.height()],
                "seen": seen,
            }
        )
    return report


def check(report: dict) -> None:
    for screen in report["screens"]:
        label = f"{screen['screen']} at {report['scale']:.0%}"
        room_w, room_h = screen["room"]
        assert screen["minimum"][0] <= room_w, label
        assert screen["minimum"][1] <= room_h, label
        assert screen["window"] == [room_w, room_h], label  # it did not have to grow
        for name, seen in screen["seen"].items():
            assert seen == {"inside": True, "whole": True}, f"{name}: {label}"


def test_room_is_the_screen_less_its_chrome() -> None:
    assert room(1366, 768, 1.0) == (1366, 696)
    assert room(1280, 800, 1.25) == (1024, 582)


def test_the_console_fits_laptops_at_100_percent(qtbot, window, core_env) -> None:
    _bridge, core, _info = core_env

    def settle(until=lambda: True, limit: float = 10.0) -> None:
        qtbot.waitUntil(until, timeout=int(limit * 1000))

    report = measure(window, core, 1.0, settle)
    assert report["scale"] == 1.0
    check(report)
    # An AML alert (a rare, long line) takes no extra height: the smallest room still fits.
    window.console.show_aml_alert("Lot 1, paddle 102: CDD not complete: " + "x" * 200, "1")
    smallest = min(room(w, h, 1.25)[1] for w, h in SCREENS)
    assert window.console.aml_alert.isVisibleTo(window)
    assert window.minimumSizeHint().height() <= smallest
    assert window.minimumSizeHint().width() <= min(room(w, h, 1.25)[0] for w, h in SCREENS)


def test_the_console_fits_laptops_at_125_percent() -> None:
    """A process of its own: QT_SCALE_FACTOR applies from the start of a process."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="1.25")
    code = f"import json, {__name__} as m; print(json.dumps(m.probe(1.25)))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["scale"] == 1.25
    check(report)
