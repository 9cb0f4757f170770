"""The fast HTTP engine for asyncio: aiohttp (``ClientConfig(http_backend="aiohttp")``).

Needs the optional extra (``pip install 'aiosagemaker-runtime[aiohttp]'``) and an
asyncio event loop; under trio use the default engine. Like ``httpx_engine``, it
translates its library's exceptions in one place (:func:`.aiohttp_response.translate_error`);
the response is in :mod:`.aiohttp_response`, the direct request path in
:mod:`.aiohttp_direct`.

aiohttp is imported, and its session created, on the first request: the import loads
a CA bundle (blocking I/O, done in a worker thread) and a session belongs to the
running loop. An ``AWS_CA_BUNDLE`` context is built (in a worker thread) only when the
first request that needs TLS (an ``https`` origin or proxy) is made.
"""

from __future__ import annotations

import asyncio
import importlib.util
from asyncio import _get_running_loop
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.to_thread

from .._config import ClientConfig
from .._http import HTTPRequest
from .aiohttp_direct import direct_sender
from .aiohttp_response import AiohttpResponse, translate_error
from .base import BODILESS_METHODS, close_socket_now, raise_translated
from .bodies import LARGE_BODY
from .tls import prefetched_context, verifying_context

__all__ = ["AiohttpResponse", "AiohttpTransport", "translate_error"]

_INSTALL_HINT = "http_backend='aiohttp' needs aiohttp: pip install 'aiosagemaker-runtime[aiohttp]'"

#: Large request bodies go to aiohttp as slices of this size (see :func:`_slices`).
_SLICE = 1 << 20
#: aiohttp copies the first body chunk into one buffer with the request head.
_FIRST_SLICE = 1 << 14
#: Methods aiohttp's ClientSession retries once on a connection closed while pooled.
_IDEMPOTENT = frozenset(("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"))
#: Request URLs whose parsed form is kept (all are dropped when there are more).
_TARGETS = 256

_aiohttp: Any = None
_yarl_url: Any = None
_request_class: Any = None
#: The direct request path (:mod:`.aiohttp_direct`), ``None`` where aiohttp's internals differ.
_direct: Any = None


def _import_aiohttp() -> None:
    global _aiohttp, _yarl_url, _request_class, _direct
    import aiohttp
    import yarl

    class Request(aiohttp.ClientRequest):
        """No automatic ``Accept``/``Accept-Encoding``: requests go out as built.

        The other two automatic headers (``User-Agent``, the body's ``Content-Type``)
        are skipped per request, and only when the request lacks them (see
        :func:`_auto_headers_to_skip`): a session-wide skip list makes aiohttp build
        and merge it into the headers on every request (~16,000 instructions, 3 % of
        a 1 KiB call over TLS).
        """

        DEFAULT_HEADERS = {}  # noqa: RUF012 (read by aiohttp, never changed)

    _yarl_url = yarl.URL
    _request_class = Request
    _direct = direct_sender(aiohttp, Request)
    _aiohttp = aiohttp


def _auto_headers_to_skip(headers: list[tuple[str, str]]) -> tuple[str, ...] | None:
    """The automatic headers aiohttp would add to ``headers``; ``None``: it adds none."""
    agent = content_type = False
    for name, _ in headers:
        lowered = name.lower()
        if lowered == "user-agent":
            agent = True
        elif lowered == "content-type":
            content_type = True
    if agent and content_type:
        return None
    return tuple(
        name
        for name, present in (("User-Agent", agent), ("Content-Type", content_type))
        if not present
    )


def _env_proxy(origin: str) -> tuple[Any, Any]:
    """``(proxy URL, proxy auth)`` from the environment for ``origin``, else ``(None, None)``.

    Blocking (may read ``~/.netrc``): run in a worker thread, once per origin.
    """
    try:
        proxy: tuple[Any, Any] = _aiohttp.helpers.get_env_proxy_for_url(_yarl_url(origin))
    except LookupError:
        return None, None
    return proxy


async def _slices(body: bytes | bytearray | memoryview) -> AsyncIterator[memoryview]:
    """A large request body as slices of itself, sent with an explicit Content-Length.

    Given the body whole, aiohttp joins it with the request head into a new buffer (a
    copy of the body, before Python 3.12.9), and the event loop's transport then copies
    whatever the kernel does not take at once: most of it. Slices are sent one after
    another with a drain between them; only a small first one is joined with the head.
    """
    view = memoryview(body)
    if view.itemsize != 1 or view.ndim != 1:
        view = view.cast("B")
    yield view[:_FIRST_SLICE]
    for at in range(_FIRST_SLICE, len(view), _SLICE):
        yield view[at : at + _SLICE]


class AiohttpTransport:
    """:class:`~aiosagemaker_runtime._http.Transport` on an aiohttp session we own.

    ``TCPConnector(limit=max_pool_connections)``, ``sock_connect=connect_timeout``,
    ``sock_read=read_timeout`` (no total timeout; waiting for a pooled connection is
    unbounded back-pressure), TLS verification with ``AWS_CA_BUNDLE`` honoured,
    proxies from the environment (``HTTP(S)_PROXY``, ``NO_PROXY``; looked up once per
    origin), no automatic headers, no decompression.
    """

    def __init__(self, config: ClientConfig) -> None:
        if _aiohttp is None and importlib.util.find_spec("aiohttp") is None:
            raise ImportError(_INSTALL_HINT)
        self._config = config
        self._session: Any = None
        #: The session's connector and timeouts (the direct path uses them).
        self._connector: Any = None
        self._timeout: Any = None
        #: The event loop of the session (see :meth:`_start`).
        self._loop: Any = None
        #: Per origin: (proxy URL, proxy auth, ``ssl=`` argument of its requests).
        self._origins: dict[str, tuple[Any, Any, Any]] = {}
        #: Per request URL: its parsed form, its origin's settings and the direct path
        #: where it applies (see _target).
        self._targets: dict[str, tuple[Any, Any, Any, Any, Any]] = {}
        #: ``ssl=`` for requests that use TLS, once built: the ``AWS_CA_BUNDLE`` context,
        #: else ``True`` (aiohttp's default verifying context).
        self._tls: Any = None
        self._closed = False
        #: Set when the session being created (by the first request) is ready.
        self._starting: anyio.Event | None = None
        #: Per origin whose settings are being looked up: set when they are.
        self._looking_up: dict[str, anyio.Event] = {}
        self._tls_lock = anyio.Lock()

    @staticmethod
    def _prepare() -> None:
        if _aiohttp is None:
            _import_aiohttp()

    async def _start(self) -> Any:
        """The session, created by the first request; the others wait for it.

        Concurrent first requests wait for one creation and then go on together, as they
        would on a session created beforehand: each opens its own connection (a burst of
        N first calls opens N, not the few that one-by-one starts would leave it).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "http_backend='aiohttp' runs only under asyncio; under trio use the "
                "default http_backend='httpx'"
            ) from None
        loop = _get_running_loop()
        if self._session is not None and self._loop is not loop and not self._closed:
            # A session left by a finished event loop (asyncio.run twice, pytest's
            # per-test loops): its connections are dropped, never reused.
            session, self._session, self._starting = self._session, None, None
            self._tls_lock = anyio.Lock()
            _abandon(session)
        while True:
            if self._closed:
                raise RuntimeError("the client has been closed")
            if self._session is not None:
                return self._session
            starting = self._starting
            if starting is None:
                break
            await starting.wait()  # then look again: the creator may have been cancelled
        starting = self._starting = anyio.Event()
        try:
            await anyio.to_thread.run_sync(self._prepare)
            if self._closed:
                raise RuntimeError("the client has been closed")
            self._session = self._new_session()
            self._loop = loop
            return self._session
        finally:
            self._starting = None
            starting.set()

    def _new_session(self) -> Any:
        aiohttp = _aiohttp
        config = self._config
        # TLS settings go with each request (see _origin): ssl=True here.
        connector = self._connector = aiohttp.TCPConnector(
            limit=config.max_pool_connections, limit_per_host=0, ssl=True
        )
        timeout = self._timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None,
            sock_connect=config.connect_timeout,
            sock_read=config.read_timeout,
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            auto_decompress=False,
            request_class=_request_class,
            # Proxies are looked up once per origin (see send): with trust_env=True
            # aiohttp would read the environment and ~/.netrc in worker threads on
            # every request (~0.6 ms each).
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def send(self, request: HTTPRequest) -> AiohttpResponse:
        """Send ``request`` as built (the URL is used as already percent-encoded)."""
        session = self._session
        if session is None or self._closed or self._loop is not _get_running_loop():
            session = await self._start()
        url = request.url
        target = self._targets.get(url)
        if target is None:
            target = await self._target(url)
        body: Any = request.body
        headers = request.headers
        # aiohttp retries an idempotent request once on a stale pooled connection:
        # those go through its own path, which does (ours are POSTs).
        direct = target[4] if request.method not in _IDEMPOTENT else None
        size = body.nbytes if isinstance(body, memoryview) else len(body)
        if not size and request.method in BODILESS_METHODS:
            body = None  # no Content-Length, as botocore sends a bodiless GET
        elif size >= LARGE_BODY and (not isinstance(body, memoryview) or body.c_contiguous):
            body = _slices(body)
            headers = [*headers, ("Content-Length", str(size))]
            direct = None  # a streamed body: aiohttp's own path closes it when sent
        try:
            if direct is not None:
                response = await direct.send(
                    session,
                    self._loop,
                    self._connector,
                    self._timeout,
                    request.method,
                    target[0],
                    headers,
                    _auto_headers_to_skip(headers),
                    body,
                    target[3],
                )
            else:
                response = await session._request(
                    request.method,
                    target[0],
                    headers=headers,
                    skip_auto_headers=_auto_headers_to_skip(headers),
                    data=body,
                    allow_redirects=False,
                    proxy=target[1],
                    proxy_auth=target[2],
                    ssl=target[3],
                )
        except Exception as error:
            raise_translated(error, translate_error(error, url))
        try:
            return AiohttpResponse(response, url, self._config.read_timeout)
        except BaseException:
            response.close()
            raise

    async def _target(self, url: str) -> tuple[Any, Any, Any, Any, Any]:
        """``(yarl URL, proxy URL, proxy auth, ssl, direct)`` for ``url``, kept for the next
        calls; ``direct``: the direct path (:mod:`.aiohttp_direct`) if it applies (no proxy,
        no credentials in the URL), else ``None``.

        A client calls a few URLs (one per endpoint and operation) again and again:
        parsing each once saves ~1.5 us per call.
        """
        origin = url[: url.find("/", 8)]
        settings = self._origins.get(origin)
        if settings is None:
            settings = await self._origin(origin)
        if len(self._targets) >= _TARGETS:
            self._targets.clear()
        parsed = _yarl_url(url, encoded=True)
        plain = settings[0] is None and parsed.raw_user is None and parsed.raw_password is None
        target = self._targets[url] = (parsed, *settings, _direct if plain else None)
        return target

    async def _origin(self, origin: str) -> tuple[Any, Any, Any]:
        """``(proxy URL, proxy auth, ssl)`` for ``origin``, looked up once (in a worker thread).

        Concurrent first requests to an origin wait for one lookup, then go on together.

        ``ssl`` is the TLS setting when the origin or its proxy is ``https`` (what the
        connector used to carry for every request), else ``True`` (unused: no TLS).
        """
        while True:
            settings = self._origins.get(origin)
            if settings is not None:
                return settings
            looking_up = self._looking_up.get(origin)
            if looking_up is None:
                break
            await looking_up.wait()  # then look again: the first may have been cancelled
        looking_up = self._looking_up[origin] = anyio.Event()
        try:
            proxy, proxy_auth = await anyio.to_thread.run_sync(_env_proxy, origin)
            tls: Any = True
            if origin.startswith("https:") or (proxy is not None and proxy.scheme == "https"):
                tls = self._tls
                if tls is None:
                    tls = await self._tls_setting()
            settings = self._origins[origin] = (proxy, proxy_auth, tls)
            return settings
        finally:
            del self._looking_up[origin]
            looking_up.set()

    async def _tls_setting(self) -> Any:
        """The ``AWS_CA_BUNDLE`` context (else ``True``), built once, by the first caller
        (or taken from the client's prefetch: :mod:`.tls`).

        Stored only when finished: a caller cancelled during the build leaves it unset
        (or set), and the next one builds it or uses it.
        """
        async with self._tls_lock:
            tls = self._tls
            if tls is None:
                context = prefetched_context(None)  # ready: no thread hop
                if context is None:
                    context = await anyio.to_thread.run_sync(verifying_context, None)
                tls = self._tls = context if context is not None else True
            return tls

    async def aclose(self) -> None:
        """Close the session and its connections (idempotent)."""
        if self._closed:
            return
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._loop is not _get_running_loop():
            _abandon(session)  # its event loop is gone: nothing to await there
        elif session is not None:
            with anyio.CancelScope(shield=True):
                await session.close()


def _abandon(session: Any) -> None:
    """Drop a session whose event loop has finished: close its sockets directly."""
    connector = session.connector
    try:
        pooled = list(connector._conns.values())
        connector._conns.clear()
        connector._closed = True
    except AttributeError:  # another aiohttp layout: leave it to the garbage collector
        return
    for connections in pooled:
        for protocol, _ in connections:
            transport = getattr(protocol, "transport", None)
            close_socket_now(None if transport is None else transport.get_extra_info("socket"))
