"""How many calls a bulk run keeps in flight, and how long a throttled request waits.

The limit follows AIMD, as TCP's congestion window and Netflix's ``AIMDLimit`` do:

* a throttling answer cuts the limit to ``DECREASE`` x its value (and by one call at
  least), at most once per round: only a call started after the last cut cuts again;
  each further throttle of a call started before it takes ``OVERSHOOT_STEP`` (half a
  call) off, so a run far above the endpoint's capacity (started at 128 against 32:
  96 throttles in the first round) comes down in a few rounds, not a dozen;
* a success while the limit is in use (the calls in flight reach it) adds
  ``1 / limit``, so the limit grows by about one per round trip, never past the
  maximum the caller gave;
* within one call of the level where the last throttle came (the ``ceiling``) it grows
  ``PROBE_ROUNDS`` times slower, as CUBIC lingers near its last maximum: an endpoint
  that takes 4 calls is probed with a fifth every few dozen calls, not every few;
  past the ceiling (the endpoint scaled out) the ceiling is forgotten.

A cut of 0.9 (not TCP's 0.5) keeps the sawtooth close to the endpoint's capacity: the
throughput of a run hovers between 90% and 100% of what the endpoint sustains.
"""

from __future__ import annotations

import math
import random

__all__ = ["THROTTLE_BACKOFF_BASE", "TRANSIENT_BACKOFF_BASE", "ConcurrencyLimit", "retry_backoff"]

DECREASE = 0.9
OVERSHOOT_STEP = 0.5
PROBE_ROUNDS = 8
#: First wait after a throttling answer: short, since the limit was cut already.
THROTTLE_BACKOFF_BASE = 0.05
#: First wait after a transient error (about the client's own first wait).
TRANSIENT_BACKOFF_BASE = 0.5
BACKOFF_CAP = 20.0


class ConcurrencyLimit:
    """The number of calls allowed in flight: fixed, or adaptive (AIMD)."""

    __slots__ = ("adaptive", "ceiling", "epoch", "maximum", "value")

    def __init__(self, maximum: int, *, adaptive: bool) -> None:
        self.maximum = maximum
        self.adaptive = adaptive
        self.value = float(maximum)
        self.epoch = 0
        """Incremented by every cut; a call remembers the epoch it started in."""
        self.ceiling = math.inf
        """The limit when the last throttle came."""

    @property
    def current(self) -> int:
        """Calls allowed in flight now (at least one)."""
        return max(1, int(self.value))

    def succeeded(self, in_flight: int) -> None:
        """A call succeeded; ``in_flight`` calls are still running."""
        if not self.adaptive or self.value >= self.maximum or in_flight + 1 < self.current:
            return
        step = 1.0 / self.value
        if abs(self.value - self.ceiling) < 1.0:
            step /= PROBE_ROUNDS
        elif self.value > self.ceiling:
            self.ceiling = math.inf
        self.value = min(float(self.maximum), self.value + step)

    def throttled(self, started_epoch: int) -> None:
        """A call started in ``started_epoch`` was throttled."""
        if not self.adaptive:
            return
        if started_epoch == self.epoch:
            current = self.current
            self.ceiling = float(current)
            self.value = max(1.0, min(self.value * DECREASE, current - 1.0))
            self.epoch += 1
        else:
            self.value = max(1.0, self.value - OVERSHOOT_STEP)


def retry_backoff(times: int, base: float, rand: float | None = None) -> float:
    """Seconds a request that failed ``times`` times in a row waits before it is sent
    again: between half and all of ``min(base * 2 ** (times - 1), 20)`` (equal jitter:
    retries spread out, yet each waits at least half its share)."""
    ceiling = min(base * 2.0 ** (times - 1), BACKOFF_CAP)
    fraction = random.random() if rand is None else rand
    return ceiling * (0.5 + 0.5 * fraction)
