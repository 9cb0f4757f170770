"""``aiosagemaker-runtime invoke-endpoint-with-bidirectional-stream`` end to end against
serve-local (a subprocess, signature checking on): a pipe that proves the streaming,
UTF8 and BINARY framing, the container contract, error events, setup errors."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import anyio
import pytest
from local.servers import ACCESS_KEY, SECRET_KEY, clean_env, closed_port, start_serve_local
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Request,
    TextMessage,
)

from aiosagemaker_runtime.cli import main
from aiosagemaker_runtime.cli._bidi import InputReader, Lines, write_part

COMMAND = "invoke-endpoint-with-bidirectional-stream"
#: Bound on every wait for the command (a hang fails instead of blocking the run).
LIMIT = 30


# -- a model container: SageMaker's bidirectional contract, a WebSocket -------------------


@dataclass
class Container:
    """Echoes each message; the text ``close:CODE`` closes the WebSocket with CODE."""

    listener: socket.socket
    targets: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn: socket.socket) -> None:
        ws = WSConnection(ConnectionType.SERVER)
        with conn:
            while ws.state is not ConnectionState.CLOSED:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                ws.receive_data(data or None)
                out = b""
                for event in ws.events():
                    if isinstance(event, Request):
                        self.targets.append(event.target)
                        out += ws.send(AcceptConnection())
                    elif isinstance(event, CloseConnection):
                        if ws.state is ConnectionState.REMOTE_CLOSING:
                            out += ws.send(event.response())
                    elif ws.state is not ConnectionState.OPEN:
                        pass  # closing: what still comes in is not answered
                    elif isinstance(event, TextMessage) and event.data.startswith("close:"):
                        out += ws.send(CloseConnection(code=int(event.data[6:])))
                    elif isinstance(event, (TextMessage, BytesMessage)):
                        out += ws.send(event)
                    elif isinstance(event, Ping):
                        out += ws.send(event.response())
                if out:
                    conn.sendall(out)
                if not data:
                    return


@pytest.fixture(scope="module")
def container() -> Iterator[Container]:
    listener = socket.create_server(("127.0.0.1", 0))
    model = Container(listener)
    threading.Thread(target=model.accept, daemon=True).start()
    try:
        yield model
    finally:
        listener.close()


@pytest.fixture(scope="module")
def url(container: Container) -> Iterator[str]:
    server = start_serve_local(
        [
            "--endpoint", "echo=echo",
            "--endpoint", f"model={container.url}",
            "--access-key-id", ACCESS_KEY,
            "--secret-access-key", SECRET_KEY,
        ]
    )  # fmt: skip
    try:
        yield server.url
    finally:
        assert server.stop() == 0


# -- running the command ------------------------------------------------------------------


def environment(**extra: str) -> dict[str, str]:
    settings = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": "us-east-1",
    }
    return clean_env(**(settings | extra))


def popen(url: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "aiosagemaker_runtime", "--endpoint-url", url, COMMAND, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
        bufsize=0,
    )


class Output:
    """The lines a process writes on stdout, read by a thread (so a wait is bounded);
    ``b""`` at the end."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        self._stdout = process.stdout
        self._lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self._stdout:
            self._lines.put(line)
        self._lines.put(b"")

    def next(self) -> bytes:
        return self._lines.get(timeout=LIMIT)


@dataclass
class Ran:
    status: int
    stdout: bytes
    stderr: bytes


class Runner(Protocol):
    def __call__(self, url: str, *args: str, **env: str) -> Ran: ...


@pytest.fixture
def run(capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch) -> Runner:
    """The command in this process: ``run(url, *args)`` (input from a file)."""

    def call(url: str, *args: str, **env: str) -> Ran:
        for name, value in environment(**env).items():
            monkeypatch.setenv(name, value)
        capsysbinary.readouterr()
        try:
            status = main(["--endpoint-url", url, COMMAND, *args])
        except SystemExit as exit:
            status = int(exit.code or 0)
        captured = capsysbinary.readouterr()
        return Ran(status, captured.out, captured.err)

    return call


def one_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert text.endswith("\n") and text.count("\n") == 1, text
    return text.strip()


# -- streaming through a pipe ---------------------------------------------------------------


def test_a_pipe_gets_each_echo_before_the_next_line_is_written(url: str) -> None:
    process = popen(url, "--endpoint-name", "echo", "-", "-")
    assert process.stdin is not None and process.stderr is not None
    lines = Output(process)
    try:
        for line in (b"first line\n", "zweite Zeile \u2713\n".encode(), b"\n", b"third\r\n"):
            process.stdin.write(line)
            # The input is still open: only streaming answers this line now.
            assert lines.next() == line.replace(b"\r\n", b"\n")
        process.stdin.write(b"no newline at the end")
        process.stdin.close()
        assert lines.next() == b"no newline at the end\n"
        assert lines.next() == b""
        assert process.wait(timeout=LIMIT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read()
    assert json.loads(stderr) == {"InvokedProductionVariant": "AllTraffic"}


def test_the_model_ending_the_output_ends_the_command_with_its_input_open(
    url: str, container: Container
) -> None:
    process = popen(url, "--endpoint-name", "model", "-", "-")
    assert process.stdin is not None
    lines = Output(process)
    try:
        process.stdin.write(b"hello\n")
        assert lines.next() == b"hello\n"
        process.stdin.write(b"close:1000\n")
        # stdin stays open: the command ends with the output, not with its input.
        assert process.wait(timeout=LIMIT) == 0
        assert lines.next() == b""
    finally:
        process.stdin.close()
        if process.poll() is None:
            process.kill()
            process.wait()


def test_utf8_lines_from_a_file_to_an_outfile(url: str, tmp_path: Path, run: Runner) -> None:
    (tmp_path / "in.txt").write_bytes("one\r\n\ntwo \u00e9\nlast".encode())
    out = tmp_path / "out.txt"
    result = run(url, "--endpoint-name", "echo", "--input", str(tmp_path / "in.txt"), str(out))
    assert result.status == 0, result.stderr
    assert out.read_bytes() == "one\n\ntwo \u00e9\nlast\n".encode()
    # The metadata on stdout when the output goes to a file.
    assert json.loads(result.stdout) == {"InvokedProductionVariant": "AllTraffic"}
    assert result.stderr == b""


def test_binary_input_round_trips_byte_for_byte(url: str, tmp_path: Path, run: Runner) -> None:
    data = os.urandom(200_000) + b"\n\r\n\x00" * 1000  # > 3 chunks, newlines no boundary
    (tmp_path / "in.bin").write_bytes(data)
    out = tmp_path / "out.bin"
    result = run(
        url, "--endpoint-name", "echo", "--data-type", "BINARY", str(tmp_path / "in.bin"), str(out)
    )
    assert result.status == 0, result.stderr
    assert out.read_bytes() == data


def test_members_reach_the_container(
    url: str, container: Container, tmp_path: Path, run: Runner
) -> None:
    (tmp_path / "in.txt").write_text("hi\n")
    result = run(
        url, "--endpoint-name", "model", "--model-invocation-path", "v1/listen",
        "--model-query-string", "language=en", "--target-variant", "AllTraffic",
        "--input", str(tmp_path / "in.txt"), "-",
    )  # fmt: skip
    assert result.status == 0, result.stderr
    assert result.stdout == b"hi\n"
    assert json.loads(result.stderr) == {"InvokedProductionVariant": "AllTraffic"}
    assert container.targets[-1] == "/v1/listen?language=en"


# -- errors ---------------------------------------------------------------------------------


def test_an_error_event_is_one_line_and_255_after_the_output_before_it(
    url: str, tmp_path: Path, run: Runner
) -> None:
    (tmp_path / "in.txt").write_text("before\nclose:1011\nafter\n")
    result = run(url, "--endpoint-name", "model", str(tmp_path / "in.txt"), "-")
    assert result.status == 255
    assert result.stdout == b"before\n"
    message = one_line(result.stderr)
    assert message.startswith(
        "An error occurred (ModelStreamError) when calling the "
        "InvokeEndpointWithBidirectionalStream operation: "
    )
    assert "1011" in message


def test_a_line_that_is_not_utf8_ends_the_input_and_fails(
    url: str, tmp_path: Path, run: Runner
) -> None:
    (tmp_path / "in.txt").write_bytes(b"fine\nbad \xff\nnot sent\n")
    result = run(url, "--endpoint-name", "echo", str(tmp_path / "in.txt"), "-")
    assert result.status == 252
    assert result.stdout == b"fine\n"  # answered: the input ended cleanly before line 2
    assert one_line(result.stderr) == (
        "line 2 of the input is not UTF-8 text (use --data-type BINARY)"
    )


def test_an_unknown_endpoint(url: str, tmp_path: Path, run: Runner) -> None:
    (tmp_path / "in.txt").write_text("x\n")
    result = run(url, "--endpoint-name", "nope", str(tmp_path / "in.txt"), str(tmp_path / "o"))
    assert result.status == 255
    assert one_line(result.stderr) == (
        "An error occurred (InputValidationError) when calling the "
        "InvokeEndpointWithBidirectionalStream operation: "
        "Endpoint nope of account 123456789012 not found."
    )
    assert result.stdout == b""
    assert not (tmp_path / "o").exists()


def test_a_bad_signature(url: str, tmp_path: Path, run: Runner) -> None:
    (tmp_path / "in.txt").write_text("x\n")
    result = run(
        url, "--endpoint-name", "echo", str(tmp_path / "in.txt"), "-",
        AWS_SECRET_ACCESS_KEY="wrong",
    )  # fmt: skip
    assert result.status == 255
    assert "(InvalidSignatureException)" in one_line(result.stderr)


def test_an_unreachable_endpoint_reads_no_input(tmp_path: Path) -> None:
    # stdin is a pipe that is never closed: the command must not wait for it.
    process = popen(
        f"http://127.0.0.1:{closed_port()}", "--endpoint-name", "e", "--cli-connect-timeout",
        "5", "-", "-",
    )  # fmt: skip
    try:
        assert process.wait(timeout=LIMIT) == 255
        assert process.stderr is not None
        stderr = process.stderr.read()
    finally:
        assert process.stdin is not None
        process.stdin.close()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Could not connect to the endpoint URL" in one_line(stderr)


def test_usage_errors(tmp_path: Path, run: Runner) -> None:
    result = run("http://127.0.0.1:9", "-")
    assert (result.status, b"--endpoint-name" in result.stderr) == (252, True)
    result = run("http://127.0.0.1:9", "--endpoint-name", "e", str(tmp_path / "missing"), "-")
    assert result.status == 252
    assert one_line(result.stderr).startswith(f"cannot read --input {tmp_path / 'missing'}")
    result = run("http://127.0.0.1:9", "--endpoint-name", "e", "--input", "a", "b", "-")
    assert (result.status, one_line(result.stderr)) == (252, "two inputs: --input a and b")
    result = run(
        "http://127.0.0.1:9", "--endpoint-name", "e", "--model-invocation-path", "no spaces",
        str(tmp_path / "missing"), "-",
    )  # fmt: skip
    assert result.status == 252
    result = run("http://127.0.0.1:9", "--endpoint-name", "e", "--data-type", "TEXT", "-")
    assert result.status == 252


# -- the pieces -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_lines_across_chunks() -> None:
    async def source() -> AsyncIterator[bytes]:
        for chunk in (b"a", b"b\r", b"\n\nc\xc3", b"\xa9\n", b"tail"):
            yield chunk

    text = Lines(source())
    assert [line async for line in text] == ["ab", "", "c\u00e9", "tail"]
    assert text.error is None


def test_write_part_frames_utf8_messages_as_lines() -> None:
    import io

    sink = io.BytesIO()
    write_part(sink, b"a", "UTF8", None)
    write_part(sink, b"b\n", "UTF8", "COMPLETE")
    write_part(sink, b"par", "UTF8", "PARTIAL")
    write_part(sink, b"t", "UTF8", "COMPLETE")
    write_part(sink, b"\x00\x01", "BINARY", None)
    write_part(sink, b"raw", None, None)
    assert sink.getvalue() == b"a\nb\npart\n\x00\x01raw"


@pytest.mark.anyio
async def test_the_reader_hands_each_chunk_over_as_it_is_written() -> None:
    read_fd, write_fd = os.pipe()
    try:
        async with InputReader(read_fd) as reader:
            chunks = reader.chunks()
            for data in (b"one\n", b"two\n"):
                os.write(write_fd, data)
                with anyio.fail_after(LIMIT):
                    assert await chunks.__anext__() == data
            os.close(write_fd)
            write_fd = -1
            with anyio.fail_after(LIMIT), pytest.raises(StopAsyncIteration):
                await chunks.__anext__()
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)
