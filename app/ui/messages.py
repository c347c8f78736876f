"""Words to the bidders: a message (three quick ones or free text, to all online bidders or
one paddle), a session break (message and next start), and the seal of a closed sale."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from app.i18n import _
from app.ui.sale_forms import FormError, end_session_command, message_command
from app.ui.sale_settings import error_label
from app.ui.widgets import plain
from hub.auction import commands

JSON = dict[str, Any]


def quick_messages() -> tuple[str, ...]:
    """The registry's three quick messages (the same on the clerk page)."""
    return tuple(getattr(commands, "QUICK_MESSAGES", ()))


class MessageDialog(QDialog):
    """On Send, `command` holds the `message` command and the dialog is accepted."""

    def __init__(
        self, bidders: Sequence[Mapping[str, Any]], paddle: str = "", parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("messageDialog")
        self.setWindowTitle(_("Message to bidders"))
        self.bidders = list(bidders)
        self.command: JSON | None = None
        self.to_all = QRadioButton(_("All online bidders"))
        self.to_all.setObjectName("toAll")
        self.to_all.setChecked(True)
        self.to_one = QRadioButton(_("One paddle:"))
        self.to_one.setObjectName("toOne")
        self.paddle = QLineEdit()
        self.paddle.setObjectName("messagePaddle")
        self.paddle.setPlaceholderText(_("paddle"))
        self.paddle.textEdited.connect(lambda _t: self.to_one.setChecked(True))
        if paddle:  # a paddle typed on the console first: to that bidder
            self.paddle.setText(paddle)
            self.to_one.setChecked(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("messageText")
        self.text.setAccessibleName(_("Message"))
        self.text.setFixedHeight(90)
        self.quick: list[QPushButton] = []
        quick = QVBoxLayout()
        for n, words in enumerate(quick_messages(), start=1):
            words = _(words)  # the registry's English text, in the operator's language
            button = QPushButton(f"{n}. {words}")
            button.setObjectName(f"quick{n}")
            button.clicked.connect(lambda _c=False, w=words: self.text.setPlainText(w))
            self.quick.append(button)
            quick.addWidget(button)
        self.errors = error_label()
        send = QPushButton(_("Send"))
        send.setObjectName("sendMessage")
        send.setDefault(True)
        send.clicked.connect(self.submit)
        cancel = QPushButton(_("Cancel"))
        cancel.clicked.connect(self.reject)
        to = QHBoxLayout()
        to.addWidget(self.to_all)
        to.addWidget(self.to_one)
        to.addWidget(self.paddle)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(send)
        col = QVBoxLayout(self)
        col.addLayout(to)
        if self.quick:
            col.addWidget(plain(_("Quick messages"), "caption"))
            col.addLayout(quick)
        col.addWidget(plain(_("Message (journaled)"), "caption"))
        col.addWidget(self.text)
        col.addWidget(self.errors)
        col.addLayout(buttons)
        self.resize(520, 360)

    def build(self) -> JSON:
        paddle = self.paddle.text() if self.to_one.isChecked() else ""
        if self.to_one.isChecked() and not paddle.strip():
            raise FormError([_("Paddle: type the paddle to send to")])
        return message_command(self.text.toPlainText(), paddle, self.bidders)

    def submit(self) -> None:
        try:
            self.command = self.build()
        except FormError as exc:
            self.errors.setText("\n".join(exc.messages))
            return
        self.accept()


class EndSessionDialog(QDialog):
    """End the session: the message every screen shows, and when the next one starts."""

    def __init__(self, next_start: str = "", parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("endSession")
        self.setWindowTitle(_("End session"))
        self.command: JSON | None = None
        self.message = QPlainTextEdit(_("Thank you: the sale continues tomorrow."))
        self.message.setObjectName("sessionMessage")
        self.message.setFixedHeight(70)
        self.next_start = QLineEdit(next_start.replace("T", " "))
        self.next_start.setObjectName("nextStart")
        self.next_start.setPlaceholderText(_("YYYY-MM-DD HH:MM"))
        self.errors = error_label()
        ok = QPushButton(_("End session"))
        ok.setObjectName("endSessionOk")
        ok.clicked.connect(self.submit)
        cancel = QPushButton(_("Cancel"))
        cancel.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow(plain(_("Message")), self.message)
        form.addRow(plain(_("Next session starts")), self.next_start)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(ok)
        col = QVBoxLayout(self)
        col.addLayout(form)
        col.addWidget(self.errors)
        col.addLayout(buttons)

    def submit(self) -> None:
        try:
            self.command = end_session_command(self.message.toPlainText(), self.next_start.text())
        except FormError as exc:
            self.errors.setText("\n".join(exc.messages))
            return
        self.accept()


class SealDialog(QDialog):
    """The closed sale's seal: the journal head hash, selectable and copyable."""

    def __init__(self, sale: str, head: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("sealDialog")
        self.setWindowTitle(_("Sale {sale} closed").format(sale=sale))
        self.hash = QLineEdit(head)
        self.hash.setObjectName("sealHash")
        self.hash.setReadOnly(True)
        self.hash.setMinimumWidth(560)
        copy = QPushButton(_("Copy"))
        copy.setObjectName("copySeal")
        copy.clicked.connect(self.copy)
        ok = QPushButton(_("Close"))
        ok.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.hash, 1)
        row.addWidget(copy)
        col = QVBoxLayout(self)
        col.addWidget(
            plain(
                _(
                    "Sale {sale} is closed and its journal sealed. The seal is the hash of the "
                    "journal's last event: keep it (print it, mail it) to prove later that the "
                    "results were not changed (auctionmen journal verify)."
                ).format(sale=sale),
                "sealText",
                wrap=True,
            )
        )
        col.addLayout(row)
        col.addWidget(ok)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.hash.text())
