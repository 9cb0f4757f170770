"""The HTTP/2 engine (``_transports/h2_engine``) against a real HTTP/2 server on 127.0.0.1:
duplex, flow control, PING, cancellation, multiplexing and the pool.

Every test runs under asyncio and trio. The server (``h2server.H2Server``) is scripted
per stream by the request path; it records what arrived, so tests check the wire:
frame sizes, resets and their codes, connections opened. Failures (resets, GOAWAY,
timeouts, setup errors, TLS) are in ``test_h2_engine_failures``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime import EndpointConnectionError
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._transports.base import DuplexExchange, DuplexTransport

from .h2client import LIMIT, exchange_once, make, read_exactly, request, seen
from .h2server import H2Server, StreamRecord

pytestmark = pytest.mark.anyio


@pytest.fixture
def server() -> Iterator[H2Server]:
    with H2Server() as running:
        yield running


# -- duplex and the protocol ---------------------------------------------------------------


async def test_duplex_each_echo_arrives_before_the_next_part_is_sent(server: H2Server) -> None:
    transport = make()
    assert isinstance(transport, DuplexTransport)
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, "/echo", x_test="duplex"))
        assert isinstance(exchange, DuplexExchange)
        response = await exchange.response()  # headers before any input was sent
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/octet-stream"
        chunks = response.iter_raw()
        for index in range(5):
            part = b"part %d " % index * (index + 1)
            await exchange.send(part)
            assert await read_exactly(chunks, len(part)) == part
            record = server.streams[0]
            assert not record.ended  # the input is still open while output arrives
        await exchange.end_input()
        assert [chunk async for chunk in chunks] == []
        await exchange.aclose()
        await transport.aclose()
    record = server.streams[0]
    assert record.ended and record.reset_code is None
    headers = dict(record.headers)
    assert headers[":authority"] == f"127.0.0.1:{server.port}"
    assert headers[":scheme"] == "http" and headers[":method"] == "POST"
    assert headers["x_test"] == "duplex"


async def test_request_headers_as_http2_wants_them(server: H2Server) -> None:
    headers = [
        ("Host", "ignored.example"),
        ("Connection", "keep-alive"),
        ("Transfer-Encoding", "chunked"),
        ("TE", "trailers"),
        ("X-Amz-Date", "20250101T000000Z"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=..."),
    ]
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(
            HTTPRequest("POST", f"{server.url}/echo?a=b%20c&d=%2F", headers)
        )
        await exchange.end_input()
        assert await (await exchange.response()).read() == b""
        await exchange.aclose()
        await transport.aclose()
    record = server.streams[0]
    assert record.path == "/echo?a=b%20c&d=%2F"  # sent as encoded
    assert [name for name, _ in record.headers] == [
        ":method",
        ":scheme",
        ":authority",
        ":path",
        "te",
        "x-amz-date",
        "authorization",
    ]
    assert dict(record.headers)[":authority"] == f"127.0.0.1:{server.port}"


async def test_request_body_is_sent_first(server: H2Server) -> None:
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, "/echo", body=b"first"))
        await exchange.send(b"-second")
        await exchange.end_input()
        assert await (await exchange.response()).read() == b"first-second"
        await exchange.aclose()
        await transport.aclose()


async def test_tiny_send_window_is_respected() -> None:
    payload = os.urandom(3000)
    with H2Server(initial_window_size=10) as server:
        transport = make()
        with anyio.fail_after(LIMIT):
            exchange = await transport.open(request(server.url, "/echo"))
            chunks = (await exchange.response()).iter_raw()
            await exchange.send(payload)  # waits for the server's WINDOW_UPDATEs
            await exchange.end_input()
            assert await read_exactly(chunks, len(payload)) == payload
            await exchange.aclose()
            await transport.aclose()
    record = server.streams[0]
    assert bytes(record.received) == payload
    assert max(record.frame_sizes) <= 10
    assert len(record.frame_sizes) >= len(payload) // 10


@pytest.mark.parametrize("max_frame_size", [16384, 1 << 17])
async def test_frames_follow_the_servers_max_frame_size(max_frame_size: int) -> None:
    payload = os.urandom(600_000)
    with H2Server(initial_window_size=1 << 20, max_frame_size=max_frame_size) as server:
        transport = make()
        with anyio.fail_after(LIMIT):
            exchange = await transport.open(request(server.url, "/echo"))
            response = await exchange.response()

            async def drain() -> bytes:
                return await read_exactly(response.iter_raw(), len(payload))

            async with anyio.create_task_group() as group:
                result: list[bytes] = []
                group.start_soon(lambda: _collect(drain, result))
                await exchange.send(payload)
                await exchange.end_input()
            assert result == [payload]
            await exchange.aclose()
            await transport.aclose()
    sizes = server.streams[0].frame_sizes
    assert max(sizes) == max_frame_size  # split at the limit, not below it
    assert sum(sizes) == len(payload)


async def _collect(read: Callable[[], Any], into: list[Any]) -> None:
    into.append(await read())


async def test_output_larger_than_our_window_is_acknowledged(server: H2Server) -> None:
    size = 3 << 20  # three times the stream window we announce
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, f"/bytes?n={size}"))
        received = 0
        async for chunk in (await exchange.response()).iter_raw():
            received += len(chunk)
        assert received == size
        await exchange.end_input()
        await exchange.aclose()
        assert await exchange_once(transport, server.url) == b"ping"
        await transport.aclose()
    assert server.connections == 1


async def test_ping_is_answered(server: H2Server) -> None:
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, "/ping"))
        chunks = (await exchange.response()).iter_raw()
        await exchange.send(b"x")
        assert await read_exactly(chunks, 1) == b"x"
        assert await seen(server, lambda: server.ping_acks) == 1
        await exchange.aclose()
        await transport.aclose()


async def test_non_200_response_and_body(server: H2Server) -> None:
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, "/status?code=503"))
        response = await exchange.response()
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/json"
        assert await response.read() == b'{"message": "scripted"}'
        await response.aclose()
        await transport.aclose()


# -- cancellation --------------------------------------------------------------------------


async def test_cancelled_reader_resets_its_stream_and_the_connection_is_reused(
    server: H2Server,
) -> None:
    transport = make()
    echoed = anyio.Event()

    async def run() -> None:
        exchange = await transport.open(request(server.url, "/echo"))
        try:
            chunks = (await exchange.response()).iter_raw()
            await exchange.send(b"x")
            await read_exactly(chunks, 1)
            echoed.set()
            await chunks.__anext__()  # nothing more comes: cancelled here
        finally:
            await exchange.aclose()

    with anyio.fail_after(LIMIT):
        async with anyio.create_task_group() as group:
            group.start_soon(run)
            await echoed.wait()
            group.cancel_scope.cancel()
        record = await seen(
            server, lambda: server.streams[0].reset_code is not None and server.streams[0]
        )
        assert record.reset_code == 8  # CANCEL
        assert await exchange_once(transport, server.url) == b"ping"
        await transport.aclose()
    assert server.connections == 1


async def test_cancelled_send_resets_its_stream_and_the_connection_is_reused() -> None:
    with H2Server(initial_window_size=10) as server:
        transport = make()
        with anyio.fail_after(LIMIT):
            exchange = await transport.open(request(server.url, "/stall"))
            async with anyio.create_task_group() as group:
                group.start_soon(exchange.send, b"y" * 1000)  # blocks after 10 bytes
                await seen(server, lambda: server.streams and len(server.streams[0].received) == 10)
                group.cancel_scope.cancel()
            record: StreamRecord = await seen(
                server, lambda: server.streams[0].reset_code is not None and server.streams[0]
            )
            assert record.reset_code == 8
            with pytest.raises(EndpointConnectionError, match="reset by the client"):
                await exchange.send(b"z")
            await exchange.aclose()
            assert await exchange_once(transport, server.url) == b"ping"
            await transport.aclose()
        assert server.connections == 1


@pytest.mark.parametrize("role", ["reader", "waiter"])
async def test_closing_an_exchange_wakes_its_reader_in_another_task(
    server: H2Server, role: str
) -> None:
    """A task waiting for output ends when another task closes the exchange, whether it
    reads the socket for the connection (the server sends nothing: nothing else would
    wake it) or waits while another stream's task reads. No read timeout: before the
    fix both hung."""
    transport = make(read_timeout=None)
    ended: list[BaseException] = []

    async def read(exchange: DuplexExchange) -> None:
        try:
            async for _ in (await exchange.response()).iter_raw():
                pass
        except Exception as error:
            ended.append(error)

    with anyio.fail_after(LIMIT):
        other = await transport.open(request(server.url, "/headers-then-silent"))
        exchange = await transport.open(request(server.url, "/headers-then-silent"))
        await other.response()
        await exchange.response()
        async with anyio.create_task_group() as group:
            if role == "waiter":  # the other stream's task takes the reader role first
                group.start_soon(read, other)
                await anyio.wait_all_tasks_blocked()
            group.start_soon(read, exchange)
            await anyio.wait_all_tasks_blocked()
            assert not ended
            await exchange.aclose()
            while not ended:  # the closed exchange's reader ends; the other keeps waiting
                await anyio.wait_all_tasks_blocked()
            assert len(ended) == 1 and isinstance(ended[0], EndpointConnectionError)
            assert "reset by the client" in str(ended[0])
            await other.aclose()  # its reader too, in the waiter case
        assert len(ended) == (2 if role == "waiter" else 1)
        assert await exchange_once(transport, server.url) == b"ping"  # same connection
        await transport.aclose()
    assert server.connections == 1


async def test_closing_the_transport_fails_open_exchanges(server: H2Server) -> None:
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, "/echo"))
        await exchange.response()
        await transport.aclose()
        with pytest.raises(EndpointConnectionError, match="closed by the client"):
            await exchange.send(b"x")
        await exchange.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await transport.open(request(server.url, "/echo"))


async def test_misuse_raises_runtime_error(server: H2Server) -> None:
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, "/echo"))
        await exchange.end_input()
        with pytest.raises(RuntimeError, match="input"):
            await exchange.send(b"late")
        await exchange.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await exchange.send(b"later")
        await transport.aclose()


# -- multiplexing and the pool -------------------------------------------------------------


async def test_streams_share_a_connection_up_to_max_concurrent_streams_then_queue() -> None:
    with H2Server(max_concurrent_streams=3) as server:
        transport = make(max_pool_connections=1)
        with anyio.fail_after(LIMIT):
            held = [await transport.open(request(server.url, "/echo")) for _ in range(3)]
            opened = anyio.Event()
            fourth: list[DuplexExchange] = []

            async def open_fourth() -> None:
                fourth.append(await transport.open(request(server.url, "/echo")))
                opened.set()

            async with anyio.create_task_group() as group:
                group.start_soon(open_fourth)
                await anyio.wait_all_tasks_blocked()
                assert not opened.is_set()  # queued: the server allows 3, the pool 1 connection
                await held[0].aclose()
                await opened.wait()
            for exchange in [*held[1:], *fourth]:
                await exchange.send(b"x")
                await exchange.end_input()
                assert await (await exchange.response()).read() == b"x"
                await exchange.aclose()
            await transport.aclose()
        assert server.connections == 1
        assert server.max_open_streams == 3
        assert server.protocol_errors == 0


async def test_a_full_connection_makes_the_pool_open_another() -> None:
    with H2Server(max_concurrent_streams=2) as server:
        transport = make(max_pool_connections=3)
        with anyio.fail_after(LIMIT):
            held = [await transport.open(request(server.url, "/echo")) for _ in range(5)]
            assert server.connections == 3
            # The server's threads record each stream as they read its HEADERS: wait for
            # the five before closing (closed at once, a connection could go unread).
            await seen(server, lambda: len(server.streams) == 5)
            for exchange in held:
                await exchange.aclose()
            await transport.aclose()
        assert sorted(record.connection for record in server.streams) == [1, 1, 2, 2, 3]


async def test_many_concurrent_streams_on_few_connections() -> None:
    with H2Server(max_concurrent_streams=4) as server:
        transport = make(max_pool_connections=2)
        results: dict[int, bytes] = {}

        async def one(index: int) -> None:
            part = b"stream %d " % index * 50
            exchange = await transport.open(request(server.url, "/echo"))
            try:
                response = await exchange.response()
                await exchange.send(part)
                await exchange.end_input()
                results[index] = await response.read()
            finally:
                await exchange.aclose()

        with anyio.fail_after(LIMIT):
            async with anyio.create_task_group() as group:
                for index in range(40):
                    group.start_soon(one, index)
            await transport.aclose()
        assert results == {index: b"stream %d " % index * 50 for index in range(40)}
        assert server.connections <= 2
        assert server.max_open_streams <= 4
        assert server.protocol_errors == 0
        assert all(record.reset_code is None for record in server.streams)


async def test_connections_are_reused(server: H2Server) -> None:
    transport = make()
    with anyio.fail_after(LIMIT):
        for index in range(5):
            assert await exchange_once(transport, server.url, b"%d" % index) == b"%d" % index
        await transport.aclose()
    assert server.connections == 1
    assert [record.stream_id for record in server.streams] == [1, 3, 5, 7, 9]


def test_default_ports_are_left_out_of_the_authority() -> None:
    from aiosagemaker_runtime._transports.h2_engine import _target

    origin, authority, path = _target("https://runtime.example.com:443/x?y=1")
    assert (origin.port, authority, path) == (443, "runtime.example.com", "/x?y=1")
    origin, authority, path = _target("https://runtime.example.com:8443/endpoints/e")
    assert (origin.port, authority) == (8443, "runtime.example.com:8443")
    origin, authority, path = _target("http://[::1]:8080")
    assert (origin.host, origin.port, authority, path) == ("::1", 8080, "[::1]:8080", "/")


# -- cold start ----------------------------------------------------------------------------


def test_importing_the_library_and_the_engine_does_not_import_h2() -> None:
    code = (
        "import sys, aiosagemaker_runtime, aiosagemaker_runtime._transports.h2_engine\n"
        "print(sorted(m for m in ('h2', 'hpack', 'hyperframe') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"
