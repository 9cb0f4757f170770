"""BodyBuffer (preallocated or joined) and large_body (one large body alone is special)."""

from __future__ import annotations

import asyncio

import pytest

from aiosagemaker_runtime._transports.bodies import LARGE_READ, BodyBuffer, large_body

MODES = pytest.mark.parametrize("preallocate", [True, False], ids=["preallocated", "joined"])


@MODES
def test_chunks_land_in_order(preallocate: bool) -> None:
    data = bytes(range(256)) * 4096
    buffer = BodyBuffer(len(data), preallocate=preallocate)
    for at in range(0, len(data), 100_000):
        buffer.write(memoryview(data)[at : at + 100_000])
    value = buffer.getvalue()
    assert type(value) is bytes
    assert value == data


def test_a_preallocated_body_is_handed_over_not_copied() -> None:
    buffer = BodyBuffer(3)
    buffer.write(b"abc")
    value = buffer.getvalue()
    assert buffer.getvalue() is value


@MODES
def test_chunks_are_not_kept_by_reference(preallocate: bool) -> None:
    buffer = BodyBuffer(6, preallocate=preallocate)
    reused = bytearray(b"abc")
    buffer.write(reused)
    reused[:] = b"xyz"
    buffer.write(memoryview(reused))
    assert buffer.getvalue() == b"abcxyz"


@MODES
def test_fewer_bytes_than_announced_give_a_shorter_body(preallocate: bool) -> None:
    buffer = BodyBuffer(10, preallocate=preallocate)
    buffer.write(b"abc")
    assert buffer.getvalue() == b"abc"


@MODES
def test_more_bytes_than_announced_are_kept(preallocate: bool) -> None:
    buffer = BodyBuffer(2, preallocate=preallocate)
    buffer.write(b"abcd")
    assert buffer.getvalue() == b"abcd"


@MODES
def test_empty(preallocate: bool) -> None:
    assert BodyBuffer(0, preallocate=preallocate).getvalue() == b""


class _Transport:
    max_size = 256 * 1024


def _preallocated(buffer: BodyBuffer) -> bool:
    return buffer._buffer is not None


def test_a_large_body_alone_is_preallocated_and_read_in_large_pieces() -> None:
    transport = _Transport()
    with large_body(10, transport) as body:
        assert _preallocated(body)
        assert transport.max_size == LARGE_READ
    assert transport.max_size == 256 * 1024
    with pytest.raises(RuntimeError), large_body(10, transport):
        raise RuntimeError
    assert transport.max_size == 256 * 1024
    with large_body(10, transport) as body:  # the count went back down after the error
        assert _preallocated(body)


def test_while_several_arrive_they_are_joined_and_read_as_the_loop_does() -> None:
    first, second, third = _Transport(), _Transport(), _Transport()
    with large_body(10, first) as one:
        with large_body(10, second) as two:
            assert not _preallocated(two)
            assert second.max_size == 256 * 1024
        assert _preallocated(one)
        assert first.max_size == LARGE_READ
    with large_body(10, third) as three:
        assert _preallocated(three)


def test_other_transports_are_left_alone() -> None:
    bigger = _Transport()
    bigger.max_size = 4 * LARGE_READ
    with large_body(10, bigger) as body:
        assert bigger.max_size == 4 * LARGE_READ
        assert _preallocated(body)
    with large_body(10, None), large_body(10, object()):
        pass


def test_asyncio_transports_have_the_attribute() -> None:
    """The knob exists where it is used: asyncio's selector socket transport."""

    async def check() -> None:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        transport = writer.transport
        assert type(getattr(transport, "max_size", None)) is int
        with large_body(10, transport):
            assert transport.max_size == LARGE_READ  # type: ignore[attr-defined]
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(check())


def test_memory_is_not_touched_before_the_body_arrives() -> None:
    """A fresh 64 MiB preallocation costs (almost) no resident memory until written."""

    def rss_kib() -> int:
        with open("/proc/self/status") as f:
            return int(f.read().split("VmRSS:")[1].split()[0])

    before = rss_kib()
    buffer = BodyBuffer(64 << 20)
    assert rss_kib() - before < 16 << 10
    buffer.write(b"a" * 3)
    assert buffer.getvalue() == b"aaa"
