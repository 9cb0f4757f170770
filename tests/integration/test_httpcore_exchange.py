"""The default engine's short path over httpcore2 connections (``httpcore_exchange``).

Real sockets on 127.0.0.1, asyncio and trio: one write per small request, httpcore2's own
path when its DEBUG logging is on (both paths on one connection).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from aiosagemaker_runtime import ClientConfig
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._transports.httpx_engine import HttpxTransport

from .servers import FaultServer, echo

pytestmark = pytest.mark.anyio


def post(url: str, body: bytes) -> HTTPRequest:
    return HTTPRequest("POST", url + "/x", [("X-Test", "1")], body)


def _writes(transport: HttpxTransport, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Patch the pooled connection's stream class to record the size of every write."""
    pool: Any = transport._direct
    assert pool is not None
    [idle] = pool._idle.values()
    stream = idle[0]._connection._network_stream
    sizes: list[int] = []
    write = type(stream).write

    async def counting(self: Any, buffer: bytes, timeout: float | None = None) -> None:
        sizes.append(len(buffer))
        await write(self, buffer, timeout)

    monkeypatch.setattr(type(stream), "write", counting)
    return sizes


async def test_small_request_is_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    body = bytes(range(256)) * 4
    with FaultServer(echo()) as server:
        transport = HttpxTransport(ClientConfig(max_pool_connections=1))
        try:
            first = await transport.send(post(server.url, b"warm"))
            assert await first.read() == b"warm"
            sizes = _writes(transport, monkeypatch)
            response = await transport.send(post(server.url, body))
            assert await response.read() == body
        finally:
            await transport.aclose()
        assert len(sizes) == 1 and sizes[0] > len(body)  # head, body and end together
        assert server.requests[1].body == body
        assert server.requests[1].header("content-length") == str(len(body))
        assert server.connections == 1


async def test_large_request_body_follows_its_head(monkeypatch: pytest.MonkeyPatch) -> None:
    body = bytes(range(256)) * (12 * 1024)  # 3 MiB: over the coalescing size
    with FaultServer(echo()) as server:
        transport = HttpxTransport(ClientConfig(max_pool_connections=1))
        try:
            await (await transport.send(post(server.url, b"warm"))).read()
            sizes = _writes(transport, monkeypatch)
            response = await transport.send(post(server.url, body))
            assert await response.read() == body
        finally:
            await transport.aclose()
        assert sizes[0] < 1024 and sum(sizes[1:]) == len(body) and len(sizes) == 4
        assert server.connections == 1


async def test_httpcore2_debug_logging_takes_its_own_path(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    body = b"x" * 100
    with FaultServer(echo()) as server:
        transport = HttpxTransport(ClientConfig(max_pool_connections=1))
        try:
            await (await transport.send(post(server.url, b"warm"))).read()
            sizes = _writes(transport, monkeypatch)
            with caplog.at_level(logging.DEBUG, logger="httpcore2"):
                response = await transport.send(post(server.url, body))
                assert await response.read() == body
            # the short path again, on the connection httpcore2's path left idle
            response = await transport.send(post(server.url, body))
            assert await response.read() == body
        finally:
            await transport.aclose()
        assert any(r.name == "httpcore2.http11" for r in caplog.records)
        # httpcore2: the head, then the body (then an empty end); ours: all in one
        assert [size > 0 for size in sizes] == [True, True, False, True]
        assert server.connections == 1
