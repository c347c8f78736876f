"""`auctionmen retention report|erase|hold` on a real data dir (the retention tests' house)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import cli
from hub.backend.identities import IdentityStore
from tests.backend.test_retention import ADA, ADA_PII, _found, build_house, ts

TODAY = ts("2032-02-01")


@pytest.fixture
async def house(tmp_path: Path) -> Path:
    return await build_house(tmp_path)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_retention_clock", lambda: TODAY)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_report_lists_who_and_why(house: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "retention", "report", "--data-dir", str(house))
    assert code == 0
    assert "erase  bidder    cu-1" in out
    assert "spring/101, autumn/101" in out
    assert "2 to erase, 0 on legal hold, 1 kept, 0 already erased" in out
    code, out, _ = run(capsys, "retention", "report", "--data-dir", str(house), "--json")
    entries = {e["key"]: e["verdict"] for e in json.loads(out)}
    assert entries == {"cu-1": "erase", "cu-2": "keep", "C-1": "erase"}
    # As of an earlier day nobody is due yet.
    code, out, _ = run(
        capsys, "retention", "report", "--data-dir", str(house), "--as-of", "2030-01-01"
    )
    assert "0 to erase" in out


async def test_erase_needs_yes_then_erases(house: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ("retention", "erase", "--data-dir", str(house), "--as-of", "2032-01-01")
    code, _, err = run(capsys, *base)
    assert code == 2
    assert "--yes" in err
    assert _found(house, ADA_PII)
    code, _, err = run(capsys, "retention", "hold", "bidder", "cu-1", "--data-dir", str(house),
                       "--reason", "tax audit 2031")  # fmt: skip
    assert code == 0
    code, out, err = run(capsys, *base, "--yes")
    if code == 1:  # the core does not journal erase_identity yet (P1): refused, nothing wiped
        assert "erase_identity" in err
    else:
        assert code == 0
        assert "erased consignor C-1" in out
        assert "cu-1" not in out  # on legal hold
    people = IdentityStore(house / "identities.db")
    row = people.get("spring", "101")
    people.close()
    assert row is not None
    assert row["name"] == ADA["name"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("erase", "--as-of", "2032-02-30", "--yes"), "--as-of must be a date"),
        (("erase", "--as-of", "2040-01-01", "--yes"), "is in the future"),
        (("report", "--as-of", "soon"), "--as-of must be a date"),
        (("report", "--years", "0"), "--years must be between 1 and 100"),
        (("hold", "bidder", "cu-1", "--reason", "x" * 300), "reason"),
        (("hold", "bidder", "cu-1", "--reason", "bad\x1bescape"), "reason"),
    ],
)
async def test_bad_input_is_refused_with_a_reason(
    house: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    before = _found(house, ADA_PII)
    code, _, err = run(capsys, "retention", *argv, "--data-dir", str(house))
    assert code in (1, 2)
    assert message in err
    assert _found(house, ADA_PII) == before


def test_a_data_dir_without_people_reports_nobody(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "retention", "report", "--data-dir", str(tmp_path))
    assert code == 0
    assert "0 to erase, 0 on legal hold, 0 kept, 0 already erased" in out
