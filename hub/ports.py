"""The capabilities the front doors (gateway, relay link) need, as small typed interfaces.

The stage builds the real objects and hands each door only what it uses; nothing here knows
the stage, the sequencer or the identities store, so a relay node can load it alone. They
are met structurally by the sequencer's `Answer`, `hub.live.LiveSale` and `SaleResults`,
`hub.backend.registration.Registration` and `hub.links.Links`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hub.auction.events import Actor
from hub.journal.records import Record

JSON = dict[str, Any]


class Verdict(Protocol):
    """The sequencer's answer to one command (`hub.journal.sequencer.Answer`)."""

    @property
    def ok(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def message(self) -> str | None: ...
    @property
    def seq(self) -> int: ...
    @property
    def events(self) -> Sequence[Record]: ...
    @property
    def state(self) -> JSON: ...


class Submit(Protocol):
    """Sequence one command and wait until it is committed or refused."""

    def __call__(
        self, command: JSON, actor: Actor, key: str | None = None
    ) -> Awaitable[Verdict]: ...


class SaleView(Protocol):
    """The running sale as read on the stage loop: ids, snapshots, one bidder's view."""

    @property
    def sale_id(self) -> str: ...
    @property
    def sale_iri(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def epoch(self) -> int: ...

    def snapshot(self, staff: bool = False) -> JSON: ...

    def bidder_view(self, paddle: str) -> JSON | None: ...


class Registrar(Protocol):
    """Sign-ups from the web and the staff list of bidders (with names)."""

    async def register_online_bidder(self, fields: JSON) -> str: ...

    def bidders(self) -> list[JSON]: ...

    def required_fields(self) -> list[str]:
        """The fields the house's KYC policy makes an online sign-up require."""
        ...


class LinkBuilder(Protocol):
    """The links (with a signed token) people open: a bidder's to bid, and the stage's address
    other private links start from (a consignor's)."""

    def bidder_link(self, paddle: str, ttl: float = ...) -> str: ...

    def base_url(self) -> str:
        """The stage's address as people are given it (public URL, else its LAN address)."""
        ...


class Results(Protocol):
    """The sale's results, one row per lot (`hub.backend.results`): staff only."""

    def rows(self) -> Sequence[Mapping[str, Any]]: ...

    def csv(self) -> str: ...


Listener = Callable[[list[Record]], None]
"""Called on the stage loop after each commit, with the committed records; must not block."""


class MoneyRefused(Exception):
    """A money operation or read refused before (or instead of) the sequencer: `reason` is
    machine-readable (`unknown_bidder`, `not_found`, `too_much`, `third_party`, `invalid`, ...)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class Money(Protocol):
    """The cashier's desk as the gateway uses it (`hub.checkout.MoneyDesk` over
    `hub.backend.cashier.Cashier`): documents as JSON, HTML and PDF, and the money commands.

    Reads run on the stage loop (they read the live engine); a PDF is prepared there and
    rendered by the returned job, which blocks: callers run it in a worker thread. Refusals
    raise `MoneyRefused`; a command the core refused comes back as a `Verdict` that is not ok.
    """

    def account(self, paddle: str) -> JSON: ...

    def accounts(self) -> list[JSON]: ...

    def document(self, kind: str, number: str) -> JSON: ...

    def owner(self, kind: str, ref: str) -> str | None: ...

    def html(self, kind: str, ref: str) -> str: ...

    def pdf(self, kind: str, ref: str) -> Callable[[], bytes]: ...

    async def issue_invoice(self, paddle: str, by: str) -> Verdict: ...

    async def issue_all(self, by: str) -> list[str]: ...

    async def credit_note(self, invoice: str, lots: list[str], reason: str, by: str) -> Verdict: ...

    async def record_payment(
        self,
        paddle: str,
        amount: int,
        method: str,
        reference: str,
        key: str | None,
        by: str,
        payer: str = "",
        third_party_reason: str = "",
    ) -> Verdict: ...

    async def record_refund(
        self,
        paddle: str,
        amount: int,
        method: str,
        reference: str,
        key: str | None,
        by: str,
        reason: str = "",
    ) -> Verdict: ...

    async def release(
        self, paddle: str, lots: list[str], by: str, override_reason: str = ""
    ) -> Verdict: ...

    def summary(self) -> JSON: ...

    def prices_realised(self) -> JSON: ...

    def export(self, kind: str, fmt: str) -> str: ...

    def consignors(self) -> list[JSON]: ...

    def settlement(self, consignor: str) -> JSON: ...


class StaffRefused(Exception):
    """A staff sign-in refused: `reason` is `wrong_pin`, `locked` (with `retry_after` seconds),
    `invalid` or `inactive`; `detail` is for people."""

    def __init__(self, reason: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class StaffPass:
    """A named staff member signed in on a device: what their token will carry."""

    staff: str  # the account id, "st-3"
    name: str
    roles: tuple[str, ...]
    sid: str
    device: str  # "terminal:<label>"
    expires: float


class StaffDoor(Protocol):
    """Per-person pairing (`hub.backend.staff.StaffStore` behind an adapter in the stage)."""

    def has_accounts(self) -> bool:
        """Any active staff account: then the stage PIN and tokens without a session stop."""
        ...

    def pair(self, who: object, pin: object, label: object) -> StaffPass:
        """Check a name (or id) and PIN and open a session; raises StaffRefused. Blocking
        (argon2): call it in a worker thread."""
        ...
