"""The state the engine folds events into. Plain mutable dataclasses, owned by the engine.

`Auction` is the whole of it: decide reads it, evolve is the only code that changes it, and
the views render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.auction.ladder import STANDARD, Ladder

JSON = dict[str, Any]

# Lot statuses.
PENDING = "pending"
OPEN = "open"
FAIR_WARNING = "fair_warning"
SOLD = "sold"
PASSED = "passed"
WITHDRAWN = "withdrawn"
LIVE = (OPEN, FAIR_WARNING)
CLOSED = (SOLD, PASSED)

AML_BASES = ("hammer", "total")
AML_ACTIONS = ("alert", "hold", "refuse")
CHANNELS = ("floor", "phone", "online", "absentee", "house")
VAT_SCHEMES = ("margin", "standard", "reduced", "zero", "import")

# Sale statuses: a draft's catalogue is edited freely; going live freezes it (every change an
# amendment); a closed sale answers nothing but the vendor's subject-to decisions.
DRAFT = "draft"
SALE_LIVE = "live"
SALE_CLOSED = "closed"
TIE_POLICIES = ("first_received", "floor_priority")


@dataclass(slots=True)
class Settings:
    """A sale's rules. Changing them is an event like any other."""

    currency: str = "EUR"
    tie_policy: str = "first_received"
    confirm_online: bool = False  # clerk confirms each online bid before it counts
    subject_to: bool = False  # below reserve: sell provisionally instead of passing
    late_window: float = 3.0  # seconds after the hammer in which a bid is a "late bid"
    reopen_window: float = 120.0  # seconds after the hammer in which reopen is allowed
    auto_absentee: bool = True  # execute commission bids automatically
    ladder: Ladder = STANDARD
    subject_to_window: float = 172_800.0  # seconds after the hammer for the vendor's answer
    # Tiered marginal premium, [[from_minor, basis_points], ...] from 0; [] none. Stored and
    # shown here; the money issue computes with it.
    buyer_premium: list[list[int]] = field(default_factory=list)
    vat_rate_bp: int = 0  # the standard VAT rate in basis points (2000 = 20 %)
    # Money (docs/MONEY.md): extra premium per bidding channel, the other VAT rates, a flat
    # sales tax, the artist's resale right, and whether the credit check counts charges.
    premium_surcharge_bp: dict[str, int] = field(default_factory=dict)
    vat_reduced_bp: int = 0
    vat_import_bp: int = 0
    sales_tax_bp: int = 0
    arr_threshold: int | None = None  # None: no resale right in this sale
    arr_eur_ppm: int = 1_000_000  # sale minor units per euro cent, in parts per million
    credit_includes_charges: bool = False
    # Anti-money-laundering in the sale (issue 13): exposure at or over `aml_threshold` (sale
    # minor units; None: off) without complete CDD raises an alert and then, by `aml_action`,
    # lets the bid stand ("alert"), holds an online bid for the clerk ("hold") or refuses it.
    aml_threshold: int | None = None
    aml_basis: str = "hammer"  # "hammer" | "total" (hammer + premium + surcharge + taxes)
    aml_action: str = "alert"  # "alert" | "hold" | "refuse"

    def money_json(self) -> JSON:
        """The money rules, as journaled and as bidders see them."""
        return {
            "premium_surcharge_bp": dict(sorted(self.premium_surcharge_bp.items())),
            "vat_reduced_bp": self.vat_reduced_bp,
            "vat_import_bp": self.vat_import_bp,
            "sales_tax_bp": self.sales_tax_bp,
            "arr_threshold": self.arr_threshold,
            "arr_eur_ppm": self.arr_eur_ppm,
            "credit_includes_charges": self.credit_includes_charges,
        }

    def aml_json(self) -> JSON:
        return {
            "aml_threshold": self.aml_threshold,
            "aml_basis": self.aml_basis,
            "aml_action": self.aml_action,
        }

    def to_json(self) -> JSON:
        return {
            "currency": self.currency,
            "tie_policy": self.tie_policy,
            "confirm_online": self.confirm_online,
            "subject_to": self.subject_to,
            "late_window": self.late_window,
            "reopen_window": self.reopen_window,
            "auto_absentee": self.auto_absentee,
            "ladder": self.ladder.to_json(),
            "subject_to_window": self.subject_to_window,
            "buyer_premium": [list(row) for row in self.buyer_premium],
            "vat_rate_bp": self.vat_rate_bp,
            **self.money_json(),
            **self.aml_json(),
        }

    def rules(self) -> JSON:
        """The house rules bidders see ("rules of this sale")."""
        return {
            "tie_policy": self.tie_policy,
            "late_window": self.late_window,
            "reopen_window": self.reopen_window,
            "subject_to": self.subject_to,
            "confirm_online": self.confirm_online,
            "auto_absentee": self.auto_absentee,
            "buyer_premium": [list(row) for row in self.buyer_premium],
            "vat_rate_bp": self.vat_rate_bp,
            **self.money_json(),
            "currency": self.currency,
        }

    def update(self, data: JSON) -> None:
        for key, value in data.items():
            if key == "ladder":
                self.ladder = Ladder.of(value)
            elif key in ("late_window", "reopen_window", "subject_to_window"):
                setattr(self, key, float(value))
            elif key == "buyer_premium":
                self.buyer_premium = [[int(a), int(b)] for a, b in value]
            elif key in (
                "vat_rate_bp",
                "vat_reduced_bp",
                "vat_import_bp",
                "sales_tax_bp",
                "arr_eur_ppm",
            ):
                setattr(self, key, int(value))
            elif key == "premium_surcharge_bp":
                self.premium_surcharge_bp = {str(k): int(v) for k, v in value.items()}
            elif key in ("arr_threshold", "aml_threshold"):
                setattr(self, key, None if value is None else int(value))
            elif key in ("aml_basis", "aml_action"):
                setattr(self, key, str(value))
            elif key in (
                "confirm_online",
                "subject_to",
                "auto_absentee",
                "credit_includes_charges",
            ):
                setattr(self, key, bool(value))
            elif key in ("currency", "tie_policy"):
                setattr(self, key, str(value))


@dataclass(slots=True)
class Bid:
    id: str
    amount: int
    paddle: str | None  # None: an anonymous room bid
    channel: str
    at: float
    house: bool = False
    auto: bool = False  # placed by the engine for a commission (absentee) book
    void: str | None = None  # "retracted" | "displaced": no longer part of the chain

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "amount": self.amount,
            "paddle": self.paddle,
            "channel": self.channel,
            "at": self.at,
            "house": self.house,
            "auto": self.auto,
            "void": self.void,
        }

    @classmethod
    def from_json(cls, d: JSON) -> Bid:
        return cls(
            id=d["id"],
            amount=int(d["amount"]),
            paddle=d.get("paddle"),
            channel=d["channel"],
            at=float(d["at"]),
            house=bool(d.get("house", False)),
            auto=bool(d.get("auto", False)),
            void=d.get("void"),
        )

    def public(self) -> JSON:
        return {
            "amount": self.amount,
            "paddle": self.paddle,
            "channel": self.channel,
            "house": self.house,
        }


@dataclass(slots=True)
class Book:
    """A commission (absentee) bid: the most a bidder will pay, executed by the engine."""

    paddle: str
    max: int
    order: int  # sale-wide arrival order: equal maxima go to the earliest

    def to_json(self) -> JSON:
        return {"paddle": self.paddle, "max": self.max, "order": self.order}


@dataclass(slots=True)
class Lot:
    id: str
    order: int
    title: str = ""
    description: str = ""
    low: int | None = None
    high_estimate: int | None = None
    start: int = 0
    reserve: int | None = None
    images: list[str] = field(default_factory=list)
    quantity: int = 1
    consignor: str = ""  # a reference to the consignor's record: staff only
    vat: str = "margin"  # margin | standard | reduced | zero | import
    arr: bool = False  # artist's resale right applies
    premium: list[list[int]] | None = None  # the lot's own premium bands; None: the sale's
    category: str = ""
    condition: str = ""  # the condition report
    notices: list[str] = field(default_factory=list)  # saleroom notices, everyone sees them
    status: str = PENDING
    bids: list[Bid] = field(default_factory=list)
    ask: int = 0
    increment_override: int | None = None
    books: list[Book] = field(default_factory=list)
    pending: dict[str, JSON] = field(default_factory=dict)  # online bids awaiting the clerk
    late: dict[str, JSON] = field(default_factory=dict)  # late bids awaiting a decision
    hammer: JSON | None = None
    closed_at: float | None = None
    closed_round: int = 0  # the sale's open count when this lot closed
    changed_seq: int = 0  # seq of the last event that changed what bidders see
    high_id: str | None = None  # a retraction leaves no high bid: the earlier is not revived
    serial: int = 0  # numbers pending and late bids

    @property
    def high(self) -> Bid | None:
        if self.high_id is None:
            return None
        return self.bid(self.high_id)

    def bid(self, bid_id: str) -> Bid | None:
        for bid in reversed(self.bids):
            if bid.id == bid_id:
                return bid
        return None

    @property
    def floor_amount(self) -> int:
        """The highest amount still in the chain: no later bid may be at or below it."""
        for bid in reversed(self.bids):
            if bid.void is None:
                return bid.amount
        return 0

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "order": self.order,
            "title": self.title,
            "description": self.description,
            "low": self.low,
            "high_estimate": self.high_estimate,
            "start": self.start,
            "reserve": self.reserve,
            "images": list(self.images),
            "quantity": self.quantity,
            "consignor": self.consignor,
            "vat": self.vat,
            "arr": self.arr,
            "premium": None if self.premium is None else [list(b) for b in self.premium],
            "category": self.category,
            "condition": self.condition,
            "notices": list(self.notices),
            "status": self.status,
            "bids": [b.to_json() for b in self.bids],
            "ask": self.ask,
            "increment_override": self.increment_override,
            "books": [b.to_json() for b in self.books],
            "pending": dict(sorted(self.pending.items())),
            "late": dict(sorted(self.late.items())),
            "hammer": self.hammer,
            "closed_at": self.closed_at,
            "closed_round": self.closed_round,
            "changed_seq": self.changed_seq,
            "high_id": self.high_id,
            "serial": self.serial,
        }


@dataclass(slots=True)
class Bidder:
    paddle: str
    channel: str = "floor"
    status: str = "pending"  # pending | approved | rejected
    credit_limit: int | None = None  # most they may win in this sale; None: no limit
    won: int = 0  # hammer total of lots sold to them
    # Due diligence (issue 13; the personal data is in the identities store, never here).
    legal_person: bool = False  # a company: the beneficial owner must be known too
    cdd: dict[str, str] = field(default_factory=dict)  # step -> outcome, the latest of each
    hold: JSON | None = None  # {reason, reference, by, at} while a screening hold is open
    linked: int = 0  # linked purchases elsewhere (other sales), in this sale's minor units
    linked_sales: list[str] = field(default_factory=list)
    aml_alerted: list[str] = field(default_factory=list)  # lots an aml_alert was raised on
    erased: bool = False  # the identity behind this paddle was erased

    def to_json(self) -> JSON:
        return {
            "paddle": self.paddle,
            "channel": self.channel,
            "status": self.status,
            "credit_limit": self.credit_limit,
            "won": self.won,
            "legal_person": self.legal_person,
            "cdd": dict(sorted(self.cdd.items())),
            "hold": None if self.hold is None else dict(self.hold),
            "linked": self.linked,
            "linked_sales": list(self.linked_sales),
            "aml_alerted": list(self.aml_alerted),
            "erased": self.erased,
        }

    def private_json(self) -> JSON:
        """What the bidder sees of their registration: no compliance notes about them."""
        return {
            "paddle": self.paddle,
            "channel": self.channel,
            "status": self.status,
            "credit_limit": self.credit_limit,
            "won": self.won,
        }


@dataclass(slots=True)
class Sale:
    id: str = ""
    title: str = ""
    settings: Settings = field(default_factory=Settings)
    status: str = DRAFT  # draft | live | closed
    house: str = ""
    timezone: str = ""
    sessions: list[JSON] = field(default_factory=list)  # [{name, starts, from_lot, to_lot}]
    session: int = 0  # the running (or last ended) session, 0-based
    pause_break: JSON | None = None  # {message, next_start} between sessions
    closed_at: float | None = None
    messages: int = 0  # messages sent, for their ids
    phones: dict[str, JSON] = field(default_factory=dict)  # phone bookings by id
    phone_serial: int = 0  # phone bookings made, for their ids
    paused: bool = False
    message: str = ""
    current: str | None = None  # the lot on the block (open or fair warning) or last closed
    rounds: int = 0  # how many times a lot has been opened
    arrivals: int = 0  # commission bids received, for their order

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "title": self.title,
            "settings": self.settings.to_json(),
            "status": self.status,
            "house": self.house,
            "timezone": self.timezone,
            "sessions": [dict(x) for x in self.sessions],
            "session": self.session,
            "break": self.pause_break,
            "closed_at": self.closed_at,
            "messages": self.messages,
            "phones": list(self.phones.values()),
            "phone_serial": self.phone_serial,
            "paused": self.paused,
            "message": self.message,
            "current": self.current,
            "rounds": self.rounds,
            "arrivals": self.arrivals,
        }


@dataclass(slots=True)
class Money:
    """The sale's money after the hammer: invoices, credit notes, payments, releases, terms.

    Documents are kept as journaled (their JSON); the figures in them were computed when they
    were issued, so later rule changes never alter an issued invoice.
    """

    invoices: dict[str, JSON] = field(default_factory=dict)  # number -> invoice_issued data
    credit_notes: dict[str, JSON] = field(default_factory=dict)  # number -> its data
    payments: list[JSON] = field(default_factory=list)
    refunds: list[JSON] = field(default_factory=list)
    payouts: list[JSON] = field(default_factory=list)
    released: dict[str, str] = field(default_factory=dict)  # lot -> the paddle it went to
    terms: dict[str, JSON] = field(default_factory=dict)  # consignor reference -> Terms JSON
    invoiced: dict[str, str] = field(default_factory=dict)  # lot -> its live invoice's number

    def empty(self) -> bool:
        return not (
            self.invoices
            or self.credit_notes
            or self.payments
            or self.refunds
            or self.payouts
            or self.released
            or self.terms
        )

    def to_json(self) -> JSON:
        return {
            "invoices": dict(sorted(self.invoices.items())),
            "credit_notes": dict(sorted(self.credit_notes.items())),
            "payments": list(self.payments),
            "refunds": list(self.refunds),
            "payouts": list(self.payouts),
            "released": dict(sorted(self.released.items())),
            "terms": dict(sorted(self.terms.items())),
            "invoiced": dict(sorted(self.invoiced.items())),
        }


@dataclass(slots=True)
class Auction:
    """One sale's auction state, exactly replay(journal) as of `seq`."""

    sale: Sale = field(default_factory=Sale)
    lots: dict[str, Lot] = field(default_factory=dict)
    bidders: dict[str, Bidder] = field(default_factory=dict)
    money: Money = field(default_factory=Money)
    seq: int = 0
    dirty: set[str] = field(default_factory=set)  # projection keys changed since last taken

    def increment(self, lot: Lot, amount: int) -> int:
        """How far the ask moves above `amount` on `lot`: its override, else the ladder."""
        if lot.increment_override is not None:
            return lot.increment_override
        return self.sale.settings.ladder.increment(amount)

    def live_lot(self) -> Lot | None:
        """The lot on the block (open or at fair warning), if any."""
        current = self.lots.get(self.sale.current or "")
        return current if current is not None and current.status in LIVE else None
