"""The adaptive concurrency limit (AIMD) and the backoff of re-queued requests."""

from __future__ import annotations

from aiosagemaker_runtime._bulk.limit import (
    BACKOFF_CAP,
    THROTTLE_BACKOFF_BASE,
    ConcurrencyLimit,
    retry_backoff,
)


def test_a_throttle_cuts_once_per_round_then_half_a_call_per_throttle() -> None:
    limit = ConcurrencyLimit(100, adaptive=True)
    started = limit.epoch
    limit.throttled(started)
    assert limit.current == 90
    for _ in range(20):  # the same overshoot: calls started before the cut
        limit.throttled(started)
    assert limit.current == 80
    limit.throttled(limit.epoch)  # a call started after the cut: a new overshoot
    assert limit.current == 72


def test_far_above_the_capacity_the_limit_comes_down_in_a_few_rounds() -> None:
    limit = ConcurrencyLimit(128, adaptive=True)
    throttles = 0
    levels = []
    for _ in range(8):  # rounds: every call in flight answers once
        started, level = limit.epoch, limit.current
        levels.append(level)
        throttles += max(0, level - 32)
        for _ in range(max(0, level - 32)):  # throttles come back first (fast)
            limit.throttled(started)
        for _ in range(min(level, 32)):
            limit.succeeded(in_flight=limit.current - 1)
    assert levels[:2] == [128, 68]
    assert all(level <= 40 for level in levels[3:])
    assert throttles < 200


def test_repeated_throttles_go_down_to_one_and_no_further() -> None:
    limit = ConcurrencyLimit(128, adaptive=True)
    for _ in range(200):
        limit.throttled(limit.epoch)
    assert limit.current == 1


def test_growth_is_one_per_round_trip_while_the_limit_is_used() -> None:
    limit = ConcurrencyLimit(32, adaptive=True)
    limit.throttled(limit.epoch)
    assert limit.current == 28
    for _ in range(28):  # a round of successes, the limit in use
        limit.succeeded(in_flight=limit.current - 1)
    assert limit.current == 29
    for _ in range(1000):
        limit.succeeded(in_flight=limit.current - 1)
    assert limit.current == 32  # never past the maximum


def test_no_growth_while_the_limit_is_not_used() -> None:
    limit = ConcurrencyLimit(32, adaptive=True)
    limit.throttled(limit.epoch)
    for _ in range(1000):
        limit.succeeded(in_flight=3)
    assert limit.current == 28


def test_a_fixed_limit_never_moves() -> None:
    limit = ConcurrencyLimit(16, adaptive=False)
    for _ in range(10):
        limit.throttled(limit.epoch)
    assert limit.current == 16


def test_backoff_doubles_with_equal_jitter_up_to_the_cap() -> None:
    base = THROTTLE_BACKOFF_BASE
    assert retry_backoff(1, base, rand=0.0) == base / 2
    assert retry_backoff(1, base, rand=1.0) == base
    assert retry_backoff(3, base, rand=1.0) == 4 * base
    assert retry_backoff(40, base, rand=1.0) == BACKOFF_CAP
    assert BACKOFF_CAP / 2 <= retry_backoff(40, base) <= BACKOFF_CAP


def _run(limit: ConcurrencyLimit, capacity: int, successes: int) -> tuple[int, float]:
    """Throttles, and the mean limit, while ``successes`` calls succeed against an
    endpoint that takes ``capacity`` calls at a time (the limit always in use)."""
    throttles = 0
    total = 0
    done = 0
    while done < successes:
        if limit.current > capacity:
            limit.throttled(limit.epoch)
            throttles += 1
        else:
            limit.succeeded(in_flight=limit.current - 1)
            total += limit.current
            done += 1
    return throttles, total / successes


def test_near_the_last_throttle_the_limit_probes_rarely() -> None:
    limit = ConcurrencyLimit(64, adaptive=True)
    _run(limit, capacity=4, successes=200)  # settle
    throttles, mean = _run(limit, capacity=4, successes=1000)
    assert throttles <= 40  # about one probe per 30 calls, not one per 3
    assert mean >= 3.9


def test_the_limit_follows_an_endpoint_that_scales_out() -> None:
    limit = ConcurrencyLimit(64, adaptive=True)
    _run(limit, capacity=4, successes=200)
    _run(limit, capacity=12, successes=2000)
    assert limit.current == 12
