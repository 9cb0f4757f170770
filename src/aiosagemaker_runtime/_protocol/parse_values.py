"""Values of a rest-json response read into Python values and model instances.

Mirrors botocore's ``RestJSONParser`` value by value: timestamps of any format (epoch
numbers or text, ISO 8601, RFC 822) parsed into aware datetimes, integers, floats and
booleans from JSON or header text, blobs base64-decoded, ``jsonvalue`` headers decoded
from base64 JSON, header lists split on commas, structures read member by member into
their classes, documents left as JSON values. A malformed value is kept as sent rather
than failing the call. :func:`constructor` builds models without validation, here for
outputs and in :mod:`.fastinput` for plainly valid inputs.

Readers are compiled once per shape table and shape and cached by identity (the tables
are immutable module constants in generated code), so that the output plans in
:mod:`.parse` hold ready-made callables and do no type dispatch per call.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .._spec import ShapeSpec

__all__ = [
    "constructor",
    "deserialize_json",
    "json_reader",
    "parse_json_body",
    "parse_timestamp",
]

Reader = Callable[[Any], Any]

_UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_ISO_FRACTION = r"\.(\d+)"  # compiled on first use: few services send timestamps


# --------------------------------------------------------------------------- timestamps


def _from_epoch(value: float) -> _dt.datetime:
    try:
        return _dt.datetime.fromtimestamp(value, _UTC)
    except (OverflowError, OSError, ValueError):
        return _EPOCH + _dt.timedelta(seconds=value)


def _from_iso(text: str) -> _dt.datetime:
    # Before 3.11, fromisoformat accepts neither "Z" nor fractions other than 3 or 6 digits.
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    match = re.search(_ISO_FRACTION, text)
    if match is not None and len(match.group(1)) != 6:
        text = text[: match.start()] + "." + match.group(1)[:6].ljust(6, "0") + text[match.end() :]
    parsed = _dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_UTC)


def parse_timestamp(value: Any) -> Any:
    """A service's timestamp (epoch number or numeric text, ISO 8601, RFC 822) as an aware
    ``datetime``. Like botocore, the model's format is not required to match; a value that
    is no timestamp at all is returned unchanged."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_epoch(value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return _from_epoch(float(text))
    except (ValueError, OverflowError):
        pass
    try:
        return _from_iso(text)
    except (ValueError, IndexError):
        pass
    from email.utils import parsedate_to_datetime  # ~5 ms at import; rarely needed

    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return value
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_UTC)


# --------------------------------------------------------------------------- scalars


def _to_int(value: Any) -> Any:
    if type(value) is int:
        return value
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return value


def _to_float(value: Any) -> Any:
    if type(value) is float:
        return value
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return value


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    return False


def _b64decode(value: Any) -> Any:
    try:
        return base64.b64decode(value)
    except (binascii.Error, TypeError, ValueError):
        return value


def _json_header(value: Any) -> Any:
    try:
        return json.loads(base64.b64decode(value).decode("utf-8"))
    except (binascii.Error, TypeError, ValueError):
        return value


_SCALAR_READERS: dict[str, Reader] = {
    "integer": _to_int,
    "long": _to_int,
    "float": _to_float,
    "double": _to_float,
    "boolean": _to_bool,
    "blob": _b64decode,
    "timestamp": parse_timestamp,
}


# --------------------------------------------------------------------------- JSON values


class _StructReader:
    """Reads a JSON object into a model (``cls.model_construct``) or, for error shapes
    and shapes without a class, into a dict keyed by attribute."""

    __slots__ = ("construct", "members")

    def __init__(self, construct: Callable[[dict[str, Any]], Any] | None) -> None:
        self.construct = construct
        self.members: tuple[tuple[str, str, Reader | None], ...] = ()

    def __call__(self, value: Any) -> Any:
        if type(value) is not dict:
            return value
        values: dict[str, Any] = {}
        get = value.get
        for key, attr, reader in self.members:
            raw = get(key)
            if raw is not None:
                values[attr] = raw if reader is None else reader(raw)
        construct = self.construct
        return values if construct is None else construct(values)


class _Table:
    """Readers compiled for one shape table."""

    __slots__ = ("readers", "shapes")

    def __init__(self, shapes: Mapping[str, ShapeSpec]) -> None:
        self.shapes = shapes
        self.readers: dict[str, Reader | None] = {}


_TABLES: dict[int, _Table] = {}


def _table(shapes: Mapping[str, ShapeSpec]) -> _Table:
    table = _TABLES.get(id(shapes))
    if table is None or table.shapes is not shapes:
        table = _TABLES[id(shapes)] = _Table(shapes)
    return table


_IMMUTABLE_DEFAULTS = (type(None), str, int, float, bool, bytes, tuple, frozenset)


def constructor(spec: ShapeSpec) -> Callable[[dict[str, Any]], Any] | None:
    """A builder of ``spec.cls`` instances from attribute values, without validation
    (outputs, and inputs whose values were checked by ``fastinput``).

    Equivalent to ``cls.model_construct(**values)`` (same ``__dict__`` in field order,
    fields set, no extra, no private state), about ten times cheaper: the defaults are
    resolved once here. A required member the response lacks reads as ``None``. Classes
    with private attributes, default factories or mutable defaults use
    ``model_construct`` itself.
    """
    cls = spec.cls
    if cls is None or spec.exception:
        return None
    construct = getattr(cls, "model_construct", None)
    if not callable(construct):
        return None

    def slow(values: dict[str, Any]) -> Any:
        return construct(**values)

    fields = getattr(cls, "__pydantic_fields__", None)
    if (
        not isinstance(fields, dict)
        or getattr(cls, "__pydantic_post_init__", None)
        or getattr(cls, "__pydantic_root_model__", False)
        or getattr(cls, "__private_attributes__", None)
        or getattr(cls, "model_config", {}).get("extra") == "allow"
    ):
        return slow
    template: dict[str, Any] = {}
    for name, field in fields.items():
        if field.default_factory is not None:
            return slow
        default = None if field.is_required() else field.default
        if not isinstance(default, _IMMUTABLE_DEFAULTS):
            return slow
        template[name] = default
    new: Callable[[type[Any]], Any] = cls.__new__  # type: ignore[assignment]
    setattr_ = object.__setattr__

    def fast(values: dict[str, Any]) -> Any:
        instance = new(cls)
        data = template.copy()
        data.update(values)
        setattr_(instance, "__dict__", data)
        setattr_(instance, "__pydantic_fields_set__", set(values))
        setattr_(instance, "__pydantic_extra__", None)
        setattr_(instance, "__pydantic_private__", None)
        return instance

    return fast


def json_reader(table: _Table, name: str) -> Reader | None:
    """The reader of JSON values of shape ``name``; ``None`` means "use as is"."""
    try:
        return table.readers[name]
    except KeyError:
        pass
    spec = table.shapes.get(name)
    reader: Reader | None = None
    if spec is None:
        pass
    elif spec.type in ("structure", "union"):
        struct = _StructReader(constructor(spec))
        table.readers[name] = struct  # before the members: shapes may be recursive
        struct.members = tuple(
            (m.wire_name or m.name, m.attr, json_reader(table, m.target))
            for m in spec.members
            if m.location == ""
        )
        return struct
    elif spec.type == "list":
        reader = _list_reader(json_reader(table, spec.member))
    elif spec.type == "map":
        reader = _map_reader(json_reader(table, spec.key), json_reader(table, spec.value))
    else:
        reader = _SCALAR_READERS.get(spec.type)
    table.readers[name] = reader
    return reader


def _list_reader(item: Reader | None) -> Reader:
    def read_list(value: Any) -> Any:
        if type(value) is not list:
            return value
        if item is None:
            return value
        return [None if element is None else item(element) for element in value]

    return read_list


def _map_reader(key: Reader | None, item: Reader | None) -> Reader:
    def read_map(value: Any) -> Any:
        if type(value) is not dict:
            return value
        if key is None and item is None:
            return value
        return {
            (k if key is None else key(k)): (v if item is None or v is None else item(v))
            for k, v in value.items()
        }

    return read_map


def deserialize_json(shapes: Mapping[str, ShapeSpec], shape_name: str, value: Any) -> Any:
    """Convert a decoded JSON value of shape ``shape_name`` into model instances.

    Structures and unions become their classes (``model_construct``, no validation);
    error shapes become a dict of attribute -> value for the caller to build the error;
    blobs are base64-decoded, timestamps parsed, documents left as they are.
    """
    reader = json_reader(_table(shapes), shape_name)
    return value if reader is None or value is None else reader(value)


def parse_json_body(body: bytes | bytearray | memoryview) -> Any:
    """A JSON body as botocore reads it: empty -> ``{}``, not JSON -> ``{"message": text}``."""
    if not body:
        return {}
    try:
        return json.loads(body if not isinstance(body, memoryview) else bytes(body))
    except ValueError:
        return {"message": bytes(body).decode("utf-8", "replace")}


# --------------------------------------------------------------------------- headers


def _header_reader(table: _Table, target: str, json_value: bool) -> Reader | None:
    spec = table.shapes.get(target)
    if spec is None:
        return None
    if spec.type == "string":
        return _json_header if json_value else None
    if spec.type == "list":
        item = _header_reader(table, spec.member, False)

        def read_header_list(value: Any) -> Any:
            if not isinstance(value, str):
                return value
            parts = [part.strip() for part in value.split(",")]
            return parts if item is None else [item(part) for part in parts]

        return read_header_list
    return json_reader(table, target)
