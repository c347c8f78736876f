"""The console: the lot on the block, every staff command, bid history, online and late bids."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIntValidator, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.formatting import (
    bidder_label,
    book_text,
    channel_label,
    format_duration,
    format_estimate,
    format_money,
    hammer_outcome,
    paddle_hint,
    parse_money,
    status_label,
)
from app.i18n import N_, _
from app.shortcuts import BY_ACTION, SHORTCUTS, Shortcut, button_text, key_hint
from app.state import ConsoleState
from app.ui.style import STATUS_COLORS
from app.ui.widgets import ElidedLabel, action_button, item, plain, table
from hub.auction.commands import BY_OP

JSON = dict[str, Any]

# Where each binding group's buttons go: rows under the lot card, or a box of their own.
# Groups named nowhere join the last row, so a new binding gets a button with no edit here.
# Three short rows, not two long ones: the console fits a 1024 px wide window (a 1280×800
# laptop at 125 %); the live loop's keys (bid, fair warning, hammer, pass, next) come first.
ROWS = (("Bidding",), ("Sale", "Corrections"), ("Increment",))
BUTTON_HEIGHT = 34
IMAGE_SIZE = 150
BOXES = ("Online", "Late bids")
STATUS_STYLE = STATUS_COLORS  # white text on each: contrast checked in style.py's tests


# Why a lot was passed (the engine's codes), as the card says it.
PASS_REASONS = {
    "no_bids": N_("no bids"),
    "bought_in": N_("bought in"),
    "reserve_not_met": N_("reserve not met"),
    "passed": N_("passed"),
    "vendor_declined": N_("vendor declined"),
    "sale_cancelled": N_("sale cancelled"),
}


# What a word prompt asks for, and what it offers (sent as is when dialogs are off).
# Marked N_: translated where asked (the language is chosen after import).
QUESTIONS = {
    "reason": N_("reason (journaled)"),
    "message": N_("a message for the room and the bidders"),
}
SUGGESTED = {
    "reinstate": N_("retracted in error"),
    "withdraw": N_("withdrawn by the vendor"),
    "pause": N_("Short break, back shortly"),
    "reopen": N_("reopened by the auctioneer"),
}


def hammer_look(outcome: str) -> tuple[str, str, str]:
    """The Hammer button's (label, tooltip, accent) for a `hammer_outcome`."""
    if outcome == "subject_to":
        tip = _("Reserve not met: the hammer sells subject to the vendor's approval")
        return _("Hammer: subject to"), tip, "warn"
    if outcome == "pass":
        return _("Hammer: passes"), _("Reserve not met: the hammer passes the lot"), "warn"
    if outcome == "no_bids":
        return _("Hammer: passes"), _("No bid yet: the hammer passes the lot"), "warn"
    if outcome == "bought_in":
        return _("Hammer: bought in"), _("The house bid is highest: the lot is bought in"), "warn"
    hammer = BY_ACTION["hammer"]
    return button_text(hammer), _(hammer.help), "hammer"


def button_rows(shortcuts: tuple[Shortcut, ...] = SHORTCUTS) -> list[list[str]]:
    """The console's button rows (action names): every command binding not in a box.

    Screen and app actions (no op: help, import, export) have keys but no console button.
    """
    rows: list[list[tuple[int, str]]] = [[] for _ in ROWS]
    for s in shortcuts:
        if s.op is None or s.group in BOXES:
            continue
        where = next((i for i, groups in enumerate(ROWS) if s.group in groups), len(ROWS) - 1)
        rank = ROWS[where].index(s.group) if s.group in ROWS[where] else len(ROWS[where])
        rows[where].append((rank, s.action))
    # Within a row, group by group (registry order inside each): the sort is stable.
    return [[action for _, action in sorted(row, key=lambda r: r[0])] for row in rows if row]


def boxed(group: str, shortcuts: tuple[Shortcut, ...] = SHORTCUTS) -> list[str]:
    """The actions whose buttons sit in a group's own box (online bids, late bids)."""
    return [s.action for s in shortcuts if s.group == group and s.op is not None]


# Keys the Paddle field keeps while it has the focus: digits and editing. Every other key
# (Space, W, H…) stays the console's shortcut, so "102 Space" is a floor bid by paddle 102.
PADDLE_KEYS = frozenset(
    {
        Qt.Key.Key_Backspace,
        Qt.Key.Key_Delete,
        Qt.Key.Key_Left,
        Qt.Key.Key_Right,
        Qt.Key.Key_Home,
        Qt.Key.Key_End,
        *(Qt.Key(Qt.Key.Key_0.value + n) for n in range(10)),
    }
)


class PaddleEdit(QLineEdit):
    """The Paddle field: takes digits and editing keys, lets the console's shortcuts through;
    Escape empties it and gives the keys back to the console."""

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ShortcutOverride and isinstance(e, QKeyEvent):
            if Qt.Key(e.key()) in PADDLE_KEYS or e.key() == Qt.Key.Key_Escape:
                e.accept()
                return True
            e.ignore()  # a shortcut: not for this field
            return False
        return super().event(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        if e.key() == Qt.Key.Key_Escape:
            self.clear()
            self.clearFocus()
            return
        super().keyPressEvent(e)


class LotCard(QFrame):
    """The current lot: image, number, title, estimate, reserve, high bid, next ask."""

    def __init__(self, image_dirs: list[Path]) -> None:
        super().__init__()
        self.setObjectName("lotCard")
        self.image_dirs = image_dirs
        self.image = plain()
        self.image.setObjectName("lotImage")
        self.image.setFixedSize(IMAGE_SIZE, IMAGE_SIZE)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number = plain("", "lotNumber")
        self.badge = plain("", "statusBadge")
        self.title = plain(_("No lot on the block"), "lotTitle", wrap=True)
        self.estimate = plain("", "lotEstimate")
        self.reserve = plain("", "lotReserve")
        self.book = ElidedLabel("", "lotBook", min_width=40)
        self.bid_caption = plain(_("Current bid"), "caption")
        self.bid = plain("—", "currentBid")
        self.bidder = plain("", "currentBidder")
        self.ask_caption = plain(_("Next ask"), "caption")
        self.ask = plain("—", "nextAsk")
        self.increment = plain("", "increment")
        # The latest saleroom notice on this lot: the auctioneer reads it out before selling.
        self.notice = ElidedLabel("", "lotNotice", min_width=80)
        self.notice.setStyleSheet("color: #9a3412; font-weight: 700;")
        self._image_name: str | None = None

        top = QHBoxLayout()
        top.addWidget(self.number)
        top.addWidget(self.badge)
        top.addSpacing(12)
        top.addWidget(self.notice, 1)
        facts = QHBoxLayout()
        facts.addWidget(self.estimate)
        facts.addSpacing(12)
        facts.addWidget(self.reserve)
        facts.addSpacing(12)
        facts.addWidget(self.book)
        facts.addStretch(1)
        money = QGridLayout()
        money.addWidget(self.bid_caption, 0, 0)
        money.addWidget(self.ask_caption, 0, 1)
        money.addWidget(self.bid, 1, 0)
        money.addWidget(self.ask, 1, 1)
        money.addWidget(self.bidder, 2, 0)
        money.addWidget(self.increment, 2, 1)
        money.setColumnStretch(0, 3)
        money.setColumnStretch(1, 2)
        text = QVBoxLayout()
        text.setSpacing(4)
        text.addLayout(top)
        text.addWidget(self.title)
        text.addLayout(facts)
        text.addStretch(1)
        text.addLayout(money)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 8, 8, 8)
        row.setSpacing(14)
        row.addWidget(self.image)
        row.addLayout(text, 1)

    def show_lot(self, lot: JSON | None, currency: str) -> None:
        if lot is None:
            self.number.setText("")
            self.badge.setText("")
            self.title.setText(
                _("No lot on the block — press {key_hint} to open the next lot").format(
                    key_hint=key_hint("next_lot")
                )
            )
            for label in (
                self.estimate,
                self.reserve,
                self.book,
                self.bidder,
                self.increment,
                self.notice,
            ):
                label.setText("")
            self.bid.setText("—")
            self.ask.setText("—")
            self._set_image(None)
            return
        status = str(lot.get("status") or "")
        self.number.setText(_("Lot {id}").format(id=lot.get("id")))
        self.badge.setText(status_label(status).upper())
        self.badge.setStyleSheet(
            f"background: {STATUS_STYLE.get(status, '#4b5563')}; color: white;"
            "border-radius: 4px; padding: 2px 8px; font-weight: 600;"
        )
        self.title.setText(str(lot.get("title") or ""))
        self.show_notices(lot.get("notices") or [])
        est = lot.get("estimate") or {}
        self.estimate.setText(
            _("Estimate {estimate}").format(
                estimate=format_estimate(est.get("low"), est.get("high"), currency)
            )
        )
        reserve = lot.get("reserve")
        if reserve is None:
            self.reserve.setText(_("No reserve"))
        else:
            text = _("Reserve {amount} (met)") if lot.get("reserve_met") else None
            text = text or _("Reserve {amount} (not met)")
            self.reserve.setText(text.format(amount=format_money(reserve, currency)))
        # Met in green, not met in the warning red: the auctioneer reads it at a glance.
        met_now = reserve is None or bool(lot.get("reserve_met"))
        if self.reserve.property("met") != met_now:
            self.reserve.setProperty("met", met_now)
            self.reserve.style().unpolish(self.reserve)
            self.reserve.style().polish(self.reserve)
        self.book.setText(book_text(lot.get("books"), currency))
        high = lot.get("high")
        hammer = lot.get("hammer") or {}
        if status == "sold":
            self.bid_caption.setText(_("Sold for"))
            self.bid.setText(format_money(hammer.get("amount"), currency))
            self.bidder.setText(bidder_label(hammer))
        elif status == "passed":
            self.bid_caption.setText(_("Passed"))
            self.bid.setText(format_money(high["amount"], currency) if high else "—")
            reason = str((lot.get("hammer") or {}).get("reason") or "")
            self.bidder.setText(_(PASS_REASONS.get(reason, reason.replace("_", " "))))
        else:
            self.bid_caption.setText(_("Current bid"))
            self.bid.setText(format_money(high["amount"], currency) if high else _("No bid"))
            self.bidder.setText(bidder_label(high) if high else "")
        if status in ("open", "fair_warning", "pending"):
            self.ask.setText(format_money(lot.get("ask"), currency))
            self.increment.setText(
                _("increment {amount}").format(amount=format_money(lot.get("increment"), currency))
            )
        else:
            self.ask.setText("—")
            self.increment.setText("")
        images = lot.get("images") or []
        self._set_image(str(images[0]) if images else None)

    def show_notices(self, notices: list[Any]) -> None:
        """The latest notice, cut to fit; every notice of the lot in the tooltip."""
        texts = [str(n.get("text") if isinstance(n, dict) else n) for n in notices]
        latest = texts[-1] if texts else ""
        more = f" (+{len(texts) - 1})" if len(texts) > 1 else ""
        shown = latest if len(latest) <= 70 else latest[:69] + "…"
        self.notice.setText(
            _("Notice: {shown}{more}").format(shown=shown, more=more) if latest else ""
        )
        self.notice.setToolTip("\n".join(texts))

    def _set_image(self, name: str | None) -> None:
        if name == self._image_name and name is not None:
            return
        self._image_name = name
        pixmap = QPixmap()
        if name and "/" not in name and "\\" not in name:
            for folder in self.image_dirs:
                path = folder / name
                if path.is_file() and pixmap.load(str(path)):
                    break
        if pixmap.isNull():
            self.image.setPixmap(QPixmap())
            self.image.setText(_("No image"))
        else:
            self.image.setPixmap(
                pixmap.scaled(
                    IMAGE_SIZE,
                    IMAGE_SIZE,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )


class ConsolePanel(QWidget):
    """Everything the auctioneer does during a lot. Emits `command(dict)`; renders state."""

    command = Signal(object)
    notice_changed = Signal(str)

    def __init__(self, image_dirs: list[Path], retract_reason: str = "retracted") -> None:
        super().__init__()
        self.setObjectName("console")
        self.state = ConsoleState()
        self.retract_reason = retract_reason
        # Asks for the words a command carries (a pause message, a retraction reason):
        # `(question, suggestion) -> text`, None to cancel. Unset: the suggestion is used.
        self.ask_text: Callable[[str, str], str | None] | None = None
        # Opens the message form (the `message` op's prompt: quick messages, recipient).
        self.compose: Callable[[], None] | None = None
        self.card = LotCard(image_dirs)
        self.buttons: dict[str, QPushButton] = {}
        grid = QVBoxLayout()
        grid.setSpacing(4)
        for names in button_rows():
            grid.addLayout(self._button_row(*names, height=BUTTON_HEIGHT))
        self.buttons["hammer"].setProperty("accent", "hammer")
        self.buttons["floor_bid"].setProperty("accent", "bid")
        self._amount_for = "set_ask"  # the action the Ask field's amount completes

        self.paddle = PaddleEdit()
        self.paddle.setObjectName("paddleEdit")
        self.paddle.setPlaceholderText(_("paddle (Enter = floor bid)"))
        self.paddle.setAccessibleName(_("Paddle"))
        self.paddle.setValidator(QIntValidator(0, 999_999_999))
        self.paddle.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.paddle.returnPressed.connect(self._paddle_bid)
        self.paddle.textChanged.connect(self._paddle_typed)
        self.ask_edit = QLineEdit()
        self.ask_edit.setObjectName("askEdit")
        self.ask_edit.setPlaceholderText(_("new ask (Enter)"))
        self.ask_edit.setAccessibleName(_("Ask"))
        self.ask_edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.ask_edit.returnPressed.connect(self._set_ask)
        self.notice = plain("", "notice", wrap=True)
        # AML (issue 13): a bid that takes a bidder over the threshold without complete CDD;
        # shown beside the Paddle field until the lot changes, so it is read before the
        # hammer. One line (whole in its tooltip and on the KYC tab): the console keeps its
        # height on a 768 px screen.
        self.aml_alert = ElidedLabel("", "amlAlert", min_width=120)
        self.aml_alert.setProperty("error", True)
        self.aml_alert.setVisible(False)
        self._aml_lot: str | None = None
        inputs = QHBoxLayout()
        inputs.addWidget(plain(_("Paddle"), "caption"))
        inputs.addWidget(self.paddle)
        inputs.addSpacing(12)
        inputs.addWidget(plain(_("Ask"), "caption"))
        inputs.addWidget(self.ask_edit)
        inputs.addSpacing(12)
        inputs.addWidget(self.aml_alert, 3)
        inputs.addWidget(self.notice, 1)

        self.history = table(["#", _("Amount"), _("Bidder"), _("Channel"), _("Note")], "history")
        self.history.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.online = table([_("Paddle"), _("Amount"), _("Waiting")], "onlineBids", stretch=1)
        self.online.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.late = table([_("Paddle"), _("Amount"), _("After hammer")], "lateBids", stretch=1)
        self.late.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for view in (self.history, self.online, self.late):
            view.setMinimumHeight(40)  # a header and a row: the window fits a 1366×768 screen

        online_box = QWidget()
        online_box.setObjectName("onlineBox")
        ob = QVBoxLayout(online_box)
        ob.setContentsMargins(4, 4, 4, 4)
        ob.addWidget(self.online)
        ob.addLayout(self._button_row(*boxed("Online"), height=BUTTON_HEIGHT))
        self.late_box = QWidget()
        self.late_box.setObjectName("lateBox")
        lb = QVBoxLayout(self.late_box)
        lb.setContentsMargins(4, 4, 4, 4)
        lb.addWidget(self.late)
        lb.addLayout(self._button_row(*boxed("Late bids"), height=BUTTON_HEIGHT))
        # Online and late bids share one place, turned to whichever has bids: the bid history
        # keeps its width on a 1024 px window. Their keys (Y, X, T, O, L) work either way.
        self.queues = QTabWidget()
        self.queues.setObjectName("bidQueues")
        self.queues.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.queues.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.queues.addTab(online_box, "")
        self.queues.addTab(self.late_box, "")
        self._name_queues(0, 0)
        history_box = QGroupBox(_("Bid history"))
        hb = QVBoxLayout(history_box)
        hb.setContentsMargins(6, 6, 6, 6)
        hb.addWidget(self.history)
        lower = QHBoxLayout()  # side by side: the console stays short enough for 768 px
        lower.addWidget(history_box, 1)
        lower.addWidget(self.queues, 1)

        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.card)
        col.addLayout(grid)
        col.addLayout(inputs)
        col.addLayout(lower, 1)

        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._refresh_waits)
        self._tick.start()
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(lambda: self.set_notice(""))

    # -- rendering ------------------------------------------------------------------------

    def _paddle_typed(self, text: str) -> None:
        """Say who the paddle is while it is typed (cleared fields keep the last notice)."""
        if text.strip():
            hint, ok = paddle_hint(self.state.bidders, text, self.state.currency)
            self.set_notice(hint, error=not ok)

    def set_state(self, state: ConsoleState) -> None:
        self.state = state
        self.refresh()

    def show_aml_alert(self, text: str, lot: str | None) -> None:
        """An AML alert on `lot`: stays in view while that lot is on the block."""
        self._aml_lot = lot
        self.aml_alert.setText(_("AML: {text}").format(text=text))
        self.aml_alert.setToolTip(self.aml_alert.text())
        self.aml_alert.setVisible(True)

    def refresh(self) -> None:
        lot = self.state.current
        currency = self.state.currency
        if self._aml_lot is not None and (lot or {}).get("id") != self._aml_lot:
            self._aml_lot = None
            self.aml_alert.setVisible(False)
        self.card.show_lot(lot, currency)
        self._fill_history(lot, currency)
        self._fill_online(lot, currency)
        self._fill_late(lot, currency)
        self._enable(lot)

    def _enable(self, lot: JSON | None) -> None:
        status = (lot or {}).get("status")
        live = status in ("open", "fair_warning")
        has_next = self.state.next_lot_id() is not None
        enabled = {
            "floor_bid": live,
            "fair_warning": status == "open",
            "hammer": live,
            "pass": live,
            "next_lot": not live and has_next,
            "retract": live and bool((lot or {}).get("high")),
            "reinstate": live and not (lot or {}).get("high"),
            "inc_half": live or status == "pending",
            "inc_double": live or status == "pending",
            "inc_reset": live or status == "pending",
            "set_ask": live or status == "pending",
            "accept_online": bool((lot or {}).get("pending")),
            "reject_online": bool((lot or {}).get("pending")),
            "set_to_floor": live and ((lot or {}).get("high") or {}).get("channel") == "online",
            "reopen": bool((lot or {}).get("late")) or status in ("sold", "passed"),
            "leave_sold": bool((lot or {}).get("late")),
            "withdraw": status in ("pending", "open", "fair_warning"),
            "house_bid": live,
        }
        # A draft does not sell yet and a closed sale no more: nothing to press.
        selling = self.state.sale.get("status") not in ("draft", "closed")
        for name, button in self.buttons.items():
            button.setEnabled(selling and bool(enabled.get(name, True)))
        self._show_hammer(hammer_outcome(lot, bool(self.state.settings.get("subject_to"))))
        pending, late = (lot or {}).get("pending") or [], (lot or {}).get("late") or []
        self._name_queues(len(pending), len(late))
        self.late_box.setProperty("alert", bool(late))
        if late:
            self.queues.setCurrentWidget(self.late_box)
        elif pending:
            self.queues.setCurrentIndex(0)

    def _name_queues(self, pending: int, late: int) -> None:
        """The queue tabs say how many bids wait in each; late bids in red."""
        self.queues.setTabText(0, _("Online bids ({n})").format(n=pending))
        self.queues.setTabText(1, _("Late bids ({n})").format(n=late))
        red = QColor("#b91c1c") if late else QColor()
        self.queues.tabBar().setTabTextColor(1, red)

    def _show_hammer(self, outcome: str) -> None:
        """The Hammer button says what it will do: below the reserve it passes the lot (or
        sells subject to the vendor), so it reads so, in amber, before anyone presses it."""
        button = self.buttons["hammer"]
        key = key_hint("hammer")
        label, tip, accent = hammer_look(outcome)
        button.setText(f"{label}\n{key}")
        button.setToolTip(tip)
        button.setAccessibleDescription(tip)
        if button.property("accent") != accent:
            button.setProperty("accent", accent)
            button.style().unpolish(button)
            button.style().polish(button)

    def _fill_history(self, lot: JSON | None, currency: str) -> None:
        bids = list(reversed((lot or {}).get("history") or []))
        self.history.setRowCount(len(bids))
        for r, bid in enumerate(bids):
            note = bid.get("void") or (_("commission") if bid.get("auto") else "")
            self.history.setItem(r, 0, item(str(len(bids) - r)))
            self.history.setItem(r, 1, item(format_money(bid.get("amount"), currency), True))
            self.history.setItem(r, 2, item(str(bid.get("paddle") or "—")))
            self.history.setItem(r, 3, item(channel_label(bid.get("channel"))))
            self.history.setItem(r, 4, item(str(note)))

    def _fill_online(self, lot: JSON | None, currency: str) -> None:
        pending = (lot or {}).get("pending") or []
        self.online.setRowCount(len(pending))
        now = time.time()
        for r, p in enumerate(pending):
            self.online.setItem(r, 0, item(str(p.get("paddle") or "")))
            self.online.setItem(r, 1, item(format_money(p.get("amount"), currency), True))
            self.online.setItem(r, 2, item(format_duration(now - float(p.get("at") or now))))

    def _fill_late(self, lot: JSON | None, currency: str) -> None:
        late = (lot or {}).get("late") or []
        hammer_at = float(((lot or {}).get("hammer") or {}).get("at") or 0)
        self.late.setRowCount(len(late))
        for r, b in enumerate(late):
            after = float(b.get("at") or 0) - hammer_at if hammer_at else None
            self.late.setItem(r, 0, item(str(b.get("paddle") or "")))
            self.late.setItem(r, 1, item(format_money(b.get("amount"), currency), True))
            self.late.setItem(r, 2, item(f"{after:.1f} s" if after is not None else "—"))

    def _refresh_waits(self) -> None:
        lot = self.state.current
        if lot and lot.get("pending"):
            self._fill_online(lot, self.state.currency)

    def set_notice(self, text: str, error: bool = False) -> None:
        self.notice.setText(text)
        self.notice.setProperty("error", error)
        self.notice.style().unpolish(self.notice)
        self.notice.style().polish(self.notice)
        self.notice_changed.emit(text)
        if text:
            self._notice_timer.start(6000)

    # -- actions --------------------------------------------------------------------------

    def _command_button(self, name: str) -> QPushButton:
        """The button of one binding, wired and registered in `self.buttons`."""
        shortcut = BY_ACTION[name]
        button = action_button(button_text(shortcut), key_hint(name), f"btn_{name}")
        button.setToolTip(_(shortcut.help))
        button.clicked.connect(self._clicked(name))
        self.buttons[name] = button
        return button

    def _button_row(self, *names: str, height: int) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        for name in names:
            button = self._command_button(name)
            button.setMinimumHeight(height)
            row.addWidget(button, 1)  # equal widths where the labels allow
        return row

    def _clicked(self, name: str) -> Callable[[], None]:
        return lambda: self.trigger(name, "button")

    def trigger(self, action: str, source: str = "key") -> None:
        """Run a console action; `source` is "key" or "button" (journaled with the hammer)."""
        shortcut = BY_ACTION.get(action)
        if shortcut is not None and shortcut.op == "message" and self.compose is not None:
            self.compose()  # a message needs a recipient and offers the quick texts
            return
        cmd = self.build(action, source)
        if cmd is None or shortcut is None:
            return
        # A prompt belongs to the binding's own op (pause asks for a message; resume does not).
        prompt = shortcut.prompt if cmd.get("op") == shortcut.op else None
        if prompt == "amount":  # the desktop's amount prompt is the Ask field: Enter sends
            self._amount_for = action
            self.ask_edit.setFocus()
            return
        if prompt is not None:
            text = self._words(action, cmd, prompt)
            if text is None:
                return  # cancelled
            cmd[prompt] = text
        if action == "floor_bid":  # the typed paddle is used up by its bid
            self.paddle.clear()
            self.paddle.clearFocus()
        self.command.emit(cmd)

    def type_digit(self, digit: str) -> None:
        """A digit typed anywhere on the console: it starts (or continues) the paddle."""
        if not self.paddle.hasFocus():
            self.paddle.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.paddle.end(False)
        self.paddle.insert(digit)

    def _words(self, action: str, cmd: JSON, prompt: str) -> str | None:
        """Ask for the words a command carries (a reason, a message); None if cancelled."""
        if action == "retract":
            suggestion = self.retract_reason
        elif action == "reopen" and "late" in cmd:
            suggestion = _("late bid accepted")
        else:
            suggestion = _(SUGGESTED.get(action, ""))
        if self.ask_text is None:
            return suggestion
        label = _(BY_OP[str(cmd["op"])].label)
        question = _(QUESTIONS.get(prompt, prompt))
        text = self.ask_text(
            _("{label} — {question}").format(label=label, question=question), suggestion
        )
        if text is None or not text.strip():
            return None
        return text.strip()[:500]

    def build(self, action: str, source: str = "key") -> JSON | None:
        """The command an action stands for in the current state, or None (with a notice).

        Generic: the binding's op on the current lot with its preset fields. The few actions
        that depend on the state are the special cases below.
        """
        shortcut = BY_ACTION.get(action)
        if shortcut is None or shortcut.op is None:
            return None
        if action == "next_lot":
            nxt = self.state.next_lot_id()
            if nxt is None:
                self.set_notice(_("No lot left to open."))
                return None
            return {"op": "open_lot", "lot": nxt}
        if action == "pause" and self.state.sale.get("paused"):
            return {"op": "resume"}
        fields = {f.name for f in BY_OP[shortcut.op].fields}
        cmd: JSON = {"op": shortcut.op, **shortcut.preset}
        lot = self.state.current
        if "lot" in fields:
            if lot is None:
                self.set_notice(
                    _("Open a lot first ({key_hint}).").format(key_hint=key_hint("next_lot"))
                )
                return None
            cmd["lot"] = str(lot["id"])
        if "source" in fields:
            cmd["source"] = source
        pending = (lot or {}).get("pending") or []
        late = (lot or {}).get("late") or []
        if action == "floor_bid":
            return self.floor_bid_command(self.paddle.text().strip())
        if action in ("accept_online", "reject_online"):  # the oldest waiting online bid
            if not pending:
                self.set_notice(_("No online bid is waiting."))
                return None
            cmd["pending"] = str(pending[0]["id"])
        if action == "reopen" and late:  # for the oldest late bid
            cmd["late"] = str(late[0]["id"])
        return cmd

    def floor_bid_command(self, paddle: str) -> JSON | None:
        lot = self.state.current
        if lot is None:
            return None
        cmd: JSON = {"op": "floor_bid", "lot": str(lot["id"])}
        if paddle:
            cmd["paddle"] = paddle
        return cmd

    def _paddle_bid(self) -> None:
        cmd = self.floor_bid_command(self.paddle.text().strip())
        self.paddle.clear()
        self.paddle.clearFocus()
        if cmd is not None:
            self.command.emit(cmd)

    def _set_ask(self) -> None:
        """Enter in the Ask field: send the action that asked for an amount (set ask)."""
        action, self._amount_for = self._amount_for, "set_ask"
        text = self.ask_edit.text()
        self.ask_edit.clear()
        self.ask_edit.clearFocus()
        if not text.strip():
            return
        try:
            amount = parse_money(text, self.state.currency)
        except ValueError as exc:
            self.set_notice(
                _("{label}: not changed: {exc}").format(label=_(BY_ACTION[action].label), exc=exc),
                error=True,
            )
            return
        cmd = self.build(action)
        if cmd is not None:
            self.command.emit({**cmd, "amount": amount})
