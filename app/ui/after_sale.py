"""After the hammer: lots sold "subject to" the vendor, with Vendor accepts / declines
(`resolve_subject_to`) while the window lasts."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QPushButton, QVBoxLayout, QWidget

from app.formatting import format_duration, format_money
from app.i18n import _
from app.state import ConsoleState
from app.ui.sale_forms import subject_to_lots
from app.ui.sale_settings import error_label
from app.ui.widgets import item, plain, table


class SubjectToPanel(QWidget):
    """Emits `resolve(lot id, accept)`."""

    resolve = Signal(str, bool)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("subjectTo")
        self.view = table(
            [_("Lot"), _("Title"), _("Hammer"), _("Reserve"), _("Buyer"), _("Answer within")],
            "subjectToList",
        )
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 60), (2, 110), (3, 110), (4, 80), (5, 120)):
            self.view.setColumnWidth(column, width)
        self.accept_button = QPushButton(_("Vendor accepts"))
        self.accept_button.setObjectName("vendorAccepts")
        self.accept_button.clicked.connect(lambda: self._resolve(True))
        self.decline_button = QPushButton(_("Vendor declines"))
        self.decline_button.setObjectName("vendorDeclines")
        self.decline_button.clicked.connect(lambda: self._resolve(False))
        self.errors = error_label()
        self._ids: list[str] = []
        buttons = QHBoxLayout()
        buttons.addWidget(self.errors, 1)
        buttons.addWidget(self.decline_button)
        buttons.addWidget(self.accept_button)
        col = QVBoxLayout(self)
        col.addWidget(
            plain(
                _(
                    "Lots sold below the reserve, subject to the vendor's approval: accepted stays "
                    "sold, declined is passed."
                ),
                "sectionTitle",
                wrap=True,
            )
        )
        col.addWidget(self.view, 1)
        col.addLayout(buttons)

    def show_state(self, state: ConsoleState, now: float | None = None) -> None:
        lots = subject_to_lots(state.lots.values())
        window = float(state.settings.get("subject_to_window") or 0)
        now = time.time() if now is None else now
        self._ids = [str(lot["id"]) for lot in lots]
        self.view.setRowCount(len(lots))
        for r, lot in enumerate(lots):
            hammer: Any = lot.get("hammer") or {}
            cells = [
                str(lot.get("id")),
                str(lot.get("title") or ""),
                format_money(hammer.get("amount"), state.currency),
                format_money(lot.get("reserve"), state.currency),
                str(hammer.get("paddle") or "—"),
                _left(float(hammer.get("at") or now) + window - now) if window else "—",
            ]
            for c, text in enumerate(cells):
                self.view.setItem(r, c, item(text, c in (2, 3, 5)))
        has = bool(lots)
        self.accept_button.setEnabled(has)
        self.decline_button.setEnabled(has)

    def _resolve(self, accept: bool) -> None:
        row = self.view.currentRow()
        if not (0 <= row < len(self._ids)):
            self.errors.setText(_("Choose a lot first"))
            return
        self.errors.setText("")
        self.resolve.emit(self._ids[row], accept)


def _left(seconds: float) -> str:
    """Time left for the vendor's answer ("1h 05m"), or "too late"."""
    return format_duration(seconds) if seconds > 0 else _("too late")
