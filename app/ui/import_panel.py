"""Catalogue import: choose a CSV or .xlsx file and an images folder; check it first (a dry run
that lists what would be added, changed and refused), then import with progress and a cancel;
a per-row report either way."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.catalogue_import import ImportPlan, RowVerdict
from app.i18n import N_, _
from app.ui.widgets import item, plain, table

RED = "#b91c1c"
# What a verdict's action is called after an import, and in a dry run.
DONE_LABELS = {
    "add": N_("imported"),
    "edit": N_("changed"),
    "same": N_("unchanged"),
    "refuse": N_("refused"),
    "cancel": N_("not run"),
}
DRY_LABELS = {
    "add": N_("would add"),
    "edit": N_("would change"),
    "same": N_("unchanged"),
    "refuse": N_("refused"),
}
MAX_REASON = 200


class ImportPanel(QWidget):
    """Emits `start(path, images_dir)` and `preview(path, images_dir)`; the window runs the
    job (passing `reason()` and `cancel_event`) and feeds progress and the outcome back."""

    start = Signal(object, object)
    preview = Signal(object, object)

    def __init__(self, dialogs: bool = True) -> None:
        super().__init__()
        self.dialogs = dialogs
        self.csv_path: Path | None = None
        self.images_dir: Path | None = None
        self.cancel_event = threading.Event()
        self.csv_label = plain(_("No file chosen"), "importFile")
        self.images_label = plain(_("No images folder (optional)"), "importImages")
        choose = QPushButton(_("Choose file…"))
        choose.setObjectName("btn_choose_csv")
        choose.clicked.connect(self._choose_csv)
        folder = QPushButton(_("Images folder…"))
        folder.setObjectName("btn_choose_images")
        folder.clicked.connect(self._choose_images)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("importReason")
        self.reason_edit.setMaxLength(MAX_REASON)
        self.reason_edit.setPlaceholderText(_("Reason (needed to add lots to a live sale)"))
        self.check = QPushButton(_("Check (dry run)"))
        self.check.setObjectName("btn_import_check")
        self.check.setToolTip(
            _("Show what the import would add, change and refuse; writes nothing")
        )
        self.check.clicked.connect(self._preview)
        self.run = QPushButton(_("Import"))
        self.run.setObjectName("btn_import")
        self.run.clicked.connect(self._run)
        self.cancel = QPushButton(_("Cancel"))
        self.cancel.setObjectName("btn_import_cancel")
        self.cancel.setToolTip(_("Stop after the rows already sent (each row is whole)"))
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self._cancel)
        self.bar = QProgressBar()
        self.bar.setObjectName("importProgress")
        self.bar.setFormat("%v / %m rows")
        self.bar.setVisible(False)
        self.summary = plain("", "importSummary", wrap=True)
        self.notes = plain("", "importNotes", wrap=True)
        self.report = table([_("Line"), _("Lot"), _("Result"), _("Details")], "importReport")
        self.report.setColumnWidth(0, 50)
        self.report.setColumnWidth(2, 100)
        files = QHBoxLayout()
        files.addWidget(choose)
        files.addWidget(self.csv_label, 1)
        files.addWidget(folder)
        files.addWidget(self.images_label, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.reason_edit, 1)
        actions.addWidget(self.check)
        actions.addWidget(self.run)
        actions.addWidget(self.cancel)
        col = QVBoxLayout(self)
        col.addWidget(
            plain(
                _(
                    "Catalogue import — CSV or .xlsx with a header row: lot, title, description, "
                    "low, high, start, reserve, quantity, consignor, vat, arr, category, "
                    "condition, images (names separated by ;). Images are also matched by lot "
                    "number. In a draft, rows for existing lots change them (empty cells change "
                    "nothing)."
                ),
                "sectionTitle",
                wrap=True,
            )
        )
        col.addLayout(files)
        col.addLayout(actions)
        col.addWidget(self.bar)
        col.addWidget(self.summary)
        col.addWidget(self.notes)
        col.addWidget(self.report, 1)

    def reason(self) -> str | None:
        """The reason typed for adding lots to a live sale (None when blank)."""
        return self.reason_edit.text().strip() or None

    def set_sources(self, csv_path: Path | None, images_dir: Path | None) -> None:
        self.csv_path = csv_path
        self.images_dir = images_dir
        self.csv_label.setText(csv_path.name if csv_path else _("No file chosen"))
        self.images_label.setText(str(images_dir) if images_dir else _("No images folder"))

    def _choose_csv(self) -> None:
        if not self.dialogs:
            return
        name, _filter = QFileDialog.getOpenFileName(
            self, _("Catalogue"), "", _("Catalogue (*.csv *.txt *.xlsx);;All files (*)")
        )
        if name:
            self.set_sources(Path(name), self.images_dir)

    def _choose_images(self) -> None:
        if not self.dialogs:
            return
        name = QFileDialog.getExistingDirectory(self, _("Images folder"))
        if name:
            self.set_sources(self.csv_path, Path(name))

    def _run(self) -> None:
        if self.csv_path is None:
            self.summary.setText(_("Choose a file first."))
            return
        self.begin()
        self.start.emit(self.csv_path, self.images_dir)

    def _preview(self) -> None:
        if self.csv_path is None:
            self.summary.setText(_("Choose a file first."))
            return
        self._busy(_("Checking the file…"))
        self.preview.emit(self.csv_path, self.images_dir)

    def _cancel(self) -> None:
        self.cancel_event.set()
        self.cancel.setEnabled(False)
        self.summary.setText(_("Cancelling after the rows already sent…"))

    def _busy(self, text: str) -> None:
        self.run.setEnabled(False)
        self.check.setEnabled(False)
        self.bar.setVisible(True)
        self.bar.setRange(0, 0)
        self.summary.setText(text)
        self.notes.setText("")
        self.report.setRowCount(0)

    def _idle(self) -> None:
        self.run.setEnabled(True)
        self.check.setEnabled(True)
        self.cancel.setEnabled(False)
        self.bar.setVisible(False)

    def begin(self) -> None:
        """An import starts: a fresh cancel, the bar, an empty report."""
        self.cancel_event = threading.Event()
        self._busy(_("Reading the catalogue…"))
        self.cancel.setEnabled(True)

    def on_progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.summary.setText(
            _("Importing: {done} of {total} rows done…").format(done=done, total=total)
        )

    def on_done(self, verdicts: list[RowVerdict]) -> None:
        self._idle()
        count = {key: sum(1 for v in verdicts if v.action == key) for key in DONE_LABELS}
        added = sum(1 for v in verdicts if v.ok and v.action in ("add", ""))
        refused = sum(1 for v in verdicts if not v.ok and v.action != "cancel")
        parts = [_("{n} lots imported").format(n=added)]
        if count["edit"]:
            parts.append(_("{n} changed").format(n=count["edit"]))
        if count["same"]:
            parts.append(_("{n} unchanged").format(n=count["same"]))
        parts.append(_("{n} rows refused").format(n=refused))
        if count["cancel"]:
            parts.append(_("{n} not run (cancelled)").format(n=count["cancel"]))
        self.summary.setText(", ".join(parts))
        self._show(verdicts, DONE_LABELS, N_("imported"))

    def on_preview(self, plan: ImportPlan) -> None:
        """The dry run: what would change; nothing was written."""
        self._idle()
        verdicts = plan.verdicts()
        refused = sum(1 for v in verdicts if not v.ok)
        self.summary.setText(
            _(
                "Dry run, nothing written: {added} lots would be added, {changed} changed, "
                "{unchanged} unchanged, {refused} rows refused"
            ).format(
                added=plan.count("add"),
                changed=plan.count("edit"),
                unchanged=plan.count("same"),
                refused=refused,
            )
        )
        self.notes.setText("\n".join(plan.notes))
        self._show(verdicts, DRY_LABELS, N_("would add"))

    def _show(self, verdicts: list[RowVerdict], labels: dict[str, str], ok_label: str) -> None:
        self.report.setRowCount(len(verdicts))
        for r, v in enumerate(verdicts):
            result = _(labels.get(v.action) or (ok_label if v.ok else "refused"))
            cells = [item(str(v.line)), item(v.lot), item(result), item(v.reason)]
            cells[3].setToolTip(v.reason)
            for c, cell in enumerate(cells):
                if not v.ok:
                    cell.setForeground(QBrush(QColor(RED)))
                self.report.setItem(r, c, cell)

    def on_failed(self, message: str) -> None:
        self._idle()
        self.summary.setText(_("Nothing imported: {message}").format(message=message))
