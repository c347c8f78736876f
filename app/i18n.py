"""The desktop app's language: `_("English text")` everywhere a user reads it.

The catalogue is `resources/locale/<lang>/LC_MESSAGES/app.po` (see `hub/i18n.py`); `install()`
picks the language at start from the settings, else the system's locale.
"""

from __future__ import annotations

from hub import i18n

_lang = i18n.SOURCE


def install(language: str | None) -> str:
    """Use `language` (a tag such as `de` or `fr_FR.UTF-8`; None: English) from now on."""
    global _lang
    _lang = i18n.normalize(language)
    return _lang


def language() -> str:
    return _lang


def _(message: str) -> str:
    """`message` in the app's language (English when the catalogue has no translation)."""
    if _lang == i18n.PSEUDO:
        return i18n.pseudo(message)
    return i18n.catalogue(_lang, "app").get(message, message)
