"""Files of ``invoke-endpoint-batch``: input lines as records, the result lines, the
output file (continued by ``--resume``) and the latency summary.

The output is JSON Lines, one line per input line, in completion order::

    {"index":0,"body":{"score":0.9},"content_type":"application/json","invoked_production_variant":"AllTraffic"}
    {"index":1,"error":{"code":"ModelError","message":"...","status_code":424}}

Each line goes out in one ``write(2)`` on a file opened with ``O_APPEND``: a killed run
leaves whole lines, at most the last one torn, which ``--resume`` cuts off.
"""

from __future__ import annotations

import bisect
import json
import math
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from .._bulk.fields import decode_body, error_fields
from ._options import members_for

__all__ = [
    "Done",
    "Latencies",
    "Output",
    "OutputError",
    "Record",
    "RecordBuilder",
    "input_lines",
    "result_line",
    "scan_output",
]

_CHUNK = 1 << 20


class OutputError(Exception):
    """The output file cannot be continued; the message says why."""


@dataclass(slots=True)
class Record:
    """One input line: its index and the call's keyword arguments, or what is wrong."""

    index: int
    kwargs: dict[str, Any]
    problem: str | None = None

    def __repr__(self) -> str:  # the arguments hold the body
        return f"Record(index={self.index}{', malformed' if self.problem else ''})"


class RecordBuilder:
    """Turns input lines into records: the line as the body (``body`` format) or a JSON
    object of InvokeEndpoint members in the model's spelling (``members`` format)."""

    def __init__(self, input_format: str, defaults: Mapping[str, Any]) -> None:
        self.members = input_format == "members"
        self.defaults = dict(defaults)
        self.attrs = {member.name: member.attr for member in members_for("InvokeEndpoint")}

    def build(self, index: int, line: bytes) -> Record:
        line = line[:-1] if line.endswith(b"\r") else line
        if not line.strip():
            return Record(index, {}, f"line {index + 1}: empty line")
        if not self.members:
            return Record(index, {**self.defaults, "body": line})
        try:
            data = json.loads(line)
        except ValueError as error:
            where = getattr(error, "colno", None)
            detail = getattr(error, "msg", str(error)) + (f" at column {where}" if where else "")
            return Record(index, {}, f"line {index + 1}: not valid JSON ({detail})")
        if not isinstance(data, dict):
            return Record(
                index, {}, f"line {index + 1}: expected a JSON object of InvokeEndpoint members"
            )
        unknown = sorted(str(key) for key in data if key not in self.attrs)
        if unknown:
            return Record(
                index,
                {},
                f"line {index + 1}: unknown member {', '.join(unknown)} "
                f"(InvokeEndpoint members: {', '.join(self.attrs)})",
            )
        if "Body" not in data:
            return Record(index, {}, f"line {index + 1}: Body is missing")
        kwargs = dict(self.defaults)
        for name, value in data.items():
            kwargs[self.attrs[name]] = value
        body = kwargs["body"]
        if isinstance(body, str):
            kwargs["body"] = body.encode("utf-8")
        else:  # a JSON value: sent as compact JSON
            kwargs["body"] = json.dumps(body, separators=(",", ":")).encode("utf-8")
        return Record(index, kwargs)


async def input_lines(fd: int) -> AsyncIterator[bytes]:
    """The lines of ``fd`` without their newline, read in a worker thread as they come
    (a pipe's lines are handed on as soon as they arrive)."""
    pending = b""
    while True:
        chunk = await anyio.to_thread.run_sync(os.read, fd, _CHUNK, abandon_on_cancel=True)
        if not chunk:
            break
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield line
    if pending:
        yield pending


def result_line(index: int, output: Any, error: BaseException | None) -> bytes:
    """One output line (with its newline) for a record."""
    data: dict[str, Any] = {"index": index}
    if error is not None:
        data["error"] = error_fields(error)
    else:
        key, value = decode_body(output.body, output.content_type)
        data[key] = value
        data["content_type"] = output.content_type
        data["invoked_production_variant"] = output.invoked_production_variant
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


@dataclass(slots=True)
class Done:
    """What an output file already holds."""

    indices: bytearray
    """``indices[i]`` is 1 when index ``i`` has its line."""
    count: int = 0
    failed: int = 0
    truncated: int = 0
    """Bytes of a torn last line that were cut off."""

    def has(self, index: int) -> bool:
        return index < len(self.indices) and self.indices[index] == 1


def scan_output(path: str) -> Done:
    """Read an existing output for ``--resume``: every index in it, a torn last line cut
    off. Raises :class:`OutputError` for a line that is not a result or an index twice."""
    done = Done(bytearray())
    with open(path, "r+b") as file:
        end = 0  # where the last whole line ends
        for number, line in enumerate(file, start=1):
            parsed = _parse(line)
            if not line.endswith(b"\n"):  # the last line, torn or missing its newline
                if parsed is None:
                    file.truncate(end)
                    done.truncated = len(line)
                    break
                file.write(b"\n")
            elif parsed is None:
                raise OutputError(f"{path} line {number} is not a result line; not resuming")
            end += len(line)
            index, failed = parsed
            if index >= len(done.indices):
                done.indices.extend(bytes(index + 1 - len(done.indices)))
            if done.indices[index]:
                raise OutputError(f"{path} holds index {index} twice; not resuming")
            done.indices[index] = 1
            done.count += 1
            done.failed += failed
    return done


def _parse(line: bytes) -> tuple[int, bool] | None:
    """``(index, failed)`` of a result line, or ``None``."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    index = data.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        return None
    return index, "error" in data


class Output:
    """The output: whole lines, each in one write, never interleaved."""

    def __init__(self, path: str, *, resume: bool) -> None:
        self.path = path
        if path == "-":
            self.fd = os.dup(1)
            return
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        if not resume and os.path.exists(path) and os.path.getsize(path) > 0:
            # Never append to, nor overwrite, a previous run's results unasked.
            raise OutputError(
                f"{path} exists and is not empty: pass --resume to continue it, or remove it"
            )
        self.fd = os.open(path, flags, 0o644)

    def write(self, line: bytes) -> None:
        view = memoryview(line)
        while view:
            view = view[os.write(self.fd, view) :]

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Latencies:
    """Percentiles of call latencies in constant memory: a histogram with buckets 2%
    apart from 0.1 ms to an hour (a percentile is off by at most 2%)."""

    _LOW = 1e-4
    _RATIO = 1.02
    _BUCKETS = math.ceil(math.log(36_000_000) / math.log(_RATIO)) + 2

    def __init__(self) -> None:
        self.counts = [0] * self._BUCKETS
        self.total = 0
        self._bounds = [self._LOW * self._RATIO**i for i in range(self._BUCKETS)]

    def add(self, seconds: float) -> None:
        bucket = bisect.bisect_left(self._bounds, seconds)
        self.counts[min(bucket, self._BUCKETS - 1)] += 1
        self.total += 1

    def percentile(self, fraction: float) -> float:
        """Seconds below which ``fraction`` of the latencies fall (upper bucket bound)."""
        if not self.total:
            return 0.0
        rank = max(1, math.ceil(fraction * self.total))
        seen = 0
        for bucket, count in enumerate(self.counts):
            seen += count
            if seen >= rank:
                return self._bounds[bucket]
        return self._bounds[-1]  # pragma: no cover - the counts add up to total
