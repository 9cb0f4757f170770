"""rest-json response parsing, driven by the generated shape tables.

Mirrors botocore's ``RestJSONParser`` on the wire: header members (case-insensitive,
typed), ``headers`` prefix maps, ``statusCode`` members, a blob payload as the body
bytes, a string payload as text, a structure payload or the output's body members from
the JSON body, an event-stream member handed the caller's stream. How each value is
read (timestamps, blobs, header lists, nested structures) is :mod:`.parse_values`.
Outputs are built with ``model_construct``: a response is never refused for a value
outside the model's constraints.

Plans are compiled once per shape table and shape (and per operation) and cached by
identity (the tables are immutable module constants in generated code).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._spec import OperationSpec, ShapeSpec
from .parse_values import (
    Reader,
    _header_reader,
    _table,
    constructor,
    json_reader,
    parse_json_body,
)

__all__ = [
    "OutputPlan",
    "output_plan",
    "parse_members",
    "parse_response",
    "parse_stream_output",
    "request_id",
]


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
