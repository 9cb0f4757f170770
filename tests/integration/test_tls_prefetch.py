"""A client of an ``https`` endpoint builds its TLS context in the background (cold start,
issue 18): started when the client is created, taken by the engine's first ``https``
connection (waiting for it if needed), never built for ``http``; ``AWS_CA_BUNDLE`` as it
is at the connection still decides, and a bad bundle still fails the call.

The builder (``tls.ssl_context_from_env``, and httpcore2's default context) is wrapped
to count builds and record their threads; the engines' ``verifying_context`` to signal
that a first connection is waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpcore2
import pytest

from aiosagemaker_runtime import ClientConfig, EndpointConnectionError, SageMakerRuntimeClient
from aiosagemaker_runtime._generated_http2.client import SageMakerRuntimeHTTP2Client
from aiosagemaker_runtime._transports import aiohttp_engine, httpcore_pool, tls

from .servers import FaultServer, ok

pytestmark = pytest.mark.anyio

THREAD = "aiosagemaker-runtime-tls"


@pytest.fixture(params=["httpx", "aiohttp"])
def engine(request: pytest.FixtureRequest, anyio_backend: str) -> str:
    if request.param == "aiohttp" and anyio_backend != "asyncio":
        pytest.skip("aiohttp runs under asyncio only")
    return str(request.param)


def join_builds() -> None:
    """Wait for every background build started so far."""
    for thread in threading.enumerate():
        if thread.name == THREAD:
            thread.join(10)


class Builds:
    """Counts the contexts built and the threads that built them; a build can be held
    until :attr:`release` is set."""

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.defaults = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.taking = threading.Event()
        self._lock = threading.Lock()

    def from_env(self, function: Callable[[], Any]) -> Callable[[], Any]:
        def counted() -> Any:
            with self._lock:
                self.threads.append(threading.current_thread().name)
            self.started.set()
            self.release.wait(10)
            return function()

        return counted

    def default(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.defaults += 1
            return function(*args, **kwargs)

        return counted

    def taker(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def taking(*args: Any) -> Any:
            self.taking.set()
            return function(*args)

        return taking


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[Builds]:
    join_builds()
    tls._pending.clear()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    counter = Builds()
    monkeypatch.setattr(tls, "ssl_context_from_env", counter.from_env(tls.ssl_context_from_env))
    monkeypatch.setattr(
        httpcore2, "default_ssl_context", counter.default(httpcore2.default_ssl_context)
    )
    for module in (httpcore_pool, aiohttp_engine):
        monkeypatch.setattr(module, "verifying_context", counter.taker(tls.verifying_context))
    yield counter
    counter.release.set()
    join_builds()
    tls._pending.clear()


@pytest.fixture(scope="module")
def tls_server() -> tuple[Any, bytes]:
    import ssl

    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context, ca.cert_pem.bytes()


@pytest.fixture
def bundle(tls_server: tuple[Any, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ca.pem"
    path.write_bytes(tls_server[1])
    monkeypatch.setenv("AWS_CA_BUNDLE", str(path))
    return path


def client(engine: str, url: str | None = None) -> SageMakerRuntimeClient:
    return SageMakerRuntimeClient(
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        config=ClientConfig(http_backend=engine, max_attempts=1),
    )


async def invoke(c: SageMakerRuntimeClient) -> bytes:
    with anyio.fail_after(10):
        out = await c.invoke_endpoint(endpoint_name="ep", body=b"x")
    return bytes(out.body)


async def test_https_context_is_built_at_creation_and_taken_by_the_first_connection(
    engine: str, builds: Builds, bundle: Path, tls_server: tuple[Any, bytes]
) -> None:
    builds.release.clear()  # the build is held until the first connection waits for it
    with FaultServer(ok(b"secure"), ssl_context=tls_server[0]) as server:
        c = client(engine, server.url)
        assert await anyio.to_thread.run_sync(builds.started.wait, 10)  # before any call
        assert builds.threads == [THREAD]
        got: list[bytes] = []
        async with c, anyio.create_task_group() as group:

            async def call() -> None:
                got.append(await invoke(c))

            group.start_soon(call)
            assert await anyio.to_thread.run_sync(builds.taking.wait, 10)
            builds.release.set()
        assert got == [b"secure"]
        assert len(server.requests) == 1
    # The connection used the prefetched context (the default one refuses the test CA):
    # one build, in the background thread, none by the engine.
    assert builds.threads == [THREAD]
    assert builds.defaults == 0


async def test_default_context_is_prefetched_without_a_bundle(
    builds: Builds, anyio_backend: str, tls_server: tuple[Any, bytes], monkeypatch: Any
) -> None:
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    with FaultServer(ok(b"secure"), ssl_context=tls_server[0]) as server:
        c = client("httpx", server.url)
        join_builds()
        assert builds.defaults == 1  # httpcore2's, in the background
        async with c:
            with pytest.raises(EndpointConnectionError, match=r"(?i)certificate"):
                await invoke(c)
    assert builds.threads == [THREAD] and builds.defaults == 1


def test_aiohttp_without_a_bundle_builds_nothing(builds: Builds, monkeypatch: Any) -> None:
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    client("aiohttp", "https://127.0.0.1:1")
    assert tls._pending == {}  # aiohttp's own context (ssl=True) is made with aiohttp


async def test_http_endpoint_builds_no_context(engine: str, builds: Builds, bundle: Path) -> None:
    with FaultServer(ok(b"plain")) as server:
        c = client(engine, server.url)
        assert tls._pending == {}
        async with c:
            assert await invoke(c) == b"plain"
    join_builds()
    assert builds.threads == [] and builds.defaults == 0


async def test_configured_http_endpoint_builds_no_context(
    engine: str, builds: Builds, bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FaultServer(ok(b"plain")) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        c = client(engine)
        join_builds()  # the decision is taken in the background thread
        async with c:
            assert await invoke(c) == b"plain"
    assert builds.threads == [] and builds.defaults == 0


async def test_config_file_read_ahead_is_not_kept(
    builds: Builds, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The background thread reads the config file to decide; the first call reads it
    # again, as it is by then.
    config = tmp_path / "config"
    config.write_text("[default]\nendpoint_url = http://127.0.0.1:1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with FaultServer(ok(b"plain")) as server:
        c = client("httpx")
        join_builds()
        config.write_text(f"[default]\nendpoint_url = {server.url}\n")
        async with c:
            assert await invoke(c) == b"plain"
    assert builds.threads == [] and builds.defaults == 0


async def test_bundle_set_after_creation_is_the_one_used(
    engine: str,
    builds: Builds,
    tls_server: tuple[Any, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import trustme

    other = tmp_path / "other.pem"
    other.write_bytes(trustme.CA().cert_pem.bytes())
    right = tmp_path / "right.pem"
    right.write_bytes(tls_server[1])
    monkeypatch.setenv("AWS_CA_BUNDLE", str(other))
    with FaultServer(ok(b"secure"), ssl_context=tls_server[0]) as server:
        c = client(engine, server.url)
        join_builds()
        monkeypatch.setenv("AWS_CA_BUNDLE", str(right))
        async with c:
            assert await invoke(c) == b"secure"
    # The prefetched context (for the other CA) was dropped; the engine built its own.
    assert len(builds.threads) == 2 and builds.threads[0] == THREAD
    assert builds.threads[1] != THREAD


async def test_missing_bundle_fails_the_call(
    engine: str, builds: Builds, tls_server: tuple[Any, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", "/nonexistent/ca-bundle.pem")
    with FaultServer(ok(b"secure"), ssl_context=tls_server[0]) as server:
        c = client(engine, server.url)
        join_builds()
        async with c:
            for _ in range(2):
                with pytest.raises(FileNotFoundError):
                    await invoke(c)
        assert server.requests == []
    assert builds.threads[0] == THREAD and len(builds.threads) == 3


async def test_no_prefetch_for_a_callers_client_or_a_duplex_only_client(
    builds: Builds, anyio_backend: str, bundle: Path
) -> None:
    import httpx2

    async with httpx2.AsyncClient() as http_client:
        SageMakerRuntimeClient(
            region_name="us-east-1",
            endpoint_url="https://127.0.0.1:1",
            aws_access_key_id="AKIDTEST",
            aws_secret_access_key="secret",
            http_client=http_client,
        )
    SageMakerRuntimeHTTP2Client(
        region_name="us-east-1",
        endpoint_url="https://127.0.0.1:1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
    )
    assert tls._pending == {}
    client("httpx", "https://127.0.0.1:1")  # the control: an https client does prefetch
    assert list(tls._pending) == ["httpcore2"]


async def test_finished_build_is_taken_on_the_event_loop(
    engine: str, builds: Builds, bundle: Path, tls_server: tuple[Any, bytes]
) -> None:
    with FaultServer(ok(b"secure"), ssl_context=tls_server[0]) as server:
        c = client(engine, server.url)
        join_builds()  # ready before the first call
        async with c:
            assert await invoke(c) == b"secure"
    assert builds.threads == [THREAD]
    assert not builds.taking.is_set()  # no worker thread was sent to take it
