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
    future = bridge.core.run(lambda stage: stage.register_online_bidder(
        {"name": HOSTILE, "email": "eve@example.com"}))
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
    assert panel.link_url.startswith(win.bridge.core.stage.base_url())
    assert panel.link_text.text() == panel.link_url
    pixmap = panel.link_qr.pixmap()
    assert not pixmap.isNull()
    assert pixmap.width() >= 100
    assert HOSTILE in panel.link_who.text()
    for label in panel.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    qtbot.waitUntil(lambda: any(str(b.get("paddle")) == paddle and b.get("status") == "approved"
                                for b in panel.rows), timeout=T)

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
