"""Does this strike hammer the lot? Pure: the caller passes the lot's state and the setting.

A strike hammers only when the lot is *armed* (reliability.md §2.3): ``arm_on="bid"`` arms an
open lot that has a high bid, and any lot in fair warning; ``arm_on="fair_warning"`` arms only
fair warning (the auctioneer must say "fair warning" first). "At most one hammer per lot state"
follows: the hammer moves the lot out of open/fair_warning, so the next strike is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ArmOn(StrEnum):
    BID = "bid"
    FAIR_WARNING = "fair_warning"


class Reason(StrEnum):
    ARMED_FAIR_WARNING = "armed_fair_warning"
    ARMED_OPEN_WITH_BID = "armed_open_with_bid"
    NO_BID = "no_bid"  # open or fair warning with nothing to sell: use Pass instead
    NEEDS_FAIR_WARNING = "needs_fair_warning"  # arm_on=fair_warning and the lot is only open
    NOT_LIVE = "lot_not_live"  # sold, passed, withdrawn, paused, pending, no lot...
    TEST_MODE = "test_mode"
    STUCK = "gavel_stuck"


@dataclass(frozen=True, slots=True)
class ArmDecision:
    hammer: bool
    reason: Reason

    def __bool__(self) -> bool:
        return self.hammer


def decide_strike(
    status: str | None,
    has_bid: bool,
    arm_on: str | ArmOn = ArmOn.BID,
    *,
    test: bool = False,
    stuck: bool = False,
) -> ArmDecision:
    """``status`` is the lot status ("open", "fair_warning", anything else is not live)."""
    arm = ArmOn(arm_on)  # ValueError on a bad setting: better loud than a silent non-hammer
    if test:
        return ArmDecision(False, Reason.TEST_MODE)
    if stuck:
        return ArmDecision(False, Reason.STUCK)
    if status == "fair_warning":
        if not has_bid:
            return ArmDecision(False, Reason.NO_BID)
        return ArmDecision(True, Reason.ARMED_FAIR_WARNING)
    if status == "open":
        if arm is ArmOn.FAIR_WARNING:
            return ArmDecision(False, Reason.NEEDS_FAIR_WARNING)
        if not has_bid:
            return ArmDecision(False, Reason.NO_BID)
        return ArmDecision(True, Reason.ARMED_OPEN_WITH_BID)
    return ArmDecision(False, Reason.NOT_LIVE)
