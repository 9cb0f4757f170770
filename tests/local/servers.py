"""Helpers for the serve-local tests: a tiny model container and the server subprocess."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ACCESS_KEY = "AKIDLOCALTEST"
SECRET_KEY = "local-test-secret-key"


@dataclass
class ContainerState:
    """What the container saw, for assertions."""

    invocations: int = 0
    last_headers: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _ContainerHandler(BaseHTTPRequestHandler):
    """SageMaker's container contract, with behaviours chosen by the request body:

    ``fail:STATUS:MESSAGE`` answers STATUS with MESSAGE; ``sleep:SECONDS`` answers after
    a delay; ``stream:WORDS`` sends each word as a chunk, 50 ms apart; ``break:WORDS``
    sends the words and drops the connection mid-response; ``stall:WORDS`` sends the
    words and then nothing for 3 s; anything else is answered
    with a JSON description of the request.
    """

    protocol_version = "HTTP/1.1"
    server: _ContainerServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/ping":
            self._send(self.server.ping_status, b"", "text/plain")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        state = self.server.state
        with state.lock:
            state.invocations += 1
            state.last_headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path != "/invocations":
            self._send(404, b"not found", "text/plain")
            return
        command, _, rest = body.partition(b":")
        if command == b"fail":
            status, _, message = rest.partition(b":")
            self._send(int(status), message, "text/plain")
        elif command == b"sleep":
            time.sleep(float(rest))
            self._send(200, b"late", "text/plain")
        elif command in (b"stream", b"break", b"stall"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for word in rest.split():
                chunk = word + b" "
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
                time.sleep(0.05)
            if command == b"stall":
                time.sleep(3)
            if command == b"break":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(b"0\r\n\r\n")
        else:
            seen = {
                "body": body.decode("utf-8", "replace"),
                "content_type": self.headers.get("Content-Type"),
                "accept": self.headers.get("Accept"),
                "custom_attributes": self.headers.get("X-Amzn-SageMaker-Custom-Attributes"),
            }
            extra = {}
            if seen["custom_attributes"]:
                extra["X-Amzn-SageMaker-Custom-Attributes"] = "seen=" + seen["custom_attributes"]
            self._send(200, json.dumps(seen).encode(), "application/json", extra)


class _ContainerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ping_status: int) -> None:
        super().__init__(("127.0.0.1", 0), _ContainerHandler)
        self.ping_status = ping_status
        self.state = ContainerState()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # callers that time out drop the connection; that is expected here


@dataclass
class Container:
    url: str
    state: ContainerState


@contextmanager
def run_container(ping_status: int = 200) -> Iterator[Container]:
    """A model container on 127.0.0.1 in a thread."""
    server = _ContainerServer(ping_status)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield Container(f"http://127.0.0.1:{server.server_address[1]}", server.state)
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the developer's AWS settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update(extra)
    return env


@dataclass
class ServeLocal:
    url: str
    process: subprocess.Popen[str]
    stderr_lines: list[str]

    def stop(self) -> int:
        """SIGTERM, then the exit status (the server must stop cleanly)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def start_serve_local(args: Sequence[str], timeout: float = 20.0) -> ServeLocal:
    """Start ``aiosagemaker-runtime serve-local --port 0 ARGS`` and read its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosagemaker_runtime", "serve-local", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    lines: queue.Queue[str] = queue.Queue()
    stderr_lines: list[str] = []
    assert process.stdout is not None and process.stderr is not None
    stdout, stderr = process.stdout, process.stderr
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    threading.Thread(target=lambda: stderr_lines.extend(stderr), daemon=True).start()
    try:
        first = lines.get(timeout=timeout)
    except queue.Empty:
        process.kill()
        raise RuntimeError("serve-local did not print its URL") from None
    if not first.startswith("serving on "):
        process.wait(timeout=5)
        raise RuntimeError(f"serve-local failed: {first!r} {''.join(stderr_lines)}")
    return ServeLocal(first.split()[-1], process, stderr_lines)


def wait_for_file(path: Path, timeout: float = 10.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return path.read_bytes()
        time.sleep(0.02)
    raise AssertionError(f"{path} did not appear")
