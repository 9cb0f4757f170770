"""Values of an operation's input in their rest-json wire forms.

Matches botocore's ``RestJSONSerializer`` value by value: timestamps as ISO 8601, RFC 822
or epoch seconds (``format_timestamp``), booleans as ``true``/``false``, non-finite floats
as ``NaN``/``Infinity``, blobs as base64; header values typed (integers as decimal text,
timestamps as RFC 822 unless the model says otherwise and without sub-second precision,
lists joined with ``,`` and quoted when needed, ``jsonvalue`` as base64 of compact JSON);
JSON bodies written member by member under their wire names.

Each converter is compiled once per shape and cached, so that the request plan in
:mod:`.serialize` holds ready-made callables and does no type dispatch per call.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import enum
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from .._exceptions import ParamValidationError
from .._spec import MemberSpec, ShapeSpec
from .parse_values import parse_timestamp

__all__ = ["format_timestamp"]

Writer = Callable[[Any], Any]

_UTC = _dt.timezone.utc
_BYTES_LIKE = (bytes, bytearray, memoryview)


# --------------------------------------------------------------------------- scalars


def _to_aware(value: Any) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_UTC)
    parsed = parse_timestamp(value)
    if not isinstance(parsed, _dt.datetime):
        raise ParamValidationError(
            f"Invalid timestamp value of type {type(value).__name__}", constraint="type"
        )
    return parsed.astimezone(_UTC)


def format_timestamp(value: Any, timestamp_format: str) -> Any:
    """``value`` as botocore writes it in ``iso8601``, ``rfc822`` or ``unixTimestamp``."""
    moment = _to_aware(value)
    fmt = timestamp_format.lower()
    if fmt == "iso8601":
        if moment.microsecond:
            return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    # calendar and email.utils (several ms of import) are imported here, when a request
    # first holds a timestamp: most never do.
    import calendar

    seconds = calendar.timegm(moment.timetuple())
    if fmt == "unixtimestamp":
        if moment.microsecond:
            return (seconds * 10**6 + moment.microsecond) / 10**6
        return seconds
    from email.utils import formatdate

    return formatdate(seconds, usegmt=True)


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _float_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
    return value


def _float_text(value: Any) -> str:
    return str(_float_value(value))


def _bool_text(value: Any) -> str:
    return (
        "true"
        if value is True or (value is not False and str(value).lower() == "true")
        else "false"
    )


def _base64(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


def _json_default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, _dt.datetime):
        return format_timestamp(value, "iso8601")
    if isinstance(value, _BYTES_LIKE):
        return _base64(bytes(value))
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):
        return model_dump(by_alias=True, exclude_none=True)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, default=_json_default).encode("utf-8")


# --------------------------------------------------------------------------- converters


def _location_text(spec: ShapeSpec | None, timestamp_format: str, default_format: str) -> Writer:
    """Converter of a URI-label or query value to text (botocore's rules)."""
    kind = spec.type if spec is not None else "string"
    if kind == "boolean":
        return _bool_text
    if kind == "timestamp":
        fmt = timestamp_format or default_format
        return lambda value: str(format_timestamp(value, fmt))
    if kind in ("float", "double"):
        return _float_text
    if kind == "blob":
        return _base64
    return _text


def _escape_header_item(value: str) -> str:
    if '"' in value or "," in value:
        return '"' + value.replace('"', '\\"') + '"'
    return value


def _header_writer(shapes: Mapping[str, ShapeSpec], member: MemberSpec) -> Writer | None:
    """Converter of a header member's value to the header text; ``None``: it is a str."""
    return _header_value_writer(
        shapes, shapes.get(member.target), member.timestamp_format, member.json_value
    )


def _header_value_writer(
    shapes: Mapping[str, ShapeSpec], spec: ShapeSpec | None, timestamp_format: str, json_value: bool
) -> Writer | None:
    kind = spec.type if spec is not None else "string"
    if kind == "timestamp":
        fmt = timestamp_format or (spec.timestamp_format if spec is not None else "") or "rfc822"

        def timestamp_header(value: Any) -> str:
            import calendar  # see format_timestamp

            # botocore drops sub-second precision in headers, whatever the format.
            seconds = calendar.timegm(_to_aware(value).timetuple())
            return str(format_timestamp(seconds, fmt))

        return timestamp_header
    if kind == "list" and spec is not None:
        item_spec = shapes.get(spec.member)
        if item_spec is None or item_spec.type == "string":

            def string_list_header(value: Any) -> str:
                return ",".join(_escape_header_item(_text(v)) for v in value if v is not None)

            return string_list_header
        item = _header_value_writer(shapes, item_spec, item_spec.timestamp_format, False) or _text

        def list_header(value: Any) -> str:
            return ",".join(item(v) for v in value if v is not None)

        return list_header
    if kind == "string" and json_value:
        return lambda value: _base64(
            json.dumps(value, separators=(",", ":"), default=_json_default)
        )
    if kind == "boolean":
        return _bool_text
    if kind in ("float", "double"):
        return _float_text
    if kind == "blob":
        return _base64
    if kind == "string":
        return None
    return _text


# --------------------------------------------------------------------------- JSON bodies


class _StructWriter:
    __slots__ = ("members",)

    def __init__(self) -> None:
        self.members: tuple[tuple[str, str, str, Writer | None], ...] = ()

    def __call__(self, value: Any) -> Any:
        out: dict[str, Any] = {}
        if isinstance(value, Mapping):
            for attr, name, key, writer in self.members:
                item = value.get(name)
                if item is None:
                    item = value.get(attr)
                if item is not None:
                    out[key] = item if writer is None else writer(item)
            return out
        for attr, _name, key, writer in self.members:
            item = getattr(value, attr, None)
            if item is not None:
                out[key] = item if writer is None else writer(item)
        return out


_WRITERS: dict[int, tuple[Mapping[str, ShapeSpec], dict[str, Writer | None]]] = {}


def _json_writer(
    shapes: Mapping[str, ShapeSpec], name: str, timestamp_format: str = ""
) -> Writer | None:
    """Writer of a value of shape ``name`` into a JSON-ready value; ``None``: as is."""
    entry = _WRITERS.get(id(shapes))
    if entry is None or entry[0] is not shapes:
        entry = _WRITERS[id(shapes)] = (shapes, {})
    writers = entry[1]
    spec = shapes.get(name)
    if spec is not None and spec.type == "timestamp":
        fmt = timestamp_format or spec.timestamp_format or "unixTimestamp"
        return lambda value: format_timestamp(value, fmt)
    if name in writers:
        return writers[name]
    writer: Writer | None = None
    if spec is None or spec.type == "document":
        writer = None
    elif spec.type in ("structure", "union"):
        struct = _StructWriter()
        writers[name] = struct  # before the members: shapes may be recursive
        struct.members = tuple(
            (
                m.attr,
                m.name,
                m.wire_name or m.name,
                _json_writer(shapes, m.target, m.timestamp_format),
            )
            for m in spec.members
        )
        return struct
    elif spec.type == "list":
        item = _json_writer(shapes, spec.member)
        if item is not None:
            writer = lambda value: [None if v is None else item(v) for v in value]  # noqa: E731
    elif spec.type == "map":
        entry_writer = _json_writer(shapes, spec.value)
        if entry_writer is not None:
            writer = lambda value: {  # noqa: E731
                _text(k): (None if v is None else entry_writer(v)) for k, v in value.items()
            }
    elif spec.type == "blob":
        writer = _base64
    elif spec.type in ("float", "double"):
        writer = _float_value
    elif spec.type == "string":
        writer = _text
    writers[name] = writer
    return writer
