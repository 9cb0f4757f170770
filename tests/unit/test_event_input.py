"""Input events -> event-stream messages (``_protocol/event_input``), decoded back with the
codec: the HTTP2 model's ``RequestPayloadPart`` and a synthetic union covering every
header type, string and structure payloads, and JSON body members."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from aiosagemaker_runtime._generated_http2.models import RequestPayloadPart
from aiosagemaker_runtime._generated_http2.operations import SHAPES
from aiosagemaker_runtime._protocol.event_input import InputEvents, input_events
from aiosagemaker_runtime._protocol.eventstream import EventStreamDecoder, Message
from aiosagemaker_runtime._protocol.shapes import Shape
from aiosagemaker_runtime._spec import MemberSpec, ShapeSpec
from aiosagemaker_runtime.errors import ParamValidationError


def decode(data: bytes) -> Message:
    decoder = EventStreamDecoder()
    (message,) = decoder.feed(data)
    decoder.finish()
    return message


@pytest.fixture
def parts() -> InputEvents:
    return input_events(SHAPES, "RequestStreamEvent")


def test_bytes_are_a_binary_part(parts: InputEvents) -> None:
    message = decode(parts.encode(b"\x00\x01audio"))
    assert message.payload == b"\x00\x01audio"
    assert list(message.headers.items()) == [
        (":message-type", "event"),
        (":event-type", "PayloadPart"),
        (":content-type", "application/octet-stream"),
        ("DataType", "BINARY"),
    ]


def test_str_is_a_utf8_part(parts: InputEvents) -> None:
    message = decode(parts.encode("h\u00e9llo"))
    assert message.payload == "h\u00e9llo".encode()
    assert message.headers["DataType"] == "UTF8"
    assert message.headers[":content-type"] == "application/octet-stream"


def test_bytes_likes_are_sent_as_they_are(parts: InputEvents) -> None:
    assert decode(parts.encode(bytearray(b"ab"))).payload == b"ab"
    assert decode(parts.encode(memoryview(b"xyz")[1:])).payload == b"yz"


@pytest.mark.parametrize(
    ("value", "model"),
    [
        (b"\x00audio", RequestPayloadPart(bytes=b"\x00audio", data_type="BINARY")),
        (bytearray(b"ab"), RequestPayloadPart(bytes=b"ab", data_type="BINARY")),
        (memoryview(b"xyz")[1:], RequestPayloadPart(bytes=b"yz", data_type="BINARY")),
        ("h\u00e9llo", RequestPayloadPart(bytes="h\u00e9llo".encode(), data_type="UTF8")),
        (b"", RequestPayloadPart(data_type="BINARY")),
        ("", RequestPayloadPart(data_type="UTF8")),
    ],
)
def test_bytes_and_str_are_encoded_as_their_model(
    parts: InputEvents, value: Any, model: RequestPayloadPart
) -> None:
    """Plain values skip the model (header blocks built once): the same bytes."""
    assert parts.encode(value) == parts.encode(model)
    assert parts.encode(value) == parts.encode(parts.coerce(value))


def test_a_model_sends_its_headers_in_model_order(parts: InputEvents) -> None:
    event = RequestPayloadPart(bytes=b"{}", data_type="UTF8", completion_state="PARTIAL", p="pad")
    message = decode(parts.encode(event))
    assert list(message.headers.items()) == [
        (":message-type", "event"),
        (":event-type", "PayloadPart"),
        (":content-type", "application/octet-stream"),
        ("DataType", "UTF8"),
        ("CompletionState", "PARTIAL"),
        ("P", "pad"),
    ]
    assert message.payload == b"{}"


def test_an_empty_payload_has_no_content_type(parts: InputEvents) -> None:
    message = decode(parts.encode(RequestPayloadPart(completion_state="COMPLETE")))
    assert message.payload == b""
    assert list(message.headers) == [":message-type", ":event-type", "CompletionState"]


def test_the_event_model_validates_its_headers() -> None:
    with pytest.raises(ParamValidationError) as info:
        RequestPayloadPart(bytes=b"x", data_type="UTF-8")
    assert info.value.member == "DataType"


def test_other_values_are_refused(parts: InputEvents) -> None:
    with pytest.raises(TypeError, match="cannot send int"):
        parts.encode(42)
    with pytest.raises(TypeError, match="cannot send dict"):
        parts.encode({"Bytes": b"x"})


def test_repr_names_the_events_only(parts: InputEvents) -> None:
    assert repr(parts) == "InputEvents('RequestStreamEvent', events=['PayloadPart'])"


# -- a synthetic union: every header type, string/structure payloads, body members --------


class Typed(Shape):
    flag: bool | None = None
    tiny: int | None = None
    small: int | None = None
    number: int | None = None
    big: int | None = None
    raw: bytes | None = None
    when: datetime | None = None
    name: str | None = None
    text: str | None = None


class Config(Shape):
    volume: int | None = None
    voice: str | None = None


class Wrapped(Shape):
    config: Config | None = None


def member(name: str, target: str, **flags: Any) -> MemberSpec:
    return MemberSpec(name=name, attr=name.lower(), target=target, wire_name=name, **flags)


SYNTHETIC: dict[str, ShapeSpec] = {
    "Events": ShapeSpec(
        name="Events",
        type="structure",
        event_stream=True,
        members=(
            member("Typed", "TypedEvent"),
            member("Configure", "ConfigEvent"),
            member("Wrapped", "WrappedEvent"),
        ),
    ),
    "TypedEvent": ShapeSpec(
        name="TypedEvent",
        type="structure",
        event=True,
        class_ref=Typed,
        members=(
            MemberSpec("Flag", "flag", "Bool", event_header=True),
            MemberSpec("Tiny", "tiny", "Byte", event_header=True),
            MemberSpec("Small", "small", "Short", event_header=True),
            MemberSpec("Number", "number", "Int", event_header=True),
            MemberSpec("Big", "big", "Long", event_header=True),
            MemberSpec("Raw", "raw", "Blob", event_header=True),
            MemberSpec("When", "when", "Time", event_header=True),
            MemberSpec("Name", "name", "Text", wire_name="x-name", event_header=True),
            MemberSpec("Text", "text", "Text", event_payload=True),
        ),
    ),
    "ConfigEvent": ShapeSpec(
        name="ConfigEvent",
        type="structure",
        event=True,
        class_ref=Config,
        members=(member("Volume", "Int"), member("Voice", "Text")),
    ),
    "Config": ShapeSpec(
        name="Config",
        type="structure",
        class_ref=Config,
        members=(member("Volume", "Int"), member("Voice", "Text")),
    ),
    "WrappedEvent": ShapeSpec(
        name="WrappedEvent",
        type="structure",
        event=True,
        class_ref=Wrapped,
        members=(member("Config", "Config", event_payload=True),),
    ),
    "Bool": ShapeSpec(name="Bool", type="boolean"),
    "Byte": ShapeSpec(name="Byte", type="byte"),
    "Short": ShapeSpec(name="Short", type="short"),
    "Int": ShapeSpec(name="Int", type="integer"),
    "Long": ShapeSpec(name="Long", type="long"),
    "Blob": ShapeSpec(name="Blob", type="blob"),
    "Time": ShapeSpec(name="Time", type="timestamp"),
    "Text": ShapeSpec(name="Text", type="string"),
}


def raw_header_types(data: bytes) -> list[int]:
    """The value type byte of each header of an encoded frame."""
    headers_length = int.from_bytes(data[4:8], "big")
    block = data[12 : 12 + headers_length]
    types = []
    i = 0
    while i < len(block):
        name_length = block[i]
        kind = block[i + 1 + name_length]
        types.append(kind)
        i += 2 + name_length
        size = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}.get(kind)
        if size is None:
            size = 2 + int.from_bytes(block[i : i + 2], "big")
        i += size
    return types


def test_every_header_type_and_a_string_payload() -> None:
    events = InputEvents(SYNTHETIC, "Events")
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    event = Typed.model_construct(
        flag=False,
        tiny=-3,
        small=300,
        number=70000,
        big=2**40,
        raw=b"\x01\x02",
        when=when,
        name="n",
        text="caf\u00e9",
    )
    data = events.encode(event)
    message = decode(data)
    assert message.headers == {
        ":message-type": "event",
        ":event-type": "Typed",
        ":content-type": "text/plain",
        "Flag": False,
        "Tiny": -3,
        "Small": 300,
        "Number": 70000,
        "Big": 2**40,
        "Raw": b"\x01\x02",
        "When": when,
        "x-name": "n",
    }
    assert message.payload == "caf\u00e9".encode()
    # string x3, bool false, int8, int16, int32, int64, bytes, timestamp, string
    assert raw_header_types(data) == [7, 7, 7, 1, 2, 3, 4, 5, 6, 8, 7]


def test_body_members_are_a_json_object() -> None:
    events = InputEvents(SYNTHETIC, "Events")
    message = decode(events.encode(Config(volume=3)))
    assert message.headers[":event-type"] == "Configure"
    assert message.headers[":content-type"] == "application/json"
    assert json.loads(message.payload) == {"Volume": 3}
    empty = decode(events.encode(Config()))
    assert empty.payload == b"{}"


def test_a_structure_payload_is_json() -> None:
    events = InputEvents(SYNTHETIC, "Events")
    message = decode(events.encode(Wrapped(config=Config(voice="v"))))
    assert message.headers[":event-type"] == "Wrapped"
    assert json.loads(message.payload) == {"Voice": "v"}


def test_without_a_single_blob_event_bytes_are_refused() -> None:
    events = InputEvents(SYNTHETIC, "Events")
    with pytest.raises(TypeError, match="send one of the event models"):
        events.encode(b"x")


def test_input_events_are_cached_per_table() -> None:
    assert input_events(SHAPES, "RequestStreamEvent") is input_events(SHAPES, "RequestStreamEvent")
