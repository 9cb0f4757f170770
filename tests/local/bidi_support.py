"""Helpers for the serve-local bidirectional tests: the server in-process, an h2 client
that signs as the procedure says (``sign_event_stream_request``, then ``EventSigner`` per
frame), and a model container speaking WebSocket (wsproto on anyio) that echoes each
frame it receives as it arrives (same kind, same place in its message), records what it
saw, and closes when told to.
"""

from __future__ import annotations

import hashlib
import json
import math
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import anyio.abc
import h2.config
import h2.connection
import h2.errors
import h2.events
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from anyio.streams.tls import TLSAttribute
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Request,
    TextMessage,
)

from aiosagemaker_runtime._auth.credentials import Credentials
from aiosagemaker_runtime._auth.event_signing import EventSigner, sign_event_stream_request
from aiosagemaker_runtime._auth.sigv4 import sign_request
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._protocol.eventstream import (
    EventStreamDecoder,
    HeaderValue,
    Message,
    encode_message,
)
from aiosagemaker_runtime.local import LocalConfig, LocalEndpointServer, TLSFiles

ACCESS_KEY, SECRET_KEY = "AKIDBIDITEST", "bidi-test-secret"
TIMEOUT = 10


# -- the server -------------------------------------------------------------------------


def config(endpoints: dict[str, str], *, signed: bool = True, **settings: object) -> LocalConfig:
    credentials = {ACCESS_KEY: SECRET_KEY} if signed else {}
    return LocalConfig.serving(endpoints, port=0, credentials=credentials, **settings)


@asynccontextmanager
async def served(local: LocalConfig, tls: TLSFiles | None = None) -> AsyncIterator[str]:
    async with anyio.create_task_group() as tasks:
        url = await tasks.start(LocalEndpointServer(local, tls=tls).serve)
        try:
            yield url
        finally:
            tasks.cancel_scope.cancel()


# -- the h2 client ----------------------------------------------------------------------


class H2Client:
    """One HTTP/2 connection: a reader task hands each stream its events."""

    def __init__(self, stream: anyio.abc.ByteStream, authority: str, scheme: str) -> None:
        settings = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=settings)
        self.stream = stream
        self.authority = authority
        self.scheme = scheme
        self.lock = anyio.Lock()
        self.window = anyio.Event()
        self.inboxes: dict[int, MemoryObjectSendStream[h2.events.Event]] = {}
        self.outboxes: list[MemoryObjectReceiveStream[h2.events.Event]] = []

    async def flush(self) -> None:
        async with self.lock:
            data = self.conn.data_to_send()
            if data:
                await self.stream.send(data)

    async def read_forever(self) -> None:
        while True:
            try:
                data = await self.stream.receive(65536)
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                break
            for event in self.conn.receive_data(data):
                stream_id = getattr(event, "stream_id", 0)
                if isinstance(event, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
                elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
                    self.window.set()
                    self.window = anyio.Event()
                if stream_id in self.inboxes:
                    self.inboxes[stream_id].send_nowait(event)
            await self.flush()
        for inbox in self.inboxes.values():
            inbox.close()

    async def open(self, path: str, headers: list[tuple[str, str]]) -> Call:
        stream_id = self.conn.get_next_available_stream_id()
        inbox, events = anyio.create_memory_object_stream[h2.events.Event](math.inf)
        self.inboxes[stream_id] = inbox
        self.outboxes.append(events)
        head = [
            (b":method", b"POST"),
            (b":scheme", self.scheme.encode()),
            (b":authority", self.authority.encode()),
            (b":path", path.encode()),
            *[(name.lower().encode(), value.encode()) for name, value in headers],
        ]
        self.conn.send_headers(stream_id, head)
        await self.flush()
        return Call(self, stream_id, events)

    async def send(self, stream_id: int, data: bytes, *, end: bool = False) -> None:
        view = memoryview(data)
        while view:
            room = min(
                self.conn.local_flow_control_window(stream_id), self.conn.max_outbound_frame_size
            )
            if room <= 0:
                await self.window.wait()
                continue
            self.conn.send_data(stream_id, bytes(view[:room]))
            view = view[room:]
            await self.flush()
        if end:
            self.conn.end_stream(stream_id)
            await self.flush()


@asynccontextmanager
async def h2_client(url: str, context: ssl.SSLContext | None = None) -> AsyncIterator[H2Client]:
    scheme, _, authority = url.partition("://")
    host, _, port = authority.rpartition(":")
    if context is None:
        stream: anyio.abc.ByteStream = await anyio.connect_tcp(host, int(port))
    else:
        stream = await anyio.connect_tcp(
            host, int(port), ssl_context=context, tls_standard_compatible=False
        )
        assert stream.extra(TLSAttribute.alpn_protocol) == "h2"
    async with stream:
        client = H2Client(stream, authority, scheme)
        client.conn.initiate_connection()
        await client.flush()
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(client.read_forever)
                try:
                    yield client
                finally:
                    tasks.cancel_scope.cancel()
        finally:  # once the reader has stopped
            for channel in [*client.inboxes.values(), *client.outboxes]:
                channel.close()


def payload_event(
    data: bytes, data_type: str | None = None, completion: str | None = None
) -> bytes:
    headers: list[tuple[str, HeaderValue]] = [(":message-type", "event")]
    headers.append((":event-type", "PayloadPart"))
    if data:
        headers.append((":content-type", "application/octet-stream"))
    if data_type:
        headers.append(("DataType", data_type))
    if completion:
        headers.append(("CompletionState", completion))
    return encode_message(headers, data)


@dataclass
class Call:
    """One bidirectional call: signed input frames out, output events in."""

    client: H2Client
    stream_id: int
    events: MemoryObjectReceiveStream[h2.events.Event]
    signer: EventSigner | None = None
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    decoder: EventStreamDecoder = field(default_factory=EventStreamDecoder)
    body: bytes = b""
    messages: list[Message] = field(default_factory=list)
    ended: bool = False

    def frame(self, event: bytes) -> bytes:
        assert self.signer is not None
        return encode_message(self.signer.sign(event).headers, event)

    async def send(
        self, data: bytes, data_type: str | None = None, completion: str | None = None
    ) -> None:
        event = payload_event(data, data_type, completion)
        await self.raw(self.frame(event) if self.signer else event)

    async def raw(self, data: bytes, *, end: bool = False) -> None:
        await self.client.send(self.stream_id, data, end=end)

    async def end(self) -> None:
        if self.signer is None:
            await self.raw(b"", end=True)
            return
        final = encode_message(self.signer.sign_end().headers, b"")
        await self.raw(final, end=True)

    async def reset(self) -> None:
        self.client.conn.reset_stream(self.stream_id, h2.errors.ErrorCodes.CANCEL)
        await self.client.flush()

    async def _pump(self) -> None:
        event = await self.events.receive()
        if isinstance(event, h2.events.ResponseReceived):
            head = {k.decode(): v.decode() for k, v in event.headers}
            self.status = int(head.pop(":status"))
            self.headers = head
        elif isinstance(event, h2.events.DataReceived):
            if self.status == 200:
                self.messages.extend(self.decoder.feed(event.data))
            else:
                self.body += event.data
        elif isinstance(event, h2.events.StreamEnded):
            self.ended = True
        elif isinstance(event, h2.events.StreamReset):
            raise AssertionError(f"stream {self.stream_id} reset: {event}")

    async def head(self) -> int:
        with anyio.fail_after(TIMEOUT):
            while not self.status:
                await self._pump()
        return self.status

    async def next(self) -> Message | None:
        """The next output event; ``None`` once the response has ended."""
        with anyio.fail_after(TIMEOUT):
            while not self.messages and not self.ended:
                await self._pump()
        return self.messages.pop(0) if self.messages else None

    async def rest(self) -> list[Message]:
        out = []
        while (message := await self.next()) is not None:
            out.append(message)
        return out

    async def error(self) -> tuple[int, str, dict[str, object]]:
        await self.head()
        with anyio.fail_after(TIMEOUT):
            while not self.ended:
                await self._pump()
        return self.status, self.headers.get("x-amzn-errortype", ""), json.loads(self.body)


async def start(
    client: H2Client,
    endpoint: str,
    *,
    headers: list[tuple[str, str]] | None = None,
    secret: str | None = SECRET_KEY,
    streaming: bool = True,
) -> Call:
    """Open a call to ``endpoint``, signed with ``secret`` (``None``: not signed)."""
    path = f"/endpoints/{endpoint}/invocations-bidirectional-stream"
    fields = [("host", client.authority), ("content-type", "application/vnd.amazon.eventstream")]
    fields += headers or []
    request = HTTPRequest("POST", f"{client.scheme}://{client.authority}{path}", fields, b"")
    signer = None
    if secret is not None:
        credentials = Credentials(ACCESS_KEY, secret)
        if streaming:
            signer = sign_event_stream_request(
                request, credentials, region="us-east-1", service="sagemaker"
            )
        else:
            empty = hashlib.sha256(b"").hexdigest()
            sign_request(
                request, credentials, region="us-east-1", service="sagemaker", payload_sha256=empty
            )
    sent = [(name, value) for name, value in request.headers if name.lower() != "host"]
    call = await client.open(path, sent)
    call.signer = signer if secret == SECRET_KEY else None
    return call


def part(message: Message | None) -> tuple[bytes, object, object]:
    assert message is not None
    assert message.headers[":message-type"] == "event", message.headers
    assert message.headers[":event-type"] == "PayloadPart"
    return message.payload, message.headers.get("DataType"), message.headers.get("CompletionState")


def exception(message: Message | None) -> tuple[object, dict[str, object]]:
    assert message is not None
    assert message.headers[":message-type"] == "exception", message.headers
    return message.headers[":exception-type"], json.loads(message.payload)


# -- a model container ------------------------------------------------------------------


@dataclass
class Socket:
    """What one WebSocket to the container saw."""

    target: str = ""
    frames: list[tuple[str, bytes, bool]] = field(default_factory=list)
    close_code: int | None = None
    ended: anyio.Event = field(default_factory=anyio.Event)


@dataclass
class Container:
    url: str
    sockets: list[Socket]
    opened: anyio.Event


async def echo_websocket(stream: anyio.abc.ByteStream, seen: Socket, opened: anyio.Event) -> None:
    """Echo every frame; ``close:CODE`` (text) closes with CODE; ``vanish`` drops the
    connection without a Close."""
    ws = WSConnection(ConnectionType.SERVER)
    try:
        while ws.state is not ConnectionState.CLOSED:
            try:
                data: bytes | None = await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                data = None
            ws.receive_data(data)
            out = b""
            for event in ws.events():
                if isinstance(event, Request):
                    seen.target = event.target
                    out += ws.send(AcceptConnection())
                    opened.set()
                elif isinstance(event, (TextMessage, BytesMessage)):
                    text = isinstance(event, TextMessage)
                    payload = event.data.encode() if isinstance(event, TextMessage) else event.data
                    seen.frames.append(
                        ("text" if text else "binary", bytes(payload), event.message_finished)
                    )
                    if text and event.data.startswith("close:"):
                        out += ws.send(CloseConnection(code=int(event.data[6:])))
                    elif text and event.data == "vanish":
                        return
                    else:
                        out += ws.send(event)
                elif isinstance(event, Ping):
                    out += ws.send(event.response())
                elif isinstance(event, CloseConnection):
                    seen.close_code = event.code
                    if ws.state is ConnectionState.REMOTE_CLOSING:
                        out += ws.send(event.response())
            if out:
                await stream.send(out)
            if data is None:
                return
    finally:
        seen.ended.set()
        await stream.aclose()


@asynccontextmanager
async def container(
    handler: Callable[
        [anyio.abc.ByteStream, Socket, anyio.Event], Awaitable[None]
    ] = echo_websocket,
) -> AsyncIterator[Container]:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    sockets: list[Socket] = []
    opened = anyio.Event()

    async def serve(stream: anyio.abc.ByteStream) -> None:
        seen = Socket()
        sockets.append(seen)
        await handler(stream, seen, opened)

    async with listener, anyio.create_task_group() as tasks:
        tasks.start_soon(listener.serve, serve)
        try:
            yield Container(f"http://127.0.0.1:{port}", sockets, opened)
        finally:
            tasks.cancel_scope.cancel()
