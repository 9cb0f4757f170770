"""Find the model features the generator cannot generate, as :class:`~codegen.ir.Problem` values."""

from __future__ import annotations

from . import ir, javaregex
from .names import member_attr
from .spec import Member, Model, Operation, Shape
from .types import INT_TYPES, SCALAR_TYPES

__all__ = ["find_problems"]

_LOCATIONS = frozenset({"", "uri", "querystring", "header", "headers", "statusCode"})
_TIMESTAMP_FORMATS = frozenset({"", "iso8601", "rfc822", "unixTimestamp"})
_HTTP2_SETTINGS = frozenset({"", "optional", "required", "eventstream"})
# What the event-stream encoding can carry: header value types, payload kinds.
_EVENT_HEADER_TYPES = frozenset(
    {"string", "boolean", "byte", "short", "integer", "long", "blob", "timestamp"}
)
_EVENT_PAYLOAD_TYPES = frozenset({"blob", "string", "structure"})


class _Checker:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.shapes = model.shapes
        self.problems: list[ir.Problem] = []

    def problem(self, shape: str, member: str, message: str) -> None:
        self.problems.append(ir.Problem(shape, member, message))

    def check_model(self, names: list[str]) -> None:
        protocol = self.model.metadata.get("protocol", "")
        protocols = self.model.metadata.get("protocols", [protocol])
        if protocol != "rest-json" and "rest-json" not in protocols:
            self.problem("metadata", "protocol", f"protocol {protocol!r} is not rest-json")
        if self.http2 not in _HTTP2_SETTINGS:
            self.problem("metadata", "protocolSettings", f"unknown h2 setting {self.http2!r}")
        for op in self.model.operations:
            for key in op.unknown:
                self.problem(op.name, "", f"unsupported operation trait {key!r}")
            for ref in (op.input, op.output, *op.errors):
                if ref and ref not in self.shapes:
                    self.problem(op.name, "", f"refers to the unknown shape {ref!r}")
            self.check_operation(op)
        for name in names:
            self.check_shape(self.shapes[name])

    def check_operation(self, op: Operation) -> None:
        input_stream = output_stream = False
        if op.input in self.shapes:
            for member in self.shapes[op.input].members:
                target = self.shapes.get(member.shape)
                if target is not None and target.event_stream:
                    input_stream = True
                    self.check_input_events(target)
        if op.output in self.shapes:
            output = self.shapes[op.output]
            for member in output.members:
                target = self.shapes.get(member.shape)
                if target is not None and target.event_stream:
                    output_stream = True
                    if output.payload != member.name:
                        self.problem(op.output, member.name, "an event stream must be the payload")
        if input_stream and not output_stream:
            self.problem(op.name, "", "an input event stream needs an output event stream")
        if self.http2 == "required" and not input_stream:
            self.problem(op.name, "", "HTTP/2 is required but there is no input event stream")

    @property
    def http2(self) -> str:
        settings = self.model.metadata.get("protocolSettings") or {}
        return str(settings.get("h2", "")) if isinstance(settings, dict) else ""

    def check_input_events(self, union: Shape) -> None:
        """The events a caller sends: structures whose members are headers, one payload
        or JSON body members (no exceptions: only the service sends those)."""
        for member in union.members:
            event = self.shapes.get(member.shape)
            if event is None:
                continue  # reported with the union's members
            if event.exception or event.type != "structure":
                self.problem(union.name, member.name, "an input event must be a structure")
                continue
            payloads = [m for m in event.members if m.event_payload]
            if len(payloads) > 1:
                self.problem(event.name, payloads[1].name, "an event has one payload member")
            for item in event.members:
                target = self.shapes.get(item.shape)
                if target is None:
                    continue
                if item.event_header and target.type not in _EVENT_HEADER_TYPES:
                    self.problem(event.name, item.name, f"an event header of type {target.type!r}")
                if item.event_payload and target.type not in _EVENT_PAYLOAD_TYPES:
                    self.problem(event.name, item.name, f"an event payload of type {target.type!r}")

    def check_shape(self, shape: Shape) -> None:
        for key in shape.unknown:
            self.problem(shape.name, "", f"unsupported shape trait {key!r}")
        known_types = SCALAR_TYPES | {"structure", "list", "map", "document"}
        if shape.type not in known_types:
            self.problem(shape.name, "", f"unsupported shape type {shape.type!r}")
        if shape.timestamp_format not in _TIMESTAMP_FORMATS:
            self.problem(shape.name, "", f"unknown timestampFormat {shape.timestamp_format!r}")
        if shape.pattern is not None and shape.type == "string":
            try:
                javaregex.translate(shape.pattern)
            except javaregex.RegexError as error:
                self.problem(shape.name, "", f"pattern cannot be translated: {error}")
        attrs: dict[str, str] = {}
        for member in shape.members:
            self.check_member(shape, member)
            attr = member_attr(shape, member)
            if attr in attrs:
                self.problem(
                    shape.name, member.name, f"its Python name {attr!r} is taken by {attrs[attr]}"
                )
            attrs[attr] = member.name
        if shape.payload and shape.payload not in {m.name for m in shape.members}:
            self.problem(shape.name, shape.payload, "the payload member does not exist")
        for name in shape.required:
            if name not in {m.name for m in shape.members}:
                self.problem(shape.name, name, "a required member does not exist")

    def check_member(self, shape: Shape, member: Member) -> None:
        for key in member.unknown:
            self.problem(shape.name, member.name, f"unsupported member trait {key!r}")
        target = self.shapes.get(member.shape)
        if target is None:
            self.problem(shape.name, member.name, f"refers to the unknown shape {member.shape!r}")
            return
        if member.location not in _LOCATIONS:
            self.problem(shape.name, member.name, f"unsupported location {member.location!r}")
        if member.timestamp_format not in _TIMESTAMP_FORMATS:
            self.problem(
                shape.name, member.name, f"unknown timestampFormat {member.timestamp_format!r}"
            )
        if target.exception and not shape.event_stream:
            self.problem(
                shape.name, member.name, "an error shape used as a member is not supported"
            )
        if target.event_stream and (member.location or shape.payload != member.name):
            self.problem(shape.name, member.name, "an event stream must be the payload")
        if member.location == "statusCode" and target.type not in INT_TYPES:
            self.problem(shape.name, member.name, "a statusCode member must be an integer")
        if member.location == "headers":
            value = self.shapes.get(target.value)
            if target.type != "map" or value is None or value.type != "string":
                self.problem(shape.name, member.name, "a headers member must be a map of strings")
        if member.location in {"header", "querystring"} and target.type in {
            "structure",
            "document",
        }:
            self.problem(shape.name, member.name, f"a structure bound to {member.location}")
        if member.location == "uri" and target.type not in SCALAR_TYPES - {"blob"}:
            self.problem(shape.name, member.name, "a URI label must be a scalar")


def find_problems(model: Model, names: list[str]) -> list[ir.Problem]:
    """Every problem of ``model`` in its operations and in the shapes ``names``."""
    checker = _Checker(model)
    checker.check_model(names)
    return checker.problems
