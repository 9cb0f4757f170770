"""One attempt of a duplex call, and the input side of the stream it returns.

The pipeline (:meth:`~aiosagemaker_runtime._pipeline.Pipeline.invoke_duplex`) builds,
validates and signs the request (``X-Amz-Content-SHA256:
STREAMING-AWS4-HMAC-SHA256-EVENTS``) and retries; per attempt, :func:`open_duplex`
sends its HEADERS on the HTTP/2 engine, waits for the response headers and either
raises the rest-json error they carry or returns the output model with an
:class:`EventInput` plugged in. Nothing of the input has been sent before the call
returns, so every failure up to then is safe to retry.

:class:`EventInput` turns each input event into a message (:mod:`._protocol.event_input`),
signs it, chained from the request's signature (:mod:`._auth.event_signing`), wraps
it in the signed frame and writes it; the frames go out whole and in the order they
were signed, also when several tasks send at once. The end of the input is the final
signed empty frame, then END_STREAM.
"""

from __future__ import annotations

import contextlib
from collections import deque
from typing import TYPE_CHECKING, Any

import anyio

from ._exceptions import TransportError
from ._protocol import rest_json
from ._protocol.eventstream import encode_frame
from ._protocol.streams import EventStream

if TYPE_CHECKING:
    from ._auth.event_signing import EventSigner
    from ._http import HTTPRequest
    from ._observe import CallObserver
    from ._protocol.event_input import InputEvents
    from ._spec import OperationSpec, ServiceSpec
    from ._transports.base import DuplexExchange, DuplexTransport

__all__ = ["EventInput", "open_duplex"]


class EventInput:
    """:class:`~aiosagemaker_runtime._protocol.duplex.EventSender` on one exchange."""

    __slots__ = ("_busy", "_closed", "_ended", "_events", "_exchange", "_signer", "_waiting")

    def __init__(self, exchange: DuplexExchange, signer: EventSigner, events: InputEvents) -> None:
        self._exchange = exchange
        self._signer = signer
        self._events = events
        self._ended = False
        self._closed = False
        # A lock without the checkpoint of anyio.Lock's uncontended acquire (a loop turn
        # per event); waiters are served in order.
        self._busy = False
        self._waiting: deque[anyio.Event] = deque()

    @property
    def input_ended(self) -> bool:
        return self._ended

    def _check(self) -> None:
        if self._closed:
            raise RuntimeError("the stream has been closed")
        if self._ended:
            raise RuntimeError("the input of the stream has ended")

    async def _acquire(self) -> None:
        if not self._busy:
            self._busy = True
            return
        turn = anyio.Event()
        self._waiting.append(turn)
        try:
            await turn.wait()
        except BaseException:
            if turn in self._waiting:
                self._waiting.remove(turn)
            elif turn.is_set():  # handed the lock while being cancelled: pass it on
                self._release()
            raise

    def _release(self) -> None:
        if self._waiting:
            self._waiting.popleft().set()  # the lock passes to the next in line
        else:
            self._busy = False

    async def send(self, event: Any) -> None:
        """Encode, sign and write one event (whole; after the ones signed before it)."""
        self._check()
        message = self._events.encode(event)  # refuses what is not an event, sends nothing
        await self._acquire()
        try:
            self._check()
            await self._exchange.send(encode_frame(self._signer.sign_block(message), message))
        finally:
            self._release()

    async def end_input(self) -> None:
        """The final signed empty frame, then the end of the request (idempotent)."""
        if self._ended or self._closed:
            return
        await self._acquire()
        try:
            if self._ended or self._closed:
                return
            self._ended = True
            await self._exchange.send(encode_frame(self._signer.sign_end_block()))
            await self._exchange.end_input()
        finally:
            self._release()

    async def aclose(self) -> None:
        """Leave the exchange: later sends fail; reset unless both sides ended."""
        self._closed = True
        self._ended = True
        await self._exchange.aclose()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("ended" if self._ended else "open")
        return f"<EventInput {state} sent={self._signer.count}>"


async def open_duplex(
    transport: DuplexTransport,
    request: HTTPRequest,
    signer: EventSigner,
    operation: OperationSpec,
    service: ServiceSpec,
    events: InputEvents,
    call: CallObserver | None = None,
) -> tuple[int, Any]:
    """Open the exchange and wait for the response headers: ``(status, output model)``
    of a 2xx answer; an error answer is read and raised (the rest-json error).
    ``call`` (tracing) hears of the answer and observes the output stream."""
    exchange = await transport.open(request)
    handed_over = False
    try:
        response = await exchange.response()
        status = response.status_code
        headers = response.headers
        if 200 <= status < 300:
            request_id = rest_json.request_id(headers)
            if call is not None:
                call.response(status, request_id)
            stream: EventStream[Any] = EventStream(
                response,
                operation,
                service,
                request_id,
                None if call is None else call.stream(),
            )
            output = rest_json.parse_stream_output(operation, status, headers, stream)
            output._sender_ = EventInput(exchange, signer, events)
            handed_over = True
            return status, output
        content = await response.read()
        raise rest_json.parse_error(service, operation, status, headers, content)
    finally:
        if not handed_over:
            with anyio.CancelScope(shield=True), contextlib.suppress(TransportError):
                await exchange.aclose()
