"""Error classes shared with another generated package (``--reuse-errors MODULE``).

Two models of one product often declare the same errors; generated apart, ``except
first.ModelError`` would not catch the second package's ``ModelError``. Given the
errors module of another generated package, an error shape whose class has the same
name, error code, HTTP status and fault flag as one of that module's classes

* with the same modeled attributes (names and annotations) *is* that class: it is
  imported and re-exported, not generated;
* with those attributes and more, *extends* it: a subclass adding the others, so that
  an ``except`` of the other package's class catches it too;
* otherwise is generated on its own.

:func:`load_reusable` imports the module (the only I/O); :func:`apply_reuse` decides,
from values, for the error classes the build made.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from dataclasses import dataclass

from . import ir

__all__ = ["Reusable", "apply_reuse", "load_reusable"]


@dataclass(frozen=True)
class Reusable:
    """A ``ServiceError`` subclass of another generated package, as the build sees it."""

    module: str
    name: str
    code: str
    status_code: int
    fault: bool
    attrs: tuple[tuple[str, str], ...]
    """(attribute, annotation) of each modeled member, in order."""


def load_reusable(module_name: str) -> dict[str, Reusable]:
    """The error classes of ``module_name`` (those in its ``__all__`` that carry a
    generated error's class attributes), by class name."""
    module = importlib.import_module(module_name)
    found: dict[str, Reusable] = {}
    for name in getattr(module, "__all__", ()):
        cls = getattr(module, name, None)
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            continue
        code = getattr(cls, "error_code_default", None)
        members = getattr(cls, "members", None)
        if not isinstance(code, str) or not code or not isinstance(members, tuple):
            continue
        annotations: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            for attr, annotation in vars(klass).get("__annotations__", {}).items():
                annotations[attr] = annotation if isinstance(annotation, str) else repr(annotation)
        found[name] = Reusable(
            module=module_name,
            name=name,
            code=code,
            status_code=int(getattr(cls, "status_code_default", 0)),
            fault=bool(getattr(cls, "fault", False)),
            attrs=tuple((attr, annotations.get(attr, "")) for attr in members),
        )
    return found


def apply_reuse(
    errors: tuple[ir.ErrorClass, ...], reusable: Mapping[str, Reusable]
) -> tuple[ir.ErrorClass, ...]:
    """``errors`` with those that match a reusable class marked to reuse or extend it."""
    out = []
    for error in errors:
        other = reusable.get(error.name)
        if other is not None and (other.code, other.status_code, other.fault) == (
            error.code,
            error.status_code,
            error.fault,
        ):
            own = tuple((a.attr, a.annotation) for a in error.attrs)
            if own == other.attrs:
                error = dataclasses.replace(error, reuse_module=other.module)
            elif set(other.attrs) <= set(own):
                error = dataclasses.replace(
                    error,
                    reuse_module=other.module,
                    extends=True,
                    inherited=tuple(attr for attr, _ in other.attrs),
                )
        out.append(error)
    return tuple(out)
