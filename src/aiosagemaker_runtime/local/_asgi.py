"""The ASGI application serve-local hands to its HTTP server (hypercorn).

It turns an ASGI ``http`` scope and its ``receive``/``send`` events into the records of
``_messages`` for the SageMaker Runtime application, and back, keeping the rules of the
HTTP/1.1 core it replaces:

* The body is read in full before the application runs, but at most ``max_body + 1``
  bytes are kept: the rest is read and dropped (so the client sees the answer rather
  than a reset) and ``Request.body_length`` says how long the body really was.
* Over HTTP/1.x a body longer than ``MAX_DRAIN`` is not read: the application answers
  at once (a 413) and the connection is closed. Over HTTP/2 the stream is always read
  to its end before the answer ends, since only the stream, not the connection, goes.
* A streamed response is sent part by part as the application yields them; a client
  that goes away stops the stream (and closes what feeds it).

Paths that need the ASGI events themselves (a duplex exchange reads request body events
while it sends response body events) are served by a :class:`Route`, matched before
the application. :meth:`LocalASGIApp.shutdown` lets requests in progress finish for a
moment, then cancels what they wait on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import anyio

from ._messages import Handler, Request, Response

__all__ = ["MAX_DRAIN", "ASGIApp", "LocalASGIApp", "Receive", "Route", "Scope", "Send"]

logger = logging.getLogger("aiosagemaker_runtime.local")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Bodies longer than this are not drained over HTTP/1.x: answered at once, then closed.
MAX_DRAIN = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Route:
    """``method`` requests whose percent-encoded path matches ``path`` in full go to
    ``app``, an ASGI application that sees the events as they come. At shutdown, once
    the grace is over, the application is cancelled as a whole (wherever it waits)."""

    method: str
    path: re.Pattern[str]
    app: ASGIApp


class _Gone(Exception):
    """The client went away while the request was being read."""


class _Call:
    """One request in progress: what it waits on is cancelled at shutdown, or when
    the client goes away during a streamed answer."""

    __slots__ = ("gone", "scope")

    def __init__(self) -> None:
        self.scope: anyio.CancelScope | None = None
        self.gone = False

    def cancel(self) -> None:
        self.gone = True
        if self.scope is not None:
            self.scope.cancel()


class LocalASGIApp:
    """ASGI adapter for ``handler``; ``routes`` first, then the handler."""

    def __init__(self, handler: Handler, *, max_body: int, routes: Iterable[Route] = ()) -> None:
        self.handler = handler
        self.max_body = max_body
        self.routes = list(routes)
        self._calls: set[_Call] = set()
        self._idle: anyio.Event | None = None
        self._cut = False

    def add_route(self, route: Route) -> None:
        """Serve ``route`` before the handler (later routes after earlier ones)."""
        self.routes.append(route)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        else:  # websocket: no route takes one yet
            await send({"type": "websocket.close", "code": 1008})

    # -- shutdown -------------------------------------------------------------------------

    async def shutdown(self, grace: float) -> None:
        """Let the requests in progress finish for up to ``grace`` seconds, then cancel
        what they wait on (the model, a stream's next part); their connections close."""
        if self._calls:
            self._idle = anyio.Event()
            with anyio.move_on_after(grace):
                await self._idle.wait()
        self._cut = True
        for call in list(self._calls):
            call.cancel()

    async def _wait(self, call: _Call, awaitable: Awaitable[Any]) -> tuple[bool, Any]:
        """``(True, result)``, or ``(False, None)`` when cancelled (shutdown, or the
        client gone). The handler's sends are never inside: a send cut halfway would
        leave the server's connection state behind (a route's are: see Route)."""
        with anyio.CancelScope() as scope:
            call.scope = scope
            if call.gone:
                scope.cancel()
            try:
                return True, await awaitable
            finally:
                call.scope = None
        return False, None

    def _finish(self, call: _Call) -> None:
        self._calls.discard(call)
        if not self._calls and self._idle is not None:
            self._idle.set()

    # -- HTTP -----------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        path = raw_path.decode("latin-1")
        call = _Call()
        call.gone = self._cut  # arrived after the shutdown grace: not served
        self._calls.add(call)
        try:
            for route in self.routes:
                if route.method == method and route.path.fullmatch(path):
                    await self._wait(call, route.app(scope, receive, send))
                    return
            await self._exchange(call, scope, method, path, receive, send)
        finally:
            self._finish(call)

    async def _exchange(
        self, call: _Call, scope: Scope, method: str, path: str, receive: Receive, send: Send
    ) -> None:
        query = scope["query_string"].decode("latin-1")
        headers = [
            (name.decode("latin-1").lower(), value.decode("latin-1"))
            for name, value in scope["headers"]
        ]
        http2 = scope.get("http_version", "1.1") not in ("1.0", "1.1")
        declared = next((value for name, value in headers if name == "content-length"), None)
        if not http2 and declared is not None and declared.isdigit() and int(declared) > MAX_DRAIN:
            request = Request(method, path, query, headers, b"", int(declared))
            await self._answer_early(call, request, receive, send)
            return
        try:
            body, length, ended = await _read_body(
                receive, self.max_body, None if http2 else MAX_DRAIN
            )
        except _Gone:
            return
        request = Request(method, path, query, headers, body, length)
        if not ended:  # more than MAX_DRAIN over HTTP/1.x
            await self._answer_early(call, request, receive, send)
            return
        done, response = await self._wait(call, self._respond(request))
        if done:
            await self._send(call, response, receive, send, http2)

    async def _respond(self, request: Request) -> Response:
        try:
            return await self.handler(request)
        except Exception:
            logger.exception("unhandled error while serving %s %s", request.method, request.path)
            return _simple(500, "Internal failure")

    async def _answer_early(
        self, call: _Call, request: Request, receive: Receive, send: Send
    ) -> None:
        """Answer before the body is read (HTTP/1.x only): the server closes the
        connection after the answer; meanwhile the rest of the body is dropped so that
        the server is never stuck handing it over."""
        done, response = await self._wait(call, self._respond(request))
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_discard, receive)
            if done:
                await self._send(call, response, None, send, False)
            else:
                await send(_start(_simple(503, "Shutting down"), False))
                await send({"type": "http.response.body", "body": b""})

    async def _send(
        self,
        call: _Call,
        response: Response,
        receive: Receive | None,
        send: Send,
        http2: bool,
    ) -> None:
        if response.stream is None:
            await send(_start(response, http2))
            await send({"type": "http.response.body", "body": response.body})
            return
        await send(_start(response, http2))
        stream = response.stream
        try:
            if receive is None:
                ended = await self._pump(call, stream, send)
            else:
                ended = await self._pump_watched(call, stream, receive, send)
        finally:
            aclose: Callable[[], Awaitable[object]] | None = getattr(stream, "aclose", None)
            if aclose is not None:
                with anyio.CancelScope(shield=True):
                    await aclose()
        if ended:
            await send({"type": "http.response.body", "body": b""})

    async def _pump(self, call: _Call, stream: AsyncIterator[bytes], send: Send) -> bool:
        """Send the parts of ``stream``; False when cut (shutdown, client gone)."""
        while not call.gone:
            done, chunk = await self._wait(call, _next(stream))
            if not done:
                return False
            if chunk is None:
                return True
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        return False

    async def _pump_watched(
        self, call: _Call, stream: AsyncIterator[bytes], receive: Receive, send: Send
    ) -> bool:
        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            call.cancel()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(watch)
            ended = await self._pump(call, stream, send)
            # After the last part the server reports the stream closed, which ends the
            # watcher; cancelling only spares waiting for that.
            tasks.cancel_scope.cancel()
        return ended


async def _next(stream: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await stream.__anext__()
    except StopAsyncIteration:
        return None


async def _read_body(receive: Receive, keep: int, cap: int | None) -> tuple[bytes, int, bool]:
    """``(kept, length, ended)``: at most ``keep + 1`` bytes kept; ``ended`` is False
    when reading stopped past ``cap`` bytes."""
    message = await receive()
    if message["type"] == "http.disconnect":
        raise _Gone
    first: bytes = message.get("body", b"")
    if not message.get("more_body", False):  # the whole body in one event
        return first[: keep + 1], len(first), True
    kept = [first]
    kept_length = total = len(first)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Gone
        chunk: bytes = message.get("body", b"")
        total += len(chunk)
        if kept_length <= keep:
            kept.append(chunk)
            kept_length += len(chunk)
        if not message.get("more_body", False):
            return b"".join(kept)[: keep + 1], total, True
        if cap is not None and total > cap:
            return b"".join(kept)[: keep + 1], total, False


async def _discard(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _start(response: Response, http2: bool) -> Message:
    # HTTP/1.1 keeps the names as the application spells them (as the service does);
    # HTTP/2 requires lower case.
    if http2:
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in response.headers
        ]
    else:
        headers = [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
        ]
    headers.append((b"date" if http2 else b"Date", formatdate(usegmt=True).encode("ascii")))
    if response.stream is None:
        length = str(len(response.body)).encode("ascii")
        headers.append((b"content-length" if http2 else b"Content-Length", length))
    return {"type": "http.response.start", "status": response.status, "headers": headers}


def _simple(status: int, message: str) -> Response:
    body = ('{"message": "' + message + '"}').encode()
    return Response(status, [("Content-Type", "application/json")], body)
