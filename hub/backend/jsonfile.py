"""The house's small settings files (`house.json`, `kyc_policy.json`, `aml_rates.json`, …):
read with a size limit and a clear error, written whole or not at all.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def read_json(path: Path, limit: int, error: type[Exception]) -> object | None:
    """The JSON in `path`, or None when there is no such file. A file over `limit` bytes, one
    that cannot be read or is not JSON raises `error` naming the file (a settings file is never
    trusted to be small)."""
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise error(f"{path} cannot be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise error(f"{path.name} is larger than {limit // 1024} kB")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path.name} is not JSON: {exc}") from None


def write_json(
    path: Path, data: object, indent: int | None = None, sort_keys: bool = False
) -> None:
    """Replace `path` with `data` atomically: a temporary file of its own (two writers never
    share one), flushed to disk, then renamed, so a crash leaves the old file or the new one,
    never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=indent, ensure_ascii=False, sort_keys=sort_keys)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
