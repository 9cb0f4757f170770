"""Our client against serve-local (asyncio and trio)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient, ServiceError
from aiosagemaker_runtime.errors import (
    ModelError,
    ModelNotReadyException,
    ModelStreamError,
    ServiceUnavailable,
    ValidationError,
)

from .conftest import Local
from .servers import ACCESS_KEY, SECRET_KEY, wait_for_file

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def client(local: Local, secret: str = SECRET_KEY) -> AsyncIterator[SageMakerRuntimeClient]:
    async with SageMakerRuntimeClient(
        region_name="us-east-1",
        endpoint_url=local.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=secret,
        config=ClientConfig(max_attempts=1),
    ) as sm:
        yield sm


async def test_invoke_endpoint(local: Local) -> None:
    async with client(local) as sm:
        out = await sm.invoke_endpoint(
            endpoint_name="echo1", body=b'{"inputs": [1, 2]}', content_type="application/json"
        )
    assert out.body == b'{"inputs": [1, 2]}'
    assert out.content_type == "application/json"
    assert out.invoked_production_variant == "AllTraffic"


async def test_stream_parts_arrive_as_the_container_sends_them(local: Local) -> None:
    async with client(local) as sm:
        started = time.monotonic()
        out = await sm.invoke_endpoint_with_response_stream(
            endpoint_name="model", body=b"stream:w1 w2 w3 w4 w5 w6"
        )
        arrivals: list[tuple[float, bytes]] = []
        async with out:
            async for part in out.body:
                arrivals.append((time.monotonic() - started, part.bytes))
    assert [data for _, data in arrivals] == [b"w1 ", b"w2 ", b"w3 ", b"w4 ", b"w5 ", b"w6 "]
    # The container waits 50 ms between words: the first part came well before the last.
    assert arrivals[-1][0] - arrivals[0][0] >= 0.1
    assert out.content_type == "text/event-stream"


async def test_echo_stream(local: Local) -> None:
    body = b"a b c d e f g h i j"
    async with client(local) as sm:
        out = await sm.invoke_endpoint_with_response_stream(endpoint_name="echo1", body=body)
        async with out:
            parts = [part.bytes async for part in out.body]
    assert len(parts) > 1
    assert b"".join(parts) == body


async def test_model_error(local: Local) -> None:
    async with client(local) as sm:
        with pytest.raises(ModelError) as excinfo:
            await sm.invoke_endpoint(endpoint_name="model", body=b"fail:400:wrong shape")
    error = excinfo.value
    assert error.status_code == 424
    assert error.original_status_code == 400
    assert error.original_message == "wrong shape"
    assert error.log_stream_arn.endswith(":log-group:/aws/sagemaker/Endpoints/model")
    assert error.request_id


async def test_model_stream_error_from_iteration(local: Local) -> None:
    async with client(local) as sm:
        out = await sm.invoke_endpoint_with_response_stream(
            endpoint_name="model", body=b"break:x y"
        )
        received = []
        with pytest.raises(ModelStreamError) as excinfo:
            async with out:
                async for part in out.body:
                    received.append(part.bytes)
    assert received == [b"x ", b"y "]
    assert excinfo.value.error_code == "ModelStreamFailure"
    assert excinfo.value.status_code is None


async def test_service_errors(local: Local) -> None:
    async with client(local) as sm:
        with pytest.raises(ValidationError) as excinfo:
            await sm.invoke_endpoint(endpoint_name="missing", body=b"x")
        assert excinfo.value.message == "Endpoint missing of account 123456789012 not found."
        with pytest.raises(ServiceUnavailable):
            await sm.invoke_endpoint(endpoint_name="dead", body=b"x")
        with pytest.raises(ModelNotReadyException):
            await sm.invoke_endpoint(endpoint_name="unready", body=b"x")


async def test_bad_signature(local: Local) -> None:
    async with client(local, secret="wrong") as sm:
        with pytest.raises(ServiceError) as excinfo:
            await sm.invoke_endpoint(endpoint_name="echo1", body=b"x")
    assert excinfo.value.code == "InvalidSignatureException"
    assert excinfo.value.status_code == 403


async def test_invoke_endpoint_async(local: Local) -> None:
    (local.s3_root / "client-in").mkdir(exist_ok=True)
    (local.s3_root / "client-in" / "x").write_bytes(b"async body")
    async with client(local) as sm:
        out = await sm.invoke_endpoint_async(
            endpoint_name="echo1", input_location="s3://client-in/x", inference_id="c-1"
        )
    assert out.inference_id == "c-1"
    assert out.output_location and out.failure_location
    path = local.s3_root / out.output_location.removeprefix("s3://")
    assert await anyio.to_thread.run_sync(wait_for_file, path) == b"async body"


async def test_many_concurrent_calls(local: Local) -> None:
    results: dict[int, bytes] = {}
    async with client(local) as sm:

        async def one(i: int) -> None:
            out = await sm.invoke_endpoint(endpoint_name="echo1", body=f"call {i}".encode())
            results[i] = out.body

        async with anyio.create_task_group() as tasks:
            for i in range(100):
                tasks.start_soon(one, i)
    assert results == {i: f"call {i}".encode() for i in range(100)}


async def test_aiohttp_backend(local: Local, anyio_backend: str) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("the aiohttp backend runs on asyncio")
    async with SageMakerRuntimeClient(
        region_name="us-east-1",
        endpoint_url=local.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=ClientConfig(max_attempts=1, http_backend="aiohttp"),
    ) as sm:
        out = await sm.invoke_endpoint(endpoint_name="echo1", body=b"via aiohttp")
        assert out.body == b"via aiohttp"
        stream = await sm.invoke_endpoint_with_response_stream(
            endpoint_name="model", body=b"stream:p q r"
        )
        async with stream:
            assert [part.bytes async for part in stream.body] == [b"p ", b"q ", b"r "]
        with pytest.raises(ModelError):
            await sm.invoke_endpoint(endpoint_name="model", body=b"fail:418:teapot")
