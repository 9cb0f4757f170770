"""Against serve-local in-process (asyncio and trio), and what "off" costs: nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator

import anyio
import anyio.abc
import pytest
from opentelemetry.trace import StatusCode

from aiosagemaker_runtime import SageMakerRuntimeClient, ValidationError
from aiosagemaker_runtime.local import LocalConfig, running

from .conftest import Telemetry, attributes

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client() -> AsyncIterator[SageMakerRuntimeClient]:
    async with (
        running(LocalConfig.serving({"echo": "echo"}, port=0)) as url,
        SageMakerRuntimeClient(
            region_name="eu-west-1",
            endpoint_url=url,
            aws_access_key_id="AKIDLOCAL",
            aws_secret_access_key="local-secret",
        ) as client,
    ):
        yield client


async def test_invoke_endpoint(telemetry: Telemetry, client: SageMakerRuntimeClient) -> None:
    out = await client.invoke_endpoint(endpoint_name="echo", body=b'{"x": 1}')
    found = attributes(telemetry.span())
    assert found["server.address"] == "127.0.0.1"
    assert isinstance(found["server.port"], int)
    assert found["cloud.region"] == "eu-west-1"
    assert found["http.response.status_code"] == 200
    assert found["aws.request_id"]
    assert found["aws.sagemaker.endpoint_name"] == "echo"
    assert found["aws.sagemaker.invoked_production_variant"] == out.invoked_production_variant


async def test_unknown_endpoint(telemetry: Telemetry, client: SageMakerRuntimeClient) -> None:
    with pytest.raises(ValidationError) as info:
        await client.invoke_endpoint(endpoint_name="nope", body=b"x")
    found = attributes(telemetry.span())
    assert found["error.type"] == "ValidationError"
    assert found["http.response.status_code"] == 400
    assert found["aws.request_id"] == info.value.request_id


async def test_response_stream(telemetry: Telemetry, client: SageMakerRuntimeClient) -> None:
    body = b"hello, streamed world"
    out = await client.invoke_endpoint_with_response_stream(endpoint_name="echo", body=body)
    async with out:
        parts = [part.bytes async for part in out.body]
    assert b"".join(p or b"" for p in parts) == body
    found = attributes(telemetry.span())
    assert found["aws.sagemaker.stream.parts"] == len(parts) > 1
    assert found["aws.sagemaker.stream.bytes"] == len(body)
    assert found["aws.sagemaker.stream.end"] == "complete"
    assert found["aws.sagemaker.stream.time_to_first_part"] > 0
    assert found["aws.request_id"] == out.body.request_id


_OFF = """
import json, sys
import anyio
import aiosagemaker_runtime
from aiosagemaker_runtime import SageMakerRuntimeClient, _observe
from aiosagemaker_runtime.local import LocalConfig, running

async def main():
    async with running(LocalConfig.serving({"echo": "echo"}, port=0)) as url:
        async with SageMakerRuntimeClient(
            region_name="us-east-1", endpoint_url=url,
            aws_access_key_id="AKIDLOCAL", aws_secret_access_key="local-secret",
        ) as client:
            await client.invoke_endpoint(endpoint_name="echo", body=b"x")
            out = await client.invoke_endpoint_with_response_stream(endpoint_name="echo", body=b"y")
            async with out:
                [part async for part in out.body]

anyio.run(main)
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry")
print(json.dumps({"loaded": loaded, "observer": repr(_observe.observer)}))
"""


def test_off_imports_nothing_of_opentelemetry() -> None:
    import opentelemetry.trace  # installed here: its absence below is our doing

    assert opentelemetry.trace
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_OFF)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"loaded": [], "observer": "None"}


async def test_cancelled_call(telemetry: Telemetry) -> None:
    arrived = anyio.Event()

    async def silent(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await stream.receive()
            arrived.set()
            await anyio.sleep_forever()

    async with (
        await anyio.create_tcp_listener(local_host="127.0.0.1") as listener,
        anyio.create_task_group() as tasks,
    ):
        tasks.start_soon(listener.serve, silent)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with SageMakerRuntimeClient(
            region_name="us-east-1",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="AKIDLOCAL",
            aws_secret_access_key="local-secret",
        ) as client:
            with anyio.CancelScope() as scope:
                tasks.start_soon(_cancel_when, arrived, scope)
                await client.invoke_endpoint(endpoint_name="echo", body=b"x")
        tasks.cancel_scope.cancel()
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span)["error.type"] in {"asyncio.exceptions.CancelledError", "trio.Cancelled"}


async def _cancel_when(event: anyio.Event, scope: anyio.CancelScope) -> None:
    await event.wait()
    scope.cancel()


def test_without_opentelemetry_the_error_says_what_to_install() -> None:
    code = "import sys; sys.modules['opentelemetry'] = None\nfrom aiosagemaker_runtime import otel"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0
    assert "pip install 'aiosagemaker-runtime[otel]'" in done.stderr
