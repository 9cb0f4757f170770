"""Model -> IR: resolve names, types, constraints and wire bindings.

Problems (features that cannot be generated) are collected as values, each naming the
shape and member that uses the feature; :func:`build` raises :class:`BuildError`
listing all of them, so one run shows everything that is wrong with a model.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re

from . import docs, ir, javaregex, naming
from .checks import find_problems
from .imports import RESERVED, WORD, imports_for
from .names import member_attr
from .spec import Member, Model, Operation, Shape
from .types import FLOAT_TYPES, INT_TYPES

__all__ = ["BuildError", "build"]

_HEADER_LOCATIONS = frozenset({"uri", "querystring", "header", "headers"})


class BuildError(Exception):
    """The model uses features the generator cannot generate."""

    def __init__(self, problems: list[ir.Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"cannot generate this model ({len(problems)} problem(s)):\n{lines}")


def _literal_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _raw_regex(regex: str) -> str:
    # The translation escapes quotes and non-printable characters, so a raw string holds it.
    return f'r"{regex}"'


class _Builder:
    def __init__(self, model: Model, *, has_endpoint_rules: bool, botocore_name: str, package: str):
        self.model = model
        self.shapes = model.shapes
        self.has_endpoint_rules = has_endpoint_rules
        self.botocore_name = botocore_name
        self.package = package
        self.problems: list[ir.Problem] = []
        self.input_shapes: set[str] = set()
        self.output_shapes: set[str] = set()
        self.payload_blobs: set[str] = set()
        self.class_names: dict[str, str] = {}
        self.alias_names: dict[str, str] = {}
        self.aliases: dict[str, ir.Alias] = {}

    def problem(self, shape: str, member: str, message: str) -> None:
        self.problems.append(ir.Problem(shape, member, message))

    # -- reachability ------------------------------------------------------------
    def walk(self, root: str, seen: set[str]) -> None:
        stack = [root]
        while stack:
            name = stack.pop()
            if name in seen or name not in self.shapes:
                continue
            seen.add(name)
            shape = self.shapes[name]
            stack.extend(m.shape for m in shape.members)
            stack.extend(s for s in (shape.member, shape.key, shape.value) if s)

    def reachable(self) -> list[str]:
        for op in self.model.operations:
            if op.input:
                self.walk(op.input, self.input_shapes)
            for name in (op.output, *op.errors):
                if name:
                    self.walk(name, self.output_shapes)
        for name, shape in self.shapes.items():
            if shape.exception:
                self.walk(name, self.output_shapes)
        return sorted(self.input_shapes | self.output_shapes)

    # -- names -----------------------------------------------------------------------
    def assign_names(self, names: list[str]) -> None:
        taken = set(RESERVED)
        for name in names:
            shape = self.shapes[name]
            if shape.type == "structure" and not shape.event_stream and not shape.document:
                cls = naming.class_name(name, frozenset(taken))
                self.class_names[name] = cls
                taken.add(cls)
        for name in names:
            shape = self.shapes[name]
            if self.needs_alias(shape):
                alias = naming.class_name(name, frozenset(taken))
                self.alias_names[name] = alias
                taken.add(alias)

    def needs_alias(self, shape: Shape) -> bool:
        if shape.type == "blob":
            return shape.name in self.payload_blobs
        if shape.type == "string":
            return bool(
                shape.enum or shape.pattern is not None or shape.min or shape.max is not None
            )
        if shape.type in INT_TYPES | FLOAT_TYPES:
            return shape.min is not None or shape.max is not None
        return False

    def find_payload_blobs(self) -> None:
        for name in self.input_shapes:
            shape = self.shapes[name]
            if shape.payload:
                member = next((m for m in shape.members if m.name == shape.payload), None)
                target = self.shapes.get(member.shape) if member else None
                if target is not None and target.type == "blob":
                    self.payload_blobs.add(target.name)

    # -- types -----------------------------------------------------------------------
    def alias_for(self, shape: Shape) -> str:
        name = self.alias_names[shape.name]
        if name in self.aliases:
            return name
        doc = docs.summary(shape.documentation, 200)
        if shape.type == "blob":
            args = self.length_args(shape, "min_length", "max_length")
            self.aliases[name] = ir.Alias(name, f"blob_payload({args})", doc, "BlobPayload")
            return name
        if shape.type == "string" and shape.enum:
            values = ", ".join(_literal_str(v) for v in shape.enum)
            self.aliases[name] = ir.Alias(name, f"Literal[{values}]", doc)
            return name
        base = "str" if shape.type == "string" else ("int" if shape.type in INT_TYPES else "float")
        parts = [base]
        if shape.type == "string":
            field_args = self.length_args(shape, "min_length", "max_length")
        else:
            field_args = self.length_args(shape, "ge", "le")
        if field_args:
            parts.append(f"Field({field_args})")
        if shape.type == "string" and shape.pattern is not None:
            with contextlib.suppress(javaregex.RegexError):  # reported by check_shape
                parts.append(f"pattern({_raw_regex(javaregex.translate(shape.pattern))})")
        self.aliases[name] = ir.Alias(name, f"Annotated[{', '.join(parts)}]", doc)
        return name

    @staticmethod
    def length_args(shape: Shape, low: str, high: str) -> str:
        args = []
        if shape.min is not None and (shape.min != 0 or low == "ge"):
            args.append(f"{low}={shape.min!r}")
        if shape.max is not None:
            args.append(f"{high}={shape.max!r}")
        return ", ".join(args)

    def type_of(self, name: str, *, input_ctx: bool, header: bool, payload: bool = False) -> str:
        """The annotation of a value of shape ``name`` as a model field."""
        shape = self.shapes[name]
        kind = shape.type
        if kind == "string":
            if shape.enum and not input_ctx:
                text = "str"
            elif name in self.alias_names:
                text = self.alias_for(shape)
            else:
                text = "str"
            return f"Annotated[{text}, HEADER_VALUE]" if header else text
        if kind in INT_TYPES or kind in FLOAT_TYPES:
            if name in self.alias_names:
                return self.alias_for(shape)
            return "int" if kind in INT_TYPES else "float"
        if kind == "boolean":
            return "bool"
        if kind == "timestamp":
            return "datetime"
        if kind == "blob":
            if payload and input_ctx and name in self.alias_names:
                return self.alias_for(shape)
            args = self.length_args(shape, "min_length", "max_length")
            return f"Annotated[bytes, Field({args})]" if args else "bytes"
        if kind == "document" or shape.document:
            return "JsonValue"
        if kind == "list":
            elem = self.type_of(shape.member, input_ctx=input_ctx, header=header)
            if shape.sparse:
                elem += " | None"
            args = self.length_args(shape, "min_length", "max_length")
            return f"Annotated[list[{elem}], Field({args})]" if args else f"list[{elem}]"
        if kind == "map":
            key = self.type_of(shape.key, input_ctx=input_ctx, header=header)
            value = self.type_of(shape.value, input_ctx=input_ctx, header=header)
            if shape.sparse:
                value += " | None"
            args = self.length_args(shape, "min_length", "max_length")
            text = f"dict[{key}, {value}]"
            return f"Annotated[{text}, Field({args})]" if args else text
        if shape.event_stream:
            events = [
                self.class_names[m.shape]
                for m in shape.members
                if not self.shapes[m.shape].exception
            ]
            return f"EventStream[{' | '.join(events) if events else 'Any'}]"
        return self.class_names[name]

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
            return self.alias_names.get(name, "str") if shape.enum else "str"
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
        return f"{self.class_names[name]} | Mapping[str, Any]"

    # -- classes -------------------------------------------------------------------
    def sensitive(self, name: str) -> bool:
        shape = self.shapes[name]
        if shape.sensitive:
            return True
        if shape.type == "list":
            return self.shapes[shape.member].sensitive
        if shape.type == "map":
            return self.shapes[shape.value].sensitive
        return False

    def model_class(self, shape: Shape) -> ir.ModelClass:
        input_ctx = shape.name in self.input_shapes
        fields = []
        sensitive = []
        event_stream_attr = ""
        for member in shape.members:
            attr = naming.safe_attr(naming.snake_case(member.name))
            target = self.shapes[member.shape]
            bound = member.location in _HEADER_LOCATIONS or member.host_label
            header = input_ctx and bound and not member.json_value
            annotation = self.type_of(
                member.shape,
                input_ctx=input_ctx,
                header=header,
                payload=shape.payload == member.name,
            )
            if member.json_value:
                annotation = "JsonValue"
            if member.enum and input_ctx:
                annotation = "Literal[" + ", ".join(_literal_str(v) for v in member.enum) + "]"
            if target.event_stream:
                event_stream_attr = attr
            required = member.name in shape.required and not member.idempotency_token
            fields.append(ir.ModelField(attr, member.name, annotation, required))
            if self.sensitive(member.shape):
                sensitive.append(attr)
        shadowed = {f.attr for f in fields} & _BUILTIN_TYPES
        if shadowed:
            # A field named like a builtin type hides it inside the class body.
            fields = [
                dataclasses.replace(f, annotation=_qualify_builtins(f.annotation, shadowed))
                for f in fields
            ]
        if "datetime" in {f.attr for f in fields}:
            self.problem(shape.name, "", "a member named like the datetime type is not supported")
        base = "EventStreamOutput" if event_stream_attr else "Shape"
        return ir.ModelClass(
            name=self.class_names[shape.name],
            base=base,
            doc=docs.summary(shape.documentation) or f"The ``{shape.name}`` structure.",
            fields=tuple(fields),
            sensitive=tuple(sensitive),
            event_stream_attr=event_stream_attr,
            union=shape.union,
        )

    def order_classes(self, names: list[str]) -> tuple[list[str], set[str]]:
        """Dependencies first (ties by name); shapes in reference cycles are returned too."""
        order: list[str] = []
        state: dict[str, int] = {}
        cyclic: set[str] = set()

        def deps(name: str) -> list[str]:
            found: set[str] = set()
            stack = [m.shape for m in self.shapes[name].members]
            while stack:
                dep = stack.pop()
                shape = self.shapes.get(dep)
                if shape is None or dep in found:
                    continue
                found.add(dep)
                if shape.type in {"list", "map"} or shape.event_stream:
                    stack.extend(s for s in (shape.member, shape.key, shape.value) if s)
                    stack.extend(m.shape for m in shape.members)
            return sorted(
                d for d in found if d in self.class_names and not self.shapes[d].exception
            )

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

    def error_class(self, shape: Shape) -> ir.ErrorClass:
        attrs = []
        for member in shape.members:
            attr = member_attr(shape, member)
            if attr == "message":
                continue
            attrs.append(ir.ErrorAttr(attr, f"{self.plain_type(member.shape)} | None"))
        return ir.ErrorClass(
            name=self.class_names[shape.name],
            doc=docs.summary(shape.documentation) or f"The ``{shape.name}`` error.",
            code=shape.error_code or shape.name,
            status_code=shape.status_code,
            fault=shape.fault,
            attrs=tuple(attrs),
        )

    # -- specs -----------------------------------------------------------------------
    def member_spec(self, shape: Shape, member: Member) -> ir.SpecCall:
        target = self.shapes[member.shape]
        attr = member_attr(shape, member)
        args: list[tuple[str, str]] = [
            ("name", _literal_str(member.name)),
            ("attr", _literal_str(attr)),
            ("target", _literal_str(member.shape)),
        ]
        if member.location:
            args.append(("location", _literal_str(member.location)))
            wire = (
                member.location_name
                if member.location_name or member.location == "headers"
                else member.name
            )
            if member.location != "statusCode":
                args.append(("wire_name", _literal_str(wire)))
        else:
            args.append(("wire_name", _literal_str(member.location_name or member.name)))
        fmt = member.timestamp_format or target.timestamp_format
        if fmt:
            args.append(("timestamp_format", _literal_str(fmt)))
        flags = [
            ("json_value", member.json_value),
            ("idempotency_token", member.idempotency_token),
            ("host_label", member.host_label),
            ("event_header", member.event_header),
            ("event_payload", member.event_payload),
            ("required", member.name in shape.required),
        ]
        args.extend((key, "True") for key, value in flags if value)
        return ir.SpecCall("MemberSpec", tuple(args))

    def shape_spec(self, shape: Shape) -> ir.SpecCall:
        kind = shape.type
        if kind == "structure" and shape.document:
            kind = "document"
        elif kind == "structure" and shape.union:
            kind = "union"
        args: list[tuple[str, str]] = [
            ("name", _literal_str(shape.name)),
            ("type", _literal_str(kind)),
        ]
        if shape.members:
            members = ", ".join(self.member_spec(shape, m).source() for m in shape.members)
            args.append(("members", f"({members},)"))
        for key, value in (("member", shape.member), ("key", shape.key), ("value", shape.value)):
            if value:
                args.append((key, _literal_str(value)))
        if shape.payload:
            attr = naming.safe_attr(naming.snake_case(shape.payload))
            args.append(("payload", _literal_str(attr)))
        if shape.timestamp_format:
            args.append(("timestamp_format", _literal_str(shape.timestamp_format)))
        flags = [
            ("streaming", shape.streaming or shape.name in self.payload_blobs),
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
        if shape.type == "string" and shape.pattern is not None:
            with contextlib.suppress(javaregex.RegexError):  # reported by check_shape
                args.append(("pattern", _raw_regex(javaregex.translate(shape.pattern))))
        if shape.type == "string" and shape.enum:
            values = ", ".join(_literal_str(v) for v in shape.enum)
            args.append(("enum", f"({values},)"))
        if shape.exception:
            if shape.status_code:
                args.append(("status_code", repr(shape.status_code)))
            args.append(("error_code", _literal_str(shape.error_code or shape.name)))
        if shape.name in self.class_names:
            args.append(("cls", self.class_names[shape.name]))
        return ir.SpecCall("ShapeSpec", tuple(args))

    def operation_const(self, op: Operation) -> ir.OperationConst:
        args: list[tuple[str, str]] = [
            ("name", _literal_str(op.name)),
            ("method", _literal_str(op.method)),
            ("uri", _literal_str(op.request_uri)),
            ("input", _literal_str(op.input)),
            ("output", _literal_str(op.output)),
            ("shapes", "SHAPES"),
        ]
        if op.errors:
            args.append(("errors", "(" + ", ".join(_literal_str(e) for e in op.errors) + ",)"))
        if op.response_code != 200:
            args.append(("success_code", repr(op.response_code)))
        if op.host_prefix:
            args.append(("host_prefix", _literal_str(op.host_prefix)))
        if op.auth_type:
            args.append(("auth_type", _literal_str(op.auth_type)))
        stream_attr = self.event_stream_attr(op.output)
        if stream_attr:
            args.append(("event_stream_output", _literal_str(stream_attr)))
        return ir.OperationConst(
            naming.constant_name(op.name), ir.SpecCall("OperationSpec", tuple(args))
        )

    def event_stream_attr(self, shape_name: str) -> str:
        shape = self.shapes.get(shape_name)
        if shape is None:
            return ""
        for member in shape.members:
            if self.shapes[member.shape].event_stream:
                return naming.safe_attr(naming.snake_case(member.name))
        return ""

    def service_call(self) -> ir.SpecCall:
        meta = self.model.metadata
        args: list[tuple[str, str]] = [
            ("service_id", _literal_str(meta.get("serviceId", ""))),
            ("endpoint_prefix", _literal_str(meta.get("endpointPrefix", ""))),
            (
                "signing_name",
                _literal_str(meta.get("signingName") or meta.get("endpointPrefix", "")),
            ),
            ("api_version", _literal_str(meta.get("apiVersion", ""))),
            ("protocol", _literal_str("rest-json")),
            ("shapes", "SHAPES"),
            ("errors", "ERRORS"),
        ]
        if self.has_endpoint_rules:
            args.append(("endpoint_rules", "_endpoint_rules"))
        if self.botocore_name:
            args.append(("botocore_name", _literal_str(self.botocore_name)))
        return ir.SpecCall("ServiceSpec", tuple(args))

    # -- client --------------------------------------------------------------------
    def client_method(self, op: Operation, taken: set[str]) -> ir.ClientMethod:
        params: list[ir.ParamKey] = []
        params_name = ""
        if op.input:
            shape = self.shapes[op.input]
            params_name = f"{op.name}Params"
            while params_name in taken:
                params_name += "_"
            taken.add(params_name)
            for member in shape.members:
                attr = naming.safe_attr(naming.snake_case(member.name))
                annotation = self.param_type(member.shape, payload=member.name == shape.payload)
                if member.json_value:
                    annotation = "JsonValue"
                if member.enum:
                    annotation = "Literal[" + ", ".join(_literal_str(v) for v in member.enum) + "]"
                required = member.name in shape.required and not member.idempotency_token
                params.append(ir.ParamKey(attr, annotation, required))
        return ir.ClientMethod(
            name=naming.safe_attr(naming.snake_case(op.name)),
            operation_const=naming.constant_name(op.name),
            input_class=self.class_names.get(op.input, ""),
            output_class=self.class_names.get(op.output, ""),
            params_name=params_name,
            params=tuple(params),
            doc=docs.summary(op.documentation) or f"Call ``{op.name}``.",
        )

    def local_import(self, module: str, texts: list[str]) -> tuple[str, ...]:
        """``from .module import ...`` for the generated names that ``texts`` use."""
        if module == "models":
            known = set(self.class_names.values()) | set(self.alias_names.values())
            known -= {self.class_names[n] for n in self.class_names if self.shapes[n].exception}
        elif module == "errors":
            known = {self.class_names[n] for n in self.class_names if self.shapes[n].exception}
        else:
            known = {w for t in texts for w in WORD.findall(t)}
        used = sorted(
            {w for t in texts for w in WORD.findall(re.sub(r'"[^"]*"', "", t)) if w in known}
        )
        return (f"from .{module} import {', '.join(used)}",) if used else ()

    # -- all -----------------------------------------------------------------------------
    def build(self) -> ir.GeneratedPackage:
        names = self.reachable()
        self.problems.extend(find_problems(self.model, names))
        if self.problems:
            raise BuildError(self.problems)
        self.find_payload_blobs()
        self.assign_names(names)
        structures = [n for n in names if n in self.class_names and not self.shapes[n].exception]
        order, cyclic = self.order_classes(structures)
        models = []
        for name in order:
            cls = self.model_class(self.shapes[name])
            if name in cyclic:
                cls = dataclasses.replace(cls, rebuild=True)
            models.append(cls)
        errors = [self.error_class(self.shapes[n]) for n in names if self.shapes[n].exception]
        shapes = tuple((n, self.shape_spec(self.shapes[n])) for n in names)
        operations = tuple(self.operation_const(op) for op in self.model.operations)
        taken = set(self.class_names.values()) | set(self.alias_names.values()) | set(RESERVED)
        methods = tuple(self.client_method(op, taken) for op in self.model.operations)
        if self.problems:
            raise BuildError(self.problems)
        aliases = tuple(self.aliases[n] for n in sorted(self.aliases))
        error_codes = tuple(sorted((e.code, e.name) for e in errors))
        meta = self.model.metadata
        title = meta.get("serviceFullName") or meta.get("serviceId", "")
        return ir.GeneratedPackage(
            title=title,
            client_class=naming.service_class_name(meta.get("serviceId", "")),
            client_doc=f"Async client for {title}.",
            aliases=aliases,
            models=tuple(models),
            errors=tuple(errors),
            shapes=shapes,
            operations=operations,
            service=self.service_call(),
            error_codes=error_codes,
            methods=methods,
            models_imports=imports_for(
                [a.expr for a in aliases]
                + [a.checking_expr for a in aliases]
                + [f.annotation for m in models for f in m.fields]
                + [m.base for m in models]
                + ["Field"]
                + (["TypeAlias"] if aliases else [])
                + (["TYPE_CHECKING"] if any(a.checking_expr for a in aliases) else [])
                + (["ClassVar"] if any(m.sensitive or m.event_stream_attr for m in models) else [])
                + (
                    ["model_validator Self PydanticCustomError"]
                    if any(m.union for m in models)
                    else []
                )
            ),
            errors_imports=imports_for(
                [e.annotation for c in errors for e in c.attrs]
                + (["ClassVar ServiceError"] if errors else [])
            )
            + self.local_import("models", [e.annotation for c in errors for e in c.attrs]),
            operations_imports=self.local_import("errors", [e.name for e in errors])
            + self.local_import("models", [m.name for m in models]),
            client_imports=imports_for(
                [p.annotation for m in methods for p in m.params]
                + ["ClassVar BaseClient ServiceSpec"]
                + (["Any overload TypedDict Unpack"] if any(m.params_name for m in methods) else [])
                + (["Required"] if any(p.required for m in methods for p in m.params) else [])
                + (["cast"] if any(m.output_class for m in methods) else [])
            )
            + self.local_import(
                "models",
                [p.annotation for m in methods for p in m.params]
                + [f"{m.input_class} {m.output_class}" for m in methods],
            )
            + self.local_import("operations", ["SERVICE"] + [m.operation_const for m in methods]),
            has_endpoint_rules=self.has_endpoint_rules,
            package=self.package,
        )


_BUILTIN_TYPES = frozenset({"bool", "bytes", "dict", "float", "int", "list", "str"})


def _qualify_builtins(annotation: str, names: set[str]) -> str:
    return re.sub(r"(?<![\w.])(" + "|".join(sorted(names)) + r")\b", r"builtins.\1", annotation)


def build(
    model: Model, *, has_endpoint_rules: bool, botocore_name: str = "", package: str = ""
) -> ir.GeneratedPackage:
    """Resolve ``model`` into the IR, or raise :class:`BuildError` listing every problem."""
    return _Builder(
        model, has_endpoint_rules=has_endpoint_rules, botocore_name=botocore_name, package=package
    ).build()
