"""``model_dump(by_alias=True)`` of a parsed output is what botocore returns for it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore.session
import pytest
from botocore.parsers import create_parser
from codegen_support import botocore_model_path

from aiosagemaker_runtime._generated import operations
from aiosagemaker_runtime._protocol.rest_json import parse_response


def botocore_parse(
    service: str, operation: str, status: int, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    model = botocore.session.Session().get_service_model(service).operation_model(operation)
    parsed = create_parser("rest-json").parse(
        {"status_code": status, "headers": headers, "body": body}, model.output_shape
    )
    parsed.pop("ResponseMetadata", None)
    for key, value in list(parsed.items()):
        # A blob payload comes back as bytes from us, as a stream (or text) from botocore.
        if hasattr(value, "read"):
            parsed[key] = value.read()
        elif isinstance(value, str) and model.output_shape.members[key].type_name == "blob":
            parsed[key] = value.encode("utf-8")
    return dict(parsed)


def ours(spec: Any, status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    lowered = {k.lower(): v for k, v in headers.items()}
    value = parse_response(spec, status, lowered, body)
    dumped: dict[str, Any] = value.model_dump(by_alias=True, exclude_unset=True)
    return dumped


def test_invoke_endpoint_output() -> None:
    headers = {
        "Content-Type": "application/json",
        "x-Amzn-Invoked-Production-Variant": "AllTraffic",
        "X-Amzn-SageMaker-Custom-Attributes": "attr=1",
        "X-Amzn-SageMaker-New-Session-Id": "sess-1; Expires=2024-01-02T03:04:05Z",
        "X-Amzn-SageMaker-Closed-Session-Id": "sess-0",
    }
    body = b'{"predictions": [1]}'
    expected = botocore_parse("sagemaker-runtime", "InvokeEndpoint", 200, headers, body)
    assert set(expected) == {
        "Body",
        "ContentType",
        "InvokedProductionVariant",
        "CustomAttributes",
        "NewSessionId",
        "ClosedSessionId",
    }
    assert ours(operations.INVOKE_ENDPOINT, 200, headers, body) == expected


def test_invoke_endpoint_async_output() -> None:
    headers = {
        "X-Amzn-SageMaker-OutputLocation": "s3://b/out",
        "X-Amzn-SageMaker-FailureLocation": "s3://b/fail",
        "Content-Type": "application/json",
    }
    body = json.dumps({"InferenceId": "inf-1"}).encode()
    expected = botocore_parse("sagemaker-runtime", "InvokeEndpointAsync", 202, headers, body)
    assert set(expected) == {"InferenceId", "OutputLocation", "FailureLocation"}
    assert ours(operations.INVOKE_ENDPOINT_ASYNC, 202, headers, body) == expected


@pytest.mark.slow
def test_nested_json_output_of_another_service(
    generated: Callable[[Path, str], ModuleType],
) -> None:
    package = generated(botocore_model_path("lambda"), "parity_lambda")
    body = json.dumps(
        {
            "FunctionName": "f",
            "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "Runtime": "python3.12",
            "MemorySize": 128,
            "LastModified": "2024-01-02T03:04:05.000+0000",
            "Environment": {"Variables": {"AB": "1"}},
            "Layers": [{"Arn": "arn:aws:lambda:us-east-1:123456789012:layer:l:1", "CodeSize": 5}],
            "Architectures": ["x86_64"],
        }
    ).encode()
    headers = {"Content-Type": "application/json"}
    expected = botocore_parse("lambda", "GetFunctionConfiguration", 200, headers, body)
    got = ours(package.operations.GET_FUNCTION_CONFIGURATION, 200, headers, body)
    assert got == expected
