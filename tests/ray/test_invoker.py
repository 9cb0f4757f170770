"""``EndpointInvoker`` called as Ray Data calls it, on batches, in an asyncio loop (Ray
Data runs async callable classes on asyncio), against serve-local on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import anyio
import anyio.to_thread
import httpx2
import numpy as np
import pandas as pd
import pytest
from bulk.model import Model
from ray_served import CAPACITY, Served

from aiosagemaker_runtime import ParamValidationError
from aiosagemaker_runtime.ray import OUTPUT_COLUMNS, EndpointInvoker


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def records(n: int, start: int = 0, **extra: Any) -> np.ndarray:
    column = np.empty(n, dtype=object)
    column[:] = [{"i": i, **extra} for i in range(start, start + n)]
    return column


@pytest.mark.anyio
async def test_a_numpy_batch_gets_the_answers_as_columns(served: Served, model: Model) -> None:
    invoker = EndpointInvoker("free", "record", concurrency=4, **served.client())
    batch = {"id": np.arange(20), "record": records(20)}
    try:
        out = await invoker(batch)
    finally:
        await invoker.aclose()
    assert list(out) == ["id", "record", *OUTPUT_COLUMNS]  # the input columns kept
    assert out["id"] is batch["id"]
    for position in range(20):  # row by row, in the batch's order
        assert out["body"][position] == {"i": position, "echo": {"i": position}}
        assert out["content_type"][position] == "application/json"
        assert out["invoked_production_variant"][position] == "AllTraffic"
        assert out["error_code"][position] is None
        assert out["status_code"][position] is None
    assert all(isinstance(out[name], np.ndarray) for name in OUTPUT_COLUMNS)
    assert model.state.calls == {i: 1 for i in range(20)}


@pytest.mark.anyio
async def test_failed_records_are_error_columns_and_the_batch_goes_on(
    served: Served, model: Model
) -> None:
    invoker = EndpointInvoker("free", "record", concurrency=3, **served.client())
    column = records(9)
    column[4] = {"i": 4, "fail": 500}  # the model refuses it: ModelError (424)
    column[6] = None  # no body at all
    try:
        out = await invoker({"record": column})
    finally:
        await invoker.aclose()
    assert out["error_code"][4] == "ModelError"
    assert out["status_code"][4] == 424
    assert "the model refused" in out["error_message"][4]
    assert out["body"][4] is None and out["content_type"][4] is None
    assert out["error_code"][6] == "MalformedRecord"
    assert out["error_message"][6] == "the input column is null"
    assert out["status_code"][6] is None
    ok = [p for p in range(9) if p not in (4, 6)]
    assert [out["body"][p]["i"] for p in ok] == ok
    assert all(out["error_code"][p] is None for p in ok)
    assert model.state.calls == {i: 1 for i in range(9) if i != 6}


@pytest.mark.anyio
async def test_throttling_is_absorbed(served: Served, model: Model) -> None:
    """Eight calls at once against an endpoint that takes two: the first two wait at the
    model until serve-local has throttled one; every record still ends with its answer,
    and throttled calls never reached the model."""
    served.hold_until_throttled()
    invoker = EndpointInvoker("m", "record", concurrency=8, **served.client())
    try:
        out = await invoker({"record": records(30)})
    finally:
        await invoker.aclose()
    assert served.throttled.is_set()
    assert list(out["error_code"]) == [None] * 30
    assert [body["i"] for body in out["body"]] == list(range(30))
    assert model.state.calls == {i: 1 for i in range(30)}
    assert model.state.max_active <= CAPACITY


@pytest.mark.anyio
@pytest.mark.parametrize("concurrency", [4, 1])
async def test_records_throttled_down_to_one_call_still_go_again(
    served: Served, model: Model, concurrency: int
) -> None:
    """Another caller holds the only call of ``one``: the actor's calls are throttled
    until the limit is one call, with the batch's records all read and the run waiting
    for the actor's next batch. They still go again (the other call ends after eight
    throttles) rather than wait for a batch that does not come; with a concurrency of
    one too, where the run's one worker is the one waiting for that batch."""
    state = model.state
    state.hold = lambda body: body.get("i") == 1000

    def release_after_eight_throttles() -> None:
        with served.counted:
            served.counted.wait_for(lambda: served.throttles >= 8, timeout=60)
        state.gate.set()

    threading.Thread(target=release_after_eight_throttles, daemon=True).start()
    invoker = EndpointInvoker("one", "record", concurrency=concurrency, **served.client())
    try:
        async with httpx2.AsyncClient() as http, anyio.create_task_group() as tasks:
            url = f"{served.url}/endpoints/one/invocations"
            tasks.start_soon(lambda: http.post(url, content=b'{"i": 1000}', timeout=60))
            await anyio.to_thread.run_sync(state.arrived.wait, 10)
            with anyio.fail_after(30):
                out = await invoker({"record": records(3)})
    finally:
        await invoker.aclose()
    assert served.throttles >= 8
    assert [body["i"] for body in out["body"]] == [0, 1, 2]
    assert state.calls == {0: 1, 1: 1, 2: 1, 1000: 1}


@pytest.mark.anyio
async def test_one_limit_for_all_the_batches_of_an_actor(served: Served, model: Model) -> None:
    """Ray Data hands an actor several batches at once: together they keep at most
    ``concurrency`` calls in flight (reached: calls wait at the model until four are
    there)."""
    state = model.state
    state.hold = lambda body: True

    def open_at_four() -> None:
        with state.lock:
            state.lock.wait_for(lambda: state.active >= 4, timeout=10)
        state.gate.set()

    threading.Thread(target=open_at_four, daemon=True).start()
    invoker = EndpointInvoker("free", "record", concurrency=4, adaptive=False, **served.client())
    try:
        outs = await asyncio.gather(
            *(invoker({"record": records(10, start=10 * b)}) for b in range(3))
        )
    finally:
        await invoker.aclose()
    assert model.state.max_active == 4
    for b, out in enumerate(outs):
        assert [body["i"] for body in out["body"]] == list(range(10 * b, 10 * b + 10))
    assert model.state.calls == {i: 1 for i in range(30)}


@pytest.mark.anyio
async def test_a_cancelled_batch_sends_no_more_records(served: Served, model: Model) -> None:
    model.state.hold = lambda body: body["i"] < 100
    invoker = EndpointInvoker("free", "record", concurrency=2, adaptive=False, **served.client())
    try:
        task = asyncio.ensure_future(invoker({"record": records(10)}))
        await asyncio.to_thread(model.state.arrived.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        model.state.gate.set()
        # The actor goes on with the next batch; the cancelled one's records were
        # dropped in front of it.
        out = await invoker({"record": records(5, start=100)})
    finally:
        await invoker.aclose()
    assert [body["i"] for body in out["body"]] == list(range(100, 105))
    sent = {i for i in model.state.calls if i < 100}
    assert len(sent) <= 2  # at most the two in flight when it was cancelled


@pytest.mark.anyio
async def test_pandas_batches_and_body_encodings(served: Served, model: Model) -> None:
    frame = pd.DataFrame(
        {
            "text": ["caf\u00e9", "plain"],
            "vector": [np.array([1.5, 2.0]), np.array([3.0, 4.5])],
            "raw": [b"\xff\x00\xfe", b"ok"],
        }
    )
    texts = EndpointInvoker("echo", "text", content_type="text/plain", **served.client())
    vectors = EndpointInvoker("echo", "vector", **served.client())
    raw = EndpointInvoker("echo", "raw", content_type="application/octet-stream", **served.client())
    undecoded = EndpointInvoker("echo", "vector", decode=False, **served.client())
    try:
        out_text = await texts(frame)
        out_vector = await vectors(frame)
        out_raw = await raw(frame)
        out_undecoded = await undecoded(frame)
    finally:
        for invoker in (texts, vectors, raw, undecoded):
            await invoker.aclose()
    assert isinstance(out_text, pd.DataFrame)
    assert list(out_text.columns) == ["text", "vector", "raw", *OUTPUT_COLUMNS]
    assert out_text["body"].tolist() == ["caf\u00e9", "plain"]  # text answers as text
    assert out_text["content_type"].tolist() == ["text/plain"] * 2
    assert out_vector["body"].tolist() == [[1.5, 2.0], [3.0, 4.5]]  # JSON, parsed
    assert out_raw["body"].tolist() == [b"\xff\x00\xfe", "ok"]  # not UTF-8: the bytes
    assert out_undecoded["body"].tolist() == [b"[1.5,2.0]", b"[3.0,4.5]"]
    assert out_text["status_code"].tolist() == [None, None]


@pytest.mark.anyio
async def test_request_arguments_for_every_row_and_from_columns(served: Served) -> None:
    invoker = EndpointInvoker(
        "headers",
        "record",
        accept="application/jsonlines",
        member_columns={"custom_attributes": "attributes"},
        **served.client(),
    )
    attributes = np.empty(2, dtype=object)
    attributes[:] = ["trace=1", None]
    try:
        out = await invoker({"record": records(2), "attributes": attributes})
    finally:
        await invoker.aclose()
    first, second = out["body"]
    assert json.loads(first["body"]) == {"i": 0}
    assert first["accept"] == second["accept"] == "application/jsonlines"
    assert first["content_type"] == "application/json"
    assert first["custom_attributes"] == "trace=1"
    assert second["custom_attributes"] is None  # a null leaves the argument out


@pytest.mark.anyio
async def test_a_missing_region_fails_the_batch(served: Served, model: Model) -> None:
    """Not every record's error: the task fails, and Ray reports it."""
    invoker = EndpointInvoker("free", "record", endpoint_url=served.url)
    try:
        with pytest.raises(ParamValidationError) as caught:
            await invoker({"record": records(3)})
    finally:
        await invoker.aclose()
    assert caught.value.member == "region_name"
    assert model.state.total == 0


@pytest.mark.anyio
async def test_an_empty_batch(served: Served) -> None:
    invoker = EndpointInvoker("free", "record", **served.client())
    out = await invoker({"record": np.empty(0, dtype=object)})
    assert {name: len(out[name]) for name in out} == {"record": 0} | dict.fromkeys(
        OUTPUT_COLUMNS, 0
    )


def test_output_names_never_overwrite_input_columns() -> None:
    with pytest.raises(ValueError, match="output_prefix"):
        EndpointInvoker("free", "body")
    invoker = EndpointInvoker("free", "body", output_prefix="answer_")
    assert invoker.output_columns == tuple(f"answer_{name}" for name in OUTPUT_COLUMNS)
    with pytest.raises(ValueError, match="'status_code'"):
        asyncio.run(EndpointInvoker("free", "record")({"record": records(1), "status_code": [1]}))
    with pytest.raises(KeyError, match="no column 'text'"):
        asyncio.run(EndpointInvoker("free", "text")({"record": records(1)}))


def test_repr_shows_no_keys() -> None:
    invoker = EndpointInvoker(
        "free", "record", client_kwargs={"aws_secret_access_key": "very-secret"}
    )
    assert "very-secret" not in repr(invoker)
    assert repr(invoker) == "EndpointInvoker(endpoint_name='free', input_column='record')"
