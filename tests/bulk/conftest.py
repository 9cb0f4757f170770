"""The model container shared by a module's tests, fresh counters for each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager

import pytest

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient
from aiosagemaker_runtime.local import LocalConfig, running

from .model import Model, run_model


@pytest.fixture(scope="module")
def model_server() -> Iterator[Model]:
    with run_model() as model:
        yield model


@pytest.fixture
def model(model_server: Model) -> Model:
    model_server.reset()
    return model_server


@asynccontextmanager
async def endpoint(
    model: Model, *, capacity: Mapping[str, int] | None = None, max_attempts: int = 3
) -> AsyncIterator[SageMakerRuntimeClient]:
    """serve-local in this process with endpoints ``m`` (the model) and ``echo``, and a
    client pointed at it."""
    config = LocalConfig.serving({"m": model.url, "echo": "echo"}, capacity=capacity, port=0)
    async with (
        running(config) as url,
        SageMakerRuntimeClient(
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="AKIDBULK",
            aws_secret_access_key="bulk-secret",
            config=ClientConfig(max_attempts=max_attempts),
        ) as client,
    ):
        yield client
