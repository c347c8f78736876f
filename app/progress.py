"""Sale progress: lots per hour, ETA, total hammer. Pure functions over lot states."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hub.backend.results import hammer_amount as hammer_amount

DONE = ("sold", "passed", "withdrawn")
MIN_PACE_SECONDS = 60.0  # below a minute of selling, a pace is noise


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    sold: int
    passed: int
    withdrawn: int
    remaining: int
    total_hammer: int
    lots_per_hour: float | None
    eta_seconds: float | None

    @property
    def done(self) -> int:
        return self.sold + self.passed + self.withdrawn

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def sell_through(self) -> float | None:
        """Sold lots over lots offered (sold + passed)."""
        offered = self.sold + self.passed
        return self.sold / offered if offered else None


def compute_progress(
    lots: Iterable[Mapping[str, Any]], started_at: float | None, now: float
) -> Progress:
    """Progress of a sale.

    Args:
        lots: lot states with at least `status` (and `hammer` for sold lots).
        started_at: wall-clock time the first lot opened, None before.
        now: the current wall-clock time.

    Return:
        counts, the hammer total, the pace in lots per hour (over the time since the first lot
        opened, once a lot is done and a minute has passed) and the estimated seconds to the end.
    """
    items = list(lots)
    sold = sum(1 for lot in items if lot.get("status") == "sold")
    passed = sum(1 for lot in items if lot.get("status") == "passed")
    withdrawn = sum(1 for lot in items if lot.get("status") == "withdrawn")
    remaining = len(items) - sold - passed - withdrawn
    total = sum(hammer_amount(lot) or 0 for lot in items)
    rate: float | None = None
    eta: float | None = None
    offered = sold + passed
    if started_at is not None and offered and now - started_at >= MIN_PACE_SECONDS:
        rate = offered * 3600.0 / (now - started_at)
        eta = remaining * 3600.0 / rate if rate > 0 else None
    if remaining == 0 and items:
        eta = 0.0
    return Progress(len(items), sold, passed, withdrawn, remaining, total, rate, eta)
