"""Client-side helpers for the HTTP/2 engine's tests (see ``h2server`` for the server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from aiosagemaker_runtime._config import ClientConfig
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._transports.h2_engine import H2Transport

from .h2server import H2Server

__all__ = ["LIMIT", "exchange_once", "make", "read_exactly", "request", "seen"]

T = TypeVar("T")
#: Whole-test bound: a hang (e.g. an engine that is not duplex) fails instead of blocking.
LIMIT = 30


def make(**config: Any) -> H2Transport:
    settings: dict[str, Any] = {"read_timeout": 10.0, "connect_timeout": 10.0, **config}
    return H2Transport(ClientConfig(**settings))


def request(url: str, path: str, *, body: bytes = b"", **headers: str) -> HTTPRequest:
    return HTTPRequest("POST", f"{url}{path}", list(headers.items()), body)


async def seen(server: H2Server, predicate: Callable[[], T]) -> T:
    """Wait (without blocking the loop) until the server's records satisfy ``predicate``."""
    return await anyio.to_thread.run_sync(server.wait_for, predicate)


async def read_exactly(chunks: AsyncIterator[bytes], size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        data += await chunks.__anext__()
    return bytes(data)


async def exchange_once(transport: H2Transport, url: str, part: bytes = b"ping") -> bytes:
    """A complete /echo exchange: one part, end of input, the whole output."""
    exchange = await transport.open(request(url, "/echo"))
    try:
        await exchange.send(part)
        await exchange.end_input()
        return await (await exchange.response()).read()
    finally:
        await exchange.aclose()
