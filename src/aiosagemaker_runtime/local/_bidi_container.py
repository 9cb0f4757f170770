"""The model container's side of ``InvokeEndpointWithBidirectionalStream``: a WebSocket
client on wsproto over an anyio stream (so asyncio and trio alike).

SageMaker's contract, as AWS describes it (the announcement of bidirectional streaming,
November 2025, and its sample containers): a sidecar opens a WebSocket to the container
at ``/invocations-bidirectional-stream`` (port 8080); ``UTF8`` parts travel as text
frames and the others as binary frames; a ``PARTIAL`` part is a fragment of a message
that the next ``COMPLETE`` part finishes; the container's frames come back as parts the
same way, and the container closing the WebSocket ends the output. A caller's
``ModelInvocationPath`` and ``ModelQueryString`` choose another path and query on the
container (Deepgram's containers are reached at ``v1/listen?model=...`` that way).

:class:`ContainerSocket` speaks that: it sends parts as frames (text decoded
incrementally, so a character split between two parts is whole in the frames), answers
pings, and returns what the container sends as :class:`Fragment` or :class:`Closed`.
Not reproduced: SageMaker's ping every 60 s (and closing after 5 unanswered), its
30-minute limit on a stream, and its ``GET /ping`` before routing (the WebSocket
handshake stands for it here).
"""

from __future__ import annotations

import codecs
import contextlib
import ssl
from collections import deque
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import anyio
import anyio.abc
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

__all__ = ["DEFAULT_PATH", "Closed", "ContainerRefused", "ContainerSocket", "Fragment"]

#: Where SageMaker opens the WebSocket unless the caller names a model invocation path.
DEFAULT_PATH = "invocations-bidirectional-stream"
#: Close codes that end the output normally (1005: a Close frame without a code).
NORMAL_CLOSE = frozenset({1000, 1001, 1005})
_MAX_REJECTION_BODY = 4096
_RECEIVE_SIZE = 65536


class ContainerRefused(Exception):
    """The container did not take the WebSocket: ``status`` is its HTTP answer (0 when
    there was none: refused, unreachable, timed out, closed during the handshake)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Fragment(NamedTuple):
    """A piece of a message from the container: ``final`` ends the message."""

    data: bytes
    text: bool
    final: bool


class Closed(NamedTuple):
    """The container closed the WebSocket (1006: the connection ended without a Close)."""

    code: int
    reason: str


class ContainerSocket:
    """A WebSocket to a model container. ``send`` and ``close`` may run in one task
    while ``receive`` runs in another; writes are serialised."""

    def __init__(self, stream: anyio.abc.ByteStream, connection: WSConnection) -> None:
        self._stream = stream
        self._connection = connection
        self._write_lock = anyio.Lock()
        self._events: deque[Event] = deque()
        self._broken = False
        self._text: bool | None = None  # the kind of the message being sent, if any
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._closed: Closed | None = None
        self._released = False

    @classmethod
    async def connect(
        cls, base_url: str, path: str | None, query: str | None, *, timeout: float
    ) -> ContainerSocket:
        """Open the WebSocket at ``base_url`` + ``/path`` (default :data:`DEFAULT_PATH`)
        + ``?query``; raise :class:`ContainerRefused` when it cannot be opened."""
        url = urlsplit(base_url)
        host = url.hostname or "127.0.0.1"
        tls = url.scheme == "https"
        port = url.port or (443 if tls else 80)
        target = f"{url.path.rstrip('/')}/{path or DEFAULT_PATH}"
        if query:
            target += "?" + query
        authority = url.netloc.rpartition("@")[2]
        context = ssl.create_default_context() if tls else None
        try:
            with anyio.fail_after(timeout):
                stream: anyio.abc.ByteStream
                if context is None:
                    stream = await anyio.connect_tcp(host, port)
                else:
                    stream = await anyio.connect_tcp(
                        host, port, ssl_context=context, tls_standard_compatible=False
                    )
                return await cls._handshake(stream, authority, target)
        except TimeoutError:
            raise ContainerRefused(
                0, f"No WebSocket from the container within {timeout:g} s"
            ) from None
        except OSError as error:
            reason = error.strerror or str(error) or type(error).__name__
            raise ContainerRefused(0, f"Could not connect to the container: {reason}") from None

    @classmethod
    async def _handshake(
        cls, stream: anyio.abc.ByteStream, authority: str, target: str
    ) -> ContainerSocket:
        connection = WSConnection(ConnectionType.CLIENT)
        await stream.send(connection.send(Request(host=authority, target=target)))
        status = 0
        body = b""
        try:
            while True:
                try:
                    data: bytes | None = await stream.receive(_RECEIVE_SIZE)
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    data = None
                connection.receive_data(data)
                for event in connection.events():
                    if isinstance(event, AcceptConnection):
                        return cls(stream, connection)
                    if isinstance(event, RejectConnection):
                        status = event.status_code
                        if not event.has_body:
                            raise ContainerRefused(status, "")
                    elif isinstance(event, RejectData):
                        body = (body + event.data)[:_MAX_REJECTION_BODY]
                        if event.body_finished:
                            raise ContainerRefused(status, body.decode("utf-8", "replace"))
                if data is None:
                    if status:
                        raise ContainerRefused(status, body.decode("utf-8", "replace"))
                    raise ContainerRefused(
                        0, "The container closed the connection during the WebSocket handshake"
                    )
        except BaseException:
            await _close_quietly(stream)
            raise

    @property
    def open(self) -> bool:
        """Whether parts can still be sent (neither side has started closing)."""
        return self._connection.state is ConnectionState.OPEN and not self._broken

    async def send(self, data: bytes, *, text: bool, final: bool) -> None:
        """Send one part as a frame (``text``: ``data`` is UTF-8). Raises ValueError
        when a text part is not UTF-8 or a part's kind differs from the message it
        continues; does nothing once the WebSocket is closing or broken."""
        if self._text is not None and self._text != text:
            kinds = ("UTF8", "BINARY") if self._text else ("BINARY", "UTF8")
            raise ValueError(f"A {kinds[1]} part cannot continue a {kinds[0]} message")
        payload: bytes | str = data
        if text:
            try:
                payload = self._decoder.decode(data, final)
            except UnicodeDecodeError:
                raise ValueError("A UTF8 part is not valid UTF-8") from None
        self._text = None if final else text
        if final:
            self._decoder.reset()
        elif not payload:
            return  # nothing whole to send yet (a character split across parts)
        if self.open:
            message: Message[Any] = (
                TextMessage(data=payload, message_finished=final)
                if isinstance(payload, str)
                else BytesMessage(data=payload, message_finished=final)
            )
            await self._write(message)

    async def receive(self) -> Fragment | Closed:
        """The next fragment from the container, or how it closed (then always that)."""
        while True:
            while self._events:
                event = self._events.popleft()
                if isinstance(event, (TextMessage, BytesMessage)):
                    final = event.message_finished
                    if isinstance(event, TextMessage):
                        fragment = Fragment(event.data.encode("utf-8"), True, final)
                    else:
                        fragment = Fragment(bytes(event.data), False, final)
                    if fragment.data or final:
                        return fragment
                elif isinstance(event, Ping):
                    if self._connection.state is ConnectionState.OPEN:
                        await self._write(event.response())
                elif isinstance(event, CloseConnection):
                    if self._connection.state in (
                        ConnectionState.OPEN,
                        ConnectionState.REMOTE_CLOSING,
                    ):
                        # A close we did not start (or a frame wsproto refused): answer it.
                        await self._write(event.response())
                    self._closed = Closed(int(event.code), event.reason or "")
                    return self._closed
            if self._connection.state is ConnectionState.CLOSED:
                return self._closed or Closed(1006, "")
            try:
                data: bytes | None = await self._stream.receive(_RECEIVE_SIZE)
            except (
                anyio.EndOfStream,
                anyio.BrokenResourceError,
                anyio.ClosedResourceError,
                OSError,
            ):
                data = None
            self._connection.receive_data(data)
            self._events.extend(self._connection.events())

    async def close(self, code: int, reason: str = "") -> None:
        """Start the closing handshake (answering the container's, if it started)."""
        if self._connection.state in (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING):
            await self._write(CloseConnection(code=code, reason=reason))

    async def aclose(self, code: int = 1001) -> None:
        """Send a Close (``code``) if none was sent, then close the connection (once)."""
        if self._released:
            return
        self._released = True
        with anyio.CancelScope(shield=True), anyio.move_on_after(1.0):
            if not self._broken:
                await self.close(code)
        await _close_quietly(self._stream)

    async def _write(self, event: Event) -> None:
        async with self._write_lock:
            # Checked again under the lock: while this task waited for it, the other may
            # have closed the WebSocket or answered the container's Close.
            state = self._connection.state
            closing = isinstance(event, CloseConnection)
            if self._broken or not (
                state is ConnectionState.OPEN
                or (closing and state is ConnectionState.REMOTE_CLOSING)
            ):
                return
            data = self._connection.send(event)
            try:
                await self._stream.send(data)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                # The container is gone: receive() will say so.
                self._broken = True


async def _close_quietly(stream: anyio.abc.ByteStream) -> None:
    with (
        anyio.CancelScope(shield=True),
        anyio.move_on_after(1.0),
        contextlib.suppress(anyio.BrokenResourceError, OSError),
    ):
        await stream.aclose()
