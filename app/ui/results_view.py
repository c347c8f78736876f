"""Results: every lot's outcome, and CSV export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.formatting import channel_label, format_money, status_label
from app.i18n import _
from app.state import ConsoleState
from app.ui.widgets import item, plain, table
from hub.backend.results import ResultRow, result_rows, results_csv


class ResultsView(QWidget):
    export_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.view = table(
            [_("Lot"), _("Title"), _("Result"), _("Hammer"), _("Paddle"), _("Channel")],
            "resultsTable",
        )
        self.summary = plain("", "resultsSummary")
        self.export = QPushButton(_("Export CSV…"))
        self.export.setObjectName("btn_export")
        self.export.clicked.connect(self.export_requested)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.export)
        col = QVBoxLayout(self)
        col.addWidget(plain(_("Results"), "sectionTitle"))
        col.addWidget(self.view, 1)
        col.addLayout(row)
        self.rows: list[ResultRow] = []

    def show_state(self, state: ConsoleState) -> None:
        self.rows = result_rows(state.lots.values(), state.currency)
        self.view.setRowCount(len(self.rows))
        total = 0
        for r, row in enumerate(self.rows):
            total += row["hammer"] or 0
            self.view.setItem(r, 0, item(str(row["lot"])))
            self.view.setItem(r, 1, item(str(row["title"])))
            self.view.setItem(r, 2, item(status_label(row["status"])))
            self.view.setItem(
                r,
                3,
                item(
                    format_money(row["hammer"], state.currency)
                    if row["hammer"] is not None
                    else "",
                    True,
                ),
            )
            self.view.setItem(r, 4, item(str(row["paddle"] or "")))
            self.view.setItem(r, 5, item(channel_label(row["channel"]) if row["channel"] else ""))
        sold = sum(1 for row in self.rows if row["status"] == "sold")
        self.summary.setText(
            _("{sold} sold · total hammer {amount}").format(
                sold=sold, amount=format_money(total, state.currency)
            )
        )

    def write_csv(self, path: Path) -> int:
        """Write the results to `path`; returns the number of rows."""
        path.write_text(results_csv(self.rows), "utf-8", newline="")
        return len(self.rows)
