"""Input models built without running pydantic's validator, when every value is plainly valid.

A call's keyword arguments are almost always plain: ``str`` values within their lengths
and patterns, a ``bytes`` body under the payload limit. For those, checking each value
against the operation's :class:`~aiosagemaker_runtime._spec.ShapeSpec` constraints and
building the model without validation (as ``model_construct`` does, through
:func:`~aiosagemaker_runtime._protocol.parse_values.constructor`) gives the same model as validation (pydantic
would return these very values unchanged), for a fraction of the cost, and without
building the model's validator at all on a script's first call (schema building and
pydantic's plugin discovery: ~50-80 ms of cold start, bench/PROFILE.md).

The check is deliberately narrower than pydantic: exact ``str``/``int``/``bool`` types,
payload blobs, every constraint of the model, header-safe strings everywhere. Anything
else (``None``, another type, an unknown or doubled key, a missing required member,
nested structures, lists, maps, timestamps, any failed constraint) returns ``None`` and
the caller validates with pydantic, which accepts, coerces or raises
``ParamValidationError`` as the model says. So this can only ever accept what pydantic
accepts, never refuse anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._spec import ShapeSpec
from .parse_values import constructor
from .shapes import compiled_pattern, header_safe, payload_valid

__all__ = ["construct_if_plain"]

_INT_TYPES = frozenset({"integer", "long", "short", "byte", "bigInteger"})

Check = Callable[[Any], bool]


_MEMO_SIZE = 64


def _string_check(spec: ShapeSpec) -> Check:
    low, high, enum, pattern = spec.min, spec.max, frozenset(spec.enum), spec.pattern
    # Calls repeat the same few values (an endpoint name, a content type): the values
    # that passed are remembered, except sensitive members' (not kept past the call).
    passed: set[str] | None = None if spec.sensitive else set()

    def check(value: Any) -> bool:
        if type(value) is not str:
            return False
        if passed is not None and value in passed:
            return True
        length = len(value)
        if (low is not None and length < low) or (high is not None and length > high):
            return False
        if enum and value not in enum:
            return False
        # Compiled on first use: a plan covers every member, a call passes a few.
        if pattern and compiled_pattern(pattern).fullmatch(value) is None:
            return False
        if not header_safe(value):
            return False
        if passed is not None:
            if len(passed) >= _MEMO_SIZE:
                passed.clear()
            passed.add(value)
        return True

    return check


def _int_check(spec: ShapeSpec) -> Check:
    low, high = spec.min, spec.max

    def check(value: Any) -> bool:
        return (
            type(value) is int and (low is None or value >= low) and (high is None or value <= high)
        )

    return check


def _bool_check(value: Any) -> bool:
    return type(value) is bool


def _payload_check(spec: ShapeSpec) -> Check:
    low, high = spec.min, spec.max

    def check(value: Any) -> bool:
        if type(value) is bytes:
            length = len(value)
            return (low is None or length >= low) and (high is None or length <= high)
        return payload_valid(value, low, high)

    return check


def _check_for(spec: ShapeSpec) -> Check | None:
    if spec.type == "string":
        return _string_check(spec)
    if spec.type in _INT_TYPES:
        return _int_check(spec)
    if spec.type == "boolean":
        return _bool_check
    if spec.type == "blob" and spec.streaming:
        return _payload_check(spec)
    return None


class _Plan:
    __slots__ = ("checks", "construct", "required")

    def __init__(self, shape: ShapeSpec, shapes: Mapping[str, ShapeSpec]) -> None:
        # model_construct itself resolves every default per call (~25 us per input here).
        self.construct = constructor(shape)
        self.checks: dict[str, tuple[str, Check | None]] = {}
        for member in shape.members:
            target = shapes.get(member.target)
            entry = (member.attr, None if target is None else _check_for(target))
            self.checks[member.attr] = entry
            self.checks[member.name] = entry
        self.required = frozenset(m.attr for m in shape.members if m.required)


_plans: dict[int, tuple[ShapeSpec, _Plan]] = {}


def construct_if_plain(
    shape: ShapeSpec, shapes: Mapping[str, ShapeSpec], params: Mapping[str, Any]
) -> Any:
    """The input model for ``params`` built without validation, or ``None`` (validate)."""
    cached = _plans.get(id(shape))
    if cached is None or cached[0] is not shape:
        cached = _plans[id(shape)] = (shape, _Plan(shape, shapes))
    plan = cached[1]
    if plan.construct is None:
        return None
    checks = plan.checks
    values: dict[str, Any] = {}
    for key, value in params.items():
        entry = checks.get(key)
        if entry is None or value is None:
            return None
        attr, check = entry
        if check is None or attr in values or not check(value):
            return None
        values[attr] = value
    if not plan.required.issubset(values):
        return None
    return plan.construct(values)
