"""Property tests: any chunking gives the same messages; garbage only raises EventStreamError."""

from __future__ import annotations

import itertools
import struct
import uuid
import zlib
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiosagemaker_runtime import EventStreamError
from aiosagemaker_runtime._protocol.eventstream import (
    EventStreamDecoder,
    HeaderValue,
    Int8,
    Int16,
    Int64,
    Message,
    encode_message,
)

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

header_values: st.SearchStrategy[HeaderValue] = st.one_of(
    st.booleans(),
    st.integers(-(2**7), 2**7 - 1).map(Int8),
    st.integers(-(2**15), 2**15 - 1).map(Int16),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1).map(Int64),
    st.binary(max_size=40),
    st.text(max_size=40),
    st.integers(-(10**13), 10**13).map(lambda ms: EPOCH + timedelta(milliseconds=ms)),
    st.uuids().map(lambda u: uuid.UUID(int=u.int)),
)
header_names = st.text(min_size=1, max_size=12).filter(lambda n: len(n.encode()) <= 255)
headers_strategy = st.dictionaries(header_names, header_values, max_size=6)
frames_strategy = st.lists(st.tuples(headers_strategy, st.binary(max_size=300)), max_size=6)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def _decode_chunks(chunks: list[bytes]) -> list[Message]:
    decoder = EventStreamDecoder()
    messages: list[Message] = []
    for chunk in chunks:
        messages += decoder.feed(chunk)
    decoder.finish()
    return messages


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(frames=frames_strategy, cuts=st.lists(st.integers(min_value=0), max_size=40))
def test_any_chunking_gives_the_same_messages(
    frames: list[tuple[dict[str, HeaderValue], bytes]], cuts: list[int]
) -> None:
    stream = b"".join(encode_message(h, p) for h, p in frames)
    expected = [Message(dict(h), p) for h, p in frames]
    assert _decode_chunks([stream]) == expected
    assert _decode_chunks(_split(stream, cuts)) == expected


@settings(max_examples=60)
@given(frames=frames_strategy)
def test_one_byte_at_a_time(frames: list[tuple[dict[str, HeaderValue], bytes]]) -> None:
    stream = b"".join(encode_message(h, p) for h, p in frames)
    assert _decode_chunks([stream[i : i + 1] for i in range(len(stream))]) == [
        Message(dict(h), p) for h, p in frames
    ]


@settings(max_examples=60)
@given(frames=frames_strategy.filter(bool), data=st.data())
def test_truncation_is_never_silent(
    frames: list[tuple[dict[str, HeaderValue], bytes]], data: st.DataObject
) -> None:
    stream = b"".join(encode_message(h, p) for h, p in frames)
    boundaries = {0}
    for h, p in frames:
        boundaries.add(max(boundaries) + len(encode_message(h, p)))
    cut = data.draw(st.integers(1, len(stream) - 1).filter(lambda c: c not in boundaries))
    try:
        _decode_chunks([stream[:cut]])
    except EventStreamError:
        return
    raise AssertionError("a truncated stream decoded without error")


def _outcome(chunks: list[bytes]) -> list[Message] | str:
    try:
        return _decode_chunks(chunks)
    except EventStreamError:
        return "error"


@settings(max_examples=400)
@given(garbage=st.binary(max_size=200), cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_arbitrary_bytes_only_raise_event_stream_error(garbage: bytes, cuts: list[int]) -> None:
    assert _outcome([garbage]) == _outcome(_split(garbage, cuts))


def _frame(block: bytes, payload: bytes) -> bytes:
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


@settings(max_examples=400)
@given(block=st.binary(max_size=80), payload=st.binary(max_size=20), cuts=st.lists(st.integers()))
def test_arbitrary_header_blocks_with_good_crcs(
    block: bytes, payload: bytes, cuts: list[int]
) -> None:
    """Well-framed messages whose header block is garbage: parsed or refused, nothing else."""
    frame = _frame(block, payload)
    assert _outcome([frame]) == _outcome(_split(frame, cuts))


@settings(max_examples=200)
@given(frames=frames_strategy.filter(bool), data=st.data())
def test_any_flipped_byte_is_detected(
    frames: list[tuple[dict[str, HeaderValue], bytes]], data: st.DataObject
) -> None:
    stream = bytearray(b"".join(encode_message(h, p) for h, p in frames))
    index = data.draw(st.integers(0, len(stream) - 1))
    stream[index] ^= data.draw(st.integers(1, 255))
    assert _outcome([bytes(stream)]) == "error"
