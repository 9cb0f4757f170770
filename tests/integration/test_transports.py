"""The transport suite, run over both engines against real sockets.

httpx2 runs under asyncio and trio; aiohttp under asyncio only.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime import (
    ClientConfig,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._transports.aiohttp_engine import AiohttpTransport
from aiosagemaker_runtime._transports.base import Transport
from aiosagemaker_runtime._transports.httpx_engine import HttpxTransport

from .servers import (
    FaultServer,
    UnansweredConnects,
    chunked,
    echo,
    ok,
    refused_url,
    reset_before_status,
    reset_mid_body,
    stall_before_headers,
    stall_mid_body,
    trickle,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["httpx", "aiohttp"])
def engine(request: pytest.FixtureRequest, anyio_backend: str) -> str:
    if request.param == "aiohttp" and anyio_backend != "asyncio":
        pytest.skip("aiohttp runs under asyncio only")
    return str(request.param)


def make_transport(engine: str, **config: Any) -> Transport:
    cfg = ClientConfig(**config)
    return HttpxTransport(cfg) if engine == "httpx" else AiohttpTransport(cfg)


@pytest.fixture
async def server() -> AsyncIterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


def post(url: str, body: bytes | bytearray | memoryview = b"{}", path: str = "/x") -> HTTPRequest:
    return HTTPRequest("POST", url + path, [("X-Test", "1")], body)


async def test_sends_exactly_our_headers(engine: str, server: FaultServer) -> None:
    server.script(ok(b"hello", headers=[("X-Amzn-Invoked-Production-Variant", "v1")]))
    transport = make_transport(engine)
    try:
        response = await transport.send(post(server.url, b"abc", "/a%2Fb/c"))
        assert response.status_code == 200
        assert response.headers["x-amzn-invoked-production-variant"] == "v1"
        assert all(name == name.lower() for name in response.headers)
        assert await response.read() == b"hello"
        await response.aclose()
    finally:
        await transport.aclose()
    received = server.requests[0]
    assert received.method == "POST"
    assert received.target == "/a%2Fb/c"
    names = sorted(name.lower() for name, _ in received.headers)
    assert names == ["content-length", "host", "x-test"]
    assert received.header("host") == f"127.0.0.1:{server.port}"
    assert received.header("content-length") == "3"
    assert received.body == b"abc"


@pytest.mark.parametrize(
    "body",
    [b"bytes-body", bytearray(b"bytearray-body"), memoryview(b"memoryview-body")],
    ids=["bytes", "bytearray", "memoryview"],
)
async def test_bytes_like_bodies(engine: str, server: FaultServer, body: Any) -> None:
    server.default = echo()
    transport = make_transport(engine)
    try:
        response = await transport.send(post(server.url, body))
        assert await response.read() == bytes(body)
    finally:
        await transport.aclose()


async def test_memoryview_of_wide_items_is_sent_as_bytes(engine: str, server: FaultServer) -> None:
    import array

    data = array.array("I", [1, 2, 3])
    server.default = echo()
    transport = make_transport(engine)
    try:
        response = await transport.send(post(server.url, memoryview(data)))
        assert await response.read() == data.tobytes()
        assert server.requests[0].header("content-length") == "12"
    finally:
        await transport.aclose()


async def test_empty_body_sends_content_length_zero(engine: str, server: FaultServer) -> None:
    transport = make_transport(engine)
    try:
        response = await transport.send(post(server.url, b""))
        await response.read()
    finally:
        await transport.aclose()
    assert server.requests[0].header("content-length") == "0"


async def test_refused_connection(engine: str) -> None:
    transport = make_transport(engine)
    try:
        with pytest.raises(EndpointConnectionError) as info:
            await transport.send(post(refused_url()))
        assert info.value.__cause__ is not None
        assert "127.0.0.1" in str(info.value)
    finally:
        await transport.aclose()


async def test_connect_timeout(engine: str) -> None:
    transport = make_transport(engine, connect_timeout=0.3)
    try:
        with UnansweredConnects() as url:
            start = time.monotonic()
            with pytest.raises(ConnectTimeoutError):
                await transport.send(post(url))
            assert time.monotonic() - start < 3
    finally:
        await transport.aclose()


async def test_reset_before_status(engine: str, server: FaultServer) -> None:
    server.script(reset_before_status())
    transport = make_transport(engine)
    try:
        with pytest.raises(EndpointConnectionError):
            await transport.send(post(server.url))
    finally:
        await transport.aclose()


async def test_reset_mid_body_read(engine: str, server: FaultServer) -> None:
    server.script(reset_mid_body())
    transport = make_transport(engine)
    try:
        response = await transport.send(post(server.url))
        assert response.status_code == 200
        with pytest.raises(EndpointConnectionError):
            await response.read()
        await response.aclose()
    finally:
        await transport.aclose()


async def test_reset_mid_body_iter_raw(engine: str, server: FaultServer) -> None:
    server.script(reset_mid_body())
    transport = make_transport(engine)
    try:
        response = await transport.send(post(server.url))
        with pytest.raises(EndpointConnectionError):
            async for _ in response.iter_raw():
                pass
        await response.aclose()
    finally:
        await transport.aclose()


async def test_stall_before_headers_is_a_read_timeout(engine: str, server: FaultServer) -> None:
    server.script(stall_before_headers(5))
    transport = make_transport(engine, read_timeout=0.3)
    try:
        start = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            await transport.send(post(server.url))
        assert time.monotonic() - start < 3
    finally:
        await transport.aclose()


async def test_stall_mid_body_read_timeout(engine: str, server: FaultServer) -> None:
    server.script(stall_mid_body(5))
    transport = make_transport(engine, read_timeout=0.3)
    try:
        response = await transport.send(post(server.url))
        with pytest.raises(ReadTimeoutError):
            await response.read()
        await response.aclose()
    finally:
        await transport.aclose()


async def test_stall_mid_stream_read_timeout(engine: str, server: FaultServer) -> None:
    server.script(stall_mid_body(5))
    transport = make_transport(engine, read_timeout=0.3)
    try:
        response = await transport.send(post(server.url))
        chunks = []
        with pytest.raises(ReadTimeoutError):
            async for chunk in response.iter_raw():
                chunks.append(chunk)
        assert b"".join(chunks) == b"abc"
        await response.aclose()
    finally:
        await transport.aclose()


async def test_read_timeout_is_per_read_not_total(engine: str, server: FaultServer) -> None:
    pieces = [b"one", b"two", b"three", b"four"]
    server.script(chunked(pieces, delay=0.15))
    transport = make_transport(engine, read_timeout=0.4)
    try:
        response = await transport.send(post(server.url))
        received = [chunk async for chunk in response.iter_raw()]
        assert b"".join(received) == b"onetwothreefour"
        assert len(received) >= 2  # chunks arrive as they are sent, not all at the end
        await response.aclose()
    finally:
        await transport.aclose()


async def test_pool_limit_is_respected_and_connection_reused(
    engine: str, server: FaultServer
) -> None:
    server.default = stall_before_headers(0.2, then=ok(b"x"))
    transport = make_transport(engine, max_pool_connections=1)

    async def one() -> None:
        response = await transport.send(post(server.url))
        await response.read()
        await response.aclose()

    try:
        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(one)
    finally:
        await transport.aclose()
    assert len(server.requests) == 3
    assert server.connections == 1
    times = sorted(request.time for request in server.requests)
    assert times[1] - times[0] >= 0.15 and times[2] - times[1] >= 0.15


async def test_pool_reused_after_errors(engine: str, server: FaultServer) -> None:
    server.script(reset_before_status(), ok(b"a"), ok(b"b"))
    transport = make_transport(engine, max_pool_connections=1)
    try:
        with pytest.raises(EndpointConnectionError):
            await transport.send(post(server.url))
        for expected in (b"a", b"b"):
            response = await transport.send(post(server.url))
            assert await response.read() == expected
            await response.aclose()
    finally:
        await transport.aclose()
    assert server.connections == 2  # a new one after the reset, then reused


async def test_cancellation_while_waiting_releases_connection(
    engine: str, server: FaultServer
) -> None:
    server.script(stall_before_headers(5))
    transport = make_transport(engine)
    try:
        with anyio.move_on_after(0.3) as scope:
            await transport.send(post(server.url))
        assert scope.cancelled_caught
    finally:
        await transport.aclose()
    assert server.wait_for_closed_connections()


async def test_closing_a_stream_early_releases_connection(engine: str, server: FaultServer) -> None:
    server.script(chunked([b"a" * 10] * 50, delay=0.02), ok(b"after"))
    transport = make_transport(engine, max_pool_connections=1)
    try:
        response = await transport.send(post(server.url))
        async for _ in response.iter_raw():
            break
        await response.aclose()
        response = await transport.send(post(server.url))
        assert await response.read() == b"after"
        await response.aclose()
    finally:
        await transport.aclose()
    assert server.wait_for_closed_connections()


async def test_aclose_is_idempotent_and_final(engine: str, server: FaultServer) -> None:
    transport = make_transport(engine)
    response = await transport.send(post(server.url))
    await response.read()
    await response.aclose()
    await transport.aclose()
    await transport.aclose()
    assert server.wait_for_closed_connections()
    with pytest.raises(RuntimeError, match="closed"):
        await transport.send(post(server.url))


async def test_proxy_from_the_environment(
    engine: str, server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url)
    server.default = ok(b"via proxy")
    transport = make_transport(engine)
    try:
        response = await transport.send(post("http://sagemaker.invalid", b"abc", "/p"))
        assert await response.read() == b"via proxy"
        await response.aclose()
    finally:
        await transport.aclose()
    received = server.requests[0]
    assert received.target == "http://sagemaker.invalid/p"
    assert received.header("host") == "sagemaker.invalid"


async def test_no_proxy_is_honoured(
    engine: str, server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ALL_PROXY", "all_proxy", "http_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # would refuse
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    transport = make_transport(engine)
    try:
        response = await transport.send(post(server.url))
        await response.read()
        await response.aclose()
    finally:
        await transport.aclose()
    assert server.requests[0].target == "/x"


@pytest.fixture(scope="module")
def tls_server_context() -> tuple[Any, bytes]:
    import ssl

    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context, ca.cert_pem.bytes()


@pytest.fixture
def trusted_tls(
    tls_server_context: tuple[Any, bytes], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The TLS server's context, its CA trusted through ``AWS_CA_BUNDLE``."""
    context, ca_pem = tls_server_context
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(ca_pem)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))
    return context


async def test_tls_verified_with_aws_ca_bundle(engine: str, trusted_tls: Any) -> None:
    with FaultServer(ok(b"secure"), ssl_context=trusted_tls) as tls_server:
        assert tls_server.url.startswith("https://")
        transport = make_transport(engine)
        try:
            response = await transport.send(post(tls_server.url))
            assert await response.read() == b"secure"
            await response.aclose()
        finally:
            await transport.aclose()


async def test_tls_unknown_issuer_is_refused(
    engine: str, tls_server_context: tuple[Any, bytes]
) -> None:
    context, _ = tls_server_context
    with FaultServer(ok(b"secure"), ssl_context=context) as tls_server:
        transport = make_transport(engine)
        try:
            with pytest.raises(EndpointConnectionError, match=r"(?i)certificate"):
                await transport.send(post(tls_server.url))
        finally:
            await transport.aclose()
        assert tls_server.requests == []


async def _large_then_small(engine: str, server: FaultServer, big: Any) -> None:
    """``big`` echoed back on one pooled connection, then a small exchange on the same one."""
    server.script(echo(), ok(b"small"))
    transport = make_transport(engine, max_pool_connections=1)
    try:
        response = await transport.send(post(server.url, big))
        assert await response.read() == bytes(big)
        await response.aclose()
        response = await transport.send(post(server.url, b"x"))
        assert await response.read() == b"small"
        await response.aclose()
    finally:
        await transport.aclose()


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
async def test_large_bodies_both_ways(engine: str, server: FaultServer, kind: Any) -> None:
    big = bytes(range(256)) * (5 * 4096)  # 5 MiB: written in slices, read past h11
    await _large_then_small(engine, server, kind(big))
    assert server.requests[0].body == big
    assert server.requests[0].header("content-length") == str(len(big))
    assert server.requests[0].header("transfer-encoding") is None
    assert server.requests[1].body == b"x"
    assert server.connections == 1


LARGE = 1 << 20  # over the size from which the default engine reads bodies past h11


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(lambda: reset_mid_body(partial=b"a" * 300_000, total=LARGE), id="reset"),
        pytest.param(lambda: stall_mid_body(0, partial=b"a" * 300_000, total=LARGE), id="eof"),
    ],
)
async def test_large_body_cut_short(engine: str, server: FaultServer, fault: Any) -> None:
    server.script(fault(), ok(b"next"))
    transport = make_transport(engine, max_pool_connections=1)
    try:
        response = await transport.send(post(server.url))
        with pytest.raises(EndpointConnectionError):
            await response.read()
        await response.aclose()
        response = await transport.send(post(server.url))
        assert await response.read() == b"next"
        await response.aclose()
    finally:
        await transport.aclose()
    assert server.connections == 2  # the cut connection is never pooled again


async def test_large_body_stall_is_a_read_timeout(engine: str, server: FaultServer) -> None:
    server.script(stall_mid_body(5, partial=b"a" * 300_000, total=LARGE), ok(b"next"))
    transport = make_transport(engine, read_timeout=0.3, max_pool_connections=1)
    try:
        response = await transport.send(post(server.url))
        start = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            await response.read()
        assert time.monotonic() - start < 3
        await response.aclose()
        response = await transport.send(post(server.url))
        assert await response.read() == b"next"
        await response.aclose()
    finally:
        await transport.aclose()
    assert server.connections == 2


async def test_large_body_read_timeout_is_per_read(engine: str, server: FaultServer) -> None:
    """A body slower in total than the read timeout, never idle that long: no timeout."""
    body = bytes(range(256)) * (LARGE // 256)
    server.script(trickle(body, pieces=6, pause=0.1))
    transport = make_transport(engine, read_timeout=0.4, max_pool_connections=1)
    try:
        response = await transport.send(post(server.url))
        start = time.monotonic()
        assert await response.read() == body
        assert time.monotonic() - start > 0.4  # longer than one read timeout in all
        await response.aclose()
    finally:
        await transport.aclose()


async def test_large_bodies_over_tls(engine: str, trusted_tls: Any) -> None:
    big = bytes(range(256)) * (5 * 4096)
    with FaultServer(ssl_context=trusted_tls) as tls_server:
        await _large_then_small(engine, tls_server, big)
        assert tls_server.requests[0].body == big
        assert tls_server.connections == 1


async def test_large_bodies_keep_a_connection_in_sync(engine: str, server: FaultServer) -> None:
    """Large and small answers alternating on one connection: every body exact."""
    sizes = [LARGE + 7, 5, 300_000, 0, LARGE, 3]
    bodies = [bytes([n % 251]) * size for n, size in enumerate(sizes)]
    server.script(*(ok(body) for body in bodies))
    transport = make_transport(engine, max_pool_connections=1)
    try:
        for body in bodies:
            response = await transport.send(post(server.url))
            assert await response.read() == body
            await response.aclose()
    finally:
        await transport.aclose()
    assert server.connections == 1
