"""The HTTP/2 engine: duplex exchanges on pooled h2 connections (python-hyper's h2 over
anyio streams; asyncio and trio).

* ``https`` origins: TLS with ALPN ``h2`` (a server that selects anything else is
  refused: ``EndpointConnectionError`` saying it did not negotiate HTTP/2), verified
  with ``AWS_CA_BUNDLE`` when set, else httpcore2's default roots (those of the
  default engine); ``http`` origins: h2c with prior knowledge.
* Pool: a connection carries streams up to the server's
  ``SETTINGS_MAX_CONCURRENT_STREAMS``; when every connection to the origin is full,
  another is opened while there are fewer than ``max_pool_connections`` in all (an
  idle connection to another origin is closed to make room); beyond that, ``open``
  waits for a stream to end (back-pressure, not bounded: bound whole calls with
  ``anyio.fail_after`` when needed). Concurrent first requests to an origin share one
  connection attempt, and its failure. A connection told to go away (GOAWAY) takes no
  new stream; idle connections are closed after :attr:`H2Transport.KEEPALIVE_EXPIRY`.
* ``connect_timeout`` bounds connecting (TCP, TLS and the server's first SETTINGS);
  ``read_timeout`` is the inactivity timeout of the response (headers, each chunk)
  and of writes (a closed flow control window or a full socket).

Nothing of h2 is imported with this module: :mod:`.h2_connection` (and h2) is imported
in a worker thread on the first ``open``, and the TLS context is built, also in a
worker thread, on the first ``https`` connection.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import anyio
import anyio.to_thread

from .._config import ClientConfig
from .._exceptions import TransportError
from .._http import HTTPRequest
from .tls import ssl_context_from_env

if TYPE_CHECKING:
    import ssl

    from .h2_connection import H2Connection
    from .h2_exchange import H2Exchange

__all__ = ["H2Transport"]


class _Origin(NamedTuple):
    scheme: str
    host: str
    port: int


class _Attempt:
    """A connection being made to an origin; others wait for it and share its failure."""

    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.error: BaseException | None = None


def _target(url: str) -> tuple[_Origin, str, str]:
    """(origin, ``:authority``, ``:path``) of an absolute URL, path kept as encoded."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    default = 443 if scheme == "https" else 80
    port = parts.port or default
    authority = parts.netloc.rpartition("@")[2]
    suffix = f":{default}"
    if authority.endswith(suffix):  # as signed: the scheme's default port left out
        authority = authority[: -len(suffix)]
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return _Origin(scheme, parts.hostname, port), authority, path


class H2Transport:
    """:class:`~aiosagemaker_runtime._transports.base.DuplexTransport` over HTTP/2."""

    KEEPALIVE_EXPIRY = 20.0

    def __init__(self, config: ClientConfig) -> None:
        self._config = config
        self._module: Any = None
        self._load_lock: anyio.Lock | None = None
        self._tls: ssl.SSLContext | None = None
        self._tls_lock: anyio.Lock | None = None
        self._pools: dict[_Origin, list[H2Connection]] = {}
        self._attempts: dict[_Origin, _Attempt] = {}
        #: Connections open or being opened, all origins together.
        self._count = 0
        self._changed: anyio.Event | None = None
        self._closed = False

    # -- setup ---------------------------------------------------------------------

    async def _load(self) -> Any:
        if self._load_lock is None:
            self._load_lock = anyio.Lock()
        async with self._load_lock:
            if self._module is None:
                self._module = await anyio.to_thread.run_sync(
                    importlib.import_module, f"{__package__}.h2_connection"
                )
        return self._module

    async def _tls_context(self) -> ssl.SSLContext:
        """Built once, in a worker thread, by the first caller (stored when finished)."""
        if self._tls_lock is None:
            self._tls_lock = anyio.Lock()
        async with self._tls_lock:
            context = self._tls
            if context is None:
                context = self._tls = await anyio.to_thread.run_sync(_build_tls)
            return context

    # -- pool ----------------------------------------------------------------------

    def _notify(self) -> None:
        """A connection changed (a stream ended, settings, GOAWAY, failure)."""
        changed = self._changed
        if changed is not None:
            self._changed = None
            changed.set()

    async def _wait_change(self) -> None:
        changed = self._changed
        if changed is None:
            changed = self._changed = anyio.Event()
        await changed.wait()

    async def _pick(self, origin: _Origin) -> H2Connection | None:
        """A connection to ``origin`` with room for a stream; closes the dead and the
        expired on the way."""
        pool = self._pools.get(origin)
        if not pool:
            return None
        now = anyio.current_time()
        chosen = None
        for conn in list(pool):
            if not conn.active:
                await conn.catch_up()
            if not conn.active and (
                not conn.usable or now - conn.idle_since > self.KEEPALIVE_EXPIRY
            ):
                await self._discard(origin, conn)
            elif chosen is None and conn.available > 0:
                chosen = conn
        return chosen

    async def _discard(self, origin: _Origin, conn: H2Connection) -> None:
        pool = self._pools.get(origin)
        if pool is not None and conn in pool:
            pool.remove(conn)
            if not pool:
                del self._pools[origin]
            self._count -= 1
            await conn.aclose()
            self._notify()

    async def _evict_idle(self) -> bool:
        """Close one idle connection (any origin) to make room; ``False`` if none."""
        for origin, pool in list(self._pools.items()):
            for conn in pool:
                if not conn.active:
                    await self._discard(origin, conn)
                    return True
        return False

    async def _connect(self, origin: _Origin, url: str) -> None:
        attempt = self._attempts[origin] = _Attempt()
        self._count += 1
        try:
            tls = await self._tls_context() if origin.scheme == "https" else None
            conn = await self._module.H2Connection.connect(
                origin.host,
                origin.port,
                url=url,
                tls=tls,
                connect_timeout=self._config.connect_timeout,
                read_timeout=self._config.read_timeout,
                on_change=self._notify,
            )
        except BaseException as error:
            self._count -= 1
            attempt.error = error
            raise
        finally:
            del self._attempts[origin]
            attempt.done.set()
            self._notify()
        if self._closed:
            self._count -= 1
            await conn.aclose()
            raise RuntimeError("the client has been closed")
        self._pools.setdefault(origin, []).append(conn)

    # -- the protocol --------------------------------------------------------------

    async def open(self, request: HTTPRequest) -> H2Exchange:
        """Send the request's HEADERS (and ``request.body`` as the first input, if any)
        on a pooled stream; the response is read later (:meth:`H2Exchange.response`)."""
        module = self._module
        if module is None:
            module = await self._load()
        origin, authority, path = _target(request.url)
        url = f"{origin.scheme}://{authority}"  # errors name the endpoint, not the path
        headers = module.request_headers(
            request.method, origin.scheme, authority, path, request.headers
        )
        while True:
            if self._closed:
                raise RuntimeError("the client has been closed")
            conn = await self._pick(origin)
            if conn is not None:
                try:
                    exchange: H2Exchange = await conn.open_stream(headers)
                except module.ConnectionUnavailable:
                    continue
                break
            attempt = self._attempts.get(origin)
            if attempt is not None:
                await attempt.done.wait()
                if isinstance(attempt.error, TransportError):
                    from .h2_errors import again  # loaded with h2_connection

                    raise again(attempt.error)
                continue  # succeeded, or the connecting task was cancelled: look again
            if self._count < self._config.max_pool_connections or await self._evict_idle():
                await self._connect(origin, url)
                continue
            await self._wait_change()
        if request.body:
            try:
                await exchange.send(request.body)
            except BaseException:
                await exchange.aclose()
                raise
        return exchange

    async def aclose(self) -> None:
        """Close every connection (idempotent); open exchanges fail."""
        self._closed = True
        pools, self._pools = self._pools, {}
        with anyio.CancelScope(shield=True):
            for pool in pools.values():
                for conn in pool:
                    self._count -= 1
                    await conn.aclose()
        self._notify()


def _build_tls() -> ssl.SSLContext:
    """``AWS_CA_BUNDLE``, else httpcore2's default context; ALPN ``h2``. Blocking."""
    context = ssl_context_from_env()
    if context is None:
        import httpcore2

        context = httpcore2.default_ssl_context()
    context.set_alpn_protocols(["h2"])
    return context
