"""Small reusable widgets. Every label is plain text: lot titles and bidder names come from
catalogues and browsers, and must never be interpreted as HTML."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.qr import qr_png

COLORS = {"ok": "#16a34a", "warn": "#d97706", "bad": "#dc2626", "off": "#9ca3af"}


def plain(text: str = "", name: str | None = None, *, wrap: bool = False) -> QLabel:
    """A QLabel that never renders rich text."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    if name:
        label.setObjectName(name)
    return label


def action_button(text: str, key: str, name: str) -> QPushButton:
    """A console button showing its shortcut; never takes focus (Space must stay a bid)."""
    button = QPushButton(f"{text}\n{key}" if key else text)
    button.setObjectName(name)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setMinimumHeight(52)
    return button


def item(text: str, align_right: bool = False) -> QTableWidgetItem:
    """A read-only table cell (item views paint plain text)."""
    cell = QTableWidgetItem(text)
    cell.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return cell


def table(headers: list[str], name: str) -> QTableWidget:
    view = QTableWidget(0, len(headers))
    view.setObjectName(name)
    view.setHorizontalHeaderLabels(headers)
    view.verticalHeader().setVisible(False)
    view.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    view.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class StatusLight(QWidget):
    """A coloured dot with a caption and a detail line: hub, gavel, relay."""

    def __init__(self, caption: str, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.dot = plain("●", f"{name}_dot")
        self.caption = plain(caption, "lightCaption")
        self.detail = plain("", f"{name}_detail")
        self.detail.setObjectName("lightDetail")
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.caption)
        text.addWidget(self.detail)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 0)
        row.addWidget(self.dot)
        row.addLayout(text)
        self.set("off", "")

    def set(self, level: str, detail: str) -> None:
        self.level = level
        self.dot.setStyleSheet(f"color: {COLORS.get(level, COLORS['off'])}; font-size: 18px;")
        self.detail.setText(detail)


class QrCard(QFrame):
    """A QR code of a link with a caption; the link itself as selectable plain text."""

    def __init__(self, caption: str, name: str) -> None:
        super().__init__()
        self.setObjectName("qrCard")
        self.image = plain()
        self.image.setObjectName(f"{name}_image")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setFixedSize(150, 150)
        self.caption = plain(caption, "qrCaption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.link = plain("", f"{name}_link")
        self.link.setObjectName("qrLink")
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.link.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.url = ""
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 8, 8, 8)
        col.addWidget(self.caption)
        col.addWidget(self.image, 0, Qt.AlignmentFlag.AlignHCenter)
        col.addWidget(self.link)

    def set_url(self, url: str, shown: str | None = None) -> None:
        self.url = url
        pixmap = QPixmap()
        pixmap.loadFromData(qr_png(url, scale=3, border=2), "PNG")
        self.image.setPixmap(
            pixmap.scaled(
                150,
                150,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )
        self.link.setText(shown if shown is not None else url)
