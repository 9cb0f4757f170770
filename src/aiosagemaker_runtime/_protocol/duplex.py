"""Duplex event streams: the output of an operation whose input is an event stream too.

Such an operation (``InvokeEndpointWithBidirectionalStream``-like: the model marks a
member of its input ``eventstream``) is one HTTP/2 stream on which the caller writes
input events while the service writes output events. The call returns, once the
response headers are in, its output model: a :class:`DuplexStreamOutput` subclass
whose header members are set (``invoked_production_variant``), whose event-stream
member is the output :class:`~aiosagemaker_runtime.EventStream`, and which sends::

    async with await client.invoke_endpoint_with_bidirectional_stream(
        endpoint_name="asr"
    ) as stream:
        await stream.send(b"...")           # bytes, str or an input event model
        async for part in stream:          # output events, while more is sent
            ...
        await stream.end_input()

or, with the input from an iterable read by a task of the stream's::

    async with await client.invoke_endpoint_with_bidirectional_stream(...) as stream:
        async for part in stream.exchange(audio_chunks()):
            ...

The runtime plugs an :class:`EventSender` into the model (it encodes, signs and writes
each event, in order); this module only holds the caller's side. Leaving the stream
before both sides have ended (``aclose``, leaving ``async with``, an exception, a
cancellation, a ``break`` out of the output) resets that HTTP/2 stream, nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any, Generic, Protocol, TypeVar

import anyio
from pydantic import PrivateAttr
from typing_extensions import Self

from .stream_output import EventStreamOutput

__all__ = ["DuplexStreamOutput", "EventSender"]

InT = TypeVar("InT")
OutT = TypeVar("OutT")


class EventSender(Protocol):
    """The input side of a duplex exchange, as the runtime provides it."""

    @property
    def input_ended(self) -> bool:
        """Whether :meth:`end_input` has run (or the exchange was left)."""
        ...

    async def send(self, event: Any) -> None:
        """Encode, sign and write one event (an event model, bytes or str)."""
        ...

    async def end_input(self) -> None:
        """Write the final signed frame and end the request (idempotent)."""
        ...

    async def aclose(self) -> None:
        """Leave the exchange: later sends fail; the stream is reset unless it is over."""
        ...


class DuplexStreamOutput(EventStreamOutput, Generic[InT, OutT]):
    """Base of generated outputs of duplex operations: the stream the call returns.

    ``InT`` is the union of the input event models, ``OutT`` that of the output events.
    Use it with ``async with`` (needed by :meth:`exchange`) or close it with
    :meth:`aclose`. :meth:`send` and the iteration may run in different tasks at once;
    sends from several tasks are written one after the other, whole.
    """

    _sender_: Any = PrivateAttr(default=None)
    _tasks_: Any = PrivateAttr(default=None)

    def _input(self) -> EventSender:
        # Read from pydantic's store of private values: ``self._sender_`` would go
        # through the model's __getattr__ on every send.
        private = self.__pydantic_private__
        sender: EventSender | None = private.get("_sender_") if private else None
        if sender is None:
            raise RuntimeError("this output was not returned by a duplex call")
        return sender

    async def send(self, event: InT | bytes | bytearray | memoryview | str) -> None:
        """Send one input event: an input event model, or bytes (sent as they are) or
        ``str`` (as UTF-8) for the service's single blob event; returns once written
        (waiting while the service's flow control window is closed)."""
        await self._input().send(event)

    async def end_input(self) -> None:
        """End the input: the final signed (empty) frame, then the end of the request.
        The output goes on until the service ends it. Idempotent."""
        await self._input().end_input()

    @property
    def input_ended(self) -> bool:
        """Whether the input has been ended (or the stream left)."""
        return self._input().input_ended

    def __aiter__(self) -> AsyncIterator[OutT]:
        """The output events, in order, as they arrive (see
        :class:`~aiosagemaker_runtime.EventStream`: one loop reads a stream, and leaving
        it early closes the stream). Closing the stream from another task ends it: the
        engine wakes a read waiting for the stream's output when the stream is left."""
        iterator: AsyncIterator[OutT] = getattr(self, self._event_stream_attr_).__aiter__()
        return iterator

    async def __anext__(self) -> OutT:
        """The next output event (``await anext(stream)``); the stream stays open between
        calls, unlike an ``async for`` loop left early."""
        event: OutT = await getattr(self, self._event_stream_attr_).__anext__()
        return event

    def exchange(
        self, events: AsyncIterable[InT | bytes | str] | Iterable[InT | bytes | str]
    ) -> AsyncIterator[OutT]:
        """Send ``events`` (read one at a time, in a task of the stream's) and then end
        the input, while yielding the output events as they arrive.

        Needs the stream entered with ``async with``. A failure of the input side (the
        iterable raising, a write failing) resets the stream and is raised from the
        iteration.
        """
        tasks = self._tasks_
        if tasks is None:
            raise RuntimeError("exchange() needs the stream entered with `async with`")
        pump = _Pump(self, events)
        tasks.start_soon(pump.run)
        return _Exchange(self.__aiter__(), pump)

    async def aclose(self) -> None:
        """Leave the stream (idempotent): unless both sides have ended, it is reset;
        later sends fail."""
        sender: EventSender | None = self._sender_
        try:
            await super().aclose()
        finally:
            if sender is not None:
                await sender.aclose()

    async def __aenter__(self) -> Self:
        if self._tasks_ is not None:
            raise RuntimeError("the stream is already entered")
        tasks = anyio.create_task_group()
        await tasks.__aenter__()
        self._tasks_ = tasks
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        tasks, self._tasks_ = self._tasks_, None
        try:
            if tasks is not None:
                # The pump never raises: its failures are the iteration's.
                tasks.cancel_scope.cancel()
                await tasks.__aexit__(None, None, None)
        finally:
            await self.aclose()


class _Pump:
    """Sends an iterable's events, then ends the input; records its failure."""

    __slots__ = ("_events", "_stream", "error")

    def __init__(self, stream: DuplexStreamOutput[Any, Any], events: Any) -> None:
        self._stream = stream
        self._events = events
        self.error: Exception | None = None

    async def run(self) -> None:
        stream = self._stream
        events = self._events
        try:
            send = stream._input().send
            if hasattr(events, "__aiter__"):
                async for event in events:
                    await send(event)
            else:
                for event in events:
                    await send(event)
            await stream.end_input()
        except Exception as error:
            self.error = error
            await stream.aclose()  # ends the iteration, which raises the error


class _Exchange(Generic[OutT]):
    """The output of :meth:`DuplexStreamOutput.exchange`, failing with its input."""

    __slots__ = ("_outputs", "_pump")

    def __init__(self, outputs: AsyncIterator[OutT], pump: _Pump) -> None:
        self._outputs = outputs
        self._pump = pump

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> OutT:
        pump = self._pump
        if pump.error is not None:
            raise pump.error
        try:
            return await self._outputs.__anext__()
        except StopAsyncIteration:
            # The close that followed the input's failure. An error of the output itself
            # (an error event) stays the error: the input may have failed only because
            # that error closed the stream under it.
            if pump.error is not None:
                raise pump.error from None
            raise
