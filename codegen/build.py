"""Model -> IR: resolve names, types, constraints and wire bindings.

The steps, in order, each in a module of its own:

1. :mod:`codegen.classify` finds the reachable shapes; :mod:`codegen.checks` finds the
   features that cannot be generated; :mod:`codegen.classify` then decides what each
   shape becomes (class, alias, inline type) and names it;
2. :mod:`codegen.classes` builds the model and error classes, with annotations from
   :mod:`codegen.pytypes`; :mod:`codegen.grouping` decides which module each model
   class goes into;
3. :mod:`codegen.spec_tables` builds the shape, operation and service descriptions the
   runtime reads;
4. :mod:`codegen.clientapi` builds the client methods;
5. this module assembles the :class:`~codegen.ir.GeneratedPackage`, with the imports
   each generated module needs.

Problems (features that cannot be generated) are collected as values, each naming the
shape and member that uses the feature; :func:`build` raises :class:`BuildError`
listing all of them, so one run shows everything that is wrong with a model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from . import ir, naming
from .checks import find_problems
from .classes import error_classes, model_classes
from .classify import ShapeIndex, classify, reachable
from .clientapi import client_methods
from .grouping import group_modules
from .imports import WORD, imports_for
from .pytypes import Annotator
from .reuse import Reusable, apply_reuse
from .spec import Model
from .spec_tables import operation_consts, service_call, shape_specs

__all__ = ["BuildError", "build"]


class BuildError(Exception):
    """The model uses features the generator cannot generate."""

    def __init__(self, problems: list[ir.Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"cannot generate this model ({len(problems)} problem(s)):\n{lines}")


def build(
    model: Model,
    *,
    has_endpoint_rules: bool,
    botocore_name: str = "",
    package: str = "",
    reusable: Mapping[str, Reusable] | None = None,
    custom_endpoint_as_is: bool = False,
) -> ir.GeneratedPackage:
    """Resolve ``model`` into the IR, or raise :class:`BuildError` listing every problem.

    ``reusable``: error classes of another generated package to reuse or extend
    (:mod:`codegen.reuse`). ``custom_endpoint_as_is``: the shipped rule set gives a
    custom endpoint back unchanged (:mod:`codegen.endpoint_shortcut`)."""
    reach = reachable(model)
    problems = find_problems(model, list(reach.names))
    if problems:
        raise BuildError(problems)
    index = classify(model, reach)
    types = Annotator(index)
    models = model_classes(index, types, problems)
    errors = apply_reuse(error_classes(index, types), reusable or {})
    shapes = shape_specs(index)
    operations = operation_consts(model, index)
    methods = client_methods(model, index, types)
    if problems:
        raise BuildError(problems)
    aliases = types.aliases()
    grouped = group_modules(model, index)
    shared = tuple(m for m in models if m.name not in grouped)
    groups = tuple(
        ir.ModelGroup(module, members, _group_imports(index, members))
        for module in sorted(set(grouped.values()))
        for members in [tuple(m for m in models if grouped.get(m.name) == module)]
    )
    meta = model.metadata
    title = meta.get("serviceFullName") or meta.get("serviceId", "")
    return ir.GeneratedPackage(
        title=title,
        client_class=naming.service_class_name(meta.get("serviceId", "")),
        client_doc=f"Async client for {title}.",
        aliases=aliases,
        models=shared,
        model_groups=groups,
        errors=errors,
        shapes=shapes,
        operations=operations,
        service=service_call(
            model,
            has_endpoint_rules=has_endpoint_rules,
            botocore_name=botocore_name,
            custom_endpoint_as_is=custom_endpoint_as_is,
        ),
        error_codes=tuple(sorted((e.code, e.name) for e in errors)),
        methods=methods,
        models_imports=_models_imports(aliases, shared, bool(groups)),
        errors_imports=_errors_imports(index, errors),
        operations_imports=_local_import(index, "errors", [e.name for e in errors])
        + (
            ("from . import models", "from aiosagemaker_runtime._spec import class_loader")
            if models
            else ()
        ),
        client_imports=_client_imports(index, methods),
        client_checking_imports=_client_checking_imports(index, methods),
        has_endpoint_rules=has_endpoint_rules,
        package=package,
    )


# -- imports of the generated modules ------------------------------------------------
def _models_imports(
    aliases: tuple[ir.Alias, ...], models: tuple[ir.ModelClass, ...], groups: bool
) -> tuple[str, ...]:
    checking = groups or any(a.checking_expr for a in aliases)
    return imports_for(
        [a.expr for a in aliases]
        + [a.checking_expr for a in aliases]
        + _class_texts(models)
        + (["TypeAlias"] if aliases else [])
        + (["TYPE_CHECKING"] if checking else [])
        + (["lazy_attributes"] if groups else [])
    )


def _class_texts(models: tuple[ir.ModelClass, ...]) -> list[str]:
    """What the class definitions of ``models`` name (for their imports)."""
    return (
        [f.annotation for m in models for f in m.fields]
        + [m.base for m in models]
        + (["Field"] if models else [])
        + (["ClassVar"] if any(m.sensitive or m.event_stream_attr for m in models) else [])
        + (["model_validator Self check_one_member"] if any(m.union for m in models) else [])
    )


def _group_imports(index: ShapeIndex, models: tuple[ir.ModelClass, ...]) -> tuple[str, ...]:
    texts = _class_texts(models)
    own = {m.name for m in models}
    return imports_for(texts) + _local_import(index, "models", texts, exclude=own)


def _errors_imports(index: ShapeIndex, errors: tuple[ir.ErrorClass, ...]) -> tuple[str, ...]:
    own = [c for c in errors if not c.reuse_module or c.extends]
    annotations = [e.annotation for c in own for e in c.attrs]
    runtime = imports_for(
        annotations
        + (["ClassVar"] if own else [])
        + (["ServiceError"] if any(not c.reuse_module for c in errors) else [])
    )
    shared: dict[str, list[str]] = {}
    for error in errors:
        if error.reuse_module:
            alias = f"{error.name} as _{error.name}" if error.extends else error.name
            shared.setdefault(error.reuse_module, []).append(alias)
    reused = tuple(f"from {m} import {', '.join(names)}" for m, names in sorted(shared.items()))
    return runtime + reused + _local_import(index, "models", annotations)


def _client_imports(index: ShapeIndex, methods: tuple[ir.ClientMethod, ...]) -> tuple[str, ...]:
    return (
        imports_for(
            ["ClassVar BaseClient ServiceSpec"]
            + (["Any overload"] if any(m.params_name for m in methods) else [])
            + (["cast"] if any(m.output_class for m in methods) else [])
            + (["TYPE_CHECKING"] if any(m.params_name for m in methods) else [])
        )
        + (
            ("from . import models",)
            if any(m.output_class or m.params_name for m in methods)
            else ()
        )
        + _local_import(index, "operations", ["SERVICE"] + [m.operation_const for m in methods])
    )


def _client_checking_imports(
    index: ShapeIndex, methods: tuple[ir.ClientMethod, ...]
) -> tuple[str, ...]:
    """What the keyword-argument TypedDicts (for type checkers only) name."""
    annotations = [p.annotation for m in methods for p in m.params]
    if not any(m.params_name for m in methods):
        return ()
    return imports_for(
        annotations
        + ["TypedDict Unpack"]
        + (["Required"] if any(p.required for m in methods for p in m.params) else [])
    ) + _local_import(index, "models", annotations)


def _local_import(
    index: ShapeIndex, module: str, texts: list[str], exclude: set[str] | None = None
) -> tuple[str, ...]:
    """``from .module import ...`` for the generated names that ``texts`` use (not
    those in ``exclude``)."""
    errors = {index.class_names[n] for n in index.class_names if index.shapes[n].exception}
    if module == "models":
        known = set(index.class_names.values()) | set(index.alias_names.values())
        known -= errors
    elif module == "errors":
        known = errors
    else:
        known = {w for t in texts for w in WORD.findall(t)}
    known -= exclude or set()
    used = sorted({w for t in texts for w in WORD.findall(re.sub(r'"[^"]*"', "", t)) if w in known})
    return (f"from .{module} import {', '.join(used)}",) if used else ()
