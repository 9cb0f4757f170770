"""More faults for the scripted server of ``tests/integration/servers.py``, and a TLS server.

Everything here builds on :class:`integration.servers.FaultServer` by import: an
:class:`~integration.servers.Action` is a function of the connection, so the
faults that module lacks are written here the same way.

* :class:`ReliabilityServer`: a ``FaultServer`` that can also stop listening (connects
  are refused) and listen again on the same port, so "refused" is scriptable too.
* Faults on the HTTP framing: :func:`reset_mid_headers`, :func:`malformed_status_line`,
  :func:`malformed_header`, :func:`short_content_length`, :func:`chunked_bad_size`,
  :func:`chunked_no_terminator`, :func:`drip` (a response trickled out below the read
  timeout), plus per-response versions of the integration module's body faults that
  take any head and body (:func:`reset_in_body`, :func:`stall_in_body`).
* Event-stream frames: :func:`payload_part`, :func:`model_stream_error`,
  :func:`corrupt`, :func:`oversized_prelude` (a prelude with a good CRC announcing a
  frame larger than the decoder's limit).
* :class:`TLSServer`: a minimal HTTPS server (certificate from a throwaway CA) that
  answers every request with ``200 ok``; handshake failures are counted, not fatal.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Sequence

from integration.servers import Action, FaultServer, _Conn

from aiosagemaker_runtime._protocol.eventstream import MAX_MESSAGE_LENGTH, encode_message

__all__ = [
    "EVENTSTREAM",
    "ReliabilityServer",
    "Response",
    "TLSServer",
    "chunked_bad_size",
    "chunked_no_terminator",
    "corrupt",
    "drip",
    "malformed_header",
    "malformed_status_line",
    "model_stream_error",
    "oversized_prelude",
    "payload_part",
    "reset_in_body",
    "reset_mid_headers",
    "respond",
    "short_content_length",
    "stall_in_body",
]

EVENTSTREAM = "application/vnd.amazon.eventstream"
REQUEST_ID = "11111111-2222-3333-4444-555555555555"


class Response:
    """A response to send: status, headers and body, framed by length or chunked."""

    def __init__(
        self,
        body: bytes,
        headers: Sequence[tuple[str, str]] = (),
        *,
        code: int = 200,
        chunked: bool = False,
    ) -> None:
        self.body = body
        self.headers = [("x-amzn-RequestId", REQUEST_ID), *headers]
        self.code = code
        self.chunked = chunked

    def head(self, *, length: int | None = None) -> bytes:
        lines = [f"HTTP/1.1 {self.code} Status", *(f"{n}: {v}" for n, v in self.headers)]
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
        else:
            lines.append(f"Content-Length: {len(self.body) if length is None else length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def frame(self, piece: bytes) -> bytes:
        """``piece`` of the body as it goes on the wire (a chunk when chunked)."""
        if not self.chunked:
            return piece
        return f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if piece else b""

    def end(self) -> bytes:
        return b"0\r\n\r\n" if self.chunked else b""


def respond(response: Response) -> Action:
    """Send ``response`` whole."""

    def run(conn: _Conn) -> None:
        conn.send(response.head() + response.frame(response.body) + response.end())

    return Action(run, f"respond {response.code}")


def _half(body: bytes) -> bytes:
    return body[: max(1, len(body) // 2)]


def reset_mid_headers() -> Action:
    """A status line and half a header, then a TCP reset."""

    def run(conn: _Conn) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\nx-amzn-RequestId: 1111\r\nContent-Ty")
        time.sleep(0.02)
        conn.reset()

    return Action(run, "reset mid headers")


def reset_in_body(response: Response) -> Action:
    """The head and the first half of the body, then a TCP reset."""

    def run(conn: _Conn) -> None:
        conn.send(response.head() + response.frame(_half(response.body)))
        time.sleep(0.02)
        conn.reset()

    return Action(run, "reset mid body")


def stall_in_body(response: Response, seconds: float) -> Action:
    """The head and the first half of the body, then silence for ``seconds``, then close."""

    def run(conn: _Conn) -> None:
        conn.send(response.head() + response.frame(_half(response.body)))
        conn.sleep(seconds)
        conn.keep_alive = False

    return Action(run, f"stall {seconds}s mid body")


def drip(response: Response, pieces: int, gap: float) -> Action:
    """The whole response, its body in ``pieces`` pieces ``gap`` seconds apart."""

    def run(conn: _Conn) -> None:
        conn.send(response.head())
        body = response.body
        size = max(1, -(-len(body) // pieces))
        for start in range(0, len(body), size):
            conn.sleep(gap)
            conn.send(response.frame(body[start : start + size]))
        conn.send(response.end())

    return Action(run, f"drip {pieces} x {gap}s")


def short_content_length(response: Response, missing: int = 25) -> Action:
    """``Content-Length`` announces ``missing`` bytes more than sent; then a clean close."""

    framed = Response(response.body, response.headers[1:], code=response.code)

    def run(conn: _Conn) -> None:
        conn.send(framed.head(length=len(response.body) + missing) + response.body)
        conn.keep_alive = False

    return Action(run, "short content-length")


def malformed_status_line() -> Action:
    """A status line that is not HTTP, then a close."""

    def run(conn: _Conn) -> None:
        conn.send(b"HTTP/1.1 2x0 Maybe\r\nContent-Length: 2\r\n\r\nok")
        conn.keep_alive = False

    return Action(run, "malformed status line")


def malformed_header() -> Action:
    """A header line without a colon, then a close."""

    def run(conn: _Conn) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nthis is not a header\r\n\r\nok")
        conn.keep_alive = False

    return Action(run, "malformed header")


def chunked_bad_size(response: Response) -> Action:
    """A chunked response whose second chunk has a size that is not hex."""

    def run(conn: _Conn) -> None:
        head = Response(response.body, response.headers[1:], code=response.code, chunked=True)
        first = _half(response.body)
        conn.send(head.head() + head.frame(first))
        time.sleep(0.03)  # the head is handed over before the bad chunk arrives
        conn.send(b"zz\r\n" + response.body[len(first) :])
        conn.keep_alive = False

    return Action(run, "chunked bad size")


def chunked_no_terminator(response: Response) -> Action:
    """A chunked response that ends (clean close) without its zero-length last chunk."""

    def run(conn: _Conn) -> None:
        head = Response(response.body, response.headers[1:], code=response.code, chunked=True)
        conn.send(head.head() + head.frame(response.body))
        time.sleep(0.02)
        conn.sock.shutdown(socket.SHUT_WR)
        conn.keep_alive = False

    return Action(run, "chunked without last chunk")


# -- event-stream frames ----------------------------------------------------------------------


def payload_part(data: bytes) -> bytes:
    return encode_message(
        [
            (":event-type", "PayloadPart"),
            (":content-type", "application/octet-stream"),
            (":message-type", "event"),
        ],
        data,
    )


def model_stream_error(code: str = "ModelError", message: str = "boom") -> bytes:
    return encode_message(
        [
            (":exception-type", "ModelStreamError"),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        json.dumps({"Message": message, "ErrorCode": code}).encode(),
    )


def corrupt(frame: bytes) -> bytes:
    """``frame`` with one payload byte flipped (the message CRC no longer checks)."""
    damaged = bytearray(frame)
    damaged[-5] ^= 0x55
    return bytes(damaged)


def oversized_prelude(total: int = MAX_MESSAGE_LENGTH * 2, headers_length: int = 0) -> bytes:
    """A prelude with a valid CRC announcing a ``total``-byte frame, and a few bytes more."""
    prelude = struct.pack(">II", total, headers_length)
    return prelude + struct.pack(">I", zlib.crc32(prelude)) + b"\x00" * 64


# -- servers ---------------------------------------------------------------------------------


class ReliabilityServer(FaultServer):
    """A :class:`FaultServer` whose listener can be closed (refusing) and reopened."""

    def refuse_connections(self) -> None:
        """Close the listening socket: new connects are refused (kept ones stay open)."""
        with contextlib.suppress(OSError):
            self._listener.close()
        for thread in self._threads[:1]:
            thread.join(timeout=2)

    def accept_connections(self) -> None:
        """Listen again on the same port."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        self._listener = listener
        self._threads = [t for t in self._threads[1:] if t.is_alive()]
        self.start()
        # start() appended the accept thread last; keep it first for refuse_connections().
        self._threads.insert(0, self._threads.pop())


class TLSServer:
    """HTTPS on ``127.0.0.1:<free port>``: every request gets ``200`` with body ``ok``.

    ``context`` is a server-side ``ssl.SSLContext`` (e.g. from ``trustme``).
    ``handshake_failures`` counts connections whose TLS handshake failed (the client
    refused our certificate); ``requests`` counts requests answered.
    """

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"https://localhost:{self.port}"
        self.handshake_failures = 0
        self.requests = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> TLSServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(5)
        try:
            sock = self._context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshake_failures += 1
            raw.close()
            return
        with sock:
            buffer = b""
            try:
                while True:
                    while b"\r\n\r\n" not in buffer:
                        data = sock.recv(65536)
                        if not data:
                            return
                        buffer += data
                    head, _, buffer = buffer.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    while len(buffer) < length:
                        buffer += sock.recv(65536)
                    buffer = buffer[length:]
                    self.requests += 1
                    sock.sendall(
                        b"HTTP/1.1 200 OK\r\nx-amzn-RequestId: tls\r\nContent-Length: 2\r\n\r\nok"
                    )
            except (ssl.SSLError, OSError):
                return
