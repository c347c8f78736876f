"""The sale picker: every sale in the data dir with its state, lot counts and totals (from
`hub.backend.sales.list_sales`); Open, New sale…, Start the demo over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QHeaderView, QPushButton, QVBoxLayout

from app.formatting import format_money
from app.i18n import N_, _
from app.ui.new_sale import NewSaleDialog
from app.ui.widgets import item, name_controls, plain, table

COLUMNS = [
    N_("Sale"),
    N_("Title"),
    N_("House"),
    N_("State"),
    N_("Lots"),
    N_("Sold"),
    N_("Passed"),
    N_("Total"),
    N_("Sessions"),
]


def summary_cells(s: Any) -> list[str]:
    """One row of the picker (a `SaleSummary`); an unreadable file says why."""
    if s.error:
        return [
            s.id,
            _("cannot be read: {error}").format(error=s.error),
            "",
            "—",
            "",
            "",
            "",
            "",
            "",
        ]
    return [
        s.id,
        s.title,
        s.house,
        s.status,
        str(s.lots),
        str(s.sold),
        str(s.passed),
        format_money(s.hammer_total, s.currency or "EUR"),
        str(len(s.sessions) or 1),
    ]


class SalePicker(QDialog):
    """Emits `open_sale(id)`, `new_sale()`, `reset_demo()`; the owner does the work and
    calls `show_sales` (and `set_message`) with what came back."""

    open_sale = Signal(str)
    new_sale = Signal()
    reset_demo = Signal()
    refresh = Signal()

    def __init__(self, current: str | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("salePicker")
        self.setWindowTitle(_("Sales"))
        self.current = current
        self.sales: list[Any] = []
        self.confirm: Callable[[str], bool] = lambda _text: True
        self.view = table([_(c) for c in COLUMNS], "salesTable")
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 150), (2, 150), (3, 60), (4, 50), (5, 50), (6, 60), (7, 110)):
            self.view.setColumnWidth(column, width)
        self.view.cellDoubleClicked.connect(lambda _r, _c: self._open())
        self.message = plain(_("Reading the sales…"), "pickerMessage", wrap=True)
        self.open_button = QPushButton(_("Open"))
        self.open_button.setObjectName("openSale")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self._open)
        self.new_button = QPushButton(_("New sale…"))
        self.new_button.setObjectName("newSaleButton")
        self.new_button.clicked.connect(self.new_sale.emit)
        self.demo_button = QPushButton(_("Start the demo over…"))
        self.demo_button.setObjectName("resetDemo")
        self.demo_button.clicked.connect(self._reset_demo)
        close = QPushButton(_("Close"))
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.open_button)
        col = QVBoxLayout(self)
        col.addWidget(plain(_("Sales in this data folder"), "sectionTitle"))
        col.addWidget(self.view, 1)
        col.addWidget(self.message)
        col.addLayout(buttons)
        self.resize(1000, 480)

    def show_sales(self, sales: list[Any], select: str | None = None) -> None:
        self.sales = list(sales)
        self.view.setRowCount(len(self.sales))
        for r, s in enumerate(self.sales):
            for c, text in enumerate(summary_cells(s)):
                cell = item(text, c >= 4)
                if s.id == self.current:
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
                self.view.setItem(r, c, cell)
        ids = [s.id for s in self.sales]
        want = select or self.current
        if want in ids:
            self.view.selectRow(ids.index(want))
        elif ids:
            self.view.selectRow(0)
        self.set_message(
            _("No sale yet: create one, or start the demo.") if not ids else "", error=False
        )

    def set_message(self, text: str, *, error: bool = True) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b91c1c; font-weight: 600;" if error else "")

    def selected(self) -> Any:
        row = self.view.currentRow()
        return self.sales[row] if 0 <= row < len(self.sales) else None

    def _open(self) -> None:
        sale = self.selected()
        if sale is None:
            self.set_message(_("Choose a sale first."))
            return
        if sale.error:
            self.set_message(
                _("Sale {id} cannot be opened: {error}").format(id=sale.id, error=sale.error)
            )
            return
        self.open_sale.emit(sale.id)

    def _reset_demo(self) -> None:
        if self.confirm(
            _(
                "Start the demo over? Every bid, bidder and result of the demo sale is replaced "
                "by a fresh demo."
            )
        ):
            self.set_message(_("Starting the demo over…"), error=False)
            self.reset_demo.emit()

    def keyPressEvent(self, event: Any) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open()
            return
        super().keyPressEvent(event)


Deliver = Callable[[Any, Callable[[Any], None], Callable[[BaseException], None]], None]


class PickerDesk:
    """Does what the picker asks with a `SaleShelf` (list, create, start the demo over), each
    off the UI thread; `deliver(future, ok, failed)` brings the answer back (`CoreBridge.
    deliver`). `reset_running` takes over "start the demo over" when the demo is running."""

    def __init__(
        self,
        picker: SalePicker,
        shelf: Any,
        deliver: Deliver,
        reset_running: Callable[[], None] | None = None,
    ) -> None:
        self.picker = picker
        self.shelf = shelf
        self.deliver = deliver
        self.reset_running = reset_running
        self.dialog: NewSaleDialog | None = None
        picker.new_sale.connect(self.new_sale)
        picker.reset_demo.connect(self.reset_demo)
        picker.refresh.connect(self.refresh)
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        self.deliver(
            self.shelf.list(),
            lambda sales: self.picker.show_sales(sales, select),
            lambda exc: self.picker.set_message(_("Cannot read the sales: {exc}").format(exc=exc)),
        )

    def new_sale(self) -> None:
        def create(spec: Any, ok: Callable[[Any], None], failed: Callable[[str], None]) -> None:
            self.deliver(self.shelf.create(spec), ok, lambda exc: failed(str(exc)))

        dialog = NewSaleDialog([s.id for s in self.picker.sales], create, self.picker)
        self.dialog = dialog
        # The house's name and currency (set in the first-run assistant) are the defaults.
        from app.ui.first_run import house_defaults

        defaults = house_defaults(getattr(self.shelf, "data_dir", None))
        if defaults is not None:
            dialog.house.setText(defaults[0])
            dialog.currency.setCurrentText(defaults[1])
        dialog.accepted.connect(lambda: self.refresh(dialog.created.id))
        name_controls(dialog)  # every field named for screen readers
        dialog.open()

    def reset_demo(self) -> None:
        if self.reset_running is not None and self.picker.current == "demo":
            self.picker.accept()
            self.reset_running()
            return
        self.deliver(
            self.shelf.reset_demo(),
            lambda _s: self.refresh("demo"),
            lambda exc: self.picker.set_message(
                _("The demo was not started over: {exc}").format(exc=exc)
            ),
        )
