"""Lines and server-sent events out of arbitrarily split bytes (aiosagemaker_runtime._protocol.sse)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiosagemaker_runtime._protocol.sse import LineDecoder, ServerSentEvent, SSEDecoder


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def lines_of(chunks: list[bytes]) -> list[bytes]:
    decoder = LineDecoder()
    lines: list[bytes] = []
    for chunk in chunks:
        lines += decoder.feed(chunk)
    return lines + decoder.flush()


def events_of(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.flush()


# Pieces that make the interesting cases likely: line endings of every kind, fields,
# comments, and multi-byte UTF-8 that random cuts will split.
PIECES = [
    b"\n",
    b"\r",
    b"\r\n",
    b"data: ",
    b"data:",
    b"data",
    b"event: token",
    b"id: 7",
    b"id",
    b"retry: 1500",
    b"retry: x",
    b": keep-alive",
    b":",
    b" ",
    b"tok",
    b'{"token": {"text": "h\\u00e9"}}',
    "é".encode(),
    "日本".encode(),
    "🙂".encode(),
    b"\xff",
    b"\xef\xbb\xbf",
]
streams = st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join)
cuts = st.lists(st.integers(min_value=0), max_size=30)


@settings(max_examples=500)
@given(data=streams, cuts=cuts)
def test_lines_are_the_same_for_any_split(data: bytes, cuts: list[int]) -> None:
    *terminated, last = data.split(b"\n")
    expected = [line[:-1] if line.endswith(b"\r") else line for line in terminated]
    if last:
        expected.append(last)
    assert lines_of([data]) == expected
    assert lines_of(_split(data, cuts)) == expected
    assert lines_of([data[i : i + 1] for i in range(len(data))]) == expected


@settings(max_examples=500)
@given(data=streams, cuts=cuts)
def test_events_are_the_same_for_any_split(data: bytes, cuts: list[int]) -> None:
    whole = events_of([data])
    assert events_of(_split(data, cuts)) == whole
    assert events_of([data[i : i + 1] for i in range(len(data))]) == whole


@settings(max_examples=200)
@given(st.binary(max_size=300), cuts)
def test_arbitrary_bytes(data: bytes, cuts: list[int]) -> None:
    assert events_of(_split(data, cuts)) == events_of([data])
    assert lines_of(_split(data, cuts)) == lines_of([data])


def test_lines_basic() -> None:
    assert lines_of([b"a\nb\r\nc"]) == [b"a", b"b", b"c"]
    assert lines_of([b"a\r", b"\nb\n"]) == [b"a", b"b"]
    assert lines_of([b"a\rb\n"]) == [b"a\rb"]  # a lone CR is content
    assert lines_of([b"\n\n"]) == [b"", b""]
    assert lines_of([b"", b"x"]) == [b"x"]
    assert lines_of([]) == []
    assert lines_of([b"caf\xc3", b"\xa9\n"]) == ["café".encode()]


def test_sse_basic() -> None:
    stream = (
        b": comment\n"
        b"event: token\n"
        b'data: {"a": 1}\n'
        b"id: 1\n"
        b"\n"
        b"data: line one\r\n"
        b"data:line two\r\n"
        b"retry: 3000\r\n"
        b"\r\n"
        b"event: ping\n"
        b"\n"  # no data: not dispatched
        b"data\n"
        b"\n"
    )
    assert events_of([stream]) == [
        ServerSentEvent(event="token", data='{"a": 1}', id="1"),
        ServerSentEvent(data="line one\nline two", id="1", retry=3000),
        ServerSentEvent(data="", id="1"),
    ]
    assert events_of([stream])[0].json() == {"a": 1}


def test_sse_cr_line_endings_split_between_cr_and_lf() -> None:
    assert events_of([b"data: a\r", b"\r", b"\ndata: b\r", b"\n\r\n"]) == [
        ServerSentEvent(data="a"),
        ServerSentEvent(data="b"),
    ]


def test_sse_final_event_without_blank_line_is_flushed() -> None:
    assert events_of([b"data: last tok", b"en"]) == [ServerSentEvent(data="last token")]
    assert events_of([b"data: x\n"]) == [ServerSentEvent(data="x")]


def test_sse_utf8_split_inside_a_character() -> None:
    raw = "data: 🙂 é\n\n".encode()
    for cut in range(len(raw)):
        assert events_of([raw[:cut], raw[cut:]]) == [ServerSentEvent(data="🙂 é")]


def test_sse_bom_and_id_rules() -> None:
    assert events_of([b"\xef\xbb", b"\xbfdata: a\n\n"]) == [ServerSentEvent(data="a")]
    assert events_of([b"id: a\0b\ndata: x\n\n"]) == [ServerSentEvent(data="x")]
    assert events_of([b"id: 5\ndata: x\n\ndata: y\n\nid\ndata: z\n\n"]) == [
        ServerSentEvent(data="x", id="5"),
        ServerSentEvent(data="y", id="5"),
        ServerSentEvent(data="z", id=""),
    ]


@pytest.mark.parametrize("value", [b"retry: 1.5", b"retry: -1", b"retry: ", b"retry: \xd9\xa1"])
def test_sse_invalid_retry_ignored(value: bytes) -> None:
    assert events_of([value + b"\ndata: x\n\n"]) == [ServerSentEvent(data="x")]


def test_bytes_like_input() -> None:
    decoder = LineDecoder()
    assert decoder.feed(memoryview(b"a\nb")) == [b"a"]
    assert decoder.feed(bytearray(b"\n")) == [b"b"]
    sse = SSEDecoder()
    assert sse.feed(memoryview(b"data: x\n\n")) == [ServerSentEvent(data="x")]
