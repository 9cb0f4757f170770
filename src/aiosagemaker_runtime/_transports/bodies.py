"""Large response bodies: assembled in place, read in large slices while one arrives alone.

Both engines read bodies of :data:`LARGE_BODY` bytes and more through :func:`large_body`.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["LARGE_BODY", "LARGE_READ", "BodyBuffer", "large_body"]


class BodyBuffer:
    """A response body of known length, written chunk by chunk.

    ``preallocate``: the body is assembled in its final ``bytes`` object, each chunk
    copied in as it arrives and freed at once. Else the chunks are kept and joined at
    the end, holding the chunks and the result at once: twice the body, briefly. Which
    is cheaper depends on the allocator (see :func:`large_body`). Bytes past ``length``
    are kept too (the engine reports the framing error); fewer come out as a shorter
    ``bytes``.
    """

    __slots__ = ("_buffer", "_chunks", "_length", "_written")

    def __init__(self, length: int, *, preallocate: bool = True) -> None:
        # BytesIO adopts a bytes object that nothing else references and writes into it
        # in place. bytes(n) comes from calloc: untouched fresh pages, or a reused heap
        # block that calloc zeroes in full.
        self._buffer = io.BytesIO(bytes(length)) if preallocate else None
        self._chunks: list[bytes] = []
        self._length = length
        self._written = 0

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        """Append ``chunk`` (not kept: the caller may reuse it)."""
        if self._buffer is not None:
            self._written += self._buffer.write(chunk)
            return
        self._chunks.append(chunk if type(chunk) is bytes else bytes(chunk))
        self._written += len(chunk)

    def getvalue(self) -> bytes:
        """The body; preallocated, BytesIO hands over its internal object (no copy)."""
        buffer = self._buffer
        if buffer is None:
            chunks, self._chunks = self._chunks, []
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if self._written >= self._length:
            return buffer.getvalue()
        return buffer.getbuffer()[: self._written].tobytes()


#: Bodies of this many bytes and more are read with :func:`large_body`.
LARGE_BODY = 1 << 18
#: Bytes per socket read while a large body arrives alone (asyncio's own is 256 KiB).
LARGE_READ = 1 << 20
#: Large bodies being received right now, by every client of the process (event loops
#: in several threads included, hence the lock).
_large_bodies = 0
_large_bodies_lock = threading.Lock()


@contextmanager
def large_body(length: int, transport: object) -> Iterator[BodyBuffer]:
    """The :class:`BodyBuffer` for a large body about to arrive on ``transport``.

    A large body arriving alone is preallocated and read 1 MiB per wakeup (an asyncio
    selector transport's ``max_size``; others are left as they are). Joined at the end
    instead, its chunks and the result make 10 MiB per 5 MiB answer, freed together:
    glibc hands those pages back to the system and the next call faults them in again,
    ~2,500 faults per call; preallocated: ~10, and the 1 MiB reads took client CPU per
    call from ~9.9 to ~8.3 ms (bench/PROFILE.md, "5 MiB"). While several arrive at once
    the heap stays large, a preallocated block is usually a reused one that calloc
    zeroes in full at once, and 1 MiB buffers per connection only add memory: chunks of
    256 KiB joined at the end cost less CPU and memory then (16 at a time: ~10.0 vs
    ~11.5 ms per call, 64-76 vs 86 MiB peak growth; the aiohttp engine, same process).
    """
    global _large_bodies
    with _large_bodies_lock:
        alone = _large_bodies == 0
        _large_bodies += 1
    try:
        body = BodyBuffer(length, preallocate=alone)
        default = getattr(transport, "max_size", None) if alone else None
        if type(default) is not int or default >= LARGE_READ:
            yield body
            return
        transport.max_size = LARGE_READ  # type: ignore[attr-defined]
        try:
            yield body
        finally:
            transport.max_size = default  # type: ignore[attr-defined]
    finally:
        with _large_bodies_lock:
            _large_bodies -= 1
