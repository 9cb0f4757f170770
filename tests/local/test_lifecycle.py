"""serve-local starts, reports its URL and stops cleanly on SIGINT and SIGTERM."""

from __future__ import annotations

import signal
import time

import httpx2
import pytest

from .servers import start_serve_local


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly_on_signal(signum: signal.Signals) -> None:
    server = start_serve_local(["--endpoint", "e=echo"])
    try:
        response = httpx2.post(f"{server.url}/endpoints/e/invocations", content=b"up")
        assert response.content == b"up"
        # A keep-alive connection left open must not hold the shutdown up.
        client = httpx2.Client()
        client.post(f"{server.url}/endpoints/e/invocations", content=b"idle")
        started = time.monotonic()
        server.process.send_signal(signum)
        assert server.process.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
        client.close()
    finally:
        server.stop()
    assert f"received {signum.name}, shutting down" in "".join(server.stderr_lines)
