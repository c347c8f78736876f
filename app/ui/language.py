"""The language menu in the header: English, Deutsch, Français.

Widgets take their texts when they are built, so a new choice is saved (the app settings'
`language`) and applies when the app starts next; the window says so.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QToolButton

from app import i18n as app_i18n
from app.i18n import _
from hub import i18n


def language_name(lang: str) -> str:
    """A language by its own name ("Deutsch"): the same in every language, so not translated."""
    return i18n.NAMES.get(lang, lang)


class LanguageButton(QToolButton):
    """Shows the app's language; its menu offers the shipped ones. Emits `chosen(tag)`."""

    chosen = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("languageButton")
        current = app_i18n.language()
        self.setText(language_name(current))
        tip = _("Language of the app (applies when it starts next)")
        self.setToolTip(tip)
        self.setAccessibleName(tip)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        menu.setObjectName("languageMenu")
        group = QActionGroup(menu)
        self.actions_by_lang: dict[str, QAction] = {}
        for lang in i18n.LANGUAGES:
            action = menu.addAction(language_name(lang))
            action.setCheckable(True)
            action.setChecked(lang == current)
            group.addAction(action)
            action.triggered.connect(lambda _checked=False, tag=lang: self.chosen.emit(tag))
            self.actions_by_lang[lang] = action
        self.setMenu(menu)
