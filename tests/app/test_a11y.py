"""Issue 15, accessibility of the desktop app: every control has a name a screen reader can
say (every tab and every dialog the window opens), a lot is sold with the keyboard alone, and
the palette's text colours pass WCAG AA contrast (ratios computed from app/ui/style.py)."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.ui import style
from app.ui.widgets import accessible_name, is_control

T = 8000
NAMED = {"white": "#ffffff", "black": "#000000"}


# -- contrast --------------------------------------------------------------------------------


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of "#rrggbb" (or "white"/"black")."""
    hex_ = NAMED.get(colour, colour).lstrip("#")
    assert re.fullmatch(r"[0-9a-fA-F]{6}", hex_), colour
    channels = []
    for i in (0, 2, 4):
        c = int(hex_[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def rules(sheet: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, properties) of each rule of a Qt stylesheet."""
    out = []
    for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", sheet):
        props = {}
        for part in body.split(";"):
            if ":" in part:
                key, value = part.split(":", 1)
                props[key.strip()] = value.strip()
        out.append((" ".join(selector.split()), props))
    return out


def large(props: dict[str, str]) -> bool:
    """WCAG large text: 24 px, or 18.66 px bold."""
    size = float(re.sub(r"[^0-9.]", "", props.get("font-size", "13")) or 13)
    bold = props.get("font-weight", "400") in ("600", "700", "bold")
    return size >= 24 or (bold and size >= 18.66)


def test_contrast_arithmetic() -> None:
    assert round(contrast("white", "black"), 1) == 21.0
    assert round(contrast("#767676", "white"), 2) == 4.54  # the classic AA grey


def test_every_text_colour_of_the_palette_passes_aa() -> None:
    checked, failures = 0, []
    for selector, props in rules(style.STYLE):
        text = props.get("color")
        if text is None or ":disabled" in selector:  # WCAG exempts inactive controls
            continue
        ground = props.get("background") or style.TEXT_ON.get(selector)
        assert ground is not None, f"{selector}: say what its text is drawn on (TEXT_ON)"
        need = 3.0 if large(props) else 4.5
        ratio = contrast(text, ground)
        checked += 1
        if ratio < need:
            failures.append(f"{selector}: {text} on {ground} = {ratio:.2f} < {need}")
        selected = props.get("selection-color")
        if selected:
            ratio = contrast(selected, props["selection-background-color"])
            if ratio < 4.5:
                failures.append(f"{selector} selected: {ratio:.2f}")
    for name, colour in {**style.STATUS_COLORS, **style.SALE_BADGES}.items():
        checked += 1
        if contrast("white", colour) < 4.5:
            failures.append(f"badge {name}: white on {colour} = {contrast('white', colour):.2f}")
    assert checked > 30
    assert not failures, "\n".join(failures)


def test_every_coloured_rule_is_accounted_for() -> None:
    """A stale TEXT_ON entry (a selector no longer in the sheet) would check nothing."""
    selectors = {selector for selector, _props in rules(style.STYLE)}
    assert set(style.TEXT_ON) <= selectors


# -- names -----------------------------------------------------------------------------------


def unnamed(root: QWidget) -> list[str]:
    found = [w for w in [root, *root.findChildren(QWidget)] if is_control(w)]
    return [f"{type(w).__name__} {w.objectName() or '?'}" for w in found if not accessible_name(w)]


def test_every_control_of_every_tab_and_dialog_has_a_name(qtbot, window, core_env) -> None:
    from app.facade import SaleShelf
    from app.ui.login import FirstAdminDialog, LoginDialog
    from app.ui.main_window import named

    win = window
    controls = 0
    for i in range(win.tabs.count()):
        win.tabs.setCurrentIndex(i)
        qtbot.wait(10)
        page = win.tabs.widget(i)
        controls += sum(1 for w in page.findChildren(QWidget) if is_control(w))
    assert controls > 150  # the walk reached the tabs' fields and buttons
    assert unnamed(win) == []

    # The dialogs the window opens, each as the window opens it.
    opened = []
    win.bidders.show_link("101", "http://127.0.0.1:1/bid#token=" + "x" * 300)
    opened.append(win.bidders.link_box)
    win.compose_message()
    opened.append(win.dialog)
    win.end_session()
    opened.append(win.dialog)
    win.edit_lot("1")
    opened.append(win.dialog)
    win.add_lot()
    opened.append(win.dialog)
    bridge = core_env[0]
    opened += [named(LoginDialog(bridge, win)), named(FirstAdminDialog(bridge, win))]
    win.shelf = SaleShelf(Path(win.info.data_dir))
    try:
        win.show_sales()
        qtbot.waitUntil(lambda: win.picker.view.rowCount() >= 1, timeout=T)
        opened.append(win.picker)
        win.picker_desk.new_sale()
        opened.append(win.picker_desk.dialog)
        for dialog in opened:
            assert dialog is not None
            assert unnamed(dialog) == [], dialog.objectName()
            dialog.close()
    finally:
        win.shelf.close()
        win.shelf = None


# -- keyboard --------------------------------------------------------------------------------


def _lot(win):
    return win.state.current or {}


def _press(qtbot, win, *keys) -> None:
    for key in keys:
        target = win.focusWidget() or win
        qtbot.keyClick(target, key)


def test_a_lot_is_sold_with_the_keyboard_alone(qtbot, window) -> None:
    win = window
    K = Qt.Key
    _press(qtbot, win, K.Key_N)  # open the next lot (reserve €700)
    qtbot.waitUntil(lambda: _lot(win).get("status") == "open", timeout=T)
    _press(qtbot, win, K.Key_Space)  # a room bid at the ask, no paddle
    qtbot.waitUntil(lambda: (_lot(win).get("high") or {}).get("amount") == 50000, timeout=T)
    _press(qtbot, win, K.Key_1, K.Key_0, K.Key_2, K.Key_Return)  # paddle 102, Enter
    qtbot.waitUntil(lambda: (_lot(win).get("high") or {}).get("paddle") == "102", timeout=T)
    _press(qtbot, win, K.Key_S, K.Key_7, K.Key_0, K.Key_0, K.Key_Return)  # ask €700
    qtbot.waitUntil(lambda: _lot(win).get("ask") == 70000, timeout=T)
    _press(qtbot, win, K.Key_1, K.Key_0, K.Key_1, K.Key_Space)  # paddle 101 at €700
    qtbot.waitUntil(lambda: (_lot(win).get("high") or {}).get("paddle") == "101", timeout=T)
    assert win.console.buttons["hammer"].property("accent") == "hammer"  # reserve met
    _press(qtbot, win, K.Key_W)
    qtbot.waitUntil(lambda: _lot(win).get("status") == "fair_warning", timeout=T)
    _press(qtbot, win, K.Key_H)
    qtbot.waitUntil(lambda: _lot(win).get("status") == "sold", timeout=T)
    hammer = _lot(win).get("hammer") or {}
    assert (hammer.get("amount"), hammer.get("paddle"), hammer.get("source")) == (
        70000,
        "101",
        "key",
    )
    # The help lists the keys; the tabs are reached by keys too.
    _press(qtbot, win, K.Key_Question)
    assert win.help.isVisible()
    shown = [label.text() for label in win.help.findChildren(QLabel)]
    assert "0 – 9" in shown
    assert "Ctrl+PgDown / Ctrl+PgUp" in shown
    _press(qtbot, win, K.Key_Question)
    assert not win.help.isVisible()
    qtbot.keyClick(win, K.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert win.tabs.currentIndex() == 1
    qtbot.keyClick(win, K.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert win.tabs.currentWidget() is win.console
