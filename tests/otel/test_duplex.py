"""A bidirectional stream's span: the call, then the output stream, ended with the stream."""

from __future__ import annotations

import pytest

from aiosagemaker_runtime import SageMakerRuntimeHTTP2Client
from aiosagemaker_runtime.local import LocalConfig, running

from .conftest import Telemetry, attributes

pytestmark = pytest.mark.anyio


async def test_bidirectional_stream_span(telemetry: Telemetry) -> None:
    async with (
        running(LocalConfig.serving({"echo": "echo"}, port=0)) as url,
        SageMakerRuntimeHTTP2Client(
            region_name="eu-west-1",
            endpoint_url=url,
            aws_access_key_id="AKIDLOCAL",
            aws_secret_access_key="local-secret",
        ) as client,
    ):
        stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
        assert telemetry.spans() == []  # the span stays open while the stream is
        async with stream:
            echoed = []
            for text in ("first part", "second"):
                await stream.send(text)
                part = await anext(stream)
                echoed.append(part.bytes)
            await stream.end_input()
            async for part in stream:
                echoed.append(part.bytes)
        assert echoed == [b"first part", b"second"]
    span = telemetry.span()
    found = attributes(span)
    assert span.name == "SageMaker Runtime HTTP2.InvokeEndpointWithBidirectionalStream"
    assert found["rpc.method"] == "InvokeEndpointWithBidirectionalStream"
    assert found["http.response.status_code"] == 200
    assert found["aws.sagemaker.endpoint_name"] == "echo"
    assert found["aws.sagemaker.stream.parts"] == 2
    assert found["aws.sagemaker.stream.bytes"] == len(b"first part") + len(b"second")
    assert found["aws.sagemaker.stream.end"] == "complete"
    assert "first part" not in repr(found)
