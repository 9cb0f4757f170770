"""serve-local over HTTP/2 on the HTTP/1.1 port: h2c (prior knowledge and Upgrade), TLS
with ALPN, the SageMaker operations, and a duplex route (each DATA frame of the request
answered before the next is sent), under asyncio and trio.

The h2 client is written here on h2 and anyio streams, so that these tests depend on
nothing but the server.
"""

from __future__ import annotations

import hashlib
import json
import re
import ssl
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.abc
import h2.config
import h2.connection
import h2.events
import h2.settings
import httpx2
import pytest
from anyio.streams.tls import TLSAttribute

from aiosagemaker_runtime._auth.credentials import Credentials
from aiosagemaker_runtime._auth.sigv4 import sign_request
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._protocol.eventstream import EventStreamDecoder
from aiosagemaker_runtime.local import LocalConfig, LocalEndpointServer, TLSFiles
from aiosagemaker_runtime.local._asgi import Receive, Route, Scope, Send

ACCESS_KEY, SECRET_KEY = "AKIDHTTP2TEST", "http2-test-secret"
CONFIG = LocalConfig.serving({"e": "echo"}, port=0, credentials={ACCESS_KEY: SECRET_KEY})
DUPLEX_PATH = re.compile(r"/endpoints/([^/]+)/invocations-bidirectional-stream")


async def duplex_echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers each request body event with the same bytes, as it arrives."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        if message.get("body"):
            await send({"type": "http.response.body", "body": message["body"], "more_body": True})
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.body", "body": b""})


async def answer_at_once(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers without reading the request body."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"answered"})


ROUTES = [
    Route("POST", DUPLEX_PATH, duplex_echo),
    Route("POST", re.compile("/test/answer-at-once"), answer_at_once),
]


@asynccontextmanager
async def served(tls: TLSFiles | None = None) -> AsyncIterator[str]:
    server = LocalEndpointServer(CONFIG, tls=tls, routes=ROUTES)
    async with anyio.create_task_group() as tasks:
        url = await tasks.start(server.serve)
        try:
            yield url
        finally:
            tasks.cancel_scope.cancel()


class H2Client:
    """Just enough of an HTTP/2 client: streams opened, data sent, events read."""

    def __init__(self, stream: anyio.abc.ByteStream, authority: str, scheme: str) -> None:
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=config)
        self.stream = stream
        self.authority = authority.encode()
        self.scheme = scheme.encode()
        self.pending: deque[h2.events.Event] = deque()
        self.headers: dict[int, dict[bytes, bytes]] = {}

    async def start(self, upgrade_settings: bool = False) -> None:
        if not upgrade_settings:
            self.conn.initiate_connection()
        await self.flush()

    async def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            await self.stream.send(data)

    async def feed(self, data: bytes) -> None:
        self.pending.extend(self.conn.receive_data(data))
        await self.flush()

    async def event(self) -> h2.events.Event:
        while not self.pending:
            await self.feed(await self.stream.receive(65536))
        return self.pending.popleft()

    async def open(
        self, path: str, headers: list[tuple[bytes, bytes]], *, method: str = "POST"
    ) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        head = [
            (b":method", method.encode()),
            (b":scheme", self.scheme),
            (b":authority", self.authority),
            (b":path", path.encode()),
            *headers,
        ]
        self.conn.send_headers(stream_id, head, end_stream=method == "GET")
        await self.flush()
        return stream_id

    async def send(self, stream_id: int, data: bytes, *, end: bool = False) -> None:
        self.conn.send_data(stream_id, data, end_stream=end)
        await self.flush()

    async def read(self, stream_id: int) -> bytes | None:
        """The next DATA on ``stream_id`` (``None``: the stream ended)."""
        while True:
            event = await self.event()
            assert getattr(event, "stream_id", stream_id) in (stream_id, 0), event
            if isinstance(event, h2.events.ResponseReceived):
                self.headers[stream_id] = dict(event.headers)
            elif isinstance(event, h2.events.DataReceived):
                self.conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
                await self.flush()
                if event.data:
                    return bytes(event.data)
            elif isinstance(event, h2.events.StreamEnded):
                return None
            elif isinstance(event, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                raise AssertionError(f"stream {stream_id} broke: {event}")

    async def response(self, stream_id: int) -> tuple[dict[bytes, bytes], bytes]:
        body = b""
        while (chunk := await self.read(stream_id)) is not None:
            body += chunk
        return self.headers[stream_id], body


@asynccontextmanager
async def h2_connection(
    url: str, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[H2Client]:
    scheme, _, authority = url.partition("://")
    host, _, port = authority.rpartition(":")
    # HTTPS servers may close without TLS close_notify (hypercorn on trio does): as
    # HTTP clients do, the end of the HTTP message, not close_notify, ends the data.
    stream = await anyio.connect_tcp(
        host, int(port), ssl_context=ssl_context, tls_standard_compatible=False
    )
    async with stream:
        if ssl_context is not None:
            assert stream.extra(TLSAttribute.alpn_protocol) == "h2"
        client = H2Client(stream, authority, scheme)
        await client.start()
        yield client


def signed_headers(
    url: str, path: str, body: bytes, secret: str = SECRET_KEY
) -> list[tuple[bytes, bytes]]:
    authority = url.partition("://")[2]
    request = HTTPRequest("POST", url + path, [("host", authority)], body)
    sign_request(
        request,
        Credentials(ACCESS_KEY, secret),
        region="us-east-1",
        service="sagemaker",
        payload_sha256=hashlib.sha256(body).hexdigest(),
    )
    return [(k.lower().encode(), v.encode()) for k, v in request.headers if k.lower() != "host"]


@pytest.mark.anyio
async def test_duplex_route_answers_each_frame_before_the_next() -> None:
    async with served() as url, h2_connection(url) as client:
        stream_id = await client.open("/endpoints/e/invocations-bidirectional-stream", [])
        for i in range(5):
            part = f"part {i}".encode()
            await client.send(stream_id, part)
            with anyio.fail_after(10):
                assert await client.read(stream_id) == part
        assert client.headers[stream_id][b":status"] == b"200"
        await client.send(stream_id, b"", end=True)
        with anyio.fail_after(10):
            assert await client.read(stream_id) is None


@pytest.mark.anyio
async def test_request_data_after_the_answer_is_dropped() -> None:
    """DATA for a stream already answered neither breaks the connection nor the server
    (hypercorn alone fails with KeyError there: the whole server, under trio)."""
    async with served() as url, h2_connection(url) as client:
        stream_id = await client.open("/test/answer-at-once", [])
        await client.send(stream_id, b"first")
        with anyio.fail_after(10):
            assert (await client.response(stream_id))[1] == b"answered"
        await client.send(stream_id, b"more after the answer")
        await client.send(stream_id, b"", end=True)
        ping = await client.open("/ping", [], method="GET")
        with anyio.fail_after(10):
            headers, _ = await client.response(ping)
        assert headers[b":status"] == b"200"


@pytest.mark.anyio
async def test_operations_over_h2c() -> None:
    async with served() as url, h2_connection(url) as client:
        body = b"over h2c"
        path = "/endpoints/e/invocations"
        stream_id = await client.open(path, signed_headers(url, path, body))
        await client.send(stream_id, body, end=True)
        with anyio.fail_after(10):
            headers, answer = await client.response(stream_id)
        assert headers[b":status"] == b"200"
        assert answer == body
        assert headers[b"x-amzn-invoked-production-variant"] == b"AllTraffic"
        assert headers[b"content-length"] == b"8"

        body = b"one two three"
        path = "/endpoints/e/invocations-response-stream"
        stream_id = await client.open(path, signed_headers(url, path, body))
        await client.send(stream_id, body, end=True)
        with anyio.fail_after(10):
            headers, answer = await client.response(stream_id)
        assert headers[b"content-type"] == b"application/vnd.amazon.eventstream"
        messages = EventStreamDecoder().feed(answer)
        assert len(messages) > 1
        assert b"".join(m.payload for m in messages) == body

        path = "/endpoints/e/invocations"
        stream_id = await client.open(path, signed_headers(url, path, b"x", secret="wrong"))
        await client.send(stream_id, b"x", end=True)
        with anyio.fail_after(10):
            headers, answer = await client.response(stream_id)
        assert headers[b":status"] == b"403"
        assert headers[b"x-amzn-errortype"].startswith(b"InvalidSignatureException")
        assert "signature" in json.loads(answer)["message"]


@pytest.mark.anyio
async def test_h2c_upgrade() -> None:
    async with served() as url:
        host, _, port = url.removeprefix("http://").rpartition(":")
        async with await anyio.connect_tcp(host, int(port)) as stream:
            config = h2.config.H2Configuration(client_side=True, header_encoding=None)
            conn = h2.connection.H2Connection(config=config)
            settings = conn.initiate_upgrade_connection()
            await stream.send(
                b"GET /ping HTTP/1.1\r\nHost: " + f"{host}:{port}".encode() + b"\r\n"
                b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                b"HTTP2-Settings: " + settings + b"\r\n\r\n"
            )
            received = b""
            with anyio.fail_after(10):
                while b"\r\n\r\n" not in received:
                    received += await stream.receive()
            head, _, rest = received.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101 ")
            client = H2Client(stream, f"{host}:{port}", "http")
            client.conn = conn
            await client.start(upgrade_settings=True)
            await client.feed(rest)
            with anyio.fail_after(10):
                headers, _ = await client.response(1)
            assert headers[b":status"] == b"200"
            assert b"x-amzn-requestid" in headers


@pytest.mark.anyio
async def test_tls_with_alpn(tmp_path: Path) -> None:
    import trustme

    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certificate.private_key_pem.write_to_path(keyfile)
    certificate.cert_chain_pems[0].write_to_path(certfile)
    for pem in certificate.cert_chain_pems[1:]:
        with certfile.open("ab") as handle:
            handle.write(pem.bytes())
    context = ssl.create_default_context()
    ca.configure_trust(context)
    context.set_alpn_protocols(["h2", "http/1.1"])

    async with served(TLSFiles(str(certfile), str(keyfile))) as url:
        assert url.startswith("https://127.0.0.1:")
        async with h2_connection(url, context) as client:
            path = "/endpoints/e/invocations"
            stream_id = await client.open(path, signed_headers(url, path, b"over tls"))
            await client.send(stream_id, b"over tls", end=True)
            with anyio.fail_after(10):
                headers, answer = await client.response(stream_id)
            assert (headers[b":status"], answer) == (b"200", b"over tls")

        http11 = ssl.create_default_context()
        ca.configure_trust(http11)
        async with httpx2.AsyncClient(verify=http11) as plain:
            path = "/endpoints/e/invocations"
            headers = [(k.decode(), v.decode()) for k, v in signed_headers(url, path, b"h1")]
            response = await plain.post(url + path, content=b"h1", headers=headers)
        assert response.http_version == "HTTP/1.1"
        assert (response.status_code, response.content) == (200, b"h1")


@pytest.mark.anyio
async def test_shutdown_cuts_a_stream_in_progress() -> None:
    """Leaving ``running`` while a duplex stream waits does not wait for the client."""
    with anyio.fail_after(20):
        async with served() as url, h2_connection(url) as client:
            stream_id = await client.open("/endpoints/e/invocations-bidirectional-stream", [])
            await client.send(stream_id, b"first")
            assert await client.read(stream_id) == b"first"
            # The server stops with the stream still open (served() exits first).
