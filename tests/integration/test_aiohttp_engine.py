"""The aiohttp engine's own behaviour (asyncio only), beside the shared transport suite.

Requests go out with exactly the headers they were built with, whichever of aiohttp's
automatic ones (Accept, Accept-Encoding, User-Agent, the body's Content-Type) they carry.

Concurrent first requests: the session and each origin's settings (proxy, TLS) are set
up once, and the requests waiting for them go on together, so a burst of first calls
opens its connections at once, as on a session created beforehand.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime import ClientConfig
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._transports import aiohttp_engine
from aiosagemaker_runtime._transports.aiohttp_engine import AiohttpTransport

from .aiohttp_support import _no_proxies, anyio_backend  # noqa: F401 (fixtures)
from .servers import FaultServer, echo, ok, stall_before_headers

pytestmark = pytest.mark.anyio


def post(url: str) -> HTTPRequest:
    return HTTPRequest("POST", url + "/x", [("X-Test", "1")], b"{}")


async def call(transport: AiohttpTransport, url: str) -> bytes:
    response = await transport.send(post(url))
    try:
        return await response.read()
    finally:
        await response.aclose()


class Slowed:
    """Wraps a blocking function: counts calls, signals entry, sleeps ``delay`` first."""

    def __init__(self, function: Any, delay: float) -> None:
        self.function = function
        self.delay = delay
        self.calls = 0
        self.entered = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, *args: Any) -> Any:
        with self._lock:
            self.calls += 1
        self.entered.set()
        if self.delay:
            time.sleep(self.delay)
        return self.function(*args)


async def test_concurrent_first_requests_set_up_once_and_each_opens_a_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookups = Slowed(aiohttp_engine._env_proxy, 0.1)
    monkeypatch.setattr(aiohttp_engine, "_env_proxy", lookups)
    concurrent = 8
    # Every answer waits, so each request in flight holds its own connection.
    with FaultServer(stall_before_headers(0.2, then=ok(b"x"))) as server:
        transport = AiohttpTransport(ClientConfig(max_pool_connections=concurrent))
        results: list[bytes] = []

        async def one() -> None:
            results.append(await call(transport, server.url))

        try:
            with anyio.fail_after(10):
                async with anyio.create_task_group() as group:
                    for _ in range(concurrent):
                        group.start_soon(one)
        finally:
            await transport.aclose()
    assert results == [b"x"] * concurrent
    assert lookups.calls == 1  # one proxy lookup for the origin, not one per request
    assert server.connections == concurrent


async def test_first_request_cancelled_during_the_lookup_does_not_strand_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookups = Slowed(aiohttp_engine._env_proxy, 0.3)
    monkeypatch.setattr(aiohttp_engine, "_env_proxy", lookups)
    with FaultServer(ok(b"x")) as server:
        transport = AiohttpTransport(ClientConfig())
        results: list[bytes] = []
        first = anyio.CancelScope()

        async def leader() -> None:
            with first:
                await call(transport, server.url)

        async def follower() -> None:
            results.append(await call(transport, server.url))

        try:
            with anyio.fail_after(10):
                async with anyio.create_task_group() as group:
                    group.start_soon(leader)
                    await anyio.to_thread.run_sync(lookups.entered.wait)
                    lookups.delay = 0.0
                    for _ in range(2):
                        group.start_soon(follower)
                    await anyio.wait_all_tasks_blocked()
                    first.cancel()
        finally:
            await transport.aclose()
    assert first.cancelled_caught
    assert results == [b"x", b"x"]
    # The lookup finishes in its thread even when its caller is cancelled; whether its
    # result was kept or looked up again by a follower, every request was answered.
    assert lookups.calls in (1, 2)


async def test_aclose_during_the_first_request_leaves_no_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prepare = Slowed(AiohttpTransport._prepare, 0.3)
    monkeypatch.setattr(AiohttpTransport, "_prepare", staticmethod(prepare))
    with FaultServer(ok(b"x")) as server:
        transport = AiohttpTransport(ClientConfig())
        errors: list[BaseException] = []

        async def first() -> None:
            try:
                await call(transport, server.url)
            except RuntimeError as error:
                errors.append(error)

        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(first)
                group.start_soon(first)
                await anyio.to_thread.run_sync(prepare.entered.wait)
                await transport.aclose()
        assert [str(error) for error in errors] == ["the client has been closed"] * 2
        assert transport._session is None
        assert prepare.calls == 1
        assert server.connections == 0


@pytest.mark.parametrize(
    "given",
    [
        [("User-Agent", "ours/1"), ("Content-Type", "application/json")],
        [("user-agent", "ours/1")],
        [("CONTENT-TYPE", "text/csv")],
        [],
    ],
    ids=["both", "agent-only", "type-only", "neither"],
)
async def test_requests_carry_exactly_their_headers(given: list[tuple[str, str]]) -> None:
    with FaultServer(echo()) as server:
        transport = AiohttpTransport(ClientConfig())
        try:
            for _ in range(2):  # the first request and a pooled one
                request = HTTPRequest("POST", server.url + "/x", [*given, ("X-Test", "1")], b"ab")
                response = await transport.send(request)
                assert await response.read() == b"ab"
        finally:
            await transport.aclose()
    for received in server.requests:
        assert sorted(name.lower() for name, _ in received.headers) == sorted(
            [name.lower() for name, _ in given] + ["content-length", "host", "x-test"]
        )
        for name, value in given:
            assert received.header(name) == value
