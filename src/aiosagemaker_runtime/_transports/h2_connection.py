"""One HTTP/2 client connection: h2's state machine over an anyio byte stream.

Reading. There is no background task (a task must belong to a task group, and the
transport has no scope of its own under structured concurrency): whichever exchange
is waiting (for response headers, output data, or a flow control window to send
input) takes the *reader role* and reads the socket for everyone, dispatching h2's
events to per-stream buffers and waking the streams they concern; the others wait on
their stream's event. When the reader's own wait is over it hands the role on (the
waiting tasks are woken and one takes it). So output is read while input is being
written (full duplex), and PINGs, SETTINGS and WINDOW_UPDATEs are answered while any
exchange waits. An idle connection (no exchange waiting) reads nothing until it is picked for a new
stream: then what arrived meanwhile (a GOAWAY, the server closing) is read first, if
the socket is readable.

Writing. Frames h2 produces are moved at once into our outbox (h2 drops its own buffer
on GOAWAY), and written in order under a lock, each write shielded from cancellation
(a write cut in half would corrupt the connection) but bounded by the write timeout.
The reader never waits for that lock: when another task holds it, that task writes
what the reader queued before releasing it.

GOAWAY. h2 closes the whole connection when a GOAWAY arrives; here the connection
stays open for the streams at or below the GOAWAY's last stream id, which may finish,
while those above it fail with ``UnprocessedStreamError`` and no new stream is opened
(the pool opens a new connection).
"""

from __future__ import annotations

import contextlib
import math
import select
import ssl
from collections.abc import Callable
from typing import Any

import anyio
import anyio.abc
import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from anyio.abc import SocketAttribute
from anyio.streams.tls import TLSAttribute
from hyperframe.frame import Frame, GoAwayFrame

from .._exceptions import EndpointConnectionError, TransportError
from . import h2_errors
from .base import raise_translated
from .h2_exchange import H2Exchange, Stream
from .h2_headers import request_headers

__all__ = ["ConnectionUnavailable", "H2Connection", "request_headers"]

#: Our receive window per stream (what the server may send before we read it).
STREAM_WINDOW = 1 << 20
#: Our receive window for the whole connection.
CONNECTION_WINDOW = 1 << 24
_READ_SIZE = 1 << 16
#: Seconds that closing a connection may spend sending its GOAWAY.
_CLOSE_TIMEOUT = 1.0
#: Seconds a read of what arrived on an idle connection may take.
_CATCH_UP_TIMEOUT = 0.05

_DataReceived = h2.events.DataReceived
_ResponseReceived = h2.events.ResponseReceived
_StreamEnded = h2.events.StreamEnded
_StreamReset = h2.events.StreamReset
_WindowUpdated = h2.events.WindowUpdated
_SettingsChanged = h2.events.RemoteSettingsChanged
_Terminated = h2.events.ConnectionTerminated
_CLIENT_OPEN = h2.connection.ConnectionState.CLIENT_OPEN
_CLOSED = h2.connection.ConnectionState.CLOSED
_MAX_STREAMS = h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS
_INITIAL_WINDOW = h2.settings.SettingCodes.INITIAL_WINDOW_SIZE


class ConnectionUnavailable(Exception):
    """The connection cannot take a new stream (closing, or out of stream ids)."""


class _H2State(h2.connection.H2Connection):
    """h2's connection, kept open after a GOAWAY for the streams the server still
    processes (h2 would refuse every frame after it); we open no new stream on it."""

    def _receive_goaway_frame(self, frame: GoAwayFrame) -> tuple[list[Frame], list[Any]]:
        frames, events = super()._receive_goaway_frame(frame)
        if self.state_machine.state is _CLOSED:
            self.state_machine.state = _CLIENT_OPEN
        return frames, events


class H2Connection:
    """One HTTP/2 connection to one origin and the streams open on it.

    ``on_change`` is called (synchronously) when the connection may take more streams
    than before or none at all: a stream ended, the server's settings changed, a
    GOAWAY arrived, the connection failed.
    """

    def __init__(
        self,
        stream: anyio.abc.ByteStream,
        url: str,
        read_timeout: float | None,
        on_change: Callable[[], None],
    ) -> None:
        self.url = url
        self.read_timeout = read_timeout
        self.error: TransportError | None = None
        self.idle_since = anyio.current_time()
        self._socket = stream
        self._on_change = on_change
        config = h2.config.H2Configuration(
            client_side=True, header_encoding=None, validate_outbound_headers=False
        )
        self.h2 = _H2State(config=config)
        self._streams: dict[int, Stream] = {}
        self._outbox: list[bytes] = []
        #: A task is writing; others wait for ``_written`` (no anyio.Lock: its
        #: uncontended acquire yields to the event loop, a loop turn per write).
        self._writing = False
        self._written: anyio.Event | None = None
        self._reading = False
        #: The stream the reading task waits for, and the scope of its wait: leaving
        #: that stream from another task cancels the wait (:meth:`interrupt`).
        self._reader_stream: Stream | None = None
        self._reader_scope: anyio.CancelScope | None = None
        self._settings_received = False
        self._goaway: tuple[int, int] | None = None
        self._socket_closed = False

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        *,
        url: str,
        tls: ssl.SSLContext | None,
        connect_timeout: float | None,
        read_timeout: float | None,
        on_change: Callable[[], None],
    ) -> H2Connection:
        """Connect (TCP, TLS with ALPN ``h2`` when ``tls`` is given, else h2c with prior
        knowledge), send our preface and wait for the server's SETTINGS."""
        try:
            with anyio.fail_after(connect_timeout):
                socket: anyio.abc.ByteStream
                if tls is None:
                    socket = await anyio.connect_tcp(host, port)
                else:
                    socket = await anyio.connect_tcp(
                        host, port, ssl_context=tls, tls_standard_compatible=False
                    )
                try:
                    if tls is not None:
                        alpn = socket.extra(TLSAttribute.alpn_protocol, None)
                        if alpn != "h2":
                            raise h2_errors.alpn_refused(url, alpn)
                    connection = cls(socket, url, read_timeout, on_change)
                    await connection._start()
                except BaseException:
                    with anyio.CancelScope(shield=True):
                        await anyio.aclose_forcefully(socket)
                    raise
        except Exception as error:
            raise_translated(error, h2_errors.translate_error(error, url, connecting=True))
        return connection

    async def _start(self) -> None:
        h2c = self.h2
        h2c.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                h2.settings.SettingCodes.ENABLE_PUSH: 0,
                _MAX_STREAMS: 100,
                _INITIAL_WINDOW: STREAM_WINDOW,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 65536,
            },
        )
        h2c.initiate_connection()
        h2c.increment_flow_control_window(CONNECTION_WINDOW - 65535)
        self.take()
        await self.flush()
        while not self._settings_received:
            await self._receive()
            if self.error is not None:
                raise self.error.__cause__ or self.error

    # -- capacity ------------------------------------------------------------------

    @property
    def available(self) -> int:
        """How many more streams the server accepts now (0 when closing or failed)."""
        if self.error is not None or self._goaway is not None:
            return 0
        return self.h2.remote_settings.max_concurrent_streams - len(self._streams)

    @property
    def usable(self) -> bool:
        """Neither failed nor told to go away (open streams may still be running)."""
        return self.error is None and self._goaway is None

    @property
    def active(self) -> int:
        return len(self._streams)

    # -- streams -------------------------------------------------------------------

    async def open_stream(self, headers: list[tuple[bytes, bytes]]) -> H2Exchange:
        """Send HEADERS for a new stream and return its exchange (input still open)."""
        if self.available <= 0:
            raise ConnectionUnavailable
        h2c = self.h2
        try:
            stream_id = h2c.get_next_available_stream_id()
        except h2.exceptions.NoAvailableStreamIDError:
            self._goaway = (0, 0)
            self._on_change()
            raise ConnectionUnavailable from None
        h2c.send_headers(stream_id, headers, end_stream=False)
        stream = self._streams[stream_id] = Stream(stream_id)
        self.take()
        exchange = H2Exchange(self, stream)
        try:
            await self.flush()
        except BaseException as error:
            await exchange.aclose()
            if stream_id > 1 and isinstance(error, EndpointConnectionError):
                # A pooled connection the server had closed (nothing was processed):
                # the pool tries another one.
                raise ConnectionUnavailable from error
            raise
        return exchange

    def retire(self, stream: Stream) -> None:
        """Forget ``stream`` (ended both ways, reset, or left); wakes the pool."""
        if self._streams.pop(stream.id, None) is not None:
            if not self._streams:
                self.idle_since = anyio.current_time()
            self._on_change()

    def window(self, stream_id: int) -> int:
        """Bytes of input that may be sent on the stream now (one frame at most)."""
        h2c = self.h2
        return min(h2c.local_flow_control_window(stream_id), h2c.max_outbound_frame_size)

    # -- writing -------------------------------------------------------------------

    def take(self) -> bool:
        """Move the frames h2 produced into our outbox (call after every h2 call);
        whether there is anything to write."""
        data = self.h2.data_to_send()
        if data:
            self._outbox.append(data)
        return bool(self._outbox)

    async def flush(self, timeout: float | None = -1.0) -> None:
        """Write the outbox (returns at once when it is empty and no write is under way);
        shielded from cancellation, bounded by ``timeout`` (by default the write
        timeout, ``read_timeout``). A failure fails the connection (recorded in
        ``error``) and raises it."""
        if self.error is not None:
            raise h2_errors.again(self.error)
        outbox = self._outbox
        if not outbox and not self._writing:
            return
        if timeout is not None and timeout < 0:
            timeout = self.read_timeout
        deadline = math.inf if timeout is None else anyio.current_time() + timeout
        failure: BaseException | None = None
        with anyio.CancelScope(deadline=deadline, shield=True) as scope:
            while self._writing:  # the writer may be writing our frames: wait for it
                written = self._written
                if written is None:
                    written = self._written = anyio.Event()
                await written.wait()
            self._writing = True
            try:
                while outbox and self.error is None:
                    data = outbox[0] if len(outbox) == 1 else b"".join(outbox)
                    outbox.clear()
                    await self._socket.send(data)
            except Exception as error:
                failure = error
            finally:
                self._writing = False
                written, self._written = self._written, None
                if written is not None:
                    written.set()
        if scope.cancelled_caught:
            await self.fail(h2_errors.write_timeout(self.url))
        elif failure is not None:
            await self.fail(h2_errors.connection_error(failure, self.url), failure)
        if self.error is not None:
            raise h2_errors.again(self.error)

    async def flush_soon(self, timeout: float | None = -1.0) -> None:
        """Write the outbox unless another task is writing (it will write it too)."""
        if self._outbox and not self._writing and self.error is None:
            with contextlib.suppress(TransportError):  # recorded on the connection
                await self.flush(timeout)

    # -- reading -------------------------------------------------------------------

    async def catch_up(self) -> None:
        """Read what arrived while no exchange was reading (an idle connection): a
        GOAWAY, the server closing, a PING. Reads only when the socket is readable."""
        raw = self._socket.extra(SocketAttribute.raw_socket, None)
        if raw is None or self._reading:
            return
        while self.error is None and select.select([raw], [], [], 0)[0]:
            self._reading = True
            try:
                # Bounded: under TLS, readable bytes need not hold a whole HTTP/2 frame.
                with anyio.move_on_after(_CATCH_UP_TIMEOUT) as scope:
                    await self._receive()
            finally:
                self._reading = False
            if scope.cancelled_caught:
                return

    async def wait(self, stream: Stream, ready: Callable[[], bool], timeout: float | None) -> bool:
        """Wait until ``ready()`` (which must also be true once ``stream.error`` is set),
        reading the socket when no other task does; ``False`` after ``timeout``
        seconds of waiting."""
        with anyio.move_on_after(timeout) as scope:
            while not ready():
                if self.error is not None:  # failed before the stream was registered
                    stream.error = stream.error or self.error
                    break
                if self._reading:
                    event = stream.event
                    if event.is_set():
                        event = stream.event = anyio.Event()
                    stream.waiting += 1
                    try:
                        await event.wait()
                    finally:
                        stream.waiting -= 1
                    continue
                self._reading = True
                self._reader_stream = stream
                self._reader_scope = scope
                try:
                    while not ready() and self.error is None:
                        await self._receive()
                finally:
                    self._reading = False
                    self._reader_stream = self._reader_scope = None
                    for other in self._streams.values():
                        if other.waiting:
                            other.event.set()
            return True
        return ready()  # a timeout, or the wait cut short by interrupt()

    def interrupt(self, stream: Stream) -> None:
        """``stream`` was left (reset) by its exchange, perhaps from another task than
        those waiting for it: wake them, the one reading the socket for it included."""
        stream.event.set()
        if self._reader_stream is stream and self._reader_scope is not None:
            self._reader_scope.cancel()

    async def _receive(self) -> None:
        """Read once from the socket and dispatch what arrived."""
        if self.error is not None:
            return
        try:
            data = await self._socket.receive(_READ_SIZE)
            events = self.h2.receive_data(data)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError) as error:
            await self._lost(error)
            return
        except (OSError, h2.exceptions.ProtocolError) as error:
            self.take()  # h2's GOAWAY for a protocol error, sent on a best-effort basis
            await self.flush_soon()
            await self._lost(error)
            return
        self.take()
        self._dispatch(events)
        if self._outbox:
            await self.flush_soon()

    async def _lost(self, error: BaseException) -> None:
        if self._goaway is not None and isinstance(error, anyio.EndOfStream):
            await self.fail(h2_errors.goaway_closed(self.url, self._goaway[1]), error)
        else:
            await self.fail(h2_errors.connection_error(error, self.url), error)

    def _dispatch(self, events: list[Any]) -> None:
        streams = self._streams
        for event in events:
            kind = type(event)
            if kind is _DataReceived:
                stream = streams.get(event.stream_id)
                if stream is None:
                    self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    self.take()
                    continue
                stream.chunks.append((event.data, event.flow_controlled_length))
                stream.event.set()
            elif kind is _ResponseReceived:
                stream = streams.get(event.stream_id)
                if stream is not None and stream.headers is None:
                    stream.headers = event.headers
                    stream.event.set()
            elif kind is _StreamEnded:
                stream = streams.get(event.stream_id)
                if stream is not None:
                    stream.ended = True
                    stream.event.set()
                    if stream.input_ended:
                        self.retire(stream)
            elif kind is _WindowUpdated:
                if event.stream_id:
                    stream = streams.get(event.stream_id)
                    if stream is not None:
                        stream.event.set()
                else:
                    self._wake_all()
            elif kind is _StreamReset:
                stream = streams.get(event.stream_id)
                if stream is not None:
                    stream.error = h2_errors.stream_reset(self.url, int(event.error_code))
                    stream.event.set()
                    self.retire(stream)
            elif kind is _SettingsChanged:
                self._settings_received = True
                changed = event.changed_settings
                if _INITIAL_WINDOW in changed:
                    self._wake_all()
                if _MAX_STREAMS in changed:
                    self._on_change()
            elif kind is _Terminated:
                self._terminated(int(event.error_code or 0), event.last_stream_id or 0)

    def _terminated(self, code: int, last_stream_id: int) -> None:
        self._goaway = (last_stream_id, code)
        for stream in list(self._streams.values()):
            if stream.id > last_stream_id:
                stream.error = h2_errors.goaway(self.url, code, last_stream_id)
                stream.event.set()
                self.retire(stream)
        self._on_change()

    def _wake_all(self) -> None:
        for stream in self._streams.values():
            stream.event.set()

    # -- closing -------------------------------------------------------------------

    async def fail(self, error: TransportError, cause: BaseException | None = None) -> None:
        """Fail the connection and every stream on it with ``error``; close the socket."""
        if self.error is None:
            if cause is not None:
                error.__cause__ = cause
            self.error = error
            streams = list(self._streams.values())
            self._streams.clear()
            for stream in streams:
                if stream.error is None:
                    stream.error = error
                stream.event.set()
            self._on_change()
        await self._close_socket()

    async def _close_socket(self) -> None:
        if not self._socket_closed:
            self._socket_closed = True
            with anyio.CancelScope(shield=True):
                await anyio.aclose_forcefully(self._socket)

    async def aclose(self) -> None:
        """Send GOAWAY (best effort, briefly) and close; open streams fail."""
        if self.error is None and not self._socket_closed:
            try:
                self.h2.close_connection()
                self.take()
            except h2.exceptions.ProtocolError:
                pass
            await self.flush_soon(_CLOSE_TIMEOUT)
        await self.fail(h2_errors.client_closed(self.url))

    async def close_if_done(self) -> None:
        """Close the connection when it is going away and its last stream has ended."""
        if self._goaway is not None and not self._streams:
            await self.aclose()
