"""A record's result as fields (``_bulk.fields``), the one helper behind the command
line's result lines and the Ray columns."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

from aiosagemaker_runtime import ModelError, ParamValidationError, ServiceError
from aiosagemaker_runtime._bulk.fields import MalformedRecord, decode_body, error_fields


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"a": [1, 2]}', "application/json", ("body", {"a": [1, 2]})),
        (b"[1]", " Application/JSON ; charset=utf-8", ("body", [1])),
        (b'{"x": 1}', "application/vnd.api+json", ("body", {"x": 1})),
        (b"0.5", "application/json", ("body", 0.5)),
        (b"not json", "application/json", ("body", "not json")),  # declared, not parsed
        (b'{"a": 1}', "text/plain", ("body", '{"a": 1}')),  # JSON text, not declared
        (b'{"a": 1}', None, ("body", '{"a": 1}')),
        ("Grüße".encode(), "text/csv", ("body", "Grüße")),
        (b"\xff\x00\xfe", "application/json", ("body_base64", "/wD+")),
        (b"", "application/json", ("body", "")),
    ],
)
def test_decode_body(body: bytes, content_type: str | None, expected: tuple[str, Any]) -> None:
    assert decode_body(body, content_type) == expected


def test_error_fields() -> None:
    model = ModelError("the model refused", status_code=424, original_status_code=500)
    assert error_fields(model) == {
        "code": "ModelError",
        "message": "the model refused",
        "status_code": 424,
    }
    assert error_fields(ServiceError("gateway", code="", status_code=502))["code"] == "502"
    assert error_fields(ServiceError("?", code=""))["code"] == "Unknown"
    assert error_fields(MalformedRecord("line 3: empty line")) == {
        "code": "MalformedRecord",
        "message": "line 3: empty line",
        "status_code": None,
    }
    invalid = ParamValidationError("too long", member="EndpointName")
    assert error_fields(invalid)["code"] == "ParamValidationError"
    assert error_fields(TimeoutError("slow")) == {
        "code": "TimeoutError",
        "message": "slow",
        "status_code": None,
    }


def test_the_ray_module_does_not_load_the_command_line() -> None:
    # ray.py and the command line share the helpers through _bulk; the Ray actors never
    # import the command line's modules (argparse, its options, its output files).
    code = textwrap.dedent(
        """
        import sys
        import aiosagemaker_runtime.ray
        print(sorted(m for m in sys.modules if m.startswith("aiosagemaker_runtime.cli")))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
