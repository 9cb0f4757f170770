"""The TLS context is built only when an ``https`` origin is connected (cold start, issue 6).

Loading a CA bundle costs tens of milliseconds: a client of a plain ``http`` endpoint
(e.g. a local one) never builds a context, and an ``https`` client builds it once, on
its first connection, however many first requests arrive at the same time.

The builders are replaced by counting wrappers: ``ssl_context_from_env`` in
:mod:`~aiosagemaker_runtime._transports.tls` (which both engines build through) and
``httpcore2.default_ssl_context`` (the default engine's fallback). These transports
are made without a client, so nothing is prefetched (see test_tls_prefetch.py).
The default engine runs under asyncio and trio, aiohttp under asyncio only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpcore2
import pytest

from aiosagemaker_runtime import EndpointConnectionError
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._transports import tls as _tls
from aiosagemaker_runtime._transports.base import Transport

from . import test_transports
from .servers import FaultServer, ok, stall_before_headers

pytestmark = pytest.mark.anyio

# The transport suite's engine parametrisation and transport factory, shared.
engine = test_transports.engine
make_transport = test_transports.make_transport


def post(url: str) -> HTTPRequest:
    return HTTPRequest("POST", url + "/x", [("X-Test", "1")], b"{}")


async def call(transport: Transport, url: str) -> bytes:
    response = await transport.send(post(url))
    try:
        return await response.read()
    finally:
        await response.aclose()


class Builds:
    """Counts the TLS contexts built; each build may be slowed down by ``delay`` seconds."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {"ssl_context_from_env": 0, "default_ssl_context": 0}
        self.delay = 0.0
        self._lock = threading.Lock()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls[name] += 1
            if self.delay:
                time.sleep(self.delay)
            return function(*args, **kwargs)

        return counted

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Builds:
    counter = Builds()
    _tls._pending.clear()  # a build prefetched by an earlier test's client
    from_env = counter.wrap("ssl_context_from_env", _tls.ssl_context_from_env)
    monkeypatch.setattr(_tls, "ssl_context_from_env", from_env)
    monkeypatch.setattr(
        httpcore2,
        "default_ssl_context",
        counter.wrap("default_ssl_context", httpcore2.default_ssl_context),
    )
    return counter


@pytest.fixture(scope="module")
def tls_server_context() -> tuple[Any, bytes]:
    import ssl

    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context, ca.cert_pem.bytes()


@pytest.fixture
def ca_bundle(
    tls_server_context: tuple[Any, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """``AWS_CA_BUNDLE`` set to the test CA."""
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(tls_server_context[1])
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))
    return bundle


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


async def test_plain_http_never_builds_a_tls_context(
    engine: str, builds: Builds, ca_bundle: Path
) -> None:
    # Even with AWS_CA_BUNDLE set: nothing is loaded until an https origin is connected.
    with FaultServer(ok(b"plain")) as server:
        transport = make_transport(engine)
        try:
            for _ in range(3):
                assert await call(transport, server.url) == b"plain"
        finally:
            await transport.aclose()
    assert builds.calls == {"ssl_context_from_env": 0, "default_ssl_context": 0}


async def test_https_builds_the_context_once_for_concurrent_first_requests(
    engine: str, builds: Builds, ca_bundle: Path, tls_server_context: tuple[Any, bytes]
) -> None:
    concurrent = 6
    builds.delay = 0.1  # the first build is still running when the others arrive
    served = stall_before_headers(0.2, then=ok(b"secure"))  # each holds its connection
    with FaultServer(served, ssl_context=tls_server_context[0]) as server:
        transport = make_transport(engine, max_pool_connections=concurrent)
        results: list[bytes] = []
        try:

            async def one() -> None:
                results.append(await call(transport, server.url))

            with anyio.fail_after(10):
                async with anyio.create_task_group() as group:
                    for _ in range(concurrent):
                        group.start_soon(one)
            assert results == [b"secure"] * concurrent
            assert server.connections == concurrent  # every one opened a new connection
            assert builds.calls == {"ssl_context_from_env": 1, "default_ssl_context": 0}
            # Later requests (pooled or new connections) use the same context.
            assert await call(transport, server.url) == b"secure"
            async with anyio.create_task_group() as group:
                for _ in range(concurrent):
                    group.start_soon(one)
        finally:
            await transport.aclose()
    assert builds.calls == {"ssl_context_from_env": 1, "default_ssl_context": 0}


async def test_https_without_bundle_builds_the_default_context_once(
    engine: str, builds: Builds, tls_server_context: tuple[Any, bytes]
) -> None:
    # No AWS_CA_BUNDLE: the default verifying context, which refuses the test CA (errors
    # mapped as before); the failed connection does not make the next one rebuild it.
    with FaultServer(ok(b"secure"), ssl_context=tls_server_context[0]) as server:
        transport = make_transport(engine)
        try:
            for _ in range(2):
                with pytest.raises(EndpointConnectionError, match=r"(?i)certificate"):
                    await transport.send(post(server.url))
        finally:
            await transport.aclose()
        assert server.requests == []
    assert builds.calls["ssl_context_from_env"] == 1
    # The default engine falls back to httpcore2's context; aiohttp to its own (ssl=True).
    assert builds.calls["default_ssl_context"] == (1 if engine == "httpx" else 0)


async def test_cancelled_during_the_build_leaves_no_half_state(
    engine: str, builds: Builds, ca_bundle: Path, tls_server_context: tuple[Any, bytes]
) -> None:
    builds.delay = 0.3
    with FaultServer(ok(b"secure"), ssl_context=tls_server_context[0]) as server:
        transport = make_transport(engine, max_pool_connections=1)
        try:
            with anyio.move_on_after(0.05) as scope:
                await transport.send(post(server.url))
            assert scope.cancelled_caught
            builds.delay = 0.0
            with anyio.fail_after(5):  # the pool slot was given back
                assert await call(transport, server.url) == b"secure"
                assert await call(transport, server.url) == b"secure"
        finally:
            await transport.aclose()
    # The cancelled build either completed and was kept, or was dropped and redone once.
    assert builds.calls["ssl_context_from_env"] in (1, 2)
    assert builds.calls["default_ssl_context"] == 0
