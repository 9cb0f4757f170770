"""The transport boundary: what the pipeline hands to an HTTP engine and gets back.

One module per engine implements :class:`Transport` (``_transport.py`` for httpx2 and
httpx, ``_aiohttp_transport.py`` for aiohttp). Engines raise only the library's
:class:`~aiosagemaker_runtime.TransportError` subclasses, translated in one place each.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import NamedTuple, Protocol, runtime_checkable

__all__ = [
    "BodyBuffer",
    "HTTPRequest",
    "HTTPResponse",
    "Transport",
    "fold_headers",
    "large_reads",
    "remove_dot_segments",
    "safe_error_detail",
]


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


class BodyBuffer:
    """A response body of known length, assembled in its final ``bytes`` object.

    Joining the received chunks at the end holds the chunks and the result at once:
    twice the body. Freed together, 10 MiB for a 5 MiB answer is enough for glibc to
    hand the pages back to the system, and the next call faults them in again (about
    1 ms of kernel time per MiB here; bench/PROFILE.md, "5 MiB"). Here each chunk is
    copied into the final object as it arrives and can be freed at once, so a call
    holds the body plus one chunk. Bytes past ``length`` are kept too (the engine
    reports the framing error); fewer come out as a shorter ``bytes``.
    """

    __slots__ = ("_buffer", "_length", "_written")

    def __init__(self, length: int) -> None:
        # BytesIO adopts a bytes object that nothing else references and writes into it
        # in place. bytes(n) comes from calloc: fresh pages are neither zeroed nor touched
        # here, so memory grows as the body arrives, as with a list of chunks.
        self._buffer = io.BytesIO(bytes(length))
        self._length = length
        self._written = 0

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        """Append ``chunk``."""
        self._written += self._buffer.write(chunk)

    def getvalue(self) -> bytes:
        """The body: BytesIO hands over its internal object, no copy when complete."""
        if self._written >= self._length:
            return self._buffer.getvalue()
        return self._buffer.getbuffer()[: self._written].tobytes()


#: Bodies of this many bytes and more are read with :class:`BodyBuffer` and :func:`large_reads`.
LARGE_BODY = 1 << 18
#: Bytes per socket read while a large body arrives (asyncio's own is 256 KiB).
LARGE_READ = 1 << 20
#: One large body at a time reads 1 MiB per wakeup. With several arriving at once each
#: wakeup brings less, and 1 MiB buffers per connection only cost memory and page faults
#: (5 MiB at 16 at a time: ~650 -> ~1,100 faults per call).
_large_reads_active = False


@contextmanager
def large_reads(transport: object) -> Iterator[None]:
    """Let an asyncio selector transport read up to :data:`LARGE_READ` per wakeup, for a while.

    The transport receives at most its ``max_size`` (256 KiB) each time the socket is
    readable, and each read costs a round of the event loop and of the engine's stream
    code: 20 of them for 5 MiB. 1 MiB reads took client CPU per 5 MiB call from ~9.9 to
    ~8.3 ms (one request at a time). Only for the duration of one large body: a small answer read with a 1 MiB buffer would allocate
    it each time. Transports without ``max_size`` (uvloop, TLS) are left as they are, and
    so is every transport while another large body is being read this way.
    """
    global _large_reads_active
    default = getattr(transport, "max_size", None)
    if type(default) is not int or default >= LARGE_READ or _large_reads_active:
        yield
        return
    transport.max_size = LARGE_READ  # type: ignore[attr-defined]
    _large_reads_active = True
    try:
        yield
    finally:
        _large_reads_active = False
        transport.max_size = default  # type: ignore[attr-defined]
