"""What a fake endpoint answers (replies, streams, faults) and how each goes on the wire.

A test scripts answers with these objects, or with the client's own service errors
(:mod:`aiosagemaker_runtime.errors`: ``ModelError(original_status_code=400, ...)``),
which are sent as SageMaker sends them, so that each client raises them back.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import anyio

from .._exceptions import ServiceError
from .._protocol.eventstream import encode_message
from ..local._config import LocalConfig
from ..local._errors import LocalServiceError
from ..local._messages import Response
from ..local._targets import ConnectionDrop, ScriptedAnswer, WireBytes, model_error

__all__ = [
    "Body",
    "CorruptFrame",
    "Disconnect",
    "Fault",
    "HTTPAnswer",
    "Pause",
    "Reply",
    "Stream",
    "StreamItem",
    "ThrottlingException",
    "TruncatedFrame",
    "byte_chunks",
]

#: A body: bytes as they are, ``str`` as UTF-8, a ``dict`` or ``list`` as JSON.
Body = Union[bytes, bytearray, memoryview, str, dict[str, Any], list[Any]]


# -- faults -------------------------------------------------------------------------------


class Fault(Exception):
    """A failure a fake endpoint can script or a model function can raise, besides the
    client's service errors: :class:`ThrottlingException`, :class:`Disconnect`,
    :class:`HTTPAnswer`."""


class ThrottlingException(Fault):
    """What SageMaker answers a call above an endpoint's concurrency: status 400,
    ``x-amzn-ErrorType: ThrottlingException``, and ``{"message": null}`` unless a
    ``message`` is given. Clients raise a service error with code
    ``ThrottlingException`` (retried as throttling)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "ThrottlingException")
        self.message = message


class Disconnect(Fault):
    """The connection closes without a byte of the answer (clients see a reset:
    ``EndpointConnectionError`` here, ``ConnectionClosedError`` in botocore, retried).
    Among a stream's parts: the connection closes after the parts before it, without
    the end of the response."""


class HTTPAnswer(Fault):
    """An HTTP answer sent as given: ``status``, ``body`` and ``headers`` (plus
    ``x-amzn-RequestId``), for what is not a SageMaker error, such as a load
    balancer's 502 page."""

    def __init__(
        self,
        status: int,
        body: bytes | str = b"",
        headers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        self.headers = list(headers.items() if isinstance(headers, Mapping) else headers)


# -- replies ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete answer. ``body``: bytes as they are, ``str`` as UTF-8, ``dict``/``list``
    as JSON; ``content_type`` defaults to ``application/octet-stream``,
    ``text/plain; charset=utf-8`` and ``application/json`` for them. The other fields
    are the response headers a container may set, handed back to the caller."""

    body: Body = b""
    content_type: str | None = None
    custom_attributes: str | None = None
    new_session_id: str | None = None
    closed_session_id: str | None = None

    def encoded(self) -> tuple[bytes, str]:
        """The body's bytes and the content type."""
        body = self.body
        if isinstance(body, (bytes, bytearray, memoryview)):
            data, default = bytes(body), "application/octet-stream"
        elif isinstance(body, str):
            data, default = body.encode("utf-8"), "text/plain; charset=utf-8"
        elif isinstance(body, (dict, list)):
            data, default = json.dumps(body).encode("utf-8"), "application/json"
        else:
            raise TypeError(f"a reply's body is bytes, str, dict or list, not {type(body)}")
        return data, self.content_type or default

    def returned_headers(self) -> dict[str, str]:
        """The response headers a container sets, as the server hands them back."""
        headers = {
            "x-amzn-sagemaker-custom-attributes": self.custom_attributes,
            "x-amzn-sagemaker-new-session-id": self.new_session_id,
            "x-amzn-sagemaker-closed-session-id": self.closed_session_id,
        }
        return {name: value for name, value in headers.items() if value is not None}

    def __repr__(self) -> str:
        return f"Reply(<body of {type(self.body).__name__}>, content_type={self.content_type!r})"


@dataclass(frozen=True, slots=True)
class Pause:
    """Among a stream's parts: wait ``seconds`` before the next."""

    seconds: float


@dataclass(frozen=True, slots=True)
class CorruptFrame:
    """Among a stream's parts: a ``PayloadPart`` frame whose message checksum is wrong
    (clients raise ``EventStreamError``)."""

    payload: bytes = b"corrupt"

    def wire(self) -> WireBytes:
        frame = bytearray(_payload_frame(self.payload))
        frame[-1] ^= 0xFF
        return WireBytes(frame)


@dataclass(frozen=True, slots=True)
class TruncatedFrame:
    """Among a stream's parts: the first ``keep`` bytes of a ``PayloadPart`` frame (half
    of it by default). Last in a stream, the stream ends inside a frame (clients raise
    ``EventStreamError``)."""

    payload: bytes = b"truncated"
    keep: int | None = None

    def wire(self) -> WireBytes:
        frame = _payload_frame(self.payload)
        keep = len(frame) // 2 if self.keep is None else self.keep
        if not 0 < keep < len(frame):
            raise ValueError(f"keep must be between 1 and {len(frame) - 1}")
        return WireBytes(frame[:keep])


#: A part of a streamed answer: bytes (``str`` as UTF-8) become one ``PayloadPart``
#: event each, exactly as given; a service error becomes an exception event (the
#: stream's end); :class:`Pause`, :class:`CorruptFrame`, :class:`TruncatedFrame` and
#: :class:`Disconnect` are what they say.
StreamItem = Union[
    bytes, bytearray, memoryview, str, Pause, CorruptFrame, TruncatedFrame, ServiceError, Disconnect
]


@dataclass(frozen=True, slots=True)
class Stream:
    """A streamed answer (``InvokeEndpointWithResponseStream``): ``parts`` in order,
    each a :data:`StreamItem`, from a list or an async iterable. Answering
    ``InvokeEndpoint``, the parts' bytes are joined into one body."""

    parts: Iterable[StreamItem] | AsyncIterable[StreamItem] = ()
    content_type: str = "application/octet-stream"
    custom_attributes: str | None = None
    new_session_id: str | None = None
    closed_session_id: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.parts, (list, tuple)):
            for part in self.parts:
                _check_item(part)

    def returned_headers(self) -> dict[str, str]:
        return Reply(
            b"",
            custom_attributes=self.custom_attributes,
            new_session_id=self.new_session_id,
            closed_session_id=self.closed_session_id,
        ).returned_headers()

    def __repr__(self) -> str:
        return f"Stream(<parts>, content_type={self.content_type!r})"


def byte_chunks(data: bytes | str, size: int = 1) -> list[bytes]:
    """``data`` (``str`` as UTF-8) cut every ``size`` bytes, whatever is cut: inside
    UTF-8 characters, between ``\\r`` and ``\\n``: stream parts as a network may cut them."""
    if size < 1:
        raise ValueError("size must be at least 1")
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def _check_item(item: object) -> None:
    allowed = (
        bytes, bytearray, memoryview, str, Pause, CorruptFrame, TruncatedFrame, ServiceError,
        Disconnect,
    )  # fmt: skip
    if not isinstance(item, allowed):
        raise TypeError(
            f"a stream part is bytes, str, Pause, CorruptFrame, TruncatedFrame, a service "
            f"error or Disconnect, not {type(item).__name__}"
        )


def _payload_frame(payload: bytes) -> bytes:
    headers = (
        (":event-type", "PayloadPart"),
        (":content-type", "application/octet-stream"),
        (":message-type", "event"),
    )
    return encode_message(headers, payload)


# -- on the wire --------------------------------------------------------------------------


def _wire_name(member: str) -> str:
    return "".join(word.capitalize() for word in member.split("_"))


def wire_error(error: ServiceError | Fault, config: LocalConfig, endpoint: str) -> Exception:
    """The exception that makes the server answer ``error`` (to raise from a model)."""
    if isinstance(error, Disconnect):
        return ConnectionDrop()
    if isinstance(error, ThrottlingException):
        body = json.dumps({"message": error.message}).encode("utf-8")
        headers = [
            ("x-amzn-ErrorType", "ThrottlingException"),
            ("Content-Type", "application/json"),
        ]
        return ScriptedAnswer(Response(400, headers, body))
    if isinstance(error, HTTPAnswer):
        return ScriptedAnswer(Response(error.status, error.headers, error.body))
    if isinstance(error, ServiceError):
        return _service_error(error, config, endpoint)
    raise TypeError(f"not a service error or fault: {type(error).__name__}")


def _service_error(error: ServiceError, config: LocalConfig, endpoint: str) -> LocalServiceError:
    cls = type(error)
    code = error.code or cls.error_code_default or cls.__name__
    status = error.status_code or cls.status_code_default or None
    fields: dict[str, Any] = {}
    for member in cls.members:
        value = getattr(error, member, None)
        if value is not None:
            fields[_wire_name(member)] = value
    message = error.message
    if code == "ModelError":
        # The service's own wording and members, for what the test left out.
        standard = model_error(
            config,
            endpoint,
            fields.get("OriginalStatusCode", 500),
            fields.get("OriginalMessage", ""),
        )
        fields = {**standard.fields, **fields}
        message = message or standard.message
    return LocalServiceError(code, message, status=status, **fields)


async def stream_parts(
    parts: Iterable[StreamItem] | AsyncIterable[StreamItem], config: LocalConfig, endpoint: str
) -> AsyncIterator[bytes]:
    """The parts of a scripted stream as the server's model stream yields them."""
    if isinstance(parts, AsyncIterable):
        iterator = aiter(parts)
        try:
            async for item in iterator:
                data = await _part(item, config, endpoint)
                if data is not None:
                    yield data
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()
    else:
        for item in parts:
            data = await _part(item, config, endpoint)
            if data is not None:
                yield data


async def _part(item: StreamItem, config: LocalConfig, endpoint: str) -> bytes | None:
    _check_item(item)
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    if isinstance(item, str):
        return item.encode("utf-8")
    if isinstance(item, Pause):
        await anyio.sleep(item.seconds)
        return None
    if isinstance(item, (CorruptFrame, TruncatedFrame)):
        return item.wire()
    raise wire_error(item, config, endpoint)
