"""Importing the sanctions lists: the three formats, the store, and files that must be refused
whole (hostile, malformed, oversized, duplicated), leaving the previous list in place."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hub.backend import screening
from hub.backend.sanctions import MAX_BYTES, ScreeningError, read_list
from hub.backend.screening import Person, ScreeningRoom, ScreeningStore, import_list

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sanctions"
EU = FIXTURES / "eu_fsf_1_1.xml"
UN = FIXTURES / "un_consolidated.xml"
SDN = FIXTURES / "sdn.csv"
ALT = FIXTURES / "alt.csv"
PEP = FIXTURES / "pep_targets.simple.csv"


@pytest.fixture
def room(tmp_path: Path) -> Iterator[ScreeningRoom]:
    ticks = iter(range(1_800_000_000, 1_900_000_000))
    room = ScreeningRoom(tmp_path, clock=lambda: float(next(ticks)))
    yield room
    room.close()


def _rows(data_dir: Path) -> list[tuple]:
    conn = sqlite3.connect(data_dir / "screening.db")
    try:
        return conn.execute("SELECT * FROM entries ORDER BY list, entry_id").fetchall()
    finally:
        conn.close()


# --- the three formats ---------------------------------------------------------------------


def test_the_eu_file_is_read_with_names_aliases_and_dates():
    parsed = read_list(EU, "eu")
    assert parsed.format == "EU Financial Sanctions Files XML 1.1"
    entries = {e.entry_id: e for e in parsed.entries}
    assert list(entries) == ["900101", "900102", "900103", "900104", "900105"]
    viktor = entries["900101"]
    assert viktor.kind == "person"
    assert viktor.names == ("Viktor Andreyevich KRAVCHENKO", "Виктор Андреевич Кравченко")
    assert [str(b) for b in viktor.births] == ["1968-03-14"]
    assert viktor.countries == ("RU",)
    assert viktor.reference == "EU.9001.01"
    assert [str(b) for b in entries["900102"].births] == ["1980"]  # year only, "0" day/month
    assert entries["900102"].countries == ()  # "00" is no country
    assert [str(b) for b in entries["900103"].births] == ["1955–1957"]
    assert entries["900103"].births[0].circa
    assert entries["900104"].kind == "entity"


def test_the_un_file_is_read_with_original_script_aliases_and_dates():
    parsed = read_list(UN, "un")
    entries = {e.entry_id: e for e in parsed.entries}
    hakimi = entries["9100001"]
    assert hakimi.names == (
        "ABDUL RAHMAN YUSUF AL-HAKIMI",
        "عبد الرحمن يوسف الحكيمي",
        "Abu Yusuf al-Hakimi",
        "Abu Yusuf",
    )
    assert [str(b) for b in hakimi.births] == ["1971-05-09", "c. 1970"]
    assert hakimi.reference == "TSi.001"
    assert entries["9100002"].names == ("PAK YONG CHOL",)  # an empty alias is no name
    assert [str(b) for b in entries["9100002"].births] == ["1960–1962"]
    assert entries["9200001"].kind == "entity"
    assert entries["9200001"].names == ("CRESCENT MARITIME SERVICES COMPANY", "Crescent Maritime")


def test_a_un_date_with_a_time_is_read(tmp_path):
    path = tmp_path / "un.xml"
    path.write_text(
        "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>"
        "<FIRST_NAME>A</FIRST_NAME><INDIVIDUAL_DATE_OF_BIRTH><DATE>1957-03-10T00:00:00</DATE>"
        "</INDIVIDUAL_DATE_OF_BIRTH></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    assert [str(b) for b in read_list(path, "un").entries[0].births] == ["1957-03-10"]


def test_the_ofac_csv_is_read_with_its_aliases_and_the_dates_in_remarks():
    parsed = read_list(SDN, "ofac", alt=ALT)
    entries = {e.entry_id: e for e in parsed.entries}
    assert entries["36001"].names == ("HOLLOWAY, Marcus Edward", "HOLLOWAY, Mark")
    assert [str(b) for b in entries["36001"].births] == ["1966-02-22"]
    assert [str(b) for b in entries["36002"].births] == ["c. 1972", "1973"]
    assert entries["36003"].kind == "entity"  # OFAC's -0- type
    assert entries["36004"].kind == "vessel"
    assert entries["36005"].names == ("NAKAMURA, Kenji",)
    # without alt.csv the aliases are simply not there, and the hash differs
    alone = read_list(SDN, "ofac")
    assert {e.entry_id: e.names for e in alone.entries}["36001"] == ("HOLLOWAY, Marcus Edward",)
    assert alone.sha256 != parsed.sha256


def test_a_pep_list_in_opensanctions_simple_csv_is_read():
    parsed = read_list(PEP, "pep")
    assert parsed.format == "OpenSanctions targets.simple.csv"
    entries = {e.entry_id: e for e in parsed.entries}
    assert entries["fx-pep-001"].names == (
        "Ludmila Hrabalová",
        "Ludmila Hrabalova",
        "Людмила Грабалова",
    )
    assert [str(b) for b in entries["fx-pep-001"].births] == ["1962-04-18"]
    assert [str(b) for b in entries["fx-pep-002"].births] == ["1958", "1959"]
    assert entries["fx-pep-001"].countries == ("cz",)
    assert entries["fx-pep-001"].reference == "test_peps"
    kinds = {key: entry.kind for key, entry in entries.items()}
    assert kinds == {
        "fx-pep-001": "person",
        "fx-pep-002": "person",
        "fx-pep-003": "entity",  # PublicBody
        "fx-pep-004": "other",  # an Address: never screened against
    }


def _pep_lines() -> list[str]:
    return PEP.read_text("utf-8").splitlines()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda: "name,aliases\nA B,\n", "the header has no id, schema column"),
        (lambda: SDN.read_bytes().decode("utf-8"), "the header has no id, schema, name column"),
        (lambda: _pep_lines()[0] + "\n", "no entries"),
        (lambda: "\n".join([*_pep_lines(), "x,Person,A B"]), "line 6: 3 fields, expected 16"),
        (lambda: PEP.read_text("utf-8").replace("1962-04-18", "18/04/1962"), "is not a date"),
        (lambda: PEP.read_text("utf-8").replace("Ludmila Hrabalová,", "Lud\x07mila,"), "control"),
        (lambda: "\n".join([*_pep_lines(), _pep_lines()[1]]), "'fx-pep-001' appears twice"),
        (lambda: PEP.read_text("utf-8").replace("fx-pep-002,", ","), "without a usable id"),
        (lambda: PEP.read_text("utf-8")[: PEP.read_text("utf-8").index(",cz,")], "5 fields"),
    ],
)
def test_a_malformed_pep_list_is_refused(room, tmp_path, content, message):
    room.import_list(PEP, "pep")
    before = (room.lists(), _rows(tmp_path))
    path = tmp_path / "targets.simple.csv"
    path.write_text(content(), "utf-8")
    with pytest.raises(ScreeningError, match=message):
        room.import_list(path, "pep")
    assert (room.lists(), _rows(tmp_path)) == before


def test_import_stores_the_list_with_its_source_hash_time_and_count(room, tmp_path):
    steps: list[tuple[str, int, int]] = []
    info = room.import_list(EU, "eu", progress=lambda *step: steps.append(step))
    assert (info.name, info.source, info.entry_count) == ("eu", "eu_fsf_1_1.xml", 5)
    assert info.imported_at == 1_800_000_000.0
    assert len(info.sha256) == 64
    assert room.lists() == (info,)
    assert steps[-1] == ("done", 5, 5)
    assert ("store", 5, 5) in steps
    assert any(phase == "read" for phase, _d, _t in steps)
    rows = _rows(tmp_path)
    assert len(rows) == 5
    assert json.loads(rows[0][4])[1] == "Виктор Андреевич Кравченко"  # UTF-8 kept


def test_import_list_is_a_function_the_cli_can_call(tmp_path):
    info = import_list(tmp_path, SDN, "ofac", alt=ALT)
    assert (info.name, info.entry_count) == ("ofac", 5)
    assert (tmp_path / "screening.db").is_file()
    room = ScreeningRoom(tmp_path)  # a later process sees it
    assert room.screen(Person("p", "Mark Holloway")).verdict == "hold"
    room.close()


def test_the_store_is_migrated_once_by_name(tmp_path):
    ScreeningStore(tmp_path / "screening.db").close()
    store = ScreeningStore(tmp_path / "screening.db")
    names = [r[0] for r in store.db.execute("SELECT name FROM _sqlite_migrations").fetchall()]
    assert names == ["m001_lists"]
    store.close()


def test_a_store_another_process_migrated_at_the_same_moment_opens(tmp_path, monkeypatch):
    real = screening.migrations.apply

    def raced(db):
        real(db)  # the other process's migration lands first ...
        raise sqlite3.OperationalError("table lists already exists")  # ... ours then fails

    monkeypatch.setattr(screening.migrations, "apply", raced)
    ScreeningStore(tmp_path / "screening.db").close()  # done is done

    def broken(db):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(screening.migrations, "apply", broken)
    with pytest.raises(ScreeningError, match="disk I/O error"):
        ScreeningStore(tmp_path / "other.db")


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / "screening.db").write_bytes(b"not a database" * 100)
    with pytest.raises(ScreeningError, match="cannot open the screening store"):
        ScreeningRoom(tmp_path)


# --- re-import -----------------------------------------------------------------------------


def test_reimporting_replaces_the_list_and_keeps_the_others(room, tmp_path):
    room.import_list(EU, "eu")
    room.import_list(SDN, "ofac", alt=ALT)
    assert room.screen(Person("p", "Elena Zhukova")).verdict == "hold"
    smaller = tmp_path / "eu_new.xml"
    text = EU.read_text("utf-8")
    start = text.index(
        '<sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.9001.02"'
    )
    end = text.index("</sanctionEntity>", start) + len("</sanctionEntity>")
    smaller.write_text(text[:start] + text[end:], "utf-8")
    info = room.import_list(smaller, "eu")
    assert (info.entry_count, info.source) == (4, "eu_new.xml")
    assert room.screen(Person("p", "Elena Zhukova")).verdict == "clear"  # delisted
    assert room.screen(Person("p", "Marcus Holloway")).verdict == "hold"  # OFAC untouched
    assert [i.name for i in room.lists()] == ["eu", "ofac"]


def test_the_same_file_twice_is_the_same_list(room, tmp_path):
    first = room.import_list(UN, "un")
    rows = _rows(tmp_path)
    second = room.import_list(UN, "un")
    assert second.sha256 == first.sha256
    assert second.imported_at > first.imported_at
    assert _rows(tmp_path) == rows


def test_another_room_sees_a_new_list_at_its_next_screening(room, tmp_path):
    room.import_list(UN, "un")
    assert room.screen(Person("p", "Marcus Holloway")).verdict == "clear"
    import_list(tmp_path, SDN, "ofac")  # another process, say the CLI
    assert room.screen(Person("p", "Marcus Holloway")).verdict == "hold"


def test_two_rooms_importing_at_once_both_land_whole(tmp_path):
    """One writer at a time: SQLite's write lock (BEGIN IMMEDIATE, busy timeout) queues the
    second import; neither list is lost or mixed."""
    rooms = [ScreeningRoom(tmp_path), ScreeningRoom(tmp_path)]
    jobs = [(EU, "eu", None), (SDN, "ofac", ALT)]
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(room.import_list, path, kind, alt=alt)
            for room, (path, kind, alt) in zip(rooms, jobs, strict=True)
        ]
        infos = [future.result() for future in futures]
    assert sorted((i.name, i.entry_count) for i in infos) == [("eu", 5), ("ofac", 5)]
    assert {i.name for i in rooms[0].lists()} == {"eu", "ofac"}
    assert len(_rows(tmp_path)) == 10
    for room in rooms:
        room.close()


def test_a_bad_file_leaves_the_old_list(room, tmp_path):
    old = room.import_list(EU, "eu")
    rows = _rows(tmp_path)
    broken = tmp_path / "broken.xml"
    broken.write_bytes(EU.read_bytes()[:3000])  # truncated mid-entry
    with pytest.raises(ScreeningError, match="not well-formed"):
        room.import_list(broken, "eu")
    assert room.lists() == (old,)
    assert _rows(tmp_path) == rows
    assert room.screen(Person("p", "Viktor Kravchenko")).verdict == "hold"


def test_a_failure_while_writing_rolls_the_whole_list_back(room, tmp_path, monkeypatch):
    old = room.import_list(EU, "eu")
    rows = _rows(tmp_path)
    real = ScreeningStore._batches

    def failing(parsed, size=1000):
        for batch in real(parsed, size=2):  # several batches: fail after the first is written
            yield batch
            raise OSError("disk full")

    monkeypatch.setattr(ScreeningStore, "_batches", staticmethod(failing))
    other = EU.read_text("utf-8").replace("KRAVCHENKO", "KRAVCHUK")
    (tmp_path / "other.xml").write_text(other, "utf-8")
    with pytest.raises(OSError, match="disk full"):
        room.import_list(tmp_path / "other.xml", "eu")
    monkeypatch.undo()
    assert room.lists() == (old,)
    assert _rows(tmp_path) == rows
    # and the store still takes the next import
    assert room.import_list(tmp_path / "other.xml", "eu").entry_count == 5


# --- hostile and malformed files -----------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE export [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<export><sanctionEntity logicalId="1"><subjectType code="person"/>
<nameAlias wholeName="&lol9;"/></sanctionEntity></export>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>
<FIRST_NAME>&secret;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>
"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE export SYSTEM "http://example.invalid/evil.dtd">
<export><sanctionEntity logicalId="1"><nameAlias wholeName="A B"/></sanctionEntity></export>
"""


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        ("eu", BILLION_LAUGHS, r"refused: the XML declares a document type \(DTD\)"),
        ("un", EXTERNAL_ENTITY, "refused: the XML declares"),
        ("eu", EXTERNAL_DTD, "refused: the XML declares"),
        ("eu", "", "not well-formed"),
        ("eu", "<export>", "not well-formed"),
        ("eu", "this is not XML at all", "not well-formed"),
        ("eu", "<export></export>", "no entries"),
        ("eu", UN.read_text("utf-8"), "the document is <CONSOLIDATED_LIST>, not <export>"),
        ("un", EU.read_text("utf-8"), "the document is <export>, not <CONSOLIDATED_LIST>"),
        (
            "eu",
            '<export><sanctionEntity logicalId="1"><nameAlias wholeName="A B"/>'
            '<birthdate birthdate="1968-13-45"/></sanctionEntity></export>',
            "is not a date",
        ),
        (
            "eu",
            '<export><sanctionEntity logicalId="1"><nameAlias wholeName="A&#x202E;B"/>'
            "</sanctionEntity></export>",
            "direction override",
        ),
        (
            "eu",
            '<export><sanctionEntity logicalId="1"><nameAlias wholeName="A"/></sanctionEntity>'
            '<sanctionEntity logicalId="1"><nameAlias wholeName="B"/></sanctionEntity></export>',
            "entry '1' appears twice",
        ),
        (
            "eu",
            '<export><sanctionEntity logicalId="1"><nameAlias wholeName=""/></sanctionEntity>'
            "</export>",
            "has no name",
        ),
        (
            "eu",
            '<export><sanctionEntity><nameAlias wholeName="A B"/></sanctionEntity></export>',
            "without a usable id",
        ),
        (
            "un",
            "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>"
            "<FIRST_NAME>A</FIRST_NAME><INDIVIDUAL_DATE_OF_BIRTH><YEAR>19x0</YEAR>"
            "</INDIVIDUAL_DATE_OF_BIRTH></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
            "is not a year",
        ),
    ],
)
def test_hostile_and_malformed_xml_is_refused(room, tmp_path, kind, content, message):
    room.import_list(SDN, "ofac")  # something already there, that must stay
    before = (room.lists(), _rows(tmp_path))
    path = tmp_path / f"list.{kind}.xml"
    path.write_text(content, "utf-8")
    with pytest.raises(ScreeningError, match=message) as caught:
        room.import_list(path, kind)
    assert path.name in str(caught.value)
    assert (room.lists(), _rows(tmp_path)) == before


def _sdn_text() -> str:
    """sdn.csv as it is on disk: CRLF lines and the final DOS end-of-file mark."""
    return SDN.read_bytes().decode("utf-8")


def _sdn_lines() -> list[str]:
    return _sdn_text().removesuffix("\x1a").split("\r\n")


@pytest.mark.parametrize(
    ("sdn", "alt", "message"),
    [
        (
            lambda: _sdn_text()[: _sdn_text().index(',"DOB circa')],  # cut between fields
            None,
            r"sdn.csv line 2: 11 fields, expected 12",
        ),
        (
            lambda: _sdn_text()[: _sdn_text().index("DOB 22")],  # cut inside a quoted field
            None,
            r"sdn.csv line 1: not CSV .*unexpected end of data",
        ),
        (
            lambda: _sdn_lines()[0].rsplit(",", 3)[0] + "\r\n",
            None,
            "sdn.csv line 1: 9 fields, expected 12",
        ),
        (lambda: ALT.read_bytes().decode("utf-8"), None, "sdn.csv line 1: 5 fields, expected 12"),
        (lambda: "ent_num,SDN_Name" + ",x" * 10 + "\r\n", None, "'ent_num' is not an ent_num"),
        (lambda: _sdn_text().replace('"vessel"', '"submarine"'), None, "unknown SDN_Type"),
        (lambda: _sdn_text().replace("Marcus Edward", "Marcus\x1b[31m"), None, "control char"),
        (
            lambda: _sdn_text().replace("Marcus", "Mar\x00cus"),
            None,
            r"control characters \(U\+0000",
        ),
        (lambda: "\r\n".join(_sdn_lines() + _sdn_lines()[:1]), None, "'36001' appears twice"),
        (lambda: _sdn_text().replace("\r\n36003", "\r\n\x1a36003"), None, "not an ent_num"),
        (lambda: "", None, "no entries"),
        (lambda: "\x1a", None, "no entries"),
        (lambda: _sdn_text(), lambda: _sdn_text(), "alt.csv line 1: 12 fields, expected 5"),
        (
            lambda: _sdn_text(),
            lambda: '99999,1,"aka","NOBODY, Known","-0- "\r\n',
            "ent_num 99999, which sdn.csv does not list",
        ),
    ],
)
def test_malformed_and_hostile_csv_is_refused(room, tmp_path, sdn, alt, message):
    room.import_list(EU, "eu")
    before = (room.lists(), _rows(tmp_path))
    sdn_path = tmp_path / "sdn.csv"
    sdn_path.write_text(sdn(), "utf-8", newline="")
    alt_path = None
    if alt is not None:
        alt_path = tmp_path / "alt.csv"
        alt_path.write_text(alt(), "utf-8", newline="")
    with pytest.raises(ScreeningError, match=message):
        room.import_list(sdn_path, "ofac", alt=alt_path)
    assert (room.lists(), _rows(tmp_path)) == before


def test_a_windows_1252_csv_is_read(tmp_path):
    """OFAC's older files are not UTF-8: a byte that is not UTF-8 is read as Windows-1252."""
    copy = tmp_path / "sdn.csv"
    copy.write_bytes(SDN.read_bytes().replace(b"Marcus Edward", b"Marc\xe9 Edward"))
    entries = {e.entry_id: e for e in read_list(copy, "ofac").entries}
    assert entries["36001"].names == ("HOLLOWAY, Marcé Edward",)


@pytest.mark.parametrize("kind", ["un", "ofac"])
def test_a_50_mb_file_is_refused_before_it_is_read(room, tmp_path, kind):
    path = tmp_path / "huge"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: no 50 MB written to disk
    with pytest.raises(ScreeningError, match="is more than a list may be"):
        room.import_list(path, kind)
    assert room.lists() == ()


def test_a_50_mb_name_in_an_eu_file_is_refused(room, tmp_path):
    """The EU file may be larger than 50 MB (its limit is MAX_BYTES['eu']); what is in it is
    bounded: no run of more than MAX_RUN bytes without markup (expat would take seconds per
    10 MB of one attribute), and no name longer than MAX_NAME_CHARS."""
    assert MAX_BYTES["eu"] > 50 * 1024 * 1024
    path = tmp_path / "big.xml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write('<export><sanctionEntity logicalId="1"><nameAlias wholeName="')
        handle.write("A" * (50 * 1024 * 1024))
        handle.write('"/></sanctionEntity></export>')
    with pytest.raises(ScreeningError, match="bytes without markup"):
        room.import_list(path, "eu")
    assert room.lists() == ()
    # under the run limit, a long name is still refused by the name's own limit
    path.write_text(
        '<export><sanctionEntity logicalId="1"><nameAlias wholeName="' + "A" * 5000 + '"/>'
        "</sanctionEntity></export>"
    )
    with pytest.raises(ScreeningError, match="must be at most 1000 characters"):
        room.import_list(path, "eu")


def test_a_configured_limit_refuses_a_larger_file(room):
    with pytest.raises(ScreeningError, match="more than a list may be"):
        room.import_list(EU, "eu", max_bytes=1000)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda room, tmp: room.import_list(tmp / "missing.xml", "eu"), "cannot read"),
        (lambda room, tmp: room.import_list(tmp, "eu"), "not a file"),
        (lambda room, tmp: room.import_list(EU, "ofac-xml"), "unknown list kind"),
        (lambda room, tmp: room.import_list(EU, "eu", alt=ALT), "OFAC list only"),
        (lambda room, tmp: room.import_list(SDN, "ofac", alt=tmp / "nope.csv"), "cannot read"),
    ],
)
def test_wrong_paths_and_kinds_are_refused(room, tmp_path, call, message):
    with pytest.raises(ScreeningError, match=message):
        call(room, tmp_path)
    assert room.lists() == ()


def test_too_many_names_for_one_entry_are_refused(room, tmp_path, monkeypatch):
    monkeypatch.setattr("hub.backend.sanctions.MAX_NAMES_PER_ENTRY", 3)
    aliases = "".join(f'<nameAlias wholeName="Name {i}"/>' for i in range(4))
    path = tmp_path / "many.xml"
    path.write_text(f'<export><sanctionEntity logicalId="1">{aliases}</sanctionEntity></export>')
    with pytest.raises(ScreeningError, match="more than 3 names"):
        room.import_list(path, "eu")


def test_too_many_entries_are_refused(room, tmp_path, monkeypatch):
    monkeypatch.setattr("hub.backend.sanctions.MAX_ENTRIES", 3)
    entities = "".join(
        f'<sanctionEntity logicalId="{i}"><nameAlias wholeName="N {i}"/></sanctionEntity>'
        for i in range(5)
    )
    path = tmp_path / "many.xml"
    path.write_text(f"<export>{entities}</export>")
    with pytest.raises(ScreeningError, match="more than 3 entries"):
        room.import_list(path, "eu")
