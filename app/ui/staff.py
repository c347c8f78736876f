"""The Staff tab: who may work the sale, with which roles, and where they are signed in.

Accounts (name, roles, PIN) live in the stage's staff.db; the tab never sees a hash. An admin
creates people, edits their roles, resets a PIN, deactivates an account, and revokes a
terminal's session: the terminal's next request is refused and its page shows "Signed out".
Every operation runs through the facade; the store checks every field (a refused one says why
and changes nothing).
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.bridge import CoreBridge
from app.i18n import _
from app.ui.checkout import fit_columns, refusal
from app.ui.widgets import item, plain, table
from hub.auction.roles import LABELS, STAFF_ROLES

JSON = dict[str, Any]


def when(stamp: float) -> str:
    return time.strftime("%d %b %H:%M", time.localtime(stamp))


class StaffPanel(QWidget):
    """The Staff tab."""

    notice = Signal(str)

    def __init__(self, bridge: CoreBridge) -> None:
        super().__init__()
        self.setObjectName("staffPanel")
        self.bridge = bridge
        self.rows: list[JSON] = []
        self.people = table(
            [_("Id"), _("Name"), _("Roles"), _("Active"), _("Signed in")], "staffTable"
        )
        fit_columns(self.people, 2)
        self.people.itemSelectionChanged.connect(self._selected)
        self.sessions = table([_("Device"), _("Since"), _("Until")], "sessionTable")
        fit_columns(self.sessions, 0)
        self.name = QLineEdit()
        self.name.setObjectName("staffName")
        self.name.setMaxLength(100)
        self.pin = QLineEdit()
        self.pin.setObjectName("staffPin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(12)
        self.pin.setPlaceholderText(_("4 to 12 digits"))
        self.role_boxes: dict[str, QCheckBox] = {}
        roles = QHBoxLayout()
        for role in STAFF_ROLES:
            box = QCheckBox(_(LABELS[role]))
            box.setObjectName(f"role_{role}")
            self.role_boxes[role] = box
            roles.addWidget(box)
        roles.addStretch(1)
        form = QFormLayout()
        form.addRow(plain(_("Name")), self.name)
        form.addRow(plain(_("Roles")), roles)
        form.addRow(plain(_("PIN")), self.pin)
        self.create_button = self._button(_("Create"), "btn_staff_create", self.create_account)
        self.save_button = self._button(_("Save name and roles"), "btn_staff_save", self.save)
        self.pin_button = self._button(_("Reset PIN"), "btn_staff_pin", self.reset_pin)
        self.deactivate_button = self._button(_("Deactivate"), "btn_staff_off", self.deactivate)
        self.revoke_button = self._button(_("Revoke"), "btn_revoke", self.revoke)
        buttons = QHBoxLayout()
        for button in (
            self.create_button,
            self.save_button,
            self.pin_button,
            self.deactivate_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        session_row = QHBoxLayout()
        session_row.addWidget(plain(_("Sessions of the selected person"), "sectionTitle"))
        session_row.addStretch(1)
        session_row.addWidget(self.revoke_button)
        self.status = plain("", "staffStatus", wrap=True)
        col = QVBoxLayout(self)
        col.addWidget(plain(_("Staff accounts"), "sectionTitle"))
        col.addWidget(self.people, 2)
        col.addLayout(form)
        col.addLayout(buttons)
        col.addLayout(session_row)
        col.addWidget(self.sessions, 1)
        col.addWidget(self.status)

    def _button(self, text: str, name: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    # -- reading -------------------------------------------------------------------------------

    def reload(self) -> None:
        self.bridge.run(lambda core: core.staff_accounts(), self.show_accounts, self._failed)

    def show_accounts(self, rows: list[JSON]) -> None:
        keep = self.selected_id()
        self.rows = rows
        self.people.setRowCount(len(rows))
        for r, row in enumerate(rows):
            roles = ", ".join(_(LABELS.get(role, role)) for role in row["roles"])
            self.people.setItem(r, 0, item(str(row["id"])))
            self.people.setItem(r, 1, item(str(row["name"])))
            self.people.setItem(r, 2, item(roles))
            self.people.setItem(r, 3, item("yes" if row["active"] else "no"))
            self.people.setItem(r, 4, item(str(len(row["sessions"])), True))
            if row["id"] == keep:
                self.people.selectRow(r)
        if not rows:
            self.status.setText(
                _("No staff accounts: the desktop acts as the owner, with every role.")
            )
        self._selected()

    def selected_id(self) -> str | None:
        row = self._row()
        return str(row["id"]) if row else None

    def _row(self) -> JSON | None:
        picked = self.people.selectionModel().selectedRows() if self.people.model() else []
        if not picked or picked[0].row() >= len(self.rows):
            return None
        return self.rows[picked[0].row()]

    def _selected(self) -> None:
        row = self._row()
        sessions = row["sessions"] if row else []
        self.sessions.setRowCount(len(sessions))
        for r, session in enumerate(sessions):
            self.sessions.setItem(r, 0, item(str(session["device"])))
            self.sessions.setItem(r, 1, item(when(float(session["created"]))))
            self.sessions.setItem(r, 2, item(when(float(session["expires"]))))
        if row:
            self.name.setText(str(row["name"]))
            for role, box in self.role_boxes.items():
                box.setChecked(role in row["roles"])
        for button in (self.save_button, self.pin_button, self.deactivate_button):
            button.setEnabled(row is not None and bool(row["active"]))
        self.revoke_button.setEnabled(bool(sessions))

    def chosen_roles(self) -> list[str]:
        return [role for role, box in self.role_boxes.items() if box.isChecked()]

    # -- changes ---------------------------------------------------------------------------------

    def create_account(self) -> None:
        name, roles, pin = self.name.text(), self.chosen_roles(), self.pin.text()
        self.bridge.run(
            lambda core: core.create_staff(name, roles, pin),
            lambda account: self._done(
                _("{name} is {id}").format(name=account["name"], id=account["id"])
            ),
            lambda exc: self._say(refusal(_("Not created"), exc)),
        )

    def save(self) -> None:
        staff_id = self.selected_id()
        if staff_id is None:
            return
        name, roles = self.name.text(), self.chosen_roles()
        self.bridge.run(
            lambda core: core.update_staff(staff_id, name, roles),
            lambda account: self._done(_("{id} saved").format(id=account["id"])),
            lambda exc: self._say(refusal(_("Not saved"), exc)),
        )

    def reset_pin(self) -> None:
        staff_id, pin = self.selected_id(), self.pin.text()
        if staff_id is None:
            return
        self.bridge.run(
            lambda core: core.reset_pin(staff_id, pin),
            lambda _none: self._done(_("new PIN set for {staff_id}").format(staff_id=staff_id)),
            lambda exc: self._say(refusal(_("PIN not changed"), exc)),
        )

    def deactivate(self) -> None:
        staff_id = self.selected_id()
        if staff_id is None:
            return
        self.bridge.run(
            lambda core: core.deactivate_staff(staff_id),
            lambda sids: self._done(
                _("{staff_id} deactivated; {n_sids} session(s) ended").format(
                    staff_id=staff_id, n_sids=len(sids)
                )
            ),
            lambda exc: self._say(refusal(_("Not deactivated"), exc)),
        )

    def revoke(self) -> None:
        row = self._row()
        picked = self.sessions.selectionModel().selectedRows()
        if row is None or not row["sessions"]:
            return
        index = picked[0].row() if picked else 0
        session = row["sessions"][index]
        self.bridge.run(
            lambda core: core.revoke_session(str(session["sid"])),
            lambda _ok: self._done(_("{device} signed out").format(device=session["device"])),
            lambda exc: self._say(refusal(_("Not revoked"), exc)),
        )

    def _done(self, text: str) -> None:
        self.pin.clear()
        self._say(text)
        self.reload()

    def _failed(self, exc: BaseException) -> None:
        self._say(refusal(_("Staff"), exc))

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.notice.emit(text)
