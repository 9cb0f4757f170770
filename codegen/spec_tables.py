"""The description tables of the generated ``operations.py``, which drive the runtime.

``SHAPES`` holds one ``ShapeSpec`` per reachable shape (its members' ``MemberSpec``:
wire names, HTTP bindings, timestamp formats, event-stream roles, constraints), each
operation gets an ``OperationSpec`` constant (method, URI, input, output, errors, host
prefix, the event-stream members of input and output, the service's HTTP/2 setting)
and ``SERVICE`` a ``ServiceSpec`` (identity, signing name, endpoint rules). The runtime serializes, signs and parses by
reading these values; nothing here is Python type information (see :mod:`codegen.pytypes`).
"""

from __future__ import annotations

from . import ir, naming
from .classify import ShapeIndex
from .names import member_attr
from .pytypes import pattern_source, str_literal
from .spec import Member, Model, Operation, Shape

__all__ = ["operation_consts", "service_call", "shape_specs"]


def shape_specs(index: ShapeIndex) -> tuple[tuple[str, ir.SpecCall], ...]:
    """``(shape name, ShapeSpec(...))`` for every reachable shape, by name."""
    return tuple((n, _shape_spec(index, index.shapes[n])) for n in index.names)


def operation_consts(model: Model, index: ShapeIndex) -> tuple[ir.OperationConst, ...]:
    """One ``OperationSpec`` constant per operation, in model order."""
    settings = model.metadata.get("protocolSettings") or {}
    http2 = str(settings.get("h2", "")) if isinstance(settings, dict) else ""
    return tuple(_operation_const(index, op, http2) for op in model.operations)


def service_call(
    model: Model,
    *,
    has_endpoint_rules: bool,
    botocore_name: str,
    custom_endpoint_as_is: bool = False,
) -> ir.SpecCall:
    """The ``ServiceSpec(...)`` of the service (``custom_endpoint_as_is``: see
    :mod:`codegen.endpoint_shortcut`)."""
    meta = model.metadata
    args: list[tuple[str, str]] = [
        ("service_id", str_literal(meta.get("serviceId", ""))),
        ("endpoint_prefix", str_literal(meta.get("endpointPrefix", ""))),
        (
            "signing_name",
            str_literal(meta.get("signingName") or meta.get("endpointPrefix", "")),
        ),
        ("api_version", str_literal(meta.get("apiVersion", ""))),
        ("protocol", str_literal("rest-json")),
        ("shapes", "SHAPES"),
        ("errors", "ERRORS"),
    ]
    if has_endpoint_rules:
        args.append(("endpoint_rules", "_endpoint_rules"))
    if botocore_name:
        args.append(("botocore_name", str_literal(botocore_name)))
    if custom_endpoint_as_is:
        args.append(("custom_endpoint_as_is", "True"))
    return ir.SpecCall("ServiceSpec", tuple(args))


def _member_spec(index: ShapeIndex, shape: Shape, member: Member) -> ir.SpecCall:
    target = index.shapes[member.shape]
    attr = member_attr(shape, member)
    args: list[tuple[str, str]] = [
        ("name", str_literal(member.name)),
        ("attr", str_literal(attr)),
        ("target", str_literal(member.shape)),
    ]
    if member.location:
        args.append(("location", str_literal(member.location)))
        wire = (
            member.location_name
            if member.location_name or member.location == "headers"
            else member.name
        )
        if member.location != "statusCode":
            args.append(("wire_name", str_literal(wire)))
    else:
        args.append(("wire_name", str_literal(member.location_name or member.name)))
    fmt = member.timestamp_format or target.timestamp_format
    if fmt:
        args.append(("timestamp_format", str_literal(fmt)))
    flags = [
        ("json_value", member.json_value),
        ("idempotency_token", member.idempotency_token),
        ("host_label", member.host_label),
        ("event_header", member.event_header),
        ("event_payload", member.event_payload),
        # An input event stream is sent on the returned stream, never passed.
        (
            "required",
            member.name in shape.required and not index.is_input_stream(shape.name, member),
        ),
    ]
    args.extend((key, "True") for key, value in flags if value)
    return ir.SpecCall("MemberSpec", tuple(args))


def _shape_spec(index: ShapeIndex, shape: Shape) -> ir.SpecCall:
    kind = shape.type
    if kind == "structure" and shape.document:
        kind = "document"
    elif kind == "structure" and shape.union:
        kind = "union"
    args: list[tuple[str, str]] = [
        ("name", str_literal(shape.name)),
        ("type", str_literal(kind)),
    ]
    if shape.members:
        members = ", ".join(_member_spec(index, shape, m).source() for m in shape.members)
        args.append(("members", f"({members},)"))
    for key, value in (("member", shape.member), ("key", shape.key), ("value", shape.value)):
        if value:
            args.append((key, str_literal(value)))
    if shape.payload:
        attr = naming.safe_attr(naming.snake_case(shape.payload))
        args.append(("payload", str_literal(attr)))
    if shape.timestamp_format:
        args.append(("timestamp_format", str_literal(shape.timestamp_format)))
    flags = [
        ("streaming", shape.streaming or shape.name in index.payload_blobs),
        ("event_stream", shape.event_stream),
        ("event", shape.event),
        ("exception", shape.exception),
        ("fault", shape.fault),
        ("sensitive", shape.sensitive),
    ]
    args.extend((key, "True") for key, value in flags if value)
    for key, bound in (("min", shape.min), ("max", shape.max)):
        if isinstance(bound, int) and not isinstance(bound, bool):
            args.append((key, repr(bound)))
        elif isinstance(bound, float) and bound.is_integer():
            args.append((key, repr(int(bound))))
    pattern = pattern_source(shape)
    if pattern is not None:
        args.append(("pattern", pattern))
    if shape.type == "string" and shape.enum:
        values = ", ".join(str_literal(v) for v in shape.enum)
        args.append(("enum", f"({values},)"))
    if shape.exception:
        if shape.status_code:
            args.append(("status_code", repr(shape.status_code)))
        args.append(("error_code", str_literal(shape.error_code or shape.name)))
    if shape.name in index.class_names:
        cls = index.class_names[shape.name]
        # Model classes are created on first use (codegen.grouping); errors are plain classes.
        ref = cls if shape.exception else f'class_loader(models, "{cls}")'
        args.append(("class_ref", ref))
    return ir.SpecCall("ShapeSpec", tuple(args))


def _operation_const(index: ShapeIndex, op: Operation, http2: str) -> ir.OperationConst:
    args: list[tuple[str, str]] = [
        ("name", str_literal(op.name)),
        ("method", str_literal(op.method)),
        ("uri", str_literal(op.request_uri)),
        ("input", str_literal(op.input)),
        ("output", str_literal(op.output)),
        ("shapes", "SHAPES"),
    ]
    if op.errors:
        args.append(("errors", "(" + ", ".join(str_literal(e) for e in op.errors) + ",)"))
    if op.response_code != 200:
        args.append(("success_code", repr(op.response_code)))
    if op.host_prefix:
        args.append(("host_prefix", str_literal(op.host_prefix)))
    if op.auth_type:
        args.append(("auth_type", str_literal(op.auth_type)))
    stream_attr = index.event_stream_attr(op.output)
    if stream_attr:
        args.append(("event_stream_output", str_literal(stream_attr)))
    if op.input in index.input_streams:
        args.append(("event_stream_input", str_literal(index.event_stream_attr(op.input))))
    if http2:
        args.append(("http2", str_literal(http2)))
    return ir.OperationConst(
        naming.constant_name(op.name), ir.SpecCall("OperationSpec", tuple(args))
    )
