"""Parity with botocore on the wire: the same calls through a botocore client and through
ours, to one local server, give the same method, path, headers and body.

Left out of the comparison: the values that change per request (``X-Amz-Date``,
``Authorization``, ``amz-sdk-invocation-id``, ``User-Agent``) and botocore's
``Accept-Encoding: identity`` (urllib3's; design.md: we send no Accept-Encoding).
Our signatures are checked by recomputing them with botocore's ``SigV4Auth``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.config import Config

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient
from aiosagemaker_runtime._protocol.eventstream import encode_message

from .servers import FaultServer, Received, chunked, ok, status
from .test_client_faults import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    TOKEN,
    botocore_signature_matches,
)

pytestmark = pytest.mark.anyio

VOLATILE = {"x-amz-date", "authorization", "amz-sdk-invocation-id", "user-agent"}
BOTOCORE_ONLY = {"accept-encoding"}

STREAM = chunked(
    [encode_message([(":event-type", "PayloadPart"), (":message-type", "event")], b"hi")],
    headers=[("Content-Type", "application/vnd.amazon.eventstream")],
)

CALLS: list[tuple[str, str, dict[str, Any], Any]] = [
    (
        "invoke_endpoint",
        "InvokeEndpoint",
        {
            "EndpointName": "my-endpoint",
            "Body": b'{"inputs": [1, 2, 3]}',
            "ContentType": "application/json",
            "Accept": "application/json",
            "CustomAttributes": "trace=1, x=2",
            "TargetVariant": "variant-a",
            "InferenceId": "inf-123",
            "EnableExplanations": "`true`",
        },
        ok(b"{}"),
    ),
    (
        "invoke_endpoint",
        "InvokeEndpoint (minimal)",
        {"EndpointName": "e", "Body": b"\x00\x01binary\xff"},
        ok(b""),
    ),
    (
        "invoke_endpoint",
        "InvokeEndpoint (components)",
        {
            "EndpointName": "my-endpoint",
            "Body": "text body é",
            "InferenceComponentName": "ic-1",
            "SessionId": "NEW_SESSION",
            "TargetContainerHostname": "container-1",
        },
        ok(b""),
    ),
    (
        "invoke_endpoint_async",
        "InvokeEndpointAsync",
        {
            "EndpointName": "my-endpoint",
            "InputLocation": "s3://bucket/input.json",
            "ContentType": "application/json",
            "Accept": "application/json",
            "S3OutputPathExtension": "ext",
            "Filename": "out.json",
            "RequestTTLSeconds": 3600,
            "InvocationTimeoutSeconds": 900,
            "InferenceId": "inf-async",
        },
        ok(b'{"InferenceId": "inf-async"}', code=202),
    ),
    (
        "invoke_endpoint_with_response_stream",
        "InvokeEndpointWithResponseStream",
        {
            "EndpointName": "llm",
            "Body": b'{"inputs": "hi", "stream": true}',
            "ContentType": "application/json",
            "Accept": "application/json",
            "CustomAttributes": "c=1",
            "InferenceComponentName": "ic-2",
        },
        STREAM,
    ),
]


@pytest.fixture(params=["httpx", "aiohttp"])
def engine(request: pytest.FixtureRequest, anyio_backend: str) -> str:
    if request.param == "aiohttp" and anyio_backend != "asyncio":
        pytest.skip("aiohttp runs under asyncio only")
    return str(request.param)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


def comparable(received: Received) -> dict[str, str]:
    headers = received.header_dict()
    return {
        name: value
        for name, value in headers.items()
        if name not in VOLATILE and name not in BOTOCORE_ONLY
    }


def botocore_call(
    server: FaultServer, method: str, params: dict[str, Any], answer: Any
) -> Received:
    client = botocore.session.get_session().create_client(
        "sagemaker-runtime",
        region_name=REGION,
        endpoint_url=server.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=TOKEN,
        config=Config(retries={"mode": "standard"}),
    )
    server.script(answer)
    response = getattr(client, method)(**params)
    if method == "invoke_endpoint_with_response_stream":
        list(response["Body"])
    return server.requests[-1]


async def our_call(
    server: FaultServer, method: str, params: dict[str, Any], answer: Any, engine: str
) -> Received:
    server.script(answer)
    async with SageMakerRuntimeClient(
        region_name=REGION,
        endpoint_url=server.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=TOKEN,
        config=ClientConfig(http_backend=engine),  # type: ignore[arg-type]
    ) as client:
        out = await getattr(client, method)(**params)  # the model's spelling is accepted
        if method == "invoke_endpoint_with_response_stream":
            async with out:
                assert [part.bytes async for part in out.body] == [b"hi"]
    return server.requests[-1]


@pytest.mark.parametrize(("method", "label", "params", "answer"), CALLS, ids=[c[1] for c in CALLS])
async def test_same_request_as_botocore(
    server: FaultServer,
    engine: str,
    method: str,
    label: str,
    params: dict[str, Any],
    answer: Any,
) -> None:
    theirs = botocore_call(server, method, params, answer)
    ours = await our_call(server, method, params, answer, engine)
    assert ours.method == theirs.method
    assert ours.target == theirs.target
    assert ours.body == theirs.body
    assert comparable(ours) == comparable(theirs)
    assert botocore_signature_matches(server, ours, TOKEN)
    # Both sign exactly the same headers.
    signed = [
        r.header("authorization").split("SignedHeaders=")[1].split(",")[0] for r in (ours, theirs)
    ]  # type: ignore[union-attr]
    assert signed[0] == signed[1]


async def test_same_retry_headers_as_botocore(server: FaultServer) -> None:
    params = {"EndpointName": "ep", "Body": b"x"}
    server.script(status(503, "ServiceUnavailable"), status(503, "ServiceUnavailable"))
    client = botocore.session.get_session().create_client(
        "sagemaker-runtime",
        region_name=REGION,
        endpoint_url=server.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
    )
    client.invoke_endpoint(**params)
    theirs = [r.header("amz-sdk-request") for r in server.requests]
    server.requests.clear()
    server.script(status(503, "ServiceUnavailable"), status(503, "ServiceUnavailable"))
    async with SageMakerRuntimeClient(
        region_name=REGION,
        endpoint_url=server.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    ) as ours_client:
        ours_client._pipeline.retry.random = lambda: 0.0
        await ours_client.invoke_endpoint(**params)
    ours = [r.header("amz-sdk-request") for r in server.requests]
    assert ours == theirs == ["attempt=1", "attempt=2; max=3", "attempt=3; max=3"]
