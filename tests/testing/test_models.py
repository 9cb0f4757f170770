"""Model functions and the rules of scripts (our client; asyncio and trio)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient
from aiosagemaker_runtime.errors import (
    EndpointConnectionError,
    ModelError,
    ModelStreamError,
    ServiceError,
    ValidationError,
)
from aiosagemaker_runtime.testing import (
    Call,
    Disconnect,
    FakeSageMaker,
    Pause,
    Reply,
    Stream,
    ThrottlingException,
)

pytestmark = pytest.mark.anyio


def client_for(fake: FakeSageMaker, attempts: int = 1) -> SageMakerRuntimeClient:
    return SageMakerRuntimeClient(
        endpoint_url=fake.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=ClientConfig(max_attempts=attempts),
    )


# -- model functions ------------------------------------------------------------------------


async def test_sync_function_returning_a_dict_is_json() -> None:
    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep", model=lambda call: {"sum": sum(call.json()["numbers"])})
        out = await client.invoke_endpoint(
            endpoint_name="ep", body=b'{"numbers": [1, 2, 3]}', content_type="application/json"
        )
    assert out.body == b'{"sum": 6}'
    assert out.content_type == "application/json"
    assert out.invoked_production_variant == "AllTraffic"


async def test_async_function_returning_text_and_bytes() -> None:
    async def shout(call: Call) -> str:
        await anyio.sleep(0)
        return call.text.upper() + " é"

    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("text", model=shout)
        fake.endpoint("bytes", model=lambda call: b"\x00\x01")
        text = await client.invoke_endpoint(endpoint_name="text", body=b"hi")
        raw = await client.invoke_endpoint(endpoint_name="bytes", body=b"hi")
    assert text.body == "HI é".encode()
    assert text.content_type == "text/plain; charset=utf-8"
    assert (raw.body, raw.content_type) == (b"\x00\x01", "application/octet-stream")


async def test_reply_sets_headers_the_container_may_set() -> None:
    def model(call: Call) -> Reply:
        return Reply(
            "a,b",
            content_type="text/csv",
            custom_attributes="model=v2",
            new_session_id="sess-1; Expires=2030-01-01T00:00:00Z",
        )

    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep", model=model, variant="blue")
        out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert (out.body, out.content_type, out.custom_attributes) == (b"a,b", "text/csv", "model=v2")
    assert out.new_session_id == "sess-1; Expires=2030-01-01T00:00:00Z"
    assert out.invoked_production_variant == "blue"


async def test_async_generator_streams_and_joins() -> None:
    async def tokens(call: Call) -> AsyncIterator[Any]:
        for word in call.text.split():
            yield word + " "
            yield Pause(0)

    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep", model=tokens)
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"a b c")
        async with out:
            parts = [part.bytes async for part in out.body]
        whole = await client.invoke_endpoint(endpoint_name="ep", body=b"a b c")
    assert parts == [b"a ", b"b ", b"c "]
    assert whole.body == b"a b c "


async def test_function_returning_a_stream() -> None:
    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep", model=lambda call: Stream([b"x", b"y"], content_type="text/plain"))
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"a")
        async with out:
            parts = [part.bytes async for part in out.body]
    assert parts == [b"x", b"y"]
    assert out.content_type == "text/plain"


async def test_function_raising_a_service_error() -> None:
    def model(call: Call) -> bytes:
        if not call.body:
            raise ValidationError("empty input")
        raise ThrottlingException()

    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep", model=model)
        with pytest.raises(ValidationError, match="empty input"):
            await client.invoke_endpoint(endpoint_name="ep", body=b"")
        with pytest.raises(ServiceError) as excinfo:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert excinfo.value.code == "ThrottlingException"


async def test_broken_function_is_a_container_answering_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def model(call: Call) -> Any:
        if call.body == b"none":
            return None
        raise KeyError("label")

    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep", model=model)
        with pytest.raises(ModelError) as raised:
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        with pytest.raises(ModelError) as returned_none:
            await client.invoke_endpoint(endpoint_name="ep", body=b"none")
    assert raised.value.original_status_code == 500
    assert raised.value.original_message == "KeyError: 'label'"
    assert str(returned_none.value.original_message).startswith("TypeError: a model returns")
    assert "model of fake endpoint ep failed" in caplog.text


async def test_broken_generator_is_a_model_stream_error() -> None:
    async def model(call: Call) -> AsyncIterator[bytes]:
        yield b"start"
        raise RuntimeError("lost the GPU")

    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep", model=model)
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        with pytest.raises(ModelStreamError) as excinfo:
            async with out:
                async for _ in out.body:
                    pass
    assert excinfo.value.error_code == "ModelStreamFailure"
    assert "RuntimeError: lost the GPU" in excinfo.value.message


# -- the rules of scripts -------------------------------------------------------------------


async def test_script_first_then_the_model() -> None:
    async with FakeSageMaker() as fake, client_for(fake) as client:
        endpoint = fake.endpoint("ep", model=lambda call: b"model")
        endpoint.respond(b"one").respond(b"two", times=2)
        assert endpoint.pending == 3
        bodies = [
            (await client.invoke_endpoint(endpoint_name="ep", body=b"x")).body for _ in range(4)
        ]
        assert endpoint.pending == 0
    assert bodies == [b"one", b"two", b"two", b"model"]


async def test_without_a_model_the_last_answer_repeats() -> None:
    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep").respond(b"first").respond(b"again")
        bodies = [
            (await client.invoke_endpoint(endpoint_name="ep", body=b"x")).body for _ in range(3)
        ]
    assert bodies == [b"first", b"again", b"again"]


async def test_without_model_or_script_it_echoes() -> None:
    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep")
        out = await client.invoke_endpoint(
            endpoint_name="ep", body=b"same", content_type="text/plain"
        )
        stream = await client.invoke_endpoint_with_response_stream(
            endpoint_name="ep", body=b"a b c"
        )
        async with stream:
            parts = [part.bytes or b"" async for part in stream.body]
    assert (out.body, out.content_type) == (b"same", "text/plain")
    assert b"".join(parts) == b"a b c"


async def test_unknown_endpoint_as_sagemaker_says_it() -> None:
    async with FakeSageMaker() as fake, client_for(fake) as client:
        with pytest.raises(ValidationError) as excinfo:
            await client.invoke_endpoint(endpoint_name="nope", body=b"x")
    assert excinfo.value.message == "Endpoint nope of account 123456789012 not found."
    assert fake.calls == []


async def test_capacity_refuses_calls_beyond_it() -> None:
    release = anyio.Event()
    inside = anyio.Event()

    async def slow(call: Call) -> bytes:
        inside.set()
        await release.wait()
        return b"done"

    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep", model=slow, capacity=1)
        results: list[bytes] = []

        async def first() -> None:
            results.append((await client.invoke_endpoint(endpoint_name="ep", body=b"1")).body)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(first)
            with anyio.fail_after(10):
                await inside.wait()
            with pytest.raises(ServiceError) as excinfo:
                await client.invoke_endpoint(endpoint_name="ep", body=b"2")
            release.set()
    assert excinfo.value.code == "ThrottlingException"
    assert results == [b"done"]
    assert [call.body for call in fake.endpoint("ep").calls] == [b"1"]  # the refused one: not


def test_scripting_mistakes_fail_in_the_test() -> None:
    fake = FakeSageMaker()
    endpoint = fake.endpoint("ep")
    with pytest.raises(TypeError):
        endpoint.respond(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        endpoint.fail(ValueError("x"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        endpoint.stream([b"a", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        endpoint.respond(b"x", times=0)
    with pytest.raises(Exception, match="invalid endpoint name"):
        fake.endpoint("not_valid")
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.url
    assert endpoint.pending == 0


async def test_endpoint_added_while_running_and_model_replaced() -> None:
    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("late", model=lambda call: b"v1")
        first = await client.invoke_endpoint(endpoint_name="late", body=b"x")
        fake.endpoint("late", model=lambda call: b"v2")
        second = await client.invoke_endpoint(endpoint_name="late", body=b"x")
    assert (first.body, second.body) == (b"v1", b"v2")


async def test_errors_in_the_block_come_out_as_they_are() -> None:
    with pytest.raises(KeyError):
        async with FakeSageMaker():
            raise KeyError("mine")


def test_errors_in_a_threaded_block_come_out_as_they_are() -> None:
    with pytest.raises(KeyError), FakeSageMaker():
        raise KeyError("mine")


async def test_disconnect_leaves_no_error_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep").disconnect().stream([b"a", Disconnect()])
        with pytest.raises(EndpointConnectionError):
            await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="ep", body=b"x")
        with pytest.raises(EndpointConnectionError):
            async with out:
                async for _ in out.body:
                    pass
    assert len(fake.calls) == 2
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
