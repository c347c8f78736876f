"""The increment ladder: rows of (from, increment) edited in major units."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.formatting import format_money, parse_money
from app.i18n import _
from app.ui.widgets import plain
from hub.auction.ladder import STANDARD, Ladder, LadderError


def ladder_from_cells(cells: list[tuple[str, str]], currency: str) -> list[list[int]]:
    """Editor rows (major units, as typed) → ladder rows in minor units. Raises ValueError."""
    rows: list[tuple[int, int]] = []
    for n, (start, step) in enumerate(cells, start=1):
        if not start.strip() and not step.strip():
            continue
        try:
            rows.append((parse_money(start or "0", currency), parse_money(step, currency)))
        except ValueError as exc:
            raise ValueError(_("row {n}: {exc}").format(n=n, exc=exc)) from exc
    rows.sort()
    try:
        return Ladder.of(rows).to_json()
    except LadderError as exc:
        raise ValueError(str(exc)) from exc


class LadderEditor(QWidget):
    command = Signal(object)
    notice = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.currency = "EUR"
        self.view = QTableWidget(0, 2)
        self.view.setObjectName("ladderTable")
        self.view.setAccessibleName(_("Increment ladder"))
        self.view.setHorizontalHeaderLabels([_("From"), _("Increment")])
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.verticalHeader().setVisible(False)
        add = QPushButton(_("Add row"))
        add.setObjectName("btn_ladder_add")
        remove = QPushButton(_("Remove row"))
        remove.setObjectName("btn_ladder_remove")
        standard = QPushButton(_("Standard ladder"))
        standard.setObjectName("btn_ladder_standard")
        self.save = QPushButton(_("Save ladder"))
        self.save.setObjectName("btn_ladder_save")
        add.clicked.connect(lambda: self._append("", ""))
        remove.clicked.connect(self._remove)
        standard.clicked.connect(lambda: self.show_rows(STANDARD.to_json(), self.currency))
        self.save.clicked.connect(self._save)
        row = QHBoxLayout()
        for b in (add, remove, standard):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.save)
        col = QVBoxLayout(self)
        col.addWidget(plain(_("Increment ladder (applies between lots)"), "sectionTitle"))
        col.addWidget(self.view, 1)
        col.addLayout(row)

    def show_rows(self, rows: list[Any], currency: str) -> None:
        self.currency = currency
        self.view.setRowCount(0)
        # With the currency and separators ("€1,000"): read at a glance, and typed back as is.
        for start, step in rows:
            self._append(format_money(int(start), currency), format_money(int(step), currency))

    def _append(self, start: str, step: str) -> None:
        r = self.view.rowCount()
        self.view.insertRow(r)
        self.view.setItem(r, 0, QTableWidgetItem(start))
        self.view.setItem(r, 1, QTableWidgetItem(step))

    def _remove(self) -> None:
        r = self.view.currentRow()
        if r >= 0:
            self.view.removeRow(r)

    def cells(self) -> list[tuple[str, str]]:
        out = []
        for r in range(self.view.rowCount()):
            a, b = self.view.item(r, 0), self.view.item(r, 1)
            out.append((a.text() if a else "", b.text() if b else ""))
        return out

    def _save(self) -> None:
        try:
            rows = ladder_from_cells(self.cells(), self.currency)
        except ValueError as exc:
            self.notice.emit(_("Ladder not saved: {exc}").format(exc=exc))
            return
        self.command.emit({"op": "configure", "settings": {"ladder": rows}})
