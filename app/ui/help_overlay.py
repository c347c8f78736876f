"""F1 / ?: a translucent overlay listing every shortcut (from app.shortcuts)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QVBoxLayout, QWidget

from app.shortcuts import grouped
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
            title = plain(group, "helpGroup")
            grid.addWidget(title, row, col, 1, 2)
            r = row + 1
            for s in shortcuts:
                grid.addWidget(plain(" / ".join(s.keys), "helpKey"), r, col)
                grid.addWidget(plain(s.help, "helpText"), r, col + 1)
                r += 1
            if col == 0:
                col = 2
                self._next_row = r
            else:
                col = 0
                row = max(r, self._next_row) + 1
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(plain("Keyboard shortcuts  (F1 or Esc to close)", "helpTitle"), 0,
                        Qt.AlignmentFlag.AlignHCenter)
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
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_F1, Qt.Key.Key_Question):
            self.hide()
            event.accept()
            return
        super().keyPressEvent(event)
