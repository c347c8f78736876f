"""The stage's Mercure feed: what a journal record becomes on the hub, and how to resume it.

One mapping shared by the stage and every relay node, so an update replayed from the journal,
published live, or served by a relay is byte for byte the same, with the same id. Also the
journal-backed history (`SaleHistory`) and the stage hub's authorization (`stage_hub_config`).
Imports records and updates only: a relay node loads this without the sequencer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from hub.auction.events import PUBLIC, STAFF, canonical_json
from hub.gateway.tokens import AUDIENCE, ISSUER
from hub.journal.records import Record, canonical_with
from hub.mercure.config import HubConfig, KeySpec, conformance_config
from hub.mercure.update import Update

JSON = dict[str, Any]
VIEWS = ("p", "s", "c")  # an update's view, in delivery order: public or bidders', staff, consignor

# Browsers wait ~3 s before reconnecting an EventSource unless told otherwise.
RECONNECT_MS = 1000


def event_id(sale: str, epoch: int, seq: int, view: str) -> str:
    """The Mercure id of a record's update: `{sale}:{epoch}:{seq}:{p|s|c}` (public or
    bidders', staff, consignor)."""
    return f"{sale}:{epoch}:{seq}:{view}"


# A number exactly as `event_id` writes it: ASCII digits, no sign, space, underscore or leading
# zero (int() accepts all of those, and other scripts' digits), and short enough to be cheap.
_NUMBER = re.compile(r"0|[1-9][0-9]{0,17}")


def parse_event_id(value: str) -> tuple[str, int, int, str] | None:
    """(sale, epoch, seq, view) of an id `event_id` could have made, else None.

    Strict: only the canonical spelling parses, so a cursor that was never issued (`1_0`,
    ` 7 `, `+7`, `07`, Arabic-Indic digits) is unknown rather than read as a known one.
    """
    parts = value.rsplit(":", 3)
    if len(parts) != 4 or not parts[0] or parts[3] not in VIEWS:
        return None
    sale, epoch, seq, view = parts
    if not (_NUMBER.fullmatch(epoch) and _NUMBER.fullmatch(seq)):
        return None
    return sale, int(epoch), int(seq), view


class _LotJson:
    """The canonical JSON of the last few lot views, found by identity. The sequencer hands
    a run of refusals one shared lot view (`hub.journal.sequencer._Views`), so a hot lot's
    500 events encode that lot once, not twice each. Holding the objects keeps their ids
    from being reused; views are never mutated after they are journaled."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._items: list[tuple[object, str]] = []

    def get(self, view: object) -> str:
        for obj, text in self._items:
            if obj is view:
                return text
        text = canonical_json(view)
        self._items.append((view, text))
        del self._items[: -self.size]
        return text


_LOTS = _LotJson()


def _body(record: Record, audience: str) -> str:
    """canonical_json(record.wire(audience)), the lot's part reused when already encoded."""
    wire = record.wire(audience)
    lot = wire.get("lot")
    if lot is None:
        return canonical_json(wire)
    return canonical_with(wire, "lot", _LOTS.get(lot))


def updates_for(record: Record, sale_iri: str) -> list[Update]:
    """The Mercure updates one journal record becomes, in delivery order (p, s, then c).

    Public events go to the room topic; staff-only events that concern bidders go privately
    to those bidders' topics (with the public view of the lot); every event goes to staff
    with the staff view (reserve, books, identities); an event about a consigned lot goes
    privately to that consignor's topic (`consignor_update`).
    """
    out: list[Update] = []
    sale = record.sale
    retry = RECONNECT_MS
    # Canonical JSON: a replayed update is byte for byte the live one (and the relay's).
    public_body = _body(record, PUBLIC)
    if record.is_public:
        out.append(
            Update(
                (f"{sale_iri}/room",),
                public_body,
                event_id(sale, record.epoch, record.seq, "p"),
                retry=retry,
            )
        )
    elif record.bidders:
        topics = tuple(f"{sale_iri}/bidders/{p}" for p in record.bidders)
        out.append(
            Update(
                topics,
                public_body,
                event_id(sale, record.epoch, record.seq, "p"),
                private=True,
                retry=retry,
            )
        )
    staff_body = _body(record, STAFF)
    out.append(
        Update(
            (f"{sale_iri}/staff",),
            staff_body,
            event_id(sale, record.epoch, record.seq, "s"),
            private=True,
            retry=retry,
        )
    )
    consigned = consignor_update(record)
    if consigned is not None:
        ref, body = consigned
        out.append(
            Update(
                (f"{sale_iri}/consignors/{ref}",),
                canonical_json(body),
                event_id(sale, record.epoch, record.seq, "c"),
                private=True,
                retry=retry,
            )
        )
    return out


def consignor_update(record: Record) -> tuple[str, JSON] | None:
    """(consignor reference, body) for an event about a consigned lot, else None.

    The consignor's own view of their lot: status, estimate, their reserve, the bid and the
    hammer as amounts. Never a bidder (no paddle, channel, books or event data).
    """
    lot = record.staff_view.get("lot")
    if not isinstance(lot, dict) or not lot.get("consignor"):
        return None
    high, hammer = lot.get("high"), lot.get("hammer")
    view: JSON = {
        key: lot.get(key)
        for key in ("id", "order", "title", "status", "estimate", "reserve", "currency")
    }
    view["reserve_met"] = bool(lot.get("reserve_met"))
    view["high"] = {"amount": high.get("amount")} if isinstance(high, dict) else None
    view["hammer"] = (
        {"amount": hammer.get("amount"), "subject_to": bool(hammer.get("subject_to"))}
        if isinstance(hammer, dict)
        else None
    )
    body: JSON = {
        "seq": record.seq,
        "epoch": record.epoch,
        "type": record.type,
        "at": record.at,
        "sale": record.sale,
        "lot": view,
    }
    return str(lot["consignor"]), body


class JournalReader(Protocol):
    """What `SaleHistory` reads (`hub.journal.history.JournalHistory`)."""

    def last_seq(self) -> int: ...

    def get(self, seq: int) -> Record | None: ...

    def after(self, seq: int) -> Iterator[Record]: ...


class SaleHistory:
    """Mercure history for the sale's topics, read from the journal (the legal record).

    Seeks by `seq` (the primary key), so resuming from any point costs O(log n).
    """

    def __init__(
        self, reader: JournalReader, sale: str, sale_iri: str, epoch: Callable[[], int]
    ) -> None:
        self.reader = reader
        self.sale = sale
        self.sale_iri = sale_iri
        self.epoch = epoch  # the sale's current epoch (this stage run's)

    def after(self, last_event_id: str) -> Iterable[Update] | None:
        """What follows a cursor of this sale; None (unknown) for any cursor it never issued.

        A cursor's epoch lies between the epoch that wrote its record (the record's own id)
        and the current one (a snapshot's cursor: `{epoch}:{last seq}:s` after a restart).
        Outside that it was never issued: a negative, older or future epoch, or another journal.
        """
        parsed = parse_event_id(last_event_id)
        if parsed is None or parsed[0] != self.sale:
            return None
        _, epoch, seq, view = parsed
        if seq < 1 or seq > self.reader.last_seq():
            return None
        record = self.reader.get(seq)
        if record is None or not record.epoch <= epoch <= self.epoch():
            return None
        if epoch != record.epoch and view != "s":
            return None  # a later epoch names a record only in a snapshot's cursor (`:s`)
        out: list[Update] = []
        if view != "c":
            # The same record's later updates (p, then s, then c) follow the cursor's one.
            later = VIEWS[VIEWS.index(view) + 1 :]
            out.extend(u for u in updates_for(record, self.sale_iri) if u.id[-1] in later)
        for record in self.reader.after(seq):
            out.extend(updates_for(record, self.sale_iri))
        return out

    def earliest(self) -> Iterable[Update]:
        out: list[Update] = []
        for record in self.reader.after(0):
            out.extend(updates_for(record, self.sale_iri))
        return out

    def last_id(self) -> str | None:
        record = self.reader.get(self.reader.last_seq())
        if record is None:
            return None
        return event_id(self.sale, record.epoch, record.seq, "s")


def stage_hub_config(
    public_pem: bytes,
    *,
    cors_origins: tuple[str, ...] = (),
    test_secret: str | None = None,
    publish_origins: tuple[str, ...] = (),
) -> HubConfig:
    """Who may read the stage's hub: stage-signed subscribers, anonymous for the public room.

    `test_secret` also admits the official Mercure conformance suites, which publish with
    their own HS256 token (iss https://localhost, aud the reference hub's URL): tests only.
    A cookie-authenticated publish is accepted from the stage's own origin and from
    `publish_origins` only (CSRF); the suites publish with a bearer token, so need none.
    """
    keys = [KeySpec(public_pem.decode(), ("EdDSA",), use="subscribe", issuer=ISSUER)]
    audiences, issuers = [AUDIENCE], [ISSUER]
    subscriptions = False
    if test_secret:
        keys.append(KeySpec(test_secret, ("HS256",), issuer="https://localhost"))
        audiences.append(conformance_config().public_url)
        issuers.append("https://localhost")
        subscriptions = True
    return HubConfig(
        keys=tuple(keys),
        audiences=tuple(audiences),
        issuers=tuple(issuers),
        allow_anonymous=True,  # the room display and public pages need no token
        cors_origins=cors_origins,
        history_size=5_000,
        heartbeat=15.0,
        subscriptions=subscriptions,
        publish_origins=publish_origins,
        publish_same_origin=True,
    )
