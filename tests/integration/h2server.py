"""A scriptable HTTP/2 server on 127.0.0.1 for the HTTP/2 engine's tests.

h2 (server side) over blocking sockets in threads, so it behaves the same under asyncio
and trio. h2c with prior knowledge by default; TLS with ``tls=`` (a server-side
``ssl.SSLContext``, e.g. from trustme, with or without ALPN ``h2``)::

    with H2Server(initial_window_size=10) as server:
        ... open streams on f"{server.url}/echo" ...
        assert server.connections == 1
        record = server.wait_for(lambda: server.streams[0].reset_code is not None)

What a stream does is chosen by its path (query parameters as noted):

* ``/echo``: response headers at once, each DATA frame echoed as it arrives, the
  response ended when the input ends;
* ``/silent``: nothing at all; ``/headers-then-silent``: headers, then nothing;
* ``/stall``: headers, and the input is never acknowledged (its window stays shut);
* ``/bytes?n=N``: headers, then N bytes of output (within the client's windows), ended;
* ``/status?code=C&then=goaway|close``: a complete response with status C and a small
  JSON body; ``then``: the server then closes the connection (after a GOAWAY whose
  last stream is this one, or without one);
* ``/ping``: like ``/echo``, and a PING is sent first (answers counted in ``ping_acks``);
* ``/reset?after=N&code=C``: echo until N bytes arrived, then RST_STREAM with code C;
* ``/goaway?after=N&last=this|below&code=C``: once N bytes arrived, a GOAWAY whose last
  stream id is this stream (echoed all along, it goes on and completes; the connection
  closes when no stream is left) or the one below (nothing echoed; the connection
  closes at once).

Any other path goes to ``handler=`` (a :class:`StreamHandler`), when its ``accepts``
says so: the bidirectional-stream endpoint of ``bidiserver.py`` is one.

Settings the server announces: ``initial_window_size``, ``max_frame_size``,
``max_concurrent_streams`` (h2 enforces the latter: a client opening more streams is
a protocol error, counted in ``protocol_errors``). ``silent=True``: accept connections
and never send a byte (not even SETTINGS).
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from hyperframe.frame import GoAwayFrame

__all__ = ["H2Server", "Http11Server", "StreamHandler", "StreamRecord"]

T = TypeVar("T")
_CLOSED = h2.connection.ConnectionState.CLOSED


@dataclass
class StreamRecord:
    """One stream as the server saw it."""

    connection: int
    """1-based number of the TCP connection that carried it."""
    stream_id: int
    path: str
    headers: list[tuple[str, str]]
    received: bytearray = field(default_factory=bytearray)
    frame_sizes: list[int] = field(default_factory=list)
    """Payload size of each DATA frame received."""
    ended: bool = False
    """The client ended its input (END_STREAM)."""
    reset_code: int | None = None
    """The error code of the client's RST_STREAM, if it reset the stream."""

    @property
    def action(self) -> str:
        return urlsplit(self.path).path

    def param(self, name: str, default: str = "") -> str:
        values = parse_qs(urlsplit(self.path).query).get(name)
        return values[0] if values else default


class StreamHandler(Protocol):
    """Serves the streams it accepts (called in the connection's thread, which flushes)."""

    def accepts(self, record: StreamRecord) -> bool: ...

    def start(self, conn: _Connection, record: StreamRecord) -> None: ...

    def data(self, conn: _Connection, record: StreamRecord, data: bytes) -> None: ...

    def end(self, conn: _Connection, record: StreamRecord) -> None: ...


class _Connection:
    """One accepted connection, served in its own thread."""

    def __init__(self, server: H2Server, sock: socket.socket, number: int) -> None:
        self.server = server
        self.sock = sock
        self.number = number
        config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        self.h2 = h2.connection.H2Connection(config=config)
        values: dict[Any, int] = {}
        codes = h2.settings.SettingCodes
        if server.initial_window_size is not None:
            values[codes.INITIAL_WINDOW_SIZE] = server.initial_window_size
        if server.max_frame_size is not None:
            values[codes.MAX_FRAME_SIZE] = server.max_frame_size
        if server.max_concurrent_streams is not None:
            values[codes.MAX_CONCURRENT_STREAMS] = server.max_concurrent_streams
        self.h2.local_settings = h2.settings.Settings(client=False, initial_values=values)
        self.h2.max_inbound_frame_size = self.h2.local_settings.max_frame_size
        self.records: dict[int, StreamRecord] = {}
        self.pending: dict[int, bytearray] = {}  # output waiting for the client's window
        self.finish: set[int] = set()  # streams to end once their output is out
        self.unacked: dict[int, int] = {}  # /stall input never acknowledged
        self.goaway_sent = False
        self.closing = False

    # -- I/O ----------------------------------------------------------------------

    def flush(self) -> None:
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def serve(self) -> None:
        server = self.server
        try:
            if isinstance(self.sock, ssl.SSLSocket):
                self.sock.do_handshake()
            if server.silent:
                self._drain()
                return
            self.h2.initiate_connection()
            window = server.initial_window_size or 0
            if window > 65535:  # the connection's window grows with the streams'
                self.h2.increment_flow_control_window(window - 65535)
            self.flush()
            while not server.stopping.is_set():
                if not self._readable():
                    continue
                data = self.sock.recv(65536)
                if not data:
                    return
                try:
                    events = self.h2.receive_data(data)
                except h2.exceptions.ProtocolError:
                    with server.changed:
                        server.protocol_errors += 1
                        server.changed.notify_all()
                    self.flush()
                    return
                for event in events:
                    if isinstance(event, h2.events.ConnectionTerminated):
                        self._drain()  # the client's GOAWAY: it is closing
                        return
                    try:
                        self._handle(event)
                    except (h2.exceptions.StreamClosedError, h2.exceptions.StreamIDTooLowError):
                        pass  # the client reset the stream later in the same batch
                    except h2.exceptions.ProtocolError:
                        if self.h2.state_machine.state is not _CLOSED:
                            raise  # (else the client's GOAWAY came later in the batch)
                self.flush()
                if self.closing and not self.records_open():
                    self._drain()
                    return
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                self.sock.close()
            with server.changed:
                server.closed += 1
                server.changed.notify_all()

    def _readable(self) -> bool:
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        ready, _, _ = select.select([self.sock], [], [], 0.05)
        return bool(ready)

    def _drain(self) -> None:
        """Half-close and read until the client closes (no RST for unread input)."""
        server = self.server
        if not server.silent:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_WR)
            with server.changed:
                server.hung_up += 1
                server.changed.notify_all()
        while not server.stopping.is_set():
            if self._readable() and not self.sock.recv(65536):
                return

    def records_open(self) -> bool:
        streams = self.h2.streams
        return any(sid in streams and not streams[sid].closed for sid in self.records)

    # -- events -------------------------------------------------------------------

    def _handle(self, event: Any) -> None:
        conn = self.h2
        server = self.server
        if isinstance(event, h2.events.RequestReceived):
            headers = [(str(k), str(v)) for k, v in event.headers]
            path = dict(headers).get(":path", "/")
            record = StreamRecord(self.number, event.stream_id, path, headers)
            self.records[event.stream_id] = record
            with server.changed:
                server.streams.append(record)
                server.max_open_streams = max(server.max_open_streams, conn.open_inbound_streams)
                server.changed.notify_all()
            self._start(record)
        elif isinstance(event, h2.events.DataReceived):
            record = self.records.get(event.stream_id)
            if record is None:  # abandoned (GOAWAY below it)
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                return
            with server.changed:
                record.received += event.data
                record.frame_sizes.append(len(event.data))
                server.changed.notify_all()
            if record.action == "/stall":
                self.unacked[event.stream_id] = (
                    self.unacked.get(event.stream_id, 0) + event.flow_controlled_length
                )
            else:
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            self._on_data(record, event.data)
        elif isinstance(event, h2.events.StreamEnded):
            record = self.records.get(event.stream_id)
            if record is None:
                return
            with server.changed:
                record.ended = True
                server.changed.notify_all()
            handler = self.handler_of(record)
            if handler is not None:
                handler.end(self, record)
            elif record.action in ("/echo", "/ping", "/reset", "/goaway"):
                self._respond(event.stream_id, b"", end=True)
        elif isinstance(event, h2.events.StreamReset):
            record = self.records.get(event.stream_id)
            if record is not None:
                with server.changed:
                    record.reset_code = int(event.error_code)
                    server.changed.notify_all()
            self.pending.pop(event.stream_id, None)
            unacked = self.unacked.pop(event.stream_id, 0)
            if unacked:
                conn.acknowledge_received_data(unacked, event.stream_id)
        elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
            for stream_id in list(self.pending):
                self._pump(stream_id)
        elif isinstance(event, h2.events.PingAckReceived):
            with server.changed:
                server.ping_acks += 1
                server.changed.notify_all()

    def handler_of(self, record: StreamRecord) -> StreamHandler | None:
        handler = self.server.handler
        return handler if handler is not None and handler.accepts(record) else None

    def respond(self, stream_id: int, data: bytes, *, end: bool = False) -> None:
        """Send ``data`` on the stream as the client's window allows (then end it)."""
        self._respond(stream_id, data, end=end)

    def _start(self, record: StreamRecord) -> None:
        conn = self.h2
        sid = record.stream_id
        action = record.action
        handler = self.handler_of(record)
        if handler is not None:
            handler.start(self, record)
            return
        if action == "/silent":
            return
        if action == "/status":
            code = record.param("code", "200")
            body = b'{"message": "scripted"}'
            conn.send_headers(
                sid,
                [(":status", code), ("content-type", "application/json")],
            )
            self._respond(sid, body, end=True)
            then = record.param("then")
            if then == "goaway":
                self.flush()
                self.sock.sendall(GoAwayFrame(0, last_stream_id=sid).serialize())
            if then:
                self.closing = True
                self.records.clear()
            return
        conn.send_headers(sid, [(":status", "200"), ("content-type", "application/octet-stream")])
        if action == "/ping":
            conn.ping(b"pingpong")
        elif action == "/bytes":
            self._respond(sid, bytes(int(record.param("n", "0"))), end=True)

    def _on_data(self, record: StreamRecord, data: bytes) -> None:
        action = record.action
        sid = record.stream_id
        handler = self.handler_of(record)
        if handler is not None:
            handler.data(self, record, data)
            return
        if action in ("/echo", "/ping"):
            self._respond(sid, data)
        elif action == "/reset":
            self._respond(sid, data)
            if len(record.received) >= int(record.param("after", "0")):
                self.pending.pop(sid, None)
                self.h2.reset_stream(sid, int(record.param("code", "2")))
        elif action == "/goaway":
            below = record.param("last", "this") == "below"
            due = not self.goaway_sent and len(record.received) >= int(record.param("after", "0"))
            if not below:
                self._respond(sid, data)
            if due:
                self.goaway_sent = True
                frame = GoAwayFrame(
                    0,
                    last_stream_id=max(sid - 2, 0) if below else sid,
                    error_code=int(record.param("code", "0")),
                )
                self.flush()
                self.sock.sendall(frame.serialize())
                self.closing = True
                if below:  # this stream is abandoned, not processed: close now
                    self.records.clear()

    def _respond(self, stream_id: int, data: bytes, *, end: bool = False) -> None:
        self.pending.setdefault(stream_id, bytearray()).extend(data)
        if end:
            self.finish.add(stream_id)
        self._pump(stream_id)

    def _pump(self, stream_id: int) -> None:
        conn = self.h2
        buffer = self.pending.get(stream_id)
        if buffer is None:
            return
        try:
            while buffer:
                window = min(
                    conn.local_flow_control_window(stream_id), conn.max_outbound_frame_size
                )
                if window <= 0:
                    return
                conn.send_data(stream_id, bytes(buffer[:window]))
                del buffer[:window]
            del self.pending[stream_id]
            if stream_id in self.finish:
                self.finish.discard(stream_id)
                conn.end_stream(stream_id)
        except h2.exceptions.StreamClosedError:
            self.pending.pop(stream_id, None)


class H2Server:
    """An HTTP/2 server on ``127.0.0.1:<free port>`` (see the module docstring)."""

    def __init__(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        initial_window_size: int | None = None,
        max_frame_size: int | None = None,
        max_concurrent_streams: int | None = None,
        silent: bool = False,
        handler: StreamHandler | None = None,
    ) -> None:
        self.tls = tls
        self.handler = handler
        self.initial_window_size = initial_window_size
        self.max_frame_size = max_frame_size
        self.max_concurrent_streams = max_concurrent_streams
        self.silent = silent
        self.connections = 0
        self.closed = 0
        #: Connections the server ended its side of (FIN sent, the client's side read).
        self.hung_up = 0
        self.streams: list[StreamRecord] = []
        self.ping_acks = 0
        self.protocol_errors = 0
        self.max_open_streams = 0
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> H2Server:
        thread = threading.Thread(target=self._accept, name="h2server-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            with self.changed:
                self.connections += 1
                number = self.connections
                self.changed.notify_all()
            connection = _Connection(self, sock, number)
            thread = threading.Thread(
                target=connection.serve, name=f"h2server-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Block until ``predicate()`` is truthy (re-checked whenever a record changes);
        returns its value. Call through ``anyio.to_thread.run_sync`` from async tests."""
        with self.changed:
            value = self.changed.wait_for(predicate, timeout)
        if not value:
            raise AssertionError("the server did not see what the test waited for")
        return value


class Http11Server:
    """A server that answers whatever arrives with an HTTP/1.1 400 and closes, as an
    HTTP/1.1-only server answers the h2c preface. ``url`` while entered."""

    def __enter__(self) -> str:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                sock, _ = self._listener.accept()
                with sock:
                    sock.recv(65536)
                    sock.sendall(
                        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                        b"Connection: close\r\n\r\n"
                    )
                    sock.shutdown(socket.SHUT_WR)
                    with contextlib.suppress(OSError):
                        while sock.recv(65536):
                            pass

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=5)
