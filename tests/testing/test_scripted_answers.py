"""Every scripted answer as our client sees it (asyncio and trio, the fake in the test's loop)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient
from aiosagemaker_runtime.errors import (
    EndpointConnectionError,
    EventStreamError,
    InternalDependencyException,
    InternalFailure,
    InternalStreamFailure,
    ModelError,
    ModelNotReadyException,
    ModelStreamError,
    ReadTimeoutError,
    ServiceError,
    ServiceUnavailable,
    ValidationError,
)
from aiosagemaker_runtime.testing import (
    CorruptFrame,
    Disconnect,
    FakeSageMaker,
    HTTPAnswer,
    Pause,
    ThrottlingException,
    TruncatedFrame,
    byte_chunks,
)

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serving(
    attempts: int = 1, read_timeout: float = 70.0
) -> AsyncIterator[tuple[FakeSageMaker, SageMakerRuntimeClient]]:
    async with (
        FakeSageMaker() as fake,
        SageMakerRuntimeClient(
            endpoint_url=fake.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=ClientConfig(max_attempts=attempts, read_timeout=read_timeout),
        ) as client,
    ):
        yield fake, client


# -- errors of the HTTP answer --------------------------------------------------------------


async def test_model_error_with_the_services_wording() -> None:
    async with serving() as (fake, client):
        fake.endpoint("ep").fail(ModelError(original_status_code=400, original_message="bad shape"))
        with pytest.raises(ModelError) as excinfo:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    error = excinfo.value
    assert error.status_code == 424
    assert error.original_status_code == 400
    assert error.original_message == "bad shape"
    assert error.log_stream_arn == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/ep"
    )
    assert error.message.startswith(
        'Received client error (400) from primary with message "bad shape". See https://'
    )
    assert error.request_id


async def test_model_error_fields_as_given() -> None:
    async with serving() as (fake, client):
        fake.endpoint("ep").fail(
            ModelError(
                "the model broke",
                original_status_code=503,
                original_message="overloaded",
                log_stream_arn="arn:aws:logs:eu-west-1:1:log-group:x",
            )
        )
        with pytest.raises(ModelError) as excinfo:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    error = excinfo.value
    assert (error.message, error.original_status_code, error.original_message) == (
        "the model broke",
        503,
        "overloaded",
    )
    assert error.log_stream_arn == "arn:aws:logs:eu-west-1:1:log-group:x"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ModelNotReadyException("loading"), 429),
        (ValidationError("Endpoint ep is busy."), 400),
        (InternalFailure("inside"), 500),
        (ServiceUnavailable("later"), 503),
        (InternalDependencyException("dependency"), 530),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, ServiceError) else str(value),
)
async def test_modeled_errors(error: ServiceError, status: int) -> None:
    async with serving() as (fake, client):
        fake.endpoint("ep").fail(error)
        with pytest.raises(type(error)) as excinfo:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert excinfo.value.status_code == status
    assert excinfo.value.message == error.message
    assert excinfo.value.code == type(error).__name__


async def test_throttling_as_sagemaker_sends_it() -> None:
    async with serving() as (fake, client):
        fake.endpoint("ep").fail(ThrottlingException())
        with pytest.raises(ServiceError) as excinfo:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert excinfo.value.code == "ThrottlingException"
    assert excinfo.value.status_code == 400
    assert excinfo.value.message == ""


async def test_throttling_then_success_is_retried() -> None:
    async with serving(attempts=2) as (fake, client):
        fake.endpoint("ep").fail(ThrottlingException("slow down")).respond(b"ok")
        out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert out.body == b"ok"
    assert len(fake.endpoint("ep").calls) == 2


async def test_http_answer_that_is_not_a_service_error() -> None:
    async with serving() as (fake, client):
        fake.endpoint("ep").fail(
            HTTPAnswer(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"})
        )
        with pytest.raises(ServiceError) as excinfo:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert excinfo.value.status_code == 502


# -- delays and connections -----------------------------------------------------------------


async def test_delay_beyond_the_read_timeout() -> None:
    async with serving(read_timeout=0.2) as (fake, client):
        fake.endpoint("ep").respond(b"late", delay=30)
        with pytest.raises(ReadTimeoutError):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")


async def test_disconnect_is_retried_then_raised() -> None:
    async with serving(attempts=3) as (fake, client):
        fake.endpoint("ep").disconnect()
        with pytest.raises(EndpointConnectionError):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert len(fake.endpoint("ep").calls) == 3


async def test_disconnect_then_success() -> None:
    async with serving(attempts=2) as (fake, client):
        fake.endpoint("ep").fail(Disconnect()).respond({"ok": True})
        out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert out.body == b'{"ok": true}'
    assert out.content_type == "application/json"


async def test_disconnect_sends_not_a_byte() -> None:
    async with FakeSageMaker() as fake:
        fake.endpoint("ep").disconnect()
        host, port = fake.url.removeprefix("http://").split(":")
        async with await anyio.connect_tcp(host, int(port)) as stream:
            await stream.send(
                b"POST /endpoints/ep/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx"
            )
            received = b""
            with anyio.fail_after(10):
                try:
                    while True:
                        received += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    pass
    assert received == b""


# -- streams --------------------------------------------------------------------------------


async def test_parts_keep_the_chosen_boundaries() -> None:
    text = "héllo wörld\r\nnext line 😀\nlast"
    parts = byte_chunks(text, 1)
    async with serving() as (fake, client):
        fake.endpoint("ep").stream(parts, content_type="text/plain", times=2)
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        async with out:
            received = [part.bytes async for part in out.body]
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        async with out:
            lines = [line async for line in out.body.lines()]
    assert received == parts
    assert len(received) == len(text.encode())
    assert out.content_type == "text/plain"
    assert [line.decode() for line in lines] == ["héllo wörld", "next line 😀", "last"]


async def test_server_sent_events_split_anywhere() -> None:
    events = 'data: {"token": "é"}\n\ndata: {"token": "😀"}\n\n'
    async with serving() as (fake, client):
        fake.endpoint("ep").stream(byte_chunks(events, 3), content_type="text/event-stream")
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        async with out:
            data = [event.data async for event in out.body.sse()]
    assert data == ['{"token": "é"}', '{"token": "😀"}']


async def test_model_stream_error_mid_stream() -> None:
    async with serving() as (fake, client):
        fake.endpoint("ep").stream(
            [b"one ", b"two ", ModelStreamError("container died", error_code="ModelStreamFailure")]
        )
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        received = []
        with pytest.raises(ModelStreamError) as excinfo:
            async with out:
                async for part in out.body:
                    received.append(part.bytes)
    assert received == [b"one ", b"two "]
    assert excinfo.value.error_code == "ModelStreamFailure"
    assert excinfo.value.message == "container died"
    assert excinfo.value.status_code is None


async def test_internal_stream_failure() -> None:
    async with serving() as (fake, client):
        fake.endpoint("ep").stream([b"a", InternalStreamFailure("oops")])
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        with pytest.raises(InternalStreamFailure):
            async with out:
                async for _ in out.body:
                    pass


@pytest.mark.parametrize(
    ("frame", "message"),
    [(CorruptFrame(), "checksum"), (TruncatedFrame(), "ended inside a frame")],
    ids=["corrupt", "truncated"],
)
async def test_malformed_frames(frame: CorruptFrame | TruncatedFrame, message: str) -> None:
    async with serving() as (fake, client):
        fake.endpoint("ep").stream([b"good", frame])
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        received = []
        with pytest.raises(EventStreamError, match=message):
            async with out:
                async for part in out.body:
                    received.append(part.bytes)
    assert received == [b"good"]


async def test_disconnect_mid_stream() -> None:
    async with serving() as (fake, client):
        fake.endpoint("ep").stream([b"a", b"b", Disconnect()])
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        received = []
        with pytest.raises(EndpointConnectionError):
            async with out:
                async for part in out.body:
                    received.append(part.bytes)
    assert received == [b"a", b"b"]


async def test_stream_parts_are_sent_as_they_come() -> None:
    """The second part waits for the test to have read the first: parts are not
    gathered before they are sent."""
    first_read = anyio.Event()

    async def model(call: object) -> AsyncIterator[bytes]:
        yield b"first"
        await first_read.wait()
        yield b"second"

    async with serving() as (fake, client):
        fake.endpoint("ep", model=model)
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        async with out:
            iterator = aiter(out.body)
            with anyio.fail_after(10):
                assert (await anext(iterator)).bytes == b"first"
            first_read.set()
            assert [part.bytes async for part in iterator] == [b"second"]


async def test_pause_and_delay_in_a_stream() -> None:
    async with serving(read_timeout=0.2) as (fake, client):
        fake.endpoint("ep").stream([b"a", Pause(30), b"b"])
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        received = []
        with pytest.raises(ReadTimeoutError):
            async with out:
                async for part in out.body:
                    received.append(part.bytes)
    assert received == [b"a"]


async def test_stream_answering_invoke_endpoint_is_joined() -> None:
    async with serving() as (fake, client):
        fake.endpoint("ep").stream([b"a", "é", b"c"], content_type="text/plain")
        out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert out.body == "aéc".encode()
    assert out.content_type == "text/plain"
