"""The lot list with states, and the sale's progress (lots per hour, ETA, total hammer)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.formatting import format_duration, format_money, status_label
from app.i18n import _
from app.progress import compute_progress, hammer_amount
from app.state import ConsoleState
from app.ui.widgets import item, plain, table

ROW_COLORS = {
    "open": "#dbeafe",
    "fair_warning": "#fef3c7",
    "sold": "#dcfce7",
    "passed": "#f3f4f6",
    "withdrawn": "#f3f4f6",
}


class LotList(QWidget):
    """Every lot in catalogue order. Double-click a waiting lot to open it; Edit, Add and
    Re-offer act on the selected lot (the main window opens the forms)."""

    open_requested = Signal(str)
    edit_requested = Signal(str)
    add_requested = Signal()
    reoffer_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.view = table([_("Lot"), _("Title"), _("State"), _("Hammer")], "lotList")
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 36), (2, 74), (3, 72)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.view.setColumnWidth(column, width)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setWordWrap(True)
        # Never narrower than a readable title (~100 px) beside the three short columns.
        self.setMinimumWidth(280)
        self.view.cellDoubleClicked.connect(self._double_clicked)
        self.progress = ProgressPanel()
        self.edit_button = QPushButton(_("Edit…"))
        self.edit_button.setObjectName("editLot")
        self.edit_button.clicked.connect(lambda: self._selected(self.edit_requested))
        self.add_button = QPushButton(_("Add lot…"))
        self.add_button.setObjectName("addLot")
        self.add_button.clicked.connect(self.add_requested.emit)
        self.reoffer_button = QPushButton(_("Re-offer…"))
        self.reoffer_button.setObjectName("reofferLot")
        self.reoffer_button.clicked.connect(lambda: self._selected(self.reoffer_requested))
        actions = QHBoxLayout()
        for button in (self.edit_button, self.add_button, self.reoffer_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space must stay a bid
            actions.addWidget(button)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(plain(_("Lots"), "sectionTitle"))
        col.addWidget(self.view, 1)
        col.addLayout(actions)
        col.addWidget(self.progress)
        self._ids: list[str] = []

    def show_state(self, state: ConsoleState) -> None:
        lots = state.ordered()
        self._ids = [str(lot["id"]) for lot in lots]
        self.view.setRowCount(len(lots))
        current = state.current_id
        for r, lot in enumerate(lots):
            status = str(lot.get("status") or "")
            cells = [
                item(str(lot.get("id"))),
                item(str(lot.get("title") or "")),
                item(_("Subject to") if _provisional(lot) else status_label(status)),
                item(
                    format_money(hammer_amount(lot), state.currency) if status == "sold" else "",
                    True,
                ),
            ]
            color = ROW_COLORS.get(status)
            for c, cell in enumerate(cells):
                if color:
                    cell.setBackground(QBrush(QColor(color)))
                if str(lot.get("id")) == current:
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
                self.view.setItem(r, c, cell)
        self.progress.show_state(state)
        closed = state.sale.get("status") == "closed"
        for button in (self.edit_button, self.add_button, self.reoffer_button):
            button.setEnabled(not closed)

    def selected_id(self) -> str | None:
        row = self.view.currentRow()
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def select(self, lot_id: str) -> None:
        if lot_id in self._ids:
            self.view.selectRow(self._ids.index(lot_id))

    def _selected(self, signal: Any) -> None:
        lot_id = self.selected_id()
        if lot_id is not None:
            signal.emit(lot_id)

    def _double_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._ids):
            self.open_requested.emit(self._ids[row])


def _provisional(lot: dict[str, Any]) -> bool:
    """Sold below the reserve, waiting for the vendor's answer."""
    return lot.get("status") == "sold" and bool((lot.get("hammer") or {}).get("subject_to"))


class ProgressPanel(QFrame):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("progressPanel")
        self.bar = QProgressBar()
        self.bar.setObjectName("saleProgress")
        self.bar.setTextVisible(True)
        self.done = plain("", "progressDone")
        self.pace = plain("", "progressPace")
        self.eta = plain("", "progressEta")
        self.total = plain("", "progressTotal")
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 8, 8, 8)
        grid.addWidget(self.bar, 0, 0, 1, 2)
        grid.addWidget(self.done, 1, 0)
        grid.addWidget(self.pace, 1, 1)
        grid.addWidget(self.total, 2, 0)
        grid.addWidget(self.eta, 2, 1)

    def show_state(self, state: ConsoleState, now: float | None = None) -> Any:
        p = compute_progress(state.lots.values(), state.started_at, now or time.time())
        self.bar.setRange(0, max(p.total, 1))
        self.bar.setValue(p.done)
        self.bar.setFormat(_("{done} of {total} lots").format(done=p.done, total=p.total))
        if p.sell_through is None:
            text = _("{sold} sold · {passed} passed")
        else:
            text = _("{sold} sold · {passed} passed · {rate:.0%} sold")
        self.done.setText(text.format(sold=p.sold, passed=p.passed, rate=p.sell_through))
        self.pace.setText(
            _("{lots_per_hour:.0f} lots/h").format(lots_per_hour=p.lots_per_hour)
            if p.lots_per_hour
            else _("— lots/h")
        )
        self.eta.setText(_("ETA {duration}").format(duration=format_duration(p.eta_seconds)))
        self.total.setText(
            _("Total {amount}").format(amount=format_money(p.total_hammer, state.currency))
        )
        return p
