"""The officer's tab: suspicious-activity notes (issue 13).

Only for the money-laundering reporting officer: the window adds the tab for a person holding
the `officer` role, and the store behind the facade refuses anyone else anyway (the refusal is
shown here in words). A note names a paddle; its text stays in the officer's own file and the
sale's journal records only its reference. Nothing here is ever shown to a bidder.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.bridge import CoreBridge
from app.i18n import N_, _
from app.ui.widgets import item, plain, table
from hub.auction.events import Actor

JSON = dict[str, Any]
STATUSES = ("open", "reported", "closed")
STATUS_LABELS = {"open": N_("open"), "reported": N_("reported"), "closed": N_("closed")}


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


class OfficerPanel(QWidget):
    def __init__(self, bridge: CoreBridge, actor: Callable[[], Actor]) -> None:
        super().__init__()
        self.bridge = bridge
        self.actor = actor
        self.notes: list[JSON] = []
        self.view = table(
            [_("Note"), _("Paddle"), _("Status"), _("By"), _("Written"), _("Text")], "officerNotes"
        )
        self.paddle = QLineEdit()
        self.paddle.setObjectName("officerPaddle")
        self.paddle.setPlaceholderText(_("Paddle"))
        self.paddle.setMaxLength(32)
        self.text = QPlainTextEdit()
        self.text.setObjectName("officerText")
        self.text.setPlaceholderText(_("What was seen, when, by whom (never shown to the bidder)"))
        self.text.setMaximumHeight(90)
        self.write = QPushButton(_("Write note"))
        self.write.setObjectName("officerWrite")
        self.status = QComboBox()
        self.status.setObjectName("officerStatus")
        for status in STATUSES:
            self.status.addItem(_(STATUS_LABELS[status]), status)
        self.comment = QLineEdit()
        self.comment.setObjectName("officerComment")
        self.comment.setPlaceholderText(_("Comment (e.g. the FIU's case number)"))
        self.comment.setMaxLength(500)
        self.apply_status = QPushButton(_("Set status"))
        self.apply_status.setObjectName("officerMove")
        self.message = plain("", "officerMessage", wrap=True)

        new = QGroupBox(_("New note"))
        form = QVBoxLayout(new)
        form.addWidget(self.paddle)
        form.addWidget(self.text)
        form.addWidget(self.write)
        change = QGroupBox(_("Selected note"))
        row = QHBoxLayout(change)
        row.addWidget(self.status)
        row.addWidget(self.comment, 1)
        row.addWidget(self.apply_status)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(change)
        layout.addWidget(new)
        layout.addWidget(self.message)
        self.write.clicked.connect(self._write)
        self.apply_status.clicked.connect(self._move)

    def refresh(self) -> None:
        who = self.actor()
        self.bridge.run(lambda core: core.suspicion_notes(who), self.show_notes, self._refused)

    def show_notes(self, notes: list[JSON]) -> None:
        self.notes = notes
        self.view.setRowCount(len(notes))
        for r, note in enumerate(notes):
            cells = (
                note["reference"],
                note["paddle"],
                note["status"],
                note["by"],
                _when(note["at"]),
                note["text"].replace("\n", " "),
            )
            for c, text in enumerate(cells):
                self.view.setItem(r, c, item(str(text)))

    def _write(self) -> None:
        who, paddle, text = self.actor(), self.paddle.text(), self.text.toPlainText()
        self.bridge.run(
            lambda core: core.note_suspicion(who, paddle, text), self._written, self._refused
        )

    def _written(self, note: JSON) -> None:
        self.text.clear()
        self.message.setText(
            _("{reference} written; the journal records its reference").format(
                reference=note["reference"]
            )
        )
        self.refresh()

    def _move(self) -> None:
        row = self.view.currentRow()
        if not 0 <= row < len(self.notes):
            self.message.setText(_("Select a note first"))
            return
        who, ref = self.actor(), self.notes[row]["reference"]
        status, comment = str(self.status.currentData()), self.comment.text()
        self.bridge.run(
            lambda core: core.set_note_status(who, ref, status, comment), self._moved, self._refused
        )

    def _moved(self, note: JSON) -> None:
        self.comment.clear()
        self.message.setText(
            _("{reference} is {status}").format(reference=note["reference"], status=note["status"])
        )
        self.refresh()

    def _refused(self, exc: BaseException) -> None:
        self.message.setText(_("Refused: {exc}").format(exc=exc))
