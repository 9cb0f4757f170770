"""Prototype transports that back the proposals in bench/PROFILE.md with numbers.

Not shipped and not complete (no error translation, no proxies; TLS trusts
``AWS_CA_BUNDLE`` or the default roots, nothing else): they
show what our client costs per request when its pipeline runs on an engine without the
per-request overheads found by profiling. Used by the extra bench kinds
``proto-httpx`` and ``proto-aiohttp`` (our client with its transport swapped).

* :class:`ProtoHttpcoreTransport`: httpcore2 HTTP/1.1 connections behind an O(1) pool
  (a deque of idle connections per origin and a semaphore), ``httpcore2.Request``
  built directly with the URL parsed once per URL string, and 1 MiB socket reads.
* :class:`ProtoAiohttpTransport`: an aiohttp session with ``trust_env=False`` (the
  proxy environment would be resolved once per endpoint instead of a thread hop per
  request, and there is no netrc lookup per request).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio

from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._transports.tls import ssl_context_from_env

READ_SIZE = 1 << 20


def _lower_headers(raw: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        previous = headers.get(name)
        headers[name] = value if previous is None else f"{previous}, {value}"
    return headers


class _HttpcoreResponse:
    __slots__ = ("_closed", "_conn", "_content", "_pool", "_response", "headers", "status_code")

    def __init__(self, response: Any, conn: Any, pool: ProtoHttpcoreTransport) -> None:
        self._response = response
        self._conn = conn
        self._pool = pool
        self._closed = False
        self._content: bytes | None = None
        self.status_code: int = response.status
        self.headers: Mapping[str, str] = _lower_headers(response.headers)

    async def read(self) -> bytes:
        if self._content is None:
            chunks = [chunk async for chunk in self._response.stream]
            self._content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return self._content

    async def iter_raw(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.stream:
            yield chunk

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._response.aclose()
        finally:
            self._pool._checkin(self._conn)


class ProtoHttpcoreTransport:
    """httpcore2 connections, O(1) pool. See the module docstring."""

    def __init__(self, max_connections: int, connect_timeout: float, read_timeout: float) -> None:
        import httpcore2

        self._httpcore2 = httpcore2
        self._slots = anyio.Semaphore(max_connections)
        self._idle: dict[tuple[bytes, bytes, int | None], deque[Any]] = defaultdict(deque)
        self._urls: dict[str, tuple[Any, tuple[bytes, bytes, int | None], bytes]] = {}
        self._timeout = {
            "connect": connect_timeout,
            "read": read_timeout,
            "write": read_timeout,
            "pool": None,
        }
        self._ssl_context: Any = None

    def _url(self, url: str) -> tuple[Any, tuple[bytes, bytes, int | None], bytes]:
        cached = self._urls.get(url)
        if cached is None:
            parsed = self._httpcore2.URL(url)
            host = parsed.host + (b":%d" % parsed.port if parsed.port else b"")
            cached = (parsed, (parsed.scheme, parsed.host, parsed.port), host)
            if len(self._urls) < 1024:
                self._urls[url] = cached
        return cached

    def _checkout(self, key: tuple[bytes, bytes, int | None], url: Any) -> Any:
        idle = self._idle[key]
        while idle:
            conn = idle.pop()
            if not conn.is_closed() and not conn.has_expired():
                return conn
        ssl_context = None
        if url.scheme == b"https":
            if self._ssl_context is None:
                import ssl

                self._ssl_context = ssl_context_from_env() or ssl.create_default_context()
            ssl_context = self._ssl_context
        return self._httpcore2.AsyncHTTPConnection(
            url.origin, ssl_context=ssl_context, keepalive_expiry=20.0
        )

    def _checkin(self, conn: Any) -> None:
        self._slots.release()
        if conn.is_idle():
            inner = conn._connection
            if inner is not None and inner.READ_NUM_BYTES != READ_SIZE:
                inner.READ_NUM_BYTES = READ_SIZE
            origin = conn._origin
            self._idle[(origin.scheme, origin.host, origin.port)].append(conn)

    async def send(self, request: HTTPRequest) -> _HttpcoreResponse:
        url, key, host = self._url(request.url)
        body = request.body
        headers = [(b"Host", host)]
        headers += [(n.encode("latin-1"), v.encode("latin-1")) for n, v in request.headers]
        headers.append((b"Content-Length", b"%d" % len(body)))
        await self._slots.acquire()
        conn = None
        try:
            conn = self._checkout(key, url)
            response = await conn.handle_async_request(
                self._httpcore2.Request(
                    request.method.encode(),
                    url,
                    headers=headers,
                    content=bytes(body) if not isinstance(body, bytes) else body,
                    extensions={"timeout": self._timeout},
                )
            )
        except BaseException:
            self._slots.release()
            if conn is not None:
                with anyio.CancelScope(shield=True):
                    await conn.aclose()
            raise
        return _HttpcoreResponse(response, conn, self)

    async def aclose(self) -> None:
        for idle in self._idle.values():
            while idle:
                await idle.pop().aclose()


class _AiohttpResponse:
    __slots__ = ("_content", "_response", "headers", "status_code")

    def __init__(self, response: Any) -> None:
        self._response = response
        self._content: bytes | None = None
        self.status_code: int = response.status
        self.headers: Mapping[str, str] = _lower_headers(response.raw_headers)

    async def read(self) -> bytes:
        if self._content is None:
            self._content = await self._response.read()
        return self._content

    async def iter_raw(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.content.iter_any():
            yield chunk

    async def aclose(self) -> None:
        self._response.release()


class ProtoAiohttpTransport:
    """aiohttp with ``trust_env=False``. See the module docstring."""

    def __init__(self, max_connections: int, connect_timeout: float, read_timeout: float) -> None:
        self._limit = max_connections
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._session: Any = None

    async def send(self, request: HTTPRequest) -> _AiohttpResponse:
        session = self._session
        if session is None:
            import aiohttp
            import yarl

            self._yarl = yarl.URL
            session = self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._limit, limit_per_host=0, ssl=ssl_context_from_env() or True
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=None,
                    sock_connect=self._connect_timeout,
                    sock_read=self._read_timeout,
                ),
                auto_decompress=False,
                skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        response = await session._request(
            request.method,
            self._yarl(request.url, encoded=True),
            headers=request.headers,
            data=request.body,
            allow_redirects=False,
        )
        return _AiohttpResponse(response)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
