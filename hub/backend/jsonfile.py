"""The house's small settings files (`house.json`, `kyc_policy.json`, `aml_rates.json`, …):
read with a size limit and a clear error, written whole or not at all.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def read_json(path: Path, limit: int, error: type[Exception]) -> object | None:
    """The JSON in `path`, or None when there is no such file. A file over `limit` bytes or
    not JSON raises `error` naming the file (a settings file is never trusted to be small)."""
    if not path.exists():
        return None
    if path.stat().st_size > limit:
        raise error(f"{path.name} is larger than {limit // 1024} kB")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path.name} is not JSON: {exc}") from None


def write_json(path: Path, data: object, indent: int | None = None) -> None:
    """Replace `path` with `data` atomically: a `.part` file, flushed to disk, then renamed,
    so a crash leaves the old file or the new one, never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with partial.open("w", encoding="utf-8") as f:
        json.dump(data, f, indent=indent, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    partial.replace(path)
