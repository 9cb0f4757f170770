"""The event-stream decoder and encoder: public vectors, limits, malformed input."""

from __future__ import annotations

import base64
import json
import struct
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from aiosagemaker_runtime import EventStreamError
from aiosagemaker_runtime._protocol.eventstream import (
    MAX_HEADERS_LENGTH,
    MAX_MESSAGE_LENGTH,
    EventStreamDecoder,
    HeaderValue,
    Int8,
    Int16,
    Int32,
    Int64,
    Message,
    encode_frame,
    encode_headers,
    encode_message,
)

VECTORS = Path(__file__).parent.parent / "vectors" / "eventstream"
POSITIVE = sorted(p.name for p in (VECTORS / "encoded" / "positive").iterdir())
NEGATIVE = sorted(p.name for p in (VECTORS / "encoded" / "negative").iterdir())
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _expected_value(kind: int, value: Any) -> HeaderValue:
    if kind in (0, 1):
        assert value is (kind == 0)
        return bool(value)
    if kind in (2, 3, 4, 5):
        width: type[int] = {2: Int8, 3: Int16, 4: Int32, 5: Int64}[kind]
        return width(value)
    if kind == 6:
        return base64.b64decode(value)
    if kind == 7:
        return base64.b64decode(value).decode()
    if kind == 8:
        return EPOCH + timedelta(milliseconds=value)
    assert kind == 9
    return uuid.UUID(bytes=base64.b64decode(value))


def _decode_all(data: bytes) -> list[Message]:
    decoder = EventStreamDecoder()
    messages = decoder.feed(data)
    decoder.finish()
    return messages


def test_vectors_present() -> None:
    assert len(POSITIVE) == 5
    assert len(NEGATIVE) == 4


@pytest.mark.parametrize("case", POSITIVE)
def test_positive_vector_decodes(case: str) -> None:
    raw = (VECTORS / "encoded" / "positive" / case).read_bytes()
    expected = json.loads((VECTORS / "decoded" / "positive" / case).read_text())
    total, headers_length, prelude_crc = struct.unpack(">III", raw[:12])
    assert (total, headers_length) == (expected["total_length"], expected["headers_length"])
    assert prelude_crc == expected["prelude_crc"] & 0xFFFFFFFF
    assert struct.unpack(">I", raw[-4:])[0] == expected["message_crc"] & 0xFFFFFFFF

    [message] = _decode_all(raw)
    headers = [(h["name"], _expected_value(h["type"], h["value"])) for h in expected["headers"]]
    assert list(message.headers.items()) == headers
    for (_, got), (_, want) in zip(message.headers.items(), headers, strict=True):
        if isinstance(want, bool):
            assert type(got) is bool
        elif isinstance(want, int):
            assert type(got) is int
        else:
            assert type(got) is type(want)
    assert message.payload == base64.b64decode(expected["payload"])
    # ... and encoding the decoded form (types as the vector gives them) gives the same bytes.
    assert encode_message(headers, message.payload) == raw


@pytest.mark.parametrize("case", POSITIVE)
def test_positive_vector_one_byte_at_a_time(case: str) -> None:
    raw = (VECTORS / "encoded" / "positive" / case).read_bytes()
    decoder = EventStreamDecoder()
    messages: list[Message] = []
    for i in range(len(raw)):
        messages += decoder.feed(raw[i : i + 1])
        assert (len(messages) == 1) is (i == len(raw) - 1)
    decoder.finish()
    assert messages == _decode_all(raw)


@pytest.mark.parametrize("case", NEGATIVE)
def test_negative_vector_is_refused(case: str) -> None:
    raw = (VECTORS / "encoded" / "negative" / case).read_bytes()
    reason = (VECTORS / "decoded" / "negative" / case).read_text().strip()
    with pytest.raises(EventStreamError, match=reason):
        _decode_all(raw)


def test_corrupted_length_fails_as_soon_as_the_prelude_is_in() -> None:
    # The frame claims 62 bytes; only 61 exist: the prelude CRC must fail at byte 12.
    raw = (VECTORS / "encoded" / "negative" / "corrupted_length").read_bytes()
    decoder = EventStreamDecoder()
    assert decoder.feed(raw[:11]) == []
    with pytest.raises(EventStreamError, match="Prelude checksum mismatch"):
        decoder.feed(raw[11:12])


def test_decoder_refuses_everything_after_an_error() -> None:
    raw = (VECTORS / "encoded" / "negative" / "corrupted_payload").read_bytes()
    decoder = EventStreamDecoder()
    with pytest.raises(EventStreamError):
        decoder.feed(raw)
    good = encode_message({"a": "b"}, b"x")
    with pytest.raises(EventStreamError):
        decoder.feed(good)
    with pytest.raises(EventStreamError):
        decoder.finish()


def test_good_messages_before_a_bad_frame_come_first() -> None:
    good = encode_message({":event-type": "PayloadPart"}, b"one")
    bad = bytearray(encode_message({":event-type": "PayloadPart"}, b"two"))
    bad[-5] ^= 0xFF
    decoder = EventStreamDecoder()
    assert [m.payload for m in decoder.feed(good + bytes(bad))] == [b"one"]
    with pytest.raises(EventStreamError, match="Message checksum mismatch"):
        decoder.feed(b"")


def test_truncated_stream_raises_at_finish() -> None:
    frame = encode_message({":event-type": "PayloadPart"}, b"hello")
    decoder = EventStreamDecoder()
    assert len(decoder.feed(frame + frame[:20])) == 1
    assert decoder.buffered == 20
    with pytest.raises(EventStreamError, match="ended inside a frame"):
        decoder.finish()


def test_truncated_inside_prelude_raises_at_finish() -> None:
    decoder = EventStreamDecoder()
    decoder.feed(encode_message({}, b"")[:5])
    with pytest.raises(EventStreamError):
        decoder.close()


def test_empty_stream_finishes_cleanly() -> None:
    decoder = EventStreamDecoder()
    assert decoder.feed(b"") == []
    decoder.finish()


def test_all_value_types_round_trip() -> None:
    when = datetime(2024, 5, 17, 12, 30, 1, 123000, tzinfo=timezone.utc)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    headers: dict[str, HeaderValue] = {
        "t": True,
        "f": False,
        "i8": Int8(-128),
        "i16": Int16(32767),
        "i32": -(2**31),
        "i64": Int64(2**63 - 1),
        "big": 2**40,
        "bytes": b"\x00\xff",
        "str": "héllo ✓",
        "ts": when,
        "uuid": ident,
    }
    [message] = _decode_all(encode_message(headers, b"payload"))
    assert message.headers == headers
    stamp = message.headers["ts"]
    assert isinstance(stamp, datetime) and stamp == when and stamp.tzinfo is not None
    assert message.payload == b"payload"
    raw = encode_message(headers, b"")
    assert raw[raw.index(b"\x03big") + 4] == 5  # an int beyond int32 goes out as int64


def _frame(headers_block: bytes, payload: bytes = b"", *, total: int | None = None) -> bytes:
    total = 16 + len(headers_block) + len(payload) if total is None else total
    prelude = struct.pack(">II", total, len(headers_block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + headers_block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def test_duplicate_header_names_refused() -> None:
    block = b"\x01a\x00" + b"\x01a\x01"
    with pytest.raises(EventStreamError, match="Duplicate header"):
        _decode_all(_frame(block))


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        (b"\x05ab", "Truncated header name"),
        (b"\x01a\x07\x00", "Truncated"),
        (b"\x01a\x07\x00\x05abc", "Truncated header value"),
        (b"\x01a\x04\x00\x00", "Truncated"),
        (b"\x01a\x09" + b"\x00" * 15, "Truncated"),
        (b"\x01a\x0a", "Unknown header value type 10"),
        (b"\x01\xff\x00", "UTF-8"),
        (b"\x01a\x07\x00\x01\xff", "UTF-8"),
        (b"\x01a\x08" + struct.pack(">q", 2**63 - 1), "out of range"),
    ],
)
def test_malformed_headers_refused(block: bytes, reason: str) -> None:
    with pytest.raises(EventStreamError, match=reason):
        _decode_all(_frame(block))


def test_limits() -> None:
    decoder = EventStreamDecoder()
    prelude = struct.pack(">II", MAX_MESSAGE_LENGTH + 1, 0)
    with pytest.raises(EventStreamError, match="Frame length"):
        decoder.feed(prelude + struct.pack(">I", zlib.crc32(prelude)))

    prelude = struct.pack(">II", MAX_HEADERS_LENGTH + 100, MAX_HEADERS_LENGTH + 1)
    with pytest.raises(EventStreamError, match="Header length"):
        EventStreamDecoder().feed(prelude + struct.pack(">I", zlib.crc32(prelude)))

    prelude = struct.pack(">II", 20, 5)
    with pytest.raises(EventStreamError, match="exceeds the frame"):
        EventStreamDecoder().feed(prelude + struct.pack(">I", zlib.crc32(prelude)))

    prelude = struct.pack(">II", 15, 0)
    with pytest.raises(EventStreamError, match="Frame length"):
        EventStreamDecoder().feed(prelude + struct.pack(">I", zlib.crc32(prelude)))


def test_configurable_message_limit() -> None:
    frame = encode_message({}, b"x" * 100)
    with pytest.raises(EventStreamError):
        EventStreamDecoder(max_message_length=50).feed(frame)
    assert len(EventStreamDecoder(max_message_length=len(frame)).feed(frame)) == 1


def test_large_frame_in_small_chunks_is_linear() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    frame = encode_message({":event-type": "PayloadPart"}, payload)
    decoder = EventStreamDecoder()
    messages: list[Message] = []
    for i in range(0, len(frame), 97):
        messages += decoder.feed(frame[i : i + 97])
    decoder.finish()
    assert [m.payload for m in messages] == [payload]


def test_accepts_bytes_like_input() -> None:
    frame = encode_message({"k": "v"}, b"p")
    assert EventStreamDecoder().feed(bytearray(frame)) == [Message({"k": "v"}, b"p")]
    assert EventStreamDecoder().feed(memoryview(frame)) == [Message({"k": "v"}, b"p")]


def test_headers_are_independent_between_messages() -> None:
    frame = encode_message({":event-type": "PayloadPart"}, b"p")
    first, second = EventStreamDecoder().feed(frame + frame)
    first.headers["x"] = 1
    assert "x" not in second.headers


def test_message_repr_hides_the_payload() -> None:
    message = Message({":event-type": "PayloadPart"}, b"secret token")
    assert "secret" not in repr(message)
    assert "12 bytes" in repr(message)


def test_a_frame_of_an_encoded_header_block_is_the_message() -> None:
    headers: list[tuple[str, HeaderValue]] = [(":event-type", "PayloadPart"), ("n", Int64(5))]
    for payload in (b"", b"p", bytearray(b"pp"), memoryview(b"xppp")[1:]):
        assert encode_frame(encode_headers(headers), payload) == encode_message(headers, payload)
    assert encode_frame(b"") == encode_message({})
    with pytest.raises(ValueError, match="exceeds"):
        encode_frame(b"x" * (128 * 1024 + 1))


def test_repeated_headers_encode_the_same_past_the_encoders_cache() -> None:
    """String headers are encoded once and reused (a bounded cache): distinct values
    beyond its size, a subclass of str and long values still encode as they are."""

    class Name(str):
        pass

    rounds = [
        [("k", f"v{i}"), ("same", "x"), ("s", Name("sub")), ("long", "y" * 65)] for i in range(600)
    ]
    for headers in rounds + rounds[:10]:
        [message] = EventStreamDecoder().feed(encode_message(headers, b"."))
        assert list(message.headers.items()) == [(k, str(v)) for k, v in headers]


def test_encoder_refuses_bad_values() -> None:
    with pytest.raises(ValueError):
        encode_message({"": "x"})
    with pytest.raises(ValueError):
        encode_message({"a" * 256: "x"})
    with pytest.raises(ValueError):
        encode_message({"a": "x" * 70000})
    with pytest.raises(ValueError):
        encode_message({"a": datetime(2020, 1, 1)})  # naive
    with pytest.raises(TypeError):
        encode_message({"a": 1.5})  # type: ignore[dict-item]
    with pytest.raises(struct.error):
        encode_message({"a": Int8(200)})
