"""Module attributes imported on first access (PEP 562).

A module that exports names defined in modules it does not import up front (the
generated models' per-operation modules, the test kit's parts) takes its
``__getattr__`` and ``__dir__`` from :func:`lazy_attributes`.
"""

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    namespace: dict[str, Any], table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the module whose ``globals()`` is ``namespace``.

    ``table`` maps an attribute to the module defining it (relative to the module's
    package, e.g. ``".models_invoke_endpoint"``); the first access imports that module
    and keeps the value in ``namespace``, so later reads are plain attribute reads.
    """
    module_name = namespace["__name__"]
    package = namespace["__package__"]

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __getattr__, __dir__
