"""rest-json response parsing, driven by the generated shape tables.

Mirrors botocore's ``RestJSONParser`` on the wire: header members (case-insensitive,
typed, ``jsonvalue`` headers decoded from base64 JSON, lists split on commas), ``headers``
prefix maps, ``statusCode`` members, a blob payload as the body bytes, a string payload
as text, a structure payload or the output's body members from the JSON body (blobs
base64-decoded, timestamps of any format parsed into aware datetimes, documents left as
JSON values). Outputs are built with ``model_construct``: a response is never refused
for a value outside the model's constraints, and a malformed value is kept as sent rather
than failing the call.

Plans are compiled once per shape table and shape and cached by identity (the tables are
immutable module constants in generated code).
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .._spec import OperationSpec, ShapeSpec

__all__ = [
    "OutputPlan",
    "constructor",
    "deserialize_json",
    "output_plan",
    "parse_json_body",
    "parse_members",
    "parse_response",
    "parse_stream_output",
    "parse_timestamp",
    "request_id",
]

Reader = Callable[[Any], Any]

_UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_ISO_FRACTION = re.compile(r"\.(\d+)")


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
    match = _ISO_FRACTION.search(text)
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
    (outputs, and inputs whose values were checked by ``_fastinput``).

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


# --------------------------------------------------------------------------- outputs


class OutputPlan:
    """How to read one output (or error) structure from an HTTP response."""

    __slots__ = (
        "body_members",
        "cls",
        "construct",
        "header_maps",
        "headers",
        "payload_attr",
        "payload_kind",
        "payload_reader",
        "status_attrs",
    )

    def __init__(self, shapes: Mapping[str, ShapeSpec], spec: ShapeSpec) -> None:
        table = _table(shapes)
        self.cls = spec.cls
        self.construct = constructor(spec)
        headers: list[tuple[str, str, Reader | None]] = []
        header_maps: list[tuple[str, str]] = []
        status_attrs: list[str] = []
        body: list[tuple[str, str, Reader | None]] = []
        self.payload_attr = ""
        self.payload_kind = ""
        self.payload_reader: Reader | None = None
        for member in spec.members:
            location = member.location
            if location == "header":
                reader = _header_reader(table, member.target, member.json_value)
                headers.append((member.attr, (member.wire_name or member.name).lower(), reader))
            elif location == "headers":
                header_maps.append((member.attr, member.wire_name.lower()))
            elif location == "statusCode":
                status_attrs.append(member.attr)
            elif location == "" and member.attr == spec.payload:
                target = shapes.get(member.target)
                target_type = target.type if target is not None else "blob"
                self.payload_attr = member.attr
                if target is not None and target.event_stream:
                    self.payload_kind = "eventstream"
                elif target_type in ("blob", "string"):
                    self.payload_kind = target_type
                else:
                    self.payload_kind = "json"
                    self.payload_reader = json_reader(table, member.target)
            elif location == "":
                body.append(
                    (
                        member.wire_name or member.name,
                        member.attr,
                        json_reader(table, member.target),
                    )
                )
        self.headers = tuple(headers)
        self.header_maps = tuple(header_maps)
        self.status_attrs = tuple(status_attrs)
        self.body_members = tuple(body) if not spec.payload else ()


_OUTPUT_PLANS: dict[tuple[int, str], tuple[Mapping[str, ShapeSpec], OutputPlan]] = {}


def output_plan(shapes: Mapping[str, ShapeSpec], shape_name: str) -> OutputPlan | None:
    """The cached plan for structure ``shape_name`` of ``shapes``."""
    key = (id(shapes), shape_name)
    cached = _OUTPUT_PLANS.get(key)
    if cached is not None and cached[0] is shapes:
        return cached[1]
    spec = shapes.get(shape_name)
    if spec is None:
        return None
    plan = OutputPlan(shapes, spec)
    _OUTPUT_PLANS[key] = (shapes, plan)
    return plan


def parse_members(
    plan: OutputPlan,
    status: int,
    headers: Mapping[str, str],
    body: bytes | bytearray | memoryview | None,
    parsed_body: Any = None,
) -> dict[str, Any]:
    """Attribute -> value for every member found in the response.

    ``body`` ``None`` means the body is not available (a stream); ``parsed_body`` may pass
    an already decoded JSON body.
    """
    values: dict[str, Any] = {}
    for attr, name, reader in plan.headers:
        value = headers.get(name)
        if value is not None:
            values[attr] = value if reader is None else reader(value)
    for attr, prefix in plan.header_maps:
        values[attr] = {
            name[len(prefix) :]: value
            for name, value in headers.items()
            if name.lower().startswith(prefix)
        }
    for attr in plan.status_attrs:
        values[attr] = status
    kind = plan.payload_kind
    if kind == "blob":
        if body is not None:
            values[plan.payload_attr] = body if type(body) is bytes else bytes(body)
    elif kind == "string":
        if body is not None:
            values[plan.payload_attr] = bytes(body).decode("utf-8", "replace")
    elif kind == "json":
        if body is not None or parsed_body is not None:
            document = parsed_body if parsed_body is not None else parse_json_body(body or b"")
            reader = plan.payload_reader
            values[plan.payload_attr] = document if reader is None else reader(document)
    elif plan.body_members and (body is not None or parsed_body is not None):
        document = parsed_body if parsed_body is not None else parse_json_body(body or b"")
        if type(document) is dict:
            get = document.get
            for key, attr, reader in plan.body_members:
                raw = get(key)
                if raw is not None:
                    values[attr] = raw if reader is None else reader(raw)
    return values


_OPERATION_PLANS: dict[int, tuple[OperationSpec, OutputPlan | None]] = {}


def _operation_output(operation: OperationSpec) -> OutputPlan | None:
    cached = _OPERATION_PLANS.get(id(operation))
    if cached is not None and cached[0] is operation:
        return cached[1]
    plan = output_plan(operation.shapes, operation.output) if operation.output else None
    _OPERATION_PLANS[id(operation)] = (operation, plan)
    return plan


def _build(plan: OutputPlan, values: dict[str, Any]) -> Any:
    construct = plan.construct
    return values if construct is None else construct(values)


def parse_response(
    operation: OperationSpec,
    status: int,
    headers: Mapping[str, str],
    body: bytes | bytearray | memoryview,
) -> Any:
    """The output model of a successful response, or ``None`` when the operation has none.

    ``headers`` must have lower-cased names (as :class:`~aiosagemaker_runtime._http.HTTPResponse`
    gives them).
    """
    plan = _operation_output(operation)
    if plan is None:
        return None
    return _build(plan, parse_members(plan, status, headers, body))


def parse_stream_output(
    operation: OperationSpec, status: int, headers: Mapping[str, str], stream: Any
) -> Any:
    """The output model of an event-stream response: header and status members from the
    HTTP response, and ``stream`` in the event-stream member."""
    plan = _operation_output(operation)
    if plan is None:
        raise TypeError(f"operation {operation.name} has no output")
    values = parse_members(plan, status, headers, None)
    attr = operation.event_stream_output or plan.payload_attr
    if attr:
        values[attr] = stream
    return _build(plan, values)


def request_id(headers: Mapping[str, str]) -> str | None:
    """The request id of a response: ``x-amzn-RequestId``, else ``x-amz-request-id``."""
    value = headers.get("x-amzn-requestid")
    if value is None:
        value = headers.get("x-amz-request-id")
    return value
