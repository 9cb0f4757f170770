"""The server: listener, connections, background work and clean shutdown."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TextIO

import anyio
import anyio.abc
from anyio.abc import SocketAttribute

from ._app import SageMakerRuntimeApp
from ._config import LocalConfig
from ._http11 import serve_connection
from ._targets import TargetRunner

__all__ = ["LocalEndpointServer", "run_server", "running"]

logger = logging.getLogger("aiosagemaker_runtime.local")


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class LocalEndpointServer:
    """A SageMaker Runtime endpoint on the local machine.

    ``await tg.start(server.serve)`` returns the bound URL (``port=0`` picks a free
    port); cancelling the task stops the server and its background work.
    """

    def __init__(self, config: LocalConfig) -> None:
        self.config = config
        self.url: str | None = None

    async def serve(
        self, *, task_status: anyio.abc.TaskStatus[str] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Listen and serve until cancelled."""
        runner = TargetRunner(self.config)
        app = SageMakerRuntimeApp(self.config, runner)
        max_body = app.max_body
        listener = await anyio.create_tcp_listener(
            local_host=self.config.host, local_port=self.config.port
        )
        try:
            port = listener.extra(SocketAttribute.local_port)
            self.url = _url(self.config.host, port)

            async def on_connection(stream: anyio.abc.SocketStream) -> None:
                # One broken connection must never take the server down.
                try:
                    await serve_connection(stream, app, max_body=max_body)
                except Exception:
                    logger.exception("connection failed")

            async with anyio.create_task_group() as tasks:
                app.attach(tasks)
                task_status.started(self.url)
                await listener.serve(on_connection, task_group=tasks)
        finally:
            with anyio.CancelScope(shield=True):
                await listener.aclose()
                await runner.aclose()


@asynccontextmanager
async def running(config: LocalConfig) -> AsyncIterator[str]:
    """Serve ``config`` in the background while the block runs; yields the base URL.

    For tests of code that calls SageMaker: ``async with running(config) as url:`` and
    point the client (``endpoint_url=url``), boto3 or the AWS CLI at ``url``.
    """
    async with anyio.create_task_group() as tasks:
        url = await tasks.start(LocalEndpointServer(config).serve)
        try:
            yield url
        finally:
            tasks.cancel_scope.cancel()


def _banner(config: LocalConfig) -> None:
    for endpoint in config.endpoints.values():
        print(f"endpoint {endpoint.name} -> {endpoint.target}", file=sys.stderr)
    if config.credentials:
        print(f"verifying SigV4 signatures ({len(config.credentials)} key(s))", file=sys.stderr)
    if config.host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning(
            "listening on %s: reachable from other machines%s",
            config.host,
            "" if config.credentials else " and without signature checks",
        )
    sys.stderr.flush()


async def _serve(
    server: LocalEndpointServer, out: TextIO, signals: AsyncIterator[int] | None
) -> None:
    async with anyio.create_task_group() as tasks:
        url = await tasks.start(server.serve)
        print(f"serving on {url}", file=out, flush=True)
        _banner(server.config)
        if signals is None:  # pragma: no cover - Windows: Ctrl-C raises KeyboardInterrupt
            await anyio.sleep_forever()
        else:
            async for signum in signals:
                print(f"received {signal.Signals(signum).name}, shutting down", file=sys.stderr)
                break
        tasks.cancel_scope.cancel()


async def _serve_until_signal(server: LocalEndpointServer, out: TextIO) -> None:
    # The receiver is in place before the URL is printed: whoever reads the URL may
    # signal us at once and still get a clean shutdown.
    with contextlib.ExitStack() as stack:
        signals: AsyncIterator[int] | None
        try:
            signals = stack.enter_context(anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM))
        except NotImplementedError:  # pragma: no cover - no signal receivers on Windows
            signals = None
        await _serve(server, out, signals)


def run_server(config: LocalConfig, out: TextIO | None = None) -> None:
    """Serve ``config`` until SIGINT or SIGTERM; print ``serving on URL`` first on ``out``."""
    server = LocalEndpointServer(config)
    # KeyboardInterrupt: the signal arrived before the receiver was installed.
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(_serve_until_signal, server, out if out is not None else sys.stdout)
