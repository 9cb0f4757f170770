"""Event streams handed to callers (``out.body`` of a response-stream operation).

:class:`EventStream` reads the HTTP response's body as it arrives, decodes its frames
(:mod:`._eventstream`) and yields the generated event models as their frames complete;
nothing is buffered beyond the frame in progress. Modeled exception events are raised
as their generated :class:`~aiosagemaker_runtime.ServiceError` subclasses, error frames
as ``ServiceError`` with their code, malformed or truncated streams as
:class:`~aiosagemaker_runtime.EventStreamError`.

The stream owns the HTTP connection and releases it as soon as it is no longer needed:
at the end of the stream, on any error or cancellation, on :meth:`EventStream.aclose`
(or leaving ``async with``), and when an ``async for`` loop over the stream (or over
:meth:`EventStream.lines` / :meth:`EventStream.sse`) is left early: one stream is read
by one loop.

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
import base64
import contextlib
import importlib
import json
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

import anyio
from typing_extensions import Self

from .._exceptions import ServiceError
from .._http import HTTPResponse
from .._spec import MemberSpec, OperationSpec, ServiceSpec, ShapeSpec

if TYPE_CHECKING:
    from .eventstream import Message
    from .sse import ServerSentEvent

__all__ = ["EventStream"]

T = TypeVar("T")
R = TypeVar("R")

# Error fields ServiceError's constructor takes itself; a member with one of these
# attribute names is set after construction instead.
_RESERVED = frozenset({"message", "code", "status_code", "request_id", "headers"})


class _Event(NamedTuple):
    """How to turn one member of the event-stream union into a value or an exception."""

    name: str
    shape: ShapeSpec
    payload: MemberSpec | None
    payload_type: str
    headers: tuple[MemberSpec, ...]
    body: tuple[MemberSpec, ...]


class _Plan(NamedTuple):
    shapes: Mapping[str, ShapeSpec]
    events: Mapping[str, _Event]
    errors: Mapping[str, _Event]


_PLANS: dict[int, tuple[OperationSpec, _Plan]] = {}


def _plan(operation: OperationSpec) -> _Plan:
    cached = _PLANS.get(id(operation))
    if cached is not None and cached[0] is operation:
        return cached[1]
    shapes = operation.shapes
    output = shapes.get(operation.output)
    member = None
    if output is not None and operation.event_stream_output:
        member = next((m for m in output.members if m.attr == operation.event_stream_output), None)
    if member is None or member.target not in shapes:
        raise TypeError(f"operation {operation.name} has no event-stream output member")
    union = shapes[member.target]
    events: dict[str, _Event] = {}
    errors: dict[str, _Event] = {}
    for event_member in union.members:
        shape = shapes[event_member.target]
        payload = next((m for m in shape.members if m.event_payload), None)
        entry = _Event(
            name=event_member.name,
            shape=shape,
            payload=payload,
            payload_type=shapes[payload.target].type if payload is not None else "",
            headers=tuple(m for m in shape.members if m.event_header),
            body=tuple(m for m in shape.members if not m.event_header and not m.event_payload),
        )
        (errors if shape.exception else events)[event_member.name] = entry
    plan = _Plan(shapes=shapes, events=events, errors=errors)
    _PLANS[id(operation)] = (operation, plan)
    return plan


_deserialize_json: Callable[[Mapping[str, ShapeSpec], str, Any], Any] | None = None


def _from_json(shapes: Mapping[str, ShapeSpec], name: str, value: Any) -> Any:
    """A JSON value of shape ``name`` as the generated models hold it."""
    global _deserialize_json
    if _deserialize_json is None:
        try:
            protocol = importlib.import_module("aiosagemaker_runtime._protocol.rest_json")
            _deserialize_json = protocol.deserialize_json
        except (ImportError, AttributeError):
            _deserialize_json = _local_from_json
    return _deserialize_json(shapes, name, value)


def _local_from_json(shapes: Mapping[str, ShapeSpec], name: str, value: Any) -> Any:
    shape = shapes.get(name)
    if shape is None or value is None:
        return value
    kind = shape.type
    if kind in ("structure", "union") and isinstance(value, dict) and shape.cls is not None:
        fields = {}
        for member in shape.members:
            key = member.wire_name or member.name
            if key in value:
                fields[member.attr] = _local_from_json(shapes, member.target, value[key])
        return shape.cls.model_construct(**fields)
    if kind == "list" and isinstance(value, list):
        return [_local_from_json(shapes, shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _local_from_json(shapes, shape.value, v) for k, v in value.items()}
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if kind == "timestamp" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return value


def _json_body(payload: bytes) -> Any:
    if not payload:
        return {}
    try:
        return json.loads(payload)
    except ValueError:
        return None


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
    ) -> None:
        self._response = response
        self._service = service
        self._plan = _plan(operation)
        self.request_id = request_id
        """Request id of the HTTP response that carries the stream."""
        # The decoders are imported with the first stream, not with the package.
        from .eventstream import EventStreamDecoder

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
                    await self.aclose()
                    return None
                value = self._convert(message, raw=raw)
                if value is not None:
                    return value
        except BaseException:
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

    # -- events ------------------------------------------------------------------

    def _convert(self, message: Message, *, raw: bool) -> Any:
        headers = message.headers
        kind = headers.get(":message-type", "event")
        if kind == "event":
            event = self._plan.events.get(str(headers.get(":event-type")))
            if event is None:
                return None
            if raw:
                return message.payload if event.payload_type == "blob" else None
            return self._build_event(event, message)
        if kind == "exception":
            raise self._build_error(str(headers.get(":exception-type", "")), message)
        if kind == "error":
            code = str(headers.get(":error-code", ""))
            cls = self._service.errors.get(code, ServiceError)
            raise cls(
                str(headers.get(":error-message", "")),
                code=code,
                status_code=None,
                request_id=self.request_id,
            )
        return None

    def _build_event(self, event: _Event, message: Message) -> Any:
        shapes = self._plan.shapes
        fields: dict[str, Any] = {}
        if event.payload is not None:
            payload = message.payload
            if event.payload_type == "blob":
                fields[event.payload.attr] = payload
            elif event.payload_type == "string":
                fields[event.payload.attr] = payload.decode("utf-8", "replace")
            elif payload:
                fields[event.payload.attr] = _from_json(
                    shapes, event.payload.target, _json_body(payload)
                )
        elif event.body:
            body = _json_body(message.payload)
            if isinstance(body, dict):
                for member in event.body:
                    key = member.wire_name or member.name
                    if key in body:
                        fields[member.attr] = _from_json(shapes, member.target, body[key])
        for member in event.headers:
            value = message.headers.get(member.wire_name or member.name)
            if value is not None:
                fields[member.attr] = value
        cls = event.shape.cls
        if cls is None:
            return fields
        return cls.model_construct(**fields)

    def _build_error(self, code: str, message: Message) -> ServiceError:
        event = self._plan.errors.get(code)
        shape_cls = event.shape.cls if event is not None else None
        cls: type[ServiceError]
        if isinstance(shape_cls, type) and issubclass(shape_cls, ServiceError):
            cls = shape_cls
        else:
            errors = self._service.errors
            cls = errors.get(code) or (event and errors.get(event.shape.error_code)) or ServiceError
        body = _json_body(message.payload)
        text = ""
        fields: dict[str, Any] = {}
        if isinstance(body, dict):
            text = str(body.get("message") or body.get("Message") or "")
            members = event.body if event is not None else ()
            for member in members:
                key = member.wire_name or member.name
                if key in body and member.attr not in _RESERVED:
                    fields[member.attr] = _from_json(self._plan.shapes, member.target, body[key])
        elif message.payload:
            text = message.payload.decode("utf-8", "replace")
        if event is not None:
            for member in event.headers:
                value = message.headers.get(member.wire_name or member.name)
                if value is not None and member.attr not in _RESERVED:
                    fields[member.attr] = value
        error: ServiceError = cls(
            text, code=code, status_code=None, request_id=self.request_id, **fields
        )
        return error

    # -- closing -----------------------------------------------------------------

    async def aclose(self) -> None:
        """Release the connection (idempotent; safe under cancellation)."""
        if self._closed:
            return
        self._closed = True
        self._pending.clear()
        with anyio.CancelScope(shield=True):
            chunks = self._chunks
            closer = getattr(chunks, "aclose", None)
            if closer is not None:
                # Fails only for a generator still running in another task.
                with contextlib.suppress(Exception):
                    await closer()
            await self._response.aclose()

    async def _abort(self) -> None:
        # Closing on the way out of an error must not replace that error.
        with contextlib.suppress(Exception):
            await self.aclose()

    def _abandon(self) -> None:
        """An iteration was dropped unfinished: stop reading and close soon."""
        if self._closed or self._abandoned:
            return
        self._abandoned = True
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
