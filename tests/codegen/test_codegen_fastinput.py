"""Inputs built without pydantic's validator (``_fastinput``) agree with pydantic.

For every operation of the fixture model (strings with patterns and enums, ints with
ranges, booleans, payload blobs, timestamps, lists, maps, nested structures) and random
keyword arguments: whenever the fast path builds a model, pydantic accepts the same
arguments and builds an equal model with the same fields set; it never accepts what
pydantic refuses.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiosagemaker_runtime import ParamValidationError
from aiosagemaker_runtime._protocol.fastinput import construct_if_plain
from aiosagemaker_runtime._spec import OperationSpec, ShapeSpec

VALUES = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.text(alphabet="ab-_.0\r\n", max_size=8),
    st.sampled_from(["red", "green", "blue", "purple", "widget-1", "a" * 200, "x\ny"]),
    st.integers(min_value=-3, max_value=1200),
    st.booleans(),
    st.binary(max_size=16),
    st.just(1.0),
    st.just([]),
)


def _operations(package: ModuleType) -> list[OperationSpec]:
    ops = vars(package.operations).values()
    return [op for op in ops if isinstance(op, OperationSpec) and op.input]


_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {}


def _values_for(spec: ShapeSpec) -> st.SearchStrategy[Any]:
    """Mostly values the member's constraints accept, some just outside, some of other types."""
    if spec.name not in _STRATEGIES:
        _STRATEGIES[spec.name] = _make_values(spec)
    return _STRATEGIES[spec.name]


def _make_values(spec: ShapeSpec) -> st.SearchStrategy[Any]:
    if spec.type == "string":
        near: list[st.SearchStrategy[Any]] = [st.text(max_size=(spec.max or 10) + 2)]
        if spec.enum:
            near.append(st.sampled_from([*spec.enum, spec.enum[0].upper(), "other"]))
        if spec.pattern:
            near.append(st.from_regex(re.compile(spec.pattern), fullmatch=True))
        return st.one_of(*near, *near, *near, VALUES)
    if spec.type in ("integer", "long", "short", "byte"):
        low = -5 if spec.min is None else spec.min - 2
        high = 5000 if spec.max is None else spec.max + 2
        return st.one_of(st.integers(low, high), st.integers(low, high), VALUES)
    if spec.type == "boolean":
        return st.one_of(st.booleans(), st.booleans(), VALUES)
    if spec.type == "blob":
        return st.one_of(st.binary(max_size=20), st.text(max_size=5), VALUES)
    return VALUES


CANDIDATES: tuple[Any, ...] = ("abc", "123456789012", "a", 1, 5, True, b"x")


def _base(op: OperationSpec) -> dict[str, Any]:
    """Valid values for the required members of ``op``'s input (checked by pydantic)."""
    shape = op.shapes[op.input]
    assert shape.cls is not None
    params: dict[str, Any] = {}
    for member in shape.members:
        if member.required:
            target = op.shapes[member.target]
            params[member.attr] = next(
                value for value in (*target.enum, *CANDIDATES) if _accepts(op, {member.attr: value})
            )
    shape.cls(**params)
    return params


def _accepts(op: OperationSpec, params: dict[str, Any]) -> bool:
    cls = op.shapes[op.input].cls
    assert cls is not None
    try:
        cls(**params)
    except ParamValidationError as error:
        return not any(name in str(error) for name in _names(op, params))
    return True


def _names(op: OperationSpec, params: dict[str, Any]) -> list[str]:
    shape = op.shapes[op.input]
    return [f"parameter {m.name}:" for m in shape.members if m.attr in params]


@pytest.fixture(scope="module")
def operations(widgets: ModuleType) -> list[tuple[OperationSpec, dict[str, Any]]]:
    return [(op, _base(op)) for op in _operations(widgets)]


HITS: list[int] = []


@settings(
    max_examples=500,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fast_path_never_disagrees_with_pydantic(
    operations: list[tuple[OperationSpec, dict[str, Any]]], data: st.DataObject
) -> None:
    """A valid base input with one member set (by either spelling) to a random value."""
    op, base = data.draw(st.sampled_from(operations))
    shape = op.shapes[op.input]
    assert shape.cls is not None
    simple = [
        m
        for m in shape.members
        if op.shapes[m.target].type in ("string", "integer", "long", "boolean")
        or op.shapes[m.target].streaming
    ]
    pool = simple if simple and data.draw(st.integers(0, 4)) else list(shape.members)
    member = data.draw(st.sampled_from(pool))
    key = data.draw(st.sampled_from([member.attr, member.attr, member.name]))
    params = {**base, key: data.draw(_values_for(op.shapes[member.target]))}
    if data.draw(st.integers(0, 19)) == 0:
        params["NotAMember"] = "x"
    fast = construct_if_plain(shape, op.shapes, params)
    try:
        validated = shape.cls(**params)
    except ParamValidationError:
        assert fast is None, f"fast path accepted what pydantic refuses: {params!r}"
        return
    if fast is not None:
        HITS.append(1)
        assert fast == validated
        assert fast.model_fields_set == validated.model_fields_set
        assert {k: type(v) for k, v in vars(fast).items()} == {
            k: type(v) for k, v in vars(validated).items()
        }


def test_the_property_exercised_the_fast_path() -> None:
    """Runs after the property (file order): it must have built models, not only refused."""
    assert len(HITS) >= 25, len(HITS)


def test_fast_path_is_taken_for_plain_values(widgets: ModuleType) -> None:
    ops = {op.name: op for op in _operations(widgets)}
    hits = 0
    for op in ops.values():
        shape = op.shapes[op.input]
        assert shape.cls is not None
        params: dict[str, Any] = {}
        plain = True
        for member in shape.members:
            if not member.required:
                continue
            target = op.shapes[member.target]
            if target.type != "string" or target.pattern or target.enum or target.min:
                plain = False
                break
            params[member.attr] = "w"
        if not plain:
            continue
        built = construct_if_plain(shape, op.shapes, params)
        if built is not None:
            hits += 1
            assert built == shape.cls(**params)
    assert hits >= 1
