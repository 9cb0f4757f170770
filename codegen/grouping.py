"""Which module each model class is generated into.

Creating a pydantic class costs ~1 ms, and a program usually calls one or two of a
service's operations. So the classes that only one operation uses (through its input
or output, however deeply nested) go into a module of that operation's own,
``models_<operation>.py``, which the generated ``models`` module imports when one of
its names is first asked for (the runtime asks through ``ShapeSpec.class_ref``, when a
call first needs the class). The classes several operations share, and those an error
shape reaches (``errors.py`` imports them), stay in ``models.py``.

A class's module never imports another operation's module: a class only one operation
uses reaches only classes that operation uses too, so each of them is in the same
module or in ``models.py``; reference cycles stay within one module, where the classes
are rebuilt as before.
"""

from __future__ import annotations

from . import naming
from .classify import ShapeIndex, walk
from .spec import Model

__all__ = ["group_modules"]

PREFIX = "models_"


def group_modules(model: Model, index: ShapeIndex) -> dict[str, str]:
    """Class name -> the module of the one operation using it; shared classes are absent."""
    users: dict[str, set[str]] = {}
    for op in model.operations:
        seen: set[str] = set()
        for root in (op.input, op.output):
            if root:
                walk(model.shapes, root, seen)
        for name in seen:
            users.setdefault(name, set()).add(op.name)
    by_errors: set[str] = set()
    for name in index.errors:
        walk(model.shapes, name, by_errors)
    modules = {op.name: PREFIX + naming.snake_case(op.name) for op in model.operations}
    clashing = {m for m in modules.values() if list(modules.values()).count(m) > 1}
    found: dict[str, str] = {}
    for name in index.structures:
        ops = users.get(name, set())
        if len(ops) != 1 or name in by_errors:
            continue
        module = modules[next(iter(ops))]
        if module not in clashing:
            found[index.class_names[name]] = module
    return found
