"""The desktop app in English, German and French (issue 15).

- Completeness: every message extracted from app/** (and the core's texts the app shows) has a
  German and a French translation, with the same `{placeholders}`.
- Pseudo-language: the main window with every tab, built on the demo sale in `qps`, shows no
  text with letters outside `⟦…⟧` except data (lot titles, names, keys, addresses).
- German: the main controls read German (Hammer → Zuschlag).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTableWidget,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from app import i18n as app_i18n
from hub import i18n

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
LETTERS = re.compile(r"[^\W\d_]")
# The innermost ⟦…⟧ first: a translated message may hold another one ("⟦Ties: ⟦The room wins⟧⟧").
PSEUDO_TEXT = re.compile(
    re.escape(i18n.PSEUDO_OPEN)
    + rf"[^{i18n.PSEUDO_OPEN}{i18n.PSEUDO_CLOSE}]*"
    + re.escape(i18n.PSEUDO_CLOSE)
)
# Qt's own widgets (the tab bar's scroll buttons) speak Qt's catalogue, not the app's; the
# help overlay's key column shows Qt's key names ("Ctrl+PgDown").
QT_OWN = {"ScrollLeftButton", "ScrollRightButton", "helpKey"}


@pytest.fixture(scope="module")
def extracted() -> dict[str, list[tuple[str, int]]]:
    return app_i18n.extract_ids()


@pytest.fixture
def language() -> Iterator[None]:
    yield
    app_i18n.install("en")


# ------------------------------------------------------------------ the catalogues


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_every_app_message_is_translated(extracted: dict, lang: str) -> None:
    missing = i18n.missing(extracted, lang, ["app"])
    where = [f"{m!r} ({extracted[m][0][0]}:{extracted[m][0][1]})" for m in missing]
    assert not missing, f"{len(missing)} app messages without a {lang} translation:\n" + "\n".join(
        where
    )


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_translations_keep_the_placeholders(lang: str) -> None:
    """A translation that drops or renames `{lot}` would raise KeyError when shown."""
    wrong = [
        (msgid, text)
        for msgid, text in i18n.catalogue(lang, "app").items()
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text))
    ]
    assert not wrong


def test_no_message_is_built_from_fragments(extracted: dict) -> None:
    """Whole sentences only: an id that starts or ends in a space is a concatenated piece."""
    fragments = [m for m in extracted if m != m.strip()]
    assert not fragments


def test_install_follows_settings_then_the_system(
    monkeypatch: pytest.MonkeyPatch, language: None
) -> None:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "fr_CH.UTF-8")
    assert app_i18n.install(None) == "fr"
    assert app_i18n.install("") == "fr"
    assert app_i18n.install("de-AT") == "de"
    assert app_i18n._("Hammer") == "Zuschlag"
    assert app_i18n.install("tlh") == "en"  # not shipped: English
    assert app_i18n._("Hammer") == "Hammer"
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LANGUAGE", "de_DE:en")
    assert app_i18n.install(None) == "de"


def test_refusals_are_said_in_the_language(language: None) -> None:
    app_i18n.install("en")
    assert app_i18n.refusal("outbid", "The ask is now €2,200") == "The ask is now €2,200"
    assert app_i18n.refusal("outbid", None) == "Outbid: the ask has moved on"
    app_i18n.install("de")
    assert app_i18n.refusal("outbid", "The ask is now €2,200") == app_i18n._(
        "Outbid: the ask has moved on"
    )
    assert app_i18n.refusal("outbid", None) != "Outbid: the ask has moved on"
    # A reason the app does not know (a newer core): its message, else the code, never empty.
    assert app_i18n.refusal("brand_new", "Some detail") == "Some detail"
    assert app_i18n.refusal("brand_new", None) == "brand_new"
    assert app_i18n.refusal(None, None)


def test_every_core_reason_has_a_sentence() -> None:
    import hub.auction.reasons as reasons

    codes = {v for k, v in vars(reasons).items() if k.isupper() and isinstance(v, str)}
    assert codes <= set(app_i18n.REASONS), sorted(codes - set(app_i18n.REASONS))


# ------------------------------------------------------------------ the window


def texts_of(widget: QWidget) -> Iterator[str]:
    """Every text a user can read on a widget (or hear: accessible names, tooltips)."""
    yield widget.toolTip()
    yield widget.accessibleName()
    yield widget.whatsThis()
    if widget.isWindow():
        yield widget.windowTitle()
    if isinstance(widget, QLabel | QAbstractButton):
        yield widget.text()
    if isinstance(widget, QGroupBox):
        yield widget.title()
    if isinstance(widget, QLineEdit):
        yield widget.placeholderText()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        yield widget.placeholderText()
    if isinstance(widget, QComboBox):
        yield from (widget.itemText(i) for i in range(widget.count()))
    if isinstance(widget, QTabWidget):
        for i in range(widget.count()):
            yield widget.tabText(i)
            yield widget.tabToolTip(i)
    if isinstance(widget, QTableWidget):
        for c in range(widget.columnCount()):
            header = widget.horizontalHeaderItem(c)
            if header is not None:
                yield header.text()
            for r in range(widget.rowCount()):
                cell = widget.item(r, c)
                if cell is not None:
                    yield cell.text()
    if isinstance(widget, QListWidget):
        yield from (widget.item(i).text() for i in range(widget.count()))
    for action in widget.actions():
        yield action.text()
        yield action.toolTip() if action.toolTip() != action.text().replace("&", "") else ""


def untranslated(root: QWidget, data: set[str]) -> list[str]:
    """`class#name: text` of each text with letters outside ⟦…⟧ once data is taken out."""
    found: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if widget.objectName() in QT_OWN:
            continue
        for text in texts_of(widget):
            if text == widget.objectName() and text == widget.accessibleName():
                continue  # a table's accessible name is its object name for now (DESK's work)
            rest, before = text or "", None
            while rest != before:
                rest, before = PSEUDO_TEXT.sub("", rest), rest
            for value in sorted(data, key=len, reverse=True):
                rest = rest.replace(value, "")
            if LETTERS.search(rest):
                found.append(f"{type(widget).__name__}#{widget.objectName()}: {text!r}")
    return sorted(set(found))


def data_texts(win) -> set[str]:
    """What the demo sale and the stage put on screen that is data, not a message: lot and
    sale titles, bidder names, ids, addresses, key names (Qt's own names), the ladders' file
    names, currency codes, time zone names and this machine's serial ports."""
    from app.shortcuts import SHORTCUTS
    from app.ui.gavel_settings import list_ports
    from app.ui.new_sale import CURRENCIES, TIMEZONES
    from app.ui.sale_settings import shipped_ladders

    state = win.state
    out = {str(state.sale.get(k) or "") for k in ("id", "title", "currency", "name")}
    for lot in state.lots.values():
        out.update(str(lot.get(k) or "") for k in ("id", "title", "consignor"))
    for bidder in state.bidders:
        out.update(str(bidder.get(k) or "") for k in ("paddle", "name", "email"))
    info = win.info
    out.update({info.url, info.url + "/clerk", info.bidder_join, info.sale, info.data_dir})
    out.update(k for s in SHORTCUTS for k in s.keys)
    out.update((*i18n.NAMES.values(), i18n.PSEUDO))  # languages by their own names
    out.update(shipped_ladders())
    out.update((*CURRENCIES, *TIMEZONES))
    out.update(text for port in list_ports() for text in (port.label, port.name))
    return {t for t in out if t}


def test_the_window_shows_only_catalogue_texts_in_the_pseudo_language(
    qtbot, core_env, tmp_path: Path, language: None
) -> None:
    """Every tab, a lot on the block with a bid, the help overlay and the sale-day forms."""
    from app.main import image_dirs
    from app.ui.login import FirstAdminDialog, LoginDialog
    from app.ui.main_window import MainWindow
    from app.ui.new_sale import NewSaleDialog
    from app.ui.sale_picker import SalePicker

    app_i18n.install(i18n.PSEUDO)
    bridge, _core, info = core_env
    win = MainWindow(bridge, image_dirs(tmp_path / "data"), dialogs=False)
    qtbot.addWidget(win)
    win.show_core(info)
    win.show()
    qtbot.waitUntil(lambda: bool(win.state.lots) and bool(win.state.bidders), timeout=10_000)
    first = next(iter(win.state.lots))
    win.send({"op": "open_lot", "lot": first})
    qtbot.waitUntil(lambda: win.state.current_id == first, timeout=10_000)
    win.console.trigger("floor_bid", "key")
    qtbot.waitUntil(lambda: bool((win.state.current or {}).get("high")), timeout=10_000)
    data = data_texts(win)
    for i in range(win.tabs.count()):
        win.tabs.setCurrentIndex(i)
    win.help.toggle()
    bad = untranslated(win, data)

    # The console's notices: a typed amount it cannot read, and a refusal from the core.
    notice = win.console.notice
    win.console.ask_edit.setText("abc")
    win.console._set_ask()
    bad += untranslated(notice, data)
    notice.clear()
    win.send({"op": "open_lot", "lot": first})  # refused: that lot is on the block already
    qtbot.waitUntil(lambda: bool(notice.text()), timeout=10_000)
    assert notice.text().startswith(i18n.PSEUDO_OPEN)
    bad += untranslated(notice, data)

    win.compose_message()
    forms = [win.dialog]
    win.edit_lot(first)
    forms.append(win.dialog)
    win.add_lot()
    forms.append(win.dialog)
    forms += [
        NewSaleDialog(["demo"], lambda spec, ok, fail: None),
        SalePicker("demo"),
        LoginDialog(bridge),
        FirstAdminDialog(bridge),
    ]
    for form in forms:
        assert form is not None
        qtbot.addWidget(form)
        bad += untranslated(form, data)
        form.close()
    assert not bad, f"{len(bad)} texts not from the catalogue:\n" + "\n".join(bad)
    win.close()


def test_a_german_window_speaks_german(qtbot, core_env, tmp_path: Path, language: None) -> None:
    """The main controls, tabs and the lot card in German; money in the German format."""
    from app.main import image_dirs
    from app.ui.main_window import MainWindow

    app_i18n.install("de")
    bridge, _core, info = core_env
    win = MainWindow(bridge, image_dirs(tmp_path / "data"), dialogs=False)
    qtbot.addWidget(win)
    win.show_core(info)
    win.show()
    qtbot.waitUntil(lambda: bool(win.state.lots), timeout=10_000)
    first = next(iter(win.state.lots))
    win.send({"op": "open_lot", "lot": first})
    qtbot.waitUntil(lambda: win.state.current_id == first, timeout=10_000)
    buttons = win.console.buttons
    assert buttons["hammer"].text().startswith("Zuschlag")
    assert buttons["floor_bid"].text().startswith("Saalgebot")
    assert buttons["fair_warning"].text().startswith("Letzter Aufruf")
    assert buttons["pass"].text().startswith("Rückgang")
    tabs = [win.tabs.tabText(i) for i in range(win.tabs.count())]
    assert tabs[:3] == ["Pult", "Katalog", "Bieter"]
    card = win.console.card
    assert card.ask_caption.text() == "Nächstes Gebot"
    assert card.number.text() == f"Los {first}"
    # German money: the symbol after the amount, "." groups thousands ("1.200 €").
    ask = card.ask.text()
    assert ask.endswith("\xa0€"), ask
    assert not ask.startswith("€"), ask
    win.close()


@pytest.mark.parametrize(
    ("lang", "whole", "cents"),
    [
        ("en", "€1,200", "€1,234.50"),
        ("de", "1.200\xa0€", "1.234,50\xa0€"),
        ("fr", "1\u202f200\xa0€", "1\u202f234,50\xa0€"),
    ],
)
def test_money_and_numbers_follow_the_language(
    lang: str, whole: str, cents: str, language: None
) -> None:
    from app.formatting import format_money, format_number, parse_money

    app_i18n.install(lang)
    assert format_money(120_000, "EUR") == whole
    assert format_money(123_450, "EUR") == cents
    assert format_money(None, "EUR") == "—"
    # What the app prints, the app reads back (money stays int minor units).
    assert parse_money(cents, "EUR") == 123_450
    assert parse_money(whole, "EUR") == 120_000
    assert format_number(12_345) in ("12,345", "12.345", "12\u202f345")


@pytest.mark.parametrize(
    ("stored", "loaded"),
    [
        ("de", "de"),
        ("fr", "fr"),
        ("", ""),
        ("xx", ""),  # not shipped: the system's language
        ("de" * 300, ""),  # oversized
        ("<script>", ""),  # hostile
        (42, ""),  # not a string
        (["de"], ""),
    ],
)
def test_the_language_setting_is_kept_and_checked(
    tmp_path: Path, stored: object, loaded: str
) -> None:
    import json

    from app.settings import FILE_NAME, AppSettings

    (tmp_path / FILE_NAME).write_text(json.dumps({"language": stored, "last_sale": "x"}), "utf-8")
    settings = AppSettings.load(tmp_path)
    assert settings.language == loaded
    assert settings.last_sale == "x"  # a bad language loses nothing else
    settings.language = "fr"
    settings.save(tmp_path)
    assert AppSettings.load(tmp_path).language == "fr"


def test_the_language_menu_saves_the_choice_for_the_next_start(window, qtbot) -> None:
    button = window.language_button
    assert button.text() == "English"
    assert [a.text() for a in button.menu().actions()] == ["English", "Deutsch", "Français"]
    assert button.actions_by_lang["en"].isChecked()
    with qtbot.waitSignal(window.language_chosen, timeout=2_000) as sig:
        button.actions_by_lang["de"].trigger()
    assert sig.args == ["de"]
    assert "Deutsch" in window.statusBar().currentMessage()
    assert window.console.buttons["hammer"].text().startswith("Hammer")  # on the next start


def test_qt_speaks_the_language_too(qapp, language: None) -> None:
    from PySide6.QtCore import QCoreApplication

    app_i18n.install("en")
    assert app_i18n.qt_translator(qapp) is None
    app_i18n.install("de")
    translator = app_i18n.qt_translator(qapp)
    assert translator is not None
    try:
        assert QCoreApplication.translate("QPlatformTheme", "&Yes") == "&Ja"
    finally:
        qapp.removeTranslator(translator)
