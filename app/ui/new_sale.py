"""The New sale form: id, title, house, currency, timezone, sessions and the house rules.
Checked on the form (`sale_forms.sale_spec`); created whole by `SaleShelf.create`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.i18n import N_, _
from app.ui.sale_forms import FormError, SaleForm, SessionRow, sale_spec
from app.ui.sale_settings import RulesEditor, error_label
from app.ui.widgets import plain

JSON = dict[str, Any]
CURRENCIES = ("EUR", "GBP", "USD", "CHF", "SEK", "NOK", "DKK", "JPY", "AUD", "CAD", "HKD")
TIMEZONES = (
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Stockholm",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Hong_Kong",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
)
SESSION_COLUMNS = (N_("Name"), N_("Starts"), N_("From lot"), N_("To lot"))

# Creates the sale: (spec, on_created(summary), on_failed(message)).
Create = Callable[[JSON, Callable[[Any], None], Callable[[str], None]], None]


def editable_combo(values: Iterable[str], name: str) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    box.setEditable(True)
    box.addItems(list(values))
    return box


class NewSaleDialog(QDialog):
    """Fill in, Create: errors stay on the form and nothing is sent; a refusal from the
    sale store (a duplicate raced in, a file error) shows there too."""

    def __init__(self, existing: Iterable[str], create: Create, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("newSale")
        self.setWindowTitle(_("New sale"))
        self.existing = list(existing)
        self._create = create
        self.created: Any = None
        self.sale_id = QLineEdit()
        self.sale_id.setObjectName("saleId")
        self.sale_id.setPlaceholderText(_("e.g. 2026-12-fine-art"))
        self.title = QLineEdit()
        self.title.setObjectName("saleTitleEdit")
        self.house = QLineEdit()
        self.house.setObjectName("houseName")
        self.currency = editable_combo(CURRENCIES, "currency")
        self.timezone = editable_combo(TIMEZONES, "timezone")
        self.sessions = QTableWidget(0, len(SESSION_COLUMNS))
        self.sessions.setObjectName("sessions")
        self.sessions.setHorizontalHeaderLabels([_(c) for c in SESSION_COLUMNS])
        self.sessions.verticalHeader().setVisible(False)
        self.sessions.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((110, 150, 80)):
            self.sessions.setColumnWidth(column, width)
        add = QPushButton(_("Add session"))
        add.clicked.connect(lambda: self.add_session())
        remove = QPushButton(_("Remove session"))
        remove.clicked.connect(self._remove_session)
        self.rules = RulesEditor(keep_ladder=False)
        self.errors = error_label()
        self.create_button = QPushButton(_("Create sale"))
        self.create_button.setObjectName("createSale")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.submit)
        cancel = QPushButton(_("Cancel"))
        cancel.clicked.connect(self.reject)

        fields = QFormLayout()
        fields.addRow(plain(_("Sale id")), self.sale_id)
        fields.addRow(plain(_("Title")), self.title)
        fields.addRow(plain(_("House")), self.house)
        fields.addRow(plain(_("Currency")), self.currency)
        fields.addRow(plain(_("Timezone")), self.timezone)
        sessions_box = QGroupBox(_("Sessions (none: one session)"))
        sb = QVBoxLayout(sessions_box)
        sb.addWidget(plain(_("Starts: YYYY-MM-DD HH:MM, in the sale's timezone"), "caption"))
        sb.addWidget(self.sessions)
        srow = QHBoxLayout()
        srow.addWidget(add)
        srow.addWidget(remove)
        srow.addStretch(1)
        sb.addLayout(srow)
        left = QVBoxLayout()
        left.addLayout(fields)
        left.addWidget(sessions_box, 1)
        rules_box = QGroupBox(_("House rules"))
        rl = QVBoxLayout(rules_box)
        rl.addWidget(self.rules)
        rl.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(left, 5)
        top.addWidget(rules_box, 4)
        buttons = QHBoxLayout()
        buttons.addWidget(self.errors, 1)
        buttons.addWidget(cancel, 0, Qt.AlignmentFlag.AlignBottom)
        buttons.addWidget(self.create_button, 0, Qt.AlignmentFlag.AlignBottom)
        col = QVBoxLayout(self)
        col.addLayout(top, 1)
        col.addLayout(buttons)
        self.resize(1040, 600)

    def add_session(self, *values: str) -> None:
        row = self.sessions.rowCount()
        self.sessions.insertRow(row)
        for c in range(len(SESSION_COLUMNS)):
            self.sessions.setItem(row, c, QTableWidgetItem(values[c] if c < len(values) else ""))

    def _remove_session(self) -> None:
        row = self.sessions.currentRow()
        self.sessions.removeRow(row if row >= 0 else self.sessions.rowCount() - 1)

    def _cell(self, row: int, column: int) -> str:
        cell = self.sessions.item(row, column)
        return cell.text() if cell is not None else ""

    def form(self) -> SaleForm:
        rows = [
            SessionRow(*(self._cell(r, c) for c in range(len(SESSION_COLUMNS))))
            for r in range(self.sessions.rowCount())
        ]
        return SaleForm(
            id=self.sale_id.text(),
            title=self.title.text(),
            house=self.house.text(),
            currency=self.currency.currentText(),
            timezone=self.timezone.currentText(),
            sessions=rows,
            rules=self.rules.form(),
        )

    def submit(self) -> None:
        """Check the form; if it is sound, create the sale (the button waits for the answer)."""
        try:
            spec = sale_spec(self.form(), self.existing)
        except FormError as exc:
            self.errors.setText("\n".join(exc.messages))
            return
        self.errors.setText(_("Creating the sale…"))
        self.create_button.setEnabled(False)
        self._create(spec, self._created, self._failed)

    def _created(self, summary: Any) -> None:
        self.created = summary
        self.accept()

    def _failed(self, message: str) -> None:
        self.create_button.setEnabled(True)
        self.errors.setText(_("Not created: {message}").format(message=message))
