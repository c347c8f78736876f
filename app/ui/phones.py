"""Phone bookings: a paddle on a lot range with an operator (`book_phone`), listed per
operator (each operator's card), cancelled by id (`cancel_phone`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.i18n import _
from app.state import ConsoleState
from app.ui.sale_forms import FormError, by_operator, lots_between, next_call, phone_command
from app.ui.sale_settings import error_label
from app.ui.widgets import item, plain, table

JSON = dict[str, Any]


def _edit(name: str, placeholder: str, width: int) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    edit.setMaximumWidth(width)
    return edit


class PhonesPanel(QWidget):
    """Emits `book(command)` and `cancel(booking id)`."""

    book = Signal(object)
    cancel = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("phones")
        self.state = ConsoleState()
        self.paddle = _edit("phonePaddle", _("paddle"), 90)
        self.from_lot = _edit("phoneFrom", _("from lot"), 80)
        self.to_lot = _edit("phoneTo", _("to lot"), 80)
        self.operator = _edit("phoneOperator", _("operator"), 200)
        self.book_button = QPushButton(_("Book phone"))
        self.book_button.setObjectName("bookPhone")
        self.book_button.clicked.connect(self._book)
        self.errors = error_label()
        self.view = table(
            [_("Operator"), _("Paddle"), _("Bidder"), _("Lots"), _("Next lot"), _("Booking")],
            "phoneList",
        )
        for column, width in ((0, 140), (1, 70), (2, 200), (3, 90), (4, 160)):
            self.view.setColumnWidth(column, width)
        self.cancel_button = QPushButton(_("Cancel booking"))
        self.cancel_button.setObjectName("cancelPhone")
        self.cancel_button.clicked.connect(self._cancel)
        self._ids: list[str] = []
        row = QHBoxLayout()
        for widget in (self.paddle, self.from_lot, self.to_lot, self.operator, self.book_button):
            row.addWidget(widget)
        row.addStretch(1)
        col = QVBoxLayout(self)
        col.addWidget(plain(_("Book a phone bidder on a range of lots"), "sectionTitle"))
        col.addLayout(row)
        col.addWidget(self.errors)
        col.addWidget(self.view, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.cancel_button)
        col.addLayout(bottom)

    def order(self) -> list[str]:
        return [str(lot["id"]) for lot in self.state.ordered()]

    def show_state(self, state: ConsoleState) -> None:
        self.state = state
        names = {str(b.get("paddle")): str(b.get("name") or "") for b in state.bidders}
        order = self.order()
        pending = {str(lot["id"]) for lot in state.ordered() if lot.get("status") == "pending"}
        rows = [b for _op, books in by_operator(state.phones) for b in books]
        self.view.setRowCount(len(rows))
        self._ids = []
        for r, b in enumerate(rows):
            span = lots_between(order, str(b.get("from_lot")), str(b.get("to_lot")))
            cells = [
                str(b.get("operator") or ""),
                str(b.get("paddle") or ""),
                names.get(str(b.get("paddle")), ""),
                f"{b.get('from_lot')}–{b.get('to_lot')}",
                next_call(order, state.current_id if state.live() else None, pending, span),
                str(b.get("id") or ""),
            ]
            for c, text in enumerate(cells):
                self.view.setItem(r, c, item(text))
            self._ids.append(str(b.get("id") or ""))

    def command(self) -> JSON:
        """The booking the form stands for; raises `FormError`."""
        return phone_command(
            self.paddle.text(),
            self.from_lot.text(),
            self.to_lot.text(),
            self.operator.text(),
            order=self.order(),
            bidders=self.state.bidders,
            booked=self.state.phones,
        )

    def _book(self) -> None:
        try:
            cmd = self.command()
        except FormError as exc:
            self.errors.setText("\n".join(exc.messages))
            return
        self.errors.setText("")
        self.book.emit(cmd)

    def booked(self) -> None:
        """The booking was journaled: clear the form for the next one (keep the operator)."""
        for edit in (self.paddle, self.from_lot, self.to_lot):
            edit.clear()

    def _cancel(self) -> None:
        row = self.view.currentRow()
        if not (0 <= row < len(self._ids)):
            self.errors.setText(_("Choose a booking to cancel"))
            return
        self.cancel.emit(self._ids[row])
