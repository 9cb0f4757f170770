"""An httpx2 or httpx ``AsyncClient`` as the engine's client: the caller's
``http_client``, or the owned ``httpx2.AsyncClient`` when the environment configures a
proxy.

A :class:`_Family` is one httpx-like library, imported on first use: its request class,
a body stream that hands the request body over without copying it, and its exception
classes (known to :func:`~.httpx_errors.translate_error` from then on).
:class:`HttpxResponse` is the :class:`~aiosagemaker_runtime._http.HTTPResponse` over one
of its responses. :class:`~.httpx_engine.HttpxTransport` builds and sends the requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from types import ModuleType
from typing import Any

from .base import fold_headers, raise_translated
from .httpx_errors import _FAMILIES, translate_error

__all__ = ["HttpxResponse"]


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


class HttpxResponse:
    """:class:`~aiosagemaker_runtime._http.HTTPResponse` over an httpx2/httpx response."""

    __slots__ = ("_content", "_response", "_url", "headers", "status_code")

    def __init__(self, response: Any, url: str) -> None:
        self._response = response
        self._url = url
        self._content: bytes | None = None
        self.status_code: int = response.status_code
        self.headers: Mapping[str, str] = fold_headers(response.headers.raw)

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
            raise_translated(error, translate_error(error, self._url))
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
            raise_translated(error, translate_error(error, self._url))

    async def aclose(self) -> None:
        """Release the connection (idempotent)."""
        await self._response.aclose()
