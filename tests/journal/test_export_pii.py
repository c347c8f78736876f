"""`auctionmen journal export` for an inspector: the clerk sheet and settlements carry the
buyers' and consignors' names and addresses (identities file), `--no-pii` leaves every bit of
personal data out, and bad files get a clear message."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from app import cli
from hub.backend.identities import IdentityStore
from tests.backend.test_retention import ADA, ADA_PII, CONSIGNOR, CONSIGNOR_PII, build_house


@pytest.fixture
async def house(tmp_path: Path) -> Path:
    return await build_house(tmp_path)


def export(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["journal", "export", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()))


async def test_the_sheets_name_buyers_and_consignors(
    house: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "inspector"
    code, printed, err = export(capsys, str(house / "sales" / "spring.db"), "--out", str(out))
    assert code == 0, err
    assert "clerk_sheet.csv" in printed
    assert "personal data: names and addresses" in printed
    lots = {row["lot"]: row for row in _csv(out / "clerk_sheet.csv")}
    assert lots["1"]["buyer"] == "101"
    assert lots["1"]["hammer"] == "1000"  # major units, as the accounting exports
    assert lots["1"]["buyer_name"] == ADA["name"]
    assert lots["1"]["buyer_address"] == ADA["address"]
    assert lots["2"]["buyer"] == ""  # not sold
    (c1,) = _csv(out / "settlements.csv")
    assert (c1["consignor"], c1["name"]) == ("C-1", CONSIGNOR["name"])
    assert c1["address"] == CONSIGNOR["address"]
    body = json.loads((out / "clerk_sheet.json").read_text(encoding="utf-8"))
    assert body["personal_data"] is True
    assert body["rows"][0]["hammer"] == 100_000  # minor units in JSON
    assert (out / "events.csv").is_file()  # the journal export itself is still there


async def test_no_pii_leaves_every_personal_detail_out(
    house: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "inspector"
    db = str(house / "sales" / "spring.db")
    code, printed, _ = export(capsys, db, "--out", str(out), "--no-pii")
    assert code == 0
    assert "left out (--no-pii)" in printed
    text = _all_text(out)
    assert [n for n in ADA_PII + CONSIGNOR_PII if n.lower() in text.lower()] == []
    assert "101" in text  # the paddle is still there
    assert "buyer_name" not in _csv(out / "clerk_sheet.csv")[0]


async def test_an_erased_buyer_shows_as_erased(
    house: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = IdentityStore(house / "identities.db")
    people.erase("spring", "101")
    people.close()
    out = tmp_path / "inspector"
    code, _, _ = export(capsys, str(house / "sales" / "spring.db"), "--out", str(out))
    assert code == 0
    lots = {row["lot"]: row for row in _csv(out / "clerk_sheet.csv")}
    assert lots["1"]["buyer_name"] == "erased"
    assert lots["1"]["buyer_address"] == ""


async def test_a_hostile_name_is_not_a_spreadsheet_formula(
    house: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = IdentityStore(house / "identities.db")
    people.update("spring", "101", {"name": '=HYPERLINK("http://evil.example","x")'})
    people.close()
    out = tmp_path / "inspector"
    code, _, _ = export(capsys, str(house / "sales" / "spring.db"), "--out", str(out))
    assert code == 0
    name = {row["lot"]: row for row in _csv(out / "clerk_sheet.csv")}["1"]["buyer_name"]
    assert not name.startswith("=")
    assert "HYPERLINK" in name


async def test_a_journal_without_an_identities_file_exports_paddles(
    house: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "spring.db").write_bytes((house / "sales" / "spring.db").read_bytes())
    code, _, err = export(capsys, str(alone / "spring.db"), "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert _csv(tmp_path / "o" / "clerk_sheet.csv")[0]["buyer_name"] == ""


async def test_bad_files_get_a_clear_message(
    house: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    code, _, err = export(capsys, str(junk), "--out", str(tmp_path / "o"))
    assert code == 1
    assert "journal:" in err
    (house / "identities.db").write_bytes(b"garbage" * 1000)
    for side in ("identities.db-wal", "identities.db-shm"):
        (house / side).unlink(missing_ok=True)
    code, _, err = export(capsys, str(house / "sales" / "spring.db"), "--out", str(tmp_path / "p"))
    assert code == 1
    assert "not a readable identities file" in err
    code, _, err = export(capsys, str(house / "sales" / "spring.db"))
    assert code == 2
    assert "--out" in err
