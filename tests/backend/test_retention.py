"""Retention: the dry-run report and erasure on a real data dir (three sale journals, the
identities and consignors file, ID scans and screening records under kyc/, screening.db,
the officer's notes).

After erasure no byte of the person's data is in ANY file of the data dir (-wal and -shm
included), someone else's data is (so the grep can find what it looks for), every chain
verifies and replay equals state."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.auction.commands import BY_OP
from hub.auction.events import SYSTEM, Actor
from hub.backend import retention
from hub.backend.consignors import ConsignorStore
from hub.backend.identities import IdentityStore, store_scan
from hub.backend.sar import OfficerNotes
from hub.backend.screening import Person, ScreeningRoom
from hub.journal.sequencer import Sequencer
from hub.journal.verify import verify
from tests.backend.moneykit import LOTS, TERMS, Clock, sale_commands, sell_commands

ROOT = Path(__file__).resolve().parents[2]
SANCTIONS = ROOT / "tests" / "fixtures" / "sanctions"
# The desktop owner with every staff role (as the app acts with no staff accounts).
OWNER = Actor(
    "auctioneer",
    name="owner",
    roles=("auctioneer", "clerk", "desk", "cashier", "admin", "officer"),
    device="desktop",
)


def ts(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


ADA = {
    "name": "Adelheid Quarzbrunner",
    "email": "ada.quarz@example.org",
    "phone": "+49 170 5550199",
    "address": "Kastanienallee 77\n10435 Berlin",
    "country": "DE",
    "dob": "1961-04-13",
    "id_type": "passport",
    "id_number": "C01X9QZ7T",
    "id_expiry": "2030-01-31",
}
ADA_PII = [
    "Adelheid",
    "Quarzbrunner",
    "ada.quarz@example.org",
    "5550199",
    "Kastanienallee",
    "C01X9QZ7T",
    "1961-04-13",
]
BOB = {"name": "Barnaby Wexcombe", "email": "barnaby@example.net", "address": "1 Mill Lane"}
CONSIGNOR = {
    "name": "Ottilie Fensterbank",
    "address": "Rue des Glycines 9\n1000 Bruxelles",
    "country": "BE",
    "email": "ottilie@example.be",
    "iban": "BE71 0961 2345 6769",
}
CONSIGNOR_PII = ["Ottilie", "Fensterbank", "Glycines", "ottilie@example.be", "BE7109612345"]
SCAN = b"\x89PNG fake passport scan of Adelheid Quarzbrunner C01X9QZ7T"


async def _sale(data_dir: Path, sale: str, start: float, commands: list[dict]) -> None:
    sequencer = Sequencer(data_dir / "sales" / f"{sale}.db", clock=Clock(start))
    await sequencer.start()
    try:
        for command in commands:
            who = SYSTEM if command["op"] == "create_sale" else OWNER
            answer = await sequencer.submit(command, who)
            assert answer.ok, (command, answer.message)
    finally:
        await sequencer.stop()


@pytest.fixture
async def house(tmp_path: Path) -> Path:
    return await build_house(tmp_path)


async def build_house(tmp_path: Path) -> Path:
    """Ada bought in spring 2026 and registered again (same customer) in autumn 2026; Bob
    bought in 2029; consignor C-1 was paid out in 2026."""
    data = tmp_path / "data"
    (data / "sales").mkdir(parents=True)
    spring = [
        *sale_commands(sale_id="spring", paddles=("101",)),
        *sell_commands("1", "101", 100_000),
        {"op": "record_payment", "paddle": "101", "amount": 125_000, "method": "transfer"},
        {"op": "set_consignor_terms", "consignor": "C-1", **TERMS},
        {"op": "close_sale"},  # closed years before the erasure, as sales are
    ]
    await _sale(data, "spring", ts("2026-03-01"), spring)
    autumn = [*sale_commands(sale_id="autumn", paddles=("101", "102"))]
    await _sale(data, "autumn", ts("2026-09-21"), autumn)
    lots = [{**LOTS[0], "consignor": "C-9"}]  # C-1 consigned nothing after 2026
    late = [
        *sale_commands(sale_id="late", lots=lots, paddles=("102",)),
        *sell_commands("1", "102", 90_000),
    ]
    await _sale(data, "late", ts("2029-05-01"), late)

    people = IdentityStore(data / "identities.db")
    digest = store_scan(data, SCAN)
    people.add("spring", "101", {**ADA, "id_scan": digest})
    people.add("autumn", "101", {"name": ADA["name"], "email": ADA["email"]})  # same customer
    people.add("autumn", "102", BOB)
    people.add("late", "102", BOB)
    people.add_payer("spring", "101", ADA_PAYER)  # a third party who paid for Ada
    people.add_payer("late", "102", BOB_PAYER)
    people.close()
    consignors = ConsignorStore(data / "identities.db")
    consignors.add("C-1", CONSIGNOR)
    consignors.close()

    room = ScreeningRoom(data, clock=lambda: ts("2026-03-01"))
    room.import_list(SANCTIONS / "eu_fsf_1_1.xml", "eu")
    result = room.screen(Person("101", ADA["name"], None))
    room.close()
    record = {"paddle": "101", "sale": "spring", "at": result.at, **result.record()}
    text = json.dumps(record, sort_keys=True)
    name = f"scr-{hashlib.sha256(text.encode()).hexdigest()[:24]}.json"
    (data / "kyc" / name).write_text(text, encoding="utf-8")

    notes = OfficerNotes(data / "officer.db", clock=lambda: ts("2026-03-02"))
    officer = Actor("officer", name="st-7")
    note = notes.add(officer, "spring", "101", f"{ADA['name']} paid in cash, 9,900.")
    notes.set_status(officer, note.reference, "closed", "no report: source of funds shown")
    notes.add(officer, "late", "102", f"{BOB['name']} asked about splitting invoices.")
    notes.close()
    return data


ADA_PAYER = "Quillon Paywright Ltd"
BOB_PAYER = "Bramwell Fundsworth"


def _every_file(data: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}


def _main_files(data: Path) -> dict[Path, bytes]:
    """Every file but SQLite's -wal/-shm side files (a reader may create them)."""
    return {p: b for p, b in _every_file(data).items() if not p.name.endswith(("-wal", "-shm"))}


def _found(data: Path, needles: list[str]) -> list[str]:
    """'file: needle' for every needle in any file (UTF-8, and the IBAN without spaces)."""
    hits = []
    for path, content in _every_file(data).items():
        for needle in needles:
            if needle.encode() in content or needle.lower().encode() in content.lower():
                hits.append(f"{path.relative_to(data)}: {needle}")
    return hits


class Marker:
    """Journals `erase_identity` for real once the core has it (P1); until then records the
    calls (the rest of the erasure is the same)."""

    def __init__(self, data: Path) -> None:
        self.calls: list[tuple[str, str]] = []
        self.real = retention.sale_marker(data, Clock(ts("2032-01-10")))

    def __call__(self, sale: str, paddle: str, reason: str) -> None:
        self.calls.append((sale, paddle))
        if retention.ERASE_OP in BY_OP:
            self.real(sale, paddle, reason)


def _name(store: IdentityStore, sale: str, paddle: str) -> str:
    row = store.get(sale, paddle)
    assert row is not None
    return str(row["name"])


def _by_key(entries: list[dict]) -> dict[str, dict]:
    return {e["key"]: e for e in entries}


async def test_the_dry_run_says_who_and_why_and_writes_nothing(house: Path) -> None:
    before = _main_files(house)
    entries = _by_key(retention.report(house, retention.parse_as_of("2032-01-01")))
    ada, bob, c1 = entries["cu-1"], entries["cu-2"], entries["C-1"]
    assert ada["verdict"] == "erase"
    assert ada["paddles"] == ["spring/101", "autumn/101"]
    # Her last act: registering for the autumn sale (after her spring payment).
    assert ada["relationship_end"] == "2026-09-21"
    assert "bidder_registered in sale autumn" in ada["last"]
    assert (bob["verdict"], bob["due"]) == ("keep", "2034-05-01")
    assert (c1["kind"], c1["verdict"]) == ("consignor", "erase")
    # A day before Ada's five years are up she is kept.
    early = _by_key(retention.report(house, retention.parse_as_of("2031-09-20")))
    assert early["cu-1"]["verdict"] == "keep"
    assert _main_files(house) == before


async def test_a_legal_hold_keeps_a_person_past_the_date(house: Path) -> None:
    retention.set_hold(house, "bidder", "cu-1", "police inquiry 2031/77", ts("2031-01-01"))
    as_of = retention.parse_as_of("2032-01-01")
    entry = _by_key(retention.report(house, as_of))["cu-1"]
    assert entry["verdict"] == "hold"
    assert "police inquiry" in entry["why"]
    erased = retention.erase(house, as_of, Marker(house))
    assert [e["key"] for e in erased] == ["C-1"]
    people = IdentityStore(house / "identities.db")
    assert _name(people, "spring", "101") == ADA["name"]
    people.close()
    retention.set_hold(house, "bidder", "cu-1", None, ts("2031-01-01"))
    assert _by_key(retention.report(house, as_of))["cu-1"]["verdict"] == "erase"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201, "bad\x00reason", "\ud800"])
async def test_a_hold_needs_a_plain_reason(house: Path, reason: str) -> None:
    with pytest.raises(retention.RetentionError):
        retention.set_hold(house, "bidder", "cu-1", reason, ts("2031-01-01"))
    with pytest.raises(retention.RetentionError):
        retention.set_hold(house, "nobody", "cu-1", "inquiry", ts("2031-01-01"))


async def test_erasure_leaves_no_personal_data_in_any_file(house: Path) -> None:
    assert _found(house, ADA_PII), "the grep must find her data before"
    assert _found(house, [ADA_PAYER]), "and her payer's name"
    marker = Marker(house)
    erased = retention.erase(house, retention.parse_as_of("2032-01-01"), marker)
    assert sorted(e["key"] for e in erased) == ["C-1", "cu-1"]
    assert sorted(marker.calls) == [("autumn", "101"), ("spring", "101")]
    if retention.ERASE_OP in BY_OP:  # journaled in both sales (spring is closed)
        assert retention._activity(house).marked == {("autumn", "101"), ("spring", "101")}

    assert _found(house, ADA_PII + CONSIGNOR_PII + [ADA_PAYER]) == []
    assert _found(house, [BOB_PAYER]) == [f"identities.db: {BOB_PAYER}"]
    assert not list((house / "kyc").glob("*.scan"))
    assert not list((house / "kyc").glob("scr-*.json"))
    for side in ("identities.db-wal",):
        wal = house / side
        assert not wal.exists() or wal.stat().st_size == 0
    # Bob's data is still there (identities, his note): the grep can see what is left.
    assert "officer.db: Barnaby Wexcombe" in _found(house, ["Barnaby Wexcombe"])
    people = IdentityStore(house / "identities.db")
    row = people.get("spring", "101")
    assert row is not None
    assert row["erased"] is not None
    assert row["customer"] == "cu-1"
    assert _name(people, "late", "102") == BOB["name"]
    people.close()
    for journal in sorted((house / "sales").glob("*.db")):
        report = verify(journal)
        assert report.ok, report.lines()


async def test_erasing_again_does_nothing(house: Path) -> None:
    as_of = retention.parse_as_of("2032-01-01")
    retention.erase(house, as_of, Marker(house))
    again = Marker(house)
    assert retention.erase(house, as_of, again) == []
    assert again.calls == []
    assert _by_key(retention.report(house, as_of))["cu-1"]["verdict"] == "erased"


async def test_a_refused_marker_wipes_nothing_of_that_person(house: Path) -> None:
    def refuse(sale: str, paddle: str, reason: str) -> None:
        raise retention.RetentionError(f"sale {sale} is open in another process")

    with pytest.raises(retention.RetentionError, match="open in another process"):
        retention.erase(house, retention.parse_as_of("2032-01-01"), refuse)
    people = IdentityStore(house / "identities.db")
    assert _name(people, "spring", "101") == ADA["name"]
    people.close()


@pytest.mark.parametrize("text", ["2032-13-01", "tomorrow", "", "2032-1-1", "2032-01-01T00:00"])
def test_as_of_must_be_a_real_date(text: str) -> None:
    with pytest.raises(retention.RetentionError, match="--as-of"):
        retention.parse_as_of(text)


def test_an_empty_data_dir_has_no_one(tmp_path: Path) -> None:
    assert retention.report(tmp_path, retention.parse_as_of("2032-01-01")) == []


async def test_a_running_stage_stops_the_erasure_and_a_rerun_finishes_it(house: Path) -> None:
    """The autumn sale is open on a real stage: its marker is refused with who holds it, so
    Ada's data stays; once the stage stops, the rerun journals only the missing marker."""
    from hub.config import StageConfig
    from hub.stage import Stage

    stage = Stage(StageConfig(data_dir=house, sale="autumn", host="127.0.0.1", port=0))
    await stage.start()
    as_of = retention.parse_as_of("2032-01-01")
    try:
        marker = Marker(house)
        with pytest.raises(retention.RetentionError, match="sale autumn, paddle 101") as info:
            retention.erase(house, as_of, marker)
        if retention.ERASE_OP in BY_OP:
            assert "open in process" in str(info.value)
        people = IdentityStore(house / "identities.db")
        assert _name(people, "autumn", "101") == ADA["name"]
        people.close()
    finally:
        await stage.stop()
    again = Marker(house)
    retention.erase(house, as_of, again)
    if retention.ERASE_OP in BY_OP:  # spring was marked the first time
        assert again.calls == [("autumn", "101")]
    assert _found(house, ADA_PII + CONSIGNOR_PII + [ADA_PAYER]) == []
    for journal in sorted((house / "sales").glob("*.db")):
        assert verify(journal).ok
