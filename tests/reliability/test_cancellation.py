"""Cancellation and deadlines: a call cancelled at any point of its life leaves the
client usable and leaks nothing; credential refresh failures surface as
``CredentialsError`` without wedging later calls; one refresh for many callers.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime import ClientConfig, CredentialsError, SageMakerRuntimeClient
from aiosagemaker_runtime._auth.credentials import CredentialResolver

from .faults import ReliabilityServer, drip, respond
from .helpers import OPERATIONS, REGION, Operation, live_tasks, make_client

pytestmark = pytest.mark.anyio

# The slow answer: the head at once, the body in 4 pieces 50 ms apart (~0.2 s in all),
# so the sweep of delays cancels while connecting, sending, waiting for the head,
# reading the body and (streams) iterating the events.
PIECES, GAP = 4, 0.05
DELAYS = [0.0, 0.0005, 0.002, 0.005, 0.01, 0.02, 0.04, 0.07, 0.1, 0.14, 0.18, 0.25]


@pytest.fixture(params=["httpx", "aiohttp"])
def engine(request: pytest.FixtureRequest, anyio_backend: str) -> str:
    if request.param == "aiohttp" and anyio_backend != "asyncio":
        pytest.skip("aiohttp runs under asyncio only")
    return str(request.param)


async def sweep(op: Operation, engine: str, outcomes: dict[str, list[str]]) -> None:
    with ReliabilityServer(default=respond(op.success)) as server:
        counted = make_client(server.url, engine, max_pool_connections=1, read_timeout=2.0)
        client = counted.client
        seen: list[str] = []
        for delay in DELAYS:
            server.script(drip(op.success, PIECES, GAP))
            with anyio.move_on_after(delay) as scope:
                result = await op.call(client)
                assert result == op.expected
            seen.append("cancelled" if scope.cancelled_caught else "completed")
            with server._lock:  # a call cancelled before sending leaves its script unused
                server._script.clear()
            # The pool of one connection serves the next call at once.
            with anyio.fail_after(1.0):
                assert await op.call(client) == op.expected, f"{op.name} after {delay}s"
        outcomes[op.name] = seen
        await client.aclose()
        assert server.wait_for_closed_connections(2.0), f"{op.name}: connection left open"


async def test_cancel_at_every_point_leaves_client_usable(engine: str) -> None:
    tasks_before = live_tasks()
    outcomes: dict[str, list[str]] = {}
    async with anyio.create_task_group() as group:
        for op in OPERATIONS.values():
            group.start_soon(sweep, op, engine, outcomes)
    assert live_tasks() == tasks_before, "a task was left behind"
    for name, seen in outcomes.items():
        # The sweep really covers the call's life: early delays cancel, the last completes.
        assert seen[0] == "cancelled" and seen[-1] == "completed", (name, seen)


async def test_asyncio_timeout_cancels_cleanly(anyio_backend: str) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("asyncio.timeout is asyncio's")
    import asyncio

    if not hasattr(asyncio, "timeout"):
        pytest.skip("asyncio.timeout needs Python 3.11")
    op = OPERATIONS["invoke_endpoint_with_response_stream"]
    for engine_name in ("httpx", "aiohttp"):
        with ReliabilityServer(default=respond(op.success)) as server:
            client = make_client(server.url, engine_name, max_pool_connections=1).client
            for delay in (0.01, 0.06, 0.12):
                server.script(drip(op.success, PIECES, GAP))
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(delay):
                        await op.call(client)
                async with asyncio.timeout(1.0):
                    assert await op.call(client) == op.expected
            await client.aclose()
            assert server.wait_for_closed_connections(2.0)


# -- credential refresh ----------------------------------------------------------------------


class FakeRefreshable:
    """Like botocore's ``RefreshableCredentials``: ``refresh_needed()`` and a blocking
    ``get_frozen_credentials()`` that refreshes when needed (and may fail)."""

    def __init__(self) -> None:
        self.expired = True
        self.fail = False
        self.refreshes = 0
        self.calls = 0
        self.generation = 0
        self._lock = threading.Lock()

    def refresh_needed(self) -> bool:
        return self.expired

    def get_frozen_credentials(self) -> Any:
        self.calls += 1
        with self._lock:
            if self.expired:
                time.sleep(0.05)  # a slow provider: concurrent callers pile up meanwhile
                self.refreshes += 1
                if self.fail:
                    raise RuntimeError("the provider is down")
                self.generation += 1
                self.expired = False
            generation = self.generation

        class Frozen:
            access_key = f"AKIDFAKE{generation}"
            secret_key = "fake-secret-refreshed"
            token = "fake-token"

        return Frozen()


def client_with(source: FakeRefreshable, url: str, engine: str) -> SageMakerRuntimeClient:
    client = SageMakerRuntimeClient(
        region_name=REGION,
        endpoint_url=url,
        config=ClientConfig(http_backend=engine, max_attempts=1, read_timeout=2.0),
    )
    resolver = CredentialResolver()
    resolver._source = source
    resolver._refreshable = True
    client._pipeline.credentials = resolver
    return client


async def test_failed_refresh_is_a_credentials_error_then_recovers(engine: str) -> None:
    source = FakeRefreshable()
    source.fail = True
    op = OPERATIONS["invoke_endpoint"]
    with ReliabilityServer(default=respond(op.success)) as server:
        async with client_with(source, server.url, engine) as client:
            for _ in range(2):
                with anyio.fail_after(2), pytest.raises(CredentialsError):
                    await op.call(client)
            assert server.requests == []
            source.fail = False
            with anyio.fail_after(2):
                assert await op.call(client) == op.expected
            assert len(server.requests) == 1
            assert "AKIDFAKE1" in (server.requests[0].header("Authorization") or "")


async def test_concurrent_callers_share_one_refresh(engine: str) -> None:
    source = FakeRefreshable()
    op = OPERATIONS["invoke_endpoint"]
    with ReliabilityServer(default=respond(op.success)) as server:
        async with client_with(source, server.url, engine) as client:
            results: list[bytes] = []

            async def one() -> None:
                results.append(await op.call(client))

            with anyio.fail_after(5):
                async with anyio.create_task_group() as group:
                    for _ in range(20):
                        group.start_soon(one)
            assert results == [op.expected] * 20
            assert source.calls == 1 and source.refreshes == 1
            # They expire again: the next wave refreshes once more, not 20 times.
            source.expired = True
            client._pipeline.credentials._checked_at = 0.0  # type: ignore[attr-defined]
            results.clear()
            with anyio.fail_after(5):
                async with anyio.create_task_group() as group:
                    for _ in range(20):
                        group.start_soon(one)
            assert results == [op.expected] * 20
            assert source.calls == 2 and source.refreshes == 2
        assert len(server.requests) == 40
