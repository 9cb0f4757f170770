"""The transport boundary: what the pipeline hands to an HTTP engine and gets back.

One module per engine implements :class:`Transport` (``_transport.py`` for httpx2 and
httpx, ``_aiohttp_transport.py`` for aiohttp). Engines raise only the library's
:class:`~aiosagemaker_runtime.TransportError` subclasses, translated in one place each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "HTTPRequest",
    "HTTPResponse",
    "Transport",
    "fold_headers",
    "remove_dot_segments",
    "safe_error_detail",
]


@dataclass(slots=True)
class HTTPRequest:
    """A fully built, signed request.

    ``url`` is absolute with its path already percent-encoded; ``headers`` are sent as
    given, in order, and nothing is added by the engine (no ``Accept`` or
    ``Accept-Encoding``; ``Content-Length`` is set by the engine from ``body``);
    ``body`` is in memory (streams were read before signing) and is not copied.
    """

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes | bytearray | memoryview = b""


class HTTPResponse(Protocol):
    """A response whose headers have arrived; the body is read on demand."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Header names lower-cased; repeated headers joined with ``", "``."""
        ...

    async def read(self) -> bytes:
        """The whole body. Failures while reading raise TransportError subclasses."""
        ...

    def iter_raw(self) -> AsyncIterator[bytes]:
        """Body chunks as they arrive; a chunk waits at most ``read_timeout``."""
        ...

    async def aclose(self) -> None:
        """Release the connection (idempotent)."""
        ...


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


def remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, plus what AWS services want: empty segments (``//``) are dropped."""
    if not path:
        return "/"
    out: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and out else ""
    return first + "/".join(out) + last
