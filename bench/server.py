"""A minimal, fast HTTP/1.1 keep-alive server for the benchmarks (its own process).

It answers ``POST /endpoints/{name}/invocations`` (and any other POST) with a body as
long as the request's (fixed content) and the headers SageMaker sends, and ``GET /_stats`` with its own CPU time,
so the harness can report the server's CPU share. It parses just enough HTTP/1.1 for the
clients under test (Content-Length and chunked bodies, ``Expect: 100-continue``), receives
into one scratch buffer and answers with one prebuilt write, so it never copies a body.

With ``--tls-cert``/``--tls-key`` it also serves TLS on a second port of the same
address (same process, same handler; asyncio's TLS layer), for the HTTPS rows.

Run: ``python -m bench.server [--port 0] [--tls-cert PEM --tls-key PEM]``; prints
``PORT <n>`` once listening (and then ``TLS_PORT <n>`` when serving TLS).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import signal
import ssl
import sys
import time

_HEAD_END = b"\r\n\r\n"
_REQUEST_ID = b"7f3e4a52-0c1d-4b9a-9a0e-5d2f1c3b4a59"
_SCRATCH = 256 * 1024
_PATTERN = b'{"outputs": [0.987, 6.543, 2.109], "pad": "zyxwvutsrqponmlkjihgfedcba"}\n'

# Whole responses (head and body) by body length, built once: a response is one write.
_responses: dict[int, memoryview] = {}


def _response(length: int) -> memoryview:
    resp = _responses.get(length)
    if resp is None:
        body = (_PATTERN * (length // len(_PATTERN) + 1))[:length]
        resp = memoryview(
            b"HTTP/1.1 200 OK\r\n"
            b"x-amzn-RequestId: " + _REQUEST_ID + b"\r\n"
            b"x-Amzn-Invoked-Production-Variant: AllTraffic\r\n"
            b"Content-Type: application/json\r\n"
            b"Date: Mon, 23 Nov 2026 09:00:00 GMT\r\n"
            b"Content-Length: " + str(length).encode() + b"\r\n\r\n" + body
        )
        if len(_responses) < 64:
            _responses[length] = resp
    return resp


def _stats_response() -> bytes:
    payload = json.dumps(
        {"cpu": time.process_time(), "wall": time.perf_counter(), "pid": os.getpid()}
    ).encode()
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(payload)).encode()
        + b"\r\n\r\n"
        + payload
    )


class _Protocol(asyncio.BufferedProtocol):
    """Receives into one scratch buffer; request bodies are counted, never stored.

    The answer's body has the request body's length (so the clients read as much as they
    sent, as with an echo) but fixed content, which keeps the server copy-free.
    """

    __slots__ = ("_chunked", "_head", "_length", "_need", "_scratch", "_stats", "_transport")

    def __init__(self) -> None:
        self._scratch = memoryview(bytearray(_SCRATCH))
        self._head = bytearray()  # bytes of a head (or chunked framing) not yet complete
        self._need = 0  # Content-Length body bytes still to skip
        self._length = 0  # body length of the request being read
        self._chunked = False
        self._stats = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._scratch

    def buffer_updated(self, nbytes: int) -> None:
        need = self._need
        if need >= nbytes:  # the common case for large bodies: all of it is body
            self._need = need - nbytes
            if self._need == 0:
                self._respond()
            return
        data = self._scratch[:nbytes]
        if need:
            data = data[need:]
            self._need = 0
            self._respond()
        self._head += data
        self._process()

    def _process(self) -> None:
        buf = self._head
        while buf:
            if self._chunked:
                if not self._read_chunks():
                    return
                continue
            end = buf.find(_HEAD_END)
            if end < 0:
                return
            head = bytes(buf[:end]).lower()
            del buf[: end + 4]
            self._stats = head.startswith(b"get /_stats")
            self._length = 0
            if b"expect: 100-continue" in head:
                assert self._transport is not None
                self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            if b"transfer-encoding: chunked" in head:
                self._chunked = True
                continue
            idx = head.find(b"content-length:")
            if idx >= 0:
                stop = head.find(b"\r\n", idx)
                self._length = int(head[idx + 15 : stop if stop >= 0 else None])
            take = min(self._length, len(buf))
            del buf[:take]
            self._need = self._length - take
            if self._need:
                return
            self._respond()

    def _read_chunks(self) -> bool:
        """Consume chunked framing and data; True once the body is complete (and answered)."""
        buf = self._head
        while True:
            line_end = buf.find(b"\r\n")
            if line_end < 0:
                return False
            size = int(bytes(buf[:line_end]).split(b";", 1)[0], 16)
            if size == 0:
                if buf[line_end : line_end + 4] == _HEAD_END:
                    trailer_end = line_end
                else:
                    trailer_end = buf.find(_HEAD_END, line_end)
                    if trailer_end < 0:
                        return False
                del buf[: trailer_end + 4]
                self._chunked = False
                self._respond()
                return True
            if len(buf) < line_end + 2 + size + 2:
                return False
            self._length += size
            del buf[: line_end + 2 + size + 2]

    def _respond(self) -> None:
        transport = self._transport
        if transport is None:
            return
        if self._stats:
            transport.write(_stats_response())
        else:
            transport.write(_response(self._length))

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def _main(host: str, port: int, tls: ssl.SSLContext | None) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Protocol, host, port, backlog=1024, reuse_address=True)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    servers = [server]
    if tls is not None:
        secure = await loop.create_server(
            _Protocol, host, 0, backlog=1024, reuse_address=True, ssl=tls
        )
        print(f"TLS_PORT {secure.sockets[0].getsockname()[1]}", flush=True)
        servers.append(secure)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        for srv in servers:
            await stack.enter_async_context(srv)
        await stop.wait()


def _tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert", help="PEM certificate chain: also serve TLS")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    args = parser.parse_args(argv)
    tls = _tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
    gc.freeze()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args.host, args.port, tls))
    sys.exit(0)


if __name__ == "__main__":
    main()
