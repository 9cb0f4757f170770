"""The transport protocol: what the pipeline hands to an HTTP engine and gets back.

One module per engine implements :class:`Transport` (``httpx_engine`` for httpx2 and
httpx, ``aiohttp_engine`` for aiohttp). :class:`DuplexTransport` is the HTTP/2 engine's
protocol (``h2_engine``): a request whose body is written while its response is read.
Engines raise only the library's :class:`~aiosagemaker_runtime.TransportError`
subclasses, translated in one place each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn, Protocol, runtime_checkable

from .._http import HTTPRequest, HTTPResponse

__all__ = [
    "BODILESS_METHODS",
    "DuplexExchange",
    "DuplexTransport",
    "Transport",
    "close_socket_now",
    "content_length",
    "fold_headers",
    "raise_translated",
    "safe_error_detail",
]


@runtime_checkable
class Transport(Protocol):
    """An HTTP engine."""

    async def send(self, request: HTTPRequest) -> HTTPResponse:
        """Send ``request`` and return once the status line and headers are in."""
        ...

    async def aclose(self) -> None:
        """Close every connection the transport owns."""
        ...


@runtime_checkable
class DuplexExchange(Protocol):
    """One request whose body is written while its response is read (an HTTP/2 stream).

    ``send``/``end_input`` and ``response``/``iter_raw`` may run in different tasks at
    the same time. Failures raise :class:`~aiosagemaker_runtime.TransportError`
    subclasses from whichever call sees them.
    """

    async def send(self, data: bytes | bytearray | memoryview) -> None:
        """Write ``data`` as the next part of the body; returns once it is written (it
        waits while the server's flow control window is closed)."""
        ...

    async def end_input(self) -> None:
        """End the body (the server sees the end of the request)."""
        ...

    async def response(self) -> HTTPResponse:
        """Wait for the response headers (at most ``read_timeout``). The response's
        ``iter_raw`` yields the body as it arrives, each chunk within ``read_timeout``."""
        ...

    async def aclose(self) -> None:
        """Leave the exchange (idempotent): unless both sides had ended, the stream is
        reset (``CANCEL``); the connection stays usable for other exchanges."""
        ...


@runtime_checkable
class DuplexTransport(Protocol):
    """An engine of duplex exchanges (:class:`DuplexExchange`; HTTP/2)."""

    async def open(self, request: HTTPRequest) -> DuplexExchange:
        """Send the request's headers (and ``request.body``, if any, as the first part
        of the body) and return without waiting for the response."""
        ...

    async def aclose(self) -> None:
        """Close every connection the transport owns; open exchanges fail."""
        ...


def raise_translated(error: BaseException, mapped: BaseException) -> NoReturn:
    """Raise an engine's ``error`` as the library's ``mapped`` (from an engine's
    ``translate_error``), chained to it; ``error`` itself when nothing maps it."""
    if mapped is error:
        raise error
    raise mapped from error


def safe_error_detail(error: BaseException) -> str:
    """A short reason for an engine's ``error`` that quotes no bytes of the response.

    HTTP parsers (h11, aiohttp) put the offending response bytes in their messages, and
    those could be model output: only class names are kept along the cause chain, plus
    the text of OS errors (socket and TLS failures: "certificate verify failed").
    """
    names: list[str] = []
    current: BaseException | None = error
    for _ in range(4):
        if current is None:
            break
        name = type(current).__name__
        if isinstance(current, OSError):
            reason = current.strerror or str(current)
            if reason:
                name = f"{name}: {reason}"
        if name not in names:
            names.append(name)
        current = current.__cause__ or current.__context__
    return " <- ".join(names)


#: Methods whose requests carry no Content-Length when they have no body, as botocore
#: sends them (RFC 9110 8.6: a client should not send one for a GET without content).
BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def content_length(method: str, length: int) -> str | None:
    """The Content-Length to send for a body of ``length`` bytes; ``None``: send none."""
    if length == 0 and method in BODILESS_METHODS:
        return None
    return str(length)


def close_socket_now(sock: object) -> None:
    """Close a connection's socket without its event loop (the loop that opened it is
    gone). asyncio hands out a TransportSocket, which has no ``close()``: the socket
    is inside it."""
    raw = getattr(sock, "_sock", sock)
    if raw is not None:
        raw.close()  # type: ignore[attr-defined]


def fold_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Raw header pairs as the HTTPResponse protocol gives them: names lower-cased,
    repeated headers joined with ``", "``."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        previous = headers.get(name)
        headers[name] = value if previous is None else f"{previous}, {value}"
    return headers
