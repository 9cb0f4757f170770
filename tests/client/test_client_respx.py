"""The client through a user's ``httpx.AsyncClient`` mocked with respx, and through mock
transports of httpx and httpx2: what users' own tests will do."""

from __future__ import annotations

import json
from typing import Any

import httpx
import httpx2
import pytest
import respx

from aiosagemaker_runtime import (
    ClientConfig,
    ConnectTimeoutError,
    EndpointConnectionError,
    ModelError,
    ParamValidationError,
    ReadTimeoutError,
    SageMakerRuntimeClient,
    ServiceError,
)

pytestmark = pytest.mark.anyio

URL = "https://runtime.sagemaker.us-west-2.amazonaws.com/endpoints/my-ep/invocations"


def client_with(http_client: Any, **config: Any) -> SageMakerRuntimeClient:
    client = SageMakerRuntimeClient(
        region_name="us-west-2",
        aws_access_key_id="AKIDRESPX",
        aws_secret_access_key="secret-respx",
        config=ClientConfig(**config),
        http_client=http_client,
    )
    client._pipeline.retry.random = lambda: 0.0
    return client


async def test_invoke_endpoint_through_respx() -> None:
    async with respx.mock(assert_all_called=True) as mock, httpx.AsyncClient() as http:
        route = mock.post(URL).respond(
            200,
            content=b'{"predictions": [1]}',
            headers={
                "Content-Type": "application/json",
                "X-Amzn-Invoked-Production-Variant": "AllTraffic",
                "x-amzn-RequestId": "rid-1",
            },
        )
        async with client_with(http) as client:
            out = await client.invoke_endpoint(
                endpoint_name="my-ep",
                body=b'{"inputs": [1]}',
                content_type="application/json",
                accept="application/json",
            )
        assert not http.is_closed
    assert out.body == b'{"predictions": [1]}'
    assert out.content_type == "application/json"
    assert out.invoked_production_variant == "AllTraffic"
    request = route.calls.last.request
    assert request.content == b'{"inputs": [1]}'
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.headers["host"] == "runtime.sagemaker.us-west-2.amazonaws.com"
    assert request.headers["user-agent"].startswith("aiosagemaker-runtime/0.1.0 ")
    assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDRESPX/")
    assert "/us-west-2/sagemaker/aws4_request" in request.headers["authorization"]
    assert "accept-encoding" not in request.headers


async def test_no_accept_header_unless_asked() -> None:
    async with respx.mock() as mock, httpx.AsyncClient() as http:
        route = mock.post(URL).respond(200, content=b"")
        async with client_with(http) as client:
            await client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
    headers = route.calls.last.request.headers
    assert "accept" not in headers
    assert "accept-encoding" not in headers
    assert "content-type" not in headers


async def test_model_error_through_respx() -> None:
    body = {
        "Message": "Received client error (400) from primary",
        "OriginalStatusCode": 400,
        "OriginalMessage": "bad input",
        "LogStreamArn": "arn:aws:logs:us-west-2:1:log-group:/aws/sagemaker/Endpoints/my-ep",
    }
    async with respx.mock() as mock, httpx.AsyncClient() as http:
        route = mock.post(URL).respond(
            424,
            content=json.dumps(body).encode(),
            headers={"x-amzn-ErrorType": "ModelError:http://internal.amazon.com/"},
        )
        async with client_with(http) as client:
            with pytest.raises(ModelError) as info:
                await client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
    assert route.call_count == 1
    assert info.value.original_status_code == 400
    assert info.value.original_message == "bad input"


@pytest.mark.parametrize(
    ("side_effect", "expected"),
    [
        (httpx.ConnectError("refused"), EndpointConnectionError),
        (httpx.RemoteProtocolError("peer closed"), EndpointConnectionError),
        (httpx.ConnectTimeout("slow"), ConnectTimeoutError),
        (httpx.ReadTimeout("slow"), ReadTimeoutError),
    ],
)
async def test_httpx_exceptions_are_translated_and_retried(
    side_effect: Exception, expected: type[Exception]
) -> None:
    async with respx.mock() as mock, httpx.AsyncClient() as http:
        route = mock.post(URL).mock(side_effect=side_effect)
        async with client_with(http) as client:
            with pytest.raises(expected) as info:
                await client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
    assert route.call_count == 3
    assert isinstance(info.value.__cause__, httpx.HTTPError)


async def test_retry_then_success_through_respx() -> None:
    async with respx.mock() as mock, httpx.AsyncClient() as http:
        route = mock.post(URL)
        route.side_effect = [
            httpx.Response(500, json={"message": "oops"}),
            httpx.ConnectError("reset"),
            httpx.Response(200, content=b"ok"),
        ]
        async with client_with(http) as client:
            out = await client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
    assert out.body == b"ok"
    attempts = [call.request.headers["amz-sdk-request"] for call in route.calls]
    assert attempts == ["attempt=1", "attempt=2; max=3", "attempt=3; max=3"]


async def test_invalid_input_never_reaches_respx() -> None:
    async with respx.mock(assert_all_called=False) as mock, httpx.AsyncClient() as http:
        route = mock.post(URL).respond(200)
        async with client_with(http) as client:
            with pytest.raises(ParamValidationError) as info:
                await client.invoke_endpoint(
                    endpoint_name="my-ep", body=b"x" * (25 * 1024 * 1024 + 1)
                )
    assert not route.called
    assert info.value.member == "Body"


async def test_async_invocation_through_respx() -> None:
    url = "https://runtime.sagemaker.us-west-2.amazonaws.com/endpoints/my-ep/async-invocations"
    async with respx.mock() as mock, httpx.AsyncClient() as http:
        route = mock.post(url).respond(
            202,
            json={"InferenceId": "inf-1"},
            headers={"X-Amzn-SageMaker-OutputLocation": "s3://bucket/out"},
        )
        async with client_with(http) as client:
            out = await client.invoke_endpoint_async(
                endpoint_name="my-ep", input_location="s3://bucket/in", request_ttl_seconds=600
            )
    assert out.inference_id == "inf-1"
    assert out.output_location == "s3://bucket/out"
    request = route.calls.last.request
    assert request.content == b""
    assert request.headers["content-length"] == "0"
    assert request.headers["x-amzn-sagemaker-requestttlseconds"] == "600"


@pytest.mark.parametrize("library", [httpx, httpx2], ids=["httpx", "httpx2"])
async def test_mock_transport_of_either_library(library: Any) -> None:
    seen: list[Any] = []

    def handler(request: Any) -> Any:
        seen.append(request)
        if len(seen) == 1:
            return library.Response(503, json={"message": "busy"})
        return library.Response(200, content=request.content[::-1])

    async with (
        library.AsyncClient(transport=library.MockTransport(handler)) as http,
        client_with(http) as client,
    ):
        out = await client.invoke_endpoint(endpoint_name="my-ep", body=b"abc")
    assert out.body == b"cba"
    assert len(seen) == 2
    assert seen[0].headers["amz-sdk-invocation-id"] == seen[1].headers["amz-sdk-invocation-id"]


async def test_unknown_error_code_is_a_service_error() -> None:
    async with respx.mock() as mock, httpx.AsyncClient() as http:
        mock.post(URL).respond(
            418, json={"__type": "com.amazon#TeapotException", "message": "short and stout"}
        )
        async with client_with(http) as client:
            with pytest.raises(ServiceError) as info:
                await client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
    assert type(info.value) is ServiceError
    assert info.value.code == "TeapotException"
    assert info.value.message == "short and stout"


def test_not_an_httpx_client_is_refused() -> None:
    with pytest.raises(TypeError, match="AsyncClient"):
        client_with(object())
    with pytest.raises(TypeError, match="AsyncClient"):
        client_with(httpx.Client())
