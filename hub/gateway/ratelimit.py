"""Token buckets per caller: a bidder's burst of clicks must not crowd the sequencer."""

from __future__ import annotations

from collections import OrderedDict


class RateLimiter:
    """`allow(key, now)` spends one token; buckets refill at `rate`/s up to `burst`.

    Time is passed in so tests are deterministic. Keeps at most `max_keys` buckets (the
    least recently used are forgotten) so hostile keys cannot grow memory.
    """

    def __init__(self, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str, now: float) -> bool:
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` has a token again (0 if it has one now): a refusal's
        Retry-After, so a page can say the real wait."""
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        return 0.0 if tokens >= 1.0 or self.rate <= 0 else (1.0 - tokens) / self.rate


class Limits:
    """The stage's buckets: bids per bidder, pairing and sign-ups per client address."""

    def __init__(self, bid_rate: float) -> None:
        self.bids = RateLimiter(bid_rate, bid_rate * 2)
        self.pairing = RateLimiter(0.2, 5)  # a 6-digit PIN: a handful of guesses a minute
        self.registration = RateLimiter(0.5, 5)
