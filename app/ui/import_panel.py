"""Catalogue import: choose a CSV and an images folder; non-modal progress; per-row report."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.catalogue_import import RowVerdict
from app.ui.widgets import item, plain, table


class ImportPanel(QWidget):
    """Emits `start(csv_path, images_dir)`; the window runs the job and feeds progress."""

    start = Signal(object, object)

    def __init__(self, dialogs: bool = True) -> None:
        super().__init__()
        self.dialogs = dialogs
        self.csv_path: Path | None = None
        self.images_dir: Path | None = None
        self.csv_label = plain("No file chosen", "importFile")
        self.images_label = plain("No images folder (optional)", "importImages")
        choose = QPushButton("Choose CSV…")
        choose.setObjectName("btn_choose_csv")
        choose.clicked.connect(self._choose_csv)
        folder = QPushButton("Images folder…")
        folder.setObjectName("btn_choose_images")
        folder.clicked.connect(self._choose_images)
        self.run = QPushButton("Import")
        self.run.setObjectName("btn_import")
        self.run.clicked.connect(self._run)
        self.bar = QProgressBar()
        self.bar.setObjectName("importProgress")
        self.bar.setVisible(False)
        self.summary = plain("", "importSummary")
        self.report = table(["Line", "Lot", "Result", "Reason"], "importReport")
        self.report.setColumnWidth(0, 50)
        self.report.setColumnWidth(2, 80)
        row = QHBoxLayout()
        row.addWidget(choose)
        row.addWidget(self.csv_label, 1)
        row.addWidget(folder)
        row.addWidget(self.images_label, 1)
        row.addWidget(self.run)
        col = QVBoxLayout(self)
        col.addWidget(
            plain(
                "Catalogue import — CSV columns: lot, title, description, low, "
                "high, start, reserve, image; images matched by lot number",
                "sectionTitle",
                wrap=True,
            )
        )
        col.addLayout(row)
        col.addWidget(self.bar)
        col.addWidget(self.summary)
        col.addWidget(self.report, 1)

    def set_sources(self, csv_path: Path | None, images_dir: Path | None) -> None:
        self.csv_path = csv_path
        self.images_dir = images_dir
        self.csv_label.setText(csv_path.name if csv_path else "No file chosen")
        self.images_label.setText(str(images_dir) if images_dir else "No images folder")

    def _choose_csv(self) -> None:
        if not self.dialogs:
            return
        name, _ = QFileDialog.getOpenFileName(self, "Catalogue CSV", "", "CSV (*.csv *.txt)")
        if name:
            self.set_sources(Path(name), self.images_dir)

    def _choose_images(self) -> None:
        if not self.dialogs:
            return
        name = QFileDialog.getExistingDirectory(self, "Images folder")
        if name:
            self.set_sources(self.csv_path, Path(name))

    def _run(self) -> None:
        if self.csv_path is None:
            self.summary.setText("Choose a CSV file first.")
            return
        self.begin()
        self.start.emit(self.csv_path, self.images_dir)

    def begin(self) -> None:
        self.run.setEnabled(False)
        self.bar.setVisible(True)
        self.bar.setRange(0, 0)
        self.summary.setText("Reading the catalogue…")
        self.report.setRowCount(0)

    def on_progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.summary.setText(f"Importing {done} of {total} lots…")

    def on_done(self, verdicts: list[RowVerdict]) -> None:
        self.run.setEnabled(True)
        self.bar.setVisible(False)
        good = sum(1 for v in verdicts if v.ok)
        bad = len(verdicts) - good
        self.summary.setText(f"{good} lots imported, {bad} rows refused")
        self.report.setRowCount(len(verdicts))
        for r, v in enumerate(verdicts):
            cells = [
                item(str(v.line)),
                item(v.lot),
                item("imported" if v.ok else "refused"),
                item(v.reason),
            ]
            for c, cell in enumerate(cells):
                if not v.ok:
                    cell.setForeground(QBrush(QColor("#b91c1c")))
                self.report.setItem(r, c, cell)

    def on_failed(self, message: str) -> None:
        self.run.setEnabled(True)
        self.bar.setVisible(False)
        self.summary.setText(f"Nothing imported: {message}")
