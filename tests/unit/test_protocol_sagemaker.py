"""The protocol layer on the generated SageMaker Runtime operations, against botocore."""

from __future__ import annotations

import io
import json
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import prepare_request_dict
from botocore.parsers import RestJSONParser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer
from urllib3._collections import HTTPHeaderDict

from aiosagemaker_runtime import ParamValidationError, ServiceError
from aiosagemaker_runtime._protocol.rest_json import (
    parse_error,
    parse_response,
    parse_stream_output,
    prepare_input,
    serialize_request,
)

operations = pytest.importorskip("aiosagemaker_runtime._generated.operations")
models = pytest.importorskip("aiosagemaker_runtime._generated.models")
errors = pytest.importorskip("aiosagemaker_runtime._generated.errors")

ENDPOINT = "https://runtime.sagemaker.us-east-1.amazonaws.com"
BOTO = botocore.session.get_session().get_service_model("sagemaker-runtime")
SERIALIZER = create_serializer("rest-json", include_validation=False)
OPERATIONS = {
    "InvokeEndpoint": (operations.INVOKE_ENDPOINT, models.InvokeEndpointInput),
    "InvokeEndpointAsync": (operations.INVOKE_ENDPOINT_ASYNC, models.InvokeEndpointAsyncInput),
    "InvokeEndpointWithResponseStream": (
        operations.INVOKE_ENDPOINT_WITH_RESPONSE_STREAM,
        models.InvokeEndpointWithResponseStreamInput,
    ),
}


def both(name: str, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    request = SERIALIZER.serialize_to_request(dict(params), BOTO.operation_model(name))
    prepare_request_dict(request, ENDPOINT)
    theirs = {
        "method": request["method"],
        "url": request["url"],
        "headers": {name: value.strip(" \t") for name, value in request["headers"].items()},
        "body": bytes(request["body"]),
    }
    spec, cls = OPERATIONS[name]
    ours_request = serialize_request(spec, cls(**params), ENDPOINT)
    ours = {
        "method": ours_request.method,
        "url": ours_request.url,
        "headers": dict(ours_request.headers),
        "body": bytes(ours_request.body),
    }
    return ours, theirs


def test_invoke_endpoint_minimal() -> None:
    ours, theirs = both(
        "InvokeEndpoint", {"EndpointName": "my-endpoint", "Body": b'{"inputs": [1]}'}
    )
    assert ours == theirs
    assert ours == {
        "method": "POST",
        "url": f"{ENDPOINT}/endpoints/my-endpoint/invocations",
        "headers": {},
        "body": b'{"inputs": [1]}',
    }


def test_invoke_endpoint_every_header() -> None:
    params = {
        "EndpointName": "my-endpoint-2",
        "Body": b"\x00\xff",
        "ContentType": "application/octet-stream",
        "Accept": "application/json",
        "CustomAttributes": "c000b4f9-df62-4c85-a0bf-7c525f9104a4, trace=1",
        "TargetModel": "model.tar.gz",
        "TargetVariant": "variant-1",
        "TargetContainerHostname": "container-1",
        "InferenceId": "inference id 1",
        "EnableExplanations": "`true`",
        "InferenceComponentName": "component-1",
        "SessionId": "NEW_SESSION",
        "PrefixAwareId": "prefix-1",
    }
    ours, theirs = both("InvokeEndpoint", params)
    assert ours == theirs
    assert ours["headers"]["Accept"] == "application/json"
    assert ours["headers"]["X-Amzn-SageMaker-Target-Model"] == "model.tar.gz"


def test_invoke_endpoint_async_has_no_body_and_integer_headers() -> None:
    params = {
        "EndpointName": "ep",
        "InputLocation": "s3://bucket/input.json",
        "ContentType": "application/json",
        "Accept": "text/csv",
        "RequestTTLSeconds": 600,
        "InvocationTimeoutSeconds": 3600,
        "S3OutputPathExtension": "run/1",
        "Filename": "out.json",
    }
    ours, theirs = both("InvokeEndpointAsync", params)
    assert ours == theirs
    assert ours["body"] == b""
    assert ours["headers"]["X-Amzn-SageMaker-RequestTTLSeconds"] == "600"
    assert ours["headers"]["X-Amzn-SageMaker-Content-Type"] == "application/json"
    assert "Content-Type" not in ours["headers"]
    assert ours["url"] == f"{ENDPOINT}/endpoints/ep/async-invocations"


def test_response_stream_sends_accept_as_sagemaker_header() -> None:
    params = {
        "EndpointName": "llm",
        "Body": "text body é",
        "Accept": "text/event-stream",
        "ContentType": "application/json",
    }
    ours, theirs = both("InvokeEndpointWithResponseStream", params)
    assert ours == theirs
    assert ours["headers"]["X-Amzn-SageMaker-Accept"] == "text/event-stream"
    assert ours["body"] == "text body é".encode()
    assert ours["url"].endswith("/endpoints/llm/invocations-response-stream")


def test_bad_endpoint_name_never_reaches_the_wire() -> None:
    with pytest.raises(ParamValidationError) as info:
        models.InvokeEndpointInput(endpoint_name="bad_name", body=b"x")
    assert info.value.member == "EndpointName"


@pytest.mark.anyio
async def test_file_bodies_are_read_within_the_blob_limit() -> None:
    value = models.InvokeEndpointInput(endpoint_name="ep", body=io.BytesIO(b"abc"))
    prepared = await prepare_input(operations.INVOKE_ENDPOINT, value)
    assert serialize_request(operations.INVOKE_ENDPOINT, prepared, ENDPOINT).body == b"abc"
    big = models.InvokeEndpointAsyncInput.model_construct(
        endpoint_name="ep", body=io.BytesIO(b"x" * 128001)
    )
    with pytest.raises(ParamValidationError) as info:
        await prepare_input(operations.INVOKE_ENDPOINT_ASYNC, big)
    assert info.value.member == "Body" and "128000" in str(info.value)


@pytest.mark.anyio
async def test_in_memory_bodies_are_not_copied() -> None:
    payload = bytearray(b"x" * 4096)
    value = models.InvokeEndpointInput(endpoint_name="ep", body=payload)
    prepared = await prepare_input(operations.INVOKE_ENDPOINT, value)
    assert prepared is value
    assert serialize_request(operations.INVOKE_ENDPOINT, prepared, ENDPOINT).body is payload


def botocore_parse(name: str, status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    model = BOTO.operation_model(name)
    response_body: Any = (
        StreamingBody(io.BytesIO(body), len(body)) if model.has_streaming_output else body
    )
    parsed = RestJSONParser().parse(
        {
            "status_code": status,
            "headers": HTTPHeaderDict(headers),
            "body": response_body,
            "context": {},
        },
        model.output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    if isinstance(parsed.get("Body"), StreamingBody):
        parsed["Body"] = parsed["Body"].read()
    return dict(parsed)


def test_parse_invoke_endpoint() -> None:
    headers = {
        "Content-Type": "application/json",
        "x-Amzn-Invoked-Production-Variant": "AllTraffic",
        "X-Amzn-SageMaker-Custom-Attributes": "secret-attr-value",
        "X-Amzn-SageMaker-New-Session-Id": "sess-1; Expires=2026-11-23T10:00:00Z",
        "x-amzn-RequestId": "rid",
        "Date": "Mon, 23 Nov 2026 08:48:46 GMT",
    }
    body = b'{"outputs": [0.5]}'
    out = parse_response(
        operations.INVOKE_ENDPOINT, 200, {k.lower(): v for k, v in headers.items()}, body
    )
    assert isinstance(out, models.InvokeEndpointOutput)
    assert out.body == body and out.content_type == "application/json"
    assert out.invoked_production_variant == "AllTraffic"
    assert out.model_dump(by_alias=True, exclude_unset=True) == botocore_parse(
        "InvokeEndpoint", 200, headers, body
    )
    assert "outputs" not in repr(out) and "secret-attr-value" not in repr(out)


def test_parse_invoke_endpoint_async() -> None:
    headers = {
        "X-Amzn-SageMaker-OutputLocation": "s3://b/out",
        "X-Amzn-SageMaker-FailureLocation": "s3://b/fail",
        "Content-Type": "application/json",
    }
    body = json.dumps({"InferenceId": "inf-1"}).encode()
    out = parse_response(
        operations.INVOKE_ENDPOINT_ASYNC, 202, {k.lower(): v for k, v in headers.items()}, body
    )
    assert (out.inference_id, out.output_location, out.failure_location) == (
        "inf-1",
        "s3://b/out",
        "s3://b/fail",
    )
    assert out.model_dump(by_alias=True, exclude_unset=True) == botocore_parse(
        "InvokeEndpointAsync", 202, headers, body
    )


def test_parse_response_stream_output() -> None:
    stream = object()
    out = parse_stream_output(
        operations.INVOKE_ENDPOINT_WITH_RESPONSE_STREAM,
        200,
        {
            "x-amzn-sagemaker-content-type": "text/event-stream",
            "x-amzn-invoked-production-variant": "v",
        },
        stream,
    )
    assert out.body is stream
    assert out.content_type == "text/event-stream" and out.invoked_production_variant == "v"


def test_model_error_with_its_members() -> None:
    body = json.dumps(
        {
            "ErrorCode": "CLIENT_ERROR_FROM_MODEL",
            "LogStreamArn": "arn:aws:logs:us-east-1:123:log-group:/aws/sagemaker/Endpoints/ep",
            "Message": 'Received client error (400) from primary with message "bad input".',
            "OriginalMessage": "bad input",
            "OriginalStatusCode": 400,
        }
    ).encode()
    headers = {
        "x-amzn-errortype": "ModelError:http://internal.amazon.com/coral/com.amazon.sageruntime/",
        "x-amzn-requestid": "rid-9",
    }
    err = parse_error(operations.SERVICE, operations.INVOKE_ENDPOINT, 424, headers, body)
    assert type(err) is errors.ModelError
    assert err.code == "ModelError" and err.status_code == 424 and err.request_id == "rid-9"
    assert err.original_status_code == 400
    assert err.original_message == "bad input"
    assert err.log_stream_arn.startswith("arn:aws:logs")
    assert err.message.startswith("Received client error (400)")


@pytest.mark.parametrize(
    ("status", "headers", "body", "cls", "message"),
    [
        (
            400,
            {"x-amzn-errortype": "ValidationError"},
            b'{"message": "Endpoint x not found."}',
            "ValidationError",
            "Endpoint x not found.",
        ),
        (
            429,
            {},
            b'{"__type": "ModelNotReadyException", "Message": "not ready"}',
            "ModelNotReadyException",
            "not ready",
        ),
        (500, {}, b'{"code": "InternalFailure"}', "InternalFailure", ""),
        (
            503,
            {"x-amzn-errortype": "ServiceUnavailable"},
            b"",
            "ServiceUnavailable",
            "Service Unavailable",
        ),
        (
            530,
            {"x-amzn-errortype": "InternalDependencyException"},
            b'{"Message": "dep"}',
            "InternalDependencyException",
            "dep",
        ),
    ],
)
def test_modeled_errors(
    status: int, headers: dict[str, str], body: bytes, cls: str, message: str
) -> None:
    err = parse_error(operations.SERVICE, operations.INVOKE_ENDPOINT, status, headers, body)
    assert type(err) is getattr(errors, cls)
    assert err.message == message and err.status_code == status


def test_unknown_and_html_errors() -> None:
    err = parse_error(
        operations.SERVICE,
        operations.INVOKE_ENDPOINT,
        403,
        {"x-amzn-errortype": "AccessDeniedException"},
        b'{"Message": "no"}',
    )
    assert type(err) is ServiceError and err.code == "AccessDeniedException"
    err = parse_error(
        operations.SERVICE,
        operations.INVOKE_ENDPOINT,
        502,
        {},
        b"<html><body>Bad Gateway</body></html>",
    )
    assert type(err) is ServiceError and err.code == "502" and err.message == "Bad Gateway"
