"""Failures of ``invoke_endpoint_with_bidirectional_stream`` against the test h2 server's
SageMaker bidirectional endpoint: errors before the stream (each status, with their
modeled fields; retries with a fresh signature), errors inside it (modeled exception
events, ``:message-type error``, corrupt and truncated frames), leaving early (cancel,
break, exception, ``aclose``) resets that stream only. asyncio and trio."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.to_thread
import pytest

import aiosagemaker_runtime
from aiosagemaker_runtime import (
    ClientConfig,
    EndpointConnectionError,
    EventStreamError,
    ServiceError,
)
from aiosagemaker_runtime._generated_http2.client import SageMakerRuntimeHTTP2Client
from aiosagemaker_runtime.errors import (
    InputValidationError,
    InternalServerError,
    InternalStreamFailure,
    ModelError,
    ModelStreamError,
    ServiceUnavailableError,
)

from .bidi_support import LIMIT, Bidi, make_client, serve
from .bidiserver import ACCESS_KEY, REGION
from .h2server import StreamRecord

pytestmark = pytest.mark.anyio


@pytest.fixture
def bidi() -> Iterator[Bidi]:
    with serve() as running:
        yield running


async def reset_seen(bidi: Bidi, index: int) -> StreamRecord:
    def ready() -> StreamRecord | None:
        streams = bidi.server.streams
        if len(streams) > index and streams[index].reset_code is not None:
            return streams[index]
        return None

    record: StreamRecord = await anyio.to_thread.run_sync(bidi.server.wait_for, ready)
    return record


async def inputs_seen(bidi: Bidi, count: int) -> None:
    await anyio.to_thread.run_sync(
        bidi.server.wait_for, lambda: len(bidi.endpoint.records[0].inputs) >= count
    )


# -- before the stream ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls", "fields"),
    [
        (400, InputValidationError, {"error_code": "Validation.Bad"}),
        (
            424,
            ModelError,
            {
                "error_code": "Model.Failed",
                "original_status_code": 500,
                "original_message": "boom",
                "log_stream_arn": "arn:aws:logs:us-east-1:123456789012:log-group:/x",
            },
        ),
        (500, InternalServerError, {"error_code": "Internal.Oops"}),
        (503, ServiceUnavailableError, {"error_code": "Unavailable.Busy"}),
    ],
)
async def test_errors_before_the_stream_are_raised_from_the_call(
    bidi: Bidi, status: int, cls: type[ServiceError], fields: dict[str, Any]
) -> None:
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url, max_attempts=1) as client:
            with pytest.raises(cls) as info:
                await client.invoke_endpoint_with_bidirectional_stream(
                    endpoint_name=f"status-{status}"
                )
    error = info.value
    assert (error.code, error.status_code, error.request_id) == (
        cls.__name__,
        status,
        f"error-{status}",
    )
    for name, value in fields.items():
        assert getattr(error, name) == value
    # ModelError is the first client's ModelError too: one except for both clients.
    assert isinstance(error, aiosagemaker_runtime.ModelError) == (status == 424)
    assert len(bidi.server.streams) == 1


async def test_a_503_is_retried_and_signed_again(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url, max_attempts=3) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(
                endpoint_name="once-503"
            )
            async with stream:
                await stream.send(b"after the retry")
                await stream.end_input()
                assert [p.bytes async for p in stream] == [b"after the retry"]
    first, second = bidi.endpoint.records
    # Each attempt is signed on its own (the same signature within one second).
    assert first.request_status == second.request_status == "ok"
    for stream in bidi.server.streams:
        names = [name for name, _ in stream.headers]
        assert names.count("authorization") == names.count("x-amz-date") == 1
    assert first.verdicts == [] and second.verdicts == ["ok", "end"]
    attempts = [dict(s.headers)["amz-sdk-request"] for s in bidi.server.streams]
    assert attempts == ["attempt=1", "attempt=2; max=3"]


async def test_a_refused_stream_is_retried(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url, max_attempts=2) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(
                endpoint_name="refuse-once"
            )
            async with stream:
                await stream.end_input()
                assert [p async for p in stream] == []
    assert len(bidi.endpoint.records) == 2
    assert bidi.endpoint.records[1].verdicts == ["end"]
    assert bidi.server.connections == 1  # a refused stream leaves the connection usable


async def test_connection_failures_are_retried_then_raised() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with anyio.fail_after(LIMIT):
        async with make_client(f"http://127.0.0.1:{port}", max_attempts=2) as client:
            with pytest.raises(EndpointConnectionError):
                await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")


async def test_a_bad_request_signature_is_refused_by_the_endpoint(bidi: Bidi) -> None:
    wrong = SageMakerRuntimeHTTP2Client(
        region_name=REGION,
        endpoint_url=bidi.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key="not-the-secret",
        config=ClientConfig(max_attempts=1),
    )
    with anyio.fail_after(LIMIT):
        async with wrong:
            with pytest.raises(ServiceError) as info:
                await wrong.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
    assert (info.value.code, info.value.status_code) == ("InvalidSignatureException", 403)
    assert bidi.endpoint.records[0].request_status == "bad_signature"


# -- inside the stream ---------------------------------------------------------------------


async def first_output_error(bidi: Bidi, name: str) -> BaseException:
    async with make_client(bidi.url) as client:
        stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name=name)
        async with stream:
            await stream.send(b"trigger")
            with pytest.raises(Exception) as info:
                async for _ in stream:
                    pass
    return info.value


async def test_a_model_stream_error_event_is_raised_from_the_iteration(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        error = await first_output_error(bidi, "model-stream-error")
    assert isinstance(error, aiosagemaker_runtime.ModelStreamError)
    assert type(error) is ModelStreamError
    assert error.error_code == "ModelStream.Broken"
    assert error.message == "the model stream failed"
    assert (error.status_code, error.request_id) == (None, "bidi-1")


async def test_an_internal_stream_failure_is_raised(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        error = await first_output_error(bidi, "internal-failure")
    assert isinstance(error, InternalStreamFailure)
    assert error.message == "internal"


async def test_an_error_message_is_raised_with_its_code(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        error = await first_output_error(bidi, "error-event")
    assert isinstance(error, ServiceError)
    assert (error.code, error.message, error.status_code) == (
        "ThrottlingException",
        "slow down",
        None,
    )


@pytest.mark.parametrize("name", ["corrupt", "truncate"])
async def test_a_corrupt_or_truncated_frame_raises_event_stream_error(
    bidi: Bidi, name: str
) -> None:
    with anyio.fail_after(LIMIT):
        error = await first_output_error(bidi, name)
    assert isinstance(error, EventStreamError)


# -- leaving early -------------------------------------------------------------------------


async def test_cancelling_a_reader_resets_the_stream_only(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            async with stream:
                await stream.send(b"one")
                assert (await anext(stream)).bytes == b"one"
                with anyio.CancelScope() as scope:
                    async with anyio.create_task_group() as tasks:

                        async def read() -> None:
                            await anext(stream)  # nothing more comes: cancelled here

                        tasks.start_soon(read)
                        await inputs_seen(bidi, 1)  # the reader is waiting for more
                        scope.cancel()
            record = await reset_seen(bidi, 0)
            assert record.reset_code == 8  # CANCEL
            # The connection carries on.
            again = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            async with again:
                await again.end_input()
                assert [p async for p in again] == []
    assert bidi.server.connections == 1


async def test_break_resets_and_an_exception_propagates_as_it_is(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            async with stream:
                await stream.send(b"x")
                async for _ in stream:
                    break
            assert (await reset_seen(bidi, 0)).reset_code == 8
            with pytest.raises(RuntimeError, match="the stream has been closed"):
                await stream.send(b"late")

            with pytest.raises(KeyError):  # not wrapped in an exception group
                async with await client.invoke_endpoint_with_bidirectional_stream(
                    endpoint_name="echo"
                ) as second:
                    await second.send(b"y")
                    raise KeyError("mine")
            assert (await reset_seen(bidi, 1)).reset_code == 8


async def test_aclose_after_both_sides_ended_does_not_reset(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            await stream.send(b"x")
            await stream.end_input()
            await stream.end_input()  # idempotent
            assert [p.bytes async for p in stream] == [b"x"]
            await stream.aclose()
            await stream.aclose()
            with pytest.raises(RuntimeError):
                await stream.send(b"after")
    assert bidi.server.streams[0].reset_code is None
    assert bidi.endpoint.records[0].verdicts == ["ok", "end"]


async def test_a_failing_input_iterable_is_raised_from_exchange(bidi: Bidi) -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"
        raise ValueError("the microphone broke")

    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            received: list[bytes] = []
            with pytest.raises(ValueError, match="microphone"):
                async with stream:
                    async for part in stream.exchange(parts()):
                        received.append(part.bytes or b"")
            assert (await reset_seen(bidi, 0)).reset_code == 8
    assert len(received) <= 2


async def test_exchange_needs_async_with_and_the_closed_client_refuses(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        client = make_client(bidi.url)
        stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
        with pytest.raises(RuntimeError, match="async with"):
            stream.exchange([b"x"])
        await stream.aclose()
        await client.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
        assert (await reset_seen(bidi, 0)).reset_code == 8


async def test_cancelling_an_exchange_from_outside_resets_the_stream(bidi: Bidi) -> None:
    async def endless() -> AsyncIterator[bytes]:
        n = 0
        while True:
            yield b"%d" % n
            n += 1

    received = 0
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            with anyio.CancelScope() as scope:
                async with stream:
                    async for _ in stream.exchange(endless()):
                        received += 1
                        if received == 5:
                            scope.cancel()
            assert scope.cancelled_caught
            assert (await reset_seen(bidi, 0)).reset_code == 8
            assert stream.input_ended
            after = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            async with after:
                assert [p.bytes async for p in after.exchange([b"still fine"])] == [b"still fine"]
    assert received >= 5  # outputs already decoded are yielded without a checkpoint
    assert bidi.server.connections == 1


async def test_closing_from_another_task_ends_a_waiting_loop(bidi: Bidi) -> None:
    outcome: list[Any] = []
    with anyio.fail_after(LIMIT):  # the read timeout (10 s) would be a failure too
        async with make_client(bidi.url, read_timeout=LIMIT) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            await stream.send(b"one")
            assert (await anext(stream)).bytes == b"one"
            async with anyio.create_task_group() as tasks:

                async def read() -> None:
                    outcome.extend([part.bytes async for part in stream])
                    outcome.append("ended")

                tasks.start_soon(read)
                await anyio.wait_all_tasks_blocked()  # the reader waits for more output
                await stream.aclose()
            assert (await reset_seen(bidi, 0)).reset_code == 8
    assert outcome == ["ended"]  # the loop ended, as at the end of the output
