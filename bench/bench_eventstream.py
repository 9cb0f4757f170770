"""Event-stream decoder throughput: ours beside botocore's EventStreamBuffer, same run.

Standalone: ``python bench/bench_eventstream.py [--rounds N] [--frames N] [--payload BYTES]``.
The input is a stream of SageMaker ``PayloadPart`` frames (three string headers and a
1 KiB payload by default), fed to both decoders in the same chunking. Two chunkings are
measured: one frame per chunk (how tokens arrive from a streaming model) and 64 KiB
chunks (a busy connection). Each round decodes the whole stream with each decoder in
turn; the figures are the medians of the rounds, in MB/s of frame bytes (1 MB = 10**6
bytes) per CPU second of the process (so that other processes on the machine do not
skew them; the wall-clock medians are printed below the table), and the ratio of the
medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Sequence

from botocore.eventstream import EventStreamBuffer

from aiosagemaker_runtime._protocol.eventstream import EventStreamDecoder, encode_message

HEADERS = (
    (":event-type", "PayloadPart"),
    (":content-type", "application/octet-stream"),
    (":message-type", "event"),
)


def make_stream(frames: int, payload_size: int) -> bytes:
    payload = os.urandom(payload_size)
    return b"".join(encode_message(HEADERS, payload) for _ in range(frames))


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def ours(chunks: Sequence[bytes]) -> int:
    decoder = EventStreamDecoder()
    count = 0
    for chunk in chunks:
        count += len(decoder.feed(chunk))
    decoder.finish()
    return count


def botocore(chunks: Sequence[bytes]) -> int:
    buffer = EventStreamBuffer()
    count = 0
    for chunk in chunks:
        buffer.add_data(chunk)
        for _message in buffer:
            count += 1
    return count


def timed(
    decode: Callable[[Sequence[bytes]], int], chunks: Sequence[bytes], frames: int
) -> tuple[float, float]:
    """MB/s of one full decode of ``chunks``: per CPU second of this process, and per
    wall-clock second."""
    nbytes = sum(len(c) for c in chunks)
    wall, cpu = time.perf_counter(), time.process_time()
    count = decode(chunks)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if count != frames:
        raise SystemExit(f"{decode.__name__} decoded {count} of {frames} frames")
    return nbytes / max(cpu, 1e-9) / 1e6, nbytes / wall / 1e6


def measure(chunks: Sequence[bytes], frames: int, rounds: int) -> list[float]:
    """Medians (ours CPU, botocore CPU, ours wall, botocore wall) in MB/s; rounds
    alternate between the decoders so both see the same machine load."""
    samples: list[list[float]] = [[], [], [], []]
    for _ in range(rounds):
        mine_cpu, mine_wall = timed(ours, chunks, frames)
        theirs_cpu, theirs_wall = timed(botocore, chunks, frames)
        for column, value in zip(
            samples, (mine_cpu, theirs_cpu, mine_wall, theirs_wall), strict=True
        ):
            column.append(value)
    return [statistics.median(column) for column in samples]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--frames", type=int, default=5000)
    parser.add_argument("--payload", type=int, default=1024, help="payload bytes per frame")
    args = parser.parse_args(argv)

    stream = make_stream(args.frames, args.payload)
    frame_size = len(stream) // args.frames
    print(
        f"event-stream decoding: {args.frames} frames of {frame_size} bytes "
        f"({args.payload} B payload), median of {args.rounds} rounds"
    )
    print(f"{'chunking':<18} {'ours MB/s':>10} {'botocore MB/s':>14} {'ratio':>7}")
    walls = []
    for label, chunks in (
        ("frame per chunk", chunked(stream, frame_size)),
        ("64 KiB chunks", chunked(stream, 64 * 1024)),
    ):
        ours(chunks), botocore(chunks)  # warm-up
        mine, theirs, mine_wall, theirs_wall = measure(chunks, args.frames, args.rounds)
        print(f"{label:<18} {mine:>10.1f} {theirs:>14.1f} {mine / theirs:>6.1f}x")
        walls.append(f"{label}: ours {mine_wall:.1f}, botocore {theirs_wall:.1f}")
    print("(MB/s per CPU second of the decoding process; wall clock: " + "; ".join(walls) + ")")


if __name__ == "__main__":
    main()
