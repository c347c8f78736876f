"""Increment ladders: how far the ask moves above the current bid."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class LadderError(ValueError):
    """A ladder table that cannot be used (empty, unsorted, non-positive step)."""


@dataclass(frozen=True, slots=True)
class Ladder:
    """Rows of (from amount, increment), amounts in minor units, sorted by `from`.

    The increment that applies to a bid is the one of the last row whose `from` is at or
    below it: with rows (0, 500), (10_000, 1_000) a bid of 10_000 moves the ask to 11_000.
    """

    rows: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        if not self.rows:
            raise LadderError("a ladder needs at least one row")
        if self.rows[0][0] != 0:
            raise LadderError("a ladder's first row must start at 0")
        previous = -1
        for start, step in self.rows:
            if start <= previous:
                raise LadderError(f"ladder rows must be strictly increasing (at {start})")
            if step <= 0:
                raise LadderError(f"ladder increment must be positive (at {start})")
            previous = start

    @classmethod
    def of(cls, rows: Iterable[Sequence[int]]) -> Ladder:
        return cls(tuple((int(r[0]), int(r[1])) for r in rows))

    def increment(self, amount: int) -> int:
        step = self.rows[0][1]
        for start, row_step in self.rows:
            if start > amount:
                break
            step = row_step
        return step

    def next_ask(self, amount: int) -> int:
        return amount + self.increment(amount)

    def to_json(self) -> list[list[int]]:
        return [[start, step] for start, step in self.rows]

    @classmethod
    def from_csv(cls, text: str) -> Ladder:
        """Parse `from,increment` rows (a header line is allowed), amounts in minor units."""
        rows: list[tuple[int, int]] = []
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            if not row or not "".join(row).strip():
                continue
            if number == 1 and not row[0].strip().lstrip("-").isdigit():
                continue  # header
            if len(row) != 2:
                raise LadderError(f"line {number}: expected 2 columns, got {len(row)}")
            try:
                rows.append((int(row[0]), int(row[1])))
            except ValueError as exc:
                raise LadderError(f"line {number}: not a whole number") from exc
        return cls(tuple(rows))


# The ladder most European and US houses publish, in minor units (cents).
STANDARD = Ladder.of(
    [
        (0, 500),
        (5_000, 1_000),
        (20_000, 2_000),
        (50_000, 5_000),
        (100_000, 10_000),
        (200_000, 20_000),
        (500_000, 50_000),
        (1_000_000, 100_000),
        (2_000_000, 200_000),
        (5_000_000, 500_000),
        (10_000_000, 1_000_000),
    ]
)
