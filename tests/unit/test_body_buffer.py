"""BodyBuffer (a body assembled in its final bytes object) and large_reads."""

from __future__ import annotations

import asyncio

import pytest

from aiosagemaker_runtime._http import LARGE_READ, BodyBuffer, large_reads


def test_chunks_land_in_order_in_one_object() -> None:
    data = bytes(range(256)) * 4096
    buffer = BodyBuffer(len(data))
    for at in range(0, len(data), 100_000):
        buffer.write(memoryview(data)[at : at + 100_000])
    value = buffer.getvalue()
    assert type(value) is bytes
    assert value == data
    assert buffer.getvalue() is value  # handed over, not copied


def test_bytearray_and_bytes_chunks() -> None:
    buffer = BodyBuffer(6)
    buffer.write(bytearray(b"abc"))
    buffer.write(b"def")
    assert buffer.getvalue() == b"abcdef"


def test_fewer_bytes_than_announced_give_a_shorter_body() -> None:
    buffer = BodyBuffer(10)
    buffer.write(b"abc")
    assert buffer.getvalue() == b"abc"


def test_more_bytes_than_announced_are_kept() -> None:
    buffer = BodyBuffer(2)
    buffer.write(b"abcd")
    assert buffer.getvalue() == b"abcd"


def test_empty() -> None:
    assert BodyBuffer(0).getvalue() == b""


class _Transport:
    max_size = 256 * 1024


def test_large_reads_raise_the_read_size_for_a_while() -> None:
    transport = _Transport()
    with large_reads(transport):
        assert transport.max_size == LARGE_READ
    assert transport.max_size == 256 * 1024
    with pytest.raises(RuntimeError), large_reads(transport):
        raise RuntimeError
    assert transport.max_size == 256 * 1024


def test_large_reads_leave_other_transports_alone() -> None:
    bigger = _Transport()
    bigger.max_size = 4 * LARGE_READ
    with large_reads(bigger):
        assert bigger.max_size == 4 * LARGE_READ
    with large_reads(None), large_reads(object()):
        pass


def test_asyncio_transports_have_the_attribute() -> None:
    """The knob exists where it is used: asyncio's selector socket transport."""

    async def check() -> None:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        transport = writer.transport
        assert type(getattr(transport, "max_size", None)) is int
        with large_reads(transport):
            assert transport.max_size == LARGE_READ  # type: ignore[attr-defined]
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(check())


def test_one_large_read_at_a_time() -> None:
    first, second = _Transport(), _Transport()
    with large_reads(first):
        with large_reads(second):
            assert second.max_size == 256 * 1024  # another body is already read this way
        assert first.max_size == LARGE_READ
    with large_reads(second):
        assert second.max_size == LARGE_READ


def test_memory_is_not_touched_before_the_body_arrives() -> None:
    """A 64 MiB buffer costs (almost) no resident memory until written."""

    def rss_kib() -> int:
        with open("/proc/self/status") as f:
            return int(f.read().split("VmRSS:")[1].split()[0])

    before = rss_kib()
    buffer = BodyBuffer(64 << 20)
    assert rss_kib() - before < 16 << 10
    buffer.write(b"a" * 3)
    assert buffer.getvalue() == b"aaa"
