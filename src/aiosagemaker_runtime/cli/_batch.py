"""``aiosagemaker-runtime invoke-endpoint-batch``: score a JSON Lines file through an
endpoint with :func:`aiosagemaker_runtime.bulk.invoke_many`.

Before the first call: the input is opened, the output opened (or, with ``--resume``,
read, its torn last line cut off); any problem there is a usage error (252). Then
results are written as they arrive, a progress bar runs on stderr when it is a
terminal, and one summary line ends the run. Exit status: 0 when every record in the
output succeeded, 1 when some failed (as ``aws s3`` reports failed transfers), 130
when interrupted (the output holds whole lines; ``--resume`` continues it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from .._bulk.fields import MalformedRecord
from ._batch_io import (
    Done,
    Latencies,
    Output,
    OutputError,
    Record,
    RecordBuilder,
    input_lines,
    result_line,
    scan_output,
)
from ._invoke import UsageError, client_arguments

if TYPE_CHECKING:
    from tqdm import tqdm

    from ..bulk import BulkProgress

__all__ = ["add_batch_parser", "run_batch"]

EXIT_SOME_FAILED = 1
_DEFAULT_CONCURRENCY = 32
#: Re-queues of a record after a transient error: with the client's single attempt,
#: the three attempts a client makes by default.
_TRANSIENT_RETRIES = 2

_EPILOG = """\
input formats:
  body     each line is one request body, sent as it is (default)
  members  each line is a JSON object of InvokeEndpoint members as the API spells
           them, e.g. {"Body": {"inputs": "hi"}, "TargetModel": "m2.tar.gz"}; a string
           Body is sent as its text, any other JSON value as compact JSON; options
           give the defaults of the members a line leaves out

output: one JSON line per input line, in completion order:
  {"index": 0, "body": ..., "content_type": "...", "invoked_production_variant": "..."}
  {"index": 1, "error": {"code": "...", "message": "...", "status_code": 424}}
  "body" is the parsed JSON when the answer is JSON, else its text ("body_base64" when
  it is not UTF-8).

exit status: 0 every record in the output succeeded, 1 some failed, 252 unusable
  options, input or output (nothing was sent), 253 no credentials or region,
  130 interrupted (the output holds whole lines: --resume continues it)

example:
  aiosagemaker-runtime invoke-endpoint-batch --endpoint-name my-endpoint \\
      --input records.jsonl --output scores.jsonl --concurrency 64
  (interrupted?) the same command with --resume continues where it stopped.
"""


def add_batch_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    parser = commands.add_parser(
        "invoke-endpoint-batch",
        parents=parents,
        help="send every line of a JSON Lines file to an endpoint; results as JSON Lines",
        description=(
            "Send every line of a JSON Lines file to an endpoint (InvokeEndpoint), many at\n"
            "a time, backing off when the endpoint throttles; write one JSON line per record\n"
            "as results arrive. A progress bar runs on stderr when it is a terminal; a\n"
            "summary line ends the run."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--endpoint-name", required=True, metavar="STRING")
    parser.add_argument("--input", required=True, metavar="FILE", help="JSON Lines; '-': stdin")
    parser.add_argument(
        "--output", required=True, metavar="FILE", help="JSON Lines results; '-': stdout"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=_DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"calls in flight at most (default {_DEFAULT_CONCURRENCY}); fewer while the "
        "endpoint throttles",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue into an existing output: records already in it are not sent again",
    )
    parser.add_argument(
        "--input-format",
        choices=("body", "members"),
        default="body",
        help="what an input line is (see below)",
    )
    parser.add_argument(
        "--content-type",
        default="application/json",
        metavar="STRING",
        help="ContentType of the requests (default application/json)",
    )
    parser.add_argument("--accept", metavar="STRING", help="Accept of the requests")
    parser.set_defaults(operation="InvokeEndpoint")


@dataclass
class _Run:
    """What a run needs and what it counted."""

    args: argparse.Namespace
    input_fd: int
    output: Output
    done: Done
    builder: RecordBuilder
    total: int | None
    ok: int = 0
    failed: int = 0
    throttled: int = 0
    lines_read: int = 0
    latencies: Latencies = field(default_factory=Latencies)
    started: float = field(default_factory=time.perf_counter)
    bar: tqdm | None = None


def run_batch(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    import anyio

    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {args.concurrency}")
    if args.resume and args.output == "-":
        raise UsageError("--resume needs an output file, not '-'")
    run = _prepare(args)
    interrupted = False
    try:
        anyio.run(_execute, run)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        run.output.close()
        if run.input_fd > 2:
            os.close(run.input_fd)
        if run.bar is not None:
            run.bar.close()
    _summary(run, interrupted, sys.stderr)
    if interrupted:
        return 130
    return 0 if run.failed == 0 and run.done.failed == 0 else EXIT_SOME_FAILED


def _prepare(args: argparse.Namespace) -> _Run:
    """Open the input and the output; nothing is sent before both are usable."""
    if args.input == "-":
        input_fd = sys.stdin.fileno()
    else:
        try:
            input_fd = os.open(args.input, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            raise UsageError(
                f"cannot read --input {args.input}: {error.strerror or error}"
            ) from None
        if os.path.isdir(args.input):
            os.close(input_fd)
            raise UsageError(f"cannot read --input {args.input}: it is a directory")
    try:
        done = Done(bytearray())
        if args.resume and os.path.exists(args.output):
            done = scan_output(args.output)
        output = Output(args.output, resume=args.resume)
    except OutputError as error:
        _close(input_fd)
        raise UsageError(str(error)) from None
    except OSError as error:
        _close(input_fd)
        raise UsageError(
            f"cannot write --output {args.output}: {error.strerror or error}"
        ) from None
    defaults: dict[str, Any] = {"endpoint_name": args.endpoint_name}
    if args.content_type:
        defaults["content_type"] = args.content_type
    if args.accept:
        defaults["accept"] = args.accept
    builder = RecordBuilder(args.input_format, defaults)
    total = None
    show_bar = sys.stderr.isatty()
    if show_bar and args.input != "-" and os.path.isfile(args.input):
        total = max(0, _count_lines(args.input) - done.count)
    run = _Run(args, input_fd, output, done, builder, total)
    if done.truncated:
        sys.stderr.write(
            f"{args.output}: cut off a torn last line ({done.truncated} bytes); "
            "its record is sent again\n"
        )
    if show_bar:
        from tqdm import tqdm

        run.bar = tqdm(total=total, unit="rec", file=sys.stderr, dynamic_ncols=True)
    return run


def _close(fd: int) -> None:
    if fd > 2:
        os.close(fd)


def _count_lines(path: str) -> int:
    lines = 0
    last = b"\n"
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


async def _records(run: _Run) -> Any:
    """The records still to send, read lazily (lines already in the output skipped)."""
    index = -1
    async for line in input_lines(run.input_fd):
        index += 1
        run.lines_read = index + 1
        if run.done.has(index):
            continue
        yield run.builder.build(index, line)


async def _execute(run: _Run) -> None:
    from .. import SageMakerRuntimeClient
    from ..bulk import invoke_many

    args = run.args
    # max_attempts=1: the run retries (see bulk's docs)
    async with SageMakerRuntimeClient(**client_arguments(args, max_attempts=1)) as client:

        async def invoke(record: Record) -> Any:
            if record.problem is not None:
                raise MalformedRecord(record.problem)
            return await client.invoke_endpoint(**record.kwargs)

        async with invoke_many(
            invoke,
            _records(run),
            concurrency=args.concurrency,
            ordered=False,
            max_transient_retries=_TRANSIENT_RETRIES,
            on_progress=lambda progress: _progress(run, progress),
        ) as results:
            async for result in results:
                _raise_if_configuration(result.error)
                record: Record = result.request
                run.output.write(result_line(record.index, result.output, result.error))
                if result.ok:
                    run.ok += 1
                    run.latencies.add(result.elapsed)
                else:
                    run.failed += 1
            run.throttled = results.progress.throttled


def _raise_if_configuration(error: BaseException | None) -> None:
    """Missing credentials or region are the run's problem, not a record's: stop (253)."""
    from .. import CredentialsError, ParamValidationError

    if isinstance(error, CredentialsError) or (
        isinstance(error, ParamValidationError) and error.member == "region_name"
    ):
        raise error


def _progress(run: _Run, progress: BulkProgress) -> None:
    run.throttled = progress.throttled
    bar = run.bar
    if bar is not None:
        bar.set_postfix_str(
            f"failed={progress.failed} in-flight={progress.in_flight} limit={progress.concurrency}",
            refresh=False,
        )
        bar.update(1)


def _summary(run: _Run, interrupted: bool, stream: IO[str]) -> None:
    elapsed = time.perf_counter() - run.started
    done = run.ok + run.failed
    rate = done / elapsed if elapsed > 0 else 0.0
    p50 = run.latencies.percentile(0.5) * 1000
    p99 = run.latencies.percentile(0.99) * 1000
    parts = [
        f"{done} records: {run.ok} ok, {run.failed} failed",
        f"{rate:.1f} records/s",
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms",
    ]
    if run.throttled:
        parts.append(f"{run.throttled} throttles absorbed")
    if run.done.count:
        parts.append(f"{run.done.count} already in {run.args.output} ({run.done.failed} failed)")
    line = "; ".join(parts)
    if interrupted:
        line = f"interrupted: {line}; run again with --resume to continue"
    elif run.done.count and run.done.indices.rfind(1) >= run.lines_read:
        line += f"; warning: {run.args.output} has results for lines beyond the input"
    stream.write(f"invoke-endpoint-batch: {line}\n")
    stream.flush()
