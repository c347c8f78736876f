"""Commission (absentee) bids: the book of every lot, entered at the desk before a lot opens.

The engine executes them (at the lowest amount needed, equal maxima to the earliest); this tab
only enters and cancels them, and shows what is booked.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.formatting import format_money, parse_money, status_label
from app.i18n import _
from app.state import ConsoleState
from app.ui.widgets import item, plain, table

JSON = dict[str, Any]


def commission_rows(state: ConsoleState) -> list[JSON]:
    """Every commission bid in catalogue order, then arrival order, with the bidder's name."""
    names = {str(b.get("paddle")): str(b.get("name") or "") for b in state.bidders}
    rows = []
    for lot in state.ordered():
        for book in sorted(lot.get("books") or (), key=lambda b: b.get("order") or 0):
            paddle = str(book.get("paddle"))
            rows.append(
                {
                    "lot": str(lot["id"]),
                    "title": str(lot.get("title") or ""),
                    "status": str(lot.get("status") or ""),
                    "paddle": paddle,
                    "name": names.get(paddle, ""),
                    "max": book.get("max"),
                    "order": book.get("order"),
                }
            )
    return rows


class CommissionsPanel(QWidget):
    command = Signal(object)
    notice = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.view = table(
            [_("Lot"), _("Title"), _("Lot state"), _("Paddle"), _("Name"), _("Maximum")],
            "commissionList",
        )
        self.lot = QComboBox()
        self.lot.setObjectName("commissionLotBox")
        self.lot.setMinimumWidth(220)
        self.paddle = QLineEdit()
        self.paddle.setObjectName("commissionPaddleEdit")
        self.paddle.setPlaceholderText(_("paddle"))
        self.paddle.setMaximumWidth(90)
        self.maximum = QLineEdit()
        self.maximum.setObjectName("commissionMaxEdit")
        self.maximum.setPlaceholderText(_("maximum"))
        self.add = QPushButton(_("Add commission bid"))
        self.add.setObjectName("btn_add_commission")
        self.add.clicked.connect(self._add)
        self.maximum.returnPressed.connect(self._add)
        self.paddle.returnPressed.connect(self._add)
        self.cancel = QPushButton(_("Cancel selected"))
        self.cancel.setObjectName("btn_cancel_commission")
        self.cancel.clicked.connect(self._cancel)
        box = QGroupBox(_("Enter a commission bid (before the lot opens)"))
        line = QHBoxLayout(box)
        for w in (self.lot, self.paddle, self.maximum, self.add):
            line.addWidget(w)
        line.addStretch(1)
        col = QVBoxLayout(self)
        col.addWidget(plain(_("Commission bids"), "sectionTitle"))
        col.addWidget(self.view, 1)
        col.addWidget(self.cancel)
        col.addWidget(box)
        self.rows: list[JSON] = []
        self.currency = "EUR"

    def show_state(self, state: ConsoleState) -> None:
        self.currency = state.currency
        self.rows = commission_rows(state)
        self.view.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            cells = (
                row["lot"],
                row["title"],
                status_label(row["status"]),
                row["paddle"],
                row["name"],
                format_money(row["max"], self.currency),
            )
            for c, text in enumerate(cells):
                self.view.setItem(r, c, item(text, align_right=c == 5))
        chosen = self.lot.currentData()
        self.lot.blockSignals(True)
        self.lot.clear()
        for lot in state.ordered():
            if lot.get("status") == "pending":
                self.lot.addItem(f"{lot['id']} — {lot.get('title') or ''}", str(lot["id"]))
        if chosen is not None and self.lot.findData(chosen) >= 0:
            self.lot.setCurrentIndex(self.lot.findData(chosen))
        self.lot.blockSignals(False)

    def _add(self) -> None:
        lot = self.lot.currentData()
        paddle = self.paddle.text().strip()
        if lot is None:
            self.notice.emit(_("No lot is waiting: commission bids close when a lot opens."))
            return
        if not paddle:
            self.notice.emit(_("Which paddle? Register the bidder on the Bidders tab first."))
            return
        try:
            maximum = parse_money(self.maximum.text().strip(), self.currency)
        except ValueError as exc:
            self.notice.emit(_("Commission bid not entered: {exc}").format(exc=exc))
            return
        self.maximum.clear()
        self.command.emit({"op": "absentee_bid", "lot": lot, "paddle": paddle, "max": maximum})

    def _cancel(self) -> None:
        row = self.view.currentRow()
        if not 0 <= row < len(self.rows):
            self.notice.emit(_("Select a commission bid first."))
            return
        chosen = self.rows[row]
        self.command.emit(
            {"op": "cancel_absentee", "lot": chosen["lot"], "paddle": chosen["paddle"]}
        )
