"""Load: many concurrent calls with injected faults, and the retry quota stopping a storm.

The soak runs in a bounded short form in the normal suite; ``SOAK_LONG=1`` (``make
soak``) runs the long form. Every call must either return its own body (the server
echoes it) or raise a documented error; RSS growth over the run stays bounded; nothing
is left open after ``aclose()``.
"""

from __future__ import annotations

import os
import random
import resource
from collections import Counter

import anyio
import pytest
from integration.servers import Received, ok, reset_before_status, status

from aiosagemaker_runtime import EndpointConnectionError, ServiceUnavailable

from .faults import ReliabilityServer
from .helpers import make_client

pytestmark = pytest.mark.anyio

LONG = os.environ.get("SOAK_LONG") == "1"
CALLS = 20_000 if LONG else 1_000
CONCURRENCY = 50
FAULT_RATE = 0.10
RSS_BOUND = (64 if LONG else 32) * 1024 * 1024
TIME_BOUND = 600.0 if LONG else 30.0
DOCUMENTED = (ServiceUnavailable, EndpointConnectionError)


@pytest.fixture(params=["httpx", "aiohttp"])
def engine(request: pytest.FixtureRequest, anyio_backend: str) -> str:
    if request.param == "aiohttp" and anyio_backend != "asyncio":
        pytest.skip("aiohttp runs under asyncio only")
    return str(request.param)


def rss() -> int:
    """Resident set size now, in bytes (Linux), else the peak."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def faulty_echo(rng: random.Random) -> object:
    def answer(request: Received) -> object:
        roll = rng.random()
        if roll < FAULT_RATE / 2:
            return status(503, "ServiceUnavailable")
        if roll < FAULT_RATE:
            return reset_before_status()
        return ok(request.body, [("Content-Type", "application/octet-stream")])

    return answer


async def run_calls(client: object, count: int, outcomes: Counter[str]) -> None:
    limiter = anyio.Semaphore(CONCURRENCY)

    async def one(number: int) -> None:
        body = f"call-{number}-".encode() * 3
        async with limiter:
            try:
                out = await client.invoke_endpoint(  # type: ignore[attr-defined]
                    endpoint_name="ep", body=body, content_type="application/octet-stream"
                )
            except DOCUMENTED as error:
                outcomes[type(error).__name__] += 1
                return
        assert out.body == body, f"call {number} got another call's body"
        outcomes["ok"] += 1

    async with anyio.create_task_group() as group:
        for number in range(count):
            group.start_soon(one, number)


async def test_soak(engine: str) -> None:
    with ReliabilityServer(default=faulty_echo(random.Random(7))) as server:  # type: ignore[arg-type]
        counted = make_client(server.url, engine, max_pool_connections=CONCURRENCY, read_timeout=5)
        client = counted.client
        warm: Counter[str] = Counter()
        await run_calls(client, 200, warm)
        before = rss()
        outcomes: Counter[str] = Counter()
        with anyio.fail_after(TIME_BOUND):
            await run_calls(client, CALLS, outcomes)
        growth = rss() - before
        await client.aclose()
        assert server.wait_for_closed_connections(5.0), "connections left open"
    assert sum(outcomes.values()) == CALLS
    # With 3 attempts and 10 % faults nearly every call succeeds; some retries happened.
    assert outcomes["ok"] >= CALLS * 0.98, outcomes
    assert counted.sent > CALLS + 200, "no fault was injected"
    assert growth < RSS_BOUND, f"RSS grew by {growth / 2**20:.1f} MiB over {CALLS} calls"


async def test_retry_quota_stops_a_storm(engine: str) -> None:
    with ReliabilityServer(default=status(503, "ServiceUnavailable")) as server:
        counted = make_client(server.url, engine)
        client = counted.client
        client._pipeline.retry.random = lambda: 0.0  # no backoff: the quota is what is shown
        attempts: list[int] = []
        async with client:
            for _ in range(60):
                counted.sent = 0
                with pytest.raises(ServiceUnavailable):
                    await client.invoke_endpoint(endpoint_name="ep", body=b"x")
                attempts.append(counted.sent)
        assert len(server.requests) == sum(attempts)
    # 500 tokens, 5 per retry: 50 calls of 3 attempts (2 retries each), then 1 attempt.
    assert attempts == [3] * 50 + [1] * 10, attempts
