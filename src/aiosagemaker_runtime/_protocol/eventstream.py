"""The ``application/vnd.amazon.eventstream`` framing, sans-IO: bytes in, messages out.

A frame is, all integers big-endian::

    total_length u32 | headers_length u32 | prelude_crc u32 | headers | payload | message_crc u32

``prelude_crc`` is the CRC32 of the first 8 bytes and ``message_crc`` the CRC32 of every
byte before it. A header is ``name_len u8 | name (UTF-8) | type u8 | value`` with the
value types 0 bool true, 1 bool false, 2 int8, 3 int16, 4 int32, 5 int64, 6 bytes (u16
length), 7 string (u16 length, UTF-8), 8 timestamp (int64 milliseconds since the epoch),
9 uuid (16 bytes).

:class:`EventStreamDecoder` accepts the bytes in any chunking and returns the messages
whose frames are complete; it checks the prelude CRC and the limits as soon as a
frame's first 12 bytes are in (a corrupted length never makes it wait for bytes that
will not come), the message CRC before the headers are parsed, refuses duplicate header
names, and :meth:`EventStreamDecoder.finish` refuses a partial frame at the end of the
stream. Every failure is :class:`~aiosagemaker_runtime.EventStreamError`.

:func:`encode_message` builds frames (input events, tests, the local endpoint);
:func:`encode_frame` builds one from a header block encoded beforehand.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Union
from zlib import crc32

from .._exceptions import EventStreamError

__all__ = [
    "MAX_HEADERS_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "MAX_PAYLOAD_LENGTH",
    "EventStreamDecoder",
    "HeaderValue",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Message",
    "encode_frame",
    "encode_headers",
    "encode_message",
]

#: Largest frame accepted, prelude and CRCs included (the AWS event-stream limit, as in
#: aws-c-event-stream). botocore checks only the payload, against 24 MiB; a frame that
#: large is already refused here by the total.
MAX_MESSAGE_LENGTH = 16 * 1024 * 1024
#: Largest header block accepted (the AWS limit, the same as botocore's).
MAX_HEADERS_LENGTH = 128 * 1024
#: Largest payload accepted: whatever a frame of :data:`MAX_MESSAGE_LENGTH` leaves.
MAX_PAYLOAD_LENGTH = MAX_MESSAGE_LENGTH - 16

HeaderValue = Union[bool, int, bytes, str, datetime, uuid.UUID]
"""A decoded header value: bool (types 0, 1), int (2-5), bytes (6), str (7),
timezone-aware UTC datetime (8), :class:`uuid.UUID` (9)."""

_PRELUDE = struct.Struct(">III")
_LENGTHS = struct.Struct(">II")
_U32 = struct.Struct(">I")
_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_PRELUDE_LENGTH = 12
_MIN_MESSAGE_LENGTH = 16
_HEADER_CACHE_SIZE = 64
_HEADER_CACHE_MAX_BLOCK = 1024


class Int8(int):
    """An int encoded as header type 2 (byte)."""


class Int16(int):
    """An int encoded as header type 3 (short)."""


class Int32(int):
    """An int encoded as header type 4 (integer)."""


class Int64(int):
    """An int encoded as header type 5 (long)."""


class Message:
    """One decoded frame: its headers (in wire order) and payload."""

    __slots__ = ("headers", "payload")

    def __init__(self, headers: dict[str, HeaderValue], payload: bytes) -> None:
        self.headers = headers
        self.payload = payload

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self.headers == other.headers and self.payload == other.payload

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        # Payloads may be sensitive (PayloadPart.Bytes): show only their size.
        return f"Message(headers={self.headers!r}, payload=<{len(self.payload)} bytes>)"


def _fail(message: str) -> EventStreamError:
    return EventStreamError(message)


def _parse_headers(block: bytes) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    end = len(block)
    i = 0
    try:
        while i < end:
            name_end = i + 1 + block[i]
            if name_end >= end:
                raise _fail("Truncated header name")
            name = block[i + 1 : name_end].decode()
            kind = block[name_end]
            i = name_end + 1
            value: HeaderValue
            if kind == 7 or kind == 6:
                if i + 2 > end:
                    raise _fail("Truncated header value length")
                value_end = i + 2 + ((block[i] << 8) | block[i + 1])
                if value_end > end:
                    raise _fail("Truncated header value")
                raw = block[i + 2 : value_end]
                value = raw.decode() if kind == 7 else raw
                i = value_end
            elif kind == 0:
                value = True
            elif kind == 1:
                value = False
            elif kind == 4:
                (value,) = _I32.unpack_from(block, i)
                i += 4
            elif kind == 5:
                (value,) = _I64.unpack_from(block, i)
                i += 8
            elif kind == 8:
                (millis,) = _I64.unpack_from(block, i)
                value = _EPOCH + timedelta(milliseconds=millis)
                i += 8
            elif kind == 2:
                (value,) = _I8.unpack_from(block, i)
                i += 1
            elif kind == 3:
                (value,) = _I16.unpack_from(block, i)
                i += 2
            elif kind == 9:
                if i + 16 > end:
                    raise _fail("Truncated uuid header value")
                value = uuid.UUID(bytes=block[i : i + 16])
                i += 16
            else:
                raise _fail(f"Unknown header value type {kind}")
            if name in headers:
                raise _fail(f"Duplicate header {name!r}")
            headers[name] = value
    except UnicodeDecodeError:
        raise _fail("Header name or string value is not valid UTF-8") from None
    except struct.error:
        raise _fail("Truncated header value") from None
    except OverflowError:
        raise _fail("Timestamp header value out of range") from None
    return headers


class EventStreamDecoder:
    """Incremental decoder of event-stream frames.

    ``feed(data)`` returns the messages completed by ``data`` (possibly none);
    ``finish()`` at the end of the stream raises if a partial frame is left. When a
    chunk completes some messages and then hits a malformed frame, the good messages
    are returned first and the error is raised by the next call. After an error the
    decoder refuses everything.
    """

    __slots__ = (
        "_buffer",
        "_error",
        "_failed",
        "_header_cache",
        "_max_headers_length",
        "_max_message_length",
        "_need",
    )

    def __init__(
        self,
        *,
        max_message_length: int = MAX_MESSAGE_LENGTH,
        max_headers_length: int = MAX_HEADERS_LENGTH,
    ) -> None:
        self._buffer = bytearray()
        # Bytes the buffer must hold before a frame can complete: the prelude's 12, then
        # the frame's length once its prelude has been checked. Keeps feeding a large
        # frame in small chunks linear.
        self._need = _PRELUDE_LENGTH
        self._error: EventStreamError | None = None
        self._failed = False
        # Frames of one stream nearly always repeat the same header block
        # (":event-type", ":content-type", ":message-type"): parse each block once.
        self._header_cache: dict[bytes, dict[str, HeaderValue]] = {}
        self._max_message_length = max_message_length
        self._max_headers_length = max_headers_length

    @property
    def buffered(self) -> int:
        """Bytes held of a frame that is not complete yet."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Message]:
        """Add ``data``; return the messages whose frames it completes, in order."""
        if self._failed:
            self._raise_failed()
        buffer = self._buffer
        if buffer:
            buffer += data
            if len(buffer) < self._need:
                return []
            source = bytes(buffer)
        elif type(data) is bytes:
            source = data
        else:
            source = bytes(data)
        messages: list[Message] = []
        try:
            consumed = self._decode(source, messages)
        except EventStreamError as error:
            self._failed = True
            self._buffer = bytearray()
            if messages:
                self._error = error
                return messages
            raise
        if consumed < len(source):
            self._buffer = bytearray(source[consumed:]) if consumed else bytearray(source)
        elif buffer:
            self._buffer = bytearray()
        return messages

    def finish(self) -> None:
        """Declare the end of the stream: raise EventStreamError if bytes are left over."""
        if self._failed:
            self._raise_failed()
        if self._buffer:
            left = len(self._buffer)
            self._failed = True
            self._buffer = bytearray()
            raise _fail(f"Event stream ended inside a frame ({left} bytes of it received)")

    close = finish

    def _raise_failed(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error
        raise _fail("The event stream is malformed; the decoder has stopped")

    def _decode(self, source: bytes, out: list[Message]) -> int:
        cache = self._header_cache
        size = len(source)
        pos = 0
        view: memoryview | None = None
        while size - pos >= _PRELUDE_LENGTH:
            total, headers_length, prelude_crc = _PRELUDE.unpack_from(source, pos)
            if crc32(source[pos : pos + 8]) != prelude_crc:
                raise _fail("Prelude checksum mismatch")
            if (
                total > self._max_message_length
                or headers_length > self._max_headers_length
                or headers_length > total - _MIN_MESSAGE_LENGTH
            ):
                self._check_prelude(total, headers_length)
            end = pos + total
            if end > size:
                self._need = total
                return pos
            crc_at = end - 4
            if end == size and pos == 0:
                # The chunk is exactly this frame: CRC the whole chunk (no slice copy)
                # and compare with the expected CRC continued over its own 4 bytes.
                tail = source[crc_at:]
                if crc32(source) != crc32(tail, _U32.unpack(tail)[0]):
                    raise _fail("Message checksum mismatch")
            else:
                if view is None:
                    view = memoryview(source)
                if (
                    crc32(view[pos + 8 : crc_at], prelude_crc)
                    != _U32.unpack_from(source, crc_at)[0]
                ):
                    raise _fail("Message checksum mismatch")
            payload_at = pos + _PRELUDE_LENGTH + headers_length
            if headers_length:
                block = source[pos + _PRELUDE_LENGTH : payload_at]
                headers = cache.get(block)
                if headers is None:
                    headers = _parse_headers(block)
                    if headers_length <= _HEADER_CACHE_MAX_BLOCK:
                        if len(cache) >= _HEADER_CACHE_SIZE:
                            cache.clear()
                        cache[block] = headers
                out.append(Message(headers.copy(), source[payload_at:crc_at]))
            else:
                out.append(Message({}, source[payload_at:crc_at]))
            pos = end
        self._need = _PRELUDE_LENGTH
        return pos

    def _check_prelude(self, total: int, headers_length: int) -> None:
        if total < _MIN_MESSAGE_LENGTH or total > self._max_message_length:
            raise _fail(
                f"Frame length {total} outside [{_MIN_MESSAGE_LENGTH}, {self._max_message_length}]"
            )
        if headers_length > self._max_headers_length:
            raise _fail(f"Header length {headers_length} exceeds {self._max_headers_length}")
        raise _fail(f"Header length {headers_length} exceeds the frame length {total}")


_STR_TYPE = b"\x07"
_BYTES_TYPE = b"\x06"
_TRUE = b"\x00"
_FALSE = b"\x01"
#: Encoded ``(name, str value)`` headers: a stream repeats the same few (``:event-type``,
#: ``:content-type``, ...) in every frame. Short values only, bounded.
_ENCODED: dict[tuple[str, str], bytes] = {}
_ENCODED_MAX = 256
_ENCODED_MAX_VALUE = 64


def _encode_header_value(value: HeaderValue) -> bytes:
    if type(value) is str:
        raw = value.encode()
        if len(raw) > 0xFFFF:
            raise ValueError("String header values are limited to 65535 bytes")
        return _STR_TYPE + len(raw).to_bytes(2, "big") + raw
    if type(value) is bytes:
        if len(value) > 0xFFFF:
            raise ValueError("Bytes header values are limited to 65535 bytes")
        return _BYTES_TYPE + len(value).to_bytes(2, "big") + value
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    if isinstance(value, int):
        if isinstance(value, Int8):
            return b"\x02" + _I8.pack(value)
        if isinstance(value, Int16):
            return b"\x03" + _I16.pack(value)
        if isinstance(value, Int64) or not -(2**31) <= value < 2**31:
            return b"\x05" + _I64.pack(value)
        return b"\x04" + _I32.pack(value)
    if isinstance(value, str):
        return _encode_header_value(str(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _encode_header_value(bytes(value))
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("Timestamp header values must be timezone-aware")
        millis = (value - _EPOCH) // timedelta(milliseconds=1)
        return b"\x08" + _I64.pack(millis)
    if isinstance(value, uuid.UUID):
        return b"\x09" + value.bytes
    raise TypeError(f"Unsupported header value type {type(value).__name__}")


def _encode_header(name: str, value: HeaderValue) -> bytes:
    if type(value) is str and len(value) <= _ENCODED_MAX_VALUE:
        key = (name, value)
        encoded = _ENCODED.get(key)
        if encoded is None:
            encoded = _encode_name(name) + _encode_header_value(value)
            if len(_ENCODED) >= _ENCODED_MAX:
                _ENCODED.clear()
            _ENCODED[key] = encoded
        return encoded
    return _encode_name(name) + _encode_header_value(value)


def _encode_name(name: str) -> bytes:
    raw_name = name.encode()
    if not 0 < len(raw_name) <= 255:
        raise ValueError("Header names must be 1 to 255 bytes of UTF-8")
    return bytes((len(raw_name),)) + raw_name


def encode_headers(headers: Mapping[str, HeaderValue] | Iterable[tuple[str, HeaderValue]]) -> bytes:
    """Encode a header block (see :func:`encode_message` for the value types)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return b"".join([_encode_header(name, value) for name, value in items])


def encode_message(
    headers: Mapping[str, HeaderValue] | Sequence[tuple[str, HeaderValue]],
    payload: bytes | bytearray | memoryview = b"",
) -> bytes:
    """One frame with ``headers`` (in the given order) and ``payload``.

    Value types: ``bool`` -> 0/1, :class:`Int8`/:class:`Int16`/:class:`Int64` -> 2/3/5,
    other ``int`` -> 4 (int32) or 5 when it does not fit, bytes-like -> 6, ``str`` -> 7,
    aware ``datetime`` -> 8 (milliseconds), :class:`uuid.UUID` -> 9.
    """
    return encode_frame(encode_headers(headers), payload)


def encode_frame(block: bytes, payload: bytes | bytearray | memoryview = b"") -> bytes:
    """One frame of an already encoded header block (:func:`encode_headers`, or bytes
    built once for headers every frame repeats) and ``payload``."""
    block_length = len(block)
    if block_length > MAX_HEADERS_LENGTH:
        raise ValueError(f"Header block of {block_length} bytes exceeds {MAX_HEADERS_LENGTH}")
    if type(payload) is not bytes:
        payload = bytes(payload)
    total = _MIN_MESSAGE_LENGTH + block_length + len(payload)
    if total > MAX_MESSAGE_LENGTH:
        raise ValueError(f"Frame of {total} bytes exceeds {MAX_MESSAGE_LENGTH}")
    lengths = _LENGTHS.pack(total, block_length)
    prelude = lengths + _U32.pack(crc32(lengths))
    crc = crc32(payload, crc32(block, crc32(prelude)))
    return b"".join((prelude, block, payload, _U32.pack(crc)))
