"""One keymap: the console's shortcuts, buttons and help are the command registry's bindings,
and its keys send the registry's commands to a real core (the clerk page's half is
tests/e2e/test_keymap_clerk.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel

from app.shortcuts import SHORTCUTS, Shortcut
from app.ui.console import boxed, button_rows
from hub.auction.commands import BINDINGS, BY_ACTION
from hub.auction.events import Actor

APP_ONLY = {"import": ["Ctrl+I"], "export": ["Ctrl+E"]}


def _lot(win):
    return win.state.current or {}


def test_shortcuts_buttons_and_help_are_the_registry(window):
    portable = QKeySequence.SequenceFormat.PortableText
    bound = {
        action: [sc.key().toString(portable) for sc in shortcuts]
        for action, shortcuts in window.shortcuts.items()
    }
    assert bound == {b.action: [b.key] for b in BINDINGS} | APP_ONLY

    # Every binding that sends a command has a button with its label and key; help has none.
    buttons = window.console.buttons
    assert set(buttons) == {b.action for b in BINDINGS if b.op is not None}
    for b in BINDINGS:
        if b.op is not None:
            label, key = buttons[b.action].text().split("\n")
            assert (label, key) == (b.label + ("…" if b.prompt else ""), b.key)
            assert buttons[b.action].toolTip() == b.help

    texts = [label.text() for label in window.help.findChildren(QLabel)]
    for b in BINDINGS:
        assert b.help in texts
        assert b.key in texts


def test_a_new_binding_gets_a_button_without_a_console_edit():
    extra = Shortcut("toll", "Ring the bell", ("B",), "Ring", "Ceremony", op="pause")
    rows = button_rows((*SHORTCUTS, extra))
    assert rows[-1][-1] == "toll"  # a group the console does not know joins the last row
    assert boxed("Online") == ["accept_online", "reject_online", "set_to_floor"]


def test_registry_keys_drive_the_console(qtbot, window, core_env):
    _, core, _ = core_env
    win = window
    sent: list[dict] = []
    win.console.command.connect(sent.append)
    answers: list[str] = []
    win.console.ask_text = lambda question, suggestion: answers.pop(0)
    core.submit({"op": "configure", "settings": {"confirm_online": True}}, Actor("system")).result(
        5
    )

    qtbot.keyClick(win, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: _lot(win).get("status") == "open", timeout=15000)
    assert sent[-1] == {"op": BY_ACTION["next_lot"].op, "lot": "1"}

    # Y: accept the oldest waiting online bid.
    ask = _lot(win)["ask"]
    core.submit(
        {"op": "bid", "lot": "1", "amount": ask, "key": "k1"}, Actor("bidder", "7001")
    ).result(5)
    qtbot.waitUntil(lambda: bool(_lot(win).get("pending")), timeout=15000)
    pending = str(_lot(win)["pending"][0]["id"])
    qtbot.keyClick(win, Qt.Key.Key_Y)
    assert sent[-1] == {"op": "accept_online", "lot": "1", "pending": pending}
    qtbot.waitUntil(lambda: (_lot(win).get("high") or {}).get("paddle") == "7001", timeout=15000)

    # S: the Ask field takes the amount; Enter sends it.
    qtbot.keyClick(win, Qt.Key.Key_S)
    assert win.console.ask_edit.hasFocus()
    qtbot.keyClicks(win.console.ask_edit, "900")
    qtbot.keyClick(win.console.ask_edit, Qt.Key.Key_Return)
    assert sent[-1] == {"op": "set_ask", "lot": "1", "amount": 90000}
    qtbot.waitUntil(lambda: _lot(win).get("ask") == 90000, timeout=15000)

    # 0 / - / +: the increment presets.
    qtbot.keyClick(win, Qt.Key.Key_Minus)
    assert sent[-1] == {"op": "set_increment", "lot": "1", "mode": "half"}

    # W, then Z twice: pause (asks a message), resume (asks nothing).
    qtbot.keyClick(win, Qt.Key.Key_W)
    assert sent[-1] == {"op": "fair_warning", "lot": "1"}
    qtbot.waitUntil(lambda: _lot(win).get("status") == "fair_warning", timeout=15000)
    answers.append("Back in five")
    qtbot.keyClick(win, Qt.Key.Key_Z)
    assert sent[-1] == {"op": "pause", "message": "Back in five"}
    qtbot.waitUntil(lambda: win.state.sale.get("paused") is True, timeout=15000)
    qtbot.keyClick(win, Qt.Key.Key_Z)
    assert sent[-1] == {"op": "resume"}
    assert answers == []
    qtbot.waitUntil(lambda: not win.state.sale.get("paused"), timeout=15000)

    # H: knocked down (passed: the €500 bid is under the €700 reserve).
    qtbot.keyClick(win, Qt.Key.Key_H)
    assert sent[-1] == {"op": "hammer", "lot": "1", "source": "key"}
    qtbot.waitUntil(lambda: _lot(win).get("status") == "passed", timeout=15000)

    # D on the next lot: withdrawn, with the reason asked for.
    qtbot.keyClick(win, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: win.state.current_id == "2", timeout=15000)
    answers.append("the vendor withdrew it")
    qtbot.keyClick(win, Qt.Key.Key_D)
    assert sent[-1] == {"op": "withdraw", "lot": "2", "reason": "the vendor withdrew it"}
    qtbot.waitUntil(lambda: win.state.lots["2"].get("status") == "withdrawn", timeout=15000)
