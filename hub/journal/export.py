"""Export every event with its hash, in CSV and/or JSON, for an inspector.

The files carry enough to re-check the chain without Auctionmen: each row's `hash` is
sha256(prev_hash + canonical JSON of {seq, epoch, at, type, lot, actor, key, audience,
bidders, data}) with sorted keys, no spaces, UTF-8; `prev_hash` of seq 1 is 64 zeros.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from hub.auction.events import canonical_json
from hub.journal.db import connect_reader
from hub.journal.migrations import GENESIS
from hub.journal.records import COLUMNS, SELECT_COLUMNS, Record
from hub.journal.verify import chain_head

HASH_RULE = (
    "hash = sha256_hex(prev_hash + canonical_json({seq, epoch, at, type, lot, actor, key, "
    "audience, bidders, data})); canonical_json: sorted keys, separators ',' and ':', UTF-8, "
    f"non-ASCII unescaped; prev_hash of seq 1 = {GENESIS}"
)


def export(
    path: str | os.PathLike[str], out_dir: str | os.PathLike[str], fmt: str = "both"
) -> list[Path]:
    """Write events.csv and/or events.json (+ chain_head.json) into `out_dir`; the paths."""
    if fmt not in ("csv", "json", "both"):
        raise ValueError("format is csv, json or both")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    conn = connect_reader(path)
    written: list[Path] = []
    try:
        # One read transaction: the export is a consistent cut even while the sale runs.
        conn.execute("BEGIN")
        last_seq, head = chain_head(conn)
        meta = {
            "journal": str(Path(path).name),
            "events": last_seq,
            "head": head,
            "genesis": GENESIS,
            "hash_rule": HASH_RULE,
        }
        cursor = conn.execute(f"SELECT {SELECT_COLUMNS} FROM events ORDER BY seq")
        csv_file = json_file = None
        try:
            if fmt in ("csv", "both"):
                csv_path = out / "events.csv"
                csv_file = csv_path.open("w", newline="", encoding="utf-8")
                writer = csv.writer(csv_file)
                writer.writerow(COLUMNS)
                written.append(csv_path)
            if fmt in ("json", "both"):
                json_path = out / "events.json"
                json_file = json_path.open("w", encoding="utf-8")
                json_file.write(canonical_json(meta)[:-1] + ',"records":[\n')
                written.append(json_path)
            first = True
            for row in cursor:
                if csv_file is not None:
                    writer.writerow(row)  # JSON columns as stored: canonical text
                if json_file is not None:
                    record = Record.from_row(row).to_json()
                    json_file.write(("" if first else ",\n") + canonical_json(record))
                first = False
            if json_file is not None:
                json_file.write("\n]}\n")
        finally:
            for f in (csv_file, json_file):
                if f is not None:
                    f.close()
        conn.execute("COMMIT")
    finally:
        conn.close()
    head_path = out / "chain_head.json"
    head_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    written.append(head_path)
    return written
