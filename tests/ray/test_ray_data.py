"""``EndpointInvoker`` in ``Dataset.map_batches`` on a local Ray instance
(``ray.init(num_cpus=2)``), against serve-local on 127.0.0.1: the actors are Ray's own
worker processes, each with its client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import ray
from bulk.model import Model
from ray_served import CAPACITY, Served

from aiosagemaker_runtime.ray import OUTPUT_COLUMNS, EndpointInvoker

N = 300


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[None]:
    """A local instance for the module, its workers started without the developer's AWS
    settings (they inherit this environment)."""
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                env.delenv(name)
        env.setenv("AWS_CONFIG_FILE", os.devnull)
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    saved = context.enable_progress_bars, context.execution_options.preserve_order
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True
    try:
        yield
    finally:
        context.enable_progress_bars, context.execution_options.preserve_order = saved
        ray.shutdown()


def score(
    served: Served, endpoint: str, rows: list[dict[str, Any]], **options: Any
) -> list[dict[str, Any]]:
    """The rows through two actors of a quarter of a CPU each (two 1-CPU actors would
    leave no CPU of the two to the read task)."""
    batch_format = options.pop("batch_format", "numpy")
    dataset = ray.data.from_items(rows).map_batches(
        EndpointInvoker,
        fn_constructor_kwargs={
            "endpoint_name": endpoint,
            "input_column": "record",
            **served.client(),
            **options,
        },
        batch_size=25,
        batch_format=batch_format,
        compute=ray.data.ActorPoolStrategy(size=2),
        num_cpus=0.25,
    )
    return dataset.take_all()


def test_rows_through_map_batches(ray_instance: None, served: Served, model: Model) -> None:
    rows = [{"i": i, "record": {"i": i, "text": f"record {i}"}} for i in range(N)]
    out = score(served, "free", rows, concurrency=8)
    assert [row["i"] for row in out] == list(range(N))  # nothing lost, in order
    for row in out:
        i = row["i"]
        assert row["record"] == {"i": i, "text": f"record {i}"}  # the input kept
        assert row["body"] == {"i": i, "echo": {"i": i, "text": f"record {i}"}}
        assert row["content_type"] == "application/json"
        assert row["invoked_production_variant"] == "AllTraffic"
        assert row["error_code"] is None and row["status_code"] is None
    assert model.state.calls == {i: 1 for i in range(N)}


def test_throttling_absorbed_and_failures_as_columns(
    ray_instance: None, served: Served, model: Model
) -> None:
    """An endpoint that takes two calls at a time, eight sent per actor: the first calls
    wait at the model until serve-local has throttled one. Every throttled record ends
    with its answer; the records the model refuses end with their error, row by row."""
    served.hold_until_throttled()
    # JSON text (a column of dicts with different keys would be a struct column, its
    # missing keys null)
    rows = [
        {"i": i, "record": json.dumps({"i": i, "fail": 500} if i % 7 == 3 else {"i": i})}
        for i in range(N)
    ]
    out = score(served, "m", rows, concurrency=8, batch_format="pandas")
    assert served.throttled.is_set()
    assert [row["i"] for row in out] == list(range(N))
    for row in out:
        i = row["i"]
        if i % 7 == 3:
            assert row["body"] is None
            assert (row["error_code"], row["status_code"]) == ("ModelError", 424)
            assert "the model refused" in row["error_message"]
        else:
            assert row["body"] == {"i": i, "echo": {"i": i}}
            assert row["error_code"] is None
    # Throttled calls never reached the model; refused ones were not sent again.
    assert model.state.calls == {i: 1 for i in range(N)}
    assert model.state.max_active <= CAPACITY
    assert set(OUTPUT_COLUMNS) <= set(out[0])
