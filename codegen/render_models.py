"""The generated ``models`` module and its per-operation modules (:mod:`codegen.grouping`)."""

from __future__ import annotations

import re

from . import ir
from .imports import WORD
from .source import all_list, docstring, header, import_block

__all__ = ["forward_annotation", "model_group_module", "models_module"]

_AMBIGUOUS = frozenset({"l", "I", "O"})


def models_module(pkg: ir.GeneratedPackage, source: str) -> str:
    """``models.py``: the aliases, the shared classes, the others on first access."""
    grouped = {m.name: g.module for g in pkg.model_groups for m in g.models}
    imports = list(pkg.models_imports) + _builtins_import(pkg.models)
    out = [
        header(source),
        f'"""Shapes of {pkg.title} as pydantic models."""\n\n',
        import_block(imports) + "\n\n",
    ]
    checking = [a for a in pkg.aliases if a.checking_expr]
    if grouped:
        out.append("if TYPE_CHECKING:\n")
        for group in pkg.model_groups:
            names = ", ".join(m.name for m in group.models)
            out.append(f"    from .{group.module} import {names}\n")
        out.append("\n")
    out.append(all_list([a.name for a in pkg.aliases] + [m.name for m in pkg.models] + [*grouped]))
    if checking:
        out.append("\nif TYPE_CHECKING:\n")
        out.extend(f"    {a.name}: TypeAlias = {a.checking_expr}\n" for a in checking)
        out.append("else:\n")
        out.extend(f"    {a.name} = {a.expr}\n" for a in checking)
    for alias in pkg.aliases:
        if not alias.checking_expr:
            out.append(f"\n{alias.name}: TypeAlias = {alias.expr}\n")
            if alias.doc:
                out.append(docstring(alias.doc, 0) + "\n")
    out.append(_class_definitions(pkg.models))
    if grouped:
        table = "".join(f'    "{name}": ".{module}",\n' for name, module in sorted(grouped.items()))
        out.append(_LAZY_CLASSES.replace("TABLE", table))
    return "".join(out)


def model_group_module(group: ir.ModelGroup, title: str, source: str) -> str:
    """``models_<operation>.py``: the classes only that operation uses."""
    imports = list(group.imports) + _builtins_import(group.models)
    return "".join(
        [
            header(source),
            f'"""Shapes of {title} that one operation uses: import them from ``models``."""\n\n',
            import_block(imports) + "\n\n",
            all_list([m.name for m in group.models]),
            _class_definitions(group.models),
        ]
    )


def _builtins_import(models: tuple[ir.ModelClass, ...]) -> list[str]:
    uses = any("builtins." in f.annotation for m in models for f in m.fields)
    return ["import builtins"] if uses else []


def _class_definitions(models: tuple[ir.ModelClass, ...]) -> str:
    out = []
    pending = {m.name for m in models}
    for model in models:
        out.append(f"\n\nclass {model.name}({model.base}):\n    {docstring(model.doc, 4)}\n\n")
        if model.sensitive:
            names = ", ".join(f'"{s}"' for s in model.sensitive)
            out.append(f"    _sensitive_: ClassVar[frozenset[str]] = frozenset({{{names}}})\n")
        if model.event_stream_attr:
            out.append(f'    _event_stream_attr_: ClassVar[str] = "{model.event_stream_attr}"\n')
        if model.sensitive or model.event_stream_attr:
            out.append("\n")
        for field in model.fields:
            noqa = "  # noqa: E741" if field.attr in _AMBIGUOUS else ""
            annotation = field.annotation if field.required else f"{field.annotation} | None"
            annotation = forward_annotation(annotation, pending)
            if field.required:
                out.append(f'    {field.attr}: {annotation} = Field(alias="{field.alias}"){noqa}\n')
            else:
                out.append(
                    f'    {field.attr}: {annotation} = Field(default=None, alias="{field.alias}"){noqa}\n'
                )
        pending.discard(model.name)
        if model.union:
            out.append(
                '\n    @model_validator(mode="after")\n'
                "    def _check_union_(self) -> Self:\n"
                "        check_one_member(self)\n"
                "        return self\n"
            )
    rebuild = [m.name for m in models if m.rebuild]
    if rebuild:
        out.append("\n\n")
        out.extend(f"{name}.model_rebuild()\n" for name in rebuild)
    return "".join(out)


_LAZY_CLASSES = """

#: The classes only one operation uses, by the module that defines them: created when
#: first asked for (an attribute of this module, an import from it, a call's
#: ``ShapeSpec.class_ref``), so that importing the client creates none of them.
_MODULES = {
TABLE}


__getattr__, __dir__ = lazy_attributes(globals(), _MODULES)
"""


def forward_annotation(annotation: str, pending: set[str]) -> str:
    """``annotation`` as source, quoted whole when it names a class not yet defined.

    The modules are evaluated as written (no ``from __future__ import annotations``:
    pydantic would compile and evaluate every string), so only references to a class
    defined later, or to the class itself (reference cycles), stay strings.
    """
    words = set(WORD.findall(_STRING_LITERAL.sub("", annotation)))
    if not pending & words:
        return annotation
    return f"'{annotation}'" if '"' in annotation else f'"{annotation}"'


_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
