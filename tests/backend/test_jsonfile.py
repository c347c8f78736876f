"""The settings files' reader and writer (hub/backend/jsonfile.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.backend.jsonfile import read_json, write_json


class Bad(ValueError):
    pass


def test_a_missing_file_is_none(tmp_path: Path) -> None:
    assert read_json(tmp_path / "none.json", 1024, Bad) is None


def test_written_whole_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "house.json"
    write_json(path, {"name": "Hôtel des Ventes", "n": 1}, indent=1)
    assert read_json(path, 1024, Bad) == {"name": "Hôtel des Ventes", "n": 1}
    assert sorted(p.name for p in path.parent.iterdir()) == ["house.json"]  # no .part left
    write_json(path, [1, 2])
    assert read_json(path, 1024, Bad) == [1, 2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "x.json is not JSON"),
        (b"\xff\xfe{}", "x.json is not JSON"),
        (b"[" + b"1," * 600 + b"1]", "x.json is larger than 1 kB"),
    ],
)
def test_bad_files_raise_the_given_error_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(Bad, match=message):
        read_json(path, 1024, Bad)
