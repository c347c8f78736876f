"""Commands at the edge: a JSON object in, one typed, frozen command per op out.

Every field is checked here, before the engine looks at the state, so the decide handlers
receive values of the right type and range and mypy checks them. A malformed command raises
`CommandError`, which the engine answers with reason `invalid` and the error's message.

Fields are read in the order the handlers once read them, so when two fields are wrong the
message names the same one as before. The one change of the split: a command that is both
malformed and refused by the state on a field it names (an unknown lot, a closed lot) is now
`invalid`. Refusals that depend on no field (the sale exists already, a bidder token without a
paddle) still come first: they are the handlers' prechecks (`decide.base.decides`).

One dataclass per op is the op's one declaration: its `OP`, its fields (the dataclass fields,
with `arg` metadata for what the types do not say), a `parse` classmethod, and `@command(...)`
for its roles, events, label and help. `commands.py` builds the registry from `DECLARED`;
`PARSERS` maps every op to its parser and is checked against the handlers when the engine is
imported, and `tests/auction/test_commands.py` checks each parser reads exactly its fields.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, TypeVar

from hub.auction import roles
from hub.auction.ladder import Ladder, LadderError
from hub.auction.state import (
    AML_ACTIONS,
    AML_BASES,
    CHANNELS,
    DRAFT,
    SALE_CLOSED,
    SALE_LIVE,
    TIE_POLICIES,
    VAT_SCHEMES,
)
from hub.auction.text import identifier_problem, text_problem

JSON = dict[str, Any]

MAX_AMOUNT = 10**13  # a hundred billion in major units: anything above is a typo or an attack
MAX_TEXT = 10_000
MAX_SEQ = 2**63 - 1
MAX_IMAGES = 50
MAX_LADDER_ROWS = 100
MAX_PREMIUM_ROWS = 20
MAX_QUANTITY = 1_000_000
MAX_SESSIONS = 60
MAX_WINDOW = 90 * 86_400  # the longest subject-to window, in seconds
MAX_PPM = 10**12  # arr_eur_ppm: up to a million minor units per euro cent
# A sale id names its journal file: the CLI and the app check it with the same rule.
SALE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
SALE_ID_RULE = "a sale id is 1 to 64 letters, digits, '-' or '_', starting with a letter or digit"


class CommandError(Exception):
    """A command that is malformed: refused with reason `invalid` and this message."""


# ---------------------------------------------------------------------- field checks


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
    """Refuse text that cannot be stored or framed safely: the display-text rule of
    `hub/auction/text.py` (C0/C1 controls but tab and line breaks, U+2028/9, lone
    surrogates, bidi overrides)."""
    problem = text_problem(value, limit=len(value), multiline=True)
    if problem is not None:
        raise CommandError(f"'{key}' {problem}")


def _opt_text(cmd: JSON, key: str, limit: int = MAX_TEXT) -> str | None:
    return None if cmd.get(key) is None else _text(cmd, key, limit=limit)


def _amount(cmd: JSON, key: str) -> int:
    value = _opt_amount(cmd, key)
    if value is None:
        raise CommandError(f"'{key}' is required")
    return value


def _opt_amount(cmd: JSON, key: str) -> int | None:
    value = cmd.get(key)
    if value is None:
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
    # The identifier rule: a paddle ends up in topic IRIs and tokens (no CR, NEL, U+2028...).
    problem = identifier_problem(value.strip(" "), limit=32)
    if problem is not None:
        raise CommandError(f"'paddle' {problem}")
    return value.strip(" ")


def _opt_paddle(cmd: JSON) -> str | None:
    """A paddle that may be left out: an anonymous room bid, or nobody named."""
    value = cmd.get("paddle")
    return None if value in (None, "") else _paddle(value)


def _lot(cmd: JSON) -> str:
    """The lot a command is about (looked up by the handler: not stripped)."""
    lot = _text(cmd, "lot", limit=32)
    problem = identifier_problem(lot, limit=32)
    if problem is not None:
        raise CommandError(f"'lot' {problem}")
    return lot


def _object(cmd: JSON, key: str) -> JSON:
    value = cmd.get(key)
    if not isinstance(value, dict):
        raise CommandError(f"'{key}' must be an object")
    return value


def _ladder_rows(value: Any) -> list[list[int]]:
    """A ladder table from a command: rows of two whole numbers, checked before use."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_LADDER_ROWS:
        raise CommandError(f"ladder: a list of 1 to {MAX_LADDER_ROWS} rows")
    rows = []
    for row in value:
        if not isinstance(row, list) or len(row) != 2:
            raise CommandError("ladder: each row is [from, increment]")
        for cell in row:
            if isinstance(cell, bool) or not isinstance(cell, int) or not (0 <= cell <= MAX_AMOUNT):
                raise CommandError("ladder: amounts are whole numbers of minor units")
        rows.append([row[0], row[1]])
    return rows


def _premium_rows(value: Any, name: str = "buyer_premium") -> list[list[int]]:
    """A tiered buyer's premium: rows of [from_minor, basis_points], from 0, ascending."""
    if not isinstance(value, list) or len(value) > MAX_PREMIUM_ROWS:
        raise CommandError(f"{name}: a list of at most {MAX_PREMIUM_ROWS} rows")
    rows: list[list[int]] = []
    for row in value:
        if not isinstance(row, list) or len(row) != 2:
            raise CommandError(f"{name}: each row is [from, basis points]")
        start, rate = row
        for cell in row:
            if isinstance(cell, bool) or not isinstance(cell, int):
                raise CommandError(f"{name}: whole numbers only")
        if not 0 <= start <= MAX_AMOUNT:
            raise CommandError(f"{name}: a band starts at an amount in minor units")
        if not 0 <= rate <= 10_000:
            raise CommandError(f"{name}: a rate is between 0 and 10000 basis points")
        if not rows and start != 0:
            raise CommandError(f"{name}: the first band starts at 0")
        if rows and start <= rows[-1][0]:
            raise CommandError(f"{name}: bands ascend")
        rows.append([start, rate])
    return rows


def _basis_points(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        raise CommandError(f"{key} must be basis points between 0 and 10000")
    return value


def _surcharges(value: Any) -> dict[str, int]:
    """Extra premium per bidding channel: {channel: basis points}."""
    if not isinstance(value, dict):
        raise CommandError("premium_surcharge_bp is an object {channel: basis points}")
    out: dict[str, int] = {}
    for channel, rate in value.items():
        if channel not in CHANNELS:
            raise CommandError(f"premium_surcharge_bp: a channel is one of {', '.join(CHANNELS)}")
        out[channel] = _basis_points(rate, "premium_surcharge_bp")
    return dict(sorted(out.items()))


def _settings(raw: Any) -> JSON:
    """Sale rules as journaled: only known keys, each checked and normalised."""
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
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (0 <= value <= 86_400)
            ):
                raise CommandError(f"{key} must be seconds between 0 and 86400")
            out[key] = float(value)
        elif key == "subject_to_window":
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 <= value <= MAX_WINDOW
            ):
                raise CommandError(f"subject_to_window: whole seconds from 0 to {MAX_WINDOW}")
            out[key] = value
        elif key == "buyer_premium":
            out[key] = _premium_rows(value)
        elif key in ("vat_rate_bp", "vat_reduced_bp", "vat_import_bp", "sales_tax_bp"):
            out[key] = _basis_points(value, key)
        elif key == "premium_surcharge_bp":
            out[key] = _surcharges(value)
        elif key == "arr_threshold":
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 <= value <= MAX_AMOUNT
            ):
                raise CommandError("arr_threshold is an amount in minor units, or null (no ARR)")
            out[key] = value
        elif key == "arr_eur_ppm":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_PPM:
                raise CommandError(
                    f"arr_eur_ppm: sale minor units per euro cent × 10^6, 1 to {MAX_PPM}"
                )
            out[key] = value
        elif key == "aml_threshold":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_AMOUNT
            ):
                raise CommandError("aml_threshold is an amount in minor units, or null (off)")
            out[key] = value
        elif key == "aml_basis":
            if value not in AML_BASES:
                raise CommandError(f"aml_basis must be one of {', '.join(AML_BASES)}")
            out[key] = value
        elif key == "aml_action":
            if value not in AML_ACTIONS:
                raise CommandError(f"aml_action must be one of {', '.join(AML_ACTIONS)}")
            out[key] = value
        elif key == "credit_includes_charges":
            if not isinstance(value, bool):
                raise CommandError(f"{key} must be true or false")
            out[key] = value
        elif key == "ladder":
            try:
                out[key] = Ladder.of(_ladder_rows(value)).to_json()
            except LadderError as exc:
                raise CommandError(f"ladder: {exc}") from exc
        else:
            raise CommandError(f"unknown setting {key!r}")
    return out


# ---------------------------------------------------------------------- the declarations
# Each command is declared once, here: a frozen dataclass whose fields are the command's
# fields, decorated with `@command(...)` for who may send it, what it emits and its label.
# `commands.py` builds the registry (`COMMANDS`, `BY_OP`) from these declarations, in this
# order. Field order in each `parse` is the order in which the fields are checked.

BIDDER = frozenset({roles.BIDDER})
SYSTEM = frozenset[str]()  # the system actor may send anything; nobody else
# Every staff role (before issue 13, the ops of the clerk and the auctioneer alike).
STAFF = frozenset(roles.STAFF_ROLES)
# Who may send what (hub/auction/roles.py says what each role is). The auctioneer keeps every
# staff op it had before issue 13: without staff accounts it is the whole house.
LIVE_OPS = frozenset({roles.AUCTIONEER})
FLOOR_OPS = frozenset({roles.CLERK, roles.AUCTIONEER})
DESK_OPS = frozenset({roles.DESK, roles.AUCTIONEER})
CASHIER_OPS = frozenset({roles.CASHIER, roles.AUCTIONEER})
ADMIN_OPS = frozenset({roles.ADMIN, roles.AUCTIONEER})
CDD_OPS = frozenset({roles.DESK, roles.OFFICER})
OFFICER_OPS = frozenset({roles.OFFICER})
ERASE_OPS = frozenset({roles.ADMIN})
LINK_OPS = frozenset({roles.DESK})

# What a field holds, for forms, OpenAPI and the clerk page (the engine checks the values).
FIELD_KINDS = (
    "lot",
    "paddle",
    "amount",
    "text",
    "int",
    "number",
    "choice",
    "object",
    "list",
    "bool",
)


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a command as the registry shows it."""

    name: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""

    def to_json(self) -> JSON:
        out: JSON = {"name": self.name, "kind": self.kind, "required": self.required}
        if self.choices:
            out["choices"] = list(self.choices)
        if self.help:
            out["help"] = self.help
        return out


def arg(
    kind: str | None = None,
    *,
    choices: tuple[str, ...] = (),
    optional: bool = False,
    help: str = "",
) -> Any:
    """A command field's registry facts, as `dataclasses.field` metadata.

    The kind defaults from the type (str: text, int: int, int | float: number, a mapping:
    object, a tuple: list; with `choices`: choice). A field is required unless its type admits
    None or it is `optional` (the parser gives it a default).
    """
    return dataclasses.field(
        metadata={"kind": kind, "choices": choices, "optional": optional, "help": help}
    )


@dataclass(frozen=True, slots=True)
class Declaration:
    """Everything the registry says about one op, read from its command class."""

    cls: type
    roles: frozenset[str]  # besides the system actor, who may send it
    fields: tuple[Field, ...]
    events: tuple[str, ...]  # the event types it may journal (accepted or refused)
    label: str
    help: str
    states: frozenset[str]  # the sale statuses in which the op may be sent

    @property
    def op(self) -> str:
        op: str = getattr(self.cls, "OP")  # noqa: B009  (every declared class has one)
        return op


# op -> its declaration, in declaration order (the registry's order).
_DECLARED: dict[str, Declaration] = {}
DECLARED: Mapping[str, Declaration] = MappingProxyType(_DECLARED)
# op -> its parser. The engine checks at import that these are exactly the registry's ops.
_PARSERS: dict[str, Callable[[JSON], Any]] = {}
PARSERS: Mapping[str, Callable[[JSON], Any]] = MappingProxyType(_PARSERS)


class Parsed(Protocol):
    """A command class: its op, and how to read it from JSON."""

    OP: ClassVar[str]

    @classmethod
    def parse(cls, cmd: JSON) -> Any: ...


T = TypeVar("T", bound=type[Parsed])


def _kind(hint: Any, meta: Mapping[str, Any]) -> str:
    if meta.get("kind"):
        return str(meta["kind"])
    if meta.get("choices"):
        return "choice"
    args = tuple(a for a in typing.get_args(hint) if a is not type(None))
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = args[0] if len(args) == 1 else hint
        if set(args) == {int, float}:
            return "number"
    origin = typing.get_origin(hint) or hint
    kinds: dict[Any, str] = {str: "text", int: "int", bool: "bool", tuple: "list", list: "list"}
    if origin in kinds:
        return kinds[origin]
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return "object"
    raise TypeError(f"no registry kind for {hint!r}: give arg(kind=...)")


def fields_of(cls: type) -> tuple[Field, ...]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        meta, hint = f.metadata, hints[f.name]
        nullable = type(None) in typing.get_args(hint)
        out.append(
            Field(
                f.name,
                _kind(hint, meta),
                not (nullable or meta.get("optional", False)),
                tuple(meta.get("choices", ())),
                str(meta.get("help", "")),
            )
        )
    return tuple(out)


# In which sale statuses an op may be sent (`command(states=...)`).
RUNNING = frozenset({SALE_LIVE})  # the default: the sale runs
SETUP = frozenset({DRAFT, SALE_LIVE})  # the catalogue, bidders, books: also in a draft
ANY = frozenset({DRAFT, SALE_LIVE, SALE_CLOSED})


def command(
    roles: frozenset[str],
    events: tuple[str, ...],
    label: str,
    help: str,
    wire: tuple[Field, ...] | None = None,
    states: frozenset[str] = RUNNING,
) -> Callable[[T], T]:
    """Declare a command class: its op's roles, events, label and help; register its parser.

    `states` are the sale statuses in which the op may be sent: the engine refuses it in any
    other (`sale_not_live` in a draft, `sale_closed` once closed) before parsing it.

    Its fields are the dataclass's own (kind, required, choices and help from the types and
    `arg` metadata), unless `wire` names what the JSON holds instead (a command whose body is
    one object that the parser unpacks into several attributes).
    """

    def register(cls: T) -> T:
        if cls.OP in _PARSERS:
            raise RuntimeError(f"two command classes for op {cls.OP!r}")
        fields = wire if wire is not None else fields_of(cls)
        for f in fields:
            if f.kind not in FIELD_KINDS:
                raise RuntimeError(f"{cls.OP}.{f.name}: unknown field kind {f.kind!r}")
        _DECLARED[cls.OP] = Declaration(cls, roles, fields, events, label, help, states)
        _PARSERS[cls.OP] = cls.parse
        return cls

    return register


def _lot_arg() -> Any:
    return arg("lot")


_SEEN = "the seq the sender last saw (compare-and-set)"
_KEY = "idempotency key: a retry with it counts once"
_CLOSE = ("lot_sold", "lot_passed", "online_bid_rejected")
_BIDS = ("bid_accepted", "bid_refused", "late_bid", "online_bid_pending", "aml_alert")
# A room bid is never waiting for the clerk; a house bid is never late; a pass never sells.
_FLOOR_BIDS = ("bid_accepted", "bid_refused", "late_bid", "aml_alert")
_HOUSE_BIDS = ("bid_accepted", "bid_refused")


# -- bidders


@command(BIDDER, _BIDS, "Bid", "An online bid at `amount` on the lot on the block")
@dataclass(frozen=True, slots=True)
class Bid:
    """An online bid: the bidder's paddle comes from the actor, never from the body."""

    OP: ClassVar[str] = "bid"
    lot: str = _lot_arg()
    amount: int = arg("amount")
    seen_seq: int | None = arg(help=_SEEN)
    key: str | None = arg(help=_KEY)

    @classmethod
    def parse(cls, cmd: JSON) -> Bid:
        amount = _amount(cmd, "amount")
        return cls(_lot(cmd), amount, _opt_int(cmd, "seen_seq"), _opt_text(cmd, "key", 128))


# -- setting up a sale


@command(
    SYSTEM,
    ("sale_created",),
    "Create sale",
    "Create the sale: id, title and house rules",
    wire=(Field("sale", "object", True),),
    states=ANY,  # refused once the sale exists, whatever its status (the precheck)
)
@dataclass(frozen=True, slots=True)
class CreateSale:
    """A new sale, a draft: `{id, title, house, timezone, sessions, settings}`."""

    OP: ClassVar[str] = "create_sale"
    id: str
    title: str
    settings: Mapping[str, Any]  # checked and normalised by `_settings`
    house: str = ""
    timezone: str = ""
    sessions: tuple[Mapping[str, str], ...] = ()

    @classmethod
    def parse(cls, cmd: JSON) -> CreateSale:
        sale = _object(cmd, "sale")
        sale_id = _text(sale, "id", limit=64)
        if not SALE_ID.fullmatch(sale_id):
            raise CommandError(SALE_ID_RULE)
        settings = _settings(sale.get("settings") or {})
        title = _text(sale, "title", "", 500)
        house = _text(sale, "house", "", 200)
        timezone = _text(sale, "timezone", "", 64)
        if timezone and not _TIMEZONE.fullmatch(timezone):
            raise CommandError("timezone is a zone name such as Europe/London")
        return cls(
            sale_id,
            title,
            MappingProxyType(settings),
            house,
            timezone,
            _sessions(sale.get("sessions")),
        )


_TIMEZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")
_SESSION_KEYS = ("name", "starts", "from_lot", "to_lot")


def _start(value: JSON, key: str) -> str:
    """A local date and time such as 2026-12-05T10:00, or ""."""
    text = _text(value, key, "", 32)
    if text:
        try:
            datetime.datetime.fromisoformat(text)
        except ValueError as exc:
            raise CommandError(f"'{key}' is a date and time such as 2026-12-05T10:00") from exc
    return text


def _sessions(raw: Any) -> tuple[Mapping[str, str], ...]:
    """The sale's sessions (days): each `{name, starts, from_lot, to_lot}`; none is one."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_SESSIONS:
        raise CommandError(f"'sessions' must be a list of at most {MAX_SESSIONS} sessions")
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise CommandError("each session is an object {name, starts, from_lot, to_lot}")
        unknown = sorted(str(k) for k in item if k not in _SESSION_KEYS)
        if unknown:
            raise CommandError(f"unknown session key {unknown[0][:40]!r}")
        session = {
            "name": _text(item, "name", "", 100),
            "starts": _start(item, "starts"),
            "from_lot": _text(item, "from_lot", "", 32),
            "to_lot": _text(item, "to_lot", "", 32),
        }
        out.append(MappingProxyType(session))
    return tuple(out)


@command(
    ADMIN_OPS,
    ("settings_changed",),
    "Sale rules",
    "Change the sale's rules between lots",
    states=SETUP,
)
@dataclass(frozen=True, slots=True)
class Configure:
    OP: ClassVar[str] = "configure"
    settings: Mapping[str, Any] = arg()

    @classmethod
    def parse(cls, cmd: JSON) -> Configure:
        return cls(MappingProxyType(_settings(cmd.get("settings") or {})))


def _images(raw: JSON) -> tuple[str, ...]:
    images = raw.get("images") or []
    if not isinstance(images, list) or len(images) > MAX_IMAGES:
        raise CommandError(f"'images' must be a list of at most {MAX_IMAGES} strings")
    for image in images:
        if not isinstance(image, str) or len(image) > 2_000:
            raise CommandError("'images' must be a list of short strings")
        _check_chars(image, "images")
    return tuple(images)


def _quantity(raw: JSON) -> int:
    value = raw.get("quantity", 1)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise CommandError(f"'quantity' must be a whole number from 1 to {MAX_QUANTITY}")
    return value


def _vat(raw: JSON) -> str:
    value = raw.get("vat", "margin")
    if value not in VAT_SCHEMES:
        raise CommandError(f"'vat' must be one of {', '.join(VAT_SCHEMES)}")
    return str(value)


def _flag(raw: JSON, key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise CommandError(f"'{key}' must be true or false")
    return value


def _lot_premium(raw: JSON) -> list[list[int]] | None:
    """A lot's own premium bands (null: the sale's schedule applies)."""
    value = raw.get("premium")
    return None if value is None else _premium_rows(value, "premium")


# A lot's catalogue fields besides its number, each with its check (absent: the default).
_LOT_FIELDS: dict[str, Callable[[JSON], Any]] = {
    "title": lambda raw: _text(raw, "title", "", 1_000),
    "description": lambda raw: _text(raw, "description", "", MAX_TEXT),
    "low": lambda raw: _opt_amount(raw, "low"),
    "high": lambda raw: _opt_amount(raw, "high"),
    "start": lambda raw: _opt_amount(raw, "start") or 0,
    "reserve": lambda raw: _opt_amount(raw, "reserve"),
    "images": lambda raw: list(_images(raw)),
    "quantity": _quantity,
    "consignor": lambda raw: _text(raw, "consignor", "", 64),
    "vat": _vat,
    "arr": lambda raw: _flag(raw, "arr"),
    "premium": lambda raw: _lot_premium(raw),
    "category": lambda raw: _text(raw, "category", "", 100),
    "condition": lambda raw: _text(raw, "condition", "", MAX_TEXT),
}
LOT_FIELDS = tuple(_LOT_FIELDS)
# What only staff may see of a lot: never in a public event or view.
STAFF_LOT_FIELDS = frozenset({"reserve", "consignor"})
_REASON = "why, for the journal (required once the sale is live)"


@command(
    ADMIN_OPS,
    ("lot_added", "lot_amended"),
    "Add lot",
    "Add a lot to the catalogue (once live: with a reason, announced to everyone)",
    wire=(Field("lot", "object", True), Field("reason", "text", help=_REASON)),
    states=SETUP,
)
@dataclass(frozen=True, slots=True)
class AddLot:
    OP: ClassVar[str] = "add_lot"
    id: str
    title: str
    description: str
    low: int | None
    high: int | None
    start: int
    reserve: int | None
    images: tuple[str, ...]
    quantity: int = 1
    consignor: str = ""
    vat: str = "margin"
    arr: bool = False
    category: str = ""
    condition: str = ""
    reason: str | None = None
    premium: tuple[tuple[int, int], ...] | None = None  # the lot's own bands; None: the sale's

    @classmethod
    def parse(cls, cmd: JSON) -> AddLot:
        raw = _object(cmd, "lot")
        lot_id = _text(raw, "id", limit=32).strip()
        if not lot_id:
            raise CommandError("a lot needs a number")
        images = _images(raw)
        low, high = _opt_amount(raw, "low"), _opt_amount(raw, "high")
        if low is not None and high is not None and low > high:
            raise CommandError("the low estimate is above the high estimate")
        title = _text(raw, "title", "", 1_000)
        description = _text(raw, "description", "", MAX_TEXT)
        start = _opt_amount(raw, "start") or 0
        reserve = _opt_amount(raw, "reserve")
        return cls(
            lot_id,
            title,
            description,
            low,
            high,
            start,
            reserve,
            images,
            quantity=_quantity(raw),
            consignor=_text(raw, "consignor", "", 64),
            vat=_vat(raw),
            arr=_flag(raw, "arr"),
            category=_text(raw, "category", "", 100),
            condition=_text(raw, "condition", "", MAX_TEXT),
            reason=_opt_text(cmd, "reason", 500),
            premium=_bands_tuple(_lot_premium(raw)),
        )


def _bands_tuple(rows: list[list[int]] | None) -> tuple[tuple[int, int], ...] | None:
    return None if rows is None else tuple((a, b) for a, b in rows)


@command(
    DESK_OPS,
    ("bidder_registered",),
    "Register bidder",
    "Register a paddle for this sale",
    states=SETUP,
)
@dataclass(frozen=True, slots=True)
class RegisterBidder:
    OP: ClassVar[str] = "register_bidder"
    paddle: str = arg("paddle")
    channel: str = arg(choices=("floor", "phone", "online", "absentee"), optional=True)
    status: str = arg(choices=("pending", "approved"), optional=True)  # pending | approved
    credit_limit: int | None = arg("amount")
    legal_person: bool = arg(optional=True, help="a company: its beneficial owner is checked")

    @classmethod
    def parse(cls, cmd: JSON) -> RegisterBidder:
        paddle = _paddle(cmd.get("paddle"))
        channel = _text(cmd, "channel", "floor", 16)
        if channel not in CHANNELS:
            raise CommandError(f"channel must be one of {', '.join(CHANNELS)}")
        status = _text(cmd, "status", "pending", 16)
        if status not in ("pending", "approved"):
            raise CommandError("a new bidder is pending or approved")
        limit = _opt_amount(cmd, "credit_limit")
        return cls(paddle, channel, status, limit, _bool(cmd, "legal_person"))


@command(DESK_OPS, ("bidder_approved",), "Approve", "Approve a bidder to bid", states=SETUP)
@dataclass(frozen=True, slots=True)
class ApproveBidder:
    OP: ClassVar[str] = "approve_bidder"
    paddle: str = arg("paddle")

    @classmethod
    def parse(cls, cmd: JSON) -> ApproveBidder:
        return cls(_paddle(cmd.get("paddle")))


@command(DESK_OPS, ("bidder_rejected",), "Reject", "Refuse a bidder's registration", states=SETUP)
@dataclass(frozen=True, slots=True)
class RejectBidder:
    OP: ClassVar[str] = "reject_bidder"
    paddle: str = arg("paddle")
    reason: str = arg(optional=True)

    @classmethod
    def parse(cls, cmd: JSON) -> RejectBidder:
        paddle = _paddle(cmd.get("paddle"))
        return cls(paddle, _text(cmd, "reason", "", 500))


@command(
    DESK_OPS,
    ("credit_limit_set",),
    "Set limit",
    "Set or clear a bidder's credit limit",
    states=SETUP,
)
@dataclass(frozen=True, slots=True)
class SetCreditLimit:
    OP: ClassVar[str] = "set_credit_limit"
    paddle: str = arg("paddle")
    credit_limit: int | None = arg("amount")  # None: no limit

    @classmethod
    def parse(cls, cmd: JSON) -> SetCreditLimit:
        paddle = _paddle(cmd.get("paddle"))
        return cls(paddle, _opt_amount(cmd, "credit_limit"))


@command(
    DESK_OPS | BIDDER,  # a bidder: for their own paddle only
    ("absentee_registered",),
    "Commission bid",
    "Enter a commission (absentee) bid before the lot opens",
    states=SETUP,
)
@dataclass(frozen=True, slots=True)
class AbsenteeBid:
    OP: ClassVar[str] = "absentee_bid"
    lot: str = _lot_arg()
    paddle: str = arg("paddle")
    max: int = arg("amount")

    @classmethod
    def parse(cls, cmd: JSON) -> AbsenteeBid:
        lot = _lot(cmd)
        paddle = _paddle(cmd.get("paddle"))
        return cls(lot, paddle, _amount(cmd, "max"))


@command(
    DESK_OPS | BIDDER,  # a bidder: for their own paddle only
    ("absentee_cancelled",),
    "Cancel commission",
    "Cancel a commission bid before the lot opens",
    states=SETUP,
)
@dataclass(frozen=True, slots=True)
class CancelAbsentee:
    OP: ClassVar[str] = "cancel_absentee"
    lot: str = _lot_arg()
    paddle: str = arg("paddle")

    @classmethod
    def parse(cls, cmd: JSON) -> CancelAbsentee:
        lot = _lot(cmd)
        return cls(lot, _paddle(cmd.get("paddle")))


# -- running a lot


@command(LIVE_OPS, ("lot_opened", "bid_accepted"), "Open lot", "Put a waiting lot on the block")
@dataclass(frozen=True, slots=True)
class OpenLot:
    OP: ClassVar[str] = "open_lot"
    lot: str = _lot_arg()

    @classmethod
    def parse(cls, cmd: JSON) -> OpenLot:
        return cls(_lot(cmd))


@command(FLOOR_OPS, _FLOOR_BIDS, "Floor bid", "A room (or phone) bid at the ask, or at `amount`")
@dataclass(frozen=True, slots=True)
class FloorBid:
    OP: ClassVar[str] = "floor_bid"
    lot: str = _lot_arg()
    amount: int | None = arg("amount")  # None: at the ask
    paddle: str | None = arg("paddle")
    # floor | phone | absentee (a commission bid executed by hand); None: from the paddle's
    # registration (phone for a phone bidder, else floor)
    channel: str | None = arg(choices=("floor", "phone", "absentee"))
    seen_seq: int | None = arg(help=_SEEN)
    key: str | None = arg(help=_KEY)

    @classmethod
    def parse(cls, cmd: JSON) -> FloorBid:
        channel = _opt_text(cmd, "channel", 16)
        if channel is not None and channel not in ("floor", "phone", "absentee"):
            raise CommandError("a floor bid's channel is floor, phone or absentee")
        paddle = _opt_paddle(cmd)
        amount = _opt_amount(cmd, "amount")
        return cls(
            lot=_lot(cmd),
            amount=amount,
            paddle=paddle,
            channel=channel,
            seen_seq=_opt_int(cmd, "seen_seq"),
            key=_opt_text(cmd, "key", 128),
        )


@command(LIVE_OPS, _HOUSE_BIDS, "House bid", "A bid on the vendor's behalf, only below the reserve")
@dataclass(frozen=True, slots=True)
class HouseBid:
    OP: ClassVar[str] = "house_bid"
    lot: str = _lot_arg()
    amount: int | None = arg("amount")
    seen_seq: int | None = arg(help=_SEEN)
    key: str | None = arg(help=_KEY)

    @classmethod
    def parse(cls, cmd: JSON) -> HouseBid:
        amount = _opt_amount(cmd, "amount")
        return cls(_lot(cmd), amount, _opt_int(cmd, "seen_seq"), _opt_text(cmd, "key", 128))


@command(LIVE_OPS, ("fair_warning",), "Fair warning", "Fair warning: last chance")
@dataclass(frozen=True, slots=True)
class FairWarning:
    OP: ClassVar[str] = "fair_warning"
    lot: str = _lot_arg()

    @classmethod
    def parse(cls, cmd: JSON) -> FairWarning:
        return cls(_lot(cmd))


@command(LIVE_OPS, _CLOSE, "Hammer", "Knock down: sold to the high bid (or passed)")
@dataclass(frozen=True, slots=True)
class Hammer:
    OP: ClassVar[str] = "hammer"
    lot: str = _lot_arg()
    source: str = arg(optional=True)  # button, gavel, pedal…
    device_at: int | float | None = arg()  # the device's own clock, journaled as sent

    @classmethod
    def parse(cls, cmd: JSON) -> Hammer:
        lot = _lot(cmd)
        source = _text(cmd, "source", "button", 32)
        device_at = cmd.get("device_at")
        if device_at is not None and (
            isinstance(device_at, bool)
            or not isinstance(device_at, int | float)
            or not -1e12 <= device_at <= 1e12  # also refuses NaN and infinities
        ):
            raise CommandError("'device_at' must be a finite number of seconds")
        return cls(lot, source, device_at)


@command(LIVE_OPS, ("lot_passed", "online_bid_rejected"), "Pass", "Pass the lot (unsold)")
@dataclass(frozen=True, slots=True)
class Pass:
    OP: ClassVar[str] = "pass"
    lot: str = _lot_arg()
    source: str = arg(optional=True)

    @classmethod
    def parse(cls, cmd: JSON) -> Pass:
        lot = _lot(cmd)
        return cls(lot, _text(cmd, "source", "button", 32))


@command(FLOOR_OPS, ("bid_retracted",), "Retract", "Retract the last bid")
@dataclass(frozen=True, slots=True)
class Retract:
    OP: ClassVar[str] = "retract"
    lot: str = _lot_arg()
    reason: str = arg()

    @classmethod
    def parse(cls, cmd: JSON) -> Retract:
        lot = _lot(cmd)
        reason = _text(cmd, "reason", limit=500)
        if not reason.strip():
            raise CommandError("a retraction needs a reason")
        return cls(lot, reason)


@command(FLOOR_OPS, ("bid_reinstated",), "Reinstate", "Reinstate the bid before a retraction")
@dataclass(frozen=True, slots=True)
class Reinstate:
    OP: ClassVar[str] = "reinstate"
    lot: str = _lot_arg()
    reason: str = arg()

    @classmethod
    def parse(cls, cmd: JSON) -> Reinstate:
        lot = _lot(cmd)
        return cls(lot, _text(cmd, "reason", limit=500))


@command(
    LIVE_OPS,
    ("lot_reopened", "bid_accepted", "bid_refused"),
    "Reopen",
    "Reopen a closed lot (for a late bid, or an error)",
)
@dataclass(frozen=True, slots=True)
class Reopen:
    OP: ClassVar[str] = "reopen"
    lot: str = _lot_arg()
    reason: str = arg()
    late: str | None = arg()  # the late bid to take, if any

    @classmethod
    def parse(cls, cmd: JSON) -> Reopen:
        lot = _lot(cmd)
        reason = _text(cmd, "reason", limit=500)
        if not reason.strip():
            raise CommandError("reopening needs a reason")
        return cls(lot, reason, _opt_text(cmd, "late", 64))


@command(
    LIVE_OPS, ("late_bid_dismissed",), "Leave sold", "Dismiss the late bids: the hammer stands"
)
@dataclass(frozen=True, slots=True)
class LeaveSold:
    OP: ClassVar[str] = "leave_sold"
    lot: str = _lot_arg()
    late: str | None = arg()  # None: every late bid on the lot

    @classmethod
    def parse(cls, cmd: JSON) -> LeaveSold:
        lot = _lot(cmd)
        return cls(lot, _opt_text(cmd, "late", 64))


@command(
    LIVE_OPS,
    ("lot_withdrawn", "online_bid_rejected"),
    "Withdraw",
    "Withdraw a lot from the sale",
    states=SETUP,
)
@dataclass(frozen=True, slots=True)
class Withdraw:
    OP: ClassVar[str] = "withdraw"
    lot: str = _lot_arg()
    reason: str = arg(optional=True)

    @classmethod
    def parse(cls, cmd: JSON) -> Withdraw:
        lot = _lot(cmd)
        return cls(lot, _text(cmd, "reason", "", 500))


@command(LIVE_OPS, ("ask_set",), "Set ask", "Set the asking price", states=SETUP)
@dataclass(frozen=True, slots=True)
class SetAsk:
    OP: ClassVar[str] = "set_ask"
    lot: str = _lot_arg()
    amount: int = arg("amount")

    @classmethod
    def parse(cls, cmd: JSON) -> SetAsk:
        lot = _lot(cmd)
        return cls(lot, _amount(cmd, "amount"))


@command(
    LIVE_OPS,
    ("increment_set",),
    "Increment",
    "Halve, double, reset or set the increment",
    states=SETUP,
)
@dataclass(frozen=True, slots=True)
class SetIncrement:
    OP: ClassVar[str] = "set_increment"
    lot: str = _lot_arg()
    mode: str = arg(choices=("half", "double", "reset", "amount"), optional=True)
    amount: int | None = arg("amount")  # the new increment when mode is amount (above zero)

    @classmethod
    def parse(cls, cmd: JSON) -> SetIncrement:
        lot = _lot(cmd)
        mode = _text(cmd, "mode", "amount", 16)
        amount = None
        if mode == "amount":  # any other mode ignores `amount`
            amount = _amount(cmd, "amount")
            if not amount:
                raise CommandError("an increment must be above zero")
        elif mode not in ("half", "double", "reset"):
            raise CommandError("mode is one of half, double, reset, amount")
        return cls(lot, mode, amount)


@command(LIVE_OPS, ("sale_paused",), "Pause", "Pause the sale with a message to everyone")
@dataclass(frozen=True, slots=True)
class Pause:
    OP: ClassVar[str] = "pause"
    message: str = arg(optional=True)

    @classmethod
    def parse(cls, cmd: JSON) -> Pause:
        return cls(_text(cmd, "message", "", 500))


@command(LIVE_OPS, ("sale_resumed",), "Resume", "Resume the sale")
@dataclass(frozen=True, slots=True)
class Resume:
    OP: ClassVar[str] = "resume"

    @classmethod
    def parse(cls, cmd: JSON) -> Resume:
        return cls()


@command(
    FLOOR_OPS,
    ("bid_accepted", "bid_refused", "online_bid_rejected"),
    "Accept online",
    "Accept a waiting online bid (clerk-confirms sales)",
)
@dataclass(frozen=True, slots=True)
class AcceptOnline:
    OP: ClassVar[str] = "accept_online"
    lot: str = _lot_arg()
    pending: str = arg()

    @classmethod
    def parse(cls, cmd: JSON) -> AcceptOnline:
        lot = _lot(cmd)
        return cls(lot, _text(cmd, "pending", limit=64))


@command(FLOOR_OPS, ("online_bid_rejected",), "Reject online", "Reject a waiting online bid")
@dataclass(frozen=True, slots=True)
class RejectOnline:
    OP: ClassVar[str] = "reject_online"
    lot: str = _lot_arg()
    pending: str = arg()
    reason: str = arg(optional=True)

    @classmethod
    def parse(cls, cmd: JSON) -> RejectOnline:
        lot = _lot(cmd)
        pending = _text(cmd, "pending", limit=64)
        return cls(lot, pending, _text(cmd, "reason", "rejected", 500))


@command(
    FLOOR_OPS,
    ("set_to_floor",),
    "Set to floor",
    "Give an equal online bid to the room (floor priority sales)",
)
@dataclass(frozen=True, slots=True)
class SetToFloor:
    OP: ClassVar[str] = "set_to_floor"
    lot: str = _lot_arg()
    paddle: str | None = arg("paddle")  # the room bidder who takes the bid; None: anonymous

    @classmethod
    def parse(cls, cmd: JSON) -> SetToFloor:
        lot = _lot(cmd)
        return cls(lot, _opt_paddle(cmd))


# -- the sale's life: going live, sessions, closing


@command(
    LIVE_OPS,
    ("sale_live",),
    "Go live",
    "Open the sale: the catalogue is frozen, lots may be offered",
    states=frozenset({DRAFT}),
)
@dataclass(frozen=True, slots=True)
class GoLive:
    OP: ClassVar[str] = "go_live"

    @classmethod
    def parse(cls, cmd: JSON) -> GoLive:
        return cls()


@command(LIVE_OPS, ("sale_closed",), "Close sale", "Close the sale: the results are final")
@dataclass(frozen=True, slots=True)
class CloseSale:
    OP: ClassVar[str] = "close_sale"

    @classmethod
    def parse(cls, cmd: JSON) -> CloseSale:
        return cls()


@command(
    LIVE_OPS,
    ("session_ended",),
    "End session",
    "End this session: a break with a message and the next session's start",
)
@dataclass(frozen=True, slots=True)
class EndSession:
    OP: ClassVar[str] = "end_session"
    message: str = arg(optional=True)
    next_start: str = arg(optional=True, help="the next session's start, e.g. 2026-12-06T10:00")

    @classmethod
    def parse(cls, cmd: JSON) -> EndSession:
        return cls(_text(cmd, "message", "", 500), _start(cmd, "next_start"))


@command(LIVE_OPS, ("session_started",), "Start session", "Start the next session after a break")
@dataclass(frozen=True, slots=True)
class StartSession:
    OP: ClassVar[str] = "start_session"

    @classmethod
    def parse(cls, cmd: JSON) -> StartSession:
        return cls()


# -- the catalogue once live: amendments and re-offers


@command(
    ADMIN_OPS,
    ("lot_edited", "lot_amended"),
    "Edit lot",
    "Change a lot's catalogue fields (once live: an amendment with a reason and a notice)",
    states=SETUP,
)
@dataclass(frozen=True, slots=True)
class EditLot:
    OP: ClassVar[str] = "edit_lot"
    lot: str = _lot_arg()
    changes: Mapping[str, Any] = arg(help="{field: new value}: any catalogue field but the number")
    reason: str | None = arg(help=_REASON)
    notice: str | None = arg(help="the saleroom notice everyone sees (default: the reason)")

    @classmethod
    def parse(cls, cmd: JSON) -> EditLot:
        lot = _lot(cmd)
        raw = _object(cmd, "changes")
        changes: JSON = {}
        for key in raw:
            if key == "id":
                raise CommandError("a lot's number cannot change")
            if key not in _LOT_FIELDS:
                raise CommandError(f"unknown lot field {str(key)[:40]!r}")
            changes[key] = _LOT_FIELDS[key](raw)
        low, high = changes.get("low"), changes.get("high")
        if low is not None and high is not None and low > high:
            raise CommandError("the low estimate is above the high estimate")
        reason = _opt_text(cmd, "reason", 500)
        notice = _opt_text(cmd, "notice", 1_000)
        return cls(lot, MappingProxyType(changes), reason, notice)


@command(
    LIVE_OPS,
    ("lot_reoffered",),
    "Re-offer",
    "Offer a passed lot again, after the last lot",
)
@dataclass(frozen=True, slots=True)
class Reoffer:
    OP: ClassVar[str] = "reoffer"
    lot: str = _lot_arg()
    reason: str = arg(optional=True)

    @classmethod
    def parse(cls, cmd: JSON) -> Reoffer:
        lot = _lot(cmd)
        return cls(lot, _text(cmd, "reason", "", 500))


# -- the live sale: messages, subject-to answers, phone bookings


@command(
    FLOOR_OPS,
    ("message_sent",),
    "Message",
    "A message to every bidder, or to one paddle",
    states=SETUP,
)
@dataclass(frozen=True, slots=True)
class Message:
    OP: ClassVar[str] = "message"
    text: str = arg()
    paddle: str | None = arg("paddle", help="one bidder; none: everyone")

    @classmethod
    def parse(cls, cmd: JSON) -> Message:
        text = _text(cmd, "text", limit=500).strip()
        if not text:
            raise CommandError("a message needs a text")
        return cls(text, _opt_paddle(cmd))


@command(
    LIVE_OPS,
    ("subject_to_resolved",),
    "Subject to",
    "The vendor's answer on a lot sold subject to: accept (sold) or decline (passed)",
    states=frozenset({SALE_LIVE, SALE_CLOSED}),
)
@dataclass(frozen=True, slots=True)
class ResolveSubjectTo:
    OP: ClassVar[str] = "resolve_subject_to"
    lot: str = _lot_arg()
    accept: bool = arg()
    reason: str = arg(optional=True)

    @classmethod
    def parse(cls, cmd: JSON) -> ResolveSubjectTo:
        lot = _lot(cmd)
        accept = cmd.get("accept")
        if not isinstance(accept, bool):
            raise CommandError("'accept' must be true or false")
        return cls(lot, accept, _text(cmd, "reason", "", 500))


@command(
    DESK_OPS,
    ("phone_booked",),
    "Book phone",
    "Book a phone line for a bidder over a range of lots, with its operator",
    states=SETUP,
)
@dataclass(frozen=True, slots=True)
class BookPhone:
    OP: ClassVar[str] = "book_phone"
    paddle: str = arg("paddle")
    from_lot: str = arg("lot")
    to_lot: str = arg("lot")
    operator: str = arg()

    @classmethod
    def parse(cls, cmd: JSON) -> BookPhone:
        paddle = _paddle(cmd.get("paddle"))
        from_lot = _text(cmd, "from_lot", limit=32)
        to_lot = _text(cmd, "to_lot", limit=32)
        operator = _text(cmd, "operator", limit=64).strip()
        if not operator:
            raise CommandError("a phone booking names its operator")
        return cls(paddle, from_lot, to_lot, operator)


@command(DESK_OPS, ("phone_cancelled",), "Cancel phone", "Cancel a phone booking", states=SETUP)
@dataclass(frozen=True, slots=True)
class CancelPhone:
    OP: ClassVar[str] = "cancel_phone"
    id: str = arg(help="the booking's id")

    @classmethod
    def parse(cls, cmd: JSON) -> CancelPhone:
        return cls(_text(cmd, "id", limit=32))


# -- money after the hammer (issue 12; docs/MONEY.md)
# Invoice and credit-note numbers are allocated by the backend (house-wide, gap-free) and
# passed in, like the time: the core checks their form and order, never invents them.

MONEY_STATES = frozenset({SALE_LIVE, SALE_CLOSED})
PAYMENT_METHODS = ("cash", "card", "transfer", "cheque", "other")
INVOICE_NUMBER = re.compile(r"INV-([0-9]{4})-([0-9]{5})")  # ASCII digits only
CREDIT_NOTE_NUMBER = re.compile(r"CN-([0-9]{4})-([0-9]{5})")
MAX_LOTS_LISTED = 10_000
MAX_CHARGES = 50
MAX_PAYOUT_DAYS = 366


def _number(cmd: JSON, key: str, pattern: re.Pattern[str], example: str) -> str:
    value = _text(cmd, key, limit=32)
    if not pattern.fullmatch(value):
        raise CommandError(f"'{key}' is a number such as {example}")
    return value


def _by(cmd: JSON) -> str:
    return _text(cmd, "by", "", 100).strip()


def _positive(cmd: JSON, key: str) -> int:
    value = _amount(cmd, key)
    if value == 0:
        raise CommandError(f"'{key}' must be above zero")
    return value


def _method(cmd: JSON) -> str:
    value = cmd.get("method")
    if value not in PAYMENT_METHODS:
        raise CommandError(f"'method' is one of {', '.join(PAYMENT_METHODS)}")
    return str(value)


def _lot_list(cmd: JSON, key: str = "lots") -> tuple[str, ...]:
    value = cmd.get(key, [])
    if not isinstance(value, list) or len(value) > MAX_LOTS_LISTED:
        raise CommandError(f"'{key}' is a list of at most {MAX_LOTS_LISTED} lot numbers")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item or len(item) > 32:
            raise CommandError(f"'{key}' holds lot numbers (short strings)")
        _check_chars(item, key)
        if item in out:
            raise CommandError(f"'{key}' names lot {item} twice")
        out.append(item)
    return tuple(out)


def _reason_text(cmd: JSON, key: str = "reason") -> str:
    reason = _text(cmd, key, limit=500).strip()
    if not reason:
        raise CommandError(f"'{key}' must say why")
    return reason


def _consignor(cmd: JSON) -> str:
    value = _text(cmd, "consignor", limit=64).strip()
    if not value:
        raise CommandError("'consignor' is the consignor's reference")
    return value


@command(
    SYSTEM,
    ("invoice_issued",),
    "Issue invoice",
    "Invoice a buyer's sold lots not invoiced yet (the number comes from the house's series)",
    states=MONEY_STATES,
)
@dataclass(frozen=True, slots=True)
class IssueInvoice:
    OP: ClassVar[str] = "issue_invoice"
    paddle: str = arg("paddle")
    number: str = arg(help="INV-YYYY-NNNNN, allocated by the backend")
    by: str = arg(optional=True, help="who issued it")
    session: int | None = arg(help="only this session's lots (0-based); none: every lot")

    @classmethod
    def parse(cls, cmd: JSON) -> IssueInvoice:
        paddle = _paddle(cmd.get("paddle"))
        number = _number(cmd, "number", INVOICE_NUMBER, "INV-2026-00001")
        session = _opt_int(cmd, "session")
        if session is not None and session >= MAX_SESSIONS:
            raise CommandError("'session' is out of range")
        return cls(paddle, number, _by(cmd), session)


@command(
    SYSTEM,
    ("credit_note_issued",),
    "Credit note",
    "Credit lots of an invoice (a correction after the sale): they may be invoiced again",
    states=MONEY_STATES,
)
@dataclass(frozen=True, slots=True)
class IssueCreditNote:
    OP: ClassVar[str] = "issue_credit_note"
    invoice: str = arg(help="the invoice's number")
    lots: tuple[str, ...] = arg(optional=True, help="the lots to credit; none: all still live")
    number: str = arg(help="CN-YYYY-NNNNN, allocated by the backend")
    reason: str = arg()
    by: str = arg(optional=True, help="who issued it")

    @classmethod
    def parse(cls, cmd: JSON) -> IssueCreditNote:
        invoice = _number(cmd, "invoice", INVOICE_NUMBER, "INV-2026-00001")
        lots = _lot_list(cmd)
        number = _number(cmd, "number", CREDIT_NOTE_NUMBER, "CN-2026-00001")
        return cls(invoice, lots, number, _reason_text(cmd), _by(cmd))


@command(
    ADMIN_OPS,
    ("lot_sale_cancelled",),
    "Cancel sale of lot",
    "Undo a lot's sale after the hammer (it becomes passed); credit its invoice first",
    states=MONEY_STATES,
)
@dataclass(frozen=True, slots=True)
class CancelLotSale:
    OP: ClassVar[str] = "cancel_lot_sale"
    lot: str = _lot_arg()
    reason: str = arg()

    @classmethod
    def parse(cls, cmd: JSON) -> CancelLotSale:
        lot = _lot(cmd)
        return cls(lot, _reason_text(cmd))


@command(
    ADMIN_OPS,
    ("lot_reknocked",),
    "Reknock",
    "Correct a sold lot's buyer or price after the hammer; credit its invoice first",
    states=MONEY_STATES,
)
@dataclass(frozen=True, slots=True)
class Reknock:
    OP: ClassVar[str] = "reknock"
    lot: str = _lot_arg()
    paddle: str = arg("paddle")
    amount: int = arg("amount")
    reason: str = arg()

    @classmethod
    def parse(cls, cmd: JSON) -> Reknock:
        lot = _lot(cmd)
        paddle = _paddle(cmd.get("paddle"))
        amount = _positive(cmd, "amount")
        return cls(lot, paddle, amount, _reason_text(cmd))


@command(
    CASHIER_OPS,
    ("payment_recorded",),
    "Record payment",
    "A buyer's payment (a third party only with a staff override and its reason)",
    states=MONEY_STATES,
)
@dataclass(frozen=True, slots=True)
class RecordPayment:
    OP: ClassVar[str] = "record_payment"
    paddle: str = arg("paddle")
    amount: int = arg("amount")
    method: str = arg(choices=PAYMENT_METHODS)
    reference: str = arg(optional=True, help="the bank or card reference")
    key: str | None = arg(help=_KEY)
    payer: str = arg(optional=True, help="who paid, if not the buyer (deprecated: payer_ref)")
    third_party_reason: str = arg(optional=True, help="why a third party's payment is taken")
    payer_ref: str = arg(
        optional=True, help="a third party paid: the opaque reference of their name (kept outside)"
    )

    @classmethod
    def parse(cls, cmd: JSON) -> RecordPayment:
        paddle = _paddle(cmd.get("paddle"))
        amount = _positive(cmd, "amount")
        method = _method(cmd)
        reference = _text(cmd, "reference", "", 200).strip()
        key = _opt_text(cmd, "key", 128)
        payer = _text(cmd, "payer", "", 200).strip()
        reason = _text(cmd, "third_party_reason", "", 500).strip()
        payer_ref = _reference(cmd, "payer_ref")  # with `payer` too: refused by the handler
        return cls(paddle, amount, method, reference, key, payer, reason, payer_ref)


@command(
    CASHIER_OPS,
    ("refund_recorded",),
    "Record refund",
    "Money paid back to a buyer",
    states=MONEY_STATES,
)
@dataclass(frozen=True, slots=True)
class RecordRefund:
    OP: ClassVar[str] = "record_refund"
    paddle: str = arg("paddle")
    amount: int = arg("amount")
    method: str = arg(choices=PAYMENT_METHODS)
    reference: str = arg(optional=True)
    key: str | None = arg(help=_KEY)
    reason: str = arg()

    @classmethod
    def parse(cls, cmd: JSON) -> RecordRefund:
        paddle = _paddle(cmd.get("paddle"))
        amount = _positive(cmd, "amount")
        method = _method(cmd)
        reference = _text(cmd, "reference", "", 200).strip()
        key = _opt_text(cmd, "key", 128)
        return cls(paddle, amount, method, reference, key, _reason_text(cmd))


@command(
    CASHIER_OPS,
    ("lots_released",),
    "Release lots",
    "Release invoiced lots for collection (a buyer who owes needs an override reason)",
    states=MONEY_STATES,
)
@dataclass(frozen=True, slots=True)
class ReleaseLots:
    OP: ClassVar[str] = "release_lots"
    paddle: str = arg("paddle")
    lots: tuple[str, ...] = arg(optional=True, help="none: every lot that may be released")
    override_reason: str = arg(optional=True, help="why lots go out before full payment")

    @classmethod
    def parse(cls, cmd: JSON) -> ReleaseLots:
        paddle = _paddle(cmd.get("paddle"))
        lots = _lot_list(cmd)
        return cls(paddle, lots, _text(cmd, "override_reason", "", 500).strip())


def _terms_commission(cmd: JSON) -> tuple[tuple[int, int], ...]:
    rows = _premium_rows(cmd.get("commission", []), "commission")
    return tuple((a, b) for a, b in rows)


def _terms_charges(cmd: JSON) -> tuple[tuple[str, int], ...]:
    value = cmd.get("charges", [])
    if not isinstance(value, list) or len(value) > MAX_CHARGES:
        raise CommandError(f"'charges' is a list of at most {MAX_CHARGES} [label, amount]")
    out = []
    for row in value:
        if not isinstance(row, list) or len(row) != 2:
            raise CommandError("'charges': each is [label, amount]")
        holder = {"label": row[0], "amount": row[1]}
        label = _text(holder, "label", limit=100).strip()
        if not label:
            raise CommandError("'charges': each charge has a label")
        out.append((label, _amount(holder, "amount")))
    return tuple(out)


def _bool(cmd: JSON, key: str) -> bool:
    value = cmd.get(key, False)
    if not isinstance(value, bool):
        raise CommandError(f"'{key}' must be true or false")
    return value


@command(
    ADMIN_OPS,
    ("consignor_terms_set",),
    "Consignor terms",
    "A consignor's contract: commission, VAT on it, charges, fees, payout days",
    states=ANY,
)
@dataclass(frozen=True, slots=True)
class SetConsignorTerms:
    OP: ClassVar[str] = "set_consignor_terms"
    consignor: str = arg(help="the consignor's reference (as on the lots)")
    commission: tuple[tuple[int, int], ...] = arg(optional=True, help="[[from, bp], ...]")
    vat_on_commission: bool = arg(optional=True)
    charges: tuple[tuple[str, int], ...] = arg(optional=True, help="[[label, amount], ...]")
    lot_fee: int = arg("amount", optional=True)
    unsold_fee: int = arg("amount", optional=True)
    payout_days: int = arg(optional=True)
    absolute: bool = arg(optional=True, help="sold without reserve")

    @classmethod
    def parse(cls, cmd: JSON) -> SetConsignorTerms:
        consignor = _consignor(cmd)
        commission = _terms_commission(cmd)
        vat = _bool(cmd, "vat_on_commission")
        charges = _terms_charges(cmd)
        lot_fee = _opt_amount(cmd, "lot_fee") or 0
        unsold_fee = _opt_amount(cmd, "unsold_fee") or 0
        days = _opt_int(cmd, "payout_days") or 0
        if days > MAX_PAYOUT_DAYS:
            raise CommandError(f"'payout_days' is at most {MAX_PAYOUT_DAYS}")
        absolute = _bool(cmd, "absolute")
        return cls(consignor, commission, vat, charges, lot_fee, unsold_fee, days, absolute)


@command(
    CASHIER_OPS,
    ("payout_recorded",),
    "Record payout",
    "Money paid out to a consignor",
    states=MONEY_STATES,
)
@dataclass(frozen=True, slots=True)
class RecordPayout:
    OP: ClassVar[str] = "record_payout"
    consignor: str = arg()
    amount: int = arg("amount")
    method: str = arg(choices=PAYMENT_METHODS)
    reference: str = arg(optional=True)
    key: str | None = arg(help=_KEY)

    @classmethod
    def parse(cls, cmd: JSON) -> RecordPayout:
        consignor = _consignor(cmd)
        amount = _positive(cmd, "amount")
        method = _method(cmd)
        reference = _text(cmd, "reference", "", 200).strip()
        return cls(consignor, amount, method, reference, _opt_text(cmd, "key", 128))


# -- due diligence, holds, linked purchases, erasure, suspicion (issue 13). No personal data:
# references are opaque identifiers (hub/auction/text.py's rule), reasons are one line.

CDD_STEPS = (
    "id_seen",
    "address_verified",
    "screened",
    "risk_rated",
    "beneficial_owner",
    "source_of_funds",
)
CDD_OUTCOMES = ("ok", "failed", "clear", "hold", "low", "medium", "high")
# Which outcomes each step may have.
CDD_STEP_OUTCOMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "id_seen": ("ok", "failed"),
        "address_verified": ("ok", "failed"),
        "screened": ("clear", "hold"),
        "risk_rated": ("low", "medium", "high"),
        "beneficial_owner": ("ok", "failed"),
        "source_of_funds": ("ok", "failed"),
    }
)
HOLD_DECISIONS = ("clear", "confirm")
MAX_LINKED_SALES = 100
COMPLIANCE_STATES = ANY  # due diligence goes on before, during and after the sale


def _reference(cmd: JSON, key: str = "reference", required: bool = False) -> str:
    """An opaque reference (a document hash, a screening record, a note id): an identifier."""
    value = cmd.get(key)
    if value is None or value == "":
        if required:
            raise CommandError(f"'{key}' is required")
        return ""
    if not isinstance(value, str):
        raise CommandError(f"'{key}' must be a string")
    problem = identifier_problem(value, limit=128)
    if problem is not None or any(c.isspace() for c in value):
        raise CommandError(
            f"'{key}' is a reference: 1 to 128 letters, digits or signs, no spaces"
            + (f" ({problem})" if problem else "")
        )
    return value


def _one_line_reason(cmd: JSON, key: str = "reason") -> str:
    reason = _reason_text(cmd, key)
    problem = text_problem(reason, limit=500)
    if problem is not None:
        raise CommandError(f"'{key}' {problem}")
    return reason


def _choice(cmd: JSON, key: str, choices: tuple[str, ...]) -> str:
    value = cmd.get(key)
    if not isinstance(value, str) or value not in choices:
        raise CommandError(f"'{key}' is one of {', '.join(choices)}")
    return value


@command(
    CDD_OPS,
    ("cdd_recorded",),
    "Record CDD step",
    "A due-diligence step for a paddle (the personal data stays in the identities store)",
    states=COMPLIANCE_STATES,
)
@dataclass(frozen=True, slots=True)
class RecordCdd:
    OP: ClassVar[str] = "record_cdd"
    paddle: str = arg("paddle")
    step: str = arg(choices=CDD_STEPS)
    outcome: str = arg(choices=CDD_OUTCOMES)
    reference: str = arg(optional=True, help="an opaque reference: document hash, record id")

    @classmethod
    def parse(cls, cmd: JSON) -> RecordCdd:
        paddle = _paddle(cmd.get("paddle"))
        step = _choice(cmd, "step", CDD_STEPS)
        outcome = _choice(cmd, "outcome", CDD_OUTCOMES)
        return cls(paddle, step, outcome, _reference(cmd))  # the pair is checked by the handler


@command(
    CDD_OPS,
    ("bidder_held",),
    "Hold bidder",
    "Put a paddle on hold for the reporting officer (a screening match): its bids are refused",
    states=COMPLIANCE_STATES,
)
@dataclass(frozen=True, slots=True)
class HoldBidder:
    OP: ClassVar[str] = "hold_bidder"
    paddle: str = arg("paddle")
    reason: str = arg()
    reference: str = arg(optional=True, help="the screening record's reference")

    @classmethod
    def parse(cls, cmd: JSON) -> HoldBidder:
        paddle = _paddle(cmd.get("paddle"))
        return cls(paddle, _one_line_reason(cmd), _reference(cmd))


@command(
    OFFICER_OPS,
    ("hold_cleared", "hold_confirmed"),
    "Review hold",
    "Clear a hold (a false match) or confirm it (the bidder is rejected), with the reason",
    states=COMPLIANCE_STATES,
)
@dataclass(frozen=True, slots=True)
class ReviewHold:
    OP: ClassVar[str] = "review_hold"
    paddle: str = arg("paddle")
    decision: str = arg(choices=HOLD_DECISIONS)
    reason: str = arg()

    @classmethod
    def parse(cls, cmd: JSON) -> ReviewHold:
        paddle = _paddle(cmd.get("paddle"))
        decision = _choice(cmd, "decision", HOLD_DECISIONS)
        return cls(paddle, decision, _one_line_reason(cmd))


@command(
    LINK_OPS,
    ("linked_purchases_set",),
    "Linked purchases",
    "The buyer's linked purchases in other sales (in this sale's minor units), for the AML rule",
    states=COMPLIANCE_STATES,
)
@dataclass(frozen=True, slots=True)
class SetLinkedPurchases:
    OP: ClassVar[str] = "set_linked_purchases"
    paddle: str = arg("paddle")
    amount: int = arg("amount")
    sales: tuple[str, ...] = arg(optional=True, help="the other sales' ids")

    @classmethod
    def parse(cls, cmd: JSON) -> SetLinkedPurchases:
        paddle = _paddle(cmd.get("paddle"))
        amount = _amount(cmd, "amount")
        value = cmd.get("sales", [])
        if not isinstance(value, list) or len(value) > MAX_LINKED_SALES:
            raise CommandError(f"'sales' is a list of at most {MAX_LINKED_SALES} sale ids")
        sales: list[str] = []
        for item in value:
            if not isinstance(item, str) or not SALE_ID.fullmatch(item):
                raise CommandError(f"'sales': {SALE_ID_RULE}")
            if item in sales:
                raise CommandError(f"'sales' names {item} twice")
            sales.append(item)
        return cls(paddle, amount, tuple(sales))


@command(
    ERASE_OPS,
    ("identity_erased",),
    "Identity erased",
    "Record that this paddle's personal data was erased (retention): who, when, why",
    states=COMPLIANCE_STATES,
)
@dataclass(frozen=True, slots=True)
class EraseIdentity:
    OP: ClassVar[str] = "erase_identity"
    paddle: str = arg("paddle")
    reason: str = arg()

    @classmethod
    def parse(cls, cmd: JSON) -> EraseIdentity:
        paddle = _paddle(cmd.get("paddle"))
        return cls(paddle, _one_line_reason(cmd))


@command(
    OFFICER_OPS,
    ("suspicion_noted",),
    "Note suspicion",
    "The officer notes suspicious activity on a paddle (the note is in the officer's store)",
    states=COMPLIANCE_STATES,
)
@dataclass(frozen=True, slots=True)
class NoteSuspicion:
    OP: ClassVar[str] = "note_suspicion"
    paddle: str = arg("paddle")
    reference: str = arg(help="the note's reference in the officer's store")

    @classmethod
    def parse(cls, cmd: JSON) -> NoteSuspicion:
        paddle = _paddle(cmd.get("paddle"))
        return cls(paddle, _reference(cmd, required=True))
