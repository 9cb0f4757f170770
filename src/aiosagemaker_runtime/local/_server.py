"""The server: listener, HTTP server (hypercorn), background work and clean shutdown."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TextIO

import anyio
import anyio.abc

from ._app import SageMakerRuntimeApp
from ._asgi import LocalASGIApp, Route
from ._config import ConfigError, LocalConfig
from ._targets import TargetRunner

__all__ = ["LocalEndpointServer", "TLSFiles", "run_server", "running"]

logger = logging.getLogger("aiosagemaker_runtime.local")

#: How long requests in progress may go on once shutdown starts.
_GRACE = 1.0


def _url(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


@dataclass(frozen=True, slots=True)
class TLSFiles:
    """A PEM certificate (chain) and its private key: serve HTTPS (ALPN ``h2`` and
    ``http/1.1``) instead of plain HTTP."""

    certfile: str
    keyfile: str


class LocalEndpointServer:
    """A SageMaker Runtime endpoint on the local machine.

    ``await tg.start(server.serve)`` returns the bound URL (``port=0`` picks a free
    port); cancelling the task stops the server and its background work. HTTP/1.1 and
    HTTP/2 (h2c) share the port; with ``tls`` it serves HTTPS, ALPN choosing between
    them. ``routes`` are extra ASGI routes served before the SageMaker operations (and
    before ``InvokeEndpointWithBidirectionalStream``, served over HTTP/2 by ``_bidi``).
    """

    def __init__(
        self, config: LocalConfig, *, tls: TLSFiles | None = None, routes: Iterable[Route] = ()
    ) -> None:
        self.config = config
        self.tls = tls
        self.routes = list(routes)
        self.url: str | None = None

    async def serve(
        self, *, task_status: anyio.abc.TaskStatus[str] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Listen and serve until cancelled."""
        from ._bidi import bidirectional_route
        from ._hypercorn import bind_sockets, duplicate, hypercorn_config, serve

        runner = TargetRunner(self.config)
        app = SageMakerRuntimeApp(self.config, runner)
        routes = [*self.routes, bidirectional_route(self.config, runner)]
        asgi = LocalASGIApp(app, max_body=app.max_body, routes=routes)
        if self.tls is not None:  # an unusable certificate fails here, before listening
            try:
                hypercorn_config([], self.tls).create_ssl_context()
            except (OSError, ValueError) as error:
                raise ConfigError(
                    f"cannot use certificate {self.tls.certfile!r} with key "
                    f"{self.tls.keyfile!r}: {error}"
                ) from None
        try:
            sockets = bind_sockets(self.config.host, self.config.port)
        except OSError as error:
            where = f"{self.config.host}:{self.config.port}"
            raise OSError(error.errno, f"cannot listen on {where}: {error.strerror}") from None
        try:
            port = sockets[0].getsockname()[1]
            self.url = _url("https" if self.tls else "http", self.config.host, port)
            http_config = hypercorn_config(duplicate(sockets), self.tls)
            stop = anyio.Event()
            stopped = anyio.Event()
            # Cancellation does not reach the HTTP server: it stops when told to, closing
            # idle connections and letting requests in progress end (see _GRACE).
            server_scope = anyio.CancelScope(shield=True)

            async def run_http_server() -> None:
                try:
                    with server_scope:
                        await serve(asgi, http_config, stop.wait)
                finally:
                    stopped.set()

            async with anyio.create_task_group() as tasks:
                app.attach(tasks)
                tasks.start_soon(run_http_server)
                task_status.started(self.url)
                try:
                    await stopped.wait()
                finally:
                    with anyio.CancelScope(shield=True):
                        stop.set()
                        await asgi.shutdown(_GRACE)
                        with anyio.move_on_after(http_config.graceful_timeout + 2):
                            await stopped.wait()
                        server_scope.cancel()  # it did not stop in time: cut it
        finally:
            for sock in sockets:
                sock.close()
            with anyio.CancelScope(shield=True):
                await runner.aclose()


@asynccontextmanager
async def running(config: LocalConfig, *, tls: TLSFiles | None = None) -> AsyncIterator[str]:
    """Serve ``config`` in the background while the block runs; yields the base URL.

    For tests of code that calls SageMaker: ``async with running(config) as url:`` and
    point the client (``endpoint_url=url``), boto3 or the AWS CLI at ``url``.
    """
    async with anyio.create_task_group() as tasks:
        url = await tasks.start(LocalEndpointServer(config, tls=tls).serve)
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


def run_server(
    config: LocalConfig, out: TextIO | None = None, *, tls: TLSFiles | None = None
) -> None:
    """Serve ``config`` until SIGINT or SIGTERM; print ``serving on URL`` first on ``out``."""
    server = LocalEndpointServer(config, tls=tls)
    # KeyboardInterrupt: the signal arrived before the receiver was installed.
    with contextlib.suppress(KeyboardInterrupt):
        try:
            anyio.run(_serve_until_signal, server, out if out is not None else sys.stdout)
        except BaseException as error:
            # A failure to start (port taken, unusable certificate) comes out of the task
            # groups wrapped in exception groups: raise it as it is, for a plain message.
            inner = _single(error)
            if inner is error or not isinstance(inner, Exception):
                raise
            raise inner from None


def _single(error: BaseException) -> BaseException:
    group: Sequence[BaseException] = getattr(error, "exceptions", ())
    while len(group) == 1:
        error = group[0]
        group = getattr(error, "exceptions", ())
    return error
