"""The HTTP/2 engine's failures against a real HTTP/2 server on 127.0.0.1: RST_STREAM and
GOAWAY mid-stream, read and connect timeouts, servers that do not speak HTTP/2, TLS
with and without ALPN ``h2``. Asyncio and trio.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import trustme

from aiosagemaker_runtime import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._transports.h2_errors import UnprocessedStreamError

from .h2client import LIMIT, exchange_once, make, read_exactly, request, seen
from .h2server import H2Server, Http11Server
from .servers import UnansweredConnects, refused_url

pytestmark = pytest.mark.anyio


@pytest.fixture
def server() -> Iterator[H2Server]:
    with H2Server() as running:
        yield running


# -- resets and GOAWAY ---------------------------------------------------------------------


async def test_rst_stream_from_the_server_fails_reads_and_writes(server: H2Server) -> None:
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, "/reset?after=5&code=2"))
        chunks = (await exchange.response()).iter_raw()
        await exchange.send(b"hello")
        with pytest.raises(EndpointConnectionError, match="reset the stream \\(INTERNAL_ERROR\\)"):
            async for _ in chunks:
                pass
        with pytest.raises(EndpointConnectionError, match="INTERNAL_ERROR"):
            await exchange.send(b"more")
        await exchange.aclose()
        # The connection is still good for the next stream.
        assert await exchange_once(transport, server.url) == b"ping"
        await transport.aclose()
    assert server.connections == 1
    assert server.streams[0].reset_code is None  # we did not reset it back


async def test_refused_stream_is_safe_to_retry(server: H2Server) -> None:
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, "/reset?after=1&code=7"))
        await exchange.send(b"x")
        with pytest.raises(UnprocessedStreamError, match="REFUSED_STREAM"):
            await (await exchange.response()).read()
        await exchange.aclose()
        await transport.aclose()


async def test_goaway_below_the_stream_fails_it_retry_safe_and_reconnects(
    server: H2Server,
) -> None:
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, "/goaway?after=1&last=below"))
        chunks = (await exchange.response()).iter_raw()
        await exchange.send(b"x")
        with pytest.raises(UnprocessedStreamError, match="GOAWAY NO_ERROR, last stream 0"):
            await chunks.__anext__()
        with pytest.raises(UnprocessedStreamError):
            await exchange.send(b"y")
        await exchange.aclose()
        assert await exchange_once(transport, server.url) == b"ping"  # a new connection
        await transport.aclose()
    assert server.connections == 2


async def test_graceful_goaway_lets_the_stream_finish_and_new_ones_go_elsewhere(
    server: H2Server,
) -> None:
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, "/goaway?after=1&last=this"))
        chunks = (await exchange.response()).iter_raw()
        await exchange.send(b"a")
        assert await read_exactly(chunks, 1) == b"a"
        await exchange.send(b"b")  # its echo comes after the GOAWAY on the wire
        assert await read_exactly(chunks, 1) == b"b"
        assert await exchange_once(transport, server.url, b"other") == b"other"
        assert server.connections == 2
        await exchange.send(b"c")  # the first stream goes on after the GOAWAY
        await exchange.end_input()
        assert await read_exactly(chunks, 1) == b"c"
        assert [chunk async for chunk in chunks] == []
        await exchange.aclose()
        await transport.aclose()
    first = server.streams[0]
    assert bytes(first.received) == b"abc" and first.ended and first.reset_code is None


@pytest.mark.parametrize("then", ["goaway", "close"])
async def test_a_connection_the_server_closed_while_idle_is_not_reused(
    server: H2Server, then: str
) -> None:
    transport = make()
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, f"/status?code=200&then={then}"))
        assert await (await exchange.response()).read() == b'{"message": "scripted"}'
        await exchange.aclose()
        await seen(server, lambda: server.hung_up == 1)  # its GOAWAY and FIN are sent
        assert await exchange_once(transport, server.url) == b"ping"
        await transport.aclose()
    assert server.connections == 2


# -- timeouts and setup errors -------------------------------------------------------------


async def test_silent_server_read_timeouts_then_the_connection_is_reused(
    server: H2Server,
) -> None:
    transport = make(read_timeout=0.3)
    with anyio.fail_after(LIMIT):
        exchange = await transport.open(request(server.url, "/silent"))
        with pytest.raises(ReadTimeoutError):
            await exchange.response()
        await exchange.aclose()
        exchange = await transport.open(request(server.url, "/headers-then-silent"))
        response = await exchange.response()
        with pytest.raises(ReadTimeoutError):
            await response.read()
        await exchange.aclose()
        assert await exchange_once(transport, server.url) == b"ping"
        await transport.aclose()
    assert server.connections == 1
    assert [record.reset_code for record in server.streams[:2]] == [8, 8]  # CANCEL


async def test_connect_refused() -> None:
    transport = make()
    with anyio.fail_after(LIMIT), pytest.raises(EndpointConnectionError, match="Could not connect"):
        await transport.open(request(refused_url(), "/echo"))
    await transport.aclose()


async def test_connect_timeout() -> None:
    transport = make(connect_timeout=0.3)
    with (
        UnansweredConnects() as url,
        anyio.fail_after(LIMIT),
        pytest.raises(ConnectTimeoutError),
    ):
        await transport.open(request(url, "/echo"))
    await transport.aclose()


async def test_server_that_never_sends_settings_is_a_connect_timeout() -> None:
    transport = make(connect_timeout=0.3)
    with (
        H2Server(silent=True) as server,
        anyio.fail_after(LIMIT),
        pytest.raises(ConnectTimeoutError),
    ):
        await transport.open(request(server.url, "/echo"))
    await transport.aclose()


async def test_http11_server_is_refused_clearly() -> None:
    transport = make()
    with (
        Http11Server() as url,
        anyio.fail_after(LIMIT),
        pytest.raises(EndpointConnectionError, match="did not answer with HTTP/2"),
    ):
        await transport.open(request(url, "/echo"))
    await transport.aclose()


async def test_concurrent_first_requests_share_one_failed_attempt() -> None:
    transport = make(connect_timeout=0.3)
    errors: list[BaseException] = []

    async def one(url: str) -> None:
        try:
            await transport.open(request(url, "/echo"))
        except ConnectTimeoutError as error:
            errors.append(error)

    with UnansweredConnects() as url, anyio.fail_after(LIMIT):
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(one, url)
    assert len(errors) == 5
    await transport.aclose()


async def test_invalid_header_is_refused_before_sending(server: H2Server) -> None:
    transport = make()
    with anyio.fail_after(LIMIT), pytest.raises(ParamValidationError):
        await transport.open(HTTPRequest("POST", f"{server.url}/echo", [("x-bad", "a\r\nb")]))
    await transport.aclose()
    assert server.connections == 0


# -- TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_server_context(ca: trustme.CA, alpn: list[str] | None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    if alpn is not None:
        context.set_alpn_protocols(alpn)
    return context


@pytest.fixture
def bundle(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ca.pem"
    path.write_bytes(ca.cert_pem.bytes())
    monkeypatch.setenv("AWS_CA_BUNDLE", str(path))
    return path


async def test_tls_with_alpn_h2_trusted_via_aws_ca_bundle(ca: trustme.CA, bundle: Path) -> None:
    with H2Server(tls=tls_server_context(ca, ["h2"])) as server:
        assert server.url.startswith("https://")
        transport = make()
        with anyio.fail_after(LIMIT):
            assert await exchange_once(transport, server.url, b"secret") == b"secret"
            assert await exchange_once(transport, server.url, b"again") == b"again"
            await transport.aclose()
        assert server.connections == 1
        assert dict(server.streams[0].headers)[":scheme"] == "https"


@pytest.mark.parametrize("alpn", [["http/1.1"], None], ids=["http1.1", "none"])
async def test_tls_without_alpn_h2_is_refused_clearly(
    ca: trustme.CA, bundle: Path, alpn: list[str] | None
) -> None:
    with H2Server(tls=tls_server_context(ca, alpn)) as server:
        transport = make()
        with anyio.fail_after(LIMIT):
            with pytest.raises(EndpointConnectionError, match="did not negotiate HTTP/2"):
                await transport.open(request(server.url, "/echo"))
            await transport.aclose()
        assert server.streams == []


async def test_tls_untrusted_without_the_bundle(ca: trustme.CA) -> None:
    with H2Server(tls=tls_server_context(ca, ["h2"])) as server:
        transport = make()
        with anyio.fail_after(LIMIT):
            with pytest.raises(EndpointConnectionError, match=r"(?i)certificate"):
                await transport.open(request(server.url, "/echo"))
            await transport.aclose()
