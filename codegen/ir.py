"""The resolved, frozen description of what to generate.

Everything the templates print is decided here: Python names, annotations as source
text, docstrings, spec arguments as ``repr`` source and the imports each module needs.
Rendering only loops over these values.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Alias",
    "ClientMethod",
    "ErrorAttr",
    "ErrorClass",
    "GeneratedPackage",
    "ModelClass",
    "ModelField",
    "ModelGroup",
    "OperationConst",
    "ParamKey",
    "Problem",
    "SpecCall",
]


@dataclass(frozen=True)
class Problem:
    """A model feature that cannot be generated, with where it is used."""

    shape: str
    member: str
    message: str

    def __str__(self) -> str:
        where = f"{self.shape}.{self.member}" if self.member else self.shape
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Alias:
    """A module-level type alias for a constrained scalar shape."""

    name: str
    expr: str
    doc: str = ""
    checking_expr: str = ""
    """When set, the alias reads ``checking_expr`` for type checkers (runtime-built types)."""


@dataclass(frozen=True)
class ModelField:
    attr: str
    alias: str
    annotation: str
    required: bool


@dataclass(frozen=True)
class ModelClass:
    name: str
    base: str
    doc: str
    fields: tuple[ModelField, ...]
    sensitive: tuple[str, ...] = ()
    event_stream_attr: str = ""
    union: bool = False
    rebuild: bool = False
    """Part of a reference cycle: ``model_rebuild()`` once every class exists."""


@dataclass(frozen=True)
class ModelGroup:
    """The model classes only one operation uses, in a module of their own that the
    generated ``models`` module imports when one of them is first asked for."""

    module: str
    """Module name: ``models_`` and the operation's snake_case name."""
    models: tuple[ModelClass, ...]
    imports: tuple[str, ...]


@dataclass(frozen=True)
class ErrorAttr:
    attr: str
    annotation: str


@dataclass(frozen=True)
class ErrorClass:
    name: str
    doc: str
    code: str
    status_code: int
    fault: bool
    attrs: tuple[ErrorAttr, ...]
    reuse_module: str = ""
    """Set when another generated package's class of this name is reused: the module."""
    extends: bool = False
    """With ``reuse_module``: subclass that class (adding attributes) instead of importing it."""
    inherited: tuple[str, ...] = ()
    """With ``extends``: the attributes the base class declares already."""


@dataclass(frozen=True)
class SpecCall:
    """``ShapeSpec(...)``/``MemberSpec(...)`` with keyword arguments as source text."""

    func: str
    args: tuple[tuple[str, str], ...]

    def source(self) -> str:
        return f"{self.func}(" + ", ".join(f"{k}={v}" for k, v in self.args) + ")"


@dataclass(frozen=True)
class OperationConst:
    const: str
    call: SpecCall


@dataclass(frozen=True)
class ParamKey:
    attr: str
    annotation: str
    required: bool


@dataclass(frozen=True)
class ClientMethod:
    name: str
    operation_const: str
    input_class: str
    output_class: str
    params_name: str
    params: tuple[ParamKey, ...]
    doc: str
    duplex: bool = False
    """The operation has an input event stream: the call returns a duplex stream."""


@dataclass(frozen=True)
class GeneratedPackage:
    """One generated package: everything render.py writes."""

    title: str
    """The service's full name, for module docstrings."""
    client_class: str
    client_doc: str
    aliases: tuple[Alias, ...]
    models: tuple[ModelClass, ...]
    """The classes defined in ``models.py`` itself: those several operations (or errors) use."""
    model_groups: tuple[ModelGroup, ...]
    errors: tuple[ErrorClass, ...]
    shapes: tuple[tuple[str, SpecCall], ...]
    operations: tuple[OperationConst, ...]
    service: SpecCall
    error_codes: tuple[tuple[str, str], ...]
    """Error code -> error class name."""
    methods: tuple[ClientMethod, ...]
    models_imports: tuple[str, ...]
    errors_imports: tuple[str, ...]
    operations_imports: tuple[str, ...]
    client_imports: tuple[str, ...]
    client_checking_imports: tuple[str, ...]
    """Imported for type checkers only: what the keyword-argument TypedDicts need."""
    has_endpoint_rules: bool
    package: str = ""
    """Set with ``--package``: the package also re-exports the runtime's public names."""
