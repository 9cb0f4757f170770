"""A model container for the bulk tests: counts what it is asked, and can hold calls.

It follows SageMaker's container contract (``GET /ping``, ``POST /invocations``) and
runs in a thread on 127.0.0.1. A request body is a JSON object ``{"i": N, ...}``:

* ``"fail": STATUS`` answers STATUS (serve-local turns it into a ``ModelError``);
* otherwise the answer is ``{"i": N, "echo": <the request>}`` as JSON.

What the tests steer (all thread-safe):

* ``hold``: a predicate on the request; a call it selects waits for ``gate`` to be set
  (ten-second safety timeout, so a failing test cannot hang);
* ``rendezvous``: the first that many calls wait until that many are in at once (the
  concurrency is reached, not only allowed);
* counters: calls per ``i``, calls in progress now and at most.

A call leaves the "in progress" count before its answer is written: whoever waits for
its answers never sees more calls than the container counted.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SAFETY_TIMEOUT = 10.0


@dataclass
class ModelState:
    calls: Counter[int] = field(default_factory=Counter)
    active: int = 0
    max_active: int = 0
    rendezvous: int = 0
    hold: Callable[[dict[str, Any]], bool] | None = None
    gate: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    """Set when a held call has arrived."""
    lock: threading.Condition = field(default_factory=threading.Condition)
    _entered: int = 0

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.calls.values())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._send(200 if self.path == "/ping" else 404, b"")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        state = self.server.state
        try:
            request = json.loads(body)
        except ValueError:
            request = {"i": -1}
        if not isinstance(request, dict):
            request = {"i": -1, "value": request}
        with state.lock:
            state.calls[int(request.get("i", -1))] += 1
            state.active += 1
            state.max_active = max(state.max_active, state.active)
            state._entered += 1
            first = state._entered <= state.rendezvous
            state.lock.notify_all()
        try:
            if first:
                with state.lock:
                    state.lock.wait_for(
                        lambda: state.active >= state.rendezvous, timeout=SAFETY_TIMEOUT
                    )
            if state.hold is not None and state.hold(request):
                state.arrived.set()
                state.gate.wait(SAFETY_TIMEOUT)
        finally:
            with state.lock:
                state.active -= 1
        if "fail" in request:
            self._send(int(request["fail"]), b"the model refused", "text/plain")
        else:
            self._send(200, json.dumps({"i": request.get("i"), "echo": request}).encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = ModelState()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a caller that went away


class Model:
    def __init__(self, url: str, server: _Server) -> None:
        self.url = url
        self._server = server

    @property
    def state(self) -> ModelState:
        return self._server.state

    def reset(self) -> ModelState:
        """Fresh counters and behaviour for the next test (the gate is released first)."""
        self._server.state.gate.set()
        self._server.state = ModelState()
        return self._server.state


@contextmanager
def run_model() -> Iterator[Model]:
    """The container on 127.0.0.1 in a thread; yields its URL and its live state."""
    server = _Server()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    model = Model(f"http://127.0.0.1:{server.server_address[1]}", server)
    try:
        yield model
    finally:
        server.state.gate.set()
        server.shutdown()
        server.server_close()
