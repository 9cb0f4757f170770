"""The fake SageMaker Runtime: serve-local with in-process endpoints, in a loop or a thread."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Literal

import anyio
import anyio.from_thread

from ..local._asgi import Route
from ..local._config import DEFAULT_ACCOUNT_ID, DEFAULT_VARIANT, EndpointTarget, LocalConfig
from ..local._config import in_process_target as _in_process_target
from ..local._server import LocalEndpointServer
from ..local._targets import ConnectionDrop
from ._calls import Call
from ._endpoint import FakeEndpoint, ModelFunction

__all__ = ["FakeSageMaker"]

#: Access key id and secret key of a fake that checks signatures (test values).
ACCESS_KEY_ID = "AKIDFAKESAGEMAKER"
SECRET_ACCESS_KEY = "fake-sagemaker-secret-key"


class FakeSageMaker:
    """A fake SageMaker Runtime on ``127.0.0.1``: serve-local, whose endpoints are
    answered by Python in this process (see :class:`FakeEndpoint`). The wire is
    serve-local's: what SageMaker sends, for our client, aiobotocore and boto3 alike
    (``endpoint_url=fake.url``).

    ``async with FakeSageMaker() as fake:`` serves it in the running event loop
    (asyncio or trio); ``with FakeSageMaker() as fake:`` in a thread of its own (an
    asyncio loop), for synchronous code such as boto3, or for async tests that should
    not share their loop. Model functions run in the fake's loop.

    Endpoints that were not registered answer as SageMaker does: ``ValidationError``,
    "Endpoint NAME of account 123456789012 not found.". With ``check_signatures``
    requests must be signed (SigV4) with ``fake.access_key_id`` and
    ``fake.secret_access_key``; otherwise any credentials do. Credentials are never
    recorded (see :class:`Call`). ``s3_root``: a directory standing in for S3, needed
    by ``InvokeEndpointAsync`` (``s3://bucket/key`` is ``s3_root/bucket/key``).
    """

    access_key_id = ACCESS_KEY_ID
    secret_access_key = SECRET_ACCESS_KEY

    def __init__(
        self,
        *,
        check_signatures: bool = False,
        region: str = "us-east-1",
        account_id: str = DEFAULT_ACCOUNT_ID,
        s3_root: str | Path | None = None,
        thread_backend: Literal["asyncio", "trio"] = "asyncio",
    ) -> None:
        self.region = region
        self._targets: dict[str, EndpointTarget] = {}
        self._endpoints: dict[str, FakeEndpoint] = {}
        self._lock = threading.Lock()
        self._journal: list[Call] = []
        # The server reads endpoints from this very dict: endpoints added later are served.
        self._config = LocalConfig(
            endpoints=self._targets,
            host="127.0.0.1",
            port=0,
            credentials={ACCESS_KEY_ID: SECRET_ACCESS_KEY} if check_signatures else {},
            s3_root=Path(s3_root) if s3_root is not None else None,
            account_id=account_id,
            region=region,
        )
        #: Extra ASGI routes of the server (the hook for operations served by a route,
        #: such as the bidirectional stream).
        self.routes: list[Route] = []
        self._thread_backend = thread_backend
        self._url: str | None = None
        self._exit: contextlib.ExitStack | contextlib.AsyncExitStack | None = None

    def __repr__(self) -> str:
        state = self._url or "not running"
        return f"<FakeSageMaker {state} endpoints={sorted(self._endpoints)}>"

    @property
    def url(self) -> str:
        """The base URL to give clients as ``endpoint_url`` (while running)."""
        if self._url is None:
            raise RuntimeError("the fake is not running: use it in 'with' or 'async with'")
        return self._url

    @property
    def check_signatures(self) -> bool:
        return bool(self._config.credentials)

    # -- endpoints ------------------------------------------------------------------------

    def endpoint(
        self,
        name: str,
        model: ModelFunction | None = None,
        *,
        variant: str = DEFAULT_VARIANT,
        capacity: int | None = None,
    ) -> FakeEndpoint:
        """Endpoint ``name``, created on first use (a later ``model`` replaces the
        first). ``variant`` is the production variant it says it invoked; ``capacity``
        limits the ``InvokeEndpoint`` calls it serves at once, as SageMaker's
        concurrency limit does (beyond it: ``ThrottlingException``, not recorded)."""
        with self._lock:
            endpoint = self._endpoints.get(name)
            if endpoint is None:
                endpoint = FakeEndpoint(name, self._config, self._lock, self._journal, model)
                target = _in_process_target(name, endpoint, variant=variant, capacity=capacity)
                self._targets[name] = target
                self._endpoints[name] = endpoint
            elif model is not None:
                endpoint.model = model
        return endpoint

    @property
    def endpoints(self) -> Mapping[str, FakeEndpoint]:
        """The registered endpoints by name."""
        with self._lock:
            return dict(self._endpoints)

    @property
    def calls(self) -> list[Call]:
        """Every recorded call, to any endpoint, oldest first (a copy)."""
        with self._lock:
            return list(self._journal)

    # -- running --------------------------------------------------------------------------

    @asynccontextmanager
    async def _serving(self) -> AsyncIterator[str]:
        _quiet_drops()
        server = LocalEndpointServer(self._config, routes=self.routes)
        async with anyio.create_task_group() as tasks:
            url: str = await tasks.start(server.serve)
            try:
                yield url
            finally:
                tasks.cancel_scope.cancel()

    def _claim(self) -> None:
        if self._exit is not None:
            raise RuntimeError("this fake is running already")

    async def __aenter__(self) -> FakeSageMaker:
        self._claim()
        stack = contextlib.AsyncExitStack()
        self._exit = stack
        try:
            self._url = await stack.enter_async_context(self._serving())
        except BaseException:
            self._exit = None
            await stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # The block's exception is not thrown into the server's task group (it would
        # come out wrapped in an exception group): the server stops, the error goes on.
        stack, self._exit, self._url = self._exit, None, None
        assert isinstance(stack, contextlib.AsyncExitStack)
        await stack.aclose()

    def __enter__(self) -> FakeSageMaker:
        self._claim()
        stack = contextlib.ExitStack()
        self._exit = stack
        try:
            portal = stack.enter_context(
                anyio.from_thread.start_blocking_portal(self._thread_backend)
            )
            self._url = stack.enter_context(portal.wrap_async_context_manager(self._serving()))
        except BaseException:
            self._exit = None
            stack.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        stack, self._exit, self._url = self._exit, None, None
        assert isinstance(stack, contextlib.ExitStack)
        stack.close()  # as in __aexit__: the block's exception goes on as it is


class _DropFilter(logging.Filter):
    """Drops the HTTP server's report of a connection the test kit closed on purpose
    (``Disconnect``): the server sees the model's ConnectionDrop as an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is None or not _is_drop(record.exc_info[1])


def _is_drop(error: BaseException | None) -> bool:
    if isinstance(error, ConnectionDrop):
        return True
    return any(_is_drop(inner) for inner in getattr(error, "exceptions", ()))


_FILTER = _DropFilter()


def _quiet_drops() -> None:
    server_log = logging.getLogger("aiosagemaker_runtime.local.http")
    if _FILTER not in server_log.filters:
        server_log.addFilter(_FILTER)
