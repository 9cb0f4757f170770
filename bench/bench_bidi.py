"""Bidirectional streams (issue 16 item 7): an echo exchange of 1,000 parts of 1 KiB
against serve-local over h2c, our client beside a raw h2 client (the floor), same run.

The server is serve-local in its own process (``--endpoint echo=echo``, no credentials:
it checks no signature, so it does the same work for both kinds: it unwraps our signed
frames and takes the floor's unsigned events as they are, and answers each part as it
decodes it). Two kinds, each in a fresh process per round, order alternating per round:

* ``ours``: ``SageMakerRuntimeHTTP2Client.invoke_endpoint_with_bidirectional_stream``,
  bytes parts (BINARY), each signed (SigV4 event signing), output parts as
  ``ResponsePayloadPart`` models;
* ``h2-floor``: h2 (python-hyper) over an anyio socket, one connection, the same
  request path and windows as our engine (1 MiB per stream, 16 MiB per connection),
  each part encoded as an unsigned ``PayloadPart`` event message and the output decoded
  with the same event-stream codec (``_protocol.eventstream``): what any client of
  this exchange pays at least, without signing, models or our engine's layers.

Two modes, each one exchange on a new stream of a warmed connection (a warm-up exchange
of 100 parts per mode first), the whole exchange timed (call, parts, end of input, end
of output): ``one at a time`` (send a part, wait for its echo, send the next) and
``pipelined`` (a task sends the 1,000 parts while the output is read). Reported per
mode: client CPU per part (the worker process's CPU time over the exchange / 1,000,
all threads) and parts/s (wall clock), medians of rounds, and the median of per-round
ratios ours / floor (target: <= 2x, ``bench.targets``).

``make bench`` runs it after the main rounds (``--no-bidi`` skips it);
``python -m bench.bench_bidi [--quick]`` runs it alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from .measured import fmt, fmt_ratio, median
from .processes import ROOT, log, run_child

KINDS = ("ours", "h2-floor")
LABELS = {"ours": "aiosagemaker-runtime", "h2-floor": "raw h2 (floor, unsigned)"}
MODES = ("one at a time", "pipelined")
PATH = "/endpoints/echo/invocations-bidirectional-stream"
PART = 1024
WARMUP = 100


def plan(quick: bool) -> dict[str, int]:
    """Rounds and parts per exchange: ~40 s (quick) and ~70 s (full) on 2 cores."""
    return {"rounds": 3 if quick else 5, "parts": 1000}


@contextmanager
def serve_local(env: dict[str, str]) -> Iterator[str]:
    """serve-local with an echo endpoint, in its own process; its URL."""
    command = [sys.executable, "-m", "aiosagemaker_runtime", "serve-local", "--port", "0"]
    proc = subprocess.Popen(
        [*command, "--endpoint", "echo=echo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("serving on "):
            raise RuntimeError(f"serve-local did not start: {line!r}")
        yield line.split()[-1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(env: dict[str, str], p: dict[str, int]) -> dict[str, Any]:
    """``{"rounds": {round: {kind: {mode: result}}}, "errors": {...}, "plan": p}``."""
    rounds: dict[int, dict[str, dict[str, Any]]] = {}
    errors: dict[str, str] = {}
    with serve_local(env) as url:
        for rnd in range(p["rounds"]):
            for kind in KINDS if rnd % 2 == 0 else KINDS[::-1]:
                cmd = ["bench.bench_bidi", "--worker", kind, "--url", url]
                got, err = run_child([*cmd, "--parts", str(p["parts"])], env, 300)
                for result in got:
                    rounds.setdefault(rnd, {})[kind] = result
                if err:
                    errors[kind] = err
                    log(f"  bidi {kind}: {err}")
    return {"rounds": rounds, "errors": errors, "plan": p}


def run(env: dict[str, str], quick: bool) -> dict[str, Any]:
    """The rows for ``make bench`` (``env`` with the repository on ``PYTHONPATH``)."""
    started = time.perf_counter()
    result = measure(env, plan(quick))
    log(f"bidirectional streams done ({time.perf_counter() - started:.0f} s)")
    return result


def ratio(result: dict[str, Any], mode: str, key: str = "cpu_us") -> float:
    """Median of per-round ratios ours / floor of ``key`` in ``mode``."""
    values = []
    for per in result.get("rounds", {}).values():
        ours, floor = per.get("ours", {}).get(mode), per.get("h2-floor", {}).get(mode)
        if ours and floor and floor[key]:
            values.append(ours[key] / floor[key])
    return median(values)


def section(result: dict[str, Any] | None) -> list[str]:
    """The report's section: per kind and mode, CPU per part and parts/s."""
    lines = ["## Bidirectional streams (HTTP/2)", ""]
    if not result or not result.get("rounds"):
        return [*lines, "Not measured.", ""]
    p = result["plan"]
    rounds = result["rounds"]
    lines += [
        f"`bench/bench_bidi.py`: one echo exchange of {p['parts']:,} parts of 1 KiB per mode "
        f"against serve-local over h2c (its own process, no signature checks), after a "
        f"{WARMUP}-part warm-up exchange on the same connection; each kind in a fresh "
        f"process per round, {p['rounds']} rounds, order alternating. The floor is a raw "
        "h2 client with our event-stream codec, unsigned. CPU is the client process's "
        "per part; medians of rounds; ratios are medians of per-round ratios.",
        "",
        "| mode | client | CPU us/part | vs floor | parts/s |",
        "|---|---|---|---|---|",
    ]
    for mode in MODES:
        for kind in KINDS:
            cpu = median([per[kind][mode]["cpu_us"] for per in rounds.values() if kind in per])
            rate = median(
                [per[kind][mode]["parts_per_s"] for per in rounds.values() if kind in per]
            )
            shown = fmt_ratio(ratio(result, mode)) if kind == "ours" else "1.00x"
            lines.append(f"| {mode} | {LABELS[kind]} | {fmt(cpu, 1)} | {shown} | {fmt(rate)} |")
    lines.append("")
    for kind, err in result.get("errors", {}).items():
        lines.append(f"- {kind}: {err}")
    return lines


# --------------------------------------------------------------------------- workers


async def _timed(exchange: Callable[[int], Awaitable[int]], parts: int) -> dict[str, float]:
    await exchange(WARMUP)
    cpu, wall = time.process_time(), time.perf_counter()
    got = await exchange(parts)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if got != parts * PART:
        raise RuntimeError(f"{got} bytes echoed for {parts} parts of {PART}")
    return {"cpu_us": cpu / parts * 1e6, "parts_per_s": parts / wall, "wall_s": wall}


async def _ours(url: str, parts: int) -> dict[str, Any]:
    from aiosagemaker_runtime import SageMakerRuntimeHTTP2Client

    payload = os.urandom(PART)
    async with SageMakerRuntimeHTTP2Client(endpoint_url=url) as client:

        async def one_at_a_time(n: int) -> int:
            received = 0
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            async with stream:
                for _ in range(n):
                    await stream.send(payload)
                    received += len((await anext(stream)).bytes or b"")
                await stream.end_input()
                async for part in stream:
                    received += len(part.bytes or b"")
            return received

        async def pipelined(n: int) -> int:
            received = 0
            stream = await client.invoke_endpoint_with_bidirectional_stream(endpoint_name="echo")
            async with stream:
                async for part in stream.exchange(payload for _ in range(n)):
                    received += len(part.bytes or b"")
            return received

        return {
            "one at a time": await _timed(one_at_a_time, parts),
            "pipelined": await _timed(pipelined, parts),
        }


async def _floor(url: str, parts: int) -> dict[str, Any]:
    import anyio

    from .h2floor import FloorConnection

    payload = os.urandom(PART)
    address = urlsplit(url)
    async with FloorConnection(address.hostname or "127.0.0.1", address.port or 80) as conn:

        async def one_at_a_time(n: int) -> int:
            stream = await conn.open(PATH)
            for _ in range(n):
                await stream.send(payload)

                def echoed(target: int = stream.count + 1) -> bool:
                    return stream.count >= target

                await stream.wait_for(echoed)
            await stream.end()
            await stream.wait_for(lambda: stream.ended)
            return stream.received

        async def pipelined(n: int) -> int:
            stream = await conn.open(PATH)

            async def send_all() -> None:
                for _ in range(n):
                    await stream.send(payload)
                await stream.end()

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(send_all)
                await stream.wait_for(lambda: stream.ended)
            return stream.received

        return {
            "one at a time": await _timed(one_at_a_time, parts),
            "pipelined": await _timed(pipelined, parts),
        }


def worker(kind: str, url: str, parts: int) -> None:
    import anyio

    run = _ours if kind == "ours" else _floor
    result = anyio.run(run, url, parts)
    print("RESULT " + json.dumps(result), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_bidi", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 5")
    parser.add_argument("--worker", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--parts", type=int, default=1000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.url, args.parts)
        return 0

    from .kinds import bench_environment
    from .targets import BIDI_VS_FLOOR

    env = bench_environment()
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    result = measure(env, plan(args.quick))
    print("\n".join(section(result)))
    for mode in MODES:
        value = ratio(result, mode)
        verdict = "PASS" if value <= BIDI_VS_FLOOR else "MISS"
        print(f"{mode}: CPU/part vs the floor {fmt_ratio(value)} (<= {BIDI_VS_FLOOR}x: {verdict})")
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
