"""The Gavel settings tab against a real core (Stage on port 0) and a real pty gavel."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.ui import gavel_settings as gs
from hardware.debounce import DebounceConfig
from hardware.ports import PortInfo
from hub.gavel import GavelStatus

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a pty gavel needs POSIX")

T = 8000


def _lot(win):
    return win.state.current or {}


@pytest.fixture
def sim():
    from hardware.simulated import SimulatedGavel

    device = SimulatedGavel()
    device.start_heartbeats(0.1)
    yield device
    device.close()


def _open_lot_with_bid(qtbot, win) -> None:
    win.console.trigger("next_lot")
    qtbot.waitUntil(lambda: _lot(win).get("status") == "open", timeout=T)
    win.console.trigger("floor_bid")
    qtbot.waitUntil(lambda: _lot(win).get("high") is not None, timeout=T)


def test_pick_port_detect_in_test_mode_then_hammer(qtbot, window, sim, monkeypatch):
    win = window
    tab = win.gavel_settings
    win.tabs.setCurrentWidget(tab)
    port = PortInfo(f"serial:{sim.port}", sim.port, "Simulated gavel", "2341:8036")
    monkeypatch.setattr(gs, "list_ports", lambda: [port])
    qtbot.mouseClick(tab.refresh, Qt.MouseButton.LeftButton)
    labels = [tab.sources.item(i).text() for i in range(tab.sources.count())]
    assert any(sim.port in t and "2341:8036" in t for t in labels), labels
    assert any("Keyboard pedal (key F12)" in t for t in labels)
    assert "Simulated gavel (demo)" in labels

    assert tab.select_source("serial", sim.port)
    qtbot.mouseClick(tab.apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: tab.status.connected and tab.status.spec == f"serial:{sim.port}", timeout=T
    )
    assert "connected" in tab.status_label.text()
    qtbot.waitUntil(lambda: win.gavel_light.level == "ok", timeout=T)  # the header light too
    remembered = gs.load_choice(Path(win.bridge.core.config.data_dir))
    assert remembered is not None
    assert (remembered.kind, remembered.port, remembered.arm_on) == ("serial", sim.port, "bid")

    _open_lot_with_bid(qtbot, win)
    tab.test_mode.setChecked(True)  # applies at once, no Apply needed
    qtbot.waitUntil(lambda: tab.status.test_mode, timeout=T)
    assert "TEST MODE" in tab.status_label.text()
    sim.strike()
    qtbot.waitUntil(lambda: tab.strikes == 1, timeout=T)
    knocked_by = time.monotonic()  # the source read the strike before the tab heard of it
    assert tab.detector_count.text() == "1 strike detected"
    assert "test mode" in tab.detector_last.text()
    assert tab.detector.property("lit") is True
    # The link decided "test mode" when it saw the strike: no hammer was ever submitted.
    assert (tab.status.strikes, tab.status.last_outcome, tab.status.hammers) == (1, "test_mode", 0)
    assert _lot(win).get("status") == "open"

    tab.test_mode.setChecked(False)
    qtbot.waitUntil(lambda: not tab.status.test_mode, timeout=T)
    # A new knock, not a bounce: strike once the source's (monotonic) clock is past the window.
    refractory = DebounceConfig().refractory_s
    qtbot.waitUntil(lambda: time.monotonic() >= knocked_by + refractory, timeout=T)
    sim.strike()
    # the demo lot's reserve is not met: the hammer passes it (a knock-down all the same)
    qtbot.waitUntil(lambda: _lot(win).get("status") in ("sold", "passed"), timeout=T)
    assert (_lot(win).get("hammer") or {}).get("source") == "gavel"
    qtbot.waitUntil(lambda: tab.strikes == 2, timeout=T)
    assert "hammered" in tab.detector_last.text()
    assert not tab.error.text()


def test_keyboard_pedal_arm_on_fair_warning_and_none(qtbot, window):
    win = window
    tab = win.gavel_settings
    assert tab.select_source("keyboard")
    tab.pedal_key.setText("F13")
    tab.arm_fw.setChecked(True)
    qtbot.mouseClick(tab.apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.status.spec == "keyboard:F13" and tab.status.connected, timeout=T)
    assert win.pedal is not None
    assert win.pedal.key().toString() == "F13"

    _open_lot_with_bid(qtbot, win)
    win.pedal.activated.emit()  # the pedal's key: open with a bid is not armed here
    qtbot.waitUntil(lambda: tab.strikes == 1, timeout=T)
    assert "fair warning first" in tab.detector_last.text()
    assert _lot(win).get("status") == "open"

    tab.reset_detector()
    assert tab.detector_count.text() == "No strike yet"
    assert tab.select_source("none")
    qtbot.mouseClick(tab.apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.status.configured, timeout=T)
    assert win.pedal is None
    assert win.gavel_light.level == "off"
    settings = gs.AppSettings.load(Path(win.bridge.core.config.data_dir))
    assert (settings.arm_on, settings.pedal_key) == ("fair_warning", "F13")


def test_bad_choice_is_shown_not_applied(qtbot, window):
    tab = window.gavel_settings
    assert tab.select_source("other")
    assert tab.other_port.isEnabled()
    assert not tab.pedal_key.isEnabled()
    qtbot.mouseClick(tab.apply, Qt.MouseButton.LeftButton)
    assert "choose a port" in tab.error.text()
    assert not tab.status.configured


def test_every_registered_backend_is_offered_hid_included(qtbot, window):
    tab = window.gavel_settings
    kinds = [
        tab.sources.item(i).data(Qt.ItemDataRole.UserRole)[0] for i in range(tab.sources.count())
    ]
    assert {"other", "keyboard", "hid", "pty"} <= set(kinds)
    assert kinds[-1] == "none"
    assert tab.select_source("hid")
    assert tab.device.isEnabled()
    assert not tab.other_port.isEnabled()
    assert "hidapi" in tab.about.text()
    tab.device.setText("not-an-id")
    qtbot.mouseClick(tab.apply, Qt.MouseButton.LeftButton)
    assert "VID:PID" in tab.error.text()
    assert not tab.status.configured


def test_specs_round_trip_and_lights(tmp_path: Path):
    assert gs.build_spec("serial", "/dev/ttyACM0") == "serial:/dev/ttyACM0"
    assert gs.build_spec("other", "socket://h:9", "line") == "socket://h:9,mode=line"
    assert gs.build_spec("keyboard", key="F13") == "keyboard:F13"
    assert gs.build_spec("pty") == "pty"
    assert gs.build_spec("none") == "none"
    assert gs.build_spec("hid", device="0c45:7403") == "hid:0c45:7403"
    for bad in (
        ("serial", ""),
        ("serial", "/dev/x,y"),
        ("keyboard", "", "frame", ""),
        ("other", "nowhere"),
        ("hid",),
        ("hid", "", "frame", "F12", "zz"),
        ("bogus",),
    ):
        with pytest.raises(ValueError):
            gs.build_spec(*bad)
    for choice in (
        gs.GavelChoice("serial", "/dev/ttyACM0", "byte"),
        gs.GavelChoice("other", "socket://h:9"),
        gs.GavelChoice("keyboard", key="F9"),
        gs.GavelChoice("pty"),
        gs.GavelChoice("none"),
        gs.GavelChoice("hid", device="0c45:7403"),
    ):
        back = gs.parse_spec(choice.spec)
        assert (back.kind, back.port, back.mode, back.device) == (
            choice.kind,
            choice.port,
            choice.mode,
            choice.device,
        )
    assert gs.parse_spec("hid:zz") == gs.GavelChoice("other", port="hid:zz")  # shown, as typed
    assert gs.light_for(GavelStatus.none())[0] == "off"
    assert gs.light_for(GavelStatus("pty", True, connected=True, test_mode=True)) == (
        "ok",
        "connected · TEST MODE (strikes nothing)",
    )
    assert gs.light_for(GavelStatus("pty", True, stuck=True, text="held"))[0] == "bad"
    assert gs.describe_outcome("no_bid") == "not armed: the lot has no bid"

    assert gs.load_choice(tmp_path) is None
    gs.save_choice(tmp_path, gs.GavelChoice("keyboard", key="F14", arm_on="fair_warning"))
    (tmp_path / "app-settings.json").read_text("utf-8")  # still the app's own file
    again = gs.load_choice(tmp_path)
    assert again == gs.GavelChoice("keyboard", key="F14", arm_on="fair_warning")
    (tmp_path / "app-settings.json").write_text("{not json", "utf-8")
    assert gs.load_choice(tmp_path) is None  # an unreadable file is ignored, not fatal
