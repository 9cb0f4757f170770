"""Which shapes the generator emits, and as what: the first step of :mod:`codegen.build`.

:func:`reachable` finds the shapes reached from the operations (and every error shape),
split into request and response sides. After the model has passed the checks,
:func:`classify` decides what each of them becomes: a model or error class, a
type alias for a constrained scalar or a streaming payload blob, or an inline type.
Every later step reads the resulting :class:`ShapeIndex` instead of deciding again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from . import naming
from .imports import RESERVED
from .spec import Member, Model, Shape
from .types import FLOAT_TYPES, INT_TYPES

__all__ = ["Reachable", "ShapeIndex", "classify", "reachable", "walk"]


@dataclass(frozen=True)
class Reachable:
    """The shapes the operations reach, sorted by name, and on which side they are used."""

    names: tuple[str, ...]
    input_shapes: frozenset[str]
    output_shapes: frozenset[str]


def walk(shapes: Mapping[str, Shape], root: str, seen: set[str]) -> None:
    """Add ``root`` and every shape it reaches to ``seen``."""
    stack = [root]
    while stack:
        name = stack.pop()
        if name in seen or name not in shapes:
            continue
        seen.add(name)
        shape = shapes[name]
        stack.extend(m.shape for m in shape.members)
        stack.extend(s for s in (shape.member, shape.key, shape.value) if s)


def reachable(model: Model) -> Reachable:
    """The shapes reached from operation inputs (requests) and from outputs and errors."""
    shapes = model.shapes
    inputs: set[str] = set()
    outputs: set[str] = set()
    for op in model.operations:
        if op.input:
            walk(shapes, op.input, inputs)
        for name in (op.output, *op.errors):
            if name:
                walk(shapes, name, outputs)
    for name, shape in shapes.items():
        if shape.exception:
            walk(shapes, name, outputs)
    return Reachable(tuple(sorted(inputs | outputs)), frozenset(inputs), frozenset(outputs))


@dataclass(frozen=True)
class ShapeIndex:
    """Every reachable shape with what it is generated as."""

    shapes: Mapping[str, Shape]
    names: tuple[str, ...]
    """Reachable shapes, sorted by name."""
    input_shapes: frozenset[str]
    output_shapes: frozenset[str]
    payload_blobs: frozenset[str]
    """Blob shapes that are the payload of a request: streamed, with a ``BlobPayload`` alias."""
    class_names: Mapping[str, str]
    """Structure shape -> its model or error class."""
    alias_names: Mapping[str, str]
    """Constrained scalar or payload blob shape -> its type alias."""
    input_streams: Mapping[str, str] = field(default_factory=dict)
    """Operation input with an event-stream member (sent on a duplex stream, not an
    argument) -> that member's name."""
    duplex_outputs: Mapping[str, str] = field(default_factory=dict)
    """Output of an operation with an input event stream -> the input event union."""

    @property
    def structures(self) -> list[str]:
        """Shapes generated as model classes (structures that are not errors)."""
        return [n for n in self.names if n in self.class_names and not self.shapes[n].exception]

    @property
    def errors(self) -> list[str]:
        """Shapes generated as error classes."""
        return [n for n in self.names if self.shapes[n].exception]

    def event_classes(self, union_name: str) -> list[str]:
        """The classes of the events (not the errors) of an event-stream union."""
        union = self.shapes[union_name]
        return [
            self.class_names[m.shape] for m in union.members if not self.shapes[m.shape].exception
        ]

    def is_input_stream(self, shape_name: str, member: Member) -> bool:
        """Whether ``member`` of ``shape_name`` is an operation's input event stream."""
        return self.input_streams.get(shape_name) == member.name

    def event_stream_attr(self, shape_name: str) -> str:
        """The attribute of the event-stream member of ``shape_name`` ("" if none)."""
        shape = self.shapes.get(shape_name)
        if shape is None:
            return ""
        for member in shape.members:
            if self.shapes[member.shape].event_stream:
                return naming.safe_attr(naming.snake_case(member.name))
        return ""


def _payload_blobs(shapes: Mapping[str, Shape], input_shapes: frozenset[str]) -> frozenset[str]:
    found: set[str] = set()
    for name in input_shapes:
        shape = shapes[name]
        if shape.payload:
            member = next((m for m in shape.members if m.name == shape.payload), None)
            target = shapes.get(member.shape) if member else None
            if target is not None and target.type == "blob":
                found.add(target.name)
    return frozenset(found)


def _needs_alias(shape: Shape, payload_blobs: frozenset[str]) -> bool:
    if shape.type == "blob":
        return shape.name in payload_blobs
    if shape.type == "string":
        return bool(shape.enum or shape.pattern is not None or shape.min or shape.max is not None)
    if shape.type in INT_TYPES | FLOAT_TYPES:
        return shape.min is not None or shape.max is not None
    return False


def _stream_member(shapes: Mapping[str, Shape], name: str) -> Member | None:
    shape = shapes.get(name) if name else None
    if shape is None:
        return None
    return next((m for m in shape.members if shapes[m.shape].event_stream), None)


def classify(model: Model, reach: Reachable) -> ShapeIndex:
    """Name the classes and aliases of the reachable shapes (the model passed the checks)."""
    shapes = model.shapes
    payload_blobs = _payload_blobs(shapes, reach.input_shapes)
    taken = set(RESERVED)
    class_names: dict[str, str] = {}
    alias_names: dict[str, str] = {}
    for name in reach.names:
        shape = shapes[name]
        if shape.type == "structure" and not shape.event_stream and not shape.document:
            cls = naming.class_name(name, frozenset(taken))
            class_names[name] = cls
            taken.add(cls)
    for name in reach.names:
        if _needs_alias(shapes[name], payload_blobs):
            alias = naming.class_name(name, frozenset(taken))
            alias_names[name] = alias
            taken.add(alias)
    input_streams: dict[str, str] = {}
    duplex_outputs: dict[str, str] = {}
    for op in model.operations:
        stream = _stream_member(shapes, op.input)
        if stream is not None:
            input_streams[op.input] = stream.name
            if _stream_member(shapes, op.output) is not None:
                duplex_outputs[op.output] = stream.shape
    return ShapeIndex(
        input_streams=input_streams,
        duplex_outputs=duplex_outputs,
        shapes=shapes,
        names=reach.names,
        input_shapes=reach.input_shapes,
        output_shapes=reach.output_shapes,
        payload_blobs=payload_blobs,
        class_names=class_names,
        alias_names=alias_names,
    )
