"""One endpoint of a fake SageMaker: its model, its scripted answers, its calls."""

from __future__ import annotations

import inspect
import logging
import threading
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Union

import anyio
from typing_extensions import Self

from .._exceptions import ServiceError
from ..local._config import LocalConfig
from ..local._errors import LocalServiceError
from ..local._targets import Invocation, ModelReply, model_error, split_for_stream
from ._answers import (
    Body,
    Disconnect,
    Fault,
    Reply,
    Stream,
    StreamItem,
    stream_parts,
    wire_error,
)
from ._calls import Call

__all__ = ["FakeEndpoint", "ModelFunction"]

logger = logging.getLogger("aiosagemaker_runtime.testing")

#: A model: called with the :class:`Call`, sync or async, it returns a :class:`Reply`, a
#: :class:`Stream` or a body (bytes, str, dict, list), or raises a service error or a
#: fault; an async generator function yields stream parts.
ModelFunction = Callable[[Call], Any]
Answer = Union[Reply, Stream, ServiceError, Fault]


@dataclass(frozen=True, slots=True)
class _Scripted:
    answer: Answer
    delay: float


class FakeEndpoint:
    """An endpoint of :class:`~aiosagemaker_runtime.testing.FakeSageMaker`.

    Answers come from its script first: :meth:`respond`, :meth:`stream`, :meth:`fail`
    and :meth:`disconnect` queue one answer each (``times`` of it), used by one call
    each, in order. When the script runs out, the endpoint's ``model`` answers; an
    endpoint without a model repeats its last scripted answer, and one with neither
    echoes the request body. Each method returns the endpoint, so calls chain::

        fake.endpoint("llm").fail(ThrottlingException()).respond({"text": "hi"})

    ``calls`` lists the calls that reached it (see :class:`Call`).
    """

    def __init__(
        self,
        name: str,
        config: LocalConfig,
        lock: threading.Lock,
        journal: list[Call],
        model: ModelFunction | None = None,
    ) -> None:
        self.name = name
        self.model: ModelFunction | None = model
        """The model function (see :data:`ModelFunction`); may be replaced at any time."""
        self._config = config
        self._lock = lock
        self._journal = journal
        self._script: deque[_Scripted] = deque()
        self._last: _Scripted | None = None
        self._calls: list[Call] = []

    def __repr__(self) -> str:
        return f"<FakeEndpoint {self.name!r} calls={len(self._calls)} pending={self.pending}>"

    # -- scripting --------------------------------------------------------------------

    def respond(
        self,
        body: Body = b"",
        *,
        content_type: str | None = None,
        custom_attributes: str | None = None,
        new_session_id: str | None = None,
        closed_session_id: str | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> Self:
        """Answer ``body`` (see :class:`Reply`), after ``delay`` seconds. Streamed
        calls get it as a single part."""
        reply = Reply(body, content_type, custom_attributes, new_session_id, closed_session_id)
        reply.encoded()  # a body of the wrong type fails here, in the test
        return self._add(reply, delay, times)

    def stream(
        self,
        parts: Iterable[StreamItem] | AsyncIterable[StreamItem],
        *,
        content_type: str = "application/octet-stream",
        custom_attributes: str | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> Self:
        """Answer a stream of ``parts`` (see :class:`Stream`), the first after ``delay``
        seconds: each bytes part becomes one ``PayloadPart`` exactly, so the test
        chooses the boundaries (:func:`byte_chunks`)."""
        if times > 1 and not isinstance(parts, (list, tuple)):
            raise TypeError("a stream used more than once needs its parts as a list")
        answer = Stream(parts, content_type, custom_attributes)
        return self._add(answer, delay, times)

    def fail(self, error: ServiceError | Fault, *, delay: float = 0.0, times: int = 1) -> Self:
        """Fail with ``error``: one of the client's service errors
        (``aiosagemaker_runtime.errors.ModelError(original_status_code=400, ...)``,
        ``ValidationError("...")``, ``ServiceUnavailable()``...), sent as SageMaker
        sends it, or a :class:`Fault` (:class:`ThrottlingException`,
        :class:`Disconnect`, :class:`HTTPAnswer`)."""
        if not isinstance(error, (ServiceError, Fault)):
            raise TypeError(f"not a service error or fault: {type(error).__name__}")
        return self._add(error, delay, times)

    def disconnect(self, *, times: int = 1) -> Self:
        """Close the connection without answering (``fail(Disconnect())``)."""
        return self._add(Disconnect(), 0.0, times)

    def _add(self, answer: Answer, delay: float, times: int) -> Self:
        if times < 1:
            raise ValueError("times must be at least 1")
        if delay < 0:
            raise ValueError("delay must not be negative")
        with self._lock:
            self._script.extend([_Scripted(answer, delay)] * times)
        return self

    @property
    def pending(self) -> int:
        """Scripted answers not used yet."""
        with self._lock:
            return len(self._script)

    @property
    def calls(self) -> list[Call]:
        """The calls that reached this endpoint, oldest first (a copy)."""
        with self._lock:
            return list(self._calls)

    # -- answering (the server's side) --------------------------------------------------

    async def invoke(self, invocation: Invocation) -> ModelReply:
        """``InvokeEndpoint`` and ``InvokeEndpointAsync``."""
        call = self._record(invocation)
        answer = await self._answer(call)
        if isinstance(answer, Stream):
            chunks = [chunk async for chunk in stream_parts(answer.parts, *self._where)]
            return ModelReply(answer.content_type, answer.returned_headers(), body=b"".join(chunks))
        body, content_type = answer.encoded()
        return ModelReply(content_type, answer.returned_headers(), body=body)

    async def invoke_stream(self, invocation: Invocation) -> ModelReply:
        """``InvokeEndpointWithResponseStream``."""
        call = self._record(invocation)
        answer = await self._answer(call)
        if isinstance(answer, Reply):
            body, content_type = answer.encoded()
            parts = [body] if body else []
            answer = Stream(parts, content_type, answer.custom_attributes,
                            answer.new_session_id, answer.closed_session_id)  # fmt: skip
        stream = stream_parts(answer.parts, *self._where)
        return ModelReply(answer.content_type, answer.returned_headers(), stream=stream)

    @property
    def _where(self) -> tuple[LocalConfig, str]:
        return self._config, self.name

    def _record(self, invocation: Invocation) -> Call:
        call = Call.of(self.name, invocation)
        with self._lock:
            self._calls.append(call)
            self._journal.append(call)
        return call

    def _next(self) -> _Scripted | ModelFunction | None:
        with self._lock:
            if self._script:
                self._last = self._script.popleft()
                return self._last
            return self.model or self._last

    async def _answer(self, call: Call) -> Reply | Stream:
        """The reply or stream for ``call``; a failure is raised as the server's."""
        scripted = self._next()
        if scripted is None:
            return _echo(call)
        if isinstance(scripted, _Scripted):
            if scripted.delay:
                await anyio.sleep(scripted.delay)
            answer = scripted.answer
        else:
            answer = await self._run_model(scripted, call)
        if isinstance(answer, (ServiceError, Fault)):
            raise wire_error(answer, *self._where)
        return answer

    async def _run_model(self, model: ModelFunction, call: Call) -> Answer:
        if inspect.isasyncgenfunction(model):
            return Stream(_guarded(model(call), self.name))
        try:
            result = model(call)
            if inspect.isawaitable(result):
                result = await result
            return _as_answer(result)
        except (ServiceError, Fault) as error:
            return error
        except Exception as error:
            # A broken model is what a container answering 500 is to SageMaker.
            logger.exception("model of fake endpoint %s failed", self.name)
            raise model_error(self._config, self.name, 500, _describe(error)) from None


def _as_answer(result: object) -> Answer:
    if isinstance(result, (Reply, Stream, ServiceError, Fault)):
        return result
    if isinstance(result, (bytes, bytearray, memoryview, str, dict, list)):
        return Reply(result)
    if isinstance(result, AsyncIterable):
        return Stream(result)
    raise TypeError(
        f"a model returns a Reply, a Stream, bytes, str, dict or list, not {type(result).__name__}"
    )


async def _guarded(parts: AsyncIterable[StreamItem], endpoint: str) -> Any:
    """A model's stream, a failure in it made what a broken container stream is."""
    iterator = aiter(parts)
    try:
        async for part in iterator:
            yield part
    except (ServiceError, Fault) as error:
        yield error
    except Exception as error:
        logger.exception("model stream of fake endpoint %s failed", endpoint)
        raise LocalServiceError(
            "ModelStreamError",
            f"The model container of endpoint {endpoint} broke off its response: "
            f"{_describe(error)}",
            ErrorCode="ModelStreamFailure",
        ) from None
    finally:
        close: Callable[[], Awaitable[object]] | None = getattr(iterator, "aclose", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await close()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _echo(call: Call) -> Reply | Stream:
    content_type = call.content_type or "application/octet-stream"
    if call.operation == "InvokeEndpointWithResponseStream":
        return Stream(split_for_stream(call.body), content_type)
    return Reply(call.body, content_type)
