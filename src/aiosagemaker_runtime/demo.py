"""``make demo``: a local SageMaker endpoint, called through the client and the CLI.

Run it with ``python -m aiosagemaker_runtime.demo``. It needs no AWS account: it
starts ``aiosagemaker-runtime serve-local`` (with signature checking on, using dummy
credentials) in front of a tiny "token streaming" model container, calls it through
``SageMakerRuntimeClient`` (and a bidirectional stream through
``SageMakerRuntimeHTTP2Client``) and through the command line, and stops everything.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio

__all__ = ["main"]

ACCESS_KEY = "AKIDDEMOEXAMPLE"
SECRET_KEY = "demo-secret-key-not-a-real-one"
REGION = "us-east-1"

_ANSWER = (
    "SageMaker endpoints can stream their answer token by token, so a chat UI shows "
    "the first words while the model is still thinking about the rest."
)
_TOKEN_DELAY = 0.06


class _TokenModel(BaseHTTPRequestHandler):
    """A model container (SageMaker's container contract) that "generates" a canned
    answer word by word, as a chunked response."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        status = 200 if self.path == "/ping" else 404
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for word in _ANSWER.split(" "):
            chunk = (word + " ").encode()
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
            time.sleep(_TOKEN_DELAY)
        self.wfile.write(b"0\r\n\r\n")


class _ModelServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@contextmanager
def _token_model() -> Iterator[str]:
    server = _ModelServer(("127.0.0.1", 0), _TokenModel)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _say(text: str = "") -> None:
    print(text, flush=True)


def _step(number: int, title: str) -> None:
    _say()
    _say(f"== {number}. {title}")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@contextmanager
def _serve_local(args: Sequence[str]) -> Iterator[str]:
    command = [sys.executable, "-m", "aiosagemaker_runtime", "serve-local", "--port", "0", *args]
    _say("$ " + " ".join(shlex.quote(part) for part in ["aiosagemaker-runtime", *command[3:]]))
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env()
    )
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        first = lines.get(timeout=30)
        if not first.startswith("serving on "):
            raise RuntimeError("serve-local did not start")
        _say("  " + first.strip())
        yield first.split()[-1]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            status = process.wait()
        _say(f"  serve-local stopped on SIGTERM (exit status {status})")


async def _with_client(url: str) -> None:
    from . import SageMakerRuntimeClient, ServiceError

    _step(2, "A normal call through SageMakerRuntimeClient (InvokeEndpoint)")
    async with SageMakerRuntimeClient(
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    ) as client:
        body = json.dumps({"inputs": "Hello, SageMaker!"}).encode()
        _say(f"  invoke_endpoint(endpoint_name='demo-echo', body={body!r})")
        out = await client.invoke_endpoint(
            endpoint_name="demo-echo", body=body, content_type="application/json"
        )
        _say(f"  -> body={out.body!r}")
        _say(f"     content_type={out.content_type!r}, variant={out.invoked_production_variant!r}")

        _step(3, "A streamed call (InvokeEndpointWithResponseStream): tokens as they arrive")
        _say("  invoke_endpoint_with_response_stream(endpoint_name='demo-llm', ...)")
        started = time.monotonic()
        first_at: float | None = None
        parts = 0
        out_stream = await client.invoke_endpoint_with_response_stream(
            endpoint_name="demo-llm",
            body=b'{"inputs": "Why stream?"}',
            content_type="application/json",
        )
        sys.stdout.write("  -> ")
        async with out_stream:
            async for part in out_stream.body:
                if first_at is None:
                    first_at = time.monotonic() - started
                parts += 1
                sys.stdout.write((part.bytes or b"").decode())
                sys.stdout.flush()
        total = time.monotonic() - started
        _say()
        _say(
            f"     {parts} PayloadPart events; first after {first_at or 0:.2f} s, "
            f"last after {total:.2f} s"
        )

    await _bidirectional(url)

    _step(5, "Errors come back as the service sends them")
    async with SageMakerRuntimeClient(
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=_single_attempt(),
    ) as client:
        try:
            await client.invoke_endpoint(endpoint_name="no-such-endpoint", body=b"{}")
        except ServiceError as error:
            _say(
                f"  unknown endpoint -> {type(error).__name__} ({error.status_code}): {error.message}"
            )
    async with SageMakerRuntimeClient(
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key="a-wrong-secret",
        config=_single_attempt(),
    ) as client:
        try:
            await client.invoke_endpoint(endpoint_name="demo-echo", body=b"{}")
        except ServiceError as error:
            _say(
                f"  wrong secret key -> {error.code} ({error.status_code}): "
                f"{error.message.split('.')[0]}."
            )
        else:  # pragma: no cover - the server must refuse it
            raise RuntimeError("the server accepted a bad signature")


async def _bidirectional(url: str) -> None:
    from . import SageMakerRuntimeHTTP2Client

    _step(4, "A bidirectional stream over HTTP/2 (InvokeEndpointWithBidirectionalStream)")
    async with SageMakerRuntimeHTTP2Client(
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    ) as client:
        stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="demo-echo")
        _say(
            "  invoke_endpoint_with_bidirectional_stream(endpoint_name='demo-echo') -> "
            f"variant={stream.invoked_production_variant!r}"
        )
        async with stream:
            for text in ("Hello,", "are you", "listening?"):
                await stream.send(text)
                part = await anext(stream)  # the answer comes while the input is still open
                _say(
                    f"  sent {text!r:<13} -> got {(part.bytes or b'').decode()!r} ({part.data_type})"
                )
            await stream.end_input()
            rest = [part async for part in stream]
        _say(
            f"  end_input() -> the output ends with it ({len(rest)} parts left); every part "
            "went out signed, chained from the request's signature"
        )


def _single_attempt() -> Any:
    from . import ClientConfig

    return ClientConfig(max_attempts=1)


def _cli(url: str, workdir: Path) -> None:
    _step(6, "The same through the command line (options as `aws sagemaker-runtime`)")
    request = workdir / "request.json"
    request.write_text('{"inputs": "Hello from the CLI"}')
    outfile = workdir / "response.json"
    runs: list[list[str]] = [
        [
            "--endpoint-url", url, "invoke-endpoint", "--endpoint-name", "demo-echo",
            "--body", f"fileb://{request}", "--content-type", "application/json", str(outfile),
        ],
        [
            "--endpoint-url", url, "invoke-endpoint-with-response-stream",
            "--endpoint-name", "demo-llm", "--body", '{"inputs": "stream please"}', "-",
        ],
    ]  # fmt: skip
    for number, args in enumerate(runs):
        shown = " ".join(shlex.quote(a) for a in args).replace(str(workdir) + "/", "")
        _say(f"$ aiosagemaker-runtime {shown}")
        command = [sys.executable, "-m", "aiosagemaker_runtime", *args]
        if number == 0:
            result = subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=60)
            if result.returncode != 0:
                raise RuntimeError(f"the CLI failed: {result.stderr.strip()}")
            _say(textwrap.indent(result.stdout.rstrip(), "  "))
            _say(f"  {outfile.name} now holds: {outfile.read_text()}")
        else:
            # The streamed parts go straight to this terminal, as they arrive.
            sys.stdout.write("  ")
            sys.stdout.flush()
            streamed = subprocess.run(
                command, stdout=None, stderr=subprocess.PIPE, text=True, env=_env(), timeout=60
            )
            _say()
            if streamed.returncode != 0:
                raise RuntimeError(f"the CLI failed: {streamed.stderr.strip()}")
            _say(
                "  (with '-' as the outfile, the metadata goes to stderr: "
                + " ".join(streamed.stderr.split())
                + ")"
            )


def main() -> None:
    """Run the demo; exit status 0 when everything worked."""
    began = time.monotonic()
    _say("aiosagemaker-runtime demo: no AWS account needed, everything runs on 127.0.0.1.")
    with tempfile.TemporaryDirectory() as tmp, _token_model() as model_url:
        _step(1, "Start a local SageMaker endpoint (serve-local)")
        _say(f"  a tiny model container that streams words is listening on {model_url}")
        args = [
            "--endpoint", "demo-echo=echo",
            "--endpoint", f"demo-llm={model_url}",
            "--access-key-id", ACCESS_KEY,
            "--secret-access-key", SECRET_KEY,
        ]  # fmt: skip
        with _serve_local(args) as url:
            _say(
                f"  it checks SigV4 signatures: callers must sign with {ACCESS_KEY} and its "
                "(dummy) secret key"
            )
            anyio.run(_with_client, url)
            _cli(url, Path(tmp))
            _step(7, "Stop the server")
    _say()
    _say(f"Done in {time.monotonic() - began:.1f} s.")


if __name__ == "__main__":
    main()
