"""The fast input path on the SageMaker Runtime model: taken for plain calls, no validator built."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from aiosagemaker_runtime import ParamValidationError
from aiosagemaker_runtime._generated.operations import INVOKE_ENDPOINT, INVOKE_ENDPOINT_ASYNC
from aiosagemaker_runtime._pipeline import build_input
from aiosagemaker_runtime._protocol.fastinput import construct_if_plain

SHAPE = INVOKE_ENDPOINT.shapes[INVOKE_ENDPOINT.input]


@pytest.mark.parametrize(
    "params",
    [
        {"endpoint_name": "my-endpoint", "body": b"{}"},
        {"EndpointName": "e1", "Body": bytearray(b"x"), "ContentType": "application/json"},
        {"endpoint_name": "e", "body": memoryview(b"abc"), "custom_attributes": "k=v"},
        {"endpoint_name": "e", "body": "text", "enable_explanations": "`true`"},
    ],
)
def test_plain_calls_take_the_fast_path(params: dict[str, object]) -> None:
    built = construct_if_plain(SHAPE, INVOKE_ENDPOINT.shapes, params)
    assert built is not None
    assert SHAPE.cls is not None
    validated = SHAPE.cls(**params)
    assert built == validated
    assert built.model_fields_set == validated.model_fields_set


@pytest.mark.parametrize(
    ("params", "member"),
    [
        ({"endpoint_name": "-bad", "body": b"{}"}, "EndpointName"),
        ({"endpoint_name": "e" * 64, "body": b"{}"}, "EndpointName"),
        ({"endpoint_name": "e", "body": b"{}", "content_type": "a\r\nX: y"}, "ContentType"),
        ({"endpoint_name": "e", "body": b"x" * (6 * 1024 * 1024 + 1)}, "Body"),
        ({"endpoint_name": "e", "body": 5}, "Body"),
        ({"endpoint_name": "e", "body": b"{}", "custom_attributes": "\u00e9"}, "CustomAttributes"),
        ({"body": b"{}"}, "EndpointName"),
    ],
)
def test_invalid_values_still_get_pydantic_errors(params: dict[str, object], member: str) -> None:
    assert construct_if_plain(SHAPE, INVOKE_ENDPOINT.shapes, params) is None
    with pytest.raises(ParamValidationError) as info:
        build_input(INVOKE_ENDPOINT, None, params)
    assert info.value.member == member


def test_ints_take_the_fast_path_within_range() -> None:
    shape = INVOKE_ENDPOINT_ASYNC.shapes[INVOKE_ENDPOINT_ASYNC.input]
    base = {"endpoint_name": "e", "input_location": "s3://b/k"}
    ok = construct_if_plain(
        shape, INVOKE_ENDPOINT_ASYNC.shapes, {**base, "request_ttl_seconds": 60}
    )
    assert ok is not None and ok.request_ttl_seconds == 60
    for bad in (59, True, "60", 60.0):
        params = {**base, "request_ttl_seconds": bad}
        assert construct_if_plain(shape, INVOKE_ENDPOINT_ASYNC.shapes, params) is None


def test_a_plain_call_builds_no_pydantic_validator() -> None:
    code = textwrap.dedent(
        """
        import sys
        from aiosagemaker_runtime._generated.operations import INVOKE_ENDPOINT
        from aiosagemaker_runtime._pipeline import build_input
        model = build_input(INVOKE_ENDPOINT, None, {"endpoint_name": "e", "body": b"{}"})
        cls = type(model)
        print(cls.__pydantic_complete__, "pydantic.plugin._loader" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]


def test_remembered_values_give_the_same_answers() -> None:
    # The second call of each value is answered from the members' memory of passed values.
    for _ in range(2):
        good = construct_if_plain(
            SHAPE, INVOKE_ENDPOINT.shapes, {"endpoint_name": "e-1", "body": b""}
        )
        assert good is not None and good.endpoint_name == "e-1"
        bad = {"endpoint_name": "e-1", "body": b"", "content_type": "a\nb"}
        assert construct_if_plain(SHAPE, INVOKE_ENDPOINT.shapes, bad) is None
        assert construct_if_plain(SHAPE, INVOKE_ENDPOINT.shapes, {"endpoint_name": "-e"}) is None
    # More distinct values than a member remembers: still checked, never refused wrongly.
    for n in range(200):
        assert (
            construct_if_plain(
                SHAPE, INVOKE_ENDPOINT.shapes, {"endpoint_name": f"e{n}", "body": b"x"}
            )
            is not None
        )
