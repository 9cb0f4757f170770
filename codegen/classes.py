"""The classes of the generated ``models.py`` and ``errors.py``.

A structure becomes a pydantic model (fields with their wire names as aliases, the
sensitive fields and the event-stream attribute noted on the class), or, for an error
shape, a ``ServiceError`` subclass. Models are ordered so that a class is defined before
the classes that use it; those in reference cycles are rebuilt once all exist.
"""

from __future__ import annotations

import dataclasses
import re

from . import docs, ir, naming
from .classify import ShapeIndex
from .names import member_attr
from .pytypes import Annotator, literal_type
from .spec import Shape

__all__ = ["error_classes", "model_classes"]

_HEADER_LOCATIONS = frozenset({"uri", "querystring", "header", "headers"})
_BUILTIN_TYPES = frozenset({"bool", "bytes", "dict", "float", "int", "list", "str"})


def model_classes(
    index: ShapeIndex, types: Annotator, problems: list[ir.Problem]
) -> tuple[ir.ModelClass, ...]:
    """The model classes, dependencies first; what cannot be generated goes to ``problems``."""
    order, cyclic = _order_classes(index, index.structures)
    models = []
    for name in order:
        cls = _model_class(index, types, index.shapes[name], problems)
        if name in cyclic:
            cls = dataclasses.replace(cls, rebuild=True)
        models.append(cls)
    return tuple(models)


def error_classes(index: ShapeIndex, types: Annotator) -> tuple[ir.ErrorClass, ...]:
    """The error classes, by shape name."""
    return tuple(_error_class(index, types, index.shapes[n]) for n in index.errors)


def _sensitive(index: ShapeIndex, name: str) -> bool:
    shape = index.shapes[name]
    if shape.sensitive:
        return True
    if shape.type == "list":
        return index.shapes[shape.member].sensitive
    if shape.type == "map":
        return index.shapes[shape.value].sensitive
    return False


def _model_class(
    index: ShapeIndex, types: Annotator, shape: Shape, problems: list[ir.Problem]
) -> ir.ModelClass:
    input_ctx = shape.name in index.input_shapes
    fields = []
    sensitive = []
    event_stream_attr = ""
    for member in shape.members:
        if index.is_input_stream(shape.name, member):
            continue  # its events are sent on the stream the call returns
        attr = naming.safe_attr(naming.snake_case(member.name))
        target = index.shapes[member.shape]
        bound = member.location in _HEADER_LOCATIONS or member.host_label
        header = input_ctx and bound and not member.json_value
        annotation = types.type_of(
            member.shape,
            input_ctx=input_ctx,
            header=header,
            payload=shape.payload == member.name,
        )
        if member.json_value:
            annotation = "JsonValue"
        if member.enum and input_ctx:
            annotation = literal_type(member.enum)
        if target.event_stream:
            event_stream_attr = attr
        required = member.name in shape.required and not member.idempotency_token
        fields.append(ir.ModelField(attr, member.name, annotation, required))
        if _sensitive(index, member.shape):
            sensitive.append(attr)
    shadowed = {f.attr for f in fields} & _BUILTIN_TYPES
    if shadowed:
        # A field named like a builtin type hides it inside the class body.
        fields = [
            dataclasses.replace(f, annotation=_qualify_builtins(f.annotation, shadowed))
            for f in fields
        ]
    if "datetime" in {f.attr for f in fields}:
        problems.append(
            ir.Problem(shape.name, "", "a member named like the datetime type is not supported")
        )
    base = "EventStreamOutput" if event_stream_attr else "Shape"
    if shape.name in index.duplex_outputs:
        stream = next(m for m in shape.members if index.shapes[m.shape].event_stream)
        sent = " | ".join(index.event_classes(index.duplex_outputs[shape.name])) or "Any"
        received = " | ".join(index.event_classes(stream.shape)) or "Any"
        base = f"DuplexStreamOutput[{sent}, {received}]"
    return ir.ModelClass(
        name=index.class_names[shape.name],
        base=base,
        doc=docs.summary(shape.documentation) or f"The ``{shape.name}`` structure.",
        fields=tuple(fields),
        sensitive=tuple(sensitive),
        event_stream_attr=event_stream_attr,
        union=shape.union,
    )


def _qualify_builtins(annotation: str, names: set[str]) -> str:
    return re.sub(r"(?<![\w.])(" + "|".join(sorted(names)) + r")\b", r"builtins.\1", annotation)


def _order_classes(index: ShapeIndex, names: list[str]) -> tuple[list[str], set[str]]:
    """Dependencies first (ties by name); shapes in reference cycles are returned too."""
    shapes = index.shapes
    order: list[str] = []
    state: dict[str, int] = {}
    cyclic: set[str] = set()

    def deps(name: str) -> list[str]:
        found: set[str] = set()
        stack = [m.shape for m in shapes[name].members]
        if name in index.duplex_outputs:  # the base class names the input events
            stack.append(index.duplex_outputs[name])
        while stack:
            dep = stack.pop()
            shape = shapes.get(dep)
            if shape is None or dep in found:
                continue
            found.add(dep)
            if shape.type in {"list", "map"} or shape.event_stream:
                stack.extend(s for s in (shape.member, shape.key, shape.value) if s)
                stack.extend(m.shape for m in shape.members)
        return sorted(d for d in found if d in index.class_names and not shapes[d].exception)

    def visit(name: str) -> None:
        state[name] = 1
        for dep in deps(name):
            if state.get(dep) == 1:
                cyclic.update({dep, name})
            elif dep not in state:
                visit(dep)
        state[name] = 2
        order.append(name)

    for name in names:
        if name not in state:
            visit(name)
    return order, cyclic


def _error_class(index: ShapeIndex, types: Annotator, shape: Shape) -> ir.ErrorClass:
    attrs = []
    for member in shape.members:
        attr = member_attr(shape, member)
        if attr == "message":
            continue
        attrs.append(ir.ErrorAttr(attr, f"{types.plain_type(member.shape)} | None"))
    return ir.ErrorClass(
        name=index.class_names[shape.name],
        doc=docs.summary(shape.documentation) or f"The ``{shape.name}`` error.",
        code=shape.error_code or shape.name,
        status_code=shape.status_code,
        fault=shape.fault,
        attrs=tuple(attrs),
    )
