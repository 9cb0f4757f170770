"""One HTTP/1.1 exchange on an httpcore2 connection, without httpcore2's per-request layers.

httpcore2's ``AsyncHTTP11Connection.handle_async_request`` wraps each request in two
locks, four ``Trace`` objects, a ``Response`` with its byte stream and an async
generator per body, and writes the request head and the body in two socket sends
(bench/PROFILE.md, finding 4). The connections of our pool are used by one request at a
time, so :class:`FastHTTP11` (a subclass of httpcore2's HTTP/1.1 connection, built on
the installed httpcore2 by :func:`connection_class`) offers a shorter path with the same
h11 state machine, the same framing and the same errors:

* the head, a body of up to 1 MiB and the end of the message go out in one write; a
  larger body follows its head in slices, through h11's ``send_with_data_passthrough``
  (no copy), each written as the connection's stream takes it;
* a write that fails is ignored, as httpcore2 does, so that a response the server sent
  before closing is still read;
* the response head is read with httpcore2's stream (its read timeout per read, its
  exceptions), and the body is taken from what h11 has buffered, reading more only when
  it needs more;
* closing the response makes the connection idle again (or closes it), as httpcore2's
  ``_response_closed`` does, without its lock.

When httpcore2's logger is set to DEBUG, or httpcore2's classes are not as this module
expects, the pool takes httpcore2's own path (``handle_async_request``) instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.abc

__all__ = ["FastExchange", "connection_class", "fast_path_enabled"]

#: Bodies up to this many bytes go out in the same write as the head (h11 copies them
#: into its output anyway); larger ones are written in slices of this size.
COALESCE = 1 << 20

_HTTPCORE_LOGGER = logging.getLogger("httpcore2.http11")
_CLASSES: dict[int, Any] = {}


def fast_path_enabled() -> bool:
    """False while httpcore2's request tracing would log (its DEBUG level)."""
    return not _HTTPCORE_LOGGER.isEnabledFor(logging.DEBUG)


def connection_class(httpcore2: Any) -> Any:
    """The pool's connection class for this httpcore2: :class:`AsyncHTTPConnection`
    making :class:`FastHTTP11` connections, or httpcore2's own when its internals are
    not the ones this module was written for."""
    key = id(httpcore2)
    cls = _CLASSES.get(key)
    if cls is None:
        cls = _CLASSES[key] = _build(httpcore2)
    return cls


def _build(httpcore2: Any) -> Any:
    import h11
    from httpcore2 import _utils
    from httpcore2._async import connection as connection_module
    from httpcore2._async import http11
    from httpcore2._backends import anyio as anyio_backend

    base = getattr(http11, "AsyncHTTP11Connection", None)
    states = getattr(http11, "HTTPConnectionState", None)
    outer = httpcore2.AsyncHTTPConnection
    expected = (
        base is not None
        and states is not None
        and outer is getattr(connection_module, "AsyncHTTPConnection", None)
        and all(hasattr(base, name) for name in ("_send_event", "_response_closed", "aclose"))
        and hasattr(outer, "_connect")
        and hasattr(h11.Connection, "send_with_data_passthrough")
        and hasattr(_utils, "is_socket_readable")
    )
    if not expected:
        return outer
    anyio_stream = getattr(anyio_backend, "AnyIOStream", None)
    return _define(
        httpcore2, h11, base, states, outer, _utils.is_socket_readable, anyio_stream, _checks(h11)
    )


def _checks(h11: Any) -> Any:
    """``(headers) -> bool``: h11's own header name and value rules applied to all of a
    request's names, and all its values, joined by newlines, in two regex matches. No name
    or value may contain a newline under those rules, so the joined text matches exactly
    when each part does and the joined text has one newline fewer than there are
    headers. ``None`` when h11 has not the rules."""
    try:
        from h11 import _abnf

        name, value = _abnf.field_name, _abnf.field_value
    except (ImportError, AttributeError):
        return None
    import re

    names = re.compile(f"(?:{name}\n)*{name}".encode("ascii")).fullmatch
    values = re.compile(f"(?:{value}\n)*{value}".encode("ascii")).fullmatch

    def valid(headers: list[tuple[bytes, bytes]]) -> bool:
        joined_names = b"\n".join([pair[0] for pair in headers])
        joined_values = b"\n".join([pair[1] for pair in headers])
        separators = len(headers) - 1
        return (
            joined_names.count(b"\n") == separators
            and joined_values.count(b"\n") == separators
            and names(joined_names) is not None
            and values(joined_values) is not None
        )

    return valid


def _define(
    httpcore2: Any,
    h11: Any,
    base: Any,
    states: Any,
    outer: Any,
    is_socket_readable: Any,
    anyio_stream: Any,
    valid_headers: Any,
) -> Any:
    new, idle, active, closed = states.NEW, states.IDLE, states.ACTIVE, states.CLOSED
    need_data = h11.NEED_DATA
    response_type, informational_type = h11.Response, h11.InformationalResponse
    data_type, end_type, paused = h11.Data, h11.EndOfMessage, h11.PAUSED
    h11_request, h11_data, h11_end = h11.Request, h11.Data, h11.EndOfMessage
    h11_done, h11_send_response = h11.DONE, h11.SEND_RESPONSE
    h11_local_error, h11_remote_error = h11.LocalProtocolError, h11.RemoteProtocolError
    local_error, remote_error = httpcore2.LocalProtocolError, httpcore2.RemoteProtocolError
    write_error, not_available = httpcore2.WriteError, httpcore2.ConnectionNotAvailable
    read_error, read_timeout_error = httpcore2.ReadError, httpcore2.ReadTimeout
    write_timeout_error = httpcore2.WriteTimeout
    stream_failures = (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream)
    broken = (anyio.BrokenResourceError, anyio.ClosedResourceError)
    end_of_stream = anyio.EndOfStream

    class FastHTTP11(base):  # type: ignore[misc]
        """httpcore2's HTTP/1.1 connection with :meth:`exchange` beside its own path."""

        _state: Any
        #: (the anyio byte stream under httpcore2's stream, its event loop's clock, the
        #: asyncio cancel scope class) on asyncio; None elsewhere (trio: httpcore2's
        #: own trio stream is used as it is); unset until the first exchange.
        _direct: Any = False
        _socket: Any = False

        def has_expired(self) -> bool:
            """httpcore2's test (keep-alive expiry, or an idle socket that became
            readable: the server closed it), with the socket looked up once."""
            expire_at = self._expire_at
            if expire_at is not None and time.monotonic() > expire_at:
                return True
            if self._state is not idle:
                return False
            sock = self._socket
            if sock is False:
                stream = self._network_stream
                sock = self._socket = (
                    stream.get_extra_info("socket") if type(stream) is anyio_stream else None
                )
            if sock is None:  # not asyncio's: as httpcore2 asks
                return bool(self._network_stream.get_extra_info("is_readable"))
            return bool(is_socket_readable(sock))

        def _direct_io(self) -> Any:
            stream = self._network_stream
            raw = getattr(stream, "_stream", None)
            if (
                anyio_stream is None
                or type(stream) is not anyio_stream
                or not isinstance(raw, anyio.abc.ByteStream)
            ):
                return None
            import asyncio

            return raw, asyncio.get_running_loop().time, type(anyio.CancelScope())

        async def exchange(
            self,
            method: bytes,
            target: bytes,
            headers: list[tuple[bytes, bytes]],
            body: bytes | bytearray | memoryview,
            length: int,
            write_timeout: float | None,
            read_timeout: float | None,
        ) -> tuple[int, list[tuple[bytes, bytes]]]:
            """Send one request, read the response head: its status and raw headers."""
            if self._state is not new and self._state is not idle:
                raise not_available()
            self._request_count += 1
            self._state = active
            self._expire_at = None
            state = self._h11_state
            try:
                try:
                    # h11 checks each header name and value with a regex match (~25 per
                    # request); checked here in two, the request is built as parsed
                    # (h11 still lower-cases the names and checks Content-Length, the
                    # Host header, the method and the target); else h11 checks (and
                    # raises its own error).
                    if valid_headers is not None and valid_headers(headers):
                        event = h11_request(
                            method=method, target=target, headers=headers, _parsed=True
                        )
                    else:
                        event = h11_request(method=method, target=target, headers=headers)
                    head = state.send(event)
                    if length <= COALESCE:
                        if length:
                            head += state.send(h11_data(data=body))
                        head += state.send(h11_end())
                except h11_local_error as error:
                    raise local_error(error) from error
                direct = self._direct
                if direct is False:
                    direct = self._direct = self._direct_io()
                if direct is None or length > COALESCE:
                    event = await self._exchange_streamed(
                        head, body, length, write_timeout, read_timeout
                    )
                else:
                    event = await self._exchange_direct(direct, head, write_timeout, read_timeout)
                return event.status_code, event.headers.raw_items()
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await self.finish()
                raise

        async def _exchange_direct(
            self, direct: Any, head: bytes, write_timeout: float | None, timeout: float | None
        ) -> Any:
            """On asyncio: the write and the reads of the head under one cancel scope whose
            deadline is set before each of them (the same timeouts as httpcore2's
            ``fail_after`` per read and write), errors mapped as httpcore2 maps them."""
            raw, clock, scope_class = direct
            state = self._h11_state
            reading = False
            with scope_class() as scope:
                if write_timeout is not None:
                    scope.deadline = clock() + write_timeout
                try:  # noqa: SIM105 (no context manager on the hot path)
                    await raw.send(head)
                except stream_failures:
                    pass  # as httpcore2 (a WriteError): read what the server may have sent
                reading = True
                while True:
                    try:
                        event = state.next_event()
                    except h11_remote_error as error:
                        raise remote_error(error) from error
                    if event is need_data:
                        if timeout is not None:
                            scope.deadline = clock() + timeout
                        try:
                            data = await raw.receive(self.READ_NUM_BYTES)
                        except end_of_stream:
                            data = b""
                        except broken as error:
                            raise read_error(error) from error
                        if data == b"" and state.their_state == h11_send_response:
                            raise remote_error("Server disconnected without sending a response.")
                        state.receive_data(data)
                    elif type(event) is response_type or (
                        type(event) is informational_type and event.status_code == 101
                    ):
                        return event
            if reading:
                raise read_timeout_error("timed out reading the response")
            raise write_timeout_error("timed out writing the request")

        async def _exchange_streamed(
            self,
            head: bytes,
            body: bytes | bytearray | memoryview,
            length: int,
            write_timeout: float | None,
            read_timeout: float | None,
        ) -> Any:
            """Through httpcore2's stream: trio, and bodies written in slices."""
            try:
                await self._network_stream.write(head, timeout=write_timeout)
                if length > COALESCE:
                    await self._write_large(body, write_timeout)
            except write_error:
                pass  # as httpcore2: read the response the server may have sent
            while True:
                event = await self._next(read_timeout)
                if type(event) is response_type:
                    return event
                if type(event) is informational_type and event.status_code == 101:
                    return event

        async def _write_large(
            self, body: bytes | bytearray | memoryview, timeout: float | None
        ) -> None:
            view = memoryview(body)
            passthrough = self._h11_state.send_with_data_passthrough
            write = self._network_stream.write
            for at in range(0, len(view), COALESCE):
                for data in passthrough(h11_data(data=view[at : at + COALESCE])):
                    await write(data, timeout=timeout)
            try:
                tail = self._h11_state.send(h11_end())
            except h11_local_error as error:
                raise local_error(error) from error
            if tail:
                await write(tail, timeout=timeout)

        async def _next(self, timeout: float | None) -> Any:
            state = self._h11_state
            while True:
                try:
                    event = state.next_event()
                except h11_remote_error as error:
                    raise remote_error(error) from error
                if event is not need_data:
                    return event
                data = await self._network_stream.read(self.READ_NUM_BYTES, timeout=timeout)
                if data == b"" and state.their_state == h11_send_response:
                    raise remote_error("Server disconnected without sending a response.")
                state.receive_data(data)

        async def read_body(self, timeout: float | None) -> bytes:
            """The rest of the response body (the connection is not released)."""
            chunks: list[bytes] = []
            state = self._h11_state
            while True:
                try:
                    event = state.next_event()  # usually buffered with the head
                except h11_remote_error as error:
                    raise remote_error(error) from error
                if event is need_data:
                    event = await self._next(timeout)
                kind = type(event)
                if kind is data_type:
                    chunks.append(bytes(event.data))
                elif kind is end_type or event is paused:
                    break
            if len(chunks) == 1:
                return chunks[0]
            return b"".join(chunks)

        async def iter_body(self, timeout: float | None) -> AsyncIterator[bytes]:
            """The rest of the response body, chunk by chunk."""
            while True:
                event = await self._next(timeout)
                kind = type(event)
                if kind is data_type:
                    yield bytes(event.data)
                elif kind is end_type or event is paused:
                    return

        def reuse(self) -> bool:
            """After a response: idle again if both sides are done (True), as
            httpcore2's ``_response_closed``; False: the connection must be closed."""
            state = self._h11_state
            if state.our_state is h11_done and state.their_state is h11_done:
                self._state = idle
                state.start_next_cycle()
                if self._keepalive_expiry is not None:
                    self._expire_at = time.monotonic() + self._keepalive_expiry
                return True
            return self._state is closed

        async def finish(self) -> None:
            """After a response: idle again if both sides are done, else closed."""
            if not self.reuse():
                await self.aclose()

    class PooledConnection(outer):  # type: ignore[misc]
        """httpcore2's connection whose HTTP/1.1 connection is a ``FastHTTP11``."""

        _connection: Any

        async def open(self, request: Any) -> Any:
            """Connect (TCP, TLS) for ``request`` if not yet done; the HTTP/1.1 connection."""
            inner = self._connection
            if inner is None:
                try:
                    stream = await self._connect(request)
                    inner = self._connection = FastHTTP11(
                        origin=self._origin, stream=stream, keepalive_expiry=self._keepalive_expiry
                    )
                except BaseException:
                    self._connect_failed = True
                    raise
            return inner

    PooledConnection.fast_class = FastHTTP11
    return PooledConnection


class FastExchange:
    """A response on a :class:`FastHTTP11` connection, as much of httpcore2's ``Response``
    as :class:`~.httpcore_pool.DirectResponse` uses (``status``, ``headers``, ``aread``,
    ``aiter_stream``, ``aclose``)."""

    __slots__ = ("_closed", "_inner", "_timeout", "headers", "status")

    def __init__(
        self, inner: Any, status: int, headers: list[tuple[bytes, bytes]], timeout: float | None
    ) -> None:
        self._inner = inner
        self._timeout = timeout
        self._closed = False
        self.status = status
        self.headers = headers

    async def aread(self) -> bytes:
        try:
            return await self._inner.read_body(self._timeout)  # type: ignore[no-any-return]
        except BaseException:
            await self.aclose()
            raise

    async def aiter_stream(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner.iter_body(self._timeout):
                yield chunk
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            if not self._inner.reuse():
                with anyio.CancelScope(shield=True):
                    await self._inner.aclose()
