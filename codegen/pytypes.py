"""Shapes as Python types, written as source text for the generated modules.

A shape becomes a different annotation depending on where it is used: as a model field
(:meth:`Annotator.type_of`, with its constraints), as a keyword argument of a client
method (:meth:`Annotator.param_type`, what callers may pass) or as an error attribute
(:meth:`Annotator.plain_type`). Constrained scalars are named type aliases, created
when a field first uses them and collected by :meth:`Annotator.aliases`.
"""

from __future__ import annotations

import contextlib

from . import docs, ir, javaregex
from .classify import ShapeIndex
from .spec import Shape
from .types import FLOAT_TYPES, INT_TYPES

__all__ = ["Annotator", "bounds", "length_args", "literal_type", "pattern_source", "str_literal"]


def str_literal(value: str) -> str:
    """``value`` as a double-quoted Python string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal_type(values: tuple[str, ...]) -> str:
    """``Literal[...]`` of the string ``values`` (an enum)."""
    return "Literal[" + ", ".join(str_literal(v) for v in values) + "]"


def pattern_source(shape: Shape) -> str | None:
    """The ``pattern`` of a string shape as a raw-string literal of the Python regex, or
    None when there is none or it cannot be translated (the checks report that)."""
    if shape.type != "string" or shape.pattern is None:
        return None
    with contextlib.suppress(javaregex.RegexError):
        # The translation escapes quotes and non-printable characters, so a raw string holds it.
        return f'r"{javaregex.translate(shape.pattern)}"'
    return None


def length_args(shape: Shape, low: str, high: str) -> str:
    """Keyword arguments for the bounds of ``shape`` (``low=min, high=max``)."""
    args = []
    if shape.min is not None and (shape.min != 0 or low == "ge"):
        args.append(f"{low}={shape.min!r}")
    if shape.max is not None:
        args.append(f"{high}={shape.max!r}")
    return ", ".join(args)


def bounds(shape: Shape, numeric: bool = False) -> str:
    """The ``annotated_types`` constraint for the bounds of ``shape``, ``""`` if none:
    lengths (strings, blobs, lists, maps) or, with ``numeric``, values.

    pydantic reads these as it reads ``Field(min_length=..)`` (same checks, same error
    types), and they cost a fraction of a ``Field`` to create (~0.5 vs ~10 us each).
    """
    low = shape.min if shape.min is not None and (shape.min != 0 or numeric) else None
    high = shape.max
    if numeric:
        if low is not None and high is not None:
            return f"Interval(ge={low!r}, le={high!r})"
        return f"Ge({low!r})" if low is not None else (f"Le({high!r})" if high is not None else "")
    if low is not None and high is not None:
        return f"Len({low!r}, {high!r})"
    return (
        f"MinLen({low!r})" if low is not None else (f"MaxLen({high!r})" if high is not None else "")
    )


class Annotator:
    """Annotations of the shapes of ``index``, collecting the type aliases they use."""

    def __init__(self, index: ShapeIndex) -> None:
        self.index = index
        self.shapes = index.shapes
        self._aliases: dict[str, ir.Alias] = {}

    def aliases(self) -> tuple[ir.Alias, ...]:
        """The aliases used so far, sorted by name."""
        return tuple(self._aliases[n] for n in sorted(self._aliases))

    def alias_for(self, shape: Shape) -> str:
        """The name of the type alias of ``shape``, defined on first use."""
        name = self.index.alias_names[shape.name]
        if name in self._aliases:
            return name
        doc = docs.summary(shape.documentation, 200)
        if shape.type == "blob":
            args = length_args(shape, "min_length", "max_length")
            self._aliases[name] = ir.Alias(name, f"blob_payload({args})", doc, "BlobPayload")
            return name
        if shape.type == "string" and shape.enum:
            self._aliases[name] = ir.Alias(name, literal_type(shape.enum), doc)
            return name
        base = "str" if shape.type == "string" else ("int" if shape.type in INT_TYPES else "float")
        parts = [base]
        constraint = bounds(shape, numeric=shape.type != "string")
        if constraint:
            parts.append(constraint)
        pattern = pattern_source(shape)
        if pattern is not None:
            parts.append(f"pattern({pattern})")
        self._aliases[name] = ir.Alias(name, f"Annotated[{', '.join(parts)}]", doc)
        return name

    def type_of(self, name: str, *, input_ctx: bool, header: bool, payload: bool = False) -> str:
        """The annotation of a value of shape ``name`` as a model field."""
        shape = self.shapes[name]
        kind = shape.type
        alias_names = self.index.alias_names
        if kind == "string":
            if shape.enum and not input_ctx:
                text = "str"
            elif name in alias_names:
                text = self.alias_for(shape)
            else:
                text = "str"
            return f"Annotated[{text}, HEADER_VALUE]" if header else text
        if kind in INT_TYPES or kind in FLOAT_TYPES:
            if name in alias_names:
                return self.alias_for(shape)
            return "int" if kind in INT_TYPES else "float"
        if kind == "boolean":
            return "bool"
        if kind == "timestamp":
            return "datetime"
        if kind == "blob":
            if payload and input_ctx and name in alias_names:
                return self.alias_for(shape)
            constraint = bounds(shape)
            return f"Annotated[bytes, {constraint}]" if constraint else "bytes"
        if kind == "document" or shape.document:
            return "JsonValue"
        if kind == "list":
            elem = self.type_of(shape.member, input_ctx=input_ctx, header=header)
            if shape.sparse:
                elem += " | None"
            constraint = bounds(shape)
            return f"Annotated[list[{elem}], {constraint}]" if constraint else f"list[{elem}]"
        if kind == "map":
            key = self.type_of(shape.key, input_ctx=input_ctx, header=header)
            value = self.type_of(shape.value, input_ctx=input_ctx, header=header)
            if shape.sparse:
                value += " | None"
            constraint = bounds(shape)
            text = f"dict[{key}, {value}]"
            return f"Annotated[{text}, {constraint}]" if constraint else text
        if shape.event_stream:
            events = [
                self.index.class_names[m.shape]
                for m in shape.members
                if not self.shapes[m.shape].exception
            ]
            return f"EventStream[{' | '.join(events) if events else 'Any'}]"
        return self.index.class_names[name]

    def plain_type(self, name: str) -> str:
        """The unconstrained Python type of shape ``name`` (error attributes)."""
        shape = self.shapes[name]
        kind = shape.type
        if kind in ("list", "map"):
            if kind == "list":
                return f"list[{self.plain_type(shape.member)}]"
            return f"dict[{self.plain_type(shape.key)}, {self.plain_type(shape.value)}]"
        if kind == "blob":
            return "bytes"
        if kind == "string":
            return "str"
        if kind in INT_TYPES | FLOAT_TYPES:
            return "int" if kind in INT_TYPES else "float"
        return self.param_type(name).split(" | ")[0]

    def param_type(self, name: str, *, payload: bool = False) -> str:
        """The annotation of a keyword argument of shape ``name`` (what callers may pass)."""
        shape = self.shapes[name]
        kind = shape.type
        if kind == "string":
            return self.index.alias_names.get(name, "str") if shape.enum else "str"
        if kind in INT_TYPES:
            return "int"
        if kind in FLOAT_TYPES:
            return "float"
        if kind == "boolean":
            return "bool"
        if kind == "timestamp":
            return "datetime | str | int | float"
        if kind == "blob":
            return "BlobPayload" if payload else "bytes | bytearray | str"
        if kind == "document" or shape.document:
            return "JsonValue"
        if kind == "list":
            elem = self.param_type(shape.member)
            return f"Sequence[{elem} | None]" if shape.sparse else f"Sequence[{elem}]"
        if kind == "map":
            return f"Mapping[{self.param_type(shape.key)}, {self.param_type(shape.value)}]"
        return f"{self.index.class_names[name]} | Mapping[str, Any]"
