"""One client across event loops, and the Content-Length of bodiless requests.

A client made at module level (or reused by pytest's per-test loops, or by a script
that calls ``asyncio.run`` twice) outlives the loop of its first calls. Connections
belong to the loop that opened them: under a new loop they are dropped, never reused,
and new ones are opened (the server counts connections).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import botocore.awsrequest
import pytest
import trio

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._transports.base import content_length
from aiosagemaker_runtime._transports.httpx_engine import HttpxTransport

from .servers import FaultServer, ok


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(default=ok(b"answer")) as running:
        yield running


def make_client(url: str, backend: str = "httpx") -> SageMakerRuntimeClient:
    return SageMakerRuntimeClient(
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
        config=ClientConfig(
            max_attempts=1, connect_timeout=5, read_timeout=5, http_backend=backend
        ),
    )


async def call(client: SageMakerRuntimeClient) -> bytes:
    out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    return out.body


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
def test_asyncio_run_twice(server: FaultServer, backend: str) -> None:
    client = make_client(server.url, backend)
    assert asyncio.run(call(client)) == b"answer"
    assert asyncio.run(call(client)) == b"answer"  # was: RuntimeError: Event loop is closed
    assert asyncio.run(call(client)) == b"answer"
    asyncio.run(client.aclose())
    assert len(server.requests) == 3
    assert server.connections == 3  # never a connection of a finished loop


def test_trio_after_asyncio_and_back(server: FaultServer) -> None:
    client = make_client(server.url)
    assert asyncio.run(call(client)) == b"answer"
    assert trio.run(call, client) == b"answer"
    assert trio.run(call, client) == b"answer"
    assert asyncio.run(call(client)) == b"answer"
    trio.run(client.aclose)
    assert server.connections == 4


def test_same_loop_keeps_its_connection(server: FaultServer) -> None:
    async def three() -> None:
        async with make_client(server.url) as client:
            for _ in range(3):
                assert await call(client) == b"answer"

    asyncio.run(three())
    assert server.connections == 1


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
def test_aclose_from_another_loop(server: FaultServer, backend: str) -> None:
    client = make_client(server.url, backend)
    assert asyncio.run(call(client)) == b"answer"
    asyncio.run(client.aclose())  # the first loop is gone: nothing to await there
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(call(client))


# -- Content-Length ------------------------------------------------------------------


def botocore_content_length(method: str, body: bytes) -> str | None:
    request = botocore.awsrequest.AWSRequest(method=method, url="https://h/", data=body)
    prepared = request.prepare()
    value: str | None = prepared.headers.get("Content-Length")
    return value


def rest_json_methods() -> set[str]:
    import botocore.loaders

    loader = botocore.loaders.Loader()
    methods = set()
    for service in loader.list_available_services("service-2"):
        model = loader.load_service_model(service, "service-2")
        if model["metadata"].get("protocol") != "rest-json":
            continue
        methods.update(op["http"]["method"] for op in model["operations"].values())
    return methods


def test_content_length_rule_matches_botocore_for_every_rest_json_method() -> None:
    methods = rest_json_methods()
    assert {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"} <= methods
    for method in sorted(methods):
        assert content_length(method, 0) == botocore_content_length(method, b""), method
        if method not in ("GET", "HEAD", "OPTIONS"):
            assert content_length(method, 2) == botocore_content_length(method, b"{}"), method
    # A body on a GET needs its length for HTTP/1.1 framing (urllib3 adds it under
    # botocore, outside the prepared headers).
    assert content_length("GET", 2) == "2"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "body", "expected"),
    [("GET", b"", None), ("HEAD", b"", None), ("DELETE", b"", "0"), ("POST", b"", "0"),
     ("POST", b"abc", "3"), ("GET", b"abc", "3")],
)  # fmt: skip
async def test_content_length_on_the_wire(
    server: FaultServer, method: str, body: bytes, expected: str | None, anyio_backend: str
) -> None:
    transport = HttpxTransport(ClientConfig(connect_timeout=5, read_timeout=5))
    await _round_trip(transport, server, method, body, expected)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize(
    ("method", "body", "expected"),
    [("GET", b"", None), ("DELETE", b"", "0"), ("POST", b"", "0"), ("POST", b"abc", "3")],
)
async def test_content_length_on_the_wire_aiohttp(
    server: FaultServer, method: str, body: bytes, expected: str | None, anyio_backend: str
) -> None:
    from aiosagemaker_runtime._transports.aiohttp_engine import AiohttpTransport

    transport = AiohttpTransport(ClientConfig(connect_timeout=5, read_timeout=5))
    await _round_trip(transport, server, method, body, expected)


async def _round_trip(
    transport: Any, server: FaultServer, method: str, body: bytes, expected: str | None
) -> None:
    try:
        response = await transport.send(HTTPRequest(method, server.url + "/x", [], body))
        if method != "HEAD":
            await response.read()
        await response.aclose()
    finally:
        await transport.aclose()
    headers: list[tuple[str, Any]] = server.requests[0].headers
    lengths = [value for name, value in headers if name.lower() == "content-length"]
    assert lengths == ([] if expected is None else [expected])
