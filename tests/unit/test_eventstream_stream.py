"""EventStream over a scripted in-memory response: events, errors, closing, re-framing."""

from __future__ import annotations

import builtins
import gc
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

import anyio
import pytest
from pydantic import Field

from aiosagemaker_runtime import EventStreamError, ReadTimeoutError, ServiceError
from aiosagemaker_runtime._protocol.eventstream import encode_message
from aiosagemaker_runtime._protocol.shapes import Shape
from aiosagemaker_runtime._protocol.sse import ServerSentEvent
from aiosagemaker_runtime._protocol.streams import EventStream
from aiosagemaker_runtime._spec import MemberSpec, OperationSpec, ServiceSpec, ShapeSpec

# -- a service with one event-stream operation, shaped like SageMaker Runtime's ---------


class PayloadPart(Shape):
    _sensitive_: ClassVar[frozenset[str]] = frozenset({"bytes"})
    bytes: builtins.bytes | None = Field(default=None, alias="Bytes")


class Nested(Shape):
    label: str | None = Field(default=None, alias="Label")


class Stats(Shape):
    count: int | None = Field(default=None, alias="Count")
    nested: Nested | None = Field(default=None, alias="Nested")
    tag: str | None = Field(default=None, alias="Tag")
    sent: datetime | None = Field(default=None, alias="Sent")


class Note(Shape):
    text: str | None = Field(default=None, alias="Text")


class Wrapped(Shape):
    nested: Nested | None = Field(default=None, alias="Nested")


class StreamOutput(Shape):
    body: Any = Field(default=None, alias="Body")


class ModelStreamError(ServiceError):
    error_code_default = "ModelStreamError"
    members = ("error_code",)


class InternalStreamFailure(ServiceError):
    error_code_default = "InternalStreamFailure"
    fault = True


class ValidationError(ServiceError):
    error_code_default = "ValidationError"
    status_code_default = 400


SHAPES: dict[str, ShapeSpec] = {
    "StreamOutput": ShapeSpec(
        "StreamOutput",
        "structure",
        members=(MemberSpec("Body", "body", "ResponseStream"),),
        payload="body",
        class_ref=StreamOutput,
    ),
    "ResponseStream": ShapeSpec(
        "ResponseStream",
        "union",
        event_stream=True,
        members=(
            MemberSpec("PayloadPart", "payload_part", "PayloadPart"),
            MemberSpec("Stats", "stats", "Stats"),
            MemberSpec("Note", "note", "Note"),
            MemberSpec("Wrapped", "wrapped", "Wrapped"),
            MemberSpec("ModelStreamError", "model_stream_error", "ModelStreamError"),
            MemberSpec("InternalStreamFailure", "internal_stream_failure", "InternalStreamFailure"),
        ),
    ),
    "PayloadPart": ShapeSpec(
        "PayloadPart",
        "structure",
        event=True,
        members=(MemberSpec("Bytes", "bytes", "PartBlob", event_payload=True),),
        class_ref=PayloadPart,
    ),
    "PartBlob": ShapeSpec("PartBlob", "blob", sensitive=True),
    "Stats": ShapeSpec(
        "Stats",
        "structure",
        event=True,
        members=(
            MemberSpec("Count", "count", "Integer", wire_name="Count"),
            MemberSpec("Nested", "nested", "Nested", wire_name="Nested"),
            MemberSpec("Tag", "tag", "String", event_header=True),
            MemberSpec("Sent", "sent", "Timestamp", event_header=True),
        ),
        class_ref=Stats,
    ),
    "Note": ShapeSpec(
        "Note",
        "structure",
        event=True,
        members=(MemberSpec("Text", "text", "String", event_payload=True),),
        class_ref=Note,
    ),
    "Wrapped": ShapeSpec(
        "Wrapped",
        "structure",
        event=True,
        members=(MemberSpec("Nested", "nested", "Nested", event_payload=True),),
        class_ref=Wrapped,
    ),
    "Nested": ShapeSpec(
        "Nested",
        "structure",
        members=(MemberSpec("Label", "label", "String", wire_name="Label"),),
        class_ref=Nested,
    ),
    "ModelStreamError": ShapeSpec(
        "ModelStreamError",
        "structure",
        exception=True,
        members=(
            MemberSpec("Message", "message", "String", wire_name="Message"),
            MemberSpec("ErrorCode", "error_code", "String", wire_name="ErrorCode"),
        ),
        error_code="ModelStreamError",
        class_ref=ModelStreamError,
    ),
    "InternalStreamFailure": ShapeSpec(
        "InternalStreamFailure",
        "structure",
        exception=True,
        fault=True,
        members=(MemberSpec("Message", "message", "String", wire_name="Message"),),
        error_code="InternalStreamFailure",
        class_ref=InternalStreamFailure,
    ),
    "String": ShapeSpec("String", "string"),
    "Integer": ShapeSpec("Integer", "integer"),
    "Timestamp": ShapeSpec("Timestamp", "timestamp"),
}
OPERATION = OperationSpec(
    name="Stream",
    method="POST",
    uri="/stream",
    input="",
    output="StreamOutput",
    shapes=SHAPES,
    event_stream_output="body",
)
SERVICE = ServiceSpec(
    service_id="Test",
    endpoint_prefix="test",
    signing_name="test",
    api_version="2020-01-01",
    protocol="rest-json",
    shapes=SHAPES,
    errors={
        "ModelStreamError": ModelStreamError,
        "InternalStreamFailure": InternalStreamFailure,
        "ValidationError": ValidationError,
    },
)


def part(data: bytes) -> bytes:
    return encode_message(
        [
            (":event-type", "PayloadPart"),
            (":content-type", "application/octet-stream"),
            (":message-type", "event"),
        ],
        data,
    )


def exception(kind: str, body: Mapping[str, Any] | bytes) -> bytes:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return encode_message(
        [
            (":exception-type", kind),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        payload,
    )


def error(code: str, message: str) -> bytes:
    return encode_message(
        [(":error-code", code), (":error-message", message), (":message-type", "error")], b""
    )


class FakeResponse:
    """An HTTPResponse whose body is the given chunks, then optionally an exception."""

    def __init__(self, chunks: Iterable[bytes], fail: BaseException | None = None) -> None:
        self.chunks = list(chunks)
        self.fail = fail
        self.closed = 0
        self.reads = 0
        self.stall: float = 0.0

    status_code = 200
    headers: Mapping[str, str] = {"x-amzn-requestid": "req-1"}

    async def read(self) -> builtins.bytes:
        raise AssertionError("an event stream must not be read whole")

    async def iter_raw(self) -> AsyncIterator[builtins.bytes]:
        for chunk in self.chunks:
            self.reads += 1
            await anyio.sleep(0)
            yield chunk
        if self.stall:
            await anyio.sleep(self.stall)
        if self.fail is not None:
            raise self.fail

    async def aclose(self) -> None:
        self.closed += 1


def make_stream(response: FakeResponse) -> EventStream[Any]:
    return EventStream(response, OPERATION, SERVICE, "req-1")


async def collect(stream: EventStream[Any]) -> list[Any]:
    return [event async for event in stream]


# -- tests -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_payload_parts_in_order_and_connection_released() -> None:
    stream_bytes = part(b"Hel") + part(b"lo") + part(b"")
    response = FakeResponse([stream_bytes[:7], stream_bytes[7:50], stream_bytes[50:]])
    events = await collect(make_stream(response))
    assert [type(e) for e in events] == [PayloadPart] * 3
    assert [e.bytes for e in events] == [b"Hel", b"lo", b""]
    assert "Hel" not in repr(events[0])
    assert response.closed == 1


@pytest.mark.anyio
async def test_events_arrive_as_their_frames_complete() -> None:
    frames = [part(b"one"), part(b"two")]
    response = FakeResponse([frames[0][:10], frames[0][10:], frames[1]])
    stream = make_stream(response)
    iterator = aiter(stream)
    first = await anext(iterator)
    assert first.bytes == b"one" and response.reads == 2  # the second frame was not read yet
    assert (await anext(iterator)).bytes == b"two"
    with pytest.raises(StopAsyncIteration):
        await anext(iterator)
    assert stream.closed and response.closed == 1


@pytest.mark.anyio
async def test_one_byte_chunks() -> None:
    data = b"".join(part(bytes([i]) * i) for i in range(20))
    response = FakeResponse([data[i : i + 1] for i in range(len(data))])
    assert [e.bytes for e in await collect(make_stream(response))] == [
        bytes([i]) * i for i in range(20)
    ]


@pytest.mark.anyio
async def test_model_stream_error_raised_with_error_code() -> None:
    response = FakeResponse(
        [
            part(b"tok")
            + exception("ModelStreamError", {"Message": "model died", "ErrorCode": "Oops"})
            + part(b"never")
        ]
    )
    stream = make_stream(response)
    got = []
    with pytest.raises(ModelStreamError) as info:
        async for event in stream:
            got.append(event.bytes)
    assert got == [b"tok"]
    err = info.value
    assert err.code == "ModelStreamError" and err.message == "model died"
    assert err.error_code == "Oops"  # type: ignore[attr-defined]
    assert err.status_code is None and err.request_id == "req-1"
    assert response.closed == 1 and stream.closed


@pytest.mark.anyio
async def test_internal_stream_failure_raised() -> None:
    response = FakeResponse([exception("InternalStreamFailure", {"Message": "internal"})])
    with pytest.raises(InternalStreamFailure, match="internal") as info:
        await collect(make_stream(response))
    assert info.value.status_code is None and info.value.request_id == "req-1"
    assert response.closed == 1


@pytest.mark.anyio
async def test_unmodeled_exception_type_and_non_json_payload() -> None:
    response = FakeResponse([exception("ValidationError", b"not json")])
    with pytest.raises(ValidationError, match="not json") as info:
        await collect(make_stream(response))
    assert info.value.code == "ValidationError"
    response = FakeResponse([exception("Brand new", {"message": "m"})])
    with pytest.raises(ServiceError) as base:
        await collect(make_stream(response))
    assert type(base.value) is ServiceError and base.value.code == "Brand new"
    assert base.value.message == "m"


@pytest.mark.anyio
async def test_error_frame_raises_service_error_with_its_code() -> None:
    response = FakeResponse([part(b"a") + error("ThrottlingException", "slow down")])
    stream = make_stream(response)
    with pytest.raises(ServiceError) as info:
        await collect(stream)
    assert info.value.code == "ThrottlingException" and info.value.message == "slow down"
    assert info.value.status_code is None and info.value.request_id == "req-1"
    assert response.closed == 1


@pytest.mark.anyio
async def test_unknown_event_and_message_types_are_skipped() -> None:
    unknown = encode_message([(":event-type", "Future"), (":message-type", "event")], b"{}")
    odd = encode_message([(":message-type", "something-new")], b"")
    response = FakeResponse([unknown + part(b"x") + odd + part(b"y")])
    assert [e.bytes for e in await collect(make_stream(response))] == [b"x", b"y"]


@pytest.mark.anyio
async def test_json_events_headers_and_payload_kinds() -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    stats = encode_message(
        [(":event-type", "Stats"), (":message-type", "event"), ("Tag", "t1"), ("Sent", when)],
        json.dumps({"Count": 3, "Nested": {"Label": "n"}}).encode(),
    )
    note = encode_message([(":event-type", "Note"), (":message-type", "event")], "héllo".encode())
    wrapped = encode_message(
        [(":event-type", "Wrapped"), (":message-type", "event")], b'{"Label": "w"}'
    )
    events = await collect(make_stream(FakeResponse([stats + note + wrapped])))
    assert events[0] == Stats.model_construct(
        count=3, nested=Nested(label="n"), tag="t1", sent=when
    )
    assert events[1] == Note.model_construct(text="héllo")
    assert events[2] == Wrapped.model_construct(nested=Nested(label="w"))


@pytest.mark.anyio
async def test_truncated_stream_raises_event_stream_error() -> None:
    frame = part(b"complete")
    response = FakeResponse([frame + part(b"partial")[:-3]])
    stream = make_stream(response)
    got = []
    with pytest.raises(EventStreamError, match="ended inside a frame"):
        async for event in stream:
            got.append(event.bytes)
    assert got == [b"complete"] and response.closed == 1


@pytest.mark.anyio
async def test_bad_crc_raises_after_the_good_events() -> None:
    bad = bytearray(part(b"bad"))
    bad[-1] ^= 1
    response = FakeResponse([part(b"good") + bytes(bad)])
    stream = make_stream(response)
    got = []
    with pytest.raises(EventStreamError, match="checksum"):
        async for event in stream:
            got.append(event.bytes)
    assert got == [b"good"] and response.closed == 1


@pytest.mark.anyio
async def test_transport_error_propagates_and_closes() -> None:
    response = FakeResponse([part(b"a")], fail=ReadTimeoutError("read timed out"))
    stream = make_stream(response)
    with pytest.raises(ReadTimeoutError):
        await collect(stream)
    assert response.closed == 1


@pytest.mark.anyio
async def test_aclose_idempotent_and_async_with() -> None:
    response = FakeResponse([part(b"a"), part(b"b")])
    async with make_stream(response) as stream:
        async for _event in stream:
            break
    assert response.closed == 1
    await stream.aclose()
    assert response.closed == 1
    assert await collect(stream) == []


@pytest.mark.anyio
async def test_break_without_close_releases_the_connection() -> None:
    response = FakeResponse([part(b"a"), part(b"b")])
    stream = make_stream(response)
    async for _event in stream:
        break
    for _ in range(5):
        await anyio.sleep(0)
    assert response.closed == 1
    assert stream.closed


@pytest.mark.anyio
async def test_dropped_stream_is_closed() -> None:
    response = FakeResponse([part(b"a")])
    stream = make_stream(response)
    del stream
    gc.collect()
    for _ in range(5):
        await anyio.sleep(0)
    assert response.closed == 1


@pytest.mark.anyio
async def test_exception_in_loop_body_releases() -> None:
    response = FakeResponse([part(b"a"), part(b"b")])
    stream = make_stream(response)
    with pytest.raises(RuntimeError):
        async for _event in stream:
            raise RuntimeError("user code failed")
    for _ in range(5):
        await anyio.sleep(0)
    assert response.closed == 1


@pytest.mark.anyio
async def test_cancellation_releases_the_connection() -> None:
    response = FakeResponse([part(b"a")])
    response.stall = 10
    stream = make_stream(response)
    got = []
    with anyio.move_on_after(0.05):
        async for event in stream:
            got.append(event.bytes)
    assert got == [b"a"]
    assert response.closed == 1 and stream.closed


@pytest.mark.anyio
async def test_anext_keeps_the_stream_open() -> None:
    response = FakeResponse([part(b"a"), part(b"b")])
    stream = make_stream(response)
    assert (await anext(stream)).bytes == b"a"
    await anyio.sleep(0)
    assert response.closed == 0
    assert (await anext(stream)).bytes == b"b"
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
    assert response.closed == 1


@pytest.mark.anyio
async def test_lines_over_arbitrary_parts() -> None:
    text = b'{"token": "a"}\n{"token": "b"}\r\n{"tok'
    parts = [text[:3], text[3:16], text[16:30], text[30:], b'en": "c"}']
    unknown = encode_message([(":event-type", "Note"), (":message-type", "event")], b"zzz\n")
    response = FakeResponse([part(parts[0]) + unknown] + [part(p) for p in parts[1:]])
    lines = [line async for line in make_stream(response).lines()]
    assert lines == [b'{"token": "a"}', b'{"token": "b"}', b'{"token": "c"}']
    assert response.closed == 1


@pytest.mark.anyio
async def test_sse_over_arbitrary_parts() -> None:
    text = 'data: {"t": "é"}\r\n\r\n: ping\n\nevent: done\ndata: [DONE]'.encode()
    response = FakeResponse([part(text[i : i + 5]) for i in range(0, len(text), 5)])
    events = [event async for event in make_stream(response).sse()]
    assert events == [ServerSentEvent(data='{"t": "é"}'), ServerSentEvent("done", "[DONE]")]
    assert events[0].json() == {"t": "é"}
    assert response.closed == 1


@pytest.mark.anyio
async def test_lines_raise_stream_errors_and_break_releases() -> None:
    response = FakeResponse(
        [part(b"a\nb"), exception("ModelStreamError", {"Message": "x", "ErrorCode": "E"})]
    )
    got = []
    with pytest.raises(ModelStreamError):
        async for line in make_stream(response).lines():
            got.append(line)
    assert got == [b"a"]  # the unterminated "b" is not flushed past an error
    assert response.closed == 1

    response = FakeResponse([part(b"a\nb\n"), part(b"c\n")])
    async for _line in make_stream(response).lines():
        break
    for _ in range(5):
        await anyio.sleep(0)
    assert response.closed == 1


def test_operation_without_an_event_stream_is_refused() -> None:
    plain = OperationSpec(
        name="Plain", method="POST", uri="/", input="", output="StreamOutput", shapes=SHAPES
    )
    with pytest.raises(TypeError, match="no event-stream output"):
        EventStream(FakeResponse([]), plain, SERVICE, None)


@pytest.mark.anyio
async def test_unfinished_iteration_object_kept_alive_keeps_the_stream_open() -> None:
    response = FakeResponse([part(b"a"), part(b"b")])
    stream = make_stream(response)
    iterator = aiter(stream)
    assert (await anext(iterator)).bytes == b"a"
    await anyio.sleep(0)
    assert response.closed == 0
    assert (await anext(iterator)).bytes == b"b"
    await iterator.aclose()  # type: ignore[attr-defined]
    assert response.closed == 1


class BlockingResponse(FakeResponse):
    """Blocks after its chunks until closed; closing wakes the reader with an error."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__(chunks)
        self.closed_event = anyio.Event()

    async def iter_raw(self) -> AsyncIterator[builtins.bytes]:
        for chunk in self.chunks:
            yield chunk
        await self.closed_event.wait()
        raise OSError("connection closed")

    async def aclose(self) -> None:
        self.closed += 1
        self.closed_event.set()


@pytest.mark.anyio
async def test_aclose_from_another_task_ends_the_iteration() -> None:
    response = BlockingResponse([part(b"a")])
    stream = make_stream(response)
    got: list[Any] = []

    async def consume() -> None:
        async for event in stream:
            got.append(event.bytes)

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        await anyio.sleep(0.05)
        assert got == [b"a"]
        await stream.aclose()
    assert response.closed >= 1 and stream.closed
