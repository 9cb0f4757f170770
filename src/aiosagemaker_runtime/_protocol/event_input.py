"""Input events -> event-stream messages, sans-IO, driven by the input union's ShapeSpec.

An operation with an input event stream sends each event as one message of the
``application/vnd.amazon.eventstream`` framing (:mod:`.eventstream`), as the rest-json
event-stream binding writes it:

* headers ``:message-type`` ``event`` and ``:event-type`` (the union member's name);
* ``:content-type`` when the payload is not empty: ``application/octet-stream`` for a
  blob payload member, ``text/plain`` for a string one, ``application/json`` for a
  structure payload or for the event's body members (written as a JSON object);
* then the members marked ``eventheader``, in model order, each typed as its shape:
  string -> string, boolean -> bool, byte/short/integer/long -> int8/16/32/64, blob ->
  bytes, timestamp -> timestamp. Unset members are left out.

:class:`InputEvents` also turns the plain values a caller may send into an event:
``bytes`` and ``str`` become the union's one event with a single blob member (``str``
as UTF-8). When that event has a string header restricted to the values ``UTF8`` and
``BINARY`` (a data-type marker), it is set to say which of the two was sent.

The encoded message is what the caller of :meth:`InputEvents.encode` signs and wraps
(:mod:`aiosagemaker_runtime._auth.event_signing`); nothing here does I/O, and no
payload appears in a ``repr`` or an error message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, NamedTuple

from .._spec import MemberSpec, ShapeSpec
from .eventstream import (
    HeaderValue,
    Int8,
    Int16,
    Int32,
    Int64,
    encode_frame,
    encode_headers,
    encode_message,
)
from .serialize_values import _BYTES_LIKE, Writer, _dumps, _json_writer
from .shapes import compiled_pattern

__all__ = ["InputEvents", "input_events"]

_OCTET_STREAM = "application/octet-stream"
_TEXT = "text/plain"
_JSON = "application/json"
_INTEGERS: Mapping[str, Callable[[int], int]] = {
    "byte": Int8,
    "short": Int16,
    "integer": Int32,
    "long": Int64,
}
#: The values of a data-type marker header, for ``str`` and for bytes-like input.
_TEXT_MARK = "UTF8"
_BINARY_MARK = "BINARY"


def _header_value(kind: str, value: Any) -> HeaderValue:
    if kind == "boolean":
        return bool(value)
    integer = _INTEGERS.get(kind)
    if integer is not None:
        return integer(value)
    if kind == "blob":
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if kind == "timestamp":
        if not isinstance(value, datetime):
            raise TypeError(f"a timestamp header needs a datetime, got {type(value).__name__}")
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return value if type(value) is str else str(value)


class _Event(NamedTuple):
    """How one member of the union is written."""

    name: str
    cls: type[Any] | None
    headers: tuple[tuple[str, str, str], ...]
    """(attribute, header name, shape type) of each ``eventheader`` member."""
    payload: MemberSpec | None
    payload_type: str
    payload_writer: Writer | None
    body: tuple[tuple[str, str, Writer | None], ...]
    """(attribute, JSON key, writer) of each body member (no payload member)."""


def _marker(shapes: Mapping[str, ShapeSpec], member: MemberSpec) -> bool:
    """Whether a string header accepts exactly the data-type marker's values (as far as
    a third value shows)."""
    spec = shapes.get(member.target)
    if spec is None or spec.type != "string" or not (spec.enum or spec.pattern):
        return False

    def accepts(value: str) -> bool:
        if spec.enum and value not in spec.enum:
            return False
        return not spec.pattern or compiled_pattern(spec.pattern).fullmatch(value) is not None

    return accepts(_TEXT_MARK) and accepts(_BINARY_MARK) and not accepts("X")


class InputEvents:
    """The events of one input event-stream union: encoding and plain-value coercion."""

    __slots__ = ("_blob", "_blocks", "_by_class", "_events", "_marker", "union")

    def __init__(self, shapes: Mapping[str, ShapeSpec], union: str) -> None:
        spec = shapes[union]
        self.union = union
        self._events: dict[str, _Event] = {}
        self._by_class: dict[type[Any], _Event] = {}
        blob_events: list[tuple[_Event, str, str]] = []
        for member in spec.members:
            event_spec = shapes[member.target]
            if event_spec.exception:
                continue
            payload = next((m for m in event_spec.members if m.event_payload), None)
            payload_spec = shapes.get(payload.target) if payload is not None else None
            payload_type = payload_spec.type if payload_spec is not None else ""
            event = _Event(
                name=member.name,
                cls=event_spec.cls,
                headers=tuple(
                    (m.attr, m.wire_name or m.name, shapes[m.target].type)
                    for m in event_spec.members
                    if m.event_header
                ),
                payload=payload,
                payload_type=payload_type,
                payload_writer=(
                    _json_writer(shapes, payload.target, payload.timestamp_format)
                    if payload is not None and payload_type not in ("blob", "string")
                    else None
                ),
                body=tuple(
                    (
                        m.attr,
                        m.wire_name or m.name,
                        _json_writer(shapes, m.target, m.timestamp_format),
                    )
                    for m in event_spec.members
                    if not m.event_header and not m.event_payload
                )
                if payload is None
                else (),
            )
            self._events[member.name] = event
            if event.cls is None:
                continue
            self._by_class[event.cls] = event
            blobs = [m for m in event_spec.members if shapes[m.target].type == "blob"]
            if len(blobs) == 1 and not blobs[0].event_header:
                markers = [
                    m.attr for m in event_spec.members if m.event_header and _marker(shapes, m)
                ]
                blob_events.append((event, blobs[0].attr, markers[0] if len(markers) == 1 else ""))
        #: The event that bytes and str become, its blob attribute and its marker header.
        self._blob = blob_events[0][:2] if len(blob_events) == 1 else None
        self._marker = blob_events[0][2] if len(blob_events) == 1 else ""
        #: The header blocks of bytes and str sent as the blob event, built once:
        #: ``{(is_text, has_payload): block}`` (no entry: encoded through the model).
        self._blocks = self._plain_blocks()

    def _plain_blocks(self) -> dict[tuple[bool, bool], bytes]:
        """What :meth:`encode` writes for a model made by :meth:`coerce` from bytes or
        str, as header blocks: only when the blob is the event's payload."""
        if self._blob is None:
            return {}
        event, attr = self._blob
        if event.payload is None or event.payload.attr != attr or event.payload_type != "blob":
            return {}
        marker = next((name for a, name, _ in event.headers if a == self._marker), None)
        blocks = {}
        for is_text in (False, True):
            for has_payload in (False, True):
                headers: list[tuple[str, HeaderValue]] = [
                    (":message-type", "event"),
                    (":event-type", event.name),
                ]
                if has_payload:
                    headers.append((":content-type", _OCTET_STREAM))
                if marker is not None:
                    headers.append((marker, _TEXT_MARK if is_text else _BINARY_MARK))
                blocks[is_text, has_payload] = encode_headers(headers)
        return blocks

    @property
    def event_names(self) -> tuple[str, ...]:
        """The ``:event-type`` of each event, in model order."""
        return tuple(self._events)

    def coerce(self, value: Any) -> Any:
        """``value`` as an event model: event models as they are; ``bytes``-likes and
        ``str`` (UTF-8) as the union's blob event, when it has exactly one."""
        if type(value) in self._by_class:
            return value
        is_text = isinstance(value, str)
        if is_text or isinstance(value, _BYTES_LIKE):
            if self._blob is None:
                raise TypeError(
                    f"{self.union}: send one of the event models "
                    f"({', '.join(self._events)}), not {type(value).__name__}"
                )
            event, attr = self._blob
            assert event.cls is not None
            fields: dict[str, Any] = {attr: value.encode("utf-8") if is_text else value}
            if self._marker:
                fields[self._marker] = _TEXT_MARK if is_text else _BINARY_MARK
            return event.cls.model_construct(**fields)
        if self._find(value) is None:
            raise TypeError(
                f"{self.union}: cannot send {type(value).__name__}; send bytes, str or "
                f"one of the event models ({', '.join(self._events)})"
            )
        return value

    def _find(self, value: Any) -> _Event | None:
        event = self._by_class.get(type(value))
        if event is None:
            event = next((e for c, e in self._by_class.items() if isinstance(value, c)), None)
        return event

    def encode(self, value: Any) -> bytes:
        """The event-stream message of ``value`` (an event model, bytes or str)."""
        plain = type(value)
        if self._blocks and (plain is bytes or plain is str or plain in _BYTES_LIKE):
            # What coerce() and the model would write, without building the model.
            if plain is str:
                value = value.encode("utf-8")
            return encode_frame(self._blocks[plain is str, bool(value)], value)
        value = self.coerce(value)
        event = self._find(value)
        assert event is not None
        headers: list[tuple[str, HeaderValue]] = [
            (":message-type", "event"),
            (":event-type", event.name),
        ]
        payload: bytes | bytearray | memoryview = b""
        content_type = ""
        if event.payload is not None:
            data = getattr(value, event.payload.attr)
            if data is None:
                pass
            elif event.payload_type == "blob":
                payload = data.encode("utf-8") if isinstance(data, str) else data
                content_type = _OCTET_STREAM
            elif event.payload_type == "string":
                payload = str(data).encode("utf-8")
                content_type = _TEXT
            else:
                writer = event.payload_writer
                payload = _dumps(data if writer is None else writer(data))
                content_type = _JSON
        elif event.body:
            document: dict[str, Any] = {}
            for attr, key, writer in event.body:
                data = getattr(value, attr)
                if data is not None:
                    document[key] = data if writer is None else writer(data)
            payload = _dumps(document)
            content_type = _JSON
        if payload:
            headers.append((":content-type", content_type))
        for attr, name, kind in event.headers:
            data = getattr(value, attr)
            if data is not None:
                headers.append((name, _header_value(kind, data)))
        return encode_message(headers, payload)

    def __repr__(self) -> str:
        return f"InputEvents({self.union!r}, events={list(self._events)!r})"


_CACHE: dict[tuple[int, str], tuple[Mapping[str, ShapeSpec], InputEvents]] = {}


def input_events(shapes: Mapping[str, ShapeSpec], union: str) -> InputEvents:
    """The (cached) :class:`InputEvents` of the union ``union`` of ``shapes``."""
    key = (id(shapes), union)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is shapes:
        return cached[1]
    events = InputEvents(shapes, union)
    _CACHE[key] = (shapes, events)
    return events
