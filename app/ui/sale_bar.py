"""The sale's state in the header (draft / live / session break / closed) and its day
actions: Sales…, Go live…, Message…, End / Start session, Close sale…, Seal."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from app.i18n import _
from app.state import ConsoleState
from app.ui.sale_forms import status_text
from app.ui.style import SALE_BADGES
from app.ui.widgets import plain

# White text on each (contrast checked with the palette in style.py).
BADGE = {**SALE_BADGES, "closed": SALE_BADGES["closed"] + "; border: 1px solid #e5e7eb"}


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    return button


class SaleBar(QWidget):
    """Emits one signal per action; `show_state` says which are possible now."""

    sales = Signal()
    go_live = Signal()
    message = Signal()
    end_session = Signal()
    start_session = Signal()
    close_sale = Signal()
    seal = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.status = plain("", "saleStatus")
        self.buttons = {
            "sales": _button(_("Sales…"), "salesButton"),
            "go_live": _button(_("Go live…"), "goLive"),
            "message": _button(_("Message…"), "messageButton"),
            "end_session": _button(_("End session…"), "endSessionButton"),
            "start_session": _button(_("Start session"), "startSession"),
            "close_sale": _button(_("Close sale…"), "closeSale"),
            "seal": _button(_("Seal…"), "showSeal"),
        }
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.status)
        for name, button in self.buttons.items():
            button.clicked.connect(getattr(self, name).emit)
            row.addWidget(button)
        self.show_state(ConsoleState())  # never wider than a live sale's bar (1366 px screens)

    def show_state(self, state: ConsoleState) -> None:
        text, level = status_text(state.sale)
        self.status.setText(text)
        self.status.setStyleSheet(
            f"background: {BADGE.get(level, BADGE['live'])}; color: white; padding: 3px 8px; "
            "border-radius: 4px; font-weight: 700;"
        )
        status = str(state.sale.get("status") or "live")
        on_break = isinstance(state.sale.get("break"), dict)
        visible = {
            "sales": True,
            "go_live": status == "draft",
            "message": status != "closed",
            "end_session": status == "live" and not on_break,
            "start_session": status == "live" and on_break,
            "close_sale": status != "closed",
            "seal": status == "closed",
        }
        for name, button in self.buttons.items():
            button.setVisible(visible[name])
        self.buttons["close_sale"].setEnabled(not state.live())
        self.buttons["close_sale"].setToolTip(
            _("Not while a lot is on the block")
            if state.live()
            else _("Close the sale and seal it")
        )
        self.buttons["end_session"].setEnabled(not state.live())
