"""An endpoint with a finite capacity, for the bulk throttling row (its own process).

Every ``POST`` is an InvokeEndpoint call that takes ``--latency`` seconds; at most
``--capacity`` are served at a time, and a call beyond them is answered at once as
SageMaker answers a call above an endpoint's concurrency: 400, ``x-amzn-ErrorType:
ThrottlingException``, ``{"message":null}``. So the endpoint sustains ``capacity /
latency`` calls per second whatever the client sends. A call leaves the count before
its answer is written: a client that waits for its answers never sees more calls than
the server counts. ``GET /_stats`` answers the calls served and throttled.

Run: ``python -m bench.bulk_server --port 0 --capacity 32 --latency 0.02``; prints
``PORT <n>`` once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal

_HEAD_END = b"\r\n\r\n"
_OK_BODY = b'{"score": 0.5}'
_OK = (
    b"HTTP/1.1 200 OK\r\n"
    b"x-amzn-RequestId: 0b7e1f5a-3c2d-4e8f-9a1b-2c3d4e5f6a7b\r\n"
    b"x-Amzn-Invoked-Production-Variant: AllTraffic\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: " + str(len(_OK_BODY)).encode() + b"\r\n\r\n" + _OK_BODY
)
_THROTTLE_BODY = b'{"message":null}'
_THROTTLED = (
    b"HTTP/1.1 400 Bad Request\r\n"
    b"x-amzn-RequestId: 5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c\r\n"
    b"x-amzn-ErrorType: ThrottlingException\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: " + str(len(_THROTTLE_BODY)).encode() + b"\r\n\r\n" + _THROTTLE_BODY
)


class _Endpoint:
    def __init__(self, capacity: int, latency: float) -> None:
        self.capacity = capacity
        self.latency = latency
        self.active = 0
        self.served = 0
        self.throttled = 0
        self.max_active = 0


class _Protocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive with ``Content-Length`` bodies (what the clients send)."""

    def __init__(self, endpoint: _Endpoint) -> None:
        self.endpoint = endpoint
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(_HEAD_END)
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip() == b"content-length":
                    length = int(value)
            total = end + len(_HEAD_END) + length
            if len(self.buffer) < total:
                return
            del self.buffer[:total]
            self._handle(head)

    def _handle(self, head: bytes) -> None:
        endpoint = self.endpoint
        if head.startswith(b"get /_stats"):
            body = json.dumps(
                {
                    "served": endpoint.served,
                    "throttled": endpoint.throttled,
                    "max_active": endpoint.max_active,
                }
            ).encode()
            self._write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
            return
        if endpoint.active >= endpoint.capacity:
            endpoint.throttled += 1
            self._write(_THROTTLED)
            return
        endpoint.active += 1
        endpoint.max_active = max(endpoint.max_active, endpoint.active)
        asyncio.get_running_loop().call_later(endpoint.latency, self._answer)

    def _answer(self) -> None:
        endpoint = self.endpoint
        endpoint.active -= 1
        endpoint.served += 1
        self._write(_OK)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


async def serve(port: int, capacity: int, latency: float) -> None:
    endpoint = _Endpoint(capacity, latency)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(endpoint), "127.0.0.1", port, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--capacity", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.capacity, args.latency))


if __name__ == "__main__":
    main()
