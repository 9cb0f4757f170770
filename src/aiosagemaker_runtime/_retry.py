"""Retries: what is retried, how long to wait, and how much retrying a client may do.

Standard mode (the default) makes the decisions of botocore's standard mode:

* **transient**: HTTP 500, 502, 503, 504; error codes ``RequestTimeout``,
  ``RequestTimeoutException``, ``PriorRequestNotComplete``, ``InternalError``;
  connection failures (refused, reset, DNS, TLS) and failures while reading a
  non-streaming body (botocore surfaces those raw; we retry them);
* **timeouts**: connect and read timeouts before a response was handed over;
* **throttling**: the error codes in :data:`THROTTLING_CODES`.

Nothing else is retried: no other 4xx, no error raised from an event stream once the
caller has it. SageMaker's ``ModelNotReadyException`` (429) is not retried, as in
botocore's standard mode: its code is not a throttling code and 429 is not a transient
status (only botocore's legacy mode retried every 429); nor is
``InternalDependencyException`` (530).

Attempt ``n`` failing waits ``random() * min(2 ** (n - 1), 20)`` seconds (anyio, so a
cancellation is immediate). A client-wide retry quota of 500 tokens pays for retries:
5 per retry, 10 after a timeout; a successful call gives back what its last retry
took, or 1 when it was not retried. With the quota empty, errors are raised at once:
an unhealthy endpoint is not hammered with retries.

Adaptive mode adds botocore's client-side rate limiting: after the first throttling
error, every attempt takes a token from a bucket whose rate follows CUBIC congestion
control (cut by ``beta`` on a throttle, growing back along a cubic curve).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

import anyio

from ._exceptions import (
    ConnectTimeoutError,
    ReadTimeoutError,
    SageMakerRuntimeError,
    ServiceError,
    TransportError,
)

__all__ = [
    "THROTTLING_CODES",
    "TRANSIENT_CODES",
    "TRANSIENT_STATUS_CODES",
    "AdaptiveRateLimiter",
    "RetryQuota",
    "RetryStrategy",
    "is_throttling",
]

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError"}
)
TRANSIENT_STATUS_CODES = frozenset({500, 502, 503, 504})

MAX_BACKOFF = 20.0
INITIAL_QUOTA = 500
RETRY_COST = 5
TIMEOUT_RETRY_COST = 10
NO_RETRY_INCREMENT = 1


def is_throttling(error: BaseException) -> bool:
    """Whether ``error`` is a service error whose code means "slow down"."""
    return isinstance(error, ServiceError) and error.code in THROTTLING_CODES


def retry_cost(error: BaseException) -> int:
    """Quota tokens a retry after ``error`` costs; 0 when ``error`` is not retryable."""
    if isinstance(error, ServiceError):
        if (
            error.code in THROTTLING_CODES
            or error.code in TRANSIENT_CODES
            or error.status_code in TRANSIENT_STATUS_CODES
        ):
            return RETRY_COST
        return 0
    if isinstance(error, (ConnectTimeoutError, ReadTimeoutError)):
        return TIMEOUT_RETRY_COST
    if isinstance(error, TransportError):
        return RETRY_COST
    return 0


class RetryQuota:
    """Tokens that retries spend and successes refill (shared by a client's calls)."""

    __slots__ = ("available", "capacity")

    def __init__(self, capacity: int = INITIAL_QUOTA) -> None:
        self.capacity = capacity
        self.available = capacity

    def acquire(self, amount: int) -> bool:
        """Take ``amount`` tokens; ``False`` (and nothing taken) when too few are left."""
        if amount > self.available:
            return False
        self.available -= amount
        return True

    def release(self, amount: int) -> None:
        """Give back ``amount`` tokens, up to the capacity."""
        if self.available < self.capacity:
            self.available = min(self.capacity, self.available + amount)


class _Cubic:
    """CUBIC rate calculation (RFC 8312 shape), as botocore's adaptive mode uses it."""

    SCALE = 0.4
    BETA = 0.7

    def __init__(self, now: float) -> None:
        self.w_max = 0.0
        self.k = 0.0
        self.last_fail = now

    def success(self, now: float) -> float:
        return self.SCALE * (now - self.last_fail - self.k) ** 3 + self.w_max

    def throttled(self, rate: float, now: float) -> float:
        self.w_max = rate
        self.k = (rate * (1 - self.BETA) / self.SCALE) ** (1 / 3)
        self.last_fail = now
        return rate * self.BETA


class AdaptiveRateLimiter:
    """Client-side rate limiting after throttles: a token bucket whose rate CUBIC sets.

    Disabled until the first throttling error; from then on every attempt waits for a
    token (``await acquire()``, via anyio). ``record(throttled)`` after every response
    measures the send rate (smoothed per half second) and moves the bucket's rate:
    down to ``beta`` x the measured rate on a throttle, back up along the cubic curve
    otherwise, never above twice the measured rate.
    """

    MIN_RATE = 0.5
    SMOOTHING = 0.8
    BUCKET_SECONDS = 0.5

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        now = clock()
        self._cubic = _Cubic(now)
        self.enabled = False
        self.fill_rate = self.MIN_RATE
        self.capacity = 1.0
        self._tokens = 0.0
        self._last_refill = now
        self.measured_rate = 0.0
        self._count = 0
        self._last_bucket = math.floor(now / self.BUCKET_SECONDS) * self.BUCKET_SECONDS

    def _refill(self, now: float) -> None:
        self._tokens = min(self.capacity, self._tokens + (now - self._last_refill) * self.fill_rate)
        self._last_refill = now

    def _set_rate(self, rate: float, now: float) -> None:
        self._refill(now)
        self.fill_rate = max(rate, self.MIN_RATE)
        self.capacity = max(rate, 1.0)
        self._tokens = min(self._tokens, self.capacity)

    async def acquire(self) -> None:
        """Wait for a send token (returns at once while the limiter is disabled)."""
        while self.enabled:
            now = self._clock()
            self._refill(now)
            if self._tokens >= 1:
                self._tokens -= 1
                return
            await anyio.sleep((1 - self._tokens) / self.fill_rate)

    def record(self, throttled: bool) -> None:
        """Account for one response (success or error) and adjust the send rate."""
        now = self._clock()
        self._count += 1
        bucket = math.floor(now / self.BUCKET_SECONDS) * self.BUCKET_SECONDS
        if bucket > self._last_bucket:
            rate = self._count / (bucket - self._last_bucket)
            self.measured_rate = rate * self.SMOOTHING + self.measured_rate * (1 - self.SMOOTHING)
            self._count = 0
            self._last_bucket = bucket
        if throttled:
            current = (
                self.measured_rate if not self.enabled else min(self.measured_rate, self.fill_rate)
            )
            new_rate = self._cubic.throttled(current, now)
            self.enabled = True
        else:
            new_rate = self._cubic.success(now)
        self._set_rate(min(new_rate, 2 * self.measured_rate), now)


class RetryStrategy:
    """A client's retry policy: ``max_attempts``, the quota, and (adaptive) the limiter.

    The pipeline drives it per call::

        cost = 0
        for attempt in 1..max_attempts:
            await strategy.before_attempt()
            try: result = await send()
            except SageMakerRuntimeError as error:
                step = strategy.on_error(error, attempt)   # None: raise error
                delay, cost = step; await anyio.sleep(delay); continue
            strategy.on_success(cost); return result
    """

    __slots__ = ("limiter", "max_attempts", "quota", "random")

    def __init__(
        self,
        max_attempts: int,
        mode: str = "standard",
        *,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.max_attempts = max_attempts
        self.quota = RetryQuota()
        self.limiter = AdaptiveRateLimiter() if mode == "adaptive" else None
        self.random = rand

    async def before_attempt(self) -> None:
        """Wait for the adaptive rate limiter, if any."""
        if self.limiter is not None:
            await self.limiter.acquire()

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        return self.random() * min(2.0 ** (attempt - 1), MAX_BACKOFF)

    def on_error(self, error: SageMakerRuntimeError, attempt: int) -> tuple[float, int] | None:
        """``(delay, quota cost)`` to retry after ``error`` on ``attempt``; ``None``: raise it."""
        if self.limiter is not None:
            self.limiter.record(is_throttling(error))
        cost = retry_cost(error)
        if cost == 0 or attempt >= self.max_attempts or not self.quota.acquire(cost):
            return None
        return self.backoff(attempt), cost

    def on_success(self, cost: int) -> None:
        """A call succeeded; ``cost`` is what its last retry took from the quota (0: none)."""
        if self.limiter is not None:
            self.limiter.record(False)
        self.quota.release(cost or NO_RETRY_INCREMENT)
