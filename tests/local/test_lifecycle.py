"""serve-local starts, reports its URL and stops cleanly on SIGINT and SIGTERM."""

from __future__ import annotations

import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from .servers import clean_env, start_serve_local


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


def test_serves_https_given_a_certificate(tmp_path: Path) -> None:
    import trustme

    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certificate.cert_chain_pems[0].write_to_path(certfile)
    certificate.private_key_pem.write_to_path(keyfile)
    server = start_serve_local(
        ["--endpoint", "e=echo", "--certfile", str(certfile), "--keyfile", str(keyfile)]
    )
    try:
        assert server.url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context()
        ca.configure_trust(context)
        response = httpx2.post(
            f"{server.url}/endpoints/e/invocations", content=b"tls", verify=context
        )
        assert (response.status_code, response.content) == (200, b"tls")
    finally:
        assert server.stop() == 0


def test_certfile_and_keyfile_go_together(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "aiosagemaker_runtime", "serve-local", "--port", "0"]
    command += ["--endpoint", "e=echo", "--certfile", str(tmp_path / "cert.pem")]
    result = subprocess.run(command, capture_output=True, text=True, env=clean_env(), timeout=60)
    assert result.returncode == 252  # usage, as the AWS CLI
    assert "--certfile and --keyfile go together" in result.stderr


def _serve_local_fails(args: list[str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "aiosagemaker_runtime", "serve-local", "--endpoint", "e=echo"]
    return subprocess.run(
        command + args, capture_output=True, text=True, env=clean_env(), timeout=60
    )


def test_a_taken_port_is_said_plainly() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve_local_fails(["--port", str(port)])
    assert result.returncode == 255
    assert result.stderr.strip() == f"cannot listen on 127.0.0.1:{port}: Address already in use"


def test_an_unusable_certificate_is_said_plainly(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pem")
    result = _serve_local_fails(["--port", "0", "--certfile", missing, "--keyfile", missing])
    assert result.returncode == 252
    assert result.stderr.startswith(f"cannot use certificate {missing!r}")
    assert "serving on" not in result.stdout
