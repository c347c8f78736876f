"""Commissions tab: the demo sale's books are shown; staff enter and cancel commission bids;
the engine's refusals come back in words; nothing is sent for unreadable input."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.state import ConsoleState
from app.ui.commissions import commission_rows

T = 8000


def test_commission_rows_are_in_catalogue_then_arrival_order() -> None:
    state = ConsoleState.from_snapshot(
        {
            "sale": {"currency": "EUR"},
            "lot_views": [
                {
                    "id": "2",
                    "order": 2,
                    "title": "Vase",
                    "status": "pending",
                    "books": [
                        {"paddle": "9", "max": 500, "order": 7},
                        {"paddle": "8", "max": 900, "order": 3},
                    ],
                },
                {
                    "id": "1",
                    "order": 1,
                    "title": "Clock",
                    "status": "sold",
                    "books": [{"paddle": "8", "max": 100, "order": 1}],
                },
            ],
            "bidders": [{"paddle": "8", "name": "<b>Ann</b>"}],
        }
    )
    rows = commission_rows(state)
    assert [(r["lot"], r["paddle"]) for r in rows] == [("1", "8"), ("2", "8"), ("2", "9")]
    assert rows[0]["name"] == "<b>Ann</b>"
    assert rows[2]["name"] == ""


def test_enter_and_cancel_commission_bids(qtbot, window) -> None:
    win = window
    panel = win.commissions
    win.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: len(panel.rows) == 2, timeout=T)  # the demo sale's two books
    assert {(r["lot"], r["paddle"]) for r in panel.rows} == {("2", "201"), ("5", "102")}

    # A new one on lot 3 for paddle 101 (start €2,000).
    panel.lot.setCurrentIndex(panel.lot.findData("3"))
    panel.paddle.setText("101")
    panel.maximum.setText("2,600")
    qtbot.keyClick(panel.maximum, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: any(
            r["lot"] == "3" and r["paddle"] == "101" and r["max"] == 260000 for r in panel.rows
        ),
        timeout=T,
    )
    assert panel.maximum.text() == ""
    row = next(i for i, r in enumerate(panel.rows) if r["lot"] == "3")
    assert panel.view.item(row, 5).text() == "€2,600"

    # The engine refuses a second book for the same paddle on a lot, and one below the start.
    for maximum in ("3,000", "100"):
        panel.maximum.setText(maximum)
        with qtbot.waitSignal(win.console.notice_changed, timeout=T) as sig:
            qtbot.mouseClick(panel.add, Qt.MouseButton.LeftButton)
        assert "Refused (Commission bid)" in sig.args[0]  # the command by its name
        panel.paddle.setText("102")

    # Unreadable input sends nothing.
    panel.maximum.setText("a lot")
    with qtbot.waitSignal(panel.notice, timeout=2000) as sig:
        qtbot.mouseClick(panel.add, Qt.MouseButton.LeftButton)
    assert sig.args[0].startswith("Commission bid not entered")

    # Cancel the new one.
    row = next(i for i, r in enumerate(panel.rows) if r["lot"] == "3")
    panel.view.selectRow(row)
    panel.view.setCurrentCell(row, 0)
    qtbot.mouseClick(panel.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not any(r["lot"] == "3" for r in panel.rows), timeout=T)
