"""``ShapeSpec.cls`` resolves ``class_ref``: a class as is, ``None`` as is, and a loader
from ``class_loader(module, name)`` by reading the module's attribute when asked (not
when the loader or the spec is made). A module that creates the attribute in its
``__getattr__`` and keeps it in its globals (as the generated ``models`` module does)
is asked once; later reads find the attribute without calling ``__getattr__``.
"""

from __future__ import annotations

import types
from typing import Any

import pytest

from aiosagemaker_runtime._spec import ShapeSpec, class_loader

_LAZY_MODULE = '''
calls = []


def __getattr__(name):
    if name != "Lazy":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    calls.append(name)

    class Lazy:
        """Created on first use."""

    globals()[name] = Lazy
    return Lazy
'''


def lazy_module() -> types.ModuleType:
    """A real module with a caching module ``__getattr__`` that counts its calls."""
    module = types.ModuleType("lazy_models_for_test")
    exec(_LAZY_MODULE, module.__dict__)
    return module


class Plain:
    """A model class given directly."""


def spec(class_ref: Any = None) -> ShapeSpec:
    return ShapeSpec(name="Thing", type="structure", class_ref=class_ref)


def test_a_class_is_returned_as_is() -> None:
    assert spec(Plain).cls is Plain
    # A class is callable, but cls does not call it (that would give an instance).
    assert spec(Plain).cls is spec(Plain).class_ref


def test_an_exception_class_is_returned_as_is() -> None:
    assert spec(KeyError).cls is KeyError


def test_none_gives_none() -> None:
    assert spec(None).cls is None
    assert ShapeSpec(name="Text", type="string").cls is None


def test_cls_is_a_property_not_a_field() -> None:
    assert "class_ref" in ShapeSpec._fields
    assert "cls" not in ShapeSpec._fields
    assert spec(Plain)._replace(class_ref=None).cls is None


def test_class_loader_reads_the_attribute_when_asked() -> None:
    module = lazy_module()
    loader = class_loader(module, "Lazy")
    shape = spec(loader)
    assert module.calls == []  # neither the loader nor the spec asked yet
    assert "Lazy" not in module.__dict__
    cls = shape.cls
    assert cls is module.Lazy
    assert cls.__doc__ == "Created on first use."
    assert module.calls == ["Lazy"]


def test_class_loader_calls_getattr_once_then_reads_the_cached_attribute() -> None:
    module = lazy_module()
    shape = spec(class_loader(module, "Lazy"))
    first = shape.cls
    assert shape.cls is first
    assert spec(class_loader(module, "Lazy")).cls is first
    assert module.calls == ["Lazy"]


def test_class_loader_of_a_plain_attribute() -> None:
    module = types.ModuleType("plain_models_for_test")
    module.Plain = Plain  # type: ignore[attr-defined]
    assert spec(class_loader(module, "Plain")).cls is Plain


def test_class_loader_of_an_unknown_name_fails_when_asked_not_when_made() -> None:
    module = lazy_module()
    shape = spec(class_loader(module, "Missing"))
    with pytest.raises(AttributeError, match="'Missing'"):
        _ = shape.cls
    assert module.calls == []


def test_a_generated_spec_resolves_to_the_models_class() -> None:
    from aiosagemaker_runtime._generated import models
    from aiosagemaker_runtime._generated.operations import SHAPES

    shape = SHAPES["InvokeEndpointOutput"]
    assert not isinstance(shape.class_ref, type)  # a loader: created on first use
    assert shape.cls is models.InvokeEndpointOutput
    assert shape.cls.__module__ == "aiosagemaker_runtime._generated.models_invoke_endpoint"
