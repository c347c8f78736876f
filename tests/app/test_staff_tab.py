"""The Staff tab and signing in on the desktop, against a real core (demo sale): accounts made,
edited and deactivated through the tab (hostile input refused, nothing written), a terminal's
session revoked from the tab, the login and first-admin dialogs, the desktop acting as the
person signed in, and no hash anywhere the app sees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.facade import OWNER, NotAllowed
from app.ui.login import FirstAdminDialog, LoginDialog
from hub.backend.staff import StaffError

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _staff(core: Any) -> Any:
    return core._call(lambda stage: stage.staff).result(10)


def _open(qtbot: Any, win: Any) -> Any:
    panel = win.staff
    win.tabs.setCurrentWidget(panel)
    return panel


def _fill(panel: Any, name: str, roles: list[str], pin: str) -> None:
    panel.name.setText(name)
    for role, box in panel.role_boxes.items():
        box.setChecked(role in roles)
    panel.pin.setText(pin)


def test_create_edit_deactivate_through_the_tab(qtbot, window, core_env) -> None:
    _bridge, core, _info = core_env
    panel = _open(qtbot, window)
    qtbot.waitUntil(lambda: "No staff accounts" in panel.status.text(), timeout=10_000)
    _fill(panel, "Ann Example", ["clerk", "desk"], "2468")
    _click(qtbot, panel.create_button)
    qtbot.waitUntil(lambda: panel.people.rowCount() == 1, timeout=10_000)
    assert panel.people.item(0, 1).text() == "Ann Example"
    assert panel.people.item(0, 2).text() == "Clerk, Desk"
    assert panel.pin.text() == ""  # never left in the field

    panel.people.selectRow(0)
    _fill(panel, "Ann Example", ["clerk", "cashier"], "")
    _click(qtbot, panel.save_button)
    qtbot.waitUntil(lambda: panel.people.item(0, 2).text() == "Clerk, Cashier", timeout=10_000)

    store = _staff(core)
    assert store.verify_pin("Ann Example", "2468").roles == ("clerk", "cashier")
    store.open_session("st-1", "terminal:floor-1")
    panel.reload()
    window.resize(1366, 768)
    panel.people.selectRow(0)
    qtbot.waitUntil(lambda: panel.sessions.rowCount() == 1, timeout=10_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / "staff-tab-1366.png"))
    panel.people.selectRow(0)
    _click(qtbot, panel.deactivate_button)
    qtbot.waitUntil(lambda: panel.people.item(0, 3).text() == "no", timeout=10_000)
    assert not store.has_accounts()


def test_hostile_input_is_refused_and_nothing_written(qtbot, window, core_env) -> None:
    _bridge, core, _info = core_env
    panel = _open(qtbot, window)
    panel.name.setText("x" * 101)
    assert len(panel.name.text()) == 100  # the field itself stops at the limit
    cases = [
        ("Ann\x00", ["clerk"], "2468", "control"),
        ("<script>alert(1)</script>", ["clerk"], "2468", "< or >"),
        ("Ann\u202e", ["clerk"], "2468", "direction override"),
        ("Ann", [], "2468", "at least one role"),
        ("Ann", ["clerk"], "12", "4 to 12 digits"),
        ("Ann", ["clerk"], "12ab", "4 to 12 digits"),
    ]
    for name, roles, pin, why in cases:
        _fill(panel, name, roles, pin)
        _click(qtbot, panel.create_button)
        qtbot.waitUntil(lambda why=why: why in panel.status.text(), timeout=10_000)
        assert panel.status.text().startswith("Not created")
    # What a text field cannot carry, through the facade itself.
    for name in ("x" * 101, "\ud800Ann", "Ann\n2"):
        with pytest.raises(StaffError) as refused:
            core.create_staff(name, ["clerk"], "2468").result(10)
        assert refused.value.reason == "invalid"
    assert _staff(core).accounts() == []


def test_revoke_a_terminal_from_the_tab(qtbot, window, core_env) -> None:
    _bridge, core, _info = core_env
    store = _staff(core)
    ann = store.create("Ann", ["clerk"], pin="2468")
    terminal = store.open_session(ann.id, "terminal:floor-1")
    panel = _open(qtbot, window)
    panel.reload()
    qtbot.waitUntil(lambda: panel.people.rowCount() == 1, timeout=10_000)
    panel.people.selectRow(0)
    qtbot.waitUntil(lambda: panel.sessions.rowCount() == 1, timeout=10_000)
    assert panel.sessions.item(0, 0).text() == "terminal:floor-1"
    assert panel.revoke_button.isEnabled()
    _click(qtbot, panel.revoke_button)
    qtbot.waitUntil(lambda: "signed out" in panel.status.text(), timeout=10_000)
    assert not store.is_live(terminal.sid)
    assert store.session(terminal.sid).revoked_by == "owner"


def test_the_desktop_acts_as_the_person_signed_in(qtbot, window, core_env) -> None:
    bridge, core, _info = core_env
    store = _staff(core)
    store.create("Carl", ["clerk"], pin="1357")
    store.create("Ann", ["admin", "auctioneer"], pin="2468")
    assert core.actor == OWNER

    dialog = LoginDialog(bridge)
    qtbot.addWidget(dialog)
    dialog.name.setText("Carl")
    dialog.pin.setText("0000")
    _click(qtbot, dialog.ok)
    qtbot.waitUntil(lambda: "do not match" in dialog.error.text(), timeout=10_000)
    assert dialog.pin.text() == ""
    dialog.pin.setText("1357")
    _click(qtbot, dialog.ok)
    qtbot.waitUntil(lambda: dialog.signed_in is not None, timeout=10_000)
    assert (core.actor.name, core.actor.roles, core.actor.device) == ("st-1", ("clerk",), "desktop")

    # A clerk may not hammer, nor manage staff.
    answer = core.submit({"op": "open_lot", "lot": "1"}).result(10)
    assert not answer.ok
    assert answer.reason == "forbidden"
    with pytest.raises(NotAllowed, match="administrator"):
        core.create_staff("Eve", ["admin"], "9999")

    core.sign_out().result(10)
    core.sign_in("Ann", "2468").result(10)
    opened = core.submit({"op": "open_lot", "lot": "1"}).result(10)
    assert opened.ok, opened
    actor = opened.events[0].actor
    assert (actor["name"], actor["device"]) == ("st-2", "desktop")
    rows = core.staff_accounts().result(10)
    assert "$argon2" not in repr(rows)
    assert all("pin_hash" not in row for row in rows)


def test_first_admin_dialog(qtbot, core_env) -> None:
    bridge, core, _info = core_env
    dialog = FirstAdminDialog(bridge)
    qtbot.addWidget(dialog)
    dialog.name.setText("Owner Person")
    dialog.pin.setText("2468")
    dialog.again.setText("2469")
    _click(qtbot, dialog.create_button)
    assert dialog.error.text() == "The two PINs differ"
    dialog.again.setText("2468")
    _click(qtbot, dialog.create_button)
    qtbot.waitUntil(lambda: dialog.result() == FirstAdminDialog.DialogCode.Accepted, timeout=10_000)
    assert core.actor.name == "st-1"
    assert "admin" in core.actor.roles
    assert core.has_staff().result(10)
