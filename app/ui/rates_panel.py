"""The room display's currency board, from the app: import the European Central Bank's daily
reference rates (its XML file) and see their date and how long the house shows them.

The file is read and checked by `hub/backend/rates.py` (off the UI thread, through the
facade); a refused file changes nothing and says why.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout

from app.facade import RatesInfo
from app.i18n import _
from app.ui.widgets import plain


def rates_text(info: RatesInfo | None, today: dt.date) -> tuple[str, bool]:
    """What the panel says about the rates, and whether the board shows them today."""
    if info is None:
        return _("No rates imported: the room display shows no currency board."), False
    age = (today - info.date).days
    when = _("Rates of {date} ({n} currencies), {age} days old.").format(
        date=info.date.isoformat(), n=info.currencies, age=max(age, 0)
    )
    if 0 <= age <= info.max_age_days:
        shown = _("The room display shows them up to {days} days old.").format(
            days=info.max_age_days
        )
        return f"{when} {shown}", True
    hidden = _("Older than the house allows ({days} days): the currency board is hidden.").format(
        days=info.max_age_days
    )
    return f"{when} {hidden}", False


class RatesPanel(QGroupBox):
    """Shows the rates' date and age; "Import rates…" asks the window to import a file."""

    import_requested = Signal(object)  # the chosen file's Path

    def __init__(self, dialogs: bool = True) -> None:
        super().__init__(_("Currency board (room display)"))
        self.setObjectName("ratesPanel")
        self.dialogs = dialogs
        self.status = plain("", "ratesStatus", wrap=True)
        self.button = QPushButton(_("Import rates (ECB XML)…"))
        self.button.setObjectName("btn_import_rates")
        self.button.setToolTip(_("The European Central Bank's daily reference rates file"))
        self.button.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addStretch(1)
        col = QVBoxLayout(self)
        col.addWidget(self.status)
        col.addLayout(row)
        self.fresh = False
        self.show_rates(None, dt.date.today())

    def show_rates(self, info: RatesInfo | None, today: dt.date) -> None:
        text, self.fresh = rates_text(info, today)
        self.status.setText(text)
        self.status.setProperty("error", not self.fresh)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def show_error(self, message: str) -> None:
        self.status.setText(_("Rates not imported: {message}").format(message=message))
        self.status.setProperty("error", True)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def _choose(self) -> None:
        if not self.dialogs:
            return
        name, _filter = QFileDialog.getOpenFileName(
            self, _("ECB reference rates"), "", _("ECB rates (*.xml);;All files (*)")
        )
        if name:
            self.import_requested.emit(Path(name))
