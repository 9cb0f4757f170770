"""Retry decisions, backoff, quota and the adaptive rate limiter (no I/O)."""

from __future__ import annotations

import pytest

from aiosagemaker_runtime import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ModelError,
    ModelNotReadyException,
    ReadTimeoutError,
    ServiceError,
    ServiceUnavailable,
    ValidationError,
)
from aiosagemaker_runtime._retry import (
    THROTTLING_CODES,
    AdaptiveRateLimiter,
    RetryQuota,
    RetryStrategy,
    is_throttling,
    retry_cost,
)


def service_error(status: int, code: str = "") -> ServiceError:
    return ServiceError("m", code=code or str(status), status_code=status)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_transient_statuses_are_retried(status: int) -> None:
    assert retry_cost(service_error(status)) == 5


@pytest.mark.parametrize("status", [400, 403, 404, 413, 424, 429, 501, 530])
def test_other_statuses_are_not_retried(status: int) -> None:
    assert retry_cost(service_error(status, "SomethingElse")) == 0


@pytest.mark.parametrize("code", sorted(THROTTLING_CODES))
def test_throttling_codes_are_retried_whatever_the_status(code: str) -> None:
    error = service_error(400, code)
    assert retry_cost(error) == 5
    assert is_throttling(error)


@pytest.mark.parametrize(
    "code", ["RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"]
)
def test_transient_codes_are_retried(code: str) -> None:
    assert retry_cost(service_error(400, code)) == 5


def test_modeled_sagemaker_errors() -> None:
    # As botocore's standard mode: 429 ModelNotReadyException is neither a throttling
    # code nor a transient status; 424 ModelError and 400 ValidationError are final.
    assert retry_cost(ModelNotReadyException("not ready", status_code=429)) == 0
    assert retry_cost(ModelError("boom", status_code=424)) == 0
    assert retry_cost(ValidationError("bad", status_code=400)) == 0
    assert retry_cost(ServiceUnavailable("later", status_code=503)) == 5
    assert not is_throttling(ModelNotReadyException("not ready", status_code=429))


def test_transport_errors() -> None:
    assert retry_cost(EndpointConnectionError("reset")) == 5
    assert retry_cost(ConnectTimeoutError("slow")) == 10
    assert retry_cost(ReadTimeoutError("slow")) == 10
    assert retry_cost(ValueError("not ours")) == 0


def test_backoff_is_capped_and_jittered() -> None:
    strategy = RetryStrategy(10, rand=lambda: 1.0)
    assert [strategy.backoff(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 20, 20]
    strategy = RetryStrategy(10, rand=lambda: 0.25)
    assert strategy.backoff(3) == 1.0


def test_max_attempts_bounds_retries() -> None:
    strategy = RetryStrategy(3, rand=lambda: 0.0)
    error = service_error(500)
    assert strategy.on_error(error, 1) == (0.0, 5)
    assert strategy.on_error(error, 2) == (0.0, 5)
    assert strategy.on_error(error, 3) is None
    assert RetryStrategy(1).on_error(error, 1) is None


def test_quota_is_spent_and_refunded() -> None:
    strategy = RetryStrategy(3, rand=lambda: 0.0)
    quota = strategy.quota
    assert quota.available == 500
    step = strategy.on_error(ReadTimeoutError("t"), 1)
    assert step == (0.0, 10)
    assert quota.available == 490
    strategy.on_success(10)
    assert quota.available == 500
    strategy.on_success(0)  # never above capacity
    assert quota.available == 500


def test_quota_exhaustion_stops_retries_until_successes_refill_it() -> None:
    strategy = RetryStrategy(3, rand=lambda: 0.0)
    error = service_error(503)
    retries = 0
    while strategy.on_error(error, 1) is not None:
        retries += 1
    assert retries == 100  # 500 tokens / 5
    assert strategy.quota.available == 0
    strategy.on_success(0)  # an un-retried success gives back 1 token
    assert strategy.quota.available == 1
    assert strategy.on_error(error, 1) is None
    for _ in range(4):
        strategy.on_success(0)
    assert strategy.on_error(error, 1) == (0.0, 5)


def test_quota_acquire_is_all_or_nothing() -> None:
    quota = RetryQuota(12)
    assert quota.acquire(10)
    assert not quota.acquire(5)
    assert quota.available == 2
    quota.release(100)
    assert quota.available == 12


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_adaptive_limiter_is_off_until_a_throttle() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(clock)
    for _ in range(10):
        limiter.record(False)
        clock.now += 0.1
    assert not limiter.enabled


def test_adaptive_limiter_cuts_rate_on_throttle_and_recovers() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(clock)
    # 20 requests/s for 3 s establishes a measured rate.
    for _ in range(60):
        limiter.record(False)
        clock.now += 0.05
    assert 15 < limiter.measured_rate < 25
    limiter.record(True)
    assert limiter.enabled
    throttled_rate = limiter.fill_rate
    assert throttled_rate == pytest.approx(0.7 * limiter._cubic.w_max)
    assert throttled_rate < limiter.measured_rate
    # Successes at the same pace let the rate climb back along the cubic curve.
    rates = []
    for _ in range(200):
        clock.now += 0.05
        limiter.record(False)
        rates.append(limiter.fill_rate)
    assert rates[-1] > throttled_rate
    assert limiter.fill_rate <= 2 * limiter.measured_rate + 1e-9


@pytest.mark.anyio
async def test_adaptive_limiter_waits_for_tokens() -> None:
    import time

    limiter = AdaptiveRateLimiter()
    limiter.enabled = True
    limiter._set_rate(20.0, time.monotonic())  # 20 tokens/s, bucket of 20
    limiter._tokens = 0.0
    start = time.monotonic()
    for _ in range(3):
        await limiter.acquire()
    elapsed = time.monotonic() - start
    assert 0.1 <= elapsed < 1.0


@pytest.mark.anyio
async def test_standard_mode_never_waits() -> None:
    strategy = RetryStrategy(3)
    assert strategy.limiter is None
    await strategy.before_attempt()
    assert RetryStrategy(3, "adaptive").limiter is not None
