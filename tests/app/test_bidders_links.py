"""Bidders tab: approving a bidder shows their join link and its QR code; names stay text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel

HOSTILE = "<b>Eve</b><img src=x onerror=alert(1)>"
T = 8000


def test_approve_shows_link_and_qr(qtbot, window):
    win = window
    bridge = win.bridge
    # An online sign-up comes from the web page, not the desk: reach the stage directly.
    future = bridge.core._run(
        lambda stage: stage.register_online_bidder({"name": HOSTILE, "email": "eve@example.com"})
    )
    paddle = future.result(timeout=10)
    win.tabs.setCurrentWidget(win.bidders)
    panel = win.bidders
    qtbot.waitUntil(lambda: any(str(b.get("paddle")) == paddle for b in panel.rows), timeout=T)
    assert not panel.link_box.isVisible()
    row = next(i for i, b in enumerate(panel.rows) if str(b.get("paddle")) == paddle)
    assert panel.view.item(row, 1).text() == HOSTILE
    assert panel.view.item(row, 3).text() == "Pending"
    panel.select(paddle)
    qtbot.mouseClick(panel.approve, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: panel.link_box.isVisible(), timeout=T)
    assert panel.link_paddle == paddle
    assert "/bid#token=" in panel.link_url
    assert panel.link_url.startswith(win.bridge.core.info.bidder_join.removesuffix("/bid"))
    assert panel.link_text.text() == panel.link_url
    pixmap = panel.link_qr.pixmap()
    assert not pixmap.isNull()
    assert pixmap.width() >= 100
    assert HOSTILE in panel.link_who.text()
    for label in panel.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    qtbot.waitUntil(
        lambda: any(
            str(b.get("paddle")) == paddle and b.get("status") == "approved" for b in panel.rows
        ),
        timeout=T,
    )

    qtbot.mouseClick(panel.copy_link, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == panel.link_url


def test_approve_without_selection_asks_for_one(qtbot, window):
    panel = window.bidders
    panel.view.clearSelection()
    panel.view.setCurrentCell(-1, -1)
    with qtbot.waitSignal(panel.notice, timeout=2000) as sig:
        qtbot.mouseClick(panel.approve, Qt.MouseButton.LeftButton)
    assert sig.args == ["Select a bidder first."]
    assert not panel.link_box.isVisible()


def test_registration_desk(qtbot, window):
    """Staff register a room bidder (approved on the spot) and a phone bidder (pending); the
    desk refuses a taken paddle and a bad limit with a message; names stay plain text."""
    win = window
    panel = win.bidders
    win.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: bool(panel.rows), timeout=T)
    suggested = panel.new_paddle.text()
    assert suggested.isdigit()
    assert all(str(b.get("paddle")) != suggested for b in panel.rows)

    panel.new_name.setText(HOSTILE)
    panel.new_limit.setText("2,500")
    qtbot.keyClick(panel.new_name, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: any(
            str(b.get("paddle")) == suggested and b.get("name") == HOSTILE for b in panel.rows
        ),
        timeout=T,
    )
    row = next(b for b in panel.rows if str(b.get("paddle")) == suggested)
    assert row["status"] == "approved"
    assert row["channel"] == "floor"
    assert row["credit_limit"] == 250000
    assert panel.new_name.text() == ""
    qtbot.waitUntil(lambda: panel.new_paddle.text() not in ("", suggested), timeout=T)

    # A taken paddle and an unreadable limit: a message, nothing sent.
    with qtbot.waitSignal(panel.notice, timeout=2000) as sig:
        panel.new_paddle.setText(suggested)
        qtbot.mouseClick(panel.register_button, Qt.MouseButton.LeftButton)
    assert sig.args == [f"Paddle {suggested} is already registered."]
    with qtbot.waitSignal(panel.notice, timeout=2000) as sig:
        panel.new_paddle.setText("P-9")
        panel.new_limit.setText("lots")
        qtbot.mouseClick(panel.register_button, Qt.MouseButton.LeftButton)
    assert sig.args[0].startswith("Not registered: credit limit")

    # A phone bidder whose ID is not checked yet waits for approval.
    panel.new_limit.clear()
    panel.new_name.setText("Phone Person")
    panel.new_channel.setCurrentIndex(panel.new_channel.findData("phone"))
    panel.new_checked.setChecked(False)
    qtbot.mouseClick(panel.register_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(str(b.get("paddle")) == "P-9" for b in panel.rows), timeout=T)
    row = next(b for b in panel.rows if str(b.get("paddle")) == "P-9")
    assert (row["status"], row["channel"], row["name"]) == ("pending", "phone", "Phone Person")
    for label in panel.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()


def test_find_a_bidder_by_paddle_or_name(qtbot, window):
    panel = window.bidders
    window.tabs.setCurrentWidget(panel)
    future = window.bridge.core._run(
        lambda stage: stage.register_online_bidder({"name": "Zoë Quartermaine"})
    )  # a web sign-up (see above)
    paddle = future.result(timeout=10)
    qtbot.waitUntil(lambda: any(str(b.get("paddle")) == paddle for b in panel.rows), timeout=T)

    def visible() -> set[str]:
        return {
            str(b.get("paddle")) for r, b in enumerate(panel.rows) if not panel.view.isRowHidden(r)
        }

    qtbot.keyClicks(panel.search, "quarter")
    assert visible() == {paddle}
    panel.search.setText("10")  # paddles 101, 102 of the demo sale
    assert visible() == {"101", "102"}
    panel.search.clear()
    assert len(visible()) == len(panel.rows)
