"""Event streams handed to callers (``out.body`` of a response-stream operation).

:class:`EventStream` reads the HTTP response's body as it arrives, decodes its frames
(:mod:`.eventstream`) and yields the generated event models as their frames complete;
nothing is buffered beyond the frame in progress. Modeled exception events are raised
as their generated :class:`~aiosagemaker_runtime.ServiceError` subclasses, error frames
as ``ServiceError`` with their code (the messages become events and errors in
:mod:`.stream_events`), malformed or truncated streams as
:class:`~aiosagemaker_runtime.EventStreamError`.

The stream owns the HTTP connection and releases it as soon as it is no longer needed:
at the end of the stream, on any error or cancellation, on :meth:`EventStream.aclose`
(or leaving ``async with``), and when an ``async for`` loop over the stream (or over
:meth:`EventStream.lines` / :meth:`EventStream.sse`) is left early: one stream is read
by one loop. A :class:`StreamObserver` given by the pipeline (tracing) hears of each
event and, once, of how the stream ended.

Forwarding a model's tokens to a browser with FastAPI/Starlette::

    from fastapi import FastAPI
    from fastapi.responses import StreamingResponse

    app = FastAPI()

    @app.post("/chat")
    async def chat(prompt: dict) -> StreamingResponse:
        out = await client.invoke_endpoint_with_response_stream(
            endpoint_name="llm", body=json.dumps(prompt), content_type="application/json"
        )

        async def tokens():
            async with out:  # releases the connection if the browser goes away
                async for event in out.body.sse():  # the container's own SSE
                    yield f"data: {event.data}\\n\\n"

        return StreamingResponse(tokens(), media_type="text/event-stream")
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import anyio
from typing_extensions import Self

from .._http import HTTPResponse
from .._spec import OperationSpec, ServiceSpec

if TYPE_CHECKING:
    from .eventstream import Message
    from .sse import ServerSentEvent

__all__ = ["EventStream", "StreamObserver"]

T = TypeVar("T")
R = TypeVar("R")


class StreamObserver(Protocol):
    """Told about a stream as it is read (tracing plugs in here); must not raise."""

    def part(self, size: int) -> None:
        """An event was delivered; ``size`` is its payload's length in bytes."""

    def end(self, outcome: str, error: BaseException | None) -> None:
        """The stream ended, once: ``"complete"`` (read to its end), ``"closed"`` (left
        before its end: closed, its loop left, or dropped) or ``"failed"`` (``error``)."""


class EventStream(Generic[T]):
    """Async iterator of the stream's events (generated event models), in order.

    ``async for part in out.body`` yields each event as soon as its frame is complete.
    Modeled exception events are raised from the iteration as their generated
    :class:`~aiosagemaker_runtime.ServiceError` subclasses (``status_code`` ``None``,
    ``request_id`` of the HTTP response); ``:message-type error`` frames as
    ``ServiceError`` with their ``:error-code``; malformed frames and a stream that ends
    inside a frame raise :class:`~aiosagemaker_runtime.EventStreamError`; transport
    failures (``ReadTimeoutError`` after ``read_timeout`` without data) propagate.
    Unknown event types are skipped.

    :meth:`lines` and :meth:`sse` re-frame the bytes of the blob-payload events
    (``PayloadPart``) into lines or server-sent events.
    """

    def __init__(
        self,
        response: HTTPResponse,
        operation: OperationSpec,
        service: ServiceSpec,
        request_id: str | None,
        observer: StreamObserver | None = None,
    ) -> None:
        self._response = response
        self._observer = observer
        self._service = service
        # The decoders and the event conversion are imported with the first stream, not
        # with the package.
        from .eventstream import EventStreamDecoder
        from .stream_events import convert, event_plan

        self._plan = event_plan(operation)
        self._convert = convert
        self.request_id = request_id
        """Request id of the HTTP response that carries the stream."""

        self._decoder = EventStreamDecoder()
        self._chunks: AsyncIterator[bytes] | None = None
        self._pending: deque[Message] = deque()
        self._closed = False
        self._abandoned = False

    @property
    def closed(self) -> bool:
        """Whether the stream has released its connection."""
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<EventStream {state} request_id={self.request_id!r}>"

    # -- iteration ---------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[T]:
        return _Iteration(self, self._next_event)

    async def __anext__(self) -> T:
        """The next event (``await anext(stream)``); the stream stays open between calls."""
        return await self._next_event()

    def lines(self) -> AsyncIterator[bytes]:
        """Lines of the concatenated payload bytes, without their endings.

        Lines end at ``\\n`` (a ``\\r`` before it is dropped too); the last line is
        returned at the end of the stream even without a newline. Correct for any
        split of the bytes into parts.
        """
        from .sse import LineDecoder

        decoder = LineDecoder()
        return _Iteration(self, _Reframer(self, decoder.feed, decoder.flush).next)

    def sse(self) -> AsyncIterator[ServerSentEvent]:
        """Server-sent events parsed from the concatenated payload bytes.

        ``data:`` lines are joined with ``\\n``; ``event:``, ``id:`` and ``retry:`` are
        kept; comments are skipped; an event is complete at its blank line. An event
        the stream ends without a blank line is still returned (browsers would drop
        it). Correct for any split of the bytes, inside UTF-8 sequences and between
        ``\\r`` and ``\\n`` included.
        """
        from .sse import SSEDecoder

        decoder = SSEDecoder()
        return _Iteration(self, _Reframer(self, decoder.feed, decoder.flush).next)

    async def _next_event(self) -> T:
        value = await self._next(raw=False)
        if value is None:
            raise StopAsyncIteration
        return value  # type: ignore[no-any-return]

    async def _next_payload(self) -> bytes | None:
        value = await self._next(raw=True)
        return value  # type: ignore[no-any-return]

    async def _next(self, *, raw: bool) -> Any:
        """The next event (``raw``: the next blob payload); ``None`` at the end."""
        try:
            while True:
                message = await self._next_message()
                if message is None:
                    self._finish("complete", None)
                    await self.aclose()
                    return None
                value = self._convert(message, raw, self._plan, self._service, self.request_id)
                if value is not None:
                    if self._observer is not None:
                        self._observer.part(len(message.payload))
                    return value
        except BaseException as error:
            self._finish("failed", error)
            await self._abort()
            raise

    async def _next_message(self) -> Message | None:
        pending = self._pending
        while not pending:
            if self._closed or self._abandoned:
                return None
            if self._chunks is None:
                self._chunks = self._response.iter_raw()
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                self._decoder.finish()
                return None
            except Exception:
                if self._closed:  # aclose() from another task ended the read: not a failure
                    return None
                raise
            if chunk:
                pending.extend(self._decoder.feed(chunk))
        return pending.popleft()

    # -- closing -----------------------------------------------------------------

    async def aclose(self) -> None:
        """Release the connection (idempotent; safe under cancellation)."""
        if self._closed:
            return
        self._closed = True
        self._finish("closed", None)
        self._pending.clear()
        with anyio.CancelScope(shield=True):
            chunks = self._chunks
            closer = getattr(chunks, "aclose", None)
            if closer is not None:
                # Fails only for a generator still running in another task.
                with contextlib.suppress(Exception):
                    await closer()
            await self._response.aclose()

    def _finish(self, outcome: str, error: BaseException | None) -> None:
        observer = self._observer
        if observer is not None:
            self._observer = None
            observer.end(outcome, error)

    async def _abort(self) -> None:
        # Closing on the way out of an error must not replace that error.
        with contextlib.suppress(Exception):
            await self.aclose()

    def _abandon(self) -> None:
        """An iteration was dropped unfinished: stop reading and close soon."""
        if self._closed or self._abandoned:
            return
        self._abandoned = True
        self._finish("closed", None)
        _close_soon(self)

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self._abandon()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _Reframer:
    """Pulls payload bytes from the stream through a sans-IO re-framing decoder."""

    __slots__ = ("_done", "_feed", "_flush", "_ready", "_stream")

    def __init__(
        self,
        stream: EventStream[Any],
        feed: Callable[[bytes], list[Any]],
        flush: Callable[[], list[Any]],
    ) -> None:
        self._stream = stream
        self._feed = feed
        self._flush = flush
        self._ready: deque[Any] = deque()
        self._done = False

    async def next(self) -> Any:
        ready = self._ready
        while not ready:
            if self._done:
                raise StopAsyncIteration
            payload = await self._stream._next_payload()
            if payload is None:
                self._done = True
                ready.extend(self._flush())
            else:
                ready.extend(self._feed(payload))
        return ready.popleft()


class _Iteration(Generic[R]):
    """One ``async for`` over a stream: dropping it unfinished closes the stream.

    Nothing here depends on the garbage collector for correctness: the end of the
    stream, errors, cancellation and ``aclose()`` all close explicitly. Only a loop
    left with ``break`` and no ``async with``/``aclose()`` relies on this object being
    dropped, which CPython does at once.
    """

    __slots__ = ("_finished", "_next", "_stream")

    def __init__(self, stream: EventStream[Any], next_item: Callable[[], Any]) -> None:
        self._stream = stream
        self._next = next_item
        self._finished = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> R:
        try:
            return await self._next()  # type: ignore[no-any-return]
        except BaseException:
            self._finished = True
            raise

    async def aclose(self) -> None:
        """Close the underlying stream."""
        self._finished = True
        await self._stream.aclose()

    def __del__(self) -> None:
        if not self._finished:
            self._stream._abandon()


_closing: set[Any] = set()


def _close_soon(stream: EventStream[Any]) -> None:
    """Schedule ``stream.aclose()`` on the running event loop (asyncio or trio), if any."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        if loop.is_closed():
            return
        task = loop.create_task(stream._abort())
        _closing.add(task)
        task.add_done_callback(_closing.discard)
        return
    trio = sys.modules.get("trio")
    if trio is None:
        return
    try:
        token = trio.lowlevel.current_trio_token()
    except RuntimeError:
        return

    def spawn() -> None:
        with contextlib.suppress(RuntimeError):  # the run is ending
            trio.lowlevel.spawn_system_task(stream._abort, name="close abandoned event stream")

    with contextlib.suppress(Exception):  # trio.RunFinishedError
        token.run_sync_soon(spawn)
