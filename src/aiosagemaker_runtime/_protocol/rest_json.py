"""The rest-json protocol, service-agnostic, driven by the generated operation descriptions.

The pipeline calls, per operation call: :func:`prepare_input` (once, not per attempt),
then :func:`serialize_request`; on a response, :func:`parse_response` (2xx),
:func:`parse_stream_output` (2xx of an event-stream operation) or :func:`parse_error`.
Everything matches botocore's ``RestJSONSerializer`` / ``RestJSONParser`` on the wire
(``serialize``, ``parse``, ``errors``); plans are compiled once per operation
and cached. Only :func:`prepare_input` does I/O: it reads payload files and streams.

Deliberate differences from botocore, none of which changes what a service sees:
spaces around header values are dropped (they are not part of the value, and h11
refuses them); blob-typed headers are base64 (botocore sends ``str(bytes)``); parsed
timestamps are always aware (UTC when the text has no zone); a malformed value in a
response is kept as sent instead of failing the call; an error response's code falls
back to the HTTP status even when the body is HTML, and its message to the body's text
or the reason phrase.
"""

from __future__ import annotations

import inspect
import io
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from .._exceptions import ParamValidationError
from .._spec import OperationSpec
from .parse import parse_response, parse_stream_output, request_id
from .parse_values import deserialize_json
from .serialize import _NO_INPUT, _missing_tokens, _Overlay, _request_plan, serialize_request
from .serialize_values import _BYTES_LIKE

if TYPE_CHECKING:
    from .errors import parse_error

__all__ = [
    "deserialize_json",
    "needs_preparation",
    "parse_error",
    "parse_response",
    "parse_stream_output",
    "prepare_input",
    "request_id",
    "serialize_request",
]


def _too_long(name: str, maximum: int) -> ParamValidationError:
    return ParamValidationError(
        f"Invalid value for parameter {name}: the payload is longer than the maximum of "
        f"{maximum} bytes (constraint: max)",
        member=name,
        constraint="max",
    )


def _chunk_bytes(chunk: Any, name: str) -> bytes | bytearray | memoryview:
    if isinstance(chunk, _BYTES_LIKE):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    raise ParamValidationError(
        f"Invalid value for parameter {name}: the payload source produced "
        f"{type(chunk).__name__}, expected bytes (constraint: type)",
        member=name,
        constraint="type",
    )


def _read_sync(source: Any, maximum: int | None, name: str) -> bytes:
    chunks: list[bytes | bytearray | memoryview] = []
    total = 0
    while True:
        chunk = _chunk_bytes(source.read(-1 if maximum is None else maximum - total + 1), name)
        if not chunk:
            break
        chunks.append(chunk)
        total += memoryview(chunk).nbytes
        if maximum is not None and total > maximum:
            raise _too_long(name, maximum)
        if maximum is None:
            break
    return chunks[0] if len(chunks) == 1 and type(chunks[0]) is bytes else b"".join(chunks)


async def _read_payload(source: Any, maximum: int | None, name: str) -> bytes:
    if isinstance(source, io.BytesIO):
        return _read_sync(source, maximum, name)
    read = getattr(source, "read", None)
    if read is not None and inspect.iscoroutinefunction(read):
        chunks: list[bytes | bytearray | memoryview] = []
        total = 0
        while True:
            chunk = _chunk_bytes(await read(-1 if maximum is None else maximum - total + 1), name)
            if not chunk:
                break
            chunks.append(chunk)
            total += memoryview(chunk).nbytes
            if maximum is not None and total > maximum:
                raise _too_long(name, maximum)
            if maximum is None:
                break
        return b"".join(chunks)
    if read is not None:
        # A real file: its reads block, so they run in a worker thread.
        return await anyio.to_thread.run_sync(_read_sync, source, maximum, name)
    if not hasattr(source, "__aiter__"):
        raise ParamValidationError(
            f"Invalid value for parameter {name}: expected bytes, str, a binary file or an "
            f"async iterable of bytes, got {type(source).__name__} (constraint: type)",
            member=name,
            constraint="type",
        )
    parts: list[bytes | bytearray | memoryview] = []
    size = 0
    iterator = source.__aiter__()
    try:
        async for item in iterator:
            chunk = _chunk_bytes(item, name)
            parts.append(chunk)
            size += memoryview(chunk).nbytes
            if maximum is not None and size > maximum:
                raise _too_long(name, maximum)
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
    return b"".join(parts)


_IN_MEMORY = (*_BYTES_LIKE, str)


def needs_preparation(operation: OperationSpec, input: Any) -> bool:
    """False when :func:`prepare_input` would return ``input`` as it is (no payload to
    read, no idempotency token to fill): the call may skip it."""
    plan = _request_plan(operation)
    if plan.idempotency:
        return True
    if plan.payload_kind == "raw":
        value = getattr(input, plan.payload_attr)
        return value is not None and not isinstance(value, _IN_MEMORY)
    return False


async def prepare_input(operation: OperationSpec, input: Any) -> Any:
    """Make ``input`` ready to serialize, once per call (not per attempt).

    A payload given as a file object (sync or async ``read``) or an async iterable of
    bytes is read once into bytes, up to the payload's maximum length: a longer one
    raises :class:`~aiosagemaker_runtime.ParamValidationError` naming the member, having
    read at most one byte past the limit. Bytes-like and ``str`` payloads are kept as
    they are (never copied). Unset idempotency tokens are filled with UUID4s, so that
    every attempt sends the same token. Returns ``input`` itself when nothing changes,
    else an updated copy (not re-validated).
    """
    plan = _request_plan(operation)
    base = _NO_INPUT if input is None else input
    updates: dict[str, Any] = _missing_tokens(plan, base) if plan.idempotency else {}
    if plan.payload_kind == "raw":
        value = getattr(base, plan.payload_attr)
        if value is not None and not isinstance(value, _IN_MEMORY):
            minimum, maximum = plan.payload_limits
            data = await _read_payload(value, maximum, plan.payload_name)
            if minimum is not None and len(data) < minimum:
                raise ParamValidationError(
                    f"Invalid value for parameter {plan.payload_name}: the payload is shorter "
                    f"than the minimum of {minimum} bytes (constraint: min)",
                    member=plan.payload_name,
                    constraint="min",
                )
            updates[plan.payload_attr] = data
    if not updates:
        return input
    if input is None:
        construct = getattr(plan.input_cls, "model_construct", None)
        return construct(**updates) if construct is not None else _Overlay(_NO_INPUT, updates)
    return input.model_copy(update=updates)


def __getattr__(name: str) -> Any:
    # parse_error comes with the first error answer: a successful call never needs it.
    if name == "parse_error":
        from .errors import parse_error

        globals()["parse_error"] = parse_error
        return parse_error
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
