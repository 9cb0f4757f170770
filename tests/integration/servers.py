"""A scripted fault-injection HTTP/1.1 server on 127.0.0.1, with real sockets.

Use it to see what a client does when the network or the service misbehaves::

    from tests.integration.servers import FaultServer, ok, status, reset_before_status

    with FaultServer() as server:                  # listens on 127.0.0.1:<free port>
        server.script(status(503), reset_before_status(), ok(b"done"))
        ...point a client at server.url...
        assert [r.path for r in server.requests] == [...]
        assert server.connections == 2

* Each incoming request consumes the next scripted :class:`Action`; when the script is
  empty, ``default`` answers (``ok()`` unless given). An action may also be a callable
  ``(Received) -> Action`` (see :func:`echo`).
* Every request is recorded, as received, in ``server.requests`` (:class:`Received`:
  method, raw target, headers in order with their case, body, connection number,
  arrival time) before its action runs.
* The server runs in its own threads, so it works the same under asyncio and trio and
  from synchronous code (botocore). Stalls end early when the server stops.
* :func:`refused_url` gives a URL where nothing listens (connection refused);
  :class:`UnansweredConnects` one where connecting hangs (connect timeouts).

Actions: :func:`ok`, :func:`status` (any status, JSON error bodies by default),
:func:`html_error` (an HTML page, as proxies and load balancers send),
:func:`reset_before_status`, :func:`reset_mid_body`, :func:`stall_before_headers`,
:func:`stall_mid_body`, :func:`chunked` (a chunked body sent piece by piece, e.g. an
event stream), :func:`close_after` (answer, then close the connection).
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

__all__ = [
    "Action",
    "FaultServer",
    "Received",
    "UnansweredConnects",
    "chunked",
    "close_after",
    "echo",
    "html_error",
    "ok",
    "refused_url",
    "reset_before_status",
    "reset_mid_body",
    "stall_before_headers",
    "stall_mid_body",
    "status",
]

Headers = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Received:
    """One request as the server read it off the socket."""

    method: str
    target: str
    """The raw request target (path and query, percent-encoding untouched)."""
    headers: list[tuple[str, str]]
    """Header names and values in order, names as sent (case kept)."""
    body: bytes
    connection: int
    """1-based number of the TCP connection that carried the request."""
    time: float = field(default_factory=time.monotonic)

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None

    def header_dict(self) -> dict[str, str]:
        """Headers keyed by lower-cased name (repeats joined with ``", "``)."""
        merged: dict[str, str] = {}
        for key, value in self.headers:
            key = key.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        return merged


class _Conn:
    """What an action may do with the connection."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop
        self.keep_alive = True

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``; end early (raising) if the client closes or the server stops."""
        deadline = time.monotonic() + seconds
        if isinstance(self.sock, ssl.SSLSocket):  # cannot peek under TLS: just wait
            if self.stop.wait(seconds):
                raise ConnectionError("server stopping")
            return
        while not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            readable, _, _ = select.select([self.sock], [], [], min(remaining, 0.05))
            if readable and not self.sock.recv(1, socket.MSG_PEEK):
                raise ConnectionError("client closed the connection")
        raise ConnectionError("server stopping")

    def reset(self) -> None:
        """Abort the connection with a TCP RST."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.keep_alive = False
        self.sock.close()


@dataclass(frozen=True)
class Action:
    """What the server does with one request (build them with the functions below)."""

    run: Callable[[_Conn], None]
    description: str = ""

    def __repr__(self) -> str:
        return f"Action({self.description})"


Script = Union[Action, Callable[[Received], Action]]

_REASONS = {
    200: "OK",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    424: "Failed Dependency",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _head(code: int, headers: Headers, length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {code} {_REASONS.get(code, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    else:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _with_request_id(headers: Headers) -> list[tuple[str, str]]:
    result = list(headers)
    if not any(name.lower() == "x-amzn-requestid" for name, _ in result):
        result.append(("x-amzn-RequestId", "11111111-2222-3333-4444-555555555555"))
    return result


def ok(body: bytes = b"", headers: Headers = (), code: int = 200) -> Action:
    """A complete response (``Content-Length`` set; a request id header added)."""
    full = _with_request_id(headers)

    def run(conn: _Conn) -> None:
        conn.send(_head(code, full, len(body)) + body)

    return Action(run, f"ok {code} {len(body)} bytes")


def status(
    code: int,
    error_code: str | None = None,
    message: str = "error",
    *,
    body: bytes | None = None,
    headers: Headers = (),
) -> Action:
    """An error response: by default a JSON body ``{"message": ...}`` and, when
    ``error_code`` is given, the ``x-amzn-ErrorType`` header, as AWS sends them."""
    full = _with_request_id(headers)
    if error_code is not None:
        full.append(("x-amzn-ErrorType", f"{error_code}:http://internal.amazon.com/"))
    if body is None:
        body = json.dumps({"message": message}).encode()
        full.append(("Content-Type", "application/json"))
    return ok(body, full, code)


def html_error(code: int = 502) -> Action:
    """An HTML error page without AWS headers (what a proxy or load balancer sends)."""
    reason = _REASONS.get(code, "Error")
    page = f"<html><head><title>{code} {reason}</title></head><body><h1>{code} {reason}</h1></body></html>\n"

    def run(conn: _Conn) -> None:
        body = page.encode()
        conn.send(_head(code, [("Content-Type", "text/html")], len(body)) + body)

    return Action(run, f"html {code}")


def reset_before_status() -> Action:
    """Read the request, then abort the connection before any response byte."""
    return Action(lambda conn: conn.reset(), "reset before status")


def reset_mid_body(
    code: int = 200, partial: bytes = b'{"partial":', total: int = 1000, headers: Headers = ()
) -> Action:
    """Send the status, headers announcing ``total`` bytes and ``partial`` of them, then reset."""
    full = _with_request_id(headers)

    def run(conn: _Conn) -> None:
        conn.send(_head(code, full, total) + partial)
        time.sleep(0.05)
        conn.reset()

    return Action(run, "reset mid body")


def stall_before_headers(seconds: float, then: Action | None = None) -> Action:
    """Wait ``seconds`` before answering (with ``then``; else close the connection)."""

    def run(conn: _Conn) -> None:
        conn.sleep(seconds)
        if then is not None:
            then.run(conn)
        else:
            conn.keep_alive = False

    return Action(run, f"stall {seconds}s before headers")


def stall_mid_body(seconds: float, partial: bytes = b"abc", total: int = 10) -> Action:
    """Send headers and ``partial`` of ``total`` bytes, wait ``seconds``, then close."""

    def run(conn: _Conn) -> None:
        conn.send(_head(200, _with_request_id(()), total) + partial)
        conn.sleep(seconds)
        conn.keep_alive = False

    return Action(run, f"stall {seconds}s mid body")


def trickle(body: bytes, pieces: int, pause: float) -> Action:
    """A complete response whose body arrives in ``pieces`` parts, ``pause`` apart."""
    head = _head(200, _with_request_id(()), len(body))
    step = -(-len(body) // pieces)

    def run(conn: _Conn) -> None:
        conn.send(head)
        for at in range(0, len(body), step):
            conn.sleep(pause)
            conn.send(body[at : at + step])

    return Action(run, f"trickle {len(body)} bytes in {pieces} parts, {pause}s apart")


def chunked(
    pieces: Iterable[bytes],
    *,
    headers: Headers = (),
    delay: float = 0.0,
    code: int = 200,
    finish: bool = True,
) -> Action:
    """A ``Transfer-Encoding: chunked`` body, one chunk per piece, ``delay`` s apart.

    ``finish=False`` stops without the final zero-length chunk and resets: a truncated
    stream.
    """
    items = list(pieces)
    full = _with_request_id(headers)

    def run(conn: _Conn) -> None:
        conn.send(_head(code, full, None))
        for piece in items:
            if delay:
                conn.sleep(delay)
            conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        if finish:
            conn.send(b"0\r\n\r\n")
        else:
            conn.reset()

    return Action(run, f"chunked {len(items)} pieces")


def close_after(action: Action) -> Action:
    """Run ``action``, then close the connection (no keep-alive)."""

    def run(conn: _Conn) -> None:
        action.run(conn)
        conn.keep_alive = False

    return Action(run, f"{action.description}, then close")


def echo(code: int = 200) -> Callable[[Received], Action]:
    """Answer every request with its own body."""
    return lambda request: ok(request.body, code=code)


class UnansweredConnects:
    """A context manager giving a URL whose TCP connects hang (for connect timeouts).

    A listener with a full accept backlog that never accepts: the kernel drops further
    SYNs, so a client's connect waits until its own timeout.
    """

    def __enter__(self) -> str:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        port = self._listener.getsockname()[1]
        self._fillers = []
        for _ in range(3):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            self._fillers.append(filler)
        time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc_info: object) -> None:
        for filler in self._fillers:
            filler.close()
        self._listener.close()


def refused_url() -> str:
    """``http://127.0.0.1:<port>`` where nothing listens (a port just released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class FaultServer:
    """An HTTP/1.1 server on ``127.0.0.1:<free port>`` that follows a script.

    Use as a context manager (sync; works inside async tests). ``url`` is
    ``http://127.0.0.1:<port>`` (``https://`` with ``ssl_context``, a server-side
    ``ssl.SSLContext``: every connection is TLS, e.g. with a trustme certificate); ``requests`` and ``connections`` record what
    arrived; ``script(...)`` queues actions; ``open_connections`` counts client
    connections still open (to check that a client released everything).
    """

    def __init__(self, default: Script | None = None, *, ssl_context: Any = None) -> None:
        self.default: Script = default if default is not None else ok()
        self.requests: list[Received] = []
        self.connections = 0
        self.open_connections = 0
        self._script: deque[Script] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._ssl_context = ssl_context
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    # -- control -----------------------------------------------------------------

    def script(self, *actions: Script) -> None:
        """Queue ``actions``: one per incoming request, in order."""
        with self._lock:
            self._script.extend(actions)

    @property
    def pending(self) -> int:
        """Scripted actions not yet used."""
        with self._lock:
            return len(self._script)

    def start(self) -> FaultServer:
        self._listener.listen(128)
        self._listener.settimeout(0.05)
        thread = threading.Thread(target=self._accept_loop, name="fault-server", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait_for_closed_connections(self, timeout: float = 2.0) -> bool:
        """Wait until the client has closed every connection; ``True`` if it did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.open_connections == 0:
                return True
            time.sleep(0.01)
        return self.open_connections == 0

    # -- serving -----------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            with self._lock:
                self.connections += 1
                self.open_connections += 1
                number = self.connections
                self._sockets.add(sock)
            thread = threading.Thread(
                target=self._serve, args=(sock, number), name=f"fault-conn-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _next_action(self, request: Received) -> Action:
        with self._lock:
            item = self._script.popleft() if self._script else self.default
        return item if isinstance(item, Action) else item(request)

    def _serve(self, sock: socket.socket, number: int) -> None:
        buffer = b""
        try:
            if self._ssl_context is not None:
                tls = self._ssl_context.wrap_socket(sock, server_side=True)
                with self._lock:
                    self._sockets.discard(sock)
                    self._sockets.add(tls)
                sock = tls
            conn = _Conn(sock, self._stop)
            while conn.keep_alive and not self._stop.is_set():
                request, buffer = _read_request(sock, buffer, number)
                if request is None:
                    break
                self.requests.append(request)
                self._next_action(request).run(conn)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()
            # The client side is gone too once we see EOF; a reset or close by us ends it.
            with self._lock:
                self.open_connections -= 1


def _recv_until(sock: socket.socket, buffer: bytes, marker: bytes) -> tuple[bytes, bytes] | None:
    while marker not in buffer:
        data = sock.recv(65536)
        if not data:
            return None
        buffer += data
    head, _, rest = buffer.partition(marker)
    return head, rest


def _recv_exact(sock: socket.socket, buffer: bytes, size: int) -> tuple[bytes, bytes]:
    while len(buffer) < size:
        data = sock.recv(max(65536, size - len(buffer)))
        if not data:
            raise ConnectionError("client closed mid-body")
        buffer += data
    return buffer[:size], buffer[size:]


def _read_request(sock: socket.socket, buffer: bytes, number: int) -> tuple[Received | None, bytes]:
    found = _recv_until(sock, buffer, b"\r\n\r\n")
    if found is None:
        return None, b""
    head, buffer = found
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name, value.strip()))
    lowered = {name.lower(): value for name, value in headers}
    if lowered.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            found = _recv_until(sock, buffer, b"\r\n")
            if found is None:
                raise ConnectionError("client closed mid-body")
            size_line, buffer = found
            size = int(size_line.split(b";")[0], 16)
            chunk, buffer = _recv_exact(sock, buffer, size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body, buffer = _recv_exact(sock, buffer, int(lowered.get("content-length", "0")))
    return Received(method, target, headers, body, number), buffer
