"""The default HTTP engine: httpx2, or a caller's ``httpx2.AsyncClient`` / ``httpx.AsyncClient``.

This is the only module that speaks httpx. :func:`translate_error` is the one place
where either family's exceptions become the library's
:class:`~aiosagemaker_runtime.TransportError` subclasses, raised ``from`` the cause:

* connect timeouts (and waiting for a pooled connection) -> ``ConnectTimeoutError``;
* read and write timeouts -> ``ReadTimeoutError``;
* every other transport failure (refused, reset, DNS, TLS, protocol) ->
  ``EndpointConnectionError``;
* a request h11 refuses to write (``LocalProtocolError``: nothing was sent) ->
  ``ParamValidationError``, which is not retried.

The client we own is created lazily, in a worker thread, on the first request:
importing httpx2 and loading the CA bundle takes tens of milliseconds of blocking I/O
that belongs neither in client creation nor on the event loop.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from ._config import ClientConfig
from ._exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from ._http import HTTPRequest

if TYPE_CHECKING:
    import ssl

__all__ = ["HttpxResponse", "HttpxTransport", "translate_error"]


class _Family:
    """One httpx-like library: its request class, body stream base and exception classes."""

    __slots__ = (
        "body_stream",
        "connect_timeout",
        "local_protocol",
        "module",
        "read_timeout",
        "request",
        "transport",
    )

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.request: Any = module.Request
        self.connect_timeout: tuple[type[BaseException], ...] = (
            module.ConnectTimeout,
            module.PoolTimeout,
        )
        self.read_timeout: tuple[type[BaseException], ...] = (
            module.ReadTimeout,
            module.WriteTimeout,
        )
        self.transport: type[BaseException] = module.TransportError
        self.local_protocol: type[BaseException] = module.LocalProtocolError
        base: Any = module.AsyncByteStream

        class _BodyStream(base):  # type: ignore[misc]
            """The whole request body as one chunk, never copied."""

            __slots__ = ("_body",)

            def __init__(self, body: bytes | bytearray | memoryview) -> None:
                self._body = body

            async def __aiter__(self) -> AsyncIterator[bytes | bytearray | memoryview]:
                if self._body:
                    yield self._body

            async def aclose(self) -> None:
                pass

        self.body_stream: Any = _BodyStream


_FAMILIES: dict[str, _Family] = {}


def _family(name: str) -> _Family:
    family = _FAMILIES.get(name)
    if family is None:
        import importlib

        family = _FAMILIES[name] = _Family(importlib.import_module(name))
    return family


def _family_of_client(client: Any) -> _Family:
    root = type(client).__module__.partition(".")[0]
    if root not in ("httpx2", "httpx"):
        raise TypeError(
            "http_client must be an httpx2.AsyncClient or an httpx.AsyncClient, "
            f"got {type(client).__module__}.{type(client).__qualname__}"
        )
    if not hasattr(client, "send") or not hasattr(client, "aclose"):
        raise TypeError("http_client must be an async client (AsyncClient), not a sync Client")
    return _family(root)


def translate_error(error: BaseException, url: str) -> BaseException:
    """The library's exception for an httpx2/httpx exception (``error`` itself if none).

    The caller raises the result ``from error``. Messages name the endpoint URL and the
    cause, never headers or bodies.
    """
    for family in _FAMILIES.values():
        if isinstance(error, family.local_protocol):
            # h11 refused to write the request: nothing was sent, and retrying cannot help.
            return ParamValidationError(
                f"The request cannot be sent as HTTP/1.1: {error}", constraint="http"
            )
        if isinstance(error, family.connect_timeout):
            return ConnectTimeoutError(
                f'Connect timeout on endpoint URL: "{url}"', endpoint_url=url
            )
        if isinstance(error, family.read_timeout):
            return ReadTimeoutError(f'Read timeout on endpoint URL: "{url}"', endpoint_url=url)
        if isinstance(error, family.transport):
            detail = str(error) or type(error).__name__
            return EndpointConnectionError(
                f'Could not connect to the endpoint URL: "{url}" ({detail})', endpoint_url=url
            )
    return error


def _body_length(body: bytes | bytearray | memoryview) -> int:
    return body.nbytes if isinstance(body, memoryview) else len(body)


def _flat(body: bytes | bytearray | memoryview) -> bytes | bytearray | memoryview:
    """A memoryview of bytes (not of wider items), without copying."""
    if isinstance(body, memoryview) and (body.itemsize != 1 or body.ndim != 1):
        return body.cast("B")
    return body


def _has_host(headers: list[tuple[str, str]]) -> bool:
    return any(len(name) == 4 and name.lower() == "host" for name, _ in headers)


def ssl_context_from_env() -> ssl.SSLContext | None:
    """A verifying context for ``AWS_CA_BUNDLE`` when it is set, else ``None``.

    Blocking (reads the bundle): call it from a worker thread.
    """
    bundle = os.environ.get("AWS_CA_BUNDLE")
    if not bundle:
        return None
    import ssl

    if os.path.isdir(bundle):
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle)


class HttpxResponse:
    """:class:`~aiosagemaker_runtime._http.HTTPResponse` over an httpx2/httpx response."""

    __slots__ = ("_content", "_response", "_url", "headers", "status_code")

    def __init__(self, response: Any, url: str) -> None:
        self._response = response
        self._url = url
        self._content: bytes | None = None
        self.status_code: int = response.status_code
        headers: dict[str, str] = {}
        for raw_name, raw_value in response.headers.raw:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            previous = headers.get(name)
            headers[name] = value if previous is None else f"{previous}, {value}"
        self.headers: Mapping[str, str] = headers

    async def read(self) -> bytes:
        """The whole (undecoded) body; the connection goes back to the pool."""
        if self._content is not None:
            return self._content
        response = self._response
        if response.is_stream_consumed:
            # Read before we saw it (e.g. a response built with content= by MockTransport).
            self._content = response.content
            return response.content  # type: ignore[no-any-return]
        chunks: list[bytes] = []
        try:
            async for chunk in response.aiter_raw():
                chunks.append(chunk)
        except Exception as error:
            mapped = translate_error(error, self._url)
            if mapped is error:
                raise
            raise mapped from error
        content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._content = content
        return content

    async def iter_raw(self) -> AsyncIterator[bytes]:
        """Body chunks as they arrive, undecoded."""
        response = self._response
        if response.is_stream_consumed:
            if response.content:
                yield response.content
            return
        try:
            async for chunk in response.aiter_raw():
                yield chunk
        except Exception as error:
            mapped = translate_error(error, self._url)
            if mapped is error:
                raise
            raise mapped from error

    async def aclose(self) -> None:
        """Release the connection (idempotent)."""
        await self._response.aclose()


class HttpxTransport:
    """:class:`~aiosagemaker_runtime._http.Transport` on httpx2 (default) or a caller's client.

    Owned client: one ``httpx2.AsyncClient`` with at most ``max_pool_connections``
    connections, TLS verification (``AWS_CA_BUNDLE`` honoured), proxies from the
    environment, HTTP/1.1. A caller's ``http_client`` (httpx2 or httpx) is used as it
    is and never closed here; its mounts, proxies and mocks (respx) apply.

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
        self._family: _Family | None = (
            None if http_client is None else _family_of_client(http_client)
        )
        self._timeout = {
            "connect": config.connect_timeout,
            "read": config.read_timeout,
            "write": config.read_timeout,
            "pool": None,
        }

    def _create_client(self) -> Any:
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

    async def _start(self) -> Any:
        async with self._lock:
            if self._closed:
                raise RuntimeError("the client has been closed")
            if self._client is None:
                self._client = await anyio.to_thread.run_sync(self._create_client)
            return self._client

    async def send(self, request: HTTPRequest) -> HttpxResponse:
        """Send ``request`` as built (no added Accept, Accept-Encoding or User-Agent)."""
        client = self._client
        if client is None or self._closed:
            client = await self._start()
        family = self._family
        assert family is not None
        body = _flat(request.body)
        headers = request.headers
        extra: list[tuple[str, str]] = [("Content-Length", str(_body_length(body)))]
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
            mapped = translate_error(error, url)
            if mapped is error:
                raise
            raise mapped from error
        try:
            return HttpxResponse(response, url)
        except BaseException:
            await response.aclose()
            raise

    async def aclose(self) -> None:
        """Close the owned client (idempotent); a caller's client is left open."""
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            client, self._client = self._client, None
        if self._owned and client is not None:
            with anyio.CancelScope(shield=True):
                await client.aclose()


def _netloc(url: str) -> str:
    start = url.find("//") + 2
    end = url.find("/", start)
    authority = (url[start:] if end < 0 else url[start:end]).rpartition("@")[2]
    # As sent by httpx and signed by botocore: the scheme's default port is left out.
    default = ":443" if url.startswith("https:") else ":80"
    return authority[: -len(default)] if authority.endswith(default) else authority
