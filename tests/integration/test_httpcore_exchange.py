"""The default engine's short path over httpcore2 connections (``httpcore_exchange``).

Real sockets on 127.0.0.1, asyncio and trio: one write per small request, httpcore2's own
path when its DEBUG logging is on (both paths on one connection).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio.abc
import pytest

from aiosagemaker_runtime import ClientConfig, ParamValidationError
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._transports.httpx_engine import HttpxTransport

from .servers import FaultServer, close_after, echo, ok

pytestmark = pytest.mark.anyio


def post(url: str, body: bytes) -> HTTPRequest:
    return HTTPRequest("POST", url + "/x", [("X-Test", "1")], body)


def _writes(transport: HttpxTransport, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the size of every write on the pooled connection's socket stream: the anyio
    stream under httpcore2's on asyncio, httpcore2's trio stream on trio."""
    pool: Any = transport._direct
    assert pool is not None
    [idle] = pool._idle.values()
    stream = idle[0]._connection._network_stream
    raw = getattr(stream, "_stream", None)
    sizes: list[int] = []
    if isinstance(raw, anyio.abc.ByteStream):
        send = type(raw).send

        async def counting_send(self: Any, item: bytes) -> None:
            sizes.append(len(item))
            await send(self, item)

        monkeypatch.setattr(type(raw), "send", counting_send)
        return sizes
    write = type(stream).write

    async def counting(self: Any, buffer: bytes, timeout: float | None = None) -> None:
        if buffer:  # httpcore2 writes nothing for an empty buffer
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
        # httpcore2: the head, then the body; ours: all in one
        assert len(sizes) == 3 and sizes[1] == len(body) and sizes[2] > len(body)
        assert server.connections == 1


async def test_pooled_connection_closed_by_the_server_is_replaced() -> None:
    with FaultServer() as server:
        server.script(close_after(ok(b"a")), ok(b"b"))
        transport = HttpxTransport(ClientConfig(max_pool_connections=1))
        try:
            response = await transport.send(post(server.url, b"{}"))
            assert await response.read() == b"a"
            pool: Any = transport._direct
            [idle] = pool._idle.values()
            with anyio.fail_after(5):
                while not idle[0].has_expired():  # until the server's close arrives
                    await anyio.sleep(0.005)
            response = await transport.send(post(server.url, b"{}"))
            assert await response.read() == b"b"
        finally:
            await transport.aclose()
        assert [request.connection for request in server.requests] == [1, 2]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Bad", "a\r\nInjected: 1"),
        ("X-Bad", "a\nb"),
        ("X-Bad", " leading"),
        ("X-Bad", "trailing\t"),
        ("X-Bad", "nul\x00"),
        ("X Bad", "v"),
        ("X-Bad:", "v"),
        ("", "v"),
    ],
)
async def test_header_h11_refuses_is_a_validation_error(name: str, value: str) -> None:
    with FaultServer(echo()) as server:
        transport = HttpxTransport(ClientConfig(max_pool_connections=1))
        try:
            await (await transport.send(post(server.url, b"warm"))).read()
            request = HTTPRequest("POST", server.url + "/x", [(name, value)], b"{}")
            with pytest.raises(ParamValidationError, match=r"HTTP/1\.1"):
                await transport.send(request)
            response = await transport.send(post(server.url, b"after"))
            assert await response.read() == b"after"
        finally:
            await transport.aclose()
        assert [request.body for request in server.requests] == [b"warm", b"after"]


async def test_header_values_h11_accepts_are_sent_as_they_are() -> None:
    headers = [("X-Empty", ""), ("X-Inner", "a b\tc"), ("X-Latin", "caf\xe9"), ("X-Mark", "!~")]
    with FaultServer(echo()) as server:
        transport = HttpxTransport(ClientConfig(max_pool_connections=1))
        try:
            request = HTTPRequest("POST", server.url + "/x", headers, b"{}")
            response = await transport.send(request)
            assert await response.read() == b"{}"
        finally:
            await transport.aclose()
        received = server.requests[0].headers
        assert [(n, v) for n, v in received if n.startswith("X-")] == headers
