"""The aiohttp engine's response (:class:`AiohttpResponse`) and its error translation.

aiohttp's exceptions become the library's in one place, :func:`translate_error`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio

from .._exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from .base import fold_headers, raise_translated, safe_error_detail
from .bodies import LARGE_BODY, large_body

__all__ = ["AiohttpResponse", "translate_error"]

#: Seconds a body read waits before looking for an error aiohttp left on the protocol.
_POLL = 0.1


def translate_error(error: BaseException, url: str) -> BaseException:
    """The library's exception for an aiohttp exception (``error`` itself if none)."""
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is None:
        return error
    if isinstance(error, getattr(aiohttp, "ConnectionTimeoutError", ())) or (
        # aiohttp < 3.10 has no ConnectionTimeoutError: a ServerTimeoutError says it.
        isinstance(error, aiohttp.ServerTimeoutError)
        and str(error).startswith("Connection timeout")
    ):
        return ConnectTimeoutError(f'Connect timeout on endpoint URL: "{url}"', endpoint_url=url)
    if isinstance(error, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        return ReadTimeoutError(f'Read timeout on endpoint URL: "{url}"', endpoint_url=url)
    if isinstance(error, (aiohttp.ClientError, OSError)):
        detail = safe_error_detail(error)
        return EndpointConnectionError(
            f'Could not connect to the endpoint URL: "{url}" ({detail})', endpoint_url=url
        )
    return error


def _header_dict(raw: tuple[tuple[bytes, bytes], ...]) -> dict[str, str]:
    """:func:`~.base.fold_headers` of aiohttp's raw headers, in one pass when no name repeats."""
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}
    return headers if len(headers) == len(raw) else fold_headers(raw)


class AiohttpResponse:
    """:class:`~aiosagemaker_runtime._http.HTTPResponse` over an ``aiohttp.ClientResponse``."""

    __slots__ = ("_content", "_read_timeout", "_response", "_url", "headers", "status_code")

    def __init__(self, response: Any, url: str, read_timeout: float | None = None) -> None:
        self._response = response
        self._url = url
        self._read_timeout = read_timeout
        self._content: bytes | None = None
        self.status_code: int = response.status
        self.headers: Mapping[str, str] = _header_dict(response.raw_headers)

    async def read(self) -> bytes:
        """The whole (undecoded) body; the connection goes back to the pool."""
        if self._content is not None:
            return self._content
        response = self._response
        try:
            content = await self._read_body(response)
        except BaseException as error:
            response.close()
            if not isinstance(error, Exception):
                raise
            raise_translated(error, translate_error(error, self._url))
        self._content = content
        response.release()
        return content

    async def _read_body(self, response: Any) -> bytes:
        stream = response.content
        length = response.content_length
        if length is None or length < LARGE_BODY:
            # A small answer has usually arrived whole, with its head: taken as it is.
            ready: bytes = stream.read_nowait()
            if stream.at_eof():
                return ready
            chunks = [ready] if ready else []
            while chunk := await self._read_chunk(stream):
                chunks.append(chunk)
            return b"".join(chunks)
        with large_body(length, getattr(response.connection, "transport", None)) as body:
            while chunk := await self._read_chunk(stream, whole=True):
                body.write(chunk)
            return body.getvalue()

    async def _read_chunk(self, stream: Any, *, whole: bool = False) -> bytes:
        # aiohttp drops its sock_read timer when a chunked-framing error arrives after the
        # head: the error is set on the connection's protocol, not on the body stream, so
        # readany() would wait forever. Every read has its own inactivity bound, and a
        # read that waits long looks at the protocol for such an error now and then.
        # ``whole``: one received chunk as it is (readchunk), where readany() would join
        # all that is buffered, a copy that a BodyBuffer does not need (~0.5 ms per 5 MiB).
        if not whole:
            # Already here (a small answer arrives with its head) or the end: no wait, so
            # no cancel scope (~10 us each, two per small call).
            ready: bytes = stream.read_nowait()
            if ready or stream.at_eof():
                return ready
        timeout = self._read_timeout
        deadline = None if timeout is None else anyio.current_time() + timeout
        while True:
            wait = _POLL if deadline is None else min(_POLL, deadline - anyio.current_time())
            if wait > 0:
                with anyio.move_on_after(wait):
                    if not whole:
                        chunk: bytes = await stream.readany()
                        return chunk
                    while True:
                        chunk, http_chunk_end = await stream.readchunk()
                        if chunk or not http_chunk_end:  # b"", True: a chunk boundary
                            return chunk
            error = self._protocol_error()
            if error is not None:
                raise EndpointConnectionError(
                    f'Connection to the endpoint URL failed: "{self._url}" ({safe_error_detail(error)})',
                    endpoint_url=self._url,
                )
            if deadline is not None and anyio.current_time() >= deadline:
                raise ReadTimeoutError(
                    f'Read timeout on endpoint URL: "{self._url}"', endpoint_url=self._url
                )

    def _protocol_error(self) -> BaseException | None:
        connection = self._response.connection
        protocol = getattr(connection, "protocol", None)
        if protocol is None:
            return None
        error: BaseException | None = protocol.exception()
        return error

    async def iter_raw(self) -> AsyncIterator[bytes]:
        """Body chunks as they arrive, undecoded."""
        stream = self._response.content
        try:
            while True:
                chunk = await self._read_chunk(stream)
                if not chunk:
                    break
                yield chunk
        except Exception as error:
            raise_translated(error, translate_error(error, self._url))
        self._response.release()

    async def aclose(self) -> None:
        """Release the connection (idempotent): reused when the body was read to its end."""
        response = self._response
        if response.content.at_eof():
            response.release()
        else:
            response.close()
