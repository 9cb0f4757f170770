"""Spans and the duration histogram, through a respx-mocked ``httpx.AsyncClient``."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
import respx
from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, StatusCode

from aiosagemaker_runtime import (
    ClientConfig,
    EndpointConnectionError,
    ModelError,
    ModelStreamError,
    ParamValidationError,
    SageMakerRuntimeClient,
    otel,
)
from aiosagemaker_runtime._protocol.eventstream import encode_message

from .conftest import Telemetry, attributes

pytestmark = pytest.mark.anyio

HOST = "runtime.sagemaker.us-west-2.amazonaws.com"
URL = f"https://{HOST}/endpoints/my-ep/invocations"
STREAM_URL = f"https://{HOST}/endpoints/my-ep/invocations-response-stream"
KEY_ID = "AKIDOTELSECRETKEY01"
SECRET_KEY = "otel-secret-access-key-value"
TOKEN = "otel-session-token-value"
#: What a request or its answer carries that must never be exported.
SECRETS = {
    "body": "SECRET-BODY-7f3a",
    "custom_attributes": "SECRET-CUSTOM-ATTRIBUTES-91c2",
    "session_id": "SECRET-SESSION-5d1e",
    "inference_id": "SECRET-INFERENCE-ID-a0b4",
    "answer": "SECRET-ANSWER-c3d9",
    "new_session": "SECRET-NEW-SESSION-e8f0",
    "model_message": "SECRET-MODEL-MESSAGE-4b6a",
}
PART = ((":event-type", "PayloadPart"), (":content-type", "application/octet-stream"))
STREAM_HEADERS = {
    "Content-Type": "application/vnd.amazon.eventstream",
    "X-Amzn-Invoked-Production-Variant": "variant-b",
    "x-amzn-RequestId": "rid-stream",
}


def _part(data: bytes) -> bytes:
    return encode_message([*PART, (":message-type", "event")], data)


def _client(http: httpx.AsyncClient, **config: Any) -> SageMakerRuntimeClient:
    client = SageMakerRuntimeClient(
        region_name="us-west-2",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=TOKEN,
        config=ClientConfig(**config),
        http_client=http,
    )
    client._pipeline.retry.random = lambda: 0.0
    return client


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


async def test_invoke_endpoint_span(telemetry: Telemetry, mock: respx.MockRouter) -> None:
    mock.post(URL).respond(
        200,
        content=b"{}",
        headers={"X-Amzn-Invoked-Production-Variant": "variant-a", "x-amzn-RequestId": "rid-1"},
    )
    async with httpx.AsyncClient() as http, _client(http) as client:
        await client.invoke_endpoint(
            endpoint_name="my-ep",
            body=b"{}",
            target_variant="variant-a",
            inference_component_name="component-1",
        )
    span = telemetry.span()
    assert span.name == "SageMaker Runtime.InvokeEndpoint"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert attributes(span) == {
        "rpc.system": "aws-api",
        "rpc.service": "SageMaker Runtime",
        "rpc.method": "InvokeEndpoint",
        "cloud.region": "us-west-2",
        "server.address": HOST,
        "server.port": 443,
        "http.response.status_code": 200,
        "aws.request_id": "rid-1",
        "aws.sagemaker.endpoint_name": "my-ep",
        "aws.sagemaker.target_variant": "variant-a",
        "aws.sagemaker.inference_component_name": "component-1",
        "aws.sagemaker.invoked_production_variant": "variant-a",
    }
    assert span.events == ()
    [point] = telemetry.durations()
    assert point.count == 1
    assert 0 < point.sum <= (span.end_time - span.start_time) / 1e9 + 0.05  # type: ignore[operator]
    assert dict(point.attributes or {}) == {
        "rpc.system": "aws-api",
        "rpc.service": "SageMaker Runtime",
        "rpc.method": "InvokeEndpoint",
        "server.address": HOST,
        "server.port": 443,
        "aws.sagemaker.endpoint_name": "my-ep",
        "aws.sagemaker.inference_component_name": "component-1",
    }


async def test_the_call_span_is_current_during_the_call(
    telemetry: Telemetry, mock: respx.MockRouter
) -> None:
    seen: list[trace.Span] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(trace.get_current_span())
        return httpx.Response(200, content=b"")

    mock.post(URL).mock(side_effect=handler)
    tracer = telemetry.tracer_provider.get_tracer("test")
    async with httpx.AsyncClient() as http, _client(http) as client:
        with tracer.start_as_current_span("parent") as parent:
            async with anyio.create_task_group() as tasks:
                for _ in range(4):
                    tasks.start_soon(
                        lambda: client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
                    )
            after = trace.get_current_span()
    assert after is parent
    calls = [s for s in telemetry.spans() if s.name != "parent"]
    assert len(calls) == 4
    assert all(
        s.parent is not None and s.parent.span_id == parent.get_span_context().span_id
        for s in calls
    )
    assert {s.get_span_context().span_id for s in seen} == {
        s.context.span_id for s in calls if s.context is not None
    }


async def test_model_error_span(telemetry: Telemetry, mock: respx.MockRouter) -> None:
    body = {
        "Message": f"Received client error (400) from primary: {SECRETS['model_message']}",
        "OriginalStatusCode": 400,
        "OriginalMessage": SECRETS["model_message"],
    }
    mock.post(URL).respond(
        424,
        content=json.dumps(body).encode(),
        headers={
            "x-amzn-ErrorType": "ModelError:http://internal.amazon.com/",
            "x-amzn-RequestId": "rid-e",
        },
    )
    async with httpx.AsyncClient() as http, _client(http) as client:
        with pytest.raises(ModelError):
            await client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert not span.status.description  # a message may quote the model's output
    found = attributes(span)
    assert found["error.type"] == "ModelError"
    assert found["http.response.status_code"] == 424
    assert found["aws.request_id"] == "rid-e"
    assert "http.request.resend_count" not in found  # ModelError is not retried
    assert span.events == ()
    [point] = telemetry.durations()
    assert dict(point.attributes or {})["error.type"] == "ModelError"


async def test_retries_are_counted(telemetry: Telemetry, mock: respx.MockRouter) -> None:
    mock.post(URL).side_effect = [
        httpx.Response(500, json={"message": "oops"}),
        httpx.ConnectError("reset"),
        httpx.Response(200, content=b"ok", headers={"x-amzn-RequestId": "rid-3"}),
    ]
    async with httpx.AsyncClient() as http, _client(http) as client:
        await client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
    found = attributes(telemetry.span())
    assert found["http.request.resend_count"] == 2
    assert found["http.response.status_code"] == 200
    assert found["aws.request_id"] == "rid-3"
    assert "error.type" not in found
    assert [p.count for p in telemetry.durations()] == [1]


async def test_no_answer(telemetry: Telemetry, mock: respx.MockRouter) -> None:
    mock.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    async with httpx.AsyncClient() as http, _client(http, max_attempts=2) as client:
        with pytest.raises(EndpointConnectionError):
            await client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
    span = telemetry.span()
    found = attributes(span)
    assert found["error.type"] == "EndpointConnectionError"
    assert found["http.request.resend_count"] == 1
    assert "http.response.status_code" not in found
    assert span.status.status_code is StatusCode.ERROR


async def test_invalid_input_is_a_failed_span(telemetry: Telemetry) -> None:
    async with httpx.AsyncClient() as http, _client(http) as client:
        with pytest.raises(ParamValidationError):
            await client.invoke_endpoint(endpoint_name="bad name!", body=b"x")
    found = attributes(telemetry.span())
    assert found["error.type"] == "ParamValidationError"
    assert "aws.sagemaker.endpoint_name" not in found  # the input never became a model


async def test_response_stream_span_lasts_until_the_stream_ends(
    telemetry: Telemetry, mock: respx.MockRouter
) -> None:
    parts = [b"one ", b"two ", b"three"]
    mock.post(STREAM_URL).respond(
        200, content=b"".join(_part(p) for p in parts), headers=STREAM_HEADERS
    )
    async with httpx.AsyncClient() as http, _client(http) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="my-ep", body=b"x")
        assert telemetry.spans() == []  # the stream is not read yet
        received = [part async for part in out.body.lines()]
    assert received == [b"one two three"]
    span = telemetry.span()
    found = attributes(span)
    assert found["aws.sagemaker.stream.parts"] == 3
    assert found["aws.sagemaker.stream.bytes"] == sum(map(len, parts))
    assert found["aws.sagemaker.stream.end"] == "complete"
    duration = (span.end_time - span.start_time) / 1e9  # type: ignore[operator]
    assert 0 < found["aws.sagemaker.stream.time_to_first_part"] <= duration
    assert found["aws.sagemaker.invoked_production_variant"] == "variant-b"
    assert found["aws.request_id"] == "rid-stream"
    assert span.status.status_code is StatusCode.UNSET
    [point] = telemetry.durations()
    assert "aws.sagemaker.stream.parts" not in dict(point.attributes or {})


async def test_stream_closed_early(telemetry: Telemetry, mock: respx.MockRouter) -> None:
    mock.post(STREAM_URL).respond(200, content=_part(b"a") + _part(b"b"), headers=STREAM_HEADERS)
    async with httpx.AsyncClient() as http, _client(http) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="my-ep", body=b"x")
        async with out:
            async for _ in out.body:
                break
    found = attributes(telemetry.span())
    assert found["aws.sagemaker.stream.end"] == "closed"
    assert found["aws.sagemaker.stream.parts"] == 1


async def test_stream_dropped_unfinished(telemetry: Telemetry, mock: respx.MockRouter) -> None:
    mock.post(STREAM_URL).respond(200, content=_part(b"a") + _part(b"b"), headers=STREAM_HEADERS)
    async with httpx.AsyncClient() as http, _client(http) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="my-ep", body=b"x")
        async for _ in out.body:  # no ``async with``: the loop's iterator is dropped
            break
        found = attributes(telemetry.span())
    assert found["aws.sagemaker.stream.end"] == "closed"
    assert found["aws.sagemaker.stream.parts"] == 1


async def test_stream_failure(telemetry: Telemetry, mock: respx.MockRouter) -> None:
    error = encode_message(
        [
            (":exception-type", "ModelStreamError"),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        json.dumps({"Message": SECRETS["model_message"], "ErrorCode": "E1"}).encode(),
    )
    mock.post(STREAM_URL).respond(200, content=_part(b"a") + error, headers=STREAM_HEADERS)
    async with httpx.AsyncClient() as http, _client(http) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="my-ep", body=b"x")
        with pytest.raises(ModelStreamError):
            async for _ in out.body:
                pass
    span = telemetry.span()
    found = attributes(span)
    assert found["aws.sagemaker.stream.end"] == "failed"
    assert found["aws.sagemaker.stream.parts"] == 1
    assert found["error.type"] == "ModelStreamError"
    assert found["http.response.status_code"] == 200  # the stream's own answer
    assert span.status.status_code is StatusCode.ERROR
    assert not span.status.description


async def test_sensitive_values_are_never_exported(
    telemetry: Telemetry, mock: respx.MockRouter
) -> None:
    answer_headers = {
        "X-Amzn-SageMaker-Custom-Attributes": SECRETS["custom_attributes"],
        "X-Amzn-SageMaker-New-Session-Id": SECRETS["new_session"],
        "x-amzn-RequestId": "rid-s",
    }
    mock.post(URL).side_effect = [
        httpx.Response(200, content=SECRETS["answer"].encode(), headers=answer_headers),
        httpx.Response(
            424,
            json={"Message": SECRETS["model_message"], "OriginalMessage": SECRETS["answer"]},
            headers={"x-amzn-ErrorType": "ModelError"},
        ),
    ]
    mock.post(STREAM_URL).respond(
        200, content=_part(SECRETS["answer"].encode()), headers={**STREAM_HEADERS, **answer_headers}
    )
    request: dict[str, Any] = {
        "endpoint_name": "my-ep",
        "body": SECRETS["body"].encode(),
        "custom_attributes": SECRETS["custom_attributes"],
        "inference_id": SECRETS["inference_id"],
        "session_id": SECRETS["session_id"],
    }
    async with httpx.AsyncClient() as http, _client(http) as client:
        await client.invoke_endpoint(**request)
        with pytest.raises(ModelError):
            await client.invoke_endpoint(**request)
        out = await client.invoke_endpoint_with_response_stream(**request)
        async with out:
            assert [p.bytes async for p in out.body] == [SECRETS["answer"].encode()]
    spans = telemetry.spans()
    assert len(spans) == 3
    exported: list[str] = []
    for span in spans:
        exported += [span.name, span.status.description or ""]
        exported += [f"{k}={v!r}" for k, v in attributes(span).items()]
        for event in span.events:
            exported += [event.name, *(f"{k}={v!r}" for k, v in (event.attributes or {}).items())]
    for point in telemetry.durations():
        exported += [f"{k}={v!r}" for k, v in (point.attributes or {}).items()]
    text = "\n".join(exported)
    assert "aws.sagemaker.endpoint_name='my-ep'" in text  # the scan sees what was exported
    for value in (*SECRETS.values(), KEY_ID, SECRET_KEY, TOKEN):
        assert value not in text


async def test_suppressed_calls_are_not_traced(
    telemetry: Telemetry, mock: respx.MockRouter
) -> None:
    mock.post(URL).respond(200, content=b"")
    key = context._SUPPRESS_INSTRUMENTATION_KEY
    async with httpx.AsyncClient() as http, _client(http) as client:
        token = context.attach(context.set_value(key, True))
        try:
            await client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
        finally:
            context.detach(token)
        await client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
    assert len(telemetry.spans()) == 1


async def test_uninstrument(telemetry: Telemetry, mock: respx.MockRouter) -> None:
    mock.post(URL).respond(200, content=b"")
    assert otel.is_instrumented()
    async with httpx.AsyncClient() as http, _client(http) as client:
        otel.uninstrument()
        assert not otel.is_instrumented()
        await client.invoke_endpoint(endpoint_name="my-ep", body=b"x")
    assert telemetry.spans() == []
    assert telemetry.durations() == []


async def test_stream_dropped_unread(telemetry: Telemetry, mock: respx.MockRouter) -> None:
    mock.post(STREAM_URL).respond(200, content=_part(b"a"), headers=STREAM_HEADERS)
    async with httpx.AsyncClient() as http, _client(http) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="my-ep", body=b"x")
        assert telemetry.spans() == []
        del out
        gc.collect()
        found = attributes(telemetry.span())
    assert found["aws.sagemaker.stream.end"] == "closed"
    assert found["aws.sagemaker.stream.parts"] == 0
    assert "aws.sagemaker.stream.time_to_first_part" not in found


async def test_a_streams_duration_belongs_to_the_calls_span(
    telemetry: Telemetry, mock: respx.MockRouter
) -> None:
    """The duration recorded when a stream ends elsewhere (here under another span) is
    the call's: its exemplar points at the call's span, not at the reader's."""
    mock.post(STREAM_URL).respond(200, content=_part(b"a"), headers=STREAM_HEADERS)
    tracer = telemetry.tracer_provider.get_tracer("test")
    async with httpx.AsyncClient() as http, _client(http) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="my-ep", body=b"x")
        with tracer.start_as_current_span("reader") as reader:
            async with out:
                assert [p.bytes async for p in out.body] == [b"a"]
    [call] = [s for s in telemetry.spans() if s.name != "reader"]
    assert call.context is not None
    assert call.context.span_id != reader.get_span_context().span_id
    [point] = telemetry.durations()
    assert [e.span_id for e in point.exemplars] == [call.context.span_id]
    assert point.sum == pytest.approx((call.end_time - call.start_time) / 1e9)  # type: ignore[operator]
