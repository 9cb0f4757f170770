"""``aiosagemaker-runtime invoke-endpoint-with-bidirectional-stream``: a duplex exchange
with an endpoint (``SageMakerRuntimeHTTP2Client``) from the command line.

The input is read as it comes (a worker thread reads it, so a pipe's lines go out as
soon as they are written) and each output part is written and flushed as it arrives,
so ``-`` in and out makes the command a filter::

    printf 'a\\nb\\n' | aiosagemaker-runtime invoke-endpoint-with-bidirectional-stream \\
        --endpoint-name echo - -

Framing: ``--data-type UTF8`` (the default) sends each input line, without its line
ending, as one ``UTF8`` part; ``BINARY`` sends the input in chunks as read (at most
64 KiB each). On the way out, a ``UTF8`` message (a part not marked ``PARTIAL``, or the
part ending a series of them) is written as a line: a newline is added unless it ends
with one; ``BINARY`` parts are written as they are. Lines in, lines out; bytes in,
bytes out.

The response metadata (``InvokedProductionVariant``) is printed as JSON once the
exchange is over, as ``invoke-endpoint-with-response-stream`` prints its own: on stdout,
or on stderr when the output goes to stdout (``-``), so that stdout carries the model's
output alone.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import threading
from collections.abc import AsyncIterator
from typing import IO, Any

import anyio
import anyio.from_thread
import anyio.lowlevel

from ._invoke import UsageError, _metadata, _open_outfile, _print_json, client_arguments

__all__ = ["COMMAND", "add_bidi_parser", "run_bidi"]

COMMAND = "invoke-endpoint-with-bidirectional-stream"
OPERATION = "InvokeEndpointWithBidirectionalStream"
#: Most bytes read at once, hence the largest BINARY part sent.
_CHUNK = 64 * 1024

_DESCRIPTION = """\
Open a bidirectional stream (HTTP/2) to an endpoint: send the input as it is read and
write the output parts to OUTFILE ('-' for stdout) as they arrive, so that '-' in and
out works as a pipe. The response metadata is printed as JSON at the end, on stdout
(on stderr when OUTFILE is '-')."""

_EPILOG = """\
framing:
  UTF8    each input line, without its line ending, is one UTF8 part (the default)
  BINARY  the input is sent in chunks as read, at most 64 KiB each
  Output: a UTF8 message is written as a line (a newline added unless it ends with
  one); BINARY parts are written as they are.

The read timeout (--cli-read-timeout, default 70 s) bounds the time without output;
for an interactive session, --cli-read-timeout 0 lifts it.

example:
  printf 'a\\nb\\n' | aiosagemaker-runtime --endpoint-url http://127.0.0.1:8080 \\
      invoke-endpoint-with-bidirectional-stream --endpoint-name echo - -
"""


def add_bidi_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    parser = commands.add_parser(
        COMMAND,
        parents=parents,
        help="send input parts while output parts arrive (HTTP/2); '-' in and out: a pipe",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--endpoint-name", required=True, metavar="STRING", help="EndpointName (in the path)"
    )
    parser.add_argument("--input", metavar="FILE", help="what to send ('-': stdin, the default)")
    parser.add_argument(
        "--data-type",
        choices=("UTF8", "BINARY"),
        default="UTF8",
        help="UTF8: a part per line (default); BINARY: chunks of the input",
    )
    parser.add_argument(
        "--target-variant",
        metavar="STRING",
        help="TargetVariant (header X-Amzn-SageMaker-Target-Variant)",
    )
    parser.add_argument(
        "--model-invocation-path",
        metavar="STRING",
        help="ModelInvocationPath: the container's WebSocket path",
    )
    parser.add_argument(
        "--model-query-string",
        metavar="STRING",
        help="ModelQueryString: the query of the container's WebSocket URL",
    )
    parser.add_argument("infile", nargs="?", help="what to send, as --input (so `- -` is a filter)")
    parser.add_argument("outfile", help="file the output is written to ('-' for stdout)")
    parser.set_defaults(operation=OPERATION)


def run_bidi(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status. The input is opened before any call."""
    if args.input is not None and args.infile is not None and args.input != args.infile:
        raise UsageError(f"two inputs: --input {args.input} and {args.infile}")
    fd = _open_input(args.input or args.infile or "-")
    try:
        return anyio.run(_execute, args, fd)
    finally:
        if fd > 2:
            os.close(fd)


def _open_input(path: str) -> int:
    if path == "-":
        return sys.stdin.fileno()
    if os.path.isdir(path):
        raise UsageError(f"cannot read --input {path}: it is a directory")
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise UsageError(f"cannot read --input {path}: {error.strerror or error}") from None


async def _execute(args: argparse.Namespace, fd: int) -> int:
    from .. import SageMakerRuntimeHTTP2Client

    call: dict[str, Any] = {"endpoint_name": args.endpoint_name}
    for name in ("target_variant", "model_invocation_path", "model_query_string"):
        if getattr(args, name) is not None:
            call[name] = getattr(args, name)
    async with (
        SageMakerRuntimeHTTP2Client(**client_arguments(args)) as client,
        InputReader(fd) as reader,
    ):
        stream = await client.invoke_endpoint_with_bidirectional_stream(**call)
        text = Lines(reader.chunks())
        parts = text if args.data_type == "UTF8" else reader.chunks()
        # Inside the reader: leaving the stream stops its sending before the reader
        # closes.
        async with stream:
            with _open_outfile(args.outfile) as sink:
                async for part in stream.exchange(parts):
                    write_part(sink, part.bytes or b"", part.data_type, part.completion_state)
        if text.error is not None:
            raise text.error
        _print_json(_metadata(stream), sys.stdout if args.outfile != "-" else sys.stderr)
    return 0


def write_part(
    sink: IO[bytes], data: bytes, data_type: str | None, completion_state: str | None
) -> None:
    """Write one output part and flush: a UTF8 message as a line (see the module)."""
    if data_type == "UTF8" and completion_state != "PARTIAL" and not data.endswith(b"\n"):
        data += b"\n"
    sink.write(data)
    sink.flush()


class Lines:
    """The lines of ``chunks`` as text, without their line endings (``\\n``, ``\\r\\n``).

    A line that is not UTF-8 ends them, as the end of the input would: the lines before
    it are answered, the exchange ends normally, and the command then fails with
    :attr:`error` (a :class:`UsageError`).
    """

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self.error: UsageError | None = None

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        pending: list[bytes] = []
        number = 0
        async for chunk in self._chunks:
            start = 0
            while (end := chunk.find(b"\n", start)) >= 0:
                number += 1
                pending.append(chunk[start:end])
                line = self._text(b"".join(pending), number)
                if line is None:
                    return
                yield line
                pending.clear()
                start = end + 1
            if start < len(chunk):
                pending.append(chunk[start:])
        if pending and (line := self._text(b"".join(pending), number + 1)) is not None:
            yield line

    def _text(self, line: bytes, number: int) -> str | None:
        if line.endswith(b"\r"):
            line = line[:-1]
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            self.error = UsageError(
                f"line {number} of the input is not UTF-8 text (use --data-type BINARY)"
            )
            return None


class InputReader:
    """Chunks of a file descriptor, read by a daemon thread as they come.

    The thread starts at the first :meth:`chunks` (nothing is read before the stream
    exists) and reads at most one chunk ahead of the consumer. A daemon thread rather
    than a worker thread: when the output ends first (the model closed the stream) the
    command must end although the thread is still blocked reading a terminal or a pipe
    that stays open; a worker thread would hold the interpreter's exit until the input
    ends. The thread hands chunks over with synchronous calls into the event loop (no
    task that a finishing loop would cancel), and stops at the first that fails.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        send, receive = anyio.create_memory_object_stream[bytes | OSError](math.inf)
        self._send = send
        self._receive = receive
        self._credits = threading.Semaphore(1)
        self._closed = threading.Event()
        self._started = False

    async def __aenter__(self) -> InputReader:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closed.set()
        self._receive.close()
        self._credits.release()  # a thread waiting for a credit sees the close and stops

    async def chunks(self) -> AsyncIterator[bytes]:
        """The chunks, as read (at most 64 KiB each), until the end of the input."""
        if self._started:
            raise RuntimeError("the input is read once")
        self._started = True
        token = anyio.lowlevel.current_token()
        thread = threading.Thread(target=self._read, args=(token,), name="bidi-input", daemon=True)
        thread.start()
        async for item in self._receive:
            if isinstance(item, OSError):
                raise item
            self._credits.release()
            yield item

    def _read(self, token: anyio.lowlevel.EventLoopToken) -> None:
        send = self._send
        # A failing hand-over means nobody reads any more (the loop or the reader is
        # gone): the thread just stops.
        with contextlib.suppress(Exception):
            while True:
                self._credits.acquire()
                if self._closed.is_set():
                    return
                try:
                    chunk = os.read(self._fd, _CHUNK)
                except OSError as error:
                    anyio.from_thread.run_sync(send.send_nowait, error, token=token)
                    chunk = b""
                if not chunk:
                    anyio.from_thread.run_sync(send.close, token=token)
                    return
                anyio.from_thread.run_sync(send.send_nowait, chunk, token=token)
