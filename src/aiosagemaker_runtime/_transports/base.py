"""The transport protocol: what the pipeline hands to an HTTP engine and gets back.

One module per engine implements :class:`Transport` (``httpx_engine`` for httpx2 and
httpx, ``aiohttp_engine`` for aiohttp). Engines raise only the library's
:class:`~aiosagemaker_runtime.TransportError` subclasses, translated in one place each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from .._http import HTTPRequest, HTTPResponse

__all__ = ["Transport", "fold_headers", "safe_error_detail"]


@runtime_checkable
class Transport(Protocol):
    """An HTTP engine."""

    async def send(self, request: HTTPRequest) -> HTTPResponse:
        """Send ``request`` and return once the status line and headers are in."""
        ...

    async def aclose(self) -> None:
        """Close every connection the transport owns."""
        ...


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
