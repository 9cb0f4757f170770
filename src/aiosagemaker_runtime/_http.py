"""HTTP messages as every layer sees them: the request the protocol builds, the signer
signs and a transport sends, and the response a transport hands back.

The engines that send them are in :mod:`._transports`; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import NamedTuple, Protocol

__all__ = ["HTTPRequest", "HTTPResponse", "remove_dot_segments"]


class HTTPRequest(NamedTuple):
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
        """The whole body; the connection is released when it returns. Failures while
        reading raise TransportError subclasses."""
        ...

    def iter_raw(self) -> AsyncIterator[bytes]:
        """Body chunks as they arrive; a chunk waits at most ``read_timeout``."""
        ...

    async def aclose(self) -> None:
        """Release the connection (idempotent)."""
        ...


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
