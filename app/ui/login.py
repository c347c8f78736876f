"""Signing in on the desktop: the first admin account on first run (skippable), then a name
and PIN whenever the house has staff accounts. Once signed in, the desktop acts as that person
(their roles; the journal names their staff id and "desktop")."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from app.bridge import CoreBridge
from app.i18n import _
from app.ui.checkout import refusal
from app.ui.widgets import plain

JSON = dict[str, Any]


def _pin_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(12)
    field.setPlaceholderText(_("4 to 12 digits"))
    return field


class LoginDialog(QDialog):
    """Name and PIN; accepted once the stage has checked them (`signed_in` holds the account)."""

    def __init__(self, bridge: CoreBridge, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self.setWindowTitle(_("Sign in"))
        self.bridge = bridge
        self.signed_in: JSON | None = None
        self.name = QLineEdit()
        self.name.setObjectName("loginName")
        self.name.setMaxLength(100)
        self.pin = _pin_field("loginPin")
        self.error = plain("", "loginError", wrap=True)
        self.ok = QPushButton(_("Sign in"))
        self.ok.setObjectName("btn_sign_in")
        self.ok.setDefault(True)
        self.ok.clicked.connect(self.submit)
        form = QFormLayout()
        form.addRow(plain(_("Name")), self.name)
        form.addRow(plain(_("PIN")), self.pin)
        col = QVBoxLayout(self)
        col.addWidget(plain(_("This house has staff accounts: sign in to work the sale.")))
        col.addLayout(form)
        col.addWidget(self.error)
        col.addWidget(self.ok)

    def submit(self) -> None:
        who, pin = self.name.text(), self.pin.text()
        self.ok.setEnabled(False)
        self.bridge.run(lambda core: core.sign_in(who, pin), self._signed_in, self._refused)

    def _signed_in(self, account: JSON) -> None:
        self.signed_in = account
        self.ok.setEnabled(True)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        self.pin.clear()
        self.error.setText(refusal(_("Not signed in"), exc))
        self.pin.setFocus()


class FirstAdminDialog(QDialog):
    """First run: create the first administrator (skippable: the desktop then stays the
    owner, with every role, and terminals pair with the stage PIN)."""

    def __init__(self, bridge: CoreBridge, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstAdminDialog")
        self.setWindowTitle(_("Create the first administrator"))
        self.bridge = bridge
        self.created: JSON | None = None
        self.name = QLineEdit()
        self.name.setObjectName("adminName")
        self.name.setMaxLength(100)
        self.pin = _pin_field("adminPin")
        self.again = _pin_field("adminPinAgain")
        self.error = plain("", "adminError", wrap=True)
        self.create_button = QPushButton(_("Create and sign in"))
        self.create_button.setObjectName("btn_create_admin")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.submit)
        self.skip = QPushButton(_("Skip for now"))
        self.skip.setObjectName("btn_skip_admin")
        self.skip.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow(plain(_("Your name")), self.name)
        form.addRow(plain(_("PIN")), self.pin)
        form.addRow(plain(_("PIN again")), self.again)
        buttons = QHBoxLayout()
        buttons.addWidget(self.skip)
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)
        col = QVBoxLayout(self)
        col.addWidget(
            plain(
                _(
                    "Staff accounts name who does what in the journal and give each clerk their "
                    "own PIN. Create the first administrator now, or skip and add staff later "
                    "(Staff tab)."
                ),
                wrap=True,
            )
        )
        col.addLayout(form)
        col.addWidget(self.error)
        col.addLayout(buttons)

    def submit(self) -> None:
        name, pin = self.name.text(), self.pin.text()
        if pin != self.again.text():
            self.error.setText(_("The two PINs differ"))
            return
        self.create_button.setEnabled(False)

        def made(account: JSON) -> None:
            self.created = account
            self.bridge.run(
                lambda core: core.sign_in(str(account["id"]), pin),
                lambda _a: self.accept(),
                self._refused,
            )

        self.bridge.run(
            lambda core: core.create_staff(name, ["admin", "auctioneer"], pin), made, self._refused
        )

    def _refused(self, exc: BaseException) -> None:
        self.create_button.setEnabled(True)
        self.error.setText(refusal(_("Not created"), exc))
