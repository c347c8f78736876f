"""The help key (?): a translucent overlay listing every key, from the command registry's
bindings (the clerk page's help lists the same keys) plus the app-only ones."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QVBoxLayout, QWidget

from app.i18n import _
from app.shortcuts import grouped, key_hint
from app.ui.widgets import plain


class HelpOverlay(QFrame):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("helpOverlay")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        panel = QFrame(self)
        panel.setObjectName("helpPanel")
        grid = QGridLayout(panel)
        grid.setHorizontalSpacing(18)
        row = 0
        col = 0
        for group, shortcuts in grouped():
            title = plain(_(group), "helpGroup")
            grid.addWidget(title, row, col, 1, 2)
            r = row + 1
            for s in shortcuts:
                grid.addWidget(plain(" / ".join(s.keys), "helpKey"), r, col)
                grid.addWidget(plain(_(s.help), "helpText"), r, col + 1)
                r += 1
            if col == 0:
                col = 2
                self._next_row = r
            else:
                col = 0
                row = max(r, self._next_row) + 1
        # Keys the window adds to the registry's: the paddle's digits and the tabs.
        last = max(r, getattr(self, "_next_row", r)) + 1
        for keys, text in (
            ("0 – 9", _("Type a paddle (then Space or Enter: its floor bid; Esc clears)")),
            ("Ctrl+PgDown / Ctrl+PgUp", _("Next / previous tab")),
        ):
            grid.addWidget(plain(keys, "helpKey"), last, 0)
            grid.addWidget(plain(text, "helpText"), last, 1, 1, 3)
            last += 1
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        heading = _("Keyboard shortcuts  ({key} or Esc to close)").format(key=key_hint("help"))
        outer.addWidget(plain(heading, "helpTitle"), 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addWidget(panel, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(1)
        self.hide()

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            parent = self.parentWidget()
            if parent is not None:
                self.setGeometry(parent.rect())
            self.raise_()
            self.show()
            self.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # The overlay has focus while shown, so it closes itself on Esc or the help key.
        if event.key() == Qt.Key.Key_Escape or event.text() == key_hint("help"):
            self.hide()
            event.accept()
            return
        super().keyPressEvent(event)
