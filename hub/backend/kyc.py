"""Know your customer: the house's policy, CDD steps, screening in the flow, linked purchases,
and the CDD file a supervisor asks for.

Who holds what. Personal data (date of birth, ID document, company, beneficial owners) goes
to the identities store (`hub.backend.identities`), outside the hash chain; the journal gets
only the step, its outcome and a reference, through the core's commands (`record_cdd`,
`hold_bidder`, `set_linked_purchases`), each naming the staff member who did it. A screening
result is kept as JSON under `{data_dir}/kyc/` (verdict, lists and their hashes, hits by
entry: no name of the person) and the CDD event cites it by reference.

The policy is `{data_dir}/kyc_policy.json` (defaults below when absent): which fields a
registration needs (all channels, online sign-ups, legal persons), the linking window for
purchases across sales, and whether registration screens at once.

`Kyc` runs on the stage's loop. `registered(paddle)` (the stage calls it for every committed
`bidder_registered`) screens the new bidder and links their purchases elsewhere in the
background; `settled()` waits for that (tests, shutdown).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from hub.auction import reasons as R
from hub.auction.decide.base import Refusal
from hub.auction.events import SYSTEM, Actor
from hub.backend import aml
from hub.backend.identities import (
    CONTACT_FIELDS,
    KYC_FIELDS,
    IdentityError,
    IdentityStore,
    owners_of,
)
from hub.backend.jsonfile import read_json, write_json
from hub.backend.screening import Person, ScreeningError, ScreeningResult, ScreeningRoom
from hub.journal.history import JournalHistory
from hub.journal.sequencer import Answer

log = logging.getLogger("auctionmen.kyc")

JSON = dict[str, Any]
POLICY_FILE = "kyc_policy.json"
POLICY_LIMIT = 64 * 1024
STEPS = (
    "id_seen",
    "address_verified",
    "screened",
    "risk_rated",
    "beneficial_owner",
    "source_of_funds",
)
OUTCOMES = ("ok", "failed", "clear", "hold", "low", "medium", "high")
# Journal events that belong in a buyer's CDD file (P1's names, contract 13).
CDD_EVENTS = (
    "bidder_registered",
    "bidder_approved",
    "bidder_rejected",
    "cdd_recorded",
    "bidder_held",
    "hold_cleared",
    "hold_confirmed",
    "linked_purchases_set",
    "aml_alert",
    "identity_erased",
)
REQUIRABLE = tuple(f for f in CONTACT_FIELDS + KYC_FIELDS if f not in ("id_scan", "customer"))
REFERENCE_LIMIT = 128  # the core's rule for a reference: no spaces, at most this long


class KycError(ValueError):
    """A policy or a step that cannot be used; the message says why."""


# --------------------------------------------------------------------------- the policy


@dataclass(frozen=True, slots=True)
class Policy:
    require: tuple[str, ...] = ("name",)  # every registration
    # What the web sign-up always asked; a house adds address, dob, the ID document, ...
    online_require: tuple[str, ...] = ("name", "email")
    legal_person_require: tuple[str, ...] = ("company", "beneficial_owners")
    linking_window_days: int = 365
    screen_at_registration: bool = True

    def required(self, channel: str, legal_person: bool = False) -> tuple[str, ...]:
        """The fields a registration on `channel` must carry, in form order."""
        wanted = set(self.require)
        if channel == "online":
            wanted |= set(self.online_require)
        if legal_person:
            wanted |= set(self.legal_person_require)
        return tuple(f for f in REQUIRABLE if f in wanted)

    def to_json(self) -> JSON:
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def parse_policy(raw: object) -> Policy:
    """A policy from its JSON form (missing keys take the defaults); KycError if bad."""
    if not isinstance(raw, dict):
        raise KycError("the KYC policy must be a JSON object")
    unknown = set(raw) - set(Policy.__dataclass_fields__)
    if unknown:
        raise KycError(f"unknown KYC policy keys: {', '.join(sorted(map(str, unknown)))[:200]}")
    values: JSON = {}
    for key in ("require", "online_require", "legal_person_require"):
        if key in raw:
            fields = raw[key]
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise KycError(f"'{key}' must be a list of field names")
            bad = [f for f in fields if f not in REQUIRABLE]
            if bad:
                raise KycError(
                    f"'{key}': {bad[0][:40]!r} is not a registration field "
                    f"({', '.join(REQUIRABLE)})"
                )
            values[key] = tuple(dict.fromkeys(fields))
    if "linking_window_days" in raw:
        days = raw["linking_window_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3660:
            raise KycError("'linking_window_days' must be a whole number of days, 0 to 3660")
        values["linking_window_days"] = days
    if "screen_at_registration" in raw:
        if not isinstance(raw["screen_at_registration"], bool):
            raise KycError("'screen_at_registration' must be true or false")
        values["screen_at_registration"] = raw["screen_at_registration"]
    return Policy(**values)


def load_policy(data_dir: Path) -> Policy:
    raw = read_json(Path(data_dir) / POLICY_FILE, POLICY_LIMIT, KycError)
    return Policy() if raw is None else parse_policy(raw)


def save_policy(data_dir: Path, raw: object) -> Policy:
    policy = parse_policy(raw)
    write_json(Path(data_dir) / POLICY_FILE, policy.to_json(), indent=1)
    return policy


def missing_fields(
    policy: Policy, fields: JSON, channel: str, legal_person: bool = False
) -> list[str]:
    """The policy's required fields that `fields` leaves empty."""
    return [
        name
        for name in policy.required(channel, legal_person)
        if fields.get(name) in (None, "", [])
        or (isinstance(fields.get(name), str) and not fields[name].strip())
    ]


def check_registration(
    policy: Policy, fields: JSON, channel: str, legal_person: bool = False
) -> None:
    """IdentityError naming what the policy requires and `fields` lacks."""
    missing = missing_fields(policy, fields, channel, legal_person)
    if missing:
        raise IdentityError(f"the house's policy requires: {', '.join(missing)}")


# --------------------------------------------------------------------------- the web door


class PolicyRegistrar:
    """The gateway's registrar (`hub.ports.Registrar`) with the house's policy in front: an
    online sign-up missing a required field is refused `invalid` before anything is written."""

    def __init__(self, registration: Any, data_dir: Path) -> None:
        self.registration = registration
        self.data_dir = Path(data_dir)

    def required_fields(self) -> list[str]:
        return list(load_policy(self.data_dir).required("online"))

    async def register_online_bidder(self, fields: JSON) -> str:
        missing = missing_fields(load_policy(self.data_dir), fields, "online")
        if missing:
            raise Refusal(R.INVALID, f"the house's policy requires: {', '.join(missing)}")
        paddle: str = await self.registration.register_online_bidder(fields)
        return paddle

    def bidders(self) -> list[JSON]:
        rows: list[JSON] = self.registration.bidders()
        return rows


# --------------------------------------------------------------------------- the service


class Engine(Protocol):
    """What KYC reads of the live sale (the stage's engine; read on the stage loop)."""

    @property
    def sale(self) -> Any: ...

    @property
    def bidders(self) -> dict[str, Any]: ...


Submit = Callable[[JSON, Actor], Awaitable[Answer]]


@dataclass(slots=True)
class Screened:
    """A screening at the desk's request: the result and what the journal said."""

    result: ScreeningResult
    reference: str
    answers: list[Answer] = field(default_factory=list)


class Kyc:
    """KYC for one sale on the stage."""

    def __init__(
        self,
        data_dir: Path,
        journal_path: Path,
        identities: IdentityStore,
        submit: Submit,
        engine: Callable[[], Engine],
        *,
        screening: ScreeningRoom | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.journal_path = Path(journal_path)
        self.identities = identities
        self.submit = submit
        self.engine = engine  # the live engine (sale id, settings, bidders), read on the loop
        self.clock = clock
        self._screening = screening
        self._tasks: set[asyncio.Task[None]] = set()

    # -- plumbing

    @property
    def room(self) -> ScreeningRoom:
        if self._screening is None:
            self._screening = ScreeningRoom(self.data_dir, clock=self.clock)
        return self._screening

    def close(self) -> None:
        if self._screening is not None:
            self._screening.close()
            self._screening = None

    def policy(self) -> Policy:
        return load_policy(self.data_dir)

    @property
    def sale_id(self) -> str:
        return str(self.engine().sale.id)

    def _refused(self, reason: str, message: str) -> Answer:
        return Answer(False, reason, message, 0, (), {})

    # -- CDD steps

    async def record_step(
        self,
        paddle: str,
        step: str,
        outcome: str,
        reference: str = "",
        *,
        actor: Actor = SYSTEM,
        fields: JSON | None = None,
    ) -> Answer:
        """One CDD step done by `actor`: personal data in `fields` to the identities store
        (checked first: a bad value writes nothing), then `record_cdd` in the journal."""
        if step not in STEPS:
            return self._refused("invalid", f"'step' must be one of {', '.join(STEPS)}")
        if outcome not in OUTCOMES:
            return self._refused("invalid", f"'outcome' must be one of {', '.join(OUTCOMES)}")
        if len(reference) > REFERENCE_LIMIT or any(c.isspace() for c in reference):
            return self._refused(
                "invalid",
                f"'reference' is a reference: at most {REFERENCE_LIMIT} characters, no spaces",
            )
        if fields:
            try:
                self.identities.update(self.sale_id, paddle, fields)
            except IdentityError as exc:
                return self._refused("invalid", str(exc))
        command = {
            "op": "record_cdd",
            "paddle": paddle,
            "step": step,
            "outcome": outcome,
            "reference": reference,
        }
        return await self.submit(command, actor)

    # -- screening

    def person(self, paddle: str) -> Person | None:
        """The screened person of a paddle, from the identities store (None: no name)."""
        row = self.identities.get(self.sale_id, paddle)
        if row is None or not (row.get("company") or row.get("name")):
            return None
        birth = date.fromisoformat(row["dob"]) if row.get("dob") else None
        if row.get("company"):
            return Person(paddle, row["company"], None, "entity")
        return Person(paddle, row["name"], birth)

    def _keep(self, result: ScreeningResult) -> str:
        """Store the screening record (no PII) under kyc/ and return its reference."""
        record = {"paddle": result.ref, "sale": self.sale_id, "at": result.at, **result.record()}
        text = json.dumps(record, sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()
        reference = f"scr-{digest[:24]}"
        folder = self.data_dir / "kyc"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{reference}.json").write_text(text, encoding="utf-8")
        return reference

    async def _journal_screening(self, result: ScreeningResult, actor: Actor) -> Screened:
        reference = self._keep(result)
        screened = Screened(result, reference)
        paddle = result.ref
        if result.verdict == "hold":
            why = result.hits[0] if result.hits else None
            reason = (
                f"screening: {why.list} entry {why.entry_id}, score {why.score:.0f}"
                if why
                else "screening: this person could not be checked"
            )
            screened.answers.append(
                await self.submit(
                    {
                        "op": "hold_bidder",
                        "paddle": paddle,
                        "reason": reason,
                        "reference": reference,
                    },
                    actor,
                )
            )
        outcome = "hold" if result.verdict == "hold" else "clear"
        screened.answers.append(
            await self.submit(
                {
                    "op": "record_cdd",
                    "paddle": paddle,
                    "step": "screened",
                    "outcome": outcome,
                    "reference": reference,
                },
                actor,
            )
        )
        return screened

    async def screen(self, paddle: str, actor: Actor = SYSTEM) -> Screened:
        """Screen one bidder now (the desk's "screen now", and registration): a hit holds
        them for the officer, a clear result is the `screened clear` step. ScreeningError
        when no list is imported or the bidder has no name to screen."""
        person = self.person(paddle)
        if person is None:
            raise ScreeningError(f"paddle {paddle} has no name to screen")
        result = await asyncio.to_thread(self.room.screen, person)
        return await self._journal_screening(result, actor)

    async def rescreen(self, bidders: list[str], actor: Actor = SYSTEM) -> list[Screened]:
        """Everyone again after a list import: the new holds are journaled, and a clear
        result is recorded for those not screened clear before. A hold the officer already
        reviewed (cleared or confirmed) for the same listed entries is not raised again, nor
        is a rejected bidder held."""
        people = [p for p in (self.person(paddle) for paddle in bidders) if p is not None]
        results = await asyncio.to_thread(self.room.rescreen_all, people)
        engine_bidders = self._bidders()
        reviewed = self.reviewed_hits() if any(r.verdict == "hold" for r in results) else {}
        done = []
        for result in results:
            bidder = engine_bidders.get(result.ref)
            cdd = dict(getattr(bidder, "cdd", {}) or {})
            held = bool(getattr(bidder, "hold", None))
            if result.verdict == "hold":
                rejected = getattr(bidder, "status", "") == "rejected"
                holding = {(h.list, h.entry_id) for h in result.hits if h.holds}
                decided = holding and holding <= reviewed.get(result.ref, set())
                if held or rejected or decided:
                    continue
            if result.verdict == "clear" and cdd.get("screened") == "clear":
                continue
            done.append(await self._journal_screening(result, actor))
        return done

    def reviewed_hits(self) -> dict[str, set[tuple[str, str]]]:
        """Per paddle, the listed entries (list, entry id) of holds the officer reviewed:
        from the journal (bidder_held's reference, then hold_cleared / hold_confirmed) and
        the screening records kept under kyc/."""
        pending: dict[str, str] = {}
        out: dict[str, set[tuple[str, str]]] = {}
        if not self.journal_path.exists():
            return out  # no journal yet: nothing reviewed
        with JournalHistory(self.journal_path) as history:
            for record in history.after(0):
                paddle = str(record.data.get("paddle") or "")
                if record.type == "bidder_held":
                    pending[paddle] = str(record.data.get("reference") or "")
                elif record.type in ("hold_cleared", "hold_confirmed") and paddle in pending:
                    kept = self.data_dir / "kyc" / f"{pending.pop(paddle)}.json"
                    if kept.is_file():
                        hits = json.loads(kept.read_text(encoding="utf-8")).get("hits", [])
                        entries = {(str(h["list"]), str(h["entry"])) for h in hits}
                        out.setdefault(paddle, set()).update(entries)
        return out

    def _bidders(self) -> dict[str, Any]:
        return dict(self.engine().bidders)

    # -- linked purchases

    def linked(self, paddle: str) -> aml.Linked:
        """The customer's purchases in the house's other sales (read-only; blocking)."""
        return self._linked_call(paddle)()

    def _linked_call(self, paddle: str) -> Callable[[], aml.Linked]:
        """What `linked` reads, bound on the loop (the identities store is the loop's), as a
        call that only reads the other journals (safe in a worker thread)."""
        row = self.identities.get(self.sale_id, paddle)
        if row is None or not row.get("customer"):
            return lambda: aml.Linked(0, ())
        settings = self.engine().sale.settings
        paddles = self.identities.paddles_of(row["customer"])
        this_sale = self.sale_id
        window = self.policy().linking_window_days
        now = self.clock()

        def read() -> aml.Linked:
            return aml.linked_purchases(
                self.data_dir,
                paddles,
                this_sale=this_sale,
                currency=settings.currency,
                basis=str(getattr(settings, "aml_basis", "hammer") or "hammer"),
                window_days=window,
                now=now,
            )

        return read

    async def link(self, paddle: str, actor: Actor = SYSTEM) -> tuple[aml.Linked, Answer | None]:
        """Tell the sale what this buyer bought elsewhere (`set_linked_purchases`); nothing
        is submitted when there is nothing linked and nothing was linked before."""
        linked = await asyncio.to_thread(self._linked_call(paddle))
        for problem in linked.problems:
            log.warning("linked purchases of paddle %s: %s", paddle, problem)
        bidder = self._bidders().get(paddle)
        before = int(getattr(bidder, "linked", 0) or 0)
        if not linked.amount and not before:
            return linked, None
        return linked, await self.submit(linked.command(paddle), actor)

    async def link_all(self, paddles: list[str], actor: Actor = SYSTEM) -> list[Answer]:
        """Every bidder's linked purchases (at go-live)."""
        answers = []
        for paddle in paddles:
            _, answer = await self.link(paddle, actor)
            if answer is not None:
                answers.append(answer)
        return answers

    def threshold(self) -> JSON:
        """EUR 10,000 in this sale's currency at the house's rate for this month (the figure
        the sale's `aml_threshold` rule takes); AmlError when a rate is missing."""
        currency = str(self.engine().sale.settings.currency)
        now = self.clock()
        rates = aml.load_rates(self.data_dir)
        return {
            "threshold": aml.threshold_in(currency, rates, now),
            "currency": currency,
            "rate": str(aml.eur_rate(rates, currency, now)),
            "month": time.strftime("%Y-%m", time.gmtime(now)),
        }

    # -- in the flow

    def registered(self, paddle: str, *, screen: bool = True) -> None:
        """A bidder was just registered (or the sale went live: `screen=False`): screen and
        link them in the background (never on the commit path: a listener must not block)."""
        task = asyncio.get_running_loop().create_task(self._after_registration(paddle, screen))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after_registration(self, paddle: str, screen: bool = True) -> None:
        try:
            if screen and self.policy().screen_at_registration and self.person(paddle):
                if self.room.lists():
                    await self.screen(paddle)
                else:
                    log.warning("no sanctions list imported: paddle %s not screened", paddle)
            await self.link(paddle)
        except Exception:
            log.exception("KYC after registering paddle %s", paddle)

    async def settled(self) -> None:
        """Wait for the background checks started so far."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- the CDD file

    def cdd_file(self, paddle: str) -> JSON:
        """A buyer's CDD file for the supervisor: identity, documents' hashes, every CDD
        event of the sale with who and when, the screening records and linked purchases."""
        row = self.identities.get(self.sale_id, paddle) or {}
        identity = {
            k: row.get(k, "") for k in CONTACT_FIELDS + KYC_FIELDS if k != "beneficial_owners"
        }
        events = []
        screenings: list[JSON] = []
        with JournalHistory(self.journal_path) as history:
            for record in history.after(0):
                if record.type not in CDD_EVENTS or record.data.get("paddle") != paddle:
                    continue
                events.append(
                    {
                        "seq": record.seq,
                        "at": record.at,
                        "type": record.type,
                        "by": record.actor.get("name") or record.actor.get("role"),
                        "device": record.actor.get("device"),
                        "data": {k: v for k, v in record.data.items() if k != "paddle"},
                    }
                )
                ref = str(record.data.get("reference") or "")
                kept = self.data_dir / "kyc" / f"{ref}.json"
                known = {s["reference"] for s in screenings}
                if ref.startswith("scr-") and ref not in known and kept.is_file():
                    screenings.append({"reference": ref, **json.loads(kept.read_text())})
        documents = []
        if row.get("id_scan"):
            scan = self.data_dir / "kyc" / f"{row['id_scan']}.scan"
            documents.append(
                {"what": "id_scan", "sha256": row["id_scan"], "stored": scan.is_file()}
            )
        return {
            "sale": self.sale_id,
            "paddle": paddle,
            "identity": identity,
            "beneficial_owners": owners_of(row) if row else [],
            "documents": documents,
            "events": events,
            "screenings": screenings,
            "exported_at": self.clock(),
        }


def cdd_html(file: JSON) -> str:
    """The CDD file as a self-contained HTML page (every value escaped)."""
    e = html.escape

    def rows(pairs: list[tuple[str, object]]) -> str:
        return "".join(f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>" for k, v in pairs)

    identity = [(k, v) for k, v in file["identity"].items() if v]
    owners = [(o.get("name", ""), o.get("dob", "")) for o in file["beneficial_owners"]]
    docs = [(d["what"], d["sha256"]) for d in file["documents"]]
    events = "".join(
        "<tr>"
        f"<td>{ev['seq']}</td><td>{e(_when(ev['at']))}</td><td>{e(ev['type'])}</td>"
        f"<td>{e(str(ev['by']))}</td><td>{e(json.dumps(ev['data'], ensure_ascii=False))}</td>"
        "</tr>"
        for ev in file["events"]
    )
    screenings = "".join(
        f"<li>{e(s['reference'])}: {e(str(s.get('verdict')))}, lists "
        f"{e(', '.join(str(x.get('list')) for x in s.get('lists', [])))}, "
        f"{len(s.get('hits', []))} hit(s)</li>"
        for s in file["screenings"]
    )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>CDD file: sale {e(file['sale'])}, paddle {e(file['paddle'])}</title>"
        "<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}</style>"
        f"<h1>CDD file: sale {e(file['sale'])}, paddle {e(file['paddle'])}</h1>"
        f"<p>Exported {e(_when(file['exported_at']))}</p>"
        f"<h2>Identity</h2><table>{rows(identity)}</table>"
        f"<h2>Beneficial owners</h2><table>{rows(owners)}</table>"
        f"<h2>Documents</h2><table>{rows(docs)}</table>"
        "<h2>Steps and holds</h2><table><tr><th>#</th><th>When (UTC)</th><th>What</th>"
        f"<th>By</th><th>Details</th></tr>{events}</table>"
        f"<h2>Screenings</h2><ul>{screenings}</ul></html>"
    )


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))
