"""Screening: the sanctions and PEP lists the house imports, and every bidder screened again;
and the sale's AML threshold (EUR 10,000 at the house's monthly rate).

A list file (the EU's FSF XML, the UN consolidated XML, OFAC's SDN CSV with its alt.csv, a
PEP list in OpenSanctions' simple CSV form) is read and checked whole in a worker thread with
progress; a bad file is refused and the old list kept. After an import every bidder of the
sale is screened again; the new holds are listed and wait for the officer (KYC tab).

The AML row shows EUR 10,000 in the sale's currency at this month's rate
(`{data_dir}/aml_rates.json`) and sets it as the sale's `aml_threshold` rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.bridge import CoreBridge
from app.formatting import format_money, format_number
from app.i18n import N_, _
from app.ui.checkout import fit_columns, refusal
from app.ui.widgets import item, plain, table

JSON = dict[str, Any]
KINDS = {
    "eu": N_("EU financial sanctions (XML)"),
    "un": N_("UN consolidated list (XML)"),
    "ofac": N_("OFAC SDN (CSV + alt.csv)"),
    "pep": N_("PEP list (simple CSV)"),
}
PHASES = {"read": N_("Reading"), "store": N_("Storing entries"), "done": N_("Done")}


def progress_text(phase: str, done: int, total: int) -> str:
    label = _(PHASES.get(phase, phase.capitalize()))
    if not total:
        return _("{phase}…").format(phase=label)
    return _("{phase}: {done} of {total}").format(
        phase=label, done=format_number(done), total=format_number(total)
    )


class ScreeningPanel(QWidget):
    """The Screening tab."""

    notice = Signal(str)
    _progress = Signal(str, int, int)

    def __init__(self, bridge: CoreBridge, *, dialogs: bool = True) -> None:
        super().__init__()
        self.setObjectName("screeningPanel")
        self.bridge = bridge
        self.dialogs = dialogs
        self.pick_files: Callable[[str], tuple[str, str]] = self._pick
        self.view = table(
            [_("List"), _("File"), _("Entries"), _("Imported"), _("SHA-256")], "screeningLists"
        )
        fit_columns(self.view, 1)
        self.kind = QComboBox()
        self.kind.setObjectName("screeningKindBox")
        for kind, label in KINDS.items():
            self.kind.addItem(_(label), kind)
        self.import_button = QPushButton(_("Import list…"))
        self.import_button.setObjectName("btn_import_list")
        self.import_button.clicked.connect(self.choose)
        self.refresh_button = QPushButton(_("Refresh"))
        self.refresh_button.setObjectName("btn_screening_refresh")
        self.refresh_button.clicked.connect(self.reload)
        self.bar = QProgressBar()
        self.bar.setObjectName("screeningProgress")
        self.bar.setVisible(False)
        self.status = plain("", "screeningStatus", wrap=True)
        self.threshold: JSON | None = None
        self.threshold_label = plain("", "amlThreshold", wrap=True)
        self.use_threshold = QPushButton(_("Use as this sale's AML threshold"))
        self.use_threshold.setObjectName("btn_use_threshold")
        self.use_threshold.setEnabled(False)
        self.use_threshold.clicked.connect(self.apply_threshold)
        self._progress.connect(self._show_progress)
        row = QHBoxLayout()
        row.addWidget(self.kind)
        row.addWidget(self.import_button)
        row.addWidget(self.refresh_button)
        row.addStretch(1)
        col = QVBoxLayout(self)
        col.addWidget(plain(_("Sanctions and PEP lists"), "sectionTitle"))
        col.addWidget(self.view, 1)
        col.addLayout(row)
        col.addWidget(self.bar)
        col.addWidget(self.status)
        aml = QHBoxLayout()
        aml.addWidget(self.threshold_label, 1)
        aml.addWidget(self.use_threshold)
        col.addWidget(plain(_("Anti-money-laundering"), "sectionTitle"))
        col.addLayout(aml)

    def reload(self) -> None:
        self.bridge.run(lambda core: core.screening_lists(), self.show_lists, self._failed)
        self.bridge.run(lambda core: core.aml_threshold(), self.show_threshold, self._no_rate)

    def show_threshold(self, found: JSON) -> None:
        self.threshold = found
        amount = format_money(int(found["threshold"]), str(found["currency"]), always_cents=True)
        rate = "" if found["currency"] == "EUR" else f" (€1 = {found['rate']} {found['currency']})"
        self.threshold_label.setText(
            _("EUR 10,000 in {month}: {amount}{rate}").format(
                month=found["month"], amount=amount, rate=rate
            )
        )
        self.use_threshold.setEnabled(True)

    def _no_rate(self, exc: BaseException) -> None:
        self.threshold = None
        self.use_threshold.setEnabled(False)
        self.threshold_label.setText(refusal(_("No AML threshold"), exc))

    def apply_threshold(self) -> None:
        if self.threshold is None:
            return
        amount = int(self.threshold["threshold"])
        self.bridge.run(
            lambda core: core.configure({"aml_threshold": amount}),
            lambda answer: self._say(
                _("The sale's AML threshold is set")
                if answer.ok
                else refusal(_("AML threshold not set"), answer)
            ),
            lambda exc: self._say(refusal(_("AML threshold not set"), exc)),
        )

    def show_lists(self, lists: list[JSON]) -> None:
        self.view.setRowCount(len(lists))
        for r, info in enumerate(lists):
            when = time.strftime("%d %b %Y %H:%M", time.localtime(float(info["imported_at"])))
            self.view.setItem(r, 0, item(str(info["name"]).upper()))
            self.view.setItem(r, 1, item(str(info["source"])))
            self.view.setItem(r, 2, item(f"{int(info['entry_count']):,}", True))
            self.view.setItem(r, 3, item(when))
            self.view.setItem(r, 4, item(str(info["sha256"])[:16] + "…"))
        if not lists:
            self.status.setText(_("No list imported: bidders are not screened until one is."))

    def choose(self) -> None:
        kind = str(self.kind.currentData())
        path, alt = self.pick_files(kind)
        if path:
            self.start(Path(path), kind, Path(alt) if alt else None)

    def _pick(self, kind: str) -> tuple[str, str]:
        if not self.dialogs:
            return "", ""
        pattern = "XML (*.xml)" if kind in ("eu", "un") else "CSV (*.csv)"
        path, _filter = QFileDialog.getOpenFileName(
            self, _(KINDS[kind]), "", _("{pattern};;All files (*)").format(pattern=pattern)
        )
        alt = ""
        if path and kind == "ofac":
            alt, _filter = QFileDialog.getOpenFileName(
                self, _("OFAC alt.csv (aliases)"), "", pattern
            )
        return path, alt

    def start(self, path: Path, kind: str, alt: Path | None = None) -> None:
        """Import `path` as a `kind` list, then screen everyone again."""
        self.import_button.setEnabled(False)
        self.bar.setVisible(True)
        self.bar.setRange(0, 0)
        self.status.setText(_("Importing {name}…").format(name=path.name))

        def progress(phase: str, done: int, total: int) -> None:
            self._progress.emit(phase, done, total)  # from the worker thread: queued

        self.bridge.run(
            lambda core: core.import_screening_list(path, kind, alt, progress),
            self._imported,
            self._import_failed,
        )

    def _show_progress(self, phase: str, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 0))
        self.bar.setValue(min(done, total) if total else 0)
        self.status.setText(progress_text(phase, done, total))

    def _imported(self, report: JSON) -> None:
        self._finish()
        info = report["list"]
        holds = report["holds"]
        text = _("{name} list imported: {entries} entries; {n} bidder(s) screened again").format(
            name=str(info["name"]).upper(),
            entries=format_number(int(info["entry_count"])),
            n=report["rescreened"],
        )
        if holds:
            text = _("{text}; on hold: paddle {paddles}").format(
                text=text, paddles=", ".join(holds)
            )
        else:
            text = _("{text}; no new hold").format(text=text)
        self._say(text)
        self.reload()

    def _import_failed(self, exc: BaseException) -> None:
        self._finish()
        self._say(refusal(_("List not imported (the old one is kept)"), exc))

    def _finish(self) -> None:
        self.import_button.setEnabled(True)
        self.bar.setVisible(False)

    def _failed(self, exc: BaseException) -> None:
        self._say(refusal(_("Screening"), exc))

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.notice.emit(text)
