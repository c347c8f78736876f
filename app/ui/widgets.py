"""Small reusable widgets. Every label is plain text: lot titles and bidder names come from
catalogues and browsers, and must never be interpreted as HTML."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAccessible, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QTabBar,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.i18n import N_, _
from app.qr import qr_png

QR_SIZE = 128  # the join panel's codes: scannable from a phone at arm's length
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


class ElidedLabel(QLabel):
    """One line of plain text that gives way: drawn cut with "…" when the room is short
    (a long address or a gavel's detail must not widen the window); the whole text stays its
    text and accessible name."""

    def __init__(self, text: str = "", name: str | None = None, min_width: int = 60) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        # Its natural width when there is room; down to `min_width` when there is not.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(min_width)
        if name:
            self.setObjectName(name)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setAccessibleName(text)
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:
        return QSize(self.minimumWidth(), super().minimumSizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        QFrame.paintEvent(self, event)  # the stylesheet's border (the background is drawn)
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.setPen(self.palette().color(self.foregroundRole()))
        align = self.alignment() or (Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        painter.drawText(rect, int(align), shown)
        painter.end()


class PageTabs(QTabWidget):
    """Tabs whose pages scroll when the window is smaller than the page: a long form (KYC,
    checkout) never sets the window's minimum size. `setCurrentWidget`, `indexOf` and
    `currentWidget` take and give the pages themselves, not their scroll areas."""

    def __init__(self) -> None:
        super().__init__()
        self._pages: dict[int, QWidget] = {}  # id(page) -> its scroll area (or itself)

    def add_page(self, page: QWidget, name: str, *, scroll: bool = True) -> None:
        holder: QWidget = page
        if scroll:
            area = QScrollArea()
            area.setObjectName(f"{page.objectName() or 'page'}Scroll")
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setWidget(page)
            holder = area
        self._pages[id(page)] = holder
        self.addTab(holder, name)

    def _holder(self, page: QWidget) -> QWidget:
        return self._pages.get(id(page), page)

    def setCurrentWidget(self, page: QWidget) -> None:
        super().setCurrentWidget(self._holder(page))

    def indexOf(self, page: QWidget) -> int:
        return super().indexOf(self._holder(page))

    def currentWidget(self) -> QWidget:
        holder = super().currentWidget()
        if isinstance(holder, QScrollArea):
            return holder.widget() or holder
        return holder


def fit_placeholders(root: QWidget, cap: int = 340) -> None:
    """Every text field under `root` at least as wide as its placeholder (up to `cap` px):
    a hint that is cut off ("paddle (Enter = fl") tells nobody anything."""
    for edit in root.findChildren(QLineEdit):
        hint = edit.placeholderText()
        if hint:
            need = edit.fontMetrics().horizontalAdvance(hint) + 24  # frame and text margins
            edit.setMinimumWidth(max(edit.minimumWidth(), min(need, cap)))


# The widgets a person operates: each needs a name a screen reader can say.
CONTROLS: tuple[type[QWidget], ...] = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractItemView,
    QPlainTextEdit,
    QTextEdit,
    QSlider,
)


def is_control(widget: QWidget) -> bool:
    """A control of ours, not a part Qt builds inside another (header sections, the table's
    corner button, a combo box's popup list, the tab bar's scroll arrows)."""
    if not isinstance(widget, CONTROLS) or isinstance(widget, QHeaderView):
        return False
    if widget.objectName().startswith("qt_"):
        return False
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QComboBox, QTabBar, QLineEdit)):  # a clear button, a popup
            return False
        parent = parent.parentWidget()
    return True


def accessible_name(widget: QWidget) -> str:
    """The name assistive technology reads for `widget` (its own, or what Qt derives: a
    button's text, a buddy label)."""
    face = QAccessible.queryAccessibleInterface(widget)
    return face.text(QAccessible.Text.Name).strip() if face is not None else ""


def name_controls(root: QWidget) -> list[QWidget]:
    """Give every unnamed control under `root` the name a sighted user reads beside it: its
    form label, else its placeholder, its tooltip, or the title of the box it sits in.
    Returns the controls still without a name (none, when every panel labels its fields)."""
    labels: dict[int, str] = {}
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            caption = label.widget() if label is not None else None
            if field is None or not isinstance(caption, QLabel):
                continue
            target = field.widget()
            inner = field.layout()
            if target is None and inner is not None:  # a row of fields: name the first
                items = (inner.itemAt(i) for i in range(inner.count()))
                target = next((w for it in items if it is not None and (w := it.widget())), None)
            if target is not None:
                labels[id(target)] = caption.text().strip().rstrip(":")
    unnamed = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not is_control(widget) or accessible_name(widget):
            continue
        name = labels.get(id(widget)) or _own_hint(widget) or _box_title(widget)
        if name:
            widget.setAccessibleName(name)
        else:
            unnamed.append(widget)
    return unnamed


def _own_hint(widget: QWidget) -> str:
    hint = widget.placeholderText() if isinstance(widget, (QLineEdit, QPlainTextEdit)) else ""
    return (hint or widget.toolTip()).strip()


def _box_title(widget: QWidget) -> str:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QGroupBox) and parent.title():
            return parent.title()
        parent = parent.parentWidget()
    return ""


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


# Columns that get the room a table has to spare (in the app's language): titles and names,
# the text that is cut when a short last column stretches instead.
WIDE_COLUMNS = (N_("Title"), N_("Name"), N_("Description"), N_("Note"), N_("Message"))


def wide_column(headers: list[str]) -> int | None:
    """The column to stretch: the first title or name column, else None (the last)."""
    wide = {_(w) for w in WIDE_COLUMNS}
    return next((i for i, h in enumerate(headers) if h in wide), None)


def table(headers: list[str], name: str, stretch: int | None = None) -> QTableWidget:
    """A read-only table of rows. The title or name column (or `stretch`) takes the spare
    room; the other columns fit their contents; cells stay one line (names do not wrap, a
    long title ends in "…", whole in its tooltip where the panel sets one)."""
    view = QTableWidget(0, len(headers))
    view.setObjectName(name)
    view.setAccessibleName(", ".join(h for h in headers[:4] if h.strip() not in ("", "#")))
    view.setHorizontalHeaderLabels(headers)
    view.verticalHeader().setVisible(False)
    view.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    view.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    column = stretch if stretch is not None else wide_column(headers)
    if column is None:
        header.setStretchLastSection(True)
        return view
    header.setStretchLastSection(False)
    header.setResizeContentsPrecision(200)  # long sales: measure a sample, not every row
    for c in range(len(headers)):
        mode = (
            QHeaderView.ResizeMode.Stretch
            if c == column
            else QHeaderView.ResizeMode.ResizeToContents
        )
        header.setSectionResizeMode(c, mode)
    return view


class StatusLight(QWidget):
    """A coloured dot with a caption and a detail line: hub, gavel, relay."""

    def __init__(self, caption: str, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.dot = plain("●", f"{name}_dot")
        self.caption = plain(caption, "lightCaption")
        self.detail = ElidedLabel("", "lightDetail", min_width=50)
        self.detail.setMaximumWidth(170)
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
        # A screen reader hears the light as one thing: "GAVEL: connected".
        self.setAccessibleName(
            f"{self.caption.text()}: {detail}" if detail else self.caption.text()
        )
        self.setToolTip(detail)


class QrCard(QFrame):
    """A QR code of a link with a caption; the link itself as selectable plain text."""

    def __init__(self, caption: str, name: str) -> None:
        super().__init__()
        self.setObjectName("qrCard")
        self.image = plain()
        self.image.setObjectName(f"{name}_image")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setFixedSize(QR_SIZE, QR_SIZE)
        self.caption = plain(caption, "qrCaption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.link = ElidedLabel("", "qrLink", min_width=40)
        self.link.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setAccessibleName(caption)
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
                QR_SIZE,
                QR_SIZE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )
        self.link.setText(shown if shown is not None else url)
        self.link.setToolTip(shown if shown is not None else url)
