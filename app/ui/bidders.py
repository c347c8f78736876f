"""Bidders: approval and credit limits; after an approval, the bidder's join link and QR."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.formatting import channel_label, format_money, parse_money
from app.qr import qr_png
from app.ui.widgets import item, plain, table

JSON = dict[str, Any]


class BiddersPanel(QWidget):
    command = Signal(object)
    notice = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.view = table(["Paddle", "Name", "Channel", "Status", "Credit limit", "Won"],
                          "bidderList")
        self.approve = QPushButton("Approve")
        self.approve.setObjectName("btn_approve")
        self.reject = QPushButton("Reject")
        self.reject.setObjectName("btn_reject")
        self.limit = QLineEdit()
        self.limit.setObjectName("creditLimitEdit")
        self.limit.setPlaceholderText("credit limit (empty = none)")
        self.set_limit = QPushButton("Set limit")
        self.set_limit.setObjectName("btn_set_limit")
        self.approve.clicked.connect(lambda: self._simple("approve_bidder"))
        self.reject.clicked.connect(lambda: self._simple("reject_bidder"))
        self.set_limit.clicked.connect(self._limit)
        self.limit.returnPressed.connect(self._limit)
        row = QHBoxLayout()
        for w in (self.approve, self.reject):
            row.addWidget(w)
        row.addSpacing(20)
        row.addWidget(self.limit)
        row.addWidget(self.set_limit)
        row.addStretch(1)
        col = QVBoxLayout(self)
        col.addWidget(plain("Bidders", "sectionTitle"))
        col.addWidget(self.view, 1)
        col.addLayout(row)
        col.addWidget(self._link_card())
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
            self.view.setItem(r, 3, item(str(b.get("status") or "").title()))
            limit = b.get("credit_limit")
            self.view.setItem(r, 4, item(format_money(limit, currency) if limit is not None
                                         else "no limit", True))
            self.view.setItem(r, 5, item(format_money(b.get("won") or 0, currency), True))
            if selected is not None and str(b.get("paddle")) == selected:
                self.view.selectRow(r)

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

    def _link_card(self) -> QGroupBox:
        self.link_box = QGroupBox("Join link")
        self.link_box.setObjectName("bidderLinkBox")
        self.link_qr = plain("", "bidderLinkQr")
        self.link_qr.setFixedSize(180, 180)
        self.link_qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.link_who = plain("", "bidderLinkWho", wrap=True)
        self.link_text = plain("", "bidderLinkText", wrap=True)
        self.link_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_link = QPushButton("Copy link")
        self.copy_link.setObjectName("btn_copy_link")
        self.copy_link.clicked.connect(self._copy)
        text = QVBoxLayout()
        text.addWidget(self.link_who)
        text.addWidget(self.link_text, 1)
        text.addWidget(self.copy_link, 0, Qt.AlignmentFlag.AlignLeft)
        box = QHBoxLayout(self.link_box)
        box.addWidget(self.link_qr)
        box.addLayout(text, 1)
        self.link_box.setVisible(False)
        return self.link_box

    def show_link(self, paddle: str, url: str) -> None:
        """Show an approved bidder's personal link (it carries their token: share it only
        with them) and its QR code."""
        self.link_paddle = paddle
        self.link_url = url
        name = next((str(b.get("name") or "") for b in self.rows
                     if str(b.get("paddle")) == paddle), "")
        self.link_who.setText(f"Paddle {paddle}" + (f" — {name}" if name else "")
                              + ": send this personal link, or let them scan the code.")
        self.link_text.setText(url)
        pixmap = QPixmap()
        pixmap.loadFromData(qr_png(url, scale=4, border=2), "PNG")
        self.link_qr.setPixmap(pixmap.scaled(
            180, 180, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation))
        self.link_box.setVisible(True)
        self.notice.emit(f"Paddle {paddle} approved: their join link is below.")

    def _copy(self) -> None:
        if self.link_url:
            QGuiApplication.clipboard().setText(self.link_url)
            self.notice.emit("Link copied.")

    def _simple(self, op: str) -> None:
        paddle = self.selected_paddle()
        if paddle is None:
            self.notice.emit("Select a bidder first.")
            return
        self.command.emit({"op": op, "paddle": paddle})

    def _limit(self) -> None:
        paddle = self.selected_paddle()
        if paddle is None:
            self.notice.emit("Select a bidder first.")
            return
        text = self.limit.text().strip()
        try:
            amount = parse_money(text, self.currency) if text else None
        except ValueError as exc:
            self.notice.emit(f"Credit limit not set: {exc}")
            return
        self.limit.clear()
        self.command.emit({"op": "set_credit_limit", "paddle": paddle, "credit_limit": amount})
