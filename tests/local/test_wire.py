"""serve-local on the wire: exact headers and bodies, keep-alive, concurrency."""

from __future__ import annotations

import hashlib
import json

import anyio
import httpx2
import pytest

from aiosagemaker_runtime._auth.credentials import Credentials
from aiosagemaker_runtime._auth.sigv4 import sign_request
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._protocol.eventstream import EventStreamDecoder

from .conftest import Local
from .servers import ACCESS_KEY, SECRET_KEY

CREDENTIALS = Credentials(ACCESS_KEY, SECRET_KEY)


def signed(url: str, body: bytes, headers: list[tuple[str, str]] | None = None) -> HTTPRequest:
    request = HTTPRequest("POST", url, [*(headers or [])], body)
    host = url.split("/")[2]
    request.headers.append(("host", host))
    sign_request(
        request,
        CREDENTIALS,
        region="us-east-1",
        service="sagemaker",
        payload_sha256=hashlib.sha256(body).hexdigest(),
    )
    return request


async def send(client: httpx2.AsyncClient, request: HTTPRequest) -> httpx2.Response:
    headers = [(k, v) for k, v in request.headers if k != "host"]
    return await client.post(request.url, content=bytes(request.body), headers=headers)


@pytest.mark.anyio
async def test_invoke_headers(local: Local) -> None:
    async with httpx2.AsyncClient() as client:
        url = f"{local.url}/endpoints/echo1/invocations"
        response = await send(client, signed(url, b"abc", [("Content-Type", "text/plain")]))
    assert response.status_code == 200
    assert response.content == b"abc"
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["x-amzn-invoked-production-variant"] == "AllTraffic"
    assert len(response.headers["x-amzn-requestid"]) == 36


@pytest.mark.anyio
async def test_error_shape(local: Local) -> None:
    async with httpx2.AsyncClient() as client:
        url = f"{local.url}/endpoints/model/invocations"
        response = await send(client, signed(url, b"fail:404:gone"))
    assert response.status_code == 424
    assert response.headers["x-amzn-errortype"] == "ModelError"
    body = json.loads(response.content)
    assert body["OriginalStatusCode"] == 404
    assert body["OriginalMessage"] == "gone"
    assert body["Message"].startswith(
        'Received client error (404) from primary with message "gone"'
    )


@pytest.mark.anyio
async def test_stream_frames(local: Local) -> None:
    async with httpx2.AsyncClient() as client:
        url = f"{local.url}/endpoints/echo1/invocations-response-stream"
        request = signed(url, b"one two three", [("X-Amzn-SageMaker-Accept", "text/plain")])
        response = await send(client, request)
    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    assert response.headers["x-amzn-sagemaker-content-type"] == "application/octet-stream"
    assert response.headers.get("transfer-encoding") == "chunked"
    messages = EventStreamDecoder().feed(response.content)
    assert [m.headers[":event-type"] for m in messages] == ["PayloadPart"] * len(messages)
    assert all(m.headers[":message-type"] == "event" for m in messages)
    assert b"".join(m.payload for m in messages) == b"one two three"


@pytest.mark.anyio
async def test_unknown_route(local: Local) -> None:
    async with httpx2.AsyncClient() as client:
        response = await client.get(f"{local.url}/endpoints/echo1/invocations")
    assert response.status_code == 404
    assert response.headers["x-amzn-errortype"] == "UnknownOperationException"


@pytest.mark.anyio
async def test_many_concurrent_requests_on_few_connections(local: Local) -> None:
    url = f"{local.url}/endpoints/echo1/invocations"
    results: list[bytes] = []
    limits = httpx2.Limits(max_connections=16)

    async with httpx2.AsyncClient(limits=limits) as client:

        async def one(i: int) -> None:
            response = await send(client, signed(url, f"request {i}".encode()))
            assert response.status_code == 200
            results.append(response.content)

        async with anyio.create_task_group() as tasks:
            for i in range(200):
                tasks.start_soon(one, i)
    assert sorted(results) == sorted(f"request {i}".encode() for i in range(200))


@pytest.mark.anyio
async def test_slow_container_does_not_block_others(local: Local) -> None:
    """A container call in progress leaves the server free to answer other requests."""
    async with httpx2.AsyncClient(timeout=10) as client:
        slow_done = anyio.Event()
        fast_times: list[bool] = []

        async def slow() -> None:
            await send(client, signed(f"{local.url}/endpoints/model/invocations", b"sleep:0.8"))
            slow_done.set()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(slow)
            await anyio.sleep(0.1)
            response = await send(
                client, signed(f"{local.url}/endpoints/echo1/invocations", b"fast")
            )
            fast_times.append(not slow_done.is_set())
        assert response.content == b"fast"
        assert fast_times == [True]
