"""The default engine's first call over ``http``: httpcore2 was imported when the
client was created, so the call sends at once, with no worker thread, unless proxies
may be configured (then asking for them, which can block, is done in a worker thread)."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient
from aiosagemaker_runtime._transports import httpx_engine

from .servers import FaultServer, ok

pytestmark = pytest.mark.anyio

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setattr(httpx_engine.sys, "platform", "linux")  # proxies only from env


def client(url: str) -> SageMakerRuntimeClient:
    return SageMakerRuntimeClient(
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        config=ClientConfig(max_attempts=1),
    )


def record_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    threads: list[str] = []
    prepare = httpx_engine.HttpxTransport._prepare_direct

    def recorded(self: Any) -> Any:
        threads.append(threading.current_thread().name)
        return prepare(self)

    monkeypatch.setattr(httpx_engine.HttpxTransport, "_prepare_direct", recorded)
    return threads


async def invoke_plain() -> int:
    """One call to a fresh server over ``http``; the requests the server got."""
    with FaultServer(ok(b"plain")) as server:
        async with client(server.url) as c:
            with anyio.fail_after(10):
                out = await c.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert out.body == b"plain"
    return len(server.requests)


async def test_first_call_without_proxies_asks_no_worker_thread(
    no_proxies: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = record_threads(monkeypatch)
    await invoke_plain()
    assert threads == []


async def test_a_proxy_variable_is_looked_at_in_a_worker_thread(
    no_proxies: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "example.com")  # proxies possible, none for this URL
    threads = record_threads(monkeypatch)
    requests = await invoke_plain()
    assert len(threads) == 1 and threads[0] != threading.current_thread().name
    assert requests == 1  # sent directly, not through a proxy
