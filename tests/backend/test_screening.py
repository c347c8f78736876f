"""Sanctions screening: matching people against the shipped fixture lists (EU, UN, OFAC).

The fixtures in tests/fixtures/sanctions/ are fictional entries written in each list's real
format. Matching rules and thresholds: hub/backend/screening.py's docstring.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.backend.sanctions import BirthDate, ListEntry
from hub.backend.screening import (
    Index,
    ListInfo,
    Person,
    ScreeningError,
    ScreeningRoom,
    Thresholds,
    dob_verdict,
    match,
    normalise,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sanctions"


def _common_names() -> list[str]:
    lines = (FIXTURES / "common_names.txt").read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScreeningRoom]:
    room = ScreeningRoom(tmp_path_factory.mktemp("screening"), clock=Clock())
    room.import_list(FIXTURES / "eu_fsf_1_1.xml", "eu")
    room.import_list(FIXTURES / "un_consolidated.xml", "un")
    room.import_list(FIXTURES / "sdn.csv", "ofac", alt=FIXTURES / "alt.csv")
    room.import_list(FIXTURES / "pep_targets.simple.csv", "pep")
    yield room
    room.close()


def _best(room: ScreeningRoom, name: str, birth: date | None = None, kind: str = "person"):
    result = room.screen(Person("p1", name, birth, kind))
    return result, (result.hits[0] if result.hits else None)


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("Viktor Andreyevich Kravchenko", ("eu", "900101")),
        ("Marcus Edward Holloway", ("ofac", "36001")),
        ("Abdul Rahman Yusuf Al-Hakimi", ("un", "9100001")),
        ("ZHAO Wenqiang", ("eu", "900105")),
        ("Pak Yong Chol", ("un", "9100002")),
    ],
)
def test_an_exact_name_is_held(room, name, entry):
    result, hit = _best(room, name)
    assert result.verdict == "hold"
    assert (hit.list, hit.entry_id) == entry
    assert hit.name_score == 100
    assert hit.holds


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("Виктор Андреевич Кравченко", ("eu", "900101")),  # the Cyrillic alias
        ("Виктор Кравченко", ("eu", "900101")),  # Cyrillic, no patronymic
        ("Γιώργος Παπαντωνίου", ("eu", "900103")),  # Greek, another spelling of Γεώργιος
        ("赵文强", ("eu", "900105")),  # Chinese characters against the pinyin
        ("عبد الرحمن يوسف الحكيمي", ("un", "9100001")),  # Arabic, the original script
        ("Jelena Zhukova", ("eu", "900102")),  # Serbian-style Latin spelling
    ],
)
def test_a_transliterated_name_is_held(room, name, entry):
    result, hit = _best(room, name)
    assert result.verdict == "hold", result.hits
    assert (hit.list, hit.entry_id) == entry


def test_an_arabic_name_matches_a_list_that_has_only_a_latin_spelling():
    """No vowels are written in Arabic: the consonant skeletons are compared."""
    entry = ListEntry("1", "person", ("Abdul Rahman Yusuf Al-Hakimi",))
    index = Index.build((ListInfo("t", "t", "t", "0", 0, 1),), [("t", entry)])
    hits = match(Person("p", "عبد الرحمن يوسف الحكيمي"), index, Thresholds())
    assert hits
    assert hits[0].holds
    # and a short, different Latin name is not the same skeleton
    other = ListEntry("2", "person", ("Adel Rahim",))
    index = Index.build((ListInfo("t", "t", "t", "0", 0, 1),), [("t", other)])
    assert not any(
        h.holds for h in match(Person("p", "عبد الرحمن يوسف الحكيمي"), index, Thresholds())
    )


@pytest.mark.parametrize(
    "name",
    [
        "HOLLOWAY, Marcus",  # OFAC's "LAST, First"
        "Holloway Marcus Edward",
        "Kravchenko Viktor",
        "KRAVCHENKO, Viktor Andreyevich",
        "Chol Pak Yong",
        "Wenqiang Zhao",
    ],
)
def test_a_reordered_name_is_held(room, name):
    result, _hit = _best(room, name)
    assert result.verdict == "hold", name


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("Viktor Kravchenk", "900101"),  # a letter missing, and no patronymic
        ("Markus Holloway", "36001"),  # c → k
        ("Marcus Holoway", "36001"),  # a letter missing
        ("Dmitri Sokolow", "36002"),  # v → w
        ("Kenji Nakamure", "36005"),
        ("Elena Zhukowa", "900102"),
        ("Abdul Rahman Yousef Al Hakimi", "9100001"),
    ],
)
def test_a_near_miss_is_held(room, name, entry):
    result, hit = _best(room, name)
    assert result.verdict == "hold", name
    assert hit.entry_id == entry
    assert hit.name_score < 100


def test_a_politically_exposed_person_is_held_on_the_pep_list(room):
    for name in ("Ludmila Hrabalova", "Людмила Грабалова", "Hrabalová, Ludmila"):
        result, hit = _best(room, name, date(1962, 4, 18))
        assert (result.verdict, hit.list, hit.entry_id, hit.dob) == (
            "hold",
            "pep",
            "fx-pep-001",
            "same",
        )
    result, hit = _best(room, "Raymond Bellacqua", date(1959, 1, 1))
    assert (result.verdict, hit.entry_id, hit.dob) == ("hold", "fx-pep-002", "same")
    result, hit = _best(room, "Ministry of Fictional Affairs of Fictitia", kind="entity")
    assert (result.verdict, hit.entry_id) == ("hold", "fx-pep-003")
    # a listed address is neither a person nor a company
    assert room.screen(Person("p", "1 Example Street, Fictum", kind="entity")).verdict == "clear"


def test_honorifics_and_punctuation_do_not_matter(room):
    assert normalise("Mr. Marcus-Edward  HOLLOWAY") == "marcus edward holloway"
    assert normalise("Dr Patrick O'Sullivan") == "patrick osullivan"
    assert normalise("Mr") == "mr"  # an honorific alone is still a name
    result, hit = _best(room, "Sheikh Abu Yusuf al-Hakimi")
    assert result.verdict == "hold"
    assert hit.matched_name == "Abu Yusuf al-Hakimi"


def test_a_single_word_does_not_match_every_name_that_contains_it(room):
    # "Yusuf" is one word of two listed names; alone it is nobody in particular.
    for name in ("Yusuf", "Viktor", "Holloway", "Kenji"):
        result = room.screen(Person("p", name))
        assert result.verdict == "clear", (name, result.hits)


def test_people_are_screened_against_people_and_companies_against_entities(room):
    result, hit = _best(room, "Northern Star Trading LLC", kind="entity")
    assert (result.verdict, hit.entry_id) == ("hold", "900104")
    result, hit = _best(room, "Green Harbour Shipping Ltd", kind="entity")
    assert (result.verdict, hit.entry_id) == ("hold", "36003")
    assert room.screen(Person("p", "Northern Star Trading LLC")).verdict == "clear"
    assert room.screen(Person("p", "Marcus Holloway", kind="entity")).verdict == "clear"
    # a listed vessel is not a bidder
    assert room.screen(Person("p", "Sea Swallow", kind="entity")).verdict == "clear"


def test_an_alias_of_the_person_is_screened_too(room):
    person = Person("p", "Mark Smith", aliases=("Marcus Holloway",))
    result = room.screen(person)
    assert result.verdict == "hold"
    assert result.hits[0].screened_name == "Marcus Holloway"


def test_the_result_names_the_lists_it_was_screened_against(room):
    result = room.screen(Person("p", "Ada Lovelace"))
    assert result.verdict == "clear"
    assert result.hits == ()
    assert [info.name for info in result.lists] == ["eu", "ofac", "pep", "un"]
    assert all(len(info.sha256) == 64 for info in result.lists)
    assert result.ref == "p"


# --- dates of birth ------------------------------------------------------------------------


def test_the_same_date_of_birth_raises_the_score(room):
    _r, without = _best(room, "Viktor Kravchenk")
    _r, same = _best(room, "Viktor Kravchenk", date(1968, 3, 14))
    assert same.dob == "same"
    assert same.score == pytest.approx(min(100, without.score + Thresholds().dob_bonus))


def test_a_matching_date_of_birth_tips_a_weak_name_into_a_hold(tmp_path):
    """A name just under the threshold is held when the date of birth is the listed one."""
    room = ScreeningRoom(tmp_path)
    room.import_list(FIXTURES / "sdn.csv", "ofac", alt=FIXTURES / "alt.csv")
    name = "Marcus Hallowey"  # two letters off: 85.7, under the threshold alone
    _r, plain = _best(room, name)
    assert plain is not None
    assert Thresholds().hold_at - Thresholds().dob_bonus <= plain.name_score < 88
    assert not plain.holds
    result, hit = _best(room, name, date(1966, 2, 22))
    assert (result.verdict, hit.dob, hit.holds) == ("hold", "same", True)
    room.close()


def test_another_birth_year_clears_a_near_miss(room):
    result, hit = _best(room, "Viktor Kravchenk", date(1985, 6, 1))
    assert hit.dob == "differs"
    assert not hit.holds
    assert hit.score < Thresholds().hold_at
    assert result.verdict == "clear"
    # it is still reported, so a reviewer can see why it was cleared
    assert hit.entry_id == "900101"


def test_another_birth_year_does_not_clear_an_exact_name(room):
    result, hit = _best(room, "Viktor Andreyevich Kravchenko", date(1985, 6, 1))
    assert hit.dob == "differs"
    assert (result.verdict, hit.holds) == ("hold", True)
    result, hit = _best(room, "Kravchenko, Viktor Andreyevich", date(1985, 6, 1))
    assert result.verdict == "hold"


def test_the_same_year_with_another_day_changes_nothing(room):
    _r, plain = _best(room, "Viktor Kravchenk")
    _r, hit = _best(room, "Viktor Kravchenk", date(1968, 7, 1))
    assert hit.dob == "year"
    assert hit.score == plain.score


def test_date_of_birth_verdicts():
    exact = (BirthDate(1968, 1968, 3, 14),)
    year = (BirthDate(1980, 1980),)
    span = (BirthDate(1960, 1962),)
    circa = (BirthDate(1955, 1957, circa=True),)
    assert dob_verdict(None, exact) == "unknown"
    assert dob_verdict(date(1968, 3, 14), ()) == "unknown"
    assert dob_verdict(date(1968, 3, 14), exact) == "same"
    assert dob_verdict(date(1968, 3, 15), exact) == "year"
    assert dob_verdict(date(1969, 3, 14), exact) == "differs"
    assert dob_verdict(date(1980, 12, 31), year) == "same"
    assert dob_verdict(date(1981, 1, 1), year) == "differs"
    assert dob_verdict(date(1961, 5, 5), span) == "same"
    assert dob_verdict(date(1963, 5, 5), span) == "differs"
    assert dob_verdict(date(1959, 5, 5), circa) == "same"  # circa widens by 2 years
    assert dob_verdict(date(1960, 5, 5), circa) == "differs"
    assert dob_verdict(date(1960, 5, 5), circa, circa_years=3) == "same"
    # several listed dates: any one that agrees is enough
    assert dob_verdict(date(1973, 1, 1), (*exact, BirthDate(1973, 1973))) == "same"


def test_thresholds_are_configurable(tmp_path):
    strict = ScreeningRoom(tmp_path, thresholds=Thresholds(hold_at=99.0))
    strict.import_list(FIXTURES / "sdn.csv", "ofac", alt=FIXTURES / "alt.csv")
    assert strict.screen(Person("p", "Markus Holloway")).verdict == "clear"
    assert strict.screen(Person("p", "Holloway, Marcus Edward")).verdict == "hold"
    strict.close()


# --- false positives -----------------------------------------------------------------------


def test_common_names_are_rarely_held(room):
    """False-positive rate on 211 common European names (tests/fixtures/sanctions/
    common_names.txt; none is on the fixture lists), screened without a date of birth:

    - against the four fixture lists (17 entries, 33 names and aliases): 0 of 211 held
      (0 %), no hit reported either;
    - against the 211 names themselves as a list (each person against the 210 others):
      0 of 211 held; 6 reported under the threshold (Jean Martin / Juan Martínez 83,
      Karl Karlsson / Karin Larsson 83, Léa David / David López 80-81).

    The assertion allows under 2 % (at most 4 of 211) in each. A real list has tens of
    thousands of names, so the rate there is higher; it was not measured (no real list here).
    """
    names = _common_names()
    assert len(names) >= 200
    results = room.rescreen_all([Person(str(i), name) for i, name in enumerate(names)])
    held = [name for name, r in zip(names, results, strict=True) if r.verdict == "hold"]
    assert len(held) / len(names) < 0.02, held

    entries = [("common", ListEntry(str(i), "person", (n,))) for i, n in enumerate(names)]
    index = Index.build((ListInfo("common", "x", "x", "0", 0, len(names)),), entries)
    held = []
    for i, name in enumerate(names):
        hits = [h for h in match(Person(str(i), name), index, Thresholds()) if h.entry_id != str(i)]
        if any(h.holds for h in hits):
            held.append(name)
    assert len(held) / len(names) < 0.02, held


# --- people who cannot be screened ---------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "message"),
    [
        (Person("p", "x" * 301), "at most 300"),
        (Person("p", "Ada\x1bLovelace"), "control characters"),
        (Person("p", "Ada \ud800 Lovelace"), "lone surrogate"),
        (Person("p", "Ada\nLovelace"), "single line"),
        (Person("p", "Ada \u202eecalevoL"), "direction override"),
        (Person("p", "!!! ..."), "no letters"),
        (Person("p", ""), "no letters"),
        (Person("p", "Ada", kind="vessel"), "kind"),
        (Person("p", "Ada", birth="1968-03-14"), "must be a date"),  # type: ignore[arg-type]
        (Person("p", 42), "must be text"),  # type: ignore[arg-type]
        (Person("p", "Ada", aliases=("Bad\x00",)), "control characters"),
        (Person("p", "Ada", aliases=("Ada B",) * 21), "more than 20 aliases"),
    ],
)
def test_a_name_that_cannot_be_screened_is_refused(room, person, message):
    with pytest.raises(ScreeningError, match=message):
        room.screen(person)


def test_rescreening_holds_a_record_it_cannot_read_and_goes_on(room):
    people = [
        Person("a", "Ada Lovelace"),
        Person("b", "Bad\x1bName"),
        Person("c", "Marcus Holloway"),
    ]
    results = room.rescreen_all(people)
    assert [(r.ref, r.verdict) for r in results] == [("a", "clear"), ("b", "hold"), ("c", "hold")]
    assert "control characters" in results[1].problem
    assert results[1].hits == ()
    assert results[0].at == results[2].at  # one pass, one time


def test_screening_before_any_list_is_imported_is_refused(tmp_path):
    room = ScreeningRoom(tmp_path)
    with pytest.raises(ScreeningError, match="no sanctions list"):
        room.screen(Person("p", "Ada Lovelace"))
    with pytest.raises(ScreeningError, match="no sanctions list"):
        room.rescreen_all([Person("p", "Ada Lovelace")])
    room.close()


def test_the_record_for_the_cdd_event_carries_no_name_of_the_person(room):
    result = room.screen(Person("p", "Marcus Hollowey", aliases=("Zebedee Quux",)))
    record = result.record()
    assert record["verdict"] == "hold"
    assert record["hits"][0]["entry"] == "36001"
    assert record["hits"][0]["listed_name"] == "HOLLOWAY, Marcus Edward"
    assert {entry["list"] for entry in record["lists"]} == {"eu", "un", "ofac", "pep"}
    text = json.dumps(record, ensure_ascii=False)
    assert "Hollowey" not in text
    assert "Zebedee" not in text


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=80))
def test_any_text_is_screened_or_refused_with_a_reason(room, text):
    """Emoji, combining marks, scripts without a transliteration: a name is either screened
    or refused with ScreeningError, never another exception; its normal form is plain ASCII."""
    assert re.fullmatch(r"[a-z0-9 ]*", normalise(text))
    try:
        result = room.screen(Person("p", text))
    except ScreeningError:
        return
    assert result.verdict in ("clear", "hold")
