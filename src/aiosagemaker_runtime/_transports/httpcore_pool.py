"""The owned engine's connections: httpcore2 HTTP/1.1 connections in our own pool.

:class:`_DirectPool` keeps an idle deque per origin and a semaphore of
``max_pool_connections``: O(1) per request. httpx2's client layer (URL merging, auth,
redirects, cookies) and its connection pool (which scans every connection on every
request and response) cost 0.5-2 ms per request (bench/PROFILE.md, finding 2) and give
us nothing: requests are built and signed before they reach us. Each request goes
through :mod:`.httpcore_exchange`'s short path on the connection (one write for the head
and a small body, no per-request locks, traces or response objects of httpcore2).

The TLS context (loading the CA bundle: 30-60 ms) is built, in a worker thread, only
when the first connection to an ``https`` origin is opened, so a client of a plain
``http`` endpoint (e.g. a local one) never builds one.

Large bodies go past h11's copies both ways: a request body over 1 MiB is written to the
connection in slices (:class:`_LargeBody`), a response body with a large Content-Length
is read straight from the socket (:meth:`DirectResponse._read_past_h11`).

The request framing at the end (a flat body, its Content-Length, the Host header as
httpx sends it) is shared with the engine's path through an httpx client.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import anyio.to_thread

from .._http import HTTPRequest
from .base import BODILESS_METHODS, close_socket_now, fold_headers, raise_translated
from .bodies import LARGE_BODY, LARGE_READ, large_body
from .httpcore_exchange import FastExchange, connection_class, fast_path_enabled
from .httpx_errors import translate_error
from .tls import prefetched_context, verifying_context

if TYPE_CHECKING:
    import ssl

__all__ = ["DirectResponse"]


_LARGE_WRITE = 1 << 20


class _OneChunk:
    """A request body that is not ``bytes``, handed to h11 as one chunk without a copy."""

    __slots__ = ("_body",)

    def __init__(self, body: bytearray | memoryview) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytearray | memoryview]:
        if self._body:
            yield self._body


class _LargeBody:
    """A large request body, written to the connection in slices without copies.

    Through h11 every slice would be copied once more (``h11.Connection.send`` joins what
    it writes), and a body written in one piece leaves whatever the kernel does not take
    at once in a copy in the event loop's transport buffer: most of the body, per
    request in flight (5 MiB at 16 concurrent: ~75 MiB). When httpcore2 iterates this
    body, each slice goes through h11's ``send_with_data_passthrough`` (so h11 counts
    it against Content-Length exactly as if it had written it) and straight to the
    connection's stream, which waits for the loop to drain before the next slice; it
    yields nothing itself. When the connection's internals are not as expected, the
    slices are simply yielded to httpcore2.
    """

    __slots__ = ("_body", "_conn", "_timeout")

    def __init__(
        self, body: bytes | bytearray | memoryview, conn: Any, timeout: float | None
    ) -> None:
        self._body = body
        self._conn = conn
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[memoryview]:
        view = memoryview(self._body)
        slices = (view[at : at + _LARGE_WRITE] for at in range(0, len(view), _LARGE_WRITE))
        inner: Any = getattr(self._conn, "_connection", None)
        state: Any = getattr(inner, "_h11_state", None)
        stream: Any = getattr(inner, "_network_stream", None)
        if stream is None or not hasattr(state, "send_with_data_passthrough"):
            for piece in slices:
                yield piece
            return
        import h11

        passthrough = state.send_with_data_passthrough
        write = stream.write
        timeout = self._timeout
        for piece in slices:
            for data in passthrough(h11.Data(data=piece)):  # type: ignore[arg-type]
                await write(data, timeout=timeout)


class DirectResponse:
    """:class:`~aiosagemaker_runtime._http.HTTPResponse` over an httpcore2 response.

    Closing it (or reading it to the end) hands the connection back to the pool.
    """

    __slots__ = (
        "_conn",
        "_content",
        "_done",
        "_length",
        "_origin",
        "_pool",
        "_response",
        "_url",
        "headers",
        "status_code",
    )

    def __init__(self, response: Any, conn: Any, origin: Any, pool: _DirectPool, url: str) -> None:
        self._response = response
        self._conn = conn
        self._origin = origin
        self._pool = pool
        self._url = url
        self._done = False
        self._content: bytes | None = None
        self.status_code: int = response.status
        headers = fold_headers(response.headers)
        self.headers: Mapping[str, str] = headers
        length = headers.get("content-length")
        self._length = int(length) if length is not None and length.isdigit() else -1

    async def read(self) -> bytes:
        """The whole body; the connection goes back to the pool."""
        if self._content is not None:
            return self._content
        try:
            content = None
            if self._length >= LARGE_BODY:
                content = await self._read_past_h11()
            if content is None:
                content = await self._response.aread()
        except Exception as error:
            raise_translated(error, translate_error(error, self._url))
        self._content = content
        await self.aclose()
        return content

    async def _read_past_h11(self) -> bytes | None:
        """A large Content-Length body read straight from the socket (``None``: not possible).

        h11 copies every received byte into its buffer and out again, and httpcore2 copies
        each piece once more: three copies of 5 MiB per call plus an event per 64 KiB
        (bench/PROFILE.md, finding 3). Here the bytes h11 already buffered are taken, the
        rest is read from the connection's stream into the body
        (:func:`~aiosagemaker_runtime._transports.bodies.large_body`) as it arrives, and h11's reader
        is told how much is left, so it ends the message (and the connection is reused)
        exactly as if it had read the body itself. On any failure h11 has not reached the
        end of the message and the connection is closed, not pooled.
        """
        inner: Any = getattr(self._conn, "_connection", None)
        state: Any = getattr(inner, "_h11_state", None)
        reader: Any = getattr(state, "_reader", None)
        buffered: Any = getattr(state, "_receive_buffer", None)
        stream: Any = getattr(inner, "_network_stream", None)
        remaining: Any = getattr(reader, "_remaining", None)
        if (
            stream is None
            or type(reader).__name__ != "ContentLengthReader"
            or type(remaining) is not int
            or not hasattr(buffered, "maybe_extract_at_most")
        ):
            return None
        raw = getattr(stream, "_stream", None)
        if isinstance(raw, anyio.abc.ByteReceiveStream):
            receive = raw.receive  # its errors are mapped below, as httpcore2 maps them
        else:  # e.g. httpcore2's own trio stream: it maps errors and gives b"" at the end
            receive = functools.partial(stream.read, timeout=None)
        timeout = self._pool.read_timeout
        pool = self._pool
        # One cancel scope for the whole body whose deadline moves before each read (the
        # read timeout is per read): httpcore2's stream.read enters a fresh fail_after
        # and exception map per read, ~20 us each, 20+ reads per 5 MiB.
        with (
            large_body(remaining, getattr(raw, "_transport", None)) as body,
            anyio.CancelScope() as scope,
        ):
            head = buffered.maybe_extract_at_most(remaining) if remaining else None
            if head:
                body.write(head)
                remaining -= len(head)
                reader._remaining = remaining
            try:
                while remaining:
                    if timeout is not None:
                        scope.deadline = anyio.current_time() + timeout
                    data = await receive(min(remaining, LARGE_READ))
                    if not data:
                        raise anyio.EndOfStream
                    body.write(data)
                    remaining -= len(data)
                    reader._remaining = remaining
            except anyio.EndOfStream:
                raise pool.protocol_error(
                    "peer closed connection without sending complete message body"
                ) from None
            except (anyio.BrokenResourceError, anyio.ClosedResourceError) as error:
                raise pool.read_error(error) from error  # as httpcore2 maps them
        if remaining:  # the scope's deadline passed: no data for a whole read timeout
            raise pool.read_timeout_error("timed out reading the response body")
        state.next_event()  # EndOfMessage: h11 is done with the response
        return body.getvalue()

    async def iter_raw(self) -> AsyncIterator[bytes]:
        """Body chunks as they arrive."""
        try:
            async for chunk in self._response.aiter_stream():
                yield chunk
        except Exception as error:
            raise_translated(error, translate_error(error, self._url))
        await self.aclose()

    async def aclose(self) -> None:
        """Release the connection (idempotent): pooled again if the response was complete."""
        if self._done:
            return
        self._done = True
        try:
            await self._response.aclose()
        finally:
            await self._pool.release(self._conn, self._origin)


class _DirectPool:
    """httpcore2 HTTP/1.1 connections: an idle deque per origin, a semaphore for the limit.

    The TLS context is built on the first new connection to an ``https`` origin (see
    :meth:`_tls_context`); ``http`` connections get none.
    """

    KEEPALIVE_EXPIRY = 20.0
    URL_CACHE_SIZE = 256

    def __init__(self, httpcore2: Any, limit: int, timeout: dict[str, Any]) -> None:
        self._httpcore2 = httpcore2
        self._connection = connection_class(httpcore2)
        #: httpcore2's HTTP/1.1 connection with the short path (None: not available)
        self._fast: Any = getattr(self._connection, "fast_class", None)
        self._request = httpcore2.Request
        self._tls: ssl.SSLContext | None = None
        self._tls_lock = anyio.Lock()
        self._slots = anyio.Semaphore(limit, fast_acquire=True)  # no extra yield when free
        self._idle: dict[tuple[bytes, bytes, int | None], deque[Any]] = {}
        self._urls: dict[str, tuple[Any, Any, tuple[bytes, bytes, int | None], bytes]] = {}
        self._extensions = {"timeout": timeout}
        self.read_timeout: float | None = timeout.get("read")
        self.write_timeout: float | None = timeout.get("write")
        self.protocol_error: type[Exception] = httpcore2.RemoteProtocolError
        self.read_error: type[Exception] = httpcore2.ReadError
        self.read_timeout_error: type[Exception] = httpcore2.ReadTimeout
        self._closed = False

    def _parse(self, url: str) -> tuple[Any, Any, tuple[bytes, bytes, int | None], bytes]:
        cached = self._urls.get(url)
        if cached is None:
            parsed = self._httpcore2.URL(url)
            origin = parsed.origin
            key = (origin.scheme, origin.host, origin.port)
            cached = (parsed, origin, key, _netloc(url).encode("ascii"))
            if len(self._urls) >= self.URL_CACHE_SIZE:
                self._urls.clear()
            self._urls[url] = cached
        return cached

    async def _checkout(self, origin: Any, key: tuple[bytes, bytes, int | None]) -> Any:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if not conn.has_expired() and not conn.is_closed():
                return conn
            with anyio.CancelScope(shield=True):
                await conn.aclose()
        ssl_context = None
        if key[0] == b"https":
            ssl_context = self._tls
            if ssl_context is None:
                ssl_context = await self._tls_context()
        return self._connection(
            origin, ssl_context=ssl_context, keepalive_expiry=self.KEEPALIVE_EXPIRY
        )

    async def _tls_context(self) -> ssl.SSLContext:
        """The TLS context, built once (in a worker thread) by the first caller.

        Concurrent first connections wait for that one build. It is stored only when
        finished: a caller cancelled meanwhile leaves it unset (or set, if the build
        completed), and the next caller builds it or uses it.
        """
        async with self._tls_lock:
            context = self._tls
            if context is None:
                # A context prefetched at the client's creation and ready: no thread hop.
                context = prefetched_context("httpcore2")
                if context is None:
                    context = await anyio.to_thread.run_sync(self._build_tls)
                self._tls = context
            return context

    def _build_tls(self) -> ssl.SSLContext:
        """``AWS_CA_BUNDLE``, else httpcore2's (``SSL_CERT_*``, else the system's CAs). Blocking."""
        context = verifying_context("httpcore2")  # prefetched by the client when https
        return context

    async def release(self, conn: Any, key: tuple[bytes, bytes, int | None]) -> None:
        """Back into the pool when idle; closed otherwise (or after ``aclose``)."""
        self._slots.release()
        if conn.is_idle() and not conn.is_closed() and not self._closed:
            idle = self._idle.get(key)
            if idle is None:
                idle = self._idle[key] = deque()
            idle.append(conn)
        elif not conn.is_closed():
            with anyio.CancelScope(shield=True):
                await conn.aclose()

    async def send(self, request: HTTPRequest) -> DirectResponse:
        url = request.url
        parsed, origin, key, host = self._parse(url)
        body = _flat(request.body)
        headers = [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in request.headers
        ]
        if not _has_host(request.headers):
            headers.insert(0, (b"Host", host))
        length = _body_length(body)
        if length or request.method not in BODILESS_METHODS:
            headers.append((b"Content-Length", b"%d" % length))
        await self._slots.acquire()
        conn = None
        try:
            conn = await self._checkout(origin, key)
            method = request.method.encode("ascii")
            response: Any
            if self._fast is not None and fast_path_enabled():
                inner = conn._connection
                if inner is None:
                    connect = self._request(
                        method, parsed, headers=headers, extensions=self._extensions
                    )
                    inner = await conn.open(connect)
                if type(inner) is self._fast:
                    status, raw = await inner.exchange(
                        method,
                        parsed.target,
                        headers,
                        body,
                        length,
                        self.write_timeout,
                        self.read_timeout,
                    )
                    return DirectResponse(
                        FastExchange(inner, status, raw, self.read_timeout), conn, key, self, url
                    )
            content: Any
            if length > _LARGE_WRITE:
                content = _LargeBody(body, conn, self.write_timeout)
            elif type(body) is bytes:
                content = body
            else:
                content = _OneChunk(body)  # type: ignore[arg-type]
            response = await conn.handle_async_request(
                self._request(
                    method,
                    parsed,
                    headers=headers,
                    content=content,
                    extensions=self._extensions,
                )
            )
        except BaseException as error:
            self._slots.release()
            if conn is not None:
                with anyio.CancelScope(shield=True):
                    await conn.aclose()
            if isinstance(error, Exception):
                mapped = translate_error(error, url)
                if mapped is not error:
                    raise mapped from error
            raise
        return DirectResponse(response, conn, key, self, url)

    def abandon(self) -> None:
        """Drop every pooled connection without the event loop that opened them.

        For a pool left behind by a finished event loop: its connections cannot be
        closed through that loop any more, so their sockets are closed directly.
        """
        self._closed = True
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for conn in connections:
                close_socket(conn)

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, {}
        with anyio.CancelScope(shield=True):
            for connections in idle.values():
                for conn in connections:
                    await conn.aclose()


def close_socket(conn: Any) -> None:
    """Close an httpcore2 connection's socket without its event loop."""
    try:
        stream = conn._connection._network_stream
        sock = stream.get_extra_info("socket")
    except Exception:  # a connection that never connected, or another httpcore2 layout
        return
    close_socket_now(sock)


# Request framing, shared with the engine's path through an httpx client.


def _body_length(body: bytes | bytearray | memoryview) -> int:
    return body.nbytes if isinstance(body, memoryview) else len(body)


def _flat(body: bytes | bytearray | memoryview) -> bytes | bytearray | memoryview:
    """A memoryview of bytes (not of wider items), without copying."""
    if isinstance(body, memoryview) and (body.itemsize != 1 or body.ndim != 1):
        return body.cast("B")
    return body


def _has_host(headers: list[tuple[str, str]]) -> bool:
    return any(len(name) == 4 and name.lower() == "host" for name, _ in headers)


def _netloc(url: str) -> str:
    start = url.find("//") + 2
    end = url.find("/", start)
    authority = (url[start:] if end < 0 else url[start:end]).rpartition("@")[2]
    # As sent by httpx and signed by botocore: the scheme's default port is left out.
    default = ":443" if url.startswith("https:") else ":80"
    return authority[: -len(default)] if authority.endswith(default) else authority
