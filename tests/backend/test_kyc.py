"""KYC service: the house policy, CDD steps, screening in the flow, linking, the CDD file.

The journal side is checked by the commands KYC submits (the core's `record_cdd`,
`hold_bidder`, `set_linked_purchases` of contract 13); the live sale test
(tests/e2e/test_aml_sale.py) runs them through the real core. Identities, the screening lists
and the KYC folder are real files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hub.auction.events import Actor
from hub.backend import kyc
from hub.backend.identities import IdentityError, IdentityStore
from hub.backend.screening import ScreeningError, ScreeningRoom
from hub.journal.sequencer import Answer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sanctions"
DESK = Actor("desk", name="st-2")
T0 = 1_796_083_200.0


@dataclass
class Journal:
    """What KYC submitted, in order; every command accepted (the core's own checks are
    tested in tests/auction)."""

    commands: list[tuple[dict[str, Any], Actor]] = field(default_factory=list)

    async def submit(self, command: dict[str, Any], actor: Actor) -> Answer:
        self.commands.append((command, actor))
        return Answer(True, None, None, len(self.commands), (), {})

    def ops(self) -> list[str]:
        return [c["op"] for c, _ in self.commands]


@pytest.fixture
def world(tmp_path: Path):
    identities = IdentityStore(tmp_path / "identities.db")
    room = ScreeningRoom(tmp_path, clock=lambda: T0)
    journal = Journal()
    engine = SimpleNamespace(
        sale=SimpleNamespace(id="spring", settings=SimpleNamespace(currency="EUR")),
        bidders={},
    )
    service = kyc.Kyc(
        tmp_path,
        tmp_path / "sales" / "spring.db",
        identities,
        journal.submit,
        lambda: engine,
        screening=room,
        clock=lambda: T0,
    )
    yield SimpleNamespace(
        kyc=service,
        identities=identities,
        room=room,
        journal=journal,
        engine=engine,
        dir=tmp_path,
    )
    service.close()
    identities.close()


def test_the_default_policy_and_what_each_channel_requires():
    policy = kyc.Policy()
    assert policy.required("floor") == ("name",)
    assert policy.required("online") == ("name", "email")
    assert "beneficial_owners" in policy.required("floor", legal_person=True)
    strict = kyc.parse_policy({"online_require": ["name", "email", "address", "country", "dob"]})
    assert kyc.missing_fields(strict, {"name": " ", "email": "a@b.c"}, "online") == [
        "name",
        "address",
        "country",
        "dob",
    ]
    with pytest.raises(IdentityError, match="policy requires: address, country, dob"):
        kyc.check_registration(strict, {"name": "Ada", "email": "a@b.c"}, "online")
    kyc.check_registration(strict, {"name": "Ada"}, "floor")


def test_a_policy_is_saved_and_loaded(tmp_path):
    assert kyc.load_policy(tmp_path) == kyc.Policy()
    saved = kyc.save_policy(
        tmp_path, {"require": ["name", "dob", "dob"], "linking_window_days": 90}
    )
    assert saved.require == ("name", "dob")
    assert kyc.load_policy(tmp_path) == saved
    assert kyc.load_policy(tmp_path).linking_window_days == 90


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "JSON object"),
        ({"require": "name"}, "list of field names"),
        ({"require": ["shoe_size"]}, "not a registration field"),
        ({"require": ["customer"]}, "not a registration field"),
        ({"online_require": [1]}, "list of field names"),
        ({"linking_window_days": -1}, "0 to 3660"),
        ({"linking_window_days": True}, "whole number"),
        ({"linking_window_days": 1.5}, "whole number"),
        ({"screen_at_registration": "yes"}, "true or false"),
        ({"evil\u202e": 1}, "unknown KYC policy keys"),
    ],
)
def test_a_bad_policy_is_refused_and_the_old_one_kept(tmp_path, raw, message):
    kyc.save_policy(tmp_path, {"linking_window_days": 30})
    with pytest.raises(kyc.KycError, match=message):
        kyc.save_policy(tmp_path, raw)
    assert kyc.load_policy(tmp_path).linking_window_days == 30


def test_a_policy_file_that_is_not_json_is_named(tmp_path):
    (tmp_path / kyc.POLICY_FILE).write_text("{")
    with pytest.raises(kyc.KycError, match=r"kyc_policy\.json is not JSON"):
        kyc.load_policy(tmp_path)


async def test_a_cdd_step_stores_the_pii_apart_and_journals_only_the_step(world):
    world.identities.add("spring", "101", {"name": "Ada Lovelace"})
    answer = await world.kyc.record_step(
        "101",
        "id_seen",
        "ok",
        "passport-checked",
        actor=DESK,
        fields={"id_type": "passport", "id_number": "P1234", "id_expiry": "2030-01-01"},
    )
    assert answer.ok
    assert world.journal.commands == [
        (
            {
                "op": "record_cdd",
                "paddle": "101",
                "step": "id_seen",
                "outcome": "ok",
                "reference": "passport-checked",
            },
            DESK,
        )
    ]
    assert "P1234" not in json.dumps(world.journal.commands[0][0])
    assert world.identities.get("spring", "101")["id_number"] == "P1234"


@pytest.mark.parametrize(
    ("step", "outcome", "reference", "fields", "message"),
    [
        ("id_glanced", "ok", "", None, "'step' must be one of"),
        ("id_seen", "fine", "", None, "'outcome' must be one of"),
        ("id_seen", "ok", "r" * 129, None, "at most 128"),
        ("id_seen", "ok", "two words", None, "no spaces"),
        ("id_seen", "ok", "", {"dob": "31/12/1970"}, "'dob' must be a date"),
        ("id_seen", "ok", "", {"id_number": "P\x00"}, "invisible or control"),
    ],
)
async def test_a_bad_step_writes_nothing(world, step, outcome, reference, fields, message):
    world.identities.add("spring", "101", {"name": "Ada Lovelace", "dob": "1970-01-01"})
    answer = await world.kyc.record_step("101", step, outcome, reference, actor=DESK, fields=fields)
    assert not answer.ok
    assert answer.reason == "invalid"
    assert message in (answer.message or "")
    assert world.journal.commands == []
    assert world.identities.get("spring", "101")["dob"] == "1970-01-01"


def _import_lists(room: ScreeningRoom) -> None:
    room.import_list(FIXTURES / "eu_fsf_1_1.xml", "eu")
    room.import_list(FIXTURES / "sdn.csv", "ofac", alt=FIXTURES / "alt.csv")


async def test_a_listed_person_is_held_with_a_reference_and_no_name_in_the_journal(world):
    _import_lists(world.room)
    world.identities.add("spring", "101", {"name": "Viktor Andreyevich Kravchenko"})
    screened = await world.kyc.screen("101", DESK)
    assert screened.result.verdict == "hold"
    assert world.journal.ops() == ["hold_bidder", "record_cdd"]
    hold, cdd = (c for c, _ in world.journal.commands)
    assert hold["paddle"] == "101"
    assert hold["reference"] == screened.reference == cdd["reference"]
    assert hold["reason"].startswith("screening: eu entry 900101")
    assert (cdd["step"], cdd["outcome"]) == ("screened", "hold")
    assert "Kravchenko" not in json.dumps([c for c, _ in world.journal.commands])
    kept = json.loads((world.dir / "kyc" / f"{screened.reference}.json").read_text())
    assert kept["verdict"] == "hold"
    assert {x["list"] for x in kept["lists"]} == {"eu", "ofac"}
    assert "Viktor Andreyevich Kravchenko" not in json.dumps(kept)  # only the listed spelling


async def test_a_clear_person_gets_the_screened_clear_step(world):
    _import_lists(world.room)
    world.identities.add("spring", "102", {"name": "Margaret Thompson", "dob": "1971-04-02"})
    screened = await world.kyc.screen("102", DESK)
    assert screened.result.verdict == "clear"
    assert [(c["op"], c.get("outcome")) for c, _ in world.journal.commands] == [
        ("record_cdd", "clear")
    ]


async def test_screening_without_a_list_or_a_name_is_refused(world):
    world.identities.add("spring", "101", {"name": "Ada"})
    with pytest.raises(ScreeningError):
        await world.kyc.screen("101")
    with pytest.raises(ScreeningError, match="no name to screen"):
        await world.kyc.screen("404")
    assert world.journal.commands == []


async def test_a_company_is_screened_as_an_entity(world):
    _import_lists(world.room)
    world.identities.add("spring", "103", {"name": "Bob Smith", "company": "Ordinary Tea Ltd"})
    person = world.kyc.person("103")
    assert person is not None
    assert (person.name, person.kind) == ("Ordinary Tea Ltd", "entity")


async def test_registration_screens_and_links_in_the_background(world):
    _import_lists(world.room)
    world.identities.add("spring", "101", {"name": "Viktor Andreyevich Kravchenko"})
    world.kyc.registered("101")
    await world.kyc.settled()
    assert world.journal.ops() == ["hold_bidder", "record_cdd"]  # nothing linked elsewhere


async def test_registration_with_no_list_imported_records_no_screening(world):
    world.identities.add("spring", "101", {"name": "Ada"})
    world.kyc.registered("101")
    await world.kyc.settled()
    assert world.journal.commands == []


async def test_a_rescreen_journals_only_what_changed(world):
    _import_lists(world.room)
    world.identities.add("spring", "101", {"name": "Viktor Andreyevich Kravchenko"})
    world.identities.add("spring", "102", {"name": "Margaret Thompson"})
    world.engine.bidders = {
        "101": SimpleNamespace(cdd={}, hold=None),
        "102": SimpleNamespace(cdd={"screened": "clear"}, hold=None),
    }
    done = await world.kyc.rescreen(["101", "102", "103"])
    assert [s.result.ref for s in done] == ["101"]
    assert world.journal.ops() == ["hold_bidder", "record_cdd"]
    world.engine.bidders["101"] = SimpleNamespace(cdd={"screened": "hold"}, hold={"reason": "x"})
    assert await world.kyc.rescreen(["101", "102"]) == []


async def test_the_cdd_file_lists_identity_documents_steps_and_screenings(world, tmp_path):
    from hub.auction.events import SYSTEM
    from hub.journal.sequencer import Sequencer

    _import_lists(world.room)
    sequencer = Sequencer(tmp_path / "sales" / "spring.db", clock=lambda: T0)
    (tmp_path / "sales").mkdir()
    await sequencer.start()
    try:
        for command in (
            {"op": "create_sale", "sale": {"id": "spring", "title": "Spring"}},
            {"op": "register_bidder", "paddle": "101", "status": "approved"},
        ):
            assert (await sequencer.submit(command, SYSTEM)).ok
    finally:
        await sequencer.stop()
    world.identities.add(
        "spring",
        "101",
        {"name": "Ada <b>Lovelace</b>", "id_scan": "a" * 64, "beneficial_owners": ["Bo"]},
    )
    screened = await world.kyc.screen("101", DESK)
    file = world.kyc.cdd_file("101")
    assert file["identity"]["name"] == "Ada <b>Lovelace</b>"
    assert file["documents"] == [{"what": "id_scan", "sha256": "a" * 64, "stored": False}]
    assert [e["type"] for e in file["events"]] == ["bidder_registered"]
    assert file["beneficial_owners"] == [{"name": "Bo"}]
    assert file["screenings"] == []  # the screening's own event is the core's (P1) to journal
    assert screened.reference.startswith("scr-")
    page = kyc.cdd_html(file)
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in page
    assert "<b>Lovelace" not in page
    assert "bidder_registered" in page


async def test_linking_submits_the_customer_s_purchases_in_other_sales(world):
    from tests.backend.moneykit import T0 as AUTUMN
    from tests.backend.moneykit import Clock, worked_sale_commands
    from tests.backend.test_aml import sale_on_disk

    sequencer = await sale_on_disk(
        world.dir / "sales" / "autumn.db", worked_sale_commands(), Clock(AUTUMN)
    )
    await sequencer.stop()
    world.identities.add("autumn", "101", {"name": "Ada", "id_number": "P1"})
    world.identities.add("spring", "7", {"name": "Ada L.", "id_number": "P1"})
    world.identities.add("spring", "8", {"name": "Someone Else"})
    linked, answer = await world.kyc.link("7", DESK)
    assert answer is not None
    assert answer.ok
    assert (linked.amount, linked.sales) == (1_100_000, ("autumn",))
    assert world.journal.commands == [
        (
            {"op": "set_linked_purchases", "paddle": "7", "amount": 1_100_000, "sales": ["autumn"]},
            DESK,
        )
    ]
    # Nothing bought elsewhere and nothing linked before: nothing to tell the sale.
    assert await world.kyc.link("8") == (linked.__class__(0, ()), None)
    assert len(world.journal.commands) == 1


def test_the_sale_s_threshold_at_the_house_rate(world):
    from hub.backend import aml

    assert world.kyc.threshold() == {
        "threshold": 1_000_000,
        "currency": "EUR",
        "rate": "1",
        "month": "2026-12",
    }
    world.engine.sale.settings.currency = "GBP"
    with pytest.raises(aml.AmlError, match="no EUR rate for GBP"):
        world.kyc.threshold()
    aml.save_rates(world.dir, {"2026-11": {"GBP": "0.85"}})
    assert world.kyc.threshold()["threshold"] == 850_000
