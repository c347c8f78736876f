"""Bidders: the registration desk, approval and credit limits; after an approval, the
bidder's join link and QR."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.formatting import channel_label, format_money, parse_money
from app.i18n import N_, _
from app.qr import qr_png
from app.ui.widgets import item, name_controls, plain, table

JSON = dict[str, Any]
DESK_CHANNELS = ("floor", "phone", "absentee", "online")
ROOM_PADDLES_FROM = 101


def next_paddle(rows: list[JSON]) -> str:
    """The next free room paddle number (online paddles are numbered apart, from 7001)."""
    taken = {int(p) for b in rows if (p := str(b.get("paddle") or "")).isdigit()}
    n = ROOM_PADDLES_FROM
    while n in taken:
        n += 1
    return str(n)


BIDDER_STATUS = {
    "pending": N_("Pending"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "on_hold": N_("On hold"),
}


def bidder_status(status: str) -> str:
    """A registration's state as the app says it ("Approved")."""
    return _(BIDDER_STATUS.get(status, status.replace("_", " ").title()))


class BiddersPanel(QWidget):
    command = Signal(object)
    register = Signal(object)  # {"paddle", "channel", "name", "approved", "credit_limit"}
    import_requested = Signal()
    link_requested = Signal(str)  # an approved bidder's paddle: show their join link
    notice = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.view = table(
            [_("Paddle"), _("Name"), _("Channel"), _("Status"), _("Credit limit"), _("Won")],
            "bidderList",
        )
        self.approve = QPushButton(_("Approve"))
        self.approve.setObjectName("btn_approve")
        self.reject = QPushButton(_("Reject"))
        self.reject.setObjectName("btn_reject")
        self.limit = QLineEdit()
        self.limit.setObjectName("creditLimitEdit")
        self.limit.setPlaceholderText(_("credit limit (empty = none)"))
        self.set_limit = QPushButton(_("Set limit"))
        self.set_limit.setObjectName("btn_set_limit")
        self.show_link_button = QPushButton(_("Show link…"))
        self.show_link_button.setObjectName("btn_show_link")
        self.show_link_button.setToolTip(_("The selected approved bidder's join link and QR"))
        self.show_link_button.clicked.connect(self._ask_link)
        self.approve.clicked.connect(lambda: self._simple("approve_bidder"))
        self.reject.clicked.connect(lambda: self._simple("reject_bidder"))
        self.set_limit.clicked.connect(self._limit)
        self.limit.returnPressed.connect(self._limit)
        row = QHBoxLayout()
        for w in (self.approve, self.reject, self.show_link_button):
            row.addWidget(w)
        row.addSpacing(20)
        row.addWidget(self.limit)
        row.addWidget(self.set_limit)
        row.addStretch(1)
        self.search = QLineEdit()
        self.search.setObjectName("bidderSearch")
        self.search.setPlaceholderText(_("find a paddle or a name"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        head = QHBoxLayout()
        head.addWidget(plain(_("Bidders"), "sectionTitle"))
        head.addStretch(1)
        head.addWidget(self.search)
        col = QVBoxLayout(self)
        col.addLayout(head)
        col.addWidget(self.view, 1)
        col.addLayout(row)
        col.addWidget(self._desk())
        self.import_button = QPushButton(_("Import a bidder list (CSV)…"))
        self.import_button.setObjectName("btn_import_bidders")
        self.import_button.clicked.connect(self.import_requested.emit)
        self.import_report = plain("", "bidderImportReport", wrap=True)
        col.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignLeft)
        col.addWidget(self.import_report)
        self._link_card()
        self.rows: list[JSON] = []
        self.link_url = ""
        self.link_paddle: str | None = None
        self.currency = "EUR"

    def show_bidders(self, rows: list[JSON], currency: str) -> None:
        self.rows = rows
        self.currency = currency
        selected = self.selected_paddle()
        self.view.setRowCount(len(rows))
        for r, b in enumerate(rows):
            self.view.setItem(r, 0, item(str(b.get("paddle"))))
            self.view.setItem(r, 1, item(str(b.get("name") or "")))
            self.view.setItem(r, 2, item(channel_label(b.get("channel"))))
            self.view.setItem(r, 3, item(bidder_status(str(b.get("status") or ""))))
            limit = b.get("credit_limit")
            self.view.setItem(
                r,
                4,
                item(format_money(limit, currency) if limit is not None else _("no limit"), True),
            )
            self.view.setItem(r, 5, item(format_money(b.get("won") or 0, currency), True))
            if selected is not None and str(b.get("paddle")) == selected:
                self.view.selectRow(r)
        self._filter(self.search.text())
        if not self.new_paddle.text():
            self.new_paddle.setText(next_paddle(rows))  # the desk hands out numbers in turn

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for r, b in enumerate(self.rows):
            hay = f"{b.get('paddle')} {b.get('name') or ''}".casefold()
            self.view.setRowHidden(r, bool(needle) and needle not in hay)

    def selected_paddle(self) -> str | None:
        row = self.view.currentRow()
        if 0 <= row < len(self.rows):
            return str(self.rows[row].get("paddle"))
        return None

    def select(self, paddle: str) -> None:
        for r, b in enumerate(self.rows):
            if str(b.get("paddle")) == paddle:
                self.view.selectRow(r)
                self.view.setCurrentCell(r, 0)

    def _desk(self) -> QGroupBox:
        box = QGroupBox(_("Register a bidder"))
        box.setObjectName("registerBox")
        self.new_paddle = QLineEdit()
        self.new_paddle.setObjectName("newPaddleEdit")
        self.new_paddle.setPlaceholderText(_("paddle"))
        self.new_paddle.setMaximumWidth(90)
        self.new_name = QLineEdit()
        self.new_name.setObjectName("newNameEdit")
        self.new_name.setPlaceholderText(_("name (kept out of the sale record)"))
        self.new_channel = QComboBox()
        self.new_channel.setObjectName("newChannelBox")
        for channel in DESK_CHANNELS:
            self.new_channel.addItem(channel_label(channel), channel)
        self.new_limit = QLineEdit()
        self.new_limit.setObjectName("newLimitEdit")
        self.new_limit.setPlaceholderText(_("credit limit (empty = none)"))
        self.new_checked = QCheckBox(_("ID checked — approve now"))
        self.new_checked.setObjectName("newCheckedBox")
        self.new_checked.setChecked(True)
        self.register_button = QPushButton(_("Register"))
        self.register_button.setObjectName("btn_register")
        self.register_button.clicked.connect(self._register)
        for edit in (self.new_paddle, self.new_name, self.new_limit):
            edit.returnPressed.connect(self._register)
        line = QHBoxLayout(box)
        for w in (
            self.new_paddle,
            self.new_name,
            self.new_channel,
            self.new_limit,
            self.new_checked,
            self.register_button,
        ):
            line.addWidget(w)
        line.setStretchFactor(self.new_name, 1)
        return box

    def _register(self) -> None:
        paddle = self.new_paddle.text().strip()
        if not paddle:
            self.notice.emit(_("Give the new bidder a paddle number."))
            return
        if any(str(b.get("paddle")) == paddle for b in self.rows):
            self.notice.emit(_("Paddle {paddle} is already registered.").format(paddle=paddle))
            return
        try:
            limit = self._typed_limit(self.new_limit)
        except ValueError as exc:
            self.notice.emit(_("Not registered: credit limit {exc}").format(exc=exc))
            return
        self.register.emit(
            {
                "paddle": paddle,
                "channel": self.new_channel.currentData(),
                "name": self.new_name.text().strip(),
                "approved": self.new_checked.isChecked(),
                "credit_limit": limit,
            }
        )

    def registered(self, paddle: str) -> None:
        """After the stage took a registration: clear the desk for the next person."""
        self.new_paddle.clear()
        self.new_name.clear()
        self.new_limit.clear()
        self.new_name.setFocus()
        self.notice.emit(_("Paddle {paddle} registered.").format(paddle=paddle))

    def show_import(self, verdicts: list[Any]) -> None:
        """The outcome of a bidder list import: counts, then the refused rows and why."""
        ok = sum(1 for v in verdicts if v.ok)
        refused = [v for v in verdicts if not v.ok]
        lines = [
            _("Bidder list: {ok} registered, {refused} refused.").format(
                ok=ok, refused=len(refused)
            )
        ]
        lines += [
            (
                _("line {line} (paddle {paddle}): {reason}")
                if v.lot
                else _("line {line}: {reason}")
            ).format(line=v.line, paddle=v.lot, reason=v.reason)
            for v in refused[:8]
        ]
        if len(refused) > 8:
            lines.append(_("… and {n} more").format(n=len(refused) - 8))
        self.import_report.setText("\n".join(lines))
        self.notice.emit(lines[0])

    def _link_card(self) -> QDialog:
        """The join link's own window: the QR, the link in a read-only field, Copy. A dialog,
        not a label in the tab: a token URL is one long word and would widen the window."""
        self.link_box = QDialog(self)
        self.link_box.setObjectName("bidderLinkBox")
        self.link_box.setWindowTitle(_("Join link"))
        self.link_qr = plain("", "bidderLinkQr")
        self.link_qr.setFixedSize(180, 180)
        self.link_qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.link_qr.setAccessibleName(_("QR code of the join link"))
        self.link_who = plain("", "bidderLinkWho", wrap=True)
        self.link_text = QLineEdit()
        self.link_text.setObjectName("bidderLinkText")
        self.link_text.setReadOnly(True)
        self.link_text.setAccessibleName(_("Join link"))
        self.link_text.setMinimumWidth(260)
        self.copy_link = QPushButton(_("Copy link"))
        self.copy_link.setObjectName("btn_copy_link")
        self.copy_link.clicked.connect(self._copy)
        close = QPushButton(_("Close"))
        close.setObjectName("btn_close_link")
        close.clicked.connect(self.link_box.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_link)
        buttons.addStretch(1)
        buttons.addWidget(close)
        text = QVBoxLayout()
        text.addWidget(self.link_who)
        text.addWidget(self.link_text)
        text.addStretch(1)
        text.addLayout(buttons)
        box = QHBoxLayout(self.link_box)
        box.addWidget(self.link_qr)
        box.addLayout(text, 1)
        self.link_box.resize(560, 220)
        name_controls(self.link_box)
        return self.link_box

    def show_link(self, paddle: str, url: str) -> None:
        """Show an approved bidder's personal link (it carries their token: share it only
        with them) and its QR code."""
        self.link_paddle = paddle
        self.link_url = url
        name = next(
            (str(b.get("name") or "") for b in self.rows if str(b.get("paddle")) == paddle), ""
        )
        self.link_who.setText(
            (
                _("Paddle {paddle} — {name}: send this personal link, or let them scan the code.")
                if name
                else _("Paddle {paddle}: send this personal link, or let them scan the code.")
            ).format(paddle=paddle, name=name)
        )
        self.link_text.setText(url)
        pixmap = QPixmap()
        pixmap.loadFromData(qr_png(url, scale=4, border=2), "PNG")
        self.link_qr.setPixmap(
            pixmap.scaled(
                180,
                180,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )
        self.link_text.setCursorPosition(0)
        self.link_box.show()
        self.link_box.activateWindow()
        self.notice.emit(_("Paddle {paddle}: their join link is shown.").format(paddle=paddle))

    def _ask_link(self) -> None:
        """Show link: the selected bidder's join link again (approved bidders only)."""
        paddle = self.selected_paddle()
        if paddle is None:
            self.notice.emit(_("Select a bidder first."))
            return
        status = next((b.get("status") for b in self.rows if str(b.get("paddle")) == paddle), "")
        if status != "approved":
            self.notice.emit(
                _("Paddle {paddle} is not approved: approve them first.").format(paddle=paddle)
            )
            return
        self.link_requested.emit(paddle)

    def _copy(self) -> None:
        if self.link_url:
            QGuiApplication.clipboard().setText(self.link_url)
            self.notice.emit(_("Link copied."))

    def _simple(self, op: str) -> None:
        paddle = self.selected_paddle()
        if paddle is None:
            self.notice.emit(_("Select a bidder first."))
            return
        self.command.emit({"op": op, "paddle": paddle})

    def _typed_limit(self, edit: QLineEdit) -> int | None:
        """A credit limit typed in major units; empty means no limit (ValueError if bad)."""
        text = edit.text().strip()
        return parse_money(text, self.currency) if text else None

    def _limit(self) -> None:
        paddle = self.selected_paddle()
        if paddle is None:
            self.notice.emit(_("Select a bidder first."))
            return
        try:
            amount = self._typed_limit(self.limit)
        except ValueError as exc:
            self.notice.emit(_("Credit limit not set: {exc}").format(exc=exc))
            return
        self.limit.clear()
        self.command.emit({"op": "set_credit_limit", "paddle": paddle, "credit_limit": amount})
