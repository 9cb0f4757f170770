"""serve-local in a thread of the test process (so that Ray's worker processes reach it
on 127.0.0.1, and its log says when it throttles) with a model container that counts
every call.

Endpoints: ``free`` (the model, no capacity), ``m`` (the model, 2 calls at a time),
``one`` (the model, one call at a time),
``echo`` (the built-in echo) and ``headers`` (a container answering with the headers
it was sent). This directory has no ``__init__.py``: as a package it would be named
``ray`` and hide Ray itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from anyio.from_thread import start_blocking_portal
from bulk.model import Model, run_model
from local.servers import run_container

from aiosagemaker_runtime.local import LocalConfig, running

CAPACITY = 2
CLIENT = {
    "region_name": "us-east-1",
    "client_kwargs": {"aws_access_key_id": "AKIDRAY", "aws_secret_access_key": "ray-secret"},
}


class Served:
    """Where serve-local listens, the model, and whether serve-local has throttled."""

    def __init__(self, url: str, model: Model) -> None:
        self.url = url
        self.model = model
        self.throttled = threading.Event()
        self.throttles = 0
        self.counted = threading.Condition()

    def client(self) -> dict[str, object]:
        """An ``EndpointInvoker``'s client arguments for this server."""
        return {"endpoint_url": self.url, **CLIENT}

    def hold_until_throttled(self) -> None:
        """The model holds every call until serve-local has throttled one: with more
        calls in flight than the capacity, a throttle is certain, not likely."""
        state = self.model.state
        state.hold = lambda body: not self.throttled.is_set()

        def release() -> None:
            self.throttled.wait(60)
            state.gate.set()

        threading.Thread(target=release, daemon=True).start()


class _ThrottleSeen(logging.Handler):
    def __init__(self, served: Served) -> None:
        super().__init__(logging.INFO)
        self.served = served

    def emit(self, record: logging.LogRecord) -> None:
        if "throttled" in record.getMessage():
            served = self.served
            with served.counted:
                served.throttles += 1
                served.counted.notify_all()
            served.throttled.set()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with run_model() as model, run_container() as container, start_blocking_portal() as portal:
        config = LocalConfig.serving(
            {
                "free": model.url,
                "m": model.url,
                "one": model.url,
                "echo": "echo",
                "headers": container.url,
            },
            capacity={"m": CAPACITY, "one": 1},
            port=0,
        )
        with portal.wrap_async_context_manager(running(config)) as url:
            served = Served(url, model)
            local_logger = logging.getLogger("aiosagemaker_runtime.local")
            handler = _ThrottleSeen(served)
            level, propagate = local_logger.level, local_logger.propagate
            local_logger.addHandler(handler)
            local_logger.setLevel(logging.INFO)
            local_logger.propagate = False  # its INFO lines are for the handler only
            try:
                yield served
            finally:
                local_logger.removeHandler(handler)
                local_logger.setLevel(level)
                local_logger.propagate = propagate


@pytest.fixture
def model(served: Served) -> Model:
    served.model.reset()
    served.throttled.clear()
    served.throttles = 0
    return served.model
