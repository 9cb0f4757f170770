"""Event-stream messages as values: the generated event models and service errors.

For a response-stream operation, :func:`event_plan` says once (cached per operation)
where each member of the output's event union keeps its fields: its event payload (a
blob, a string or JSON), its header members, its JSON body members. :func:`convert`
turns one decoded message into the event it carries, or raises what it reports: a
modeled exception event as its generated :class:`~aiosagemaker_runtime.ServiceError`
subclass, an ``:message-type error`` frame as ``ServiceError`` with its
``:error-code``. Sans-IO: :class:`~.streams.EventStream` reads and decodes the frames.

JSON members are converted by ``rest_json``'s deserializer, imported on first use.
"""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from .._exceptions import ServiceError
from .._spec import MemberSpec, OperationSpec, ServiceSpec, ShapeSpec
from .parse_values import constructor

if TYPE_CHECKING:
    from .eventstream import Message

__all__ = ["EventMember", "EventPlan", "convert", "event_plan"]

# Error fields ServiceError's constructor takes itself; a member with one of these
# attribute names is set after construction instead.
_RESERVED = frozenset({"message", "code", "status_code", "request_id", "headers"})


class EventMember(NamedTuple):
    """How to turn one member of the event-stream union into a value or an exception."""

    name: str
    shape: ShapeSpec
    payload: MemberSpec | None
    payload_type: str
    headers: tuple[MemberSpec, ...]
    body: tuple[MemberSpec, ...]
    #: Builds the event's model from attribute values (``parse_values.constructor``).
    construct: Callable[[dict[str, Any]], Any] | None = None


class EventPlan(NamedTuple):
    """Where the members of an operation's event union keep their fields."""

    shapes: Mapping[str, ShapeSpec]
    events: Mapping[str, EventMember]
    errors: Mapping[str, EventMember]


_PLANS: dict[int, tuple[OperationSpec, EventPlan]] = {}


def event_plan(operation: OperationSpec) -> EventPlan:
    """The plan of ``operation``'s event-stream output, built once per operation."""
    cached = _PLANS.get(id(operation))
    if cached is not None and cached[0] is operation:
        return cached[1]
    shapes = operation.shapes
    output = shapes.get(operation.output)
    member = None
    if output is not None and operation.event_stream_output:
        member = next((m for m in output.members if m.attr == operation.event_stream_output), None)
    if member is None or member.target not in shapes:
        raise TypeError(f"operation {operation.name} has no event-stream output member")
    union = shapes[member.target]
    events: dict[str, EventMember] = {}
    errors: dict[str, EventMember] = {}
    for event_member in union.members:
        shape = shapes[event_member.target]
        payload = next((m for m in shape.members if m.event_payload), None)
        entry = EventMember(
            name=event_member.name,
            shape=shape,
            payload=payload,
            payload_type=shapes[payload.target].type if payload is not None else "",
            headers=tuple(m for m in shape.members if m.event_header),
            body=tuple(m for m in shape.members if not m.event_header and not m.event_payload),
            construct=None if shape.exception else constructor(shape),
        )
        (errors if shape.exception else events)[event_member.name] = entry
    plan = EventPlan(shapes=shapes, events=events, errors=errors)
    _PLANS[id(operation)] = (operation, plan)
    return plan


_deserialize_json: Callable[[Mapping[str, ShapeSpec], str, Any], Any] | None = None


def _from_json(shapes: Mapping[str, ShapeSpec], name: str, value: Any) -> Any:
    """A JSON value of shape ``name`` as the generated models hold it."""
    global _deserialize_json
    if _deserialize_json is None:
        try:
            protocol = importlib.import_module("aiosagemaker_runtime._protocol.rest_json")
            _deserialize_json = protocol.deserialize_json
        except (ImportError, AttributeError):
            _deserialize_json = _local_from_json
    return _deserialize_json(shapes, name, value)


def _local_from_json(shapes: Mapping[str, ShapeSpec], name: str, value: Any) -> Any:
    shape = shapes.get(name)
    if shape is None or value is None:
        return value
    kind = shape.type
    cls = shape.cls if kind in ("structure", "union") else None
    if cls is not None and isinstance(value, dict):
        fields = {}
        for member in shape.members:
            key = member.wire_name or member.name
            if key in value:
                fields[member.attr] = _local_from_json(shapes, member.target, value[key])
        return cls.model_construct(**fields)
    if kind == "list" and isinstance(value, list):
        return [_local_from_json(shapes, shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _local_from_json(shapes, shape.value, v) for k, v in value.items()}
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if kind == "timestamp" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return value


def _json_body(payload: bytes) -> Any:
    if not payload:
        return {}
    try:
        return json.loads(payload)
    except ValueError:
        return None


def convert(
    message: Message,
    raw: bool,
    plan: EventPlan,
    service: ServiceSpec,
    request_id: str | None,
) -> Any:
    """The event ``message`` carries (``raw``: its blob payload), ``None`` when there is none
    (an unknown event type, a non-blob payload when ``raw``, another message type).

    Raises the error an exception event or an error frame reports.
    """
    headers = message.headers
    kind = headers.get(":message-type", "event")
    if kind == "event":
        event = plan.events.get(str(headers.get(":event-type")))
        if event is None:
            return None
        if raw:
            return message.payload if event.payload_type == "blob" else None
        return _build_event(plan, event, message)
    if kind == "exception":
        raise _build_error(
            plan, service, request_id, str(headers.get(":exception-type", "")), message
        )
    if kind == "error":
        code = str(headers.get(":error-code", ""))
        cls = service.errors.get(code, ServiceError)
        raise cls(
            str(headers.get(":error-message", "")),
            code=code,
            status_code=None,
            request_id=request_id,
        )
    return None


def _build_event(plan: EventPlan, event: EventMember, message: Message) -> Any:
    shapes = plan.shapes
    fields: dict[str, Any] = {}
    if event.payload is not None:
        payload = message.payload
        if event.payload_type == "blob":
            fields[event.payload.attr] = payload
        elif event.payload_type == "string":
            fields[event.payload.attr] = payload.decode("utf-8", "replace")
        elif payload:
            fields[event.payload.attr] = _from_json(
                shapes, event.payload.target, _json_body(payload)
            )
    elif event.body:
        body = _json_body(message.payload)
        if isinstance(body, dict):
            for member in event.body:
                key = member.wire_name or member.name
                if key in body:
                    fields[member.attr] = _from_json(shapes, member.target, body[key])
    for member in event.headers:
        value = message.headers.get(member.wire_name or member.name)
        if value is not None:
            fields[member.attr] = value
    if event.construct is None:
        return fields
    return event.construct(fields)


def _build_error(
    plan: EventPlan, service: ServiceSpec, request_id: str | None, code: str, message: Message
) -> ServiceError:
    event = plan.errors.get(code)
    shape_cls = event.shape.cls if event is not None else None
    cls: type[ServiceError]
    if isinstance(shape_cls, type) and issubclass(shape_cls, ServiceError):
        cls = shape_cls
    else:
        errors = service.errors
        cls = errors.get(code) or (event and errors.get(event.shape.error_code)) or ServiceError
    body = _json_body(message.payload)
    text = ""
    fields: dict[str, Any] = {}
    if isinstance(body, dict):
        text = str(body.get("message") or body.get("Message") or "")
        members = event.body if event is not None else ()
        for member in members:
            key = member.wire_name or member.name
            if key in body and member.attr not in _RESERVED:
                fields[member.attr] = _from_json(plan.shapes, member.target, body[key])
    elif message.payload:
        text = message.payload.decode("utf-8", "replace")
    if event is not None:
        for member in event.headers:
            value = message.headers.get(member.wire_name or member.name)
            if value is not None and member.attr not in _RESERVED:
                fields[member.attr] = value
    error: ServiceError = cls(text, code=code, status_code=None, request_id=request_id, **fields)
    return error
