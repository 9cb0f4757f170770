"""One HTTP/2 stream as a duplex exchange: input written while the response is read.

:class:`H2Exchange` implements :class:`~.base.DuplexExchange` and :class:`H2Response`
the response protocol of :mod:`aiosagemaker_runtime._http`. The bytes they move go
through the connection (:mod:`.h2_connection`), which reads for all its streams.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

import anyio
import h2.errors
import h2.exceptions

from .._exceptions import TransportError
from . import h2_errors
from .base import fold_headers

if TYPE_CHECKING:
    from .h2_connection import H2Connection

__all__ = ["H2Exchange", "H2Response", "Stream"]

_CANCEL = h2.errors.ErrorCodes.CANCEL


class Stream:
    """What has arrived on one stream, filled by the connection's reader."""

    __slots__ = ("chunks", "ended", "error", "event", "headers", "id", "input_ended", "waiting")

    def __init__(self, stream_id: int) -> None:
        self.id = stream_id
        #: Response headers (raw pairs, pseudo-headers included) once they arrive.
        self.headers: list[tuple[bytes, bytes]] | None = None
        #: Output not read yet: (data, flow-controlled length to acknowledge).
        self.chunks: deque[tuple[bytes, int]] = deque()
        self.ended = False
        self.input_ended = False
        self.error: TransportError | None = None
        #: Set when something arrives for the stream (or the reader role is free).
        self.event = anyio.Event()
        #: Tasks waiting on ``event``.
        self.waiting = 0


class H2Exchange:
    """:class:`~aiosagemaker_runtime._transports.base.DuplexExchange` on an HTTP/2 stream.

    ``send``/``end_input`` (the input) and ``response``/``iter_raw`` (the output) may
    be used from two tasks at once. Output is acknowledged to the server (its flow
    control window reopened) as it is consumed, so a slow reader slows the server
    rather than filling memory.
    """

    __slots__ = ("_closed", "_conn", "_response", "_stream")

    def __init__(self, connection: H2Connection, stream: Stream) -> None:
        self._conn = connection
        self._stream = stream
        self._response: H2Response | None = None
        self._closed = False

    @property
    def stream_id(self) -> int:
        return self._stream.id

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the exchange has been closed")
        error = self._stream.error
        if error is not None:
            raise h2_errors.again(error)

    async def send(self, data: bytes | bytearray | memoryview) -> None:
        """Write ``data`` in DATA frames within the flow control windows and the
        server's frame size, waiting (at most ``read_timeout`` at a time) for the
        windows to open. Cancelled or failed half way, the stream is reset."""
        self._check_open()
        stream = self._stream
        if stream.input_ended:
            raise RuntimeError("the input of the exchange has ended")
        conn = self._conn
        if type(data) is bytes and 0 < len(data) <= conn.window(stream.id):
            # One frame, within the windows (a part of an exchange, nearly always).
            try:
                conn.h2.send_data(stream.id, data)
                conn.take()
                await conn.flush()
            except BaseException as error:
                await self._failed(error, partly=False)
                raise  # (_failed raised the mapped error if there is one)
            return
        view = memoryview(data)
        if view.itemsize != 1 or view.ndim != 1:
            view = view.cast("B")
        total = len(view)
        h2c = conn.h2
        sent = 0
        try:
            while sent < total:
                window = conn.window(stream.id) if stream.error is None else 0
                if window <= 0:
                    await self._wait_for_window()
                    continue
                piece = view[sent : sent + window]
                h2c.send_data(stream.id, piece)
                sent += len(piece)
                conn.take()
            await conn.flush()
        except BaseException as error:
            await self._failed(error, partly=0 < sent < total)
            raise

    async def _failed(self, error: BaseException, *, partly: bool) -> None:
        """A send failed (``partly``: with some of its data sent): reset the stream
        unless the failure was the connection's; raise h2's errors mapped."""
        if partly or not isinstance(error, TransportError):
            await self._reset()
        if isinstance(error, h2.exceptions.ProtocolError):
            raise self._protocol_error(error) from error

    async def _wait_for_window(self) -> None:
        conn = self._conn
        stream = self._stream
        await conn.flush()  # what the window allowed so far goes out before we wait
        if not await conn.wait(stream, lambda: self._window_open(), conn.read_timeout):
            raise h2_errors.write_timeout(conn.url)
        if stream.error is not None:
            raise h2_errors.again(stream.error)

    def _window_open(self) -> bool:
        stream = self._stream
        return stream.error is not None or self._conn.window(stream.id) > 0

    def _protocol_error(self, error: h2.exceptions.ProtocolError) -> TransportError:
        stream_error = self._stream.error
        if stream_error is not None:
            return h2_errors.again(stream_error)
        mapped = h2_errors.translate_error(error, self._conn.url)
        assert isinstance(mapped, TransportError)
        return mapped

    async def end_input(self) -> None:
        """End the input (an empty DATA frame with END_STREAM); idempotent."""
        self._check_open()
        stream = self._stream
        if stream.input_ended:
            return
        conn = self._conn
        try:
            conn.h2.end_stream(stream.id)
        except h2.exceptions.ProtocolError as error:
            raise self._protocol_error(error) from error
        stream.input_ended = True
        conn.take()
        if stream.ended:
            conn.retire(stream)
        await conn.flush()

    async def response(self) -> H2Response:
        """The response once its headers arrive (``ReadTimeoutError`` after
        ``read_timeout``; the stream is not reset by the timeout: close the exchange)."""
        if self._response is not None:
            return self._response
        if self._closed:
            raise RuntimeError("the exchange has been closed")
        stream = self._stream
        conn = self._conn
        if stream.headers is None and stream.error is None:
            ready = lambda: stream.headers is not None or stream.error is not None  # noqa: E731
            if not await conn.wait(stream, ready, conn.read_timeout):
                raise h2_errors.read_timeout(conn.url)
        if stream.headers is None:
            assert stream.error is not None
            raise h2_errors.again(stream.error)
        self._response = H2Response(self, stream.headers)
        return self._response

    async def next_chunk(self) -> bytes | None:
        """The next piece of output (``None`` at its end), acknowledged to the server."""
        stream = self._stream
        conn = self._conn
        chunks = stream.chunks
        if not chunks and not stream.ended:
            if self._closed:
                raise RuntimeError("the exchange has been closed")
            if stream.error is None:
                ready = lambda: bool(chunks) or stream.ended or stream.error is not None  # noqa: E731
                if not await conn.wait(stream, ready, conn.read_timeout):
                    raise h2_errors.read_timeout(conn.url)
            if not chunks and not stream.ended:
                assert stream.error is not None
                raise h2_errors.again(stream.error)
        if not chunks:
            return None
        data, length = chunks.popleft()
        if length:
            conn.h2.acknowledge_received_data(length, stream.id)
            if conn.take():  # a WINDOW_UPDATE is due
                await conn.flush_soon()
        return data

    async def _reset(self) -> None:
        """RST_STREAM(CANCEL) unless the stream is over; the stream is forgotten."""
        stream = self._stream
        conn = self._conn
        if stream.error is None and not (stream.ended and stream.input_ended):
            with contextlib.suppress(h2.exceptions.ProtocolError):  # closed on h2's side
                conn.h2.reset_stream(stream.id, _CANCEL)
            stream.error = h2_errors.stream_cancelled(conn.url)
            conn.take()
        unread = sum(length for _, length in stream.chunks)
        stream.chunks.clear()
        if unread:  # the connection's window counts it until acknowledged
            conn.h2.acknowledge_received_data(unread, stream.id)
            conn.take()
        conn.retire(stream)
        conn.interrupt(stream)  # tasks still waiting for it (the closing one is not)
        with anyio.CancelScope(shield=True):
            with contextlib.suppress(TransportError):  # recorded on the connection
                await conn.flush()

    async def aclose(self) -> None:
        """Leave the exchange (idempotent): reset the stream unless both sides ended."""
        if self._closed:
            return
        self._closed = True
        await self._reset()
        with anyio.CancelScope(shield=True):
            await self._conn.close_if_done()


class H2Response:
    """:class:`~aiosagemaker_runtime._http.HTTPResponse` of an :class:`H2Exchange`.

    ``iter_raw`` yields DATA as it arrives; ``aclose`` leaves the whole exchange.
    """

    __slots__ = ("_exchange", "headers", "status_code")

    def __init__(self, exchange: H2Exchange, raw: list[tuple[bytes, bytes]]) -> None:
        self._exchange = exchange
        status = 0
        fields: list[tuple[bytes, bytes]] = []
        for name, value in raw:
            if name[:1] == b":":
                if name == b":status":
                    status = int(value)
            else:
                fields.append((name, value))
        self.status_code: int = status
        self.headers: Mapping[str, str] = fold_headers(fields)

    async def read(self) -> bytes:
        """The whole body (until the server ends its side of the stream)."""
        chunks = [chunk async for chunk in self.iter_raw()]
        return b"".join(chunks)

    def iter_raw(self) -> AsyncIterator[bytes]:
        """Output as it arrives; each chunk waits at most ``read_timeout``.

        A plain iterator, not an async generator: left unfinished, it needs no
        finalising (closing the exchange is what releases the stream).
        """
        return _Chunks(self._exchange)

    async def aclose(self) -> None:
        """Leave the exchange (see :meth:`H2Exchange.aclose`)."""
        await self._exchange.aclose()


class _Chunks:
    """The output of an exchange as an async iterator (empty DATA frames skipped)."""

    __slots__ = ("_next",)

    def __init__(self, exchange: H2Exchange) -> None:
        self._next = exchange.next_chunk

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        while True:
            chunk = await self._next()
            if chunk is None:
                raise StopAsyncIteration
            if chunk:
                return chunk
