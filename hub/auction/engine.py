"""The auction engine: `decide` a command against the state, `evolve` the state by events.

Pure and deterministic: no I/O, no clock (the caller passes `now`), no randomness. `decide`
never mutates; `evolve` applies one journaled event and is the only mutation, so the state is
exactly replay(journal). Money is an int in the sale currency's minor unit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from hub.auction import reasons as R
from hub.auction.events import PUBLIC, STAFF, Actor, Decision, Event
from hub.auction.state import (
    CHANNELS,
    CLOSED,
    FAIR_WARNING,
    LIVE,
    OPEN,
    PASSED,
    PENDING,
    SOLD,
    TIE_POLICIES,
    WITHDRAWN,
    Bid,
    Bidder,
    Book,
    Lot,
    Sale,
)

JSON = dict[str, Any]

BIDDER_OPS = frozenset({"bid"})
SETUP_OPS = frozenset(
    {"create_sale", "configure", "add_lot", "register_bidder", "absentee_bid", "cancel_absentee"}
)
STAFF_OPS = frozenset(
    {
        "open_lot", "floor_bid", "house_bid", "fair_warning", "hammer", "pass", "retract",
        "reinstate", "reopen", "leave_sold", "withdraw", "set_ask", "set_increment", "pause",
        "resume", "approve_bidder", "reject_bidder", "set_credit_limit", "accept_online",
        "reject_online", "set_to_floor",
    }
)
ALL_OPS = BIDDER_OPS | SETUP_OPS | STAFF_OPS

STAFF_HISTORY = 30  # most recent bids shown in a lot's staff view
MAX_AMOUNT = 10**13  # a hundred billion in major units: anything above is a typo or an attack
MAX_TEXT = 10_000
MAX_SEQ = 2**63 - 1
MAX_IMAGES = 50
MAX_LADDER_ROWS = 100
# C0 controls other than tab, newline and carriage return have no place in any text field.
_CONTROL = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\r") | {"\x7f"}


class CommandError(Exception):
    """A command that is malformed: refused with reason `invalid` and this message."""


def _text(cmd: JSON, key: str, default: str | None = None, limit: int = MAX_TEXT) -> str:
    value = cmd.get(key, default)
    if value is None:
        raise CommandError(f"'{key}' is required")
    if not isinstance(value, str):
        raise CommandError(f"'{key}' must be a string")
    if len(value) > limit:
        raise CommandError(f"'{key}' is longer than {limit} characters")
    _check_chars(value, key)
    return value


def _check_chars(value: str, key: str) -> None:
    """Refuse text that cannot be stored or framed safely: control characters, lone surrogates."""
    if not _CONTROL.isdisjoint(value):
        raise CommandError(f"'{key}' contains control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CommandError(f"'{key}' is not valid Unicode text") from exc


def _opt_text(cmd: JSON, key: str, limit: int = MAX_TEXT) -> str | None:
    return None if cmd.get(key) is None else _text(cmd, key, limit=limit)


def _amount(cmd: JSON, key: str, *, required: bool = True) -> int | None:
    value = cmd.get(key)
    if value is None:
        if required:
            raise CommandError(f"'{key}' is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandError(f"'{key}' must be a whole number of minor units")
    if value < 0 or value > MAX_AMOUNT:
        raise CommandError(f"'{key}' is out of range")
    return value


def _opt_int(cmd: JSON, key: str) -> int | None:
    value = cmd.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandError(f"'{key}' must be an integer")
    if not 0 <= value <= MAX_SEQ:
        raise CommandError(f"'{key}' is out of range")
    return value


def _paddle(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**32:
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 32:
        raise CommandError("'paddle' must be a short non-empty string")
    _check_chars(value, "paddle")
    return value.strip()


def _ladder_rows(value: Any) -> list[list[int]]:
    """A ladder table from a command: rows of two whole numbers, checked before use."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_LADDER_ROWS:
        raise CommandError(f"ladder: a list of 1 to {MAX_LADDER_ROWS} rows")
    rows = []
    for row in value:
        if not isinstance(row, list) or len(row) != 2:
            raise CommandError("ladder: each row is [from, increment]")
        for cell in row:
            if isinstance(cell, bool) or not isinstance(cell, int) or not (
                0 <= cell <= MAX_AMOUNT
            ):
                raise CommandError("ladder: amounts are whole numbers of minor units")
        rows.append([row[0], row[1]])
    return rows


class Engine:
    """One sale's auction state and rules."""

    def __init__(self) -> None:
        self.sale = Sale()
        self.lots: dict[str, Lot] = {}
        self.bidders: dict[str, Bidder] = {}
        self.seq = 0
        self.dirty: set[str] = set()

    # ------------------------------------------------------------------ decide

    def decide(self, command: JSON, actor: Actor, now: float) -> Decision:
        """Answer one command: events to journal, or a refusal with a machine-readable reason."""
        if not isinstance(command, dict):
            return Decision.refuse(R.INVALID, "a command is a JSON object")
        op = command.get("op")
        if not isinstance(op, str) or op not in ALL_OPS:
            return Decision.refuse(R.UNKNOWN_OP, f"unknown op {op!r}")
        if not self._allowed(op, actor):
            return Decision.refuse(R.FORBIDDEN, f"{actor.role} may not {op}")
        if not self.sale.id and op != "create_sale":
            return Decision.refuse(R.NO_SALE, "no sale has been created yet")
        handler: Callable[[JSON, Actor, float], Decision] = getattr(self, f"_do_{op}")
        try:
            return handler(command, actor, now)
        except CommandError as exc:
            return Decision.refuse(R.INVALID, str(exc))
        except _Refusal as exc:
            return Decision.refuse(exc.reason, exc.message)

    @staticmethod
    def _allowed(op: str, actor: Actor) -> bool:
        if actor.role == "system":
            return True
        if actor.role == "bidder":
            return op in BIDDER_OPS
        if actor.role in ("clerk", "auctioneer"):
            return op in STAFF_OPS or (op in SETUP_OPS and op != "create_sale")
        return False

    def _lot(self, cmd: JSON) -> Lot:
        lot_id = _text(cmd, "lot", limit=32)
        lot = self.lots.get(lot_id)
        if lot is None:
            raise _Refusal(R.UNKNOWN_LOT, f"there is no lot {lot_id}")
        return lot

    # -- setup

    def _do_create_sale(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        if self.sale.id:
            return Decision.refuse(R.INVALID, "the sale already exists")
        sale = cmd.get("sale")
        if not isinstance(sale, dict):
            raise CommandError("'sale' must be an object")
        sale_id = _text(sale, "id", limit=64)
        if not sale_id.strip():
            raise CommandError("a sale needs an id")
        settings = self._check_settings(sale.get("settings") or {})
        data = {"id": sale_id, "title": _text(sale, "title", "", 500), "settings": settings}
        return Decision.accept(Event("sale_created", None, data, STAFF))

    def _do_configure(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        settings = self._check_settings(cmd.get("settings") or {})
        if any(self.lots[k].status in LIVE for k in self.lots):
            return Decision.refuse(R.LOT_OPEN, "change the sale's rules between lots")
        return Decision.accept(Event("settings_changed", None, {"settings": settings}, PUBLIC))

    @staticmethod
    def _check_settings(raw: Any) -> JSON:
        if not isinstance(raw, dict):
            raise CommandError("'settings' must be an object")
        out: JSON = {}
        for key, value in raw.items():
            if key == "tie_policy":
                if value not in TIE_POLICIES:
                    raise CommandError(f"tie_policy must be one of {', '.join(TIE_POLICIES)}")
                out[key] = value
            elif key == "currency":
                if not isinstance(value, str) or not (3 <= len(value) <= 4):
                    raise CommandError("currency must be an ISO 4217 code")
                out[key] = value.upper()
            elif key in ("confirm_online", "subject_to", "auto_absentee"):
                if not isinstance(value, bool):
                    raise CommandError(f"{key} must be true or false")
                out[key] = value
            elif key in ("late_window", "reopen_window"):
                if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    0 <= value <= 86_400
                ):
                    raise CommandError(f"{key} must be seconds between 0 and 86400")
                out[key] = float(value)
            elif key == "ladder":
                from hub.auction.ladder import Ladder, LadderError

                try:
                    out[key] = Ladder.of(_ladder_rows(value)).to_json()
                except LadderError as exc:
                    raise CommandError(f"ladder: {exc}") from exc
            else:
                raise CommandError(f"unknown setting {key!r}")
        return out

    def _do_add_lot(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        raw = cmd.get("lot")
        if not isinstance(raw, dict):
            raise CommandError("'lot' must be an object")
        lot_id = _text(raw, "id", limit=32).strip()
        if not lot_id:
            raise CommandError("a lot needs a number")
        if lot_id in self.lots:
            return Decision.refuse(R.DUPLICATE_LOT, f"lot {lot_id} already exists")
        images = raw.get("images") or []
        if not isinstance(images, list) or len(images) > MAX_IMAGES:
            raise CommandError(f"'images' must be a list of at most {MAX_IMAGES} strings")
        for image in images:
            if not isinstance(image, str) or len(image) > 2_000:
                raise CommandError("'images' must be a list of short strings")
            _check_chars(image, "images")
        low, high = _amount(raw, "low", required=False), _amount(raw, "high", required=False)
        if low is not None and high is not None and low > high:
            raise CommandError("the low estimate is above the high estimate")
        data = {
            "id": lot_id,
            "order": len(self.lots) + 1,
            "title": _text(raw, "title", "", 1_000),
            "description": _text(raw, "description", "", MAX_TEXT),
            "low": low,
            "high": high,
            "start": _amount(raw, "start", required=False) or 0,
            "reserve": _amount(raw, "reserve", required=False),
            "images": list(images),
        }
        return Decision.accept(Event("lot_added", lot_id, data, STAFF))

    def _do_register_bidder(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        paddle = _paddle(cmd.get("paddle"))
        if paddle in self.bidders:
            return Decision.refuse(R.DUPLICATE_BIDDER, f"paddle {paddle} is already registered")
        channel = _text(cmd, "channel", "floor", 16)
        if channel not in CHANNELS:
            raise CommandError(f"channel must be one of {', '.join(CHANNELS)}")
        status = _text(cmd, "status", "pending", 16)
        if status not in ("pending", "approved"):
            raise CommandError("a new bidder is pending or approved")
        data = {
            "paddle": paddle,
            "channel": channel,
            "status": status,
            "credit_limit": _amount(cmd, "credit_limit", required=False),
        }
        return Decision.accept(Event("bidder_registered", None, data, STAFF, (paddle,)))

    def _bidder(self, cmd: JSON) -> Bidder:
        paddle = _paddle(cmd.get("paddle"))
        bidder = self.bidders.get(paddle)
        if bidder is None:
            raise _Refusal(R.UNKNOWN_BIDDER, f"paddle {paddle} is not registered")
        return bidder

    def _do_approve_bidder(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        bidder = self._bidder(cmd)
        data = {"paddle": bidder.paddle}
        return Decision.accept(Event("bidder_approved", None, data, STAFF, (bidder.paddle,)))

    def _do_reject_bidder(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        bidder = self._bidder(cmd)
        data = {"paddle": bidder.paddle, "reason": _text(cmd, "reason", "", 500)}
        return Decision.accept(Event("bidder_rejected", None, data, STAFF, (bidder.paddle,)))

    def _do_set_credit_limit(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        bidder = self._bidder(cmd)
        data = {"paddle": bidder.paddle, "credit_limit": _amount(cmd, "credit_limit",
                                                                 required=False)}
        return Decision.accept(Event("credit_limit_set", None, data, STAFF, (bidder.paddle,)))

    def _do_absentee_bid(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        bidder = self._bidder(cmd)
        maximum = _amount(cmd, "max")
        assert maximum is not None
        if lot.status != PENDING:
            return Decision.refuse(R.LOT_NOT_PENDING, "commission bids close when the lot opens")
        if bidder.status != "approved":
            return Decision.refuse(R.NOT_APPROVED, f"paddle {bidder.paddle} is not approved")
        if maximum < max(lot.start, 1):
            return Decision.refuse(R.BELOW_START, "the commission bid is below the start price")
        if any(b.paddle == bidder.paddle for b in lot.books):
            return Decision.refuse(R.DUPLICATE_BOOK, "cancel the earlier commission bid first")
        data = {"paddle": bidder.paddle, "max": maximum, "order": self.sale.arrivals + 1}
        return Decision.accept(
            Event("absentee_registered", lot.id, data, STAFF, (bidder.paddle,))
        )

    def _do_cancel_absentee(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        paddle = _paddle(cmd.get("paddle"))
        if lot.status != PENDING:
            return Decision.refuse(R.LOT_NOT_PENDING, "commission bids close when the lot opens")
        if not any(b.paddle == paddle for b in lot.books):
            return Decision.refuse(R.NO_BOOK, f"paddle {paddle} has no commission bid here")
        return Decision.accept(
            Event("absentee_cancelled", lot.id, {"paddle": paddle}, STAFF, (paddle,))
        )

    # -- running a lot

    def _do_open_lot(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        if lot.status != PENDING:
            return Decision.refuse(R.LOT_NOT_PENDING, f"lot {lot.id} is {lot.status}")
        live = self._live_lot()
        if live is not None:
            return Decision.refuse(R.LOT_OPEN, f"lot {live.id} is still on the block")
        if self.sale.paused:
            return Decision.refuse(R.PAUSED, self.sale.message or "the sale is paused")
        # The ask set while the lot waited (set_ask), else the start price; a lot without a
        # start price opens at the first step of the ladder, never at zero.
        ask = lot.ask if lot.ask > 0 else self._increment(lot, 0)
        events = [Event("lot_opened", lot.id, {"ask": ask, "at": now})]
        if self.sale.settings.auto_absentee:
            books = self._eligible_books(lot, exclude=None, minimum=ask)
            if books:
                amount = self._book_price(lot, books, floor=ask, first=True)
                events.append(self._book_bid(lot, books[0], amount, now, offset=1))
        return Decision.accept(*events)

    def _live_lot(self) -> Lot | None:
        current = self.lots.get(self.sale.current or "")
        return current if current is not None and current.status in LIVE else None

    def _do_bid(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        if actor.paddle is None:
            return Decision.refuse(R.FORBIDDEN, "a bidder token names a paddle")
        return self._bid(cmd, actor.paddle, "online", now, amount=_amount(cmd, "amount"))

    def _do_floor_bid(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        channel = _text(cmd, "channel", "floor", 16)
        if channel not in ("floor", "phone", "absentee"):
            raise CommandError("a floor bid's channel is floor, phone or absentee")
        paddle = None if cmd.get("paddle") in (None, "") else _paddle(cmd.get("paddle"))
        amount = _amount(cmd, "amount", required=False)
        if channel == "absentee":
            # The clerk executing a commission bid by hand (automatic execution off).
            lot = self._lot(cmd)
            book = next((b for b in lot.books if b.paddle == paddle), None)
            if paddle is None or book is None:
                return Decision.refuse(R.NO_BOOK, "that paddle has no commission bid here")
            if (amount if amount is not None else lot.ask) > book.max:
                return Decision.refuse(R.ABOVE_MAX, "above the commission bid's maximum")
        return self._bid(cmd, paddle, channel, now, amount=amount)

    def _do_house_bid(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        return self._bid(cmd, None, "house", now, amount=_amount(cmd, "amount", required=False))

    def _bid(
        self, cmd: JSON, paddle: str | None, channel: str, now: float, amount: int | None
    ) -> Decision:
        lot = self._lot(cmd)
        seen_seq = _opt_int(cmd, "seen_seq")
        key = _opt_text(cmd, "key", 128)
        attempt: JSON = {
            "amount": amount if amount is not None else lot.ask,
            "paddle": paddle,
            "channel": channel,
            "seen_seq": seen_seq,
            "key": key,
            "at": now,
        }
        reason = self._check_bid(lot, attempt, now)
        if reason is not None:
            return self._refuse_attempt(lot, attempt, reason, now)
        if channel == "online" and self.sale.settings.confirm_online:
            lot_serial = lot.serial + 1
            pending = dict(attempt, id=f"{lot.id}.p{lot_serial}")
            return Decision.accept(
                Event("online_bid_pending", lot.id, {"pending": pending}, STAFF, (str(paddle),))
            )
        return self._accept_attempt(lot, attempt, now)

    def _check_bid(self, lot: Lot, attempt: JSON, now: float) -> tuple[str, str] | None:
        """Why this attempt cannot be accepted now, or None."""
        amount: int = attempt["amount"]
        paddle: str | None = attempt["paddle"]
        channel: str = attempt["channel"]
        if self.sale.paused:
            return R.PAUSED, self.sale.message or "the sale is paused"
        if lot.status in CLOSED:
            recent = lot.closed_at is not None and now - lot.closed_at <= (
                self.sale.settings.late_window
            )
            if recent and channel != "house":
                return R.TOO_LATE, "the hammer had fallen"
            return R.LOT_CLOSED, f"lot {lot.id} is {lot.status}"
        if lot.status not in LIVE:
            return R.LOT_CLOSED, f"lot {lot.id} is {lot.status}"
        if paddle is not None:
            bidder = self.bidders.get(paddle)
            if bidder is None:
                return R.UNKNOWN_BIDDER, f"paddle {paddle} is not registered"
            if bidder.status != "approved":
                return R.NOT_APPROVED, f"paddle {paddle} is not approved to bid"
        high = lot.high
        if amount <= 0:
            return R.INVALID, "a bid must be above zero"
        if high is not None and amount == high.amount:
            return R.ALREADY_BID, "someone bid that amount first"
        if amount < lot.ask or amount <= lot.floor_amount:
            if attempt["seen_seq"] is not None and attempt["seen_seq"] < lot.changed_seq:
                return R.OUTBID, "the price moved on before your bid arrived"
            return R.BELOW_ASK, f"the ask is {lot.ask}"
        if high is not None and paddle is not None and high.paddle == paddle:
            return R.ALREADY_HIGH, "you are already the highest bidder"
        if high is not None and channel == "house" and high.house:
            return R.ALREADY_HIGH, "the house is already the highest bidder"
        if channel == "house" and (lot.reserve is None or amount >= lot.reserve):
            return R.ABOVE_RESERVE, "house bids are allowed only below the reserve"
        if paddle is not None:
            bidder = self.bidders[paddle]
            if bidder.credit_limit is not None and bidder.won + amount > bidder.credit_limit:
                return R.OVER_LIMIT, "this bid would pass the bidder's credit limit"
        return None

    def _refuse_attempt(
        self, lot: Lot, attempt: JSON, why: tuple[str, str], now: float
    ) -> Decision:
        reason, message = why
        to = (attempt["paddle"],) if attempt["paddle"] else ()
        if reason == R.TOO_LATE:
            late = dict(attempt, id=f"{lot.id}.l{lot.serial + 1}",
                        after=round(now - (lot.closed_at or now), 3))
            return Decision.refuse(reason, message, Event("late_bid", lot.id, {"late": late},
                                                          STAFF, to))
        record = Event("bid_refused", lot.id, {"attempt": attempt, "reason": reason}, STAFF, to)
        return Decision.refuse(reason, message, record)

    def _accept_attempt(
        self, lot: Lot, attempt: JSON, now: float, extra: JSON | None = None
    ) -> Decision:
        amount: int = attempt["amount"]
        paddle: str | None = attempt["paddle"]
        bid = Bid(
            id=f"{lot.id}.{len(lot.bids) + 1}",
            amount=amount,
            paddle=paddle,
            channel=attempt["channel"],
            at=now,
            house=attempt["channel"] == "house",
        )
        books = (
            self._eligible_books(lot, exclude=paddle, minimum=amount)
            if self.sale.settings.auto_absentee
            else []
        )
        if books and books[0].max == amount:
            # An equal commission bid was received first: it takes the amount.
            book_bid = self._book_bid(lot, books[0], amount, now, offset=0)
            record = Event(
                "bid_refused",
                lot.id,
                {"attempt": attempt, "reason": R.ALREADY_BID, "book": books[0].paddle},
                STAFF,
                (paddle,) if paddle else (),
            )
            return Decision.refuse(R.ALREADY_BID, "a commission bid at that amount came first",
                                   book_bid, record)
        data = {"bid": bid.to_json(), "tie_policy": self.sale.settings.tie_policy,
                "seen_seq": attempt["seen_seq"], "key": attempt["key"]}
        if extra:
            data.update(extra)
        events = [Event("bid_accepted", lot.id, data, PUBLIC, (paddle,) if paddle else ())]
        next_ask = amount + self._increment(lot, amount)
        books = [b for b in books if b.max >= next_ask]
        if books:
            price = self._book_price(lot, books, floor=next_ask, first=False)
            events.append(self._book_bid(lot, books[0], price, now, offset=2))
        return Decision.accept(*events)

    def _eligible_books(self, lot: Lot, exclude: str | None, minimum: int) -> list[Book]:
        """Commission bids that can still act at `minimum`, strongest and earliest first.

        A book's maximum is capped by its bidder's remaining credit, so the engine never
        bids a book past the credit limit.
        """
        out = []
        for book in lot.books:
            bidder = self.bidders.get(book.paddle)
            if book.paddle == exclude or bidder is None or bidder.status != "approved":
                continue
            if bidder.credit_limit is not None:
                book = Book(book.paddle, min(book.max, bidder.credit_limit - bidder.won),
                            book.order)
            if book.max < minimum:
                continue
            out.append(book)
        out.sort(key=lambda b: (-b.max, b.order))
        return out

    def _book_price(self, lot: Lot, books: list[Book], floor: int, first: bool) -> int:
        """The lowest amount at which the strongest book beats every other book and `floor`."""
        top = books[0]
        if len(books) == 1:
            return floor
        second = books[1]
        if second.max == top.max:
            return top.max  # equal maxima: the earliest received takes it at the max
        return max(floor, min(top.max, second.max + self._increment(lot, second.max)))

    def _book_bid(self, lot: Lot, book: Book, amount: int, now: float, offset: int) -> Event:
        bid = Bid(
            id=f"{lot.id}.{len(lot.bids) + max(offset, 1)}",
            amount=amount,
            paddle=book.paddle,
            channel="absentee",
            at=now,
            auto=True,
        )
        data = {"bid": bid.to_json(), "tie_policy": self.sale.settings.tie_policy,
                "seen_seq": None, "key": None}
        return Event("bid_accepted", lot.id, data, PUBLIC, (book.paddle,))

    def _increment(self, lot: Lot, amount: int) -> int:
        if lot.increment_override is not None:
            return lot.increment_override
        return self.sale.settings.ladder.increment(amount)

    def _do_accept_online(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        pending_id = _text(cmd, "pending", limit=64)
        pending = lot.pending.get(pending_id)
        if pending is None:
            return Decision.refuse(R.NO_PENDING, f"no pending online bid {pending_id}")
        attempt = {k: pending[k] for k in ("amount", "paddle", "channel", "seen_seq", "key")}
        attempt["at"] = now
        why = self._check_bid(lot, attempt, now)
        if why is not None and why[0] == R.PAUSED:
            return Decision.refuse(*why)  # the pending bid waits for the sale to resume
        if why is not None:
            rejected = Event("online_bid_rejected", lot.id,
                             {"pending": pending_id, "paddle": pending["paddle"],
                              "reason": why[0]}, STAFF, (pending["paddle"],))
            return Decision.refuse(why[0], why[1], rejected)
        decision = self._accept_attempt(lot, attempt, now, {"pending": pending_id})
        if not decision.ok:  # a commission bid at that amount came first: no longer pending
            rejected = Event("online_bid_rejected", lot.id,
                             {"pending": pending_id, "paddle": pending["paddle"],
                              "reason": decision.reason}, STAFF, (pending["paddle"],))
            return Decision(False, (*decision.events, rejected), decision.reason,
                            decision.message)
        return decision

    def _do_reject_online(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        pending_id = _text(cmd, "pending", limit=64)
        pending = lot.pending.get(pending_id)
        if pending is None:
            return Decision.refuse(R.NO_PENDING, f"no pending online bid {pending_id}")
        data = {"pending": pending_id, "paddle": pending["paddle"],
                "reason": _text(cmd, "reason", "rejected", 500)}
        return Decision.accept(
            Event("online_bid_rejected", lot.id, data, STAFF, (pending["paddle"],))
        )

    def _do_set_to_floor(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        if self.sale.settings.tie_policy != "floor_priority":
            return Decision.refuse(R.TIE_POLICY, "the sale's tie policy is first received")
        paddle = None if cmd.get("paddle") in (None, "") else _paddle(cmd.get("paddle"))
        if self.sale.paused:
            return Decision.refuse(R.PAUSED, self.sale.message or "the sale is paused")
        if lot.status not in LIVE:
            return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
        high = lot.high
        if high is None or high.channel != "online":
            return Decision.refuse(R.NO_ONLINE_HIGH, "the high bid is not an online bid")
        if paddle is not None:
            bidder = self.bidders.get(paddle)
            if bidder is None or bidder.status != "approved":
                return Decision.refuse(R.NOT_APPROVED, f"paddle {paddle} cannot bid")
            if paddle == high.paddle:
                return Decision.refuse(R.ALREADY_HIGH, f"paddle {paddle} is the high bidder")
            if bidder.credit_limit is not None and bidder.won + high.amount > (
                bidder.credit_limit
            ):
                return Decision.refuse(R.OVER_LIMIT, "this bid would pass the credit limit")
        bid = Bid(id=f"{lot.id}.{len(lot.bids) + 1}", amount=high.amount, paddle=paddle,
                  channel="floor", at=now)
        data = {"displaced": high.to_json(), "bid": bid.to_json(),
                "tie_policy": "floor_priority"}
        to = tuple(p for p in (high.paddle, paddle) if p)
        return Decision.accept(Event("set_to_floor", lot.id, data, PUBLIC, to))

    def _do_retract(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        reason = _text(cmd, "reason", limit=500)
        if not reason.strip():
            raise CommandError("a retraction needs a reason")
        if lot.status not in LIVE:
            return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
        high = lot.high
        if high is None:
            return Decision.refuse(R.NO_BID, "there is no bid to retract")
        data = {"bid": high.to_json(), "reason": reason, "by": actor.role}
        return Decision.accept(
            Event("bid_retracted", lot.id, data, PUBLIC, (high.paddle,) if high.paddle else ())
        )

    def _do_reinstate(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        reason = _text(cmd, "reason", limit=500)
        if lot.status not in LIVE:
            return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
        if lot.high is not None:
            return Decision.refuse(R.HAS_HIGH, "reinstate only after a retraction")
        candidate = next((b for b in reversed(lot.bids) if b.void is None), None)
        if candidate is None:
            return Decision.refuse(R.NO_BID, "there is no earlier bid to reinstate")
        data = {"bid": candidate.to_json(), "reason": reason}
        to = (candidate.paddle,) if candidate.paddle else ()
        return Decision.accept(Event("bid_reinstated", lot.id, data, PUBLIC, to))

    def _do_set_ask(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        amount = _amount(cmd, "amount")
        assert amount is not None
        if lot.status not in (*LIVE, PENDING):
            return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
        if amount <= lot.floor_amount or amount <= 0:
            return Decision.refuse(R.BELOW_HIGH, "the ask must be above the current bid")
        return Decision.accept(Event("ask_set", lot.id, {"ask": amount}))

    def _do_set_increment(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        if lot.status not in (*LIVE, PENDING):
            return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
        mode = _text(cmd, "mode", "amount", 16)
        base = lot.high.amount if lot.high else lot.ask
        current = self._increment(lot, base)
        increment: int | None
        if mode == "half":
            increment = max(1, current // 2)
        elif mode == "double":
            increment = min(current * 2, MAX_AMOUNT)
        elif mode == "reset":
            increment = None
        elif mode == "amount":
            increment = _amount(cmd, "amount")
            if not increment:
                raise CommandError("an increment must be above zero")
        else:
            raise CommandError("mode is one of half, double, reset, amount")
        return Decision.accept(Event("increment_set", lot.id, {"increment": increment,
                                                                "mode": mode}))

    def _do_fair_warning(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        if lot.status != OPEN:
            return Decision.refuse(R.LOT_NOT_OPEN, f"lot {lot.id} is {lot.status}")
        if self.sale.paused:
            return Decision.refuse(R.PAUSED, self.sale.message or "the sale is paused")
        return Decision.accept(Event("fair_warning", lot.id, {"at": now}))

    def _do_hammer(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        source = _text(cmd, "source", "button", 32)
        if lot.status not in LIVE:
            return Decision.refuse(R.LOT_NOT_OPEN, f"lot {lot.id} is {lot.status}")
        high = lot.high
        device_at = cmd.get("device_at")
        if device_at is not None and (
            isinstance(device_at, bool)
            or not isinstance(device_at, int | float)
            or not -1e12 <= device_at <= 1e12  # also refuses NaN and infinities
        ):
            raise CommandError("'device_at' must be a finite number of seconds")
        if self.sale.paused:
            return Decision.refuse(R.PAUSED, self.sale.message or "the sale is paused")
        hammer: JSON = {"source": source, "at": now, "device_at": device_at, "by": actor.role}
        events = self._drop_pending(lot, R.LOT_CLOSED)
        if high is None:
            events.insert(0, Event("lot_passed", lot.id, {"hammer": hammer, "reason": "no_bids"}))
            return Decision.accept(*events)
        hammer.update(amount=high.amount, paddle=high.paddle, channel=high.channel,
                      bid_id=high.id)
        below_reserve = lot.reserve is not None and high.amount < lot.reserve
        if high.house:
            ev = Event("lot_passed", lot.id, {"hammer": hammer, "reason": "bought_in"})
        elif below_reserve and not self.sale.settings.subject_to:
            ev = Event("lot_passed", lot.id, {"hammer": hammer, "reason": "reserve_not_met"})
        else:
            hammer["subject_to"] = below_reserve
            ev = Event("lot_sold", lot.id, {"hammer": hammer},
                       PUBLIC, (high.paddle,) if high.paddle else ())
        return Decision.accept(ev, *events)

    def _do_pass(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        if lot.status not in LIVE:
            return Decision.refuse(R.LOT_NOT_OPEN, f"lot {lot.id} is {lot.status}")
        hammer = {"source": _text(cmd, "source", "button", 32), "at": now, "by": actor.role}
        return Decision.accept(
            Event("lot_passed", lot.id, {"hammer": hammer, "reason": "passed"}),
            *self._drop_pending(lot, R.LOT_CLOSED),
        )

    def _drop_pending(self, lot: Lot, reason: str) -> list[Event]:
        return [
            Event("online_bid_rejected", lot.id,
                  {"pending": pid, "paddle": p["paddle"], "reason": reason}, STAFF,
                  (p["paddle"],))
            for pid, p in sorted(lot.pending.items())
        ]

    def _do_withdraw(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        if lot.status not in (PENDING, *LIVE):
            return Decision.refuse(R.LOT_CLOSED, f"lot {lot.id} is {lot.status}")
        data = {"reason": _text(cmd, "reason", "", 500), "at": now}
        return Decision.accept(Event("lot_withdrawn", lot.id, data),
                               *self._drop_pending(lot, R.LOT_CLOSED))

    def _do_reopen(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        reason = _text(cmd, "reason", limit=500)
        if not reason.strip():
            raise CommandError("reopening needs a reason")
        if lot.status not in CLOSED:
            return Decision.refuse(R.LOT_NOT_CLOSED, f"lot {lot.id} is {lot.status}")
        live = self._live_lot()
        if live is not None:
            return Decision.refuse(R.LOT_OPEN, f"lot {live.id} is on the block")
        if self.sale.paused:
            return Decision.refuse(R.PAUSED, self.sale.message or "the sale is paused")
        in_time = lot.closed_at is not None and now - lot.closed_at <= (
            self.sale.settings.reopen_window
        )
        if not in_time and lot.closed_round != self.sale.rounds:
            return Decision.refuse(R.REOPEN_TOO_LATE, "a later lot has opened and the window "
                                   "to reopen has passed")
        late_id = _opt_text(cmd, "late", 64)
        if late_id is not None and late_id not in lot.late:
            return Decision.refuse(R.NO_LATE_BID, f"no late bid {late_id}")
        data = {"reason": reason, "late": late_id, "hammer": lot.hammer, "by": actor.role,
                "at": now}
        events = [Event("lot_reopened", lot.id, data)]
        if late_id is not None:
            # Take the late bid as if it had arrived while the hammer was falling.
            late = lot.late[late_id]
            scratch = self._reopened_copy(lot)
            attempt = {k: late[k] for k in ("amount", "paddle", "channel", "seen_seq", "key")}
            attempt["at"] = now
            attempt["seen_seq"] = None
            why = self._check_bid(scratch, attempt, now)
            if why is None:
                accepted = self._accept_attempt(scratch, attempt, now, {"late": late_id})
                events.extend(accepted.events)
            else:  # reopened, but the late bid no longer beats the high bid: recorded
                to = (attempt["paddle"],) if attempt["paddle"] else ()
                events.append(Event("bid_refused", lot.id, {"attempt": attempt,
                                                            "reason": why[0],
                                                            "late": late_id}, STAFF, to))
        return Decision.accept(*events)

    def _reopened_copy(self, lot: Lot) -> Lot:
        """The lot as it will be once reopened, to judge a late bid against it."""
        return dataclasses.replace(lot, status=OPEN, hammer=None, closed_at=None, late={})

    def _do_leave_sold(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        lot = self._lot(cmd)
        late_id = _opt_text(cmd, "late", 64)
        if late_id is None:
            ids = sorted(lot.late)
        elif late_id in lot.late:
            ids = [late_id]
        else:
            return Decision.refuse(R.NO_LATE_BID, f"no late bid {late_id}")
        if not ids:
            return Decision.refuse(R.NO_LATE_BID, "there is no late bid to decide")
        events = [
            Event("late_bid_dismissed", lot.id, {"late": i, "by": actor.role}, STAFF,
                  (lot.late[i]["paddle"],) if lot.late[i]["paddle"] else ())
            for i in ids
        ]
        return Decision.accept(*events)

    def _do_pause(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        message = _text(cmd, "message", "", 500)
        return Decision.accept(Event("sale_paused", None, {"message": message, "at": now}))

    def _do_resume(self, cmd: JSON, actor: Actor, now: float) -> Decision:
        if not self.sale.paused:
            return Decision.refuse(R.NOT_PAUSED, "the sale is not paused")
        return Decision.accept(Event("sale_resumed", None, {"at": now}))

    # ------------------------------------------------------------------ evolve

    def evolve(self, event: Event, seq: int) -> None:
        """Apply one journaled event. Deterministic: the same events give the same state."""
        self.seq = seq
        apply: Callable[[Event, int], None] = getattr(self, f"_on_{event.type}")
        apply(event, seq)
        self.dirty.add("sale")
        if event.lot is not None:
            self.dirty.add(f"lot/{event.lot}")

    def _on_sale_created(self, ev: Event, seq: int) -> None:
        self.sale.id = ev.data["id"]
        self.sale.title = ev.data["title"]
        self.sale.settings.update(ev.data["settings"])

    def _on_settings_changed(self, ev: Event, seq: int) -> None:
        self.sale.settings.update(ev.data["settings"])

    def _on_lot_added(self, ev: Event, seq: int) -> None:
        d = ev.data
        self.lots[d["id"]] = Lot(
            id=d["id"], order=d["order"], title=d["title"], description=d["description"],
            low=d["low"], high_estimate=d["high"], start=d["start"], reserve=d["reserve"],
            images=list(d["images"]), ask=d["start"], changed_seq=seq,
        )

    def _touch_bidder(self, paddle: str) -> Bidder:
        self.dirty.add(f"bidder/{paddle}")
        return self.bidders[paddle]

    def _on_bidder_registered(self, ev: Event, seq: int) -> None:
        d = ev.data
        self.bidders[d["paddle"]] = Bidder(d["paddle"], d["channel"], d["status"],
                                           d["credit_limit"])
        self.dirty.add(f"bidder/{d['paddle']}")

    def _on_bidder_approved(self, ev: Event, seq: int) -> None:
        self._touch_bidder(ev.data["paddle"]).status = "approved"

    def _on_bidder_rejected(self, ev: Event, seq: int) -> None:
        self._touch_bidder(ev.data["paddle"]).status = "rejected"

    def _on_credit_limit_set(self, ev: Event, seq: int) -> None:
        self._touch_bidder(ev.data["paddle"]).credit_limit = ev.data["credit_limit"]

    def _on_absentee_registered(self, ev: Event, seq: int) -> None:
        d = ev.data
        self.sale.arrivals = d["order"]
        self._lot_of(ev).books.append(Book(d["paddle"], d["max"], d["order"]))

    def _on_absentee_cancelled(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        lot.books = [b for b in lot.books if b.paddle != ev.data["paddle"]]

    def _lot_of(self, ev: Event) -> Lot:
        return self.lots[str(ev.lot)]

    def _on_lot_opened(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        lot.status = OPEN
        lot.ask = ev.data["ask"]
        lot.changed_seq = seq
        self.sale.current = lot.id
        self.sale.rounds += 1

    def _on_bid_accepted(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        bid = Bid.from_json(ev.data["bid"])
        lot.bids.append(bid)
        lot.high_id = bid.id
        lot.status = OPEN
        lot.ask = bid.amount + self._increment(lot, bid.amount)
        lot.changed_seq = seq
        lot.pending.pop(ev.data.get("pending") or "", None)
        if ev.data.get("late"):
            lot.late.pop(ev.data["late"], None)

    def _on_bid_refused(self, ev: Event, seq: int) -> None:
        pass  # the record is the journal row itself

    def _on_online_bid_pending(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        lot.serial += 1
        pending = ev.data["pending"]
        lot.pending[pending["id"]] = pending

    def _on_online_bid_rejected(self, ev: Event, seq: int) -> None:
        self._lot_of(ev).pending.pop(ev.data["pending"], None)

    def _on_late_bid(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        lot.serial += 1
        late = ev.data["late"]
        lot.late[late["id"]] = late

    def _on_late_bid_dismissed(self, ev: Event, seq: int) -> None:
        self._lot_of(ev).late.pop(ev.data["late"], None)

    def _on_set_to_floor(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        displaced = lot.bid(ev.data["displaced"]["id"])
        assert displaced is not None
        displaced.void = "displaced"
        bid = Bid.from_json(ev.data["bid"])
        lot.bids.append(bid)
        lot.high_id = bid.id
        lot.changed_seq = seq

    def _on_bid_retracted(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        bid = lot.bid(ev.data["bid"]["id"])
        assert bid is not None
        bid.void = "retracted"
        lot.high_id = None
        lot.ask = bid.amount  # the floor may take the retracted amount again
        lot.changed_seq = seq

    def _on_bid_reinstated(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        lot.high_id = ev.data["bid"]["id"]
        amount = ev.data["bid"]["amount"]
        lot.ask = amount + self._increment(lot, amount)
        lot.changed_seq = seq

    def _on_ask_set(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        lot.ask = ev.data["ask"]
        lot.changed_seq = seq

    def _on_increment_set(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        lot.increment_override = ev.data["increment"]
        if lot.high is not None:
            lot.ask = lot.high.amount + self._increment(lot, lot.high.amount)
        lot.changed_seq = seq

    def _on_fair_warning(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        lot.status = FAIR_WARNING
        lot.changed_seq = seq

    def _close(self, lot: Lot, status: str, hammer: JSON, seq: int) -> None:
        lot.status = status
        lot.hammer = hammer
        lot.closed_at = hammer["at"]
        lot.closed_round = self.sale.rounds
        lot.changed_seq = seq
        lot.pending = {}

    def _on_lot_sold(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        hammer = ev.data["hammer"]
        self._close(lot, SOLD, hammer, seq)
        if hammer.get("paddle") in self.bidders:
            self._touch_bidder(hammer["paddle"]).won += hammer["amount"]

    def _on_lot_passed(self, ev: Event, seq: int) -> None:
        self._close(self._lot_of(ev), PASSED, ev.data["hammer"], seq)

    def _on_lot_withdrawn(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        lot.status = WITHDRAWN
        lot.pending = {}
        lot.changed_seq = seq

    def _on_lot_reopened(self, ev: Event, seq: int) -> None:
        lot = self._lot_of(ev)
        if lot.status == SOLD and lot.hammer and lot.hammer.get("paddle") in self.bidders:
            self._touch_bidder(lot.hammer["paddle"]).won -= lot.hammer["amount"]
        lot.status = OPEN
        lot.hammer = None
        lot.closed_at = None
        lot.late = {}  # reopening answers every late bid on the lot
        lot.changed_seq = seq
        self.sale.current = lot.id

    def _on_sale_paused(self, ev: Event, seq: int) -> None:
        self.sale.paused = True
        self.sale.message = ev.data["message"]

    def _on_sale_resumed(self, ev: Event, seq: int) -> None:
        self.sale.paused = False
        self.sale.message = ""

    # ------------------------------------------------------------------ views

    def public_lot(self, lot_id: str | None) -> JSON | None:
        """What everyone may see of a lot: never the reserve or commission maxima."""
        lot = self.lots.get(lot_id or "")
        if lot is None:
            return None
        high = lot.high
        return {
            "id": lot.id,
            "order": lot.order,
            "title": lot.title,
            "description": lot.description,
            "estimate": {"low": lot.low, "high": lot.high_estimate},
            "start": lot.start,
            "images": list(lot.images),
            "status": lot.status,
            "ask": lot.ask,
            "increment": self._increment(lot, high.amount if high else lot.ask),
            "high": high.public() if high else None,
            "bids": sum(1 for b in lot.bids if b.void is None),
            "hammer": lot.hammer,
            "currency": self.sale.settings.currency,
            "changed_seq": lot.changed_seq,
        }

    def staff_lot(self, lot_id: str | None) -> JSON | None:
        view = self.public_lot(lot_id)
        if view is None:
            return None
        lot = self.lots[str(lot_id)]
        high = lot.high
        view.update(
            reserve=lot.reserve,
            reserve_met=lot.reserve is None or (high is not None and high.amount >= lot.reserve),
            books=[b.to_json() for b in sorted(lot.books, key=lambda b: (-b.max, b.order))],
            pending=[lot.pending[k] for k in sorted(lot.pending)],
            late=[lot.late[k] for k in sorted(lot.late)],
            # Bounded: every journaled staff view carries it, so a long lot must not make
            # each event grow with it. The full history is in the projection.
            history=[b.to_json() for b in lot.bids[-STAFF_HISTORY:]],
            history_total=len(lot.bids),
        )
        return view

    def sale_view(self) -> JSON:
        s = self.sale
        return {
            "id": s.id,
            "title": s.title,
            "currency": s.settings.currency,
            "paused": s.paused,
            "message": s.message,
            "current": s.current,
            "tie_policy": s.settings.tie_policy,
            "confirm_online": s.settings.confirm_online,
        }

    def lot_summaries(self) -> list[JSON]:
        return [
            {"id": lot.id, "order": lot.order, "title": lot.title, "status": lot.status,
             "estimate": {"low": lot.low, "high": lot.high_estimate},
             "images": lot.images[:1],
             "hammer": lot.hammer["amount"] if lot.hammer and "amount" in lot.hammer else None}
            for lot in sorted(self.lots.values(), key=lambda x: x.order)
        ]

    def snapshot(self, staff: bool = False) -> JSON:
        """Everything a client needs to render from scratch, as of `seq`."""
        lot = self.staff_lot if staff else self.public_lot
        return {
            "seq": self.seq,
            "sale": self.sale_view(),
            "lot": lot(self.sale.current),
            "lots": self.lot_summaries(),
        }

    def bidder_view(self, paddle: str) -> JSON | None:
        bidder = self.bidders.get(paddle)
        return bidder.to_json() if bidder else None

    def next_lot(self) -> str | None:
        """The first lot still waiting, in catalogue order."""
        waiting = [lot for lot in self.lots.values() if lot.status == PENDING]
        return min(waiting, key=lambda x: x.order).id if waiting else None

    def view(self, event: Event, audience: str) -> JSON:
        """The body a topic carries for `event`, rendered after it was applied."""
        lot = self.staff_lot(event.lot) if audience == STAFF else self.public_lot(event.lot)
        body: JSON = {"type": event.type, "lot": lot, "data": event.data}
        if event.lot is None or event.type in ("sale_paused", "sale_resumed",
                                                "settings_changed"):
            body["sale"] = self.sale_view()
        return body

    # ------------------------------------------------------------------ projections

    def projection(self, key: str) -> JSON | None:
        """The stored form of one part of the state; journal rows keep these up to date."""
        kind, _, name = key.partition("/")
        if kind == "sale":
            return self.sale.to_json()
        if kind == "lot":
            lot = self.lots.get(name)
            return lot.to_json() if lot else None
        if kind == "bidder":
            bidder = self.bidders.get(name)
            return bidder.to_json() if bidder else None
        raise KeyError(key)

    def projection_keys(self) -> list[str]:
        return ["sale", *(f"lot/{k}" for k in self.lots), *(f"bidder/{k}" for k in self.bidders)]

    def take_dirty(self) -> set[str]:
        dirty, self.dirty = self.dirty, set()
        return dirty


class _Refusal(Exception):
    """Raised by lookups deep in a handler: becomes a refusal with this reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
