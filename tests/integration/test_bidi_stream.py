"""``invoke_endpoint_with_bidirectional_stream`` against the test h2 server's SageMaker
bidirectional endpoint (``bidiserver``), which verifies the request's and every frame's
signature: duplex, the input encodings, ``exchange()``, concurrency, no payload in
reprs or logs. Every test runs under asyncio and trio."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.to_thread
import pytest

from aiosagemaker_runtime import ParamValidationError
from aiosagemaker_runtime._generated_http2.models import (
    InvokeEndpointWithBidirectionalStreamOutput,
    RequestPayloadPart,
    ResponsePayloadPart,
)

from .bidi_support import LIMIT, Bidi, make_client, parts_of, serve
from .bidiserver import BidiRecord

pytestmark = pytest.mark.anyio


@pytest.fixture
def bidi() -> Iterator[Bidi]:
    with serve() as running:
        yield running


async def record_of(env: Bidi, index: int, check: Any) -> BidiRecord:
    """Wait (off the loop) until the endpoint's stream ``index`` satisfies ``check``."""

    def ready() -> BidiRecord | None:
        records = env.endpoint.records
        if len(records) > index and check(records[index]):
            return records[index]
        return None

    record: BidiRecord = await anyio.to_thread.run_sync(env.server.wait_for, ready)
    return record


async def test_each_echo_arrives_before_the_next_part_is_sent(bidi: Bidi) -> None:
    parts: list[Any] = [
        b"\x00binary",
        "text \u00e9",
        RequestPayloadPart(bytes=b"half", data_type="UTF8", completion_state="PARTIAL"),
        RequestPayloadPart(bytes=b"whole", completion_state="COMPLETE"),
    ]
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            assert isinstance(stream, InvokeEndpointWithBidirectionalStreamOutput)
            assert stream.invoked_production_variant == "AllTraffic"
            received: list[ResponsePayloadPart] = []
            async with stream:
                outputs = stream.__aiter__()
                for index, part in enumerate(parts):
                    await stream.send(part)
                    received.append(await outputs.__anext__())
                    # The echo came back while the input is still open, one part at a time.
                    record = bidi.server.streams[0]
                    assert not record.ended
                    assert len(bidi.endpoint.records[0].inputs) == index + 1
                await stream.end_input()
                assert stream.input_ended
                assert [part async for part in outputs] == []
    assert [p.bytes for p in received] == [b"\x00binary", "text \u00e9".encode(), b"half", b"whole"]
    assert [p.data_type for p in received] == ["BINARY", "UTF8", "UTF8", None]
    assert [p.completion_state for p in received] == [None, None, "PARTIAL", "COMPLETE"]
    record = bidi.endpoint.records[0]
    assert record.request_status == "ok"
    assert record.verdicts == ["ok", "ok", "ok", "ok", "end"]  # the final frame too
    assert len(set(record.signatures)) == 5
    assert bidi.server.streams[0].ended and bidi.server.streams[0].reset_code is None


async def test_the_request_as_the_service_sees_it(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(
                endpoint_name="echo",
                target_variant="variant-1",
                model_invocation_path="v1/chat",
                model_query_string="lang=en&x=%20",
            )
            async with stream:
                await stream.end_input()
                assert [part async for part in stream] == []
    headers = dict(bidi.server.streams[0].headers)
    assert headers[":method"] == "POST"
    assert headers[":path"] == "/endpoints/echo/invocations-bidirectional-stream"
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert headers["x-amz-content-sha256"] == "STREAMING-AWS4-HMAC-SHA256-EVENTS"
    assert headers["x-amzn-sagemaker-target-variant"] == "variant-1"
    assert headers["x-amzn-sagemaker-model-invocation-path"] == "v1/chat"
    assert headers["x-amzn-sagemaker-model-query-string"] == "lang=en&x=%20"
    assert headers["amz-sdk-request"] == "attempt=1"
    assert "content-length" not in headers
    assert bidi.endpoint.records[0].verdicts == ["end"]


async def test_exchange_sends_an_async_iterable_while_yielding_the_output(bidi: Bidi) -> None:
    inputs = [f"line {n}" for n in range(20)]
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            async with await client.invoke_endpoint_with_bidirectional_stream(
                endpoint_name="echo"
            ) as stream:
                outputs = [part.bytes async for part in stream.exchange(parts_of(inputs))]
            assert stream.input_ended
    assert outputs == [text.encode() for text in inputs]
    assert bidi.endpoint.records[0].verdicts == ["ok"] * 20 + ["end"]


async def test_exchange_takes_a_plain_iterable(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            async with stream:
                outputs = [p.data_type async for p in stream.exchange([b"a", "b", b"c"])]
    assert outputs == ["BINARY", "UTF8", "BINARY"]


async def test_sends_from_several_tasks_go_out_whole_and_in_signing_order(bidi: Bidi) -> None:
    count = 40
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            async with stream:

                async def sender(tag: str) -> None:
                    for n in range(count):
                        await stream.send(f"{tag}{n}:" + "x" * 5000)

                received: list[bytes] = []
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(sender, "a")
                    tasks.start_soon(sender, "b")
                    async for part in stream:
                        assert part.bytes is not None
                        received.append(part.bytes)
                        if len(received) == 2 * count:
                            await stream.end_input()
    assert sorted(r.split(b":")[0] for r in received) == sorted(
        f"{tag}{n}".encode() for tag in "ab" for n in range(count)
    )
    assert bidi.endpoint.records[0].verdicts == ["ok"] * (2 * count) + ["end"]


async def test_many_concurrent_streams_share_one_connection(bidi: Bidi) -> None:
    results: dict[int, list[bytes]] = {}
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:

            async def one(n: int) -> None:
                stream = await client.invoke_endpoint_with_bidirectional_stream(
                    endpoint_name=f"echo{n}"
                )
                async with stream:
                    inputs = [f"{n}-{i}".encode() for i in range(10)]
                    results[n] = [p.bytes or b"" async for p in stream.exchange(inputs)]

            async with anyio.create_task_group() as tasks:
                for n in range(12):
                    tasks.start_soon(one, n)
    assert results == {n: [f"{n}-{i}".encode() for i in range(10)] for n in range(12)}
    assert bidi.server.connections == 1
    assert bidi.server.max_open_streams > 1
    assert all(r.verdicts == ["ok"] * 10 + ["end"] for r in bidi.endpoint.records)


async def test_invalid_input_sends_nothing(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            for bad in (
                {"endpoint_name": "bad_name"},
                {"endpoint_name": "e", "target_variant": "-"},
            ):
                with pytest.raises(ParamValidationError):
                    await client.invoke_endpoint_with_bidirectional_stream(**bad)
            with pytest.raises(ParamValidationError) as info:
                RequestPayloadPart(bytes=b"x", completion_state="DONE")
            assert info.value.member == "CompletionState"
            assert bidi.server.connections == 0
            async with await client.invoke_endpoint_with_bidirectional_stream(
                endpoint_name="echo"
            ) as stream:
                with pytest.raises(TypeError):
                    await stream.send(42)  # type: ignore[arg-type]
                await stream.send(b"ok")
                await stream.end_input()
                assert [p.bytes async for p in stream] == [b"ok"]
    assert bidi.endpoint.records[0].verdicts == ["ok", "end"]


async def test_no_payload_in_reprs_or_logs(bidi: Bidi, caplog: pytest.LogCaptureFixture) -> None:
    secret = "top-secret-payload"
    caplog.set_level(logging.DEBUG, logger="aiosagemaker_runtime")
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            async with stream:
                await stream.send(secret)
                part = await anext(stream)
                texts = [repr(stream), str(stream), repr(part), repr(stream._sender_)]
                texts.append(repr(RequestPayloadPart(bytes=secret.encode())))
                await stream.end_input()
    assert part.bytes == secret.encode()
    assert any("duplex stream" in record.getMessage() for record in caplog.records)
    for text in texts + [record.getMessage() for record in caplog.records]:
        assert secret not in text, text


async def test_the_output_is_also_the_event_stream(bidi: Bidi) -> None:
    with anyio.fail_after(LIMIT):
        async with make_client(bidi.url) as client:
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            async with stream:
                await stream.send(b"one\ntw")
                await stream.send(b"o\n")
                await stream.end_input()
                lines = [line async for line in stream.body.lines()]
                assert stream.body.request_id == "bidi-1"
    assert lines == [b"one", b"two"]
