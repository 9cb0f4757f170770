"""The default HTTP engine: httpcore2 (httpx2's core) directly, or a caller's
``httpx2.AsyncClient`` / ``httpx.AsyncClient``.

A client we own sends through httpcore2 connections in our own pool
(:mod:`.httpcore_pool`): httpx2's client layer and connection pool cost 0.5-2 ms per
request and give us nothing, since requests are built and signed before they reach us.
When the environment configures a proxy, the owned engine is an ``httpx2.AsyncClient``
instead, which applies ``*_PROXY`` / ``NO_PROXY`` per URL. A caller's client is used as
it is (:mod:`.httpx_client`). Either way, their exceptions become the library's in one
place, :func:`~.httpx_errors.translate_error`. These modules are the only ones that
speak httpx/httpcore.

httpcore2 is imported when the owned engine is created (the first time in a process:
tens of milliseconds, what ``import httpx`` costs an httpx user), not with the package
and not in a worker thread at the first request: that thread (and the one taking the
prefetched TLS context) cost a cold start 1-2 % over HTTP, ~5 % over HTTPS, the import
running slower on another core (bench/PROFILE.md). The pool is
set up on the first request (in a worker thread only when proxies may be configured:
asking the platform for them can block), and builds its TLS context on its first
``https`` connection, from the one the client prefetched when there is one.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from .._config import ClientConfig
from .._eventloop import current_event_loop
from .._http import HTTPRequest
from .base import content_length, raise_translated
from .httpcore_pool import (
    DirectResponse,
    _body_length,
    _DirectPool,
    _flat,
    _has_host,
    _netloc,
    close_socket,
)
from .httpx_errors import _load_httpcore2, translate_error
from .tls import ssl_context_from_env

if TYPE_CHECKING:
    # Imported when a caller's client or a proxy needs it, not with the package.
    from .httpx_client import HttpxResponse, _Family

__all__ = ["HttpxTransport"]


def _proxies_possible() -> bool:
    """Whether a ``*_proxy`` variable is set or the platform keeps proxies outside the
    environment (then :func:`_environment_has_proxies` must ask, blocking)."""
    return sys.platform in ("darwin", "win32") or any(
        name.lower().endswith("_proxy") for name in os.environ
    )


def _environment_has_proxies() -> bool:
    # urllib.request costs ~10 ms to import (http.client, email): ask it only when it
    # may say yes.
    if not _proxies_possible():
        return False
    import urllib.request

    proxies = urllib.request.getproxies()
    return any(key in proxies for key in ("http", "https", "all"))


class HttpxTransport:
    """:class:`~aiosagemaker_runtime._transports.base.Transport` on httpx2 or a caller's client.

    Owned engine: httpcore2 connections in our pool (:mod:`.httpcore_pool`), at most
    ``max_pool_connections`` of them, HTTP/1.1, TLS verification (``AWS_CA_BUNDLE``,
    else ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, else the system's CAs); with proxies in
    the environment, an ``httpx2.AsyncClient`` with the same settings. A caller's
    ``http_client`` (httpx2 or httpx) is used as it is and never closed here; its
    mounts, proxies and mocks (respx) apply.

    Either way, ``ClientConfig.connect_timeout`` and ``read_timeout`` apply to every
    request (write timeout = read timeout). Waiting for a free pooled connection is not
    bounded: it is back-pressure, not a fault; bound whole calls with
    ``anyio.fail_after`` when needed.
    """

    def __init__(self, config: ClientConfig, http_client: Any = None) -> None:
        self._config = config
        self._owned = http_client is None
        self._client: Any = http_client
        self._closed = False
        self._lock = anyio.Lock()
        self._family: _Family | None = None
        if http_client is not None:
            from .httpx_client import _family_of_client

            self._family = _family_of_client(http_client)
        self._direct: _DirectPool | None = None
        #: httpcore2 for the owned engine (imported here: see the module's docstring)
        self._httpcore2: Any = _load_httpcore2() if http_client is None else None
        #: The event loop the owned connections belong to (see :meth:`_check_loop`).
        self._loop: object = None
        self._timeout = {
            "connect": config.connect_timeout,
            "read": config.read_timeout,
            "write": config.read_timeout,
            "pool": None,
        }

    def _create_client(self) -> Any:
        from .httpx_client import _family

        family = _family("httpx2")
        httpx2 = family.module
        config = self._config
        verify: Any = ssl_context_from_env() or True
        client = httpx2.AsyncClient(
            verify=verify,
            trust_env=True,
            http2=False,
            follow_redirects=False,
            limits=httpx2.Limits(
                max_connections=config.max_pool_connections,
                max_keepalive_connections=config.max_pool_connections,
            ),
            timeout=httpx2.Timeout(**self._timeout),
        )
        self._family = family
        return client

    def _prepare_direct(self) -> Any:
        """httpcore2 for the direct engine; ``None`` when proxies apply. May block.

        No TLS context here: the pool builds one on its first ``https`` connection.
        """
        if _environment_has_proxies():
            return None
        return self._httpcore2

    async def _start(self) -> None:
        if self._closed:
            raise RuntimeError("the client has been closed")
        async with self._lock:
            if self._closed:
                raise RuntimeError("the client has been closed")
            if self._client is not None or self._direct is not None:
                return
            self._loop = current_event_loop()
            if _proxies_possible():
                httpcore2 = await anyio.to_thread.run_sync(self._prepare_direct)
            else:
                httpcore2 = self._httpcore2
            if httpcore2 is None:
                self._client = await anyio.to_thread.run_sync(self._create_client)
            else:
                self._direct = _DirectPool(
                    httpcore2, self._config.max_pool_connections, self._timeout
                )

    async def send(self, request: HTTPRequest) -> DirectResponse | HttpxResponse:
        """Send ``request`` as built (no added Accept, Accept-Encoding or User-Agent)."""
        direct = self._direct
        if direct is not None and not self._closed and self._loop is current_event_loop():
            return await direct.send(request)
        if self._owned and not self._closed:
            self._check_loop()
        client = self._client
        if client is None or self._closed:
            await self._start()
            if self._direct is not None:
                return await self._direct.send(request)
            client = self._client
        family = self._family
        assert family is not None
        body = _flat(request.body)
        headers = request.headers
        length = content_length(request.method, _body_length(body))
        extra: list[tuple[str, str]] = [] if length is None else [("Content-Length", length)]
        if not _has_host(headers):
            extra.append(("Host", _netloc(request.url)))
        url = request.url
        try:
            http_request = family.request(
                request.method,
                url,
                headers=[*headers, *extra],
                stream=family.body_stream(body),
                extensions={"timeout": self._timeout},
            )
            response = await client.send(http_request, stream=True)
        except Exception as error:
            raise_translated(error, translate_error(error, url))
        from .httpx_client import HttpxResponse  # loaded with the family

        try:
            return HttpxResponse(response, url)
        except BaseException:
            await response.aclose()
            raise

    def _check_loop(self) -> None:
        """Forget connections opened under another event loop (``asyncio.run`` twice, a
        module-level client with pytest's per-test loops, trio after asyncio): they are
        dropped, never reused, and the next request opens new ones under this loop."""
        loop = current_event_loop()
        if self._loop is loop:
            return
        self._loop = loop
        # an anyio lock belongs to the event loop of its first use, too
        self._lock = anyio.Lock()
        direct, self._direct = self._direct, None
        client, self._client = self._client, None
        if direct is not None:
            direct.abandon()
        if client is not None:
            self._family = None
            pool = getattr(client, "_transport", None)
            abandon = getattr(getattr(pool, "_pool", None), "_connections", None)
            for connection in list(abandon or ()):
                close_socket(connection)

    async def aclose(self) -> None:
        """Close the owned client (idempotent); a caller's client is left open."""
        if self._closed:
            return
        if self._owned:
            self._check_loop()
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            client, self._client = self._client, None
            direct, self._direct = self._direct, None
        if direct is not None:
            await direct.aclose()
        if self._owned and client is not None:
            with anyio.CancelScope(shield=True):
                await client.aclose()
