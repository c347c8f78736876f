"""Issue 15, the desktop app's defects: each test drives the real window against a real core
(Stage on port 0) and fails on the code before the fix."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.formatting import hammer_outcome
from hub.auction.commands import BINDINGS

T = 8000


def _lot(win):
    return win.state.current or {}


def _open_first_lot(qtbot, win) -> None:
    qtbot.keyClick(win, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: _lot(win).get("status") == "open", timeout=T)


# -- defect 1: a join link never widens the window; any approved bidder's link again --------


def test_join_link_keeps_the_window_and_shows_again(qtbot, window):
    win = window
    win.resize(1366, 700)
    qtbot.waitUntil(lambda: win.width() == 1366)
    min_before = win.minimumSizeHint().width()
    future = win.bridge.core._run(
        lambda stage: stage.register_online_bidder({"name": "Eve", "email": "eve@example.com"})
    )
    paddle = future.result(timeout=10)
    panel = win.bidders
    win.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: any(str(b.get("paddle")) == paddle for b in panel.rows), timeout=T)
    panel.select(paddle)
    qtbot.mouseClick(panel.approve, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.link_box.isVisible(), timeout=T)
    first = panel.link_url
    assert "/bid#token=" in first
    assert len(first) > 100
    assert panel.link_text.isReadOnly()
    assert panel.link_text.text() == first
    win.tabs.setCurrentWidget(win.console)
    qtbot.wait(50)  # let the layouts settle (a grown label would have widened the window)
    assert win.minimumSizeHint().width() <= min_before
    assert win.width() == 1366
    # The link again, without approving again: select the bidder, Show link.
    panel.link_box.close()
    panel.link_url = ""
    qtbot.waitUntil(
        lambda: any(
            str(b.get("paddle")) == paddle and b.get("status") == "approved" for b in panel.rows
        ),
        timeout=T,
    )
    win.tabs.setCurrentWidget(panel)
    panel.select(paddle)
    qtbot.mouseClick(panel.show_link_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.link_box.isVisible() and bool(panel.link_url), timeout=T)
    assert panel.link_paddle == paddle
    assert "/bid#token=" in panel.link_url
    assert win.width() == 1366


def test_show_link_refuses_a_bidder_not_approved(qtbot, window):
    future = window.bridge.core._run(
        lambda stage: stage.register_online_bidder({"name": "Mallory", "email": "m@example.com"})
    )
    paddle = future.result(timeout=10)
    panel = window.bidders
    qtbot.waitUntil(lambda: any(str(b.get("paddle")) == paddle for b in panel.rows), timeout=T)
    panel.select(paddle)
    with qtbot.waitSignal(panel.notice, timeout=2000) as sig:
        qtbot.mouseClick(panel.show_link_button, Qt.MouseButton.LeftButton)
    assert "not approved" in sig.args[0]
    assert not panel.link_box.isVisible()


# -- defect 5: digits typed anywhere go to the Paddle field; "0" is no shortcut --------------


def test_digits_typed_anywhere_name_the_paddle(qtbot, window):
    win = window
    sent: list[dict] = []
    win.console.command.connect(sent.append)
    assert all(not b.key.isdigit() for b in BINDINGS)
    _open_first_lot(qtbot, win)
    win.lots.view.setFocus()  # the focus elsewhere on the window
    for key in (Qt.Key.Key_1, Qt.Key.Key_0, Qt.Key.Key_2):
        qtbot.keyClick(win, key)
    assert win.console.paddle.text() == "102"
    assert win.console.paddle.hasFocus()
    assert not any(c.get("op") == "set_increment" for c in sent)  # "0" is not the Ladder
    # Space is still the floor bid while the Paddle field has the focus: by paddle 102.
    qtbot.keyClick(win.console.paddle, Qt.Key.Key_Space)
    assert sent[-1] == {"op": "floor_bid", "lot": "1", "paddle": "102"}
    qtbot.waitUntil(lambda: (_lot(win).get("high") or {}).get("paddle") == "102", timeout=T)
    assert win.console.paddle.text() == ""
    # Escape drops a half-typed paddle; the console's keys work again at once.
    qtbot.keyClick(win, Qt.Key.Key_9)
    qtbot.keyClick(win.console.paddle, Qt.Key.Key_Escape)
    assert win.console.paddle.text() == ""
    assert not win.console.paddle.hasFocus()
    # A text field of another tab keeps its own digits.
    win.tabs.setCurrentWidget(win.bidders)
    win.bidders.search.setFocus()
    qtbot.keyClicks(win.bidders.search, "10")
    assert win.bidders.search.text() == "10"
    assert win.console.paddle.text() == ""


# -- defect 7: the Hammer button says when it will pass the lot ------------------------------


def test_hammer_outcome_follows_the_engine() -> None:
    live = {"status": "open", "reserve": 70000}
    assert hammer_outcome(None) == ""
    assert hammer_outcome({"status": "sold"}) == ""
    assert hammer_outcome(live) == "no_bids"
    assert hammer_outcome({**live, "high": {"amount": 50000, "channel": "floor"}}) == "pass"
    below = {**live, "high": {"amount": 50000, "channel": "floor"}}
    assert hammer_outcome(below, subject_to=True) == "subject_to"
    assert hammer_outcome({**live, "high": {"amount": 70000}}) == "sell"
    assert hammer_outcome({**live, "high": {"amount": 50000, "house": True}}) == "bought_in"
    assert hammer_outcome({"status": "fair_warning", "high": {"amount": 1}}) == "sell"


def test_hammer_button_warns_below_the_reserve(qtbot, window):
    win = window
    button = win.console.buttons["hammer"]
    reserve = win.console.card.reserve
    _open_first_lot(qtbot, win)  # lot 1: reserve €700
    qtbot.keyClick(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: (_lot(win).get("high") or {}).get("amount") == 50000, timeout=T)
    assert button.text().startswith("Hammer: passes")
    assert "Reserve not met" in button.toolTip()
    assert button.property("accent") == "warn"
    assert reserve.property("met") is False
    for amount in (55000, 60000, 65000, 70000):
        qtbot.keyClick(win, Qt.Key.Key_Space)
        qtbot.waitUntil(
            lambda a=amount: (_lot(win).get("high") or {}).get("amount") == a, timeout=T
        )
    assert button.text().split("\n")[0] == "Hammer"
    assert button.property("accent") == "hammer"
    assert reserve.property("met") is True
    assert "(met)" in reserve.text()
