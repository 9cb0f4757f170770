"""invoke_many against serve-local and a model container on 127.0.0.1 (asyncio and trio):
the server counts the calls."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime import (
    ClientConfig,
    EndpointConnectionError,
    ModelError,
    ParamValidationError,
    SageMakerRuntimeClient,
    ValidationError,
)
from aiosagemaker_runtime.bulk import BulkProgress, BulkResult, invoke_many, is_throttling_error
from aiosagemaker_runtime.models import InvokeEndpointInput

from .conftest import endpoint
from .model import Model

pytestmark = pytest.mark.anyio


def request(i: int, endpoint_name: str = "m", **extra: Any) -> dict[str, Any]:
    return {
        "endpoint_name": endpoint_name,
        "body": json.dumps({"i": i, **extra}).encode(),
        "content_type": "application/json",
    }


def answer(result: BulkResult[Any]) -> Any:
    assert result.ok, result.error
    return json.loads(result.unwrap().body)


async def test_one_result_per_request_in_input_order(model: Model) -> None:
    async with endpoint(model) as client:
        requests = (request(i) for i in range(120))
        async with invoke_many(client.invoke_endpoint, requests, concurrency=8) as results:
            seen = [result async for result in results]
    assert [result.index for result in seen] == list(range(120))
    assert [answer(result)["i"] for result in seen] == list(range(120))
    assert all(result.attempts == 1 and result.elapsed > 0 for result in seen)
    assert seen[7].request == request(7)
    assert model.state.calls == {i: 1 for i in range(120)}


async def test_concurrency_is_reached_and_never_exceeded(model: Model) -> None:
    # The first six calls wait at the model until six are in at once.
    model.state.rendezvous = 6
    async with endpoint(model) as client:
        requests = (request(i) for i in range(90))
        async with invoke_many(
            client.invoke_endpoint, requests, concurrency=6, ordered=False
        ) as results:
            indices = sorted([result.index async for result in results])
    assert indices == list(range(90))
    assert model.state.max_active == 6


async def test_input_models_and_async_iterables(model: Model) -> None:
    async def requests() -> AsyncIterator[InvokeEndpointInput]:
        for i in range(20):
            await anyio.lowlevel.checkpoint()
            yield InvokeEndpointInput(endpoint_name="echo", body=f'{{"i": {i}}}'.encode())

    async with (
        endpoint(model) as client,
        invoke_many(client.invoke_endpoint, requests(), concurrency=4) as results,
    ):
        bodies = [json.loads(result.unwrap().body)["i"] async for result in results]
    assert bodies == list(range(20))


async def test_failures_are_results_and_the_run_goes_on(model: Model) -> None:
    def requests() -> Any:
        for i in range(40):
            if i % 10 == 3:
                yield request(i, fail=500)  # the model fails
            elif i == 5:
                yield request(i, endpoint_name="missing")  # the service refuses
            elif i == 6:
                yield {"endpoint_name": "m", "body": b"{}", "target_model": "x" * 2000}
            else:
                yield request(i)

    async with (
        endpoint(model) as client,
        invoke_many(client.invoke_endpoint, requests(), concurrency=5) as results,
    ):
        seen = {result.index: result async for result in results}
    assert sorted(seen) == list(range(40))
    failed = {i for i, result in seen.items() if not result.ok}
    assert failed == {3, 13, 23, 33, 5, 6}
    assert all(isinstance(seen[i].error, ModelError) for i in (3, 13, 23, 33))
    assert isinstance(seen[5].error, ValidationError)
    assert isinstance(seen[6].error, ParamValidationError)  # refused before sending
    assert all(result.attempts == 1 for result in seen.values())
    assert 6 not in model.state.calls and 5 not in model.state.calls
    with pytest.raises(ModelError):
        seen[3].unwrap()


@pytest.mark.parametrize("max_attempts", [1, 3])
async def test_throttling_is_absorbed_and_nothing_is_lost(model: Model, max_attempts: int) -> None:
    """The endpoint takes 3 calls at a time and the run starts at 12: the calls above 3
    are throttled (the calls at the model wait there until the run has seen a throttle),
    the limit comes down, and every request ends ok, called at the model exactly once."""
    throttle_seen = anyio.Event()
    snapshots: list[BulkProgress] = []
    model.state.hold = lambda body: True  # until the gate opens at the first throttle
    n = 60

    def throttling(error: BaseException) -> bool:
        if is_throttling_error(error):
            model.state.gate.set()
            throttle_seen.set()
            return True
        return False

    async with (
        endpoint(model, capacity={"m": 3}, max_attempts=max_attempts) as client,
        invoke_many(
            client.invoke_endpoint,
            (request(i) for i in range(n)),
            concurrency=12,
            ordered=False,
            is_throttling=throttling,
            on_progress=snapshots.append,
        ) as results,
    ):
        seen = [result async for result in results]
        progress = results.progress
    assert throttle_seen.is_set()
    assert sorted(result.index for result in seen) == list(range(n))
    assert all(result.ok for result in seen)
    assert model.state.calls == {i: 1 for i in range(n)}  # throttled calls never got there
    assert model.state.max_active <= 3
    assert progress.throttled >= 1 and progress.succeeded == n and progress.failed == 0
    assert sum(result.attempts for result in seen) == n + progress.throttled
    assert min(snapshot.concurrency for snapshot in snapshots) < 12  # the limit came down


async def test_throttled_requests_give_up_after_their_bound(model: Model) -> None:
    """One call holds the endpoint's only slot; the others are throttled three times and
    end with the throttling error as their result. (The limit is fixed: an adaptive one
    would come down to the one call the endpoint takes and send nothing else.)"""
    model.state.hold = lambda body: body["i"] == 0

    async def requests() -> AsyncIterator[dict[str, Any]]:
        yield request(0)
        await anyio.to_thread.run_sync(model.state.arrived.wait, 10)
        for i in range(1, 6):
            yield request(i)

    async with (
        endpoint(model, capacity={"m": 1}, max_attempts=1) as client,
        invoke_many(
            client.invoke_endpoint,
            requests(),
            concurrency=4,
            ordered=False,
            adaptive=False,
            max_throttle_retries=2,
        ) as results,
    ):
        seen = []
        async for result in results:
            seen.append(result)
            if len(seen) == 5:
                model.state.gate.set()  # let the first call finish
    by_index = {result.index: result for result in seen}
    assert sorted(by_index) == list(range(6))
    assert by_index[0].ok and by_index[0].attempts == 1
    for i in range(1, 6):
        error = by_index[i].error
        assert error is not None and getattr(error, "code", None) == "ThrottlingException", (
            [(r.index, r.attempts, r.elapsed, repr(r.error)) for r in seen],
            dict(model.state.calls),
        )
        assert getattr(error, "status_code", None) == 400
        assert by_index[i].attempts == 3
    assert model.state.calls == {0: 1}


async def test_transient_errors_are_retried_up_to_their_bound() -> None:
    with socket.socket() as listener_less:  # bound, not listening: connections refused
        listener_less.bind(("127.0.0.1", 0))
        port = listener_less.getsockname()[1]
        async with (
            SageMakerRuntimeClient(
                endpoint_url=f"http://127.0.0.1:{port}",
                region_name="us-east-1",
                aws_access_key_id="AKIDBULK",
                aws_secret_access_key="bulk-secret",
                config=ClientConfig(max_attempts=1),
            ) as client,
            invoke_many(
                client.invoke_endpoint,
                [{"endpoint_name": "m", "body": b"{}"}] * 2,
                max_transient_retries=1,
            ) as results,
        ):
            seen = [result async for result in results]
    assert [type(result.error) for result in seen] == [EndpointConnectionError] * 2
    assert [result.attempts for result in seen] == [2, 2]


async def test_leaving_early_cancels_the_calls_in_flight(model: Model) -> None:
    model.state.hold = lambda body: body["i"] >= 2
    async with endpoint(model) as client:
        async with invoke_many(
            client.invoke_endpoint, (request(i) for i in range(50)), concurrency=4
        ) as results:
            async for result in results:
                if result.index == 1:
                    await anyio.to_thread.run_sync(model.state.arrived.wait, 10)
                    break
        # The block did not wait for the held calls: they are still at the model.
        assert model.state.active >= 1
        model.state.gate.set()  # the client still works
        assert (await client.invoke_endpoint(**request(99))).body
    assert sum(model.state.calls.values()) <= 2 + 4 + 1
