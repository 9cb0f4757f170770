"""SageMakerRuntimeClient end to end against the fault-injection server.

Every test runs under asyncio and trio on the default engine (httpx2), and under
asyncio on aiohttp, on both of its request paths (``aiohttp``: the direct path under
``ClientSession._request``, ``aiohttp-session``: through ``_request``, which the engine
takes where aiohttp's internals differ). Backoff sleeps are set to zero so that retries are fast; the
backoff itself is unit-tested in tests/unit/test_retry.py.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from aiosagemaker_runtime import (
    ClientConfig,
    ConnectTimeoutError,
    CredentialsError,
    EndpointConnectionError,
    ModelError,
    ModelNotReadyException,
    ParamValidationError,
    ReadTimeoutError,
    SageMakerRuntimeClient,
    ServiceError,
    ServiceUnavailable,
    ValidationError,
)
from aiosagemaker_runtime._protocol.eventstream import encode_message

from .servers import (
    FaultServer,
    Received,
    UnansweredConnects,
    chunked,
    echo,
    html_error,
    ok,
    refused_url,
    reset_before_status,
    reset_mid_body,
    stall_before_headers,
    stall_mid_body,
    status,
)

pytestmark = pytest.mark.anyio

ACCESS_KEY = "AKIDEXAMPLEFAULTS"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
REGION = "us-east-1"


@pytest.fixture(params=["httpx", "aiohttp", "aiohttp-session"])
def engine(
    request: pytest.FixtureRequest, anyio_backend: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    if request.param.startswith("aiohttp") and anyio_backend != "asyncio":
        pytest.skip("aiohttp runs under asyncio only")
    if request.param == "aiohttp-session":
        from aiosagemaker_runtime._transports import aiohttp_engine

        aiohttp_engine.AiohttpTransport._prepare()
        monkeypatch.setattr(aiohttp_engine, "_direct", None)
        return "aiohttp"
    if request.param == "aiohttp":
        from aiosagemaker_runtime._transports import aiohttp_engine

        aiohttp_engine.AiohttpTransport._prepare()
        assert aiohttp_engine._direct is not None, "this aiohttp should take the direct path"
    return str(request.param)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


def make_client(
    url: str, engine: str = "httpx", *, token: str | None = TOKEN, **config: Any
) -> SageMakerRuntimeClient:
    client = SageMakerRuntimeClient(
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=token,
        config=ClientConfig(http_backend=engine, **config),  # type: ignore[arg-type]
    )
    client._pipeline.retry.random = lambda: 0.0
    return client


def botocore_signature_matches(server: FaultServer, received: Received, token: str | None) -> bool:
    """Recompute the request's signature with botocore from what the server received."""
    authorization = received.header("authorization")
    assert authorization is not None
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    headers = [(name, value) for name, value in received.headers if name.lower() in signed]
    request = AWSRequest(
        method=received.method,
        url=server.url + received.target,
        data=received.body,
        headers=dict(headers),
    )
    request.context["timestamp"] = received.header("x-amz-date")
    auth = SigV4Auth(BotoCredentials(ACCESS_KEY, SECRET_KEY, token), "sagemaker", REGION)
    canonical = auth.canonical_request(request)
    signature = auth.signature(auth.string_to_sign(request, canonical), request)
    return authorization.endswith(f"Signature={signature}")


# -- retries ---------------------------------------------------------------------------------


async def test_5xx_burst_then_success(engine: str, server: FaultServer) -> None:
    server.script(status(500, "InternalFailure"), status(503, "ServiceUnavailable"), ok(b"fine"))
    async with make_client(server.url, engine) as client:
        out = await client.invoke_endpoint(endpoint_name="ep", body=b'{"x": 1}')
    assert out.body == b"fine"
    assert len(server.requests) == 3
    assert [r.header("amz-sdk-request") for r in server.requests] == [
        "attempt=1",
        "attempt=2; max=3",
        "attempt=3; max=3",
    ]
    ids = {r.header("amz-sdk-invocation-id") for r in server.requests}
    assert len(ids) == 1 and None not in ids
    for received in server.requests:
        assert received.body == b'{"x": 1}'
        assert botocore_signature_matches(server, received, TOKEN)


async def test_every_attempt_is_signed_afresh(server: FaultServer) -> None:
    server.script(status(503, "ServiceUnavailable"), ok(b"ok"))
    async with make_client(server.url) as client:
        client._pipeline.retry.random = lambda: 1.0  # 1 s backoff: the next second
        await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    first, second = server.requests
    assert first.header("x-amz-date") != second.header("x-amz-date")
    assert first.header("authorization") != second.header("authorization")
    assert botocore_signature_matches(server, first, TOKEN)
    assert botocore_signature_matches(server, second, TOKEN)
    assert second.time - first.time >= 1.0


async def test_every_call_has_its_own_invocation_id(server: FaultServer) -> None:
    async with make_client(server.url) as client:
        for _ in range(3):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert len({r.header("amz-sdk-invocation-id") for r in server.requests}) == 3


async def test_5xx_until_attempts_run_out(engine: str, server: FaultServer) -> None:
    server.script(*[status(503, "ServiceUnavailable", "slow down")] * 5)
    async with make_client(server.url, engine, max_attempts=4) as client:
        with pytest.raises(ServiceUnavailable) as info:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert info.value.status_code == 503
    assert info.value.message == "slow down"
    assert info.value.request_id == "11111111-2222-3333-4444-555555555555"
    assert len(server.requests) == 4
    assert server.requests[-1].header("amz-sdk-request") == "attempt=4; max=4"


async def test_reset_before_status_is_retried(engine: str, server: FaultServer) -> None:
    server.script(reset_before_status(), ok(b"second"))
    async with make_client(server.url, engine) as client:
        out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert out.body == b"second"
    assert len(server.requests) == 2


async def test_reset_during_the_body_is_retried(engine: str, server: FaultServer) -> None:
    server.script(reset_mid_body(), ok(b"whole"))
    async with make_client(server.url, engine) as client:
        out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert out.body == b"whole"
    assert len(server.requests) == 2


async def test_resets_until_attempts_run_out(engine: str, server: FaultServer) -> None:
    server.script(reset_before_status(), reset_before_status())
    async with make_client(server.url, engine, max_attempts=2) as client:
        with pytest.raises(EndpointConnectionError) as info:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert info.value.__cause__ is not None
    assert len(server.requests) == 2


async def test_slow_answer_past_read_timeout(engine: str, server: FaultServer) -> None:
    server.default = stall_before_headers(5, then=ok(b"late"))
    async with make_client(server.url, engine, read_timeout=0.3, max_attempts=2) as client:
        with anyio.fail_after(5):
            with pytest.raises(ReadTimeoutError):
                await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert len(server.requests) == 2


async def test_slow_body_past_read_timeout_then_success(engine: str, server: FaultServer) -> None:
    server.script(stall_mid_body(5), ok(b"quick"))
    async with make_client(server.url, engine, read_timeout=0.3) as client:
        out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert out.body == b"quick"


async def test_refused_connection(engine: str) -> None:
    async with make_client(refused_url(), engine, max_attempts=2) as client:
        with pytest.raises(EndpointConnectionError, match=r"127\.0\.0\.1"):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")


async def test_connect_timeout(engine: str) -> None:
    with UnansweredConnects() as url:
        async with make_client(url, engine, connect_timeout=0.2, max_attempts=1) as client:
            with anyio.fail_after(5), pytest.raises(ConnectTimeoutError):
                await client.invoke_endpoint(endpoint_name="ep", body=b"x")


async def test_html_error_page(engine: str, server: FaultServer) -> None:
    server.default = html_error(502)
    async with make_client(server.url, engine) as client:
        with pytest.raises(ServiceError) as info:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    error = info.value
    assert error.status_code == 502
    assert "Bad Gateway" in error.message
    assert "<" not in error.message and "html" not in error.message.lower()
    assert len(server.requests) == 3  # 502 is transient


@pytest.mark.parametrize(
    ("code", "error_code", "expected"),
    [
        (400, "ValidationError", ValidationError),
        (424, "ModelError", ModelError),
        (429, "ModelNotReadyException", ModelNotReadyException),
        (403, "AccessDeniedException", ServiceError),
    ],
)
async def test_client_errors_are_not_retried(
    server: FaultServer, code: int, error_code: str, expected: type[ServiceError]
) -> None:
    server.default = status(code, error_code, "no")
    async with make_client(server.url) as client:
        with pytest.raises(expected) as info:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert info.value.code == error_code
    assert info.value.status_code == code
    assert len(server.requests) == 1


async def test_throttling_is_retried(server: FaultServer) -> None:
    server.script(status(400, "ThrottlingException", "Rate exceeded"), ok(b"ok"))
    async with make_client(server.url) as client:
        out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert out.body == b"ok"
    assert len(server.requests) == 2


async def test_adaptive_mode_retries_throttles(server: FaultServer) -> None:
    server.script(status(400, "ThrottlingException"), ok(b"ok"))
    async with make_client(server.url, retry_mode="adaptive") as client:
        out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        limiter = client._pipeline.retry.limiter
        assert limiter is not None and limiter.enabled
    assert out.body == b"ok"


async def test_retry_quota_exhaustion(server: FaultServer) -> None:
    server.default = status(500, "InternalFailure")
    async with make_client(server.url, max_attempts=3) as client:
        quota = client._pipeline.retry.quota
        quota.available = 7  # room for one retry (5 tokens), not two
        with pytest.raises(ServiceError):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert len(server.requests) == 2
        assert quota.available == 2
        with pytest.raises(ServiceError):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert len(server.requests) == 3  # no retry at all now
        server.default = ok(b"")
        await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert quota.available == 3  # an un-retried success refunds one token


async def test_cancelling_the_backoff_is_immediate(server: FaultServer) -> None:
    server.default = status(503, "ServiceUnavailable")
    async with make_client(server.url, max_attempts=3) as client:
        client._pipeline.retry.random = lambda: 1.0  # 1 s, then 2 s
        start = anyio.current_time()
        with anyio.move_on_after(0.3):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert anyio.current_time() - start < 0.9
    assert len(server.requests) == 1


# -- request bodies ------------------------------------------------------------------------


class AsyncChunks:
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            await anyio.sleep(0)
            yield chunk


@pytest.mark.parametrize(
    "kind", ["bytes", "bytearray", "memoryview", "str", "file", "async-iterable"]
)
async def test_bodies_are_replayed_byte_identically(
    engine: str, server: FaultServer, kind: str
) -> None:
    payload = "héllo wörld ".encode() * 1000
    body: Any = {
        "bytes": payload,
        "bytearray": bytearray(payload),
        "memoryview": memoryview(payload),
        "str": payload.decode(),
        "file": io.BytesIO(payload),
        "async-iterable": AsyncChunks(payload[:100], payload[100:5000], payload[5000:]),
    }[kind]
    server.script(status(503, "ServiceUnavailable"), reset_before_status())
    server.default = echo()
    async with make_client(server.url, engine) as client:
        out = await client.invoke_endpoint(endpoint_name="ep", body=body)
    assert out.body == payload
    assert [r.body for r in server.requests] == [payload] * 3
    assert {r.header("content-length") for r in server.requests} == {str(len(payload))}
    for received in server.requests:
        assert botocore_signature_matches(server, received, TOKEN)


async def test_signatures_without_session_token(server: FaultServer) -> None:
    async with make_client(server.url, token=None) as client:
        await client.invoke_endpoint(
            endpoint_name="my-ep-1", body=b"{}", custom_attributes=" k=v,  x=y ", accept="*/*"
        )
    received = server.requests[0]
    assert received.target == "/endpoints/my-ep-1/invocations"
    assert received.header("x-amz-security-token") is None
    assert botocore_signature_matches(server, received, None)


# -- connections ----------------------------------------------------------------------------


async def test_pool_of_one_is_reused_after_errors(engine: str, server: FaultServer) -> None:
    server.script(status(500, "InternalFailure"), ok(b"1"), reset_before_status(), ok(b"2"))
    async with make_client(server.url, engine, max_pool_connections=1) as client:
        assert (await client.invoke_endpoint(endpoint_name="ep", body=b"x")).body == b"1"
        assert (await client.invoke_endpoint(endpoint_name="ep", body=b"x")).body == b"2"
        server.default = ok(b"3")
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(lambda: client.invoke_endpoint(endpoint_name="ep", body=b"x"))
    assert len(server.requests) == 8
    assert server.connections == 2  # one more only after the reset


async def test_aclose_releases_every_connection(engine: str, server: FaultServer) -> None:
    server.default = stall_before_headers(0.05, then=ok(b"x"))
    client = make_client(server.url, engine)
    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(lambda: client.invoke_endpoint(endpoint_name="ep", body=b"x"))
    assert server.open_connections == 5
    await client.aclose()
    await client.aclose()
    assert server.wait_for_closed_connections()
    with pytest.raises(RuntimeError, match="closed"):
        await client.invoke_endpoint(endpoint_name="ep", body=b"x")


async def test_cancelled_call_leaks_nothing(engine: str, server: FaultServer) -> None:
    server.script(stall_before_headers(5))
    server.default = ok(b"next")
    async with make_client(server.url, engine, max_pool_connections=1) as client:
        with anyio.move_on_after(0.3):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        # The only pooled connection was released: the next call goes through.
        with anyio.fail_after(5):
            out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert out.body == b"next"
    assert server.wait_for_closed_connections()


async def test_cancelled_while_reading_the_body_leaks_nothing(
    engine: str, server: FaultServer
) -> None:
    server.script(stall_mid_body(5))
    server.default = ok(b"next")
    async with make_client(server.url, engine, max_pool_connections=1) as client:
        with anyio.move_on_after(0.3) as scope:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert scope.cancelled_caught
        with anyio.fail_after(5):
            out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert out.body == b"next"
    assert server.connections == 2  # the half-read connection was closed, not reused
    assert server.wait_for_closed_connections()


async def test_cancelled_stream_leaks_nothing(engine: str, server: FaultServer) -> None:
    server.script(chunked([part(b"a")] + [part(b"b")] * 50, headers=STREAM_HEADERS, delay=0.05))
    server.default = ok(b"next")
    async with make_client(server.url, engine, max_pool_connections=1) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        with anyio.move_on_after(0.3):
            async with out:
                async for _ in out.body:
                    pass
        with anyio.fail_after(5):
            again = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert again.body == b"next"
    assert server.wait_for_closed_connections()


async def test_a_callers_http_client_is_not_closed(server: FaultServer) -> None:
    import httpx2

    async with httpx2.AsyncClient() as http:
        client = SageMakerRuntimeClient(
            region_name=REGION,
            endpoint_url=server.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            http_client=http,
        )
        async with client:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert not http.is_closed
        response = await http.get(server.url + "/still-open")
        assert response.status_code == 200
    received = server.requests[0]
    # httpx2's own defaults do not leak into our requests.
    assert received.header("accept") is None
    assert received.header("accept-encoding") is None
    assert (received.header("user-agent") or "").startswith("aiosagemaker-runtime/")


# -- event streams -----------------------------------------------------------------------------


def part(data: bytes) -> bytes:
    return encode_message(
        [(":event-type", "PayloadPart"), (":message-type", "event")],
        data,
    )


STREAM_HEADERS = [("Content-Type", "application/vnd.amazon.eventstream")]


async def test_response_stream_end_to_end(engine: str, server: FaultServer) -> None:
    server.script(
        status(503, "ServiceUnavailable"),
        chunked([part(b"a"), part(b"bc"), part(b"def")], headers=STREAM_HEADERS, delay=0.01),
    )
    async with make_client(server.url, engine, max_pool_connections=1) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        async with out:
            parts = [event.bytes async for event in out.body]
        assert parts == [b"a", b"bc", b"def"]
        again = await client.invoke_endpoint(endpoint_name="ep", body=b"y")
        assert again.body == b""
    assert len(server.requests) == 3
    assert server.connections == 1


async def test_a_stream_handed_over_is_never_retried(engine: str, server: FaultServer) -> None:
    server.script(stall_mid_body(5, partial=b"", total=1000))
    async with make_client(server.url, engine, read_timeout=0.3) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        with pytest.raises(ReadTimeoutError):
            async for _ in out.body:
                pass
        await out.aclose()
    assert len(server.requests) == 1


# -- nothing sent, nothing leaked -----------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"endpoint_name": "bad_name", "body": b"x"},
        {"endpoint_name": "ep"},
        {"endpoint_name": "ep", "body": b"x", "custom_attributes": "a\r\nInjected: 1"},
        {"endpoint_name": "ep", "body": 12},
    ],
    ids=["pattern", "required", "header-injection", "type"],
)
async def test_invalid_input_sends_nothing(server: FaultServer, params: dict[str, Any]) -> None:
    async with make_client(server.url) as client:
        with pytest.raises(ParamValidationError):
            await client.invoke_endpoint(**params)
    assert server.requests == []
    assert server.connections == 0


async def test_no_credentials_sends_nothing(server: FaultServer) -> None:
    client = SageMakerRuntimeClient(region_name=REGION, endpoint_url=server.url)
    async with client:
        with pytest.raises(CredentialsError):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert server.connections == 0


async def test_no_region_is_a_clear_error(server: FaultServer) -> None:
    client = SageMakerRuntimeClient(
        endpoint_url=server.url, aws_access_key_id="a", aws_secret_access_key="b"
    )
    async with client:
        with pytest.raises(ParamValidationError, match="region"):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert server.connections == 0


async def test_secrets_never_reach_the_logs(
    engine: str, server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = b'{"inputs": "BODY-SECRET-0001"}'
    server.script(status(503, "ServiceUnavailable"), ok(b'{"out": "BODY-SECRET-0002"}'))
    server.script(status(424, "ModelError", "model said BODY-SECRET-0003"))
    caplog.set_level(logging.DEBUG)
    async with make_client(server.url, engine) as client:
        await client.invoke_endpoint(
            endpoint_name="ep", body=body, custom_attributes="CUSTOM-SECRET-0004"
        )
        with pytest.raises(ModelError):
            await client.invoke_endpoint(
                endpoint_name="ep", body=body, custom_attributes="CUSTOM-SECRET-0004"
            )
    ours = [r for r in caplog.records if r.name == "aiosagemaker_runtime"]
    assert len(ours) >= 3  # the pipeline does log at DEBUG
    text = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    for secret in (
        SECRET_KEY,
        TOKEN,
        "BODY-SECRET-0001",
        "BODY-SECRET-0002",
        "BODY-SECRET-0003",
        "CUSTOM-SECRET-0004",
    ):
        assert secret not in text
    assert "Signature=" not in text


async def test_aiohttp_needs_asyncio(server: FaultServer, anyio_backend: str) -> None:
    if anyio_backend != "trio":
        pytest.skip("checks the error under trio")
    async with make_client(server.url, "aiohttp") as client:
        with pytest.raises(RuntimeError, match="asyncio"):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")


def test_aiohttp_extra_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from aiosagemaker_runtime._transports import aiohttp_engine as _aiohttp_transport

    monkeypatch.setattr(_aiohttp_transport, "_aiohttp", None)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "aiohttp" else real(name, *a)
    )
    with pytest.raises(ImportError, match=r"aiosagemaker-runtime\[aiohttp\]"):
        make_client("http://127.0.0.1:1", "aiohttp")


def test_http_client_and_aiohttp_do_not_mix() -> None:
    import httpx2

    with pytest.raises(ParamValidationError, match="http_client"):
        SageMakerRuntimeClient(
            region_name=REGION,
            config=ClientConfig(http_backend="aiohttp"),
            http_client=httpx2.AsyncClient(),
        )


def test_creating_a_client_is_cheap_and_does_no_io() -> None:
    import time

    start = time.perf_counter()
    for _ in range(20):
        SageMakerRuntimeClient(region_name=REGION)
    assert (time.perf_counter() - start) / 20 < 0.01
