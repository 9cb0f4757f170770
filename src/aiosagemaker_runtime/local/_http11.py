"""A small HTTP/1.1 server core on anyio and h11: one task per connection, keep-alive,
``Expect: 100-continue``, fixed-length and chunked (streamed) responses.

The application is a single coroutine ``handler(request) -> response``. Request bodies
are read in full before the handler runs, but at most ``max_body`` bytes are kept: the
rest is read and dropped (so that the client sees the answer instead of a connection
reset) and ``Request.body_length`` tells the handler how long the body really was.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus

import anyio
import anyio.abc
import h11

__all__ = ["Handler", "Request", "Response", "serve_connection"]

logger = logging.getLogger("aiosagemaker_runtime.local")

_READ_SIZE = 65536
#: Bodies declared longer than this are refused without reading them, and the
#: connection is closed; shorter oversized bodies are drained.
_MAX_DRAIN = 64 * 1024 * 1024


@dataclass(slots=True)
class Request:
    """A request whose head and body have been received."""

    method: str
    path: str
    """The path as sent, still percent-encoded."""
    query: str
    headers: list[tuple[str, str]]
    """Names lower-cased, in the order received."""
    body: bytes = b""
    body_length: int = 0
    """Length of the body as received; more than ``len(body)`` when it was cut."""

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None


@dataclass(slots=True)
class Response:
    """A response: either ``body`` (sent with Content-Length) or ``stream`` (chunked)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None


Handler = Callable[[Request], Awaitable[Response]]


class _Closed(Exception):
    """The peer went away or broke the protocol; drop the connection."""


async def _next_event(conn: h11.Connection, stream: anyio.abc.ByteStream) -> object:
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            raise
        if event is not h11.NEED_DATA:
            return event
        try:
            data = await stream.receive(_READ_SIZE)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            data = b""
        conn.receive_data(data)


async def _send(conn: h11.Connection, stream: anyio.abc.ByteStream, event: h11.Event) -> None:
    data = conn.send(event)
    if data:
        try:
            await stream.send(data)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as error:
            raise _Closed from error


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


async def _send_response(
    conn: h11.Connection, stream: anyio.abc.ByteStream, response: Response
) -> None:
    headers = [(name, value) for name, value in response.headers]
    names = {name.lower() for name, _ in headers}
    if "date" not in names:
        headers.append(("Date", formatdate(usegmt=True)))
    if response.stream is None:
        headers.append(("Content-Length", str(len(response.body))))
    head = h11.Response(
        status_code=response.status, headers=headers, reason=_reason(response.status)
    )
    if response.stream is None:
        # Head, body and end in one write: one syscall, no small-packet delays.
        data = conn.send(head) or b""
        if response.body:
            data += conn.send(h11.Data(data=response.body)) or b""
        data += conn.send(h11.EndOfMessage()) or b""
        try:
            await stream.send(data)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as error:
            raise _Closed from error
        return
    await _send(conn, stream, head)
    body = response.stream
    try:
        async for chunk in body:
            if chunk:
                await _send(conn, stream, h11.Data(data=chunk))
    finally:
        aclose = getattr(body, "aclose", None)
        if aclose is not None:
            with anyio.CancelScope(shield=True):
                await aclose()
    await _send(conn, stream, h11.EndOfMessage())


def _simple(status: int, message: str) -> Response:
    body = ('{"message": "' + message + '"}').encode()
    return Response(status, [("Content-Type", "application/json")], body)


async def _read_body(
    conn: h11.Connection, stream: anyio.abc.ByteStream, max_body: int
) -> tuple[bytes, int]:
    kept: list[bytes] = []
    kept_length = 0
    total = 0
    while True:
        event = await _next_event(conn, stream)
        if isinstance(event, h11.Data):
            total += len(event.data)
            if kept_length <= max_body:
                kept.append(bytes(event.data))
                kept_length += len(event.data)
            if total > _MAX_DRAIN:
                raise _Closed
        elif isinstance(event, h11.EndOfMessage):
            body = b"".join(kept)
            return body[: max_body + 1], total
        else:
            raise _Closed


async def serve_connection(
    stream: anyio.abc.ByteStream, handler: Handler, *, max_body: int
) -> None:
    """Serve requests on ``stream`` until the peer closes it or the protocol says so."""
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
    async with stream:
        while True:
            try:
                event = await _next_event(conn, stream)
            except h11.RemoteProtocolError as error:
                if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                    status = error.error_status_hint or 400
                    with contextlib.suppress(_Closed, h11.LocalProtocolError):
                        await _send_response(conn, stream, _simple(status, "Bad request"))
                return
            if not isinstance(event, h11.Request):
                return
            try:
                response = await _handle(conn, stream, event, handler, max_body)
                await _send_response(conn, stream, response)
            except (_Closed, h11.RemoteProtocolError, h11.LocalProtocolError):
                return
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is not h11.DONE:
                return
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError:
                return


async def _handle(
    conn: h11.Connection,
    stream: anyio.abc.ByteStream,
    event: h11.Request,
    handler: Handler,
    max_body: int,
) -> Response:
    target = event.target.decode("latin-1")
    path, _, query = target.partition("?")
    headers = [
        (name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in event.headers
    ]
    declared = next((v for k, v in headers if k == "content-length"), None)
    if declared is not None and declared.isdigit() and int(declared) > _MAX_DRAIN:
        # Too large to drain: answer now and close (h11 closes since the body is unread).
        request = Request(event.method.decode("ascii"), path, query, headers, b"", int(declared))
        return await handler(request)
    if conn.they_are_waiting_for_100_continue:
        await _send(conn, stream, h11.InformationalResponse(status_code=100, headers=[]))
    body, length = await _read_body(conn, stream, max_body)
    request = Request(event.method.decode("ascii"), path, query, headers, body, length)
    try:
        return await handler(request)
    except Exception:
        logger.exception("unhandled error while serving %s %s", request.method, path)
        return _simple(500, "Internal failure")
