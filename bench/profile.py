"""Profile one client kind's InvokeEndpoint loop against the bench server.

``python -m bench.profile --kind ours [--concurrency 1] [--requests 3000] [--size 1024]
[--top 35] [--out FILE.prof]`` starts the bench server, warms the client up, measures CPU
per request without the profiler, then runs the same loop under cProfile and prints the
top functions by own time and by cumulative time, plus the share of own time per area
(validation, serialization, signing, transport/engine, parsing, event loop, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from .kinds import bench_environment, open_kind
from .worker import drive, make_body

ROOT = Path(__file__).resolve().parent.parent

# First match wins: (area, substrings of the file path or function name).
AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("signing", ("aiosagemaker_runtime/_signing.py", "aiosagemaker_runtime/_credentials.py")),
    ("hashing (sha256/hmac)", ("hashlib", "hmac", "openssl_sha256")),
    ("serialization", ("aiosagemaker_runtime/_serialize.py",)),
    (
        "response parsing",
        ("aiosagemaker_runtime/_parse.py", "aiosagemaker_runtime/_errors_parse.py"),
    ),
    (
        "validation (pydantic)",
        ("/pydantic", "aiosagemaker_runtime/_shapes.py", "aiosagemaker_runtime/_generated"),
    ),
    (
        "client pipeline",
        (
            "aiosagemaker_runtime/_client.py",
            "aiosagemaker_runtime/_pipeline.py",
            "aiosagemaker_runtime/_retry.py",
            "uuid",
        ),
    ),
    (
        "our transport adapter",
        ("aiosagemaker_runtime/_transport.py", "aiosagemaker_runtime/_aiohttp_transport.py"),
    ),
    ("httpx2/httpcore2/h11", ("/httpx2/", "/httpcore2/", "/h11/")),
    ("aiohttp", ("/aiohttp/", "/multidict/", "/yarl/", "/propcache/")),
    ("botocore/aiobotocore", ("/botocore/", "/aiobotocore/")),
    ("anyio/sniffio", ("/anyio/", "/sniffio/")),
    ("asyncio/selectors", ("/asyncio/", "selectors.py", "select.epoll")),
    ("socket send/recv", ("_socket.socket",)),
]


def area_of(filename: str, funcname: str) -> str:
    text = f"{filename}:{funcname}"
    for area, needles in AREAS:
        if any(n in text for n in needles):
            return area
    if filename == "~":
        return "builtins (C)"
    return "other python"


def by_area(stats: pstats.Stats) -> tuple[dict[str, float], dict[str, list[tuple[float, str]]]]:
    """Own time per area, and each area's functions (own time, name), largest first."""
    totals: dict[str, float] = defaultdict(float)
    funcs: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (filename, line, funcname), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        area = area_of(filename, funcname)
        totals[area] += tt
        funcs[area].append((tt, f"{Path(filename).name}:{line}({funcname})"))
    for entries in funcs.values():
        entries.sort(reverse=True)
    return dict(totals), dict(funcs)


async def run(args: argparse.Namespace, base: str) -> None:
    body = make_body(args.size)
    client = await open_kind(args.kind, base, args.concurrency)
    try:
        await drive(client, body, args.concurrency, max(200, 2 * args.concurrency))
        c0 = time.process_time()
        await drive(client, body, args.concurrency, args.requests)
        plain = (time.process_time() - c0) / args.requests * 1e6
        profiler = cProfile.Profile()
        c0 = time.process_time()
        profiler.enable()
        await drive(client, body, args.concurrency, args.requests)
        profiler.disable()
        profiled = (time.process_time() - c0) / args.requests * 1e6
    finally:
        await client.close()
    print(
        f"{args.kind}: {args.size} B, concurrency {args.concurrency}, {args.requests} requests; "
        f"client CPU {plain:.0f} us/request without the profiler, {profiled:.0f} with it"
    )
    if args.out:
        profiler.dump_stats(args.out)
    stats = pstats.Stats(profiler)
    areas, funcs = by_area(stats)
    total = sum(areas.values()) or 1.0
    print("\nown time by area (share of profiled time; us/request scaled to the unprofiled CPU)")
    for area, tt in sorted(areas.items(), key=lambda kv: -kv[1]):
        top = ", ".join(name for _, name in funcs[area][:3])
        print(f"  {area:<24} {tt / total:6.1%}  ~{tt / total * plain:7.1f} us   {top}")
    for sort in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).strip_dirs().sort_stats(sort).print_stats(args.top)
        lines = buf.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        print(f"\ntop {args.top} by {sort} (per-call times are per profiled call)")
        print("\n".join(lines[start:]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", default="ours")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--out", help="also write the raw profile (pstats) here")
    args = parser.parse_args(argv)
    env = bench_environment()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.server"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        asyncio.run(run(args, f"http://127.0.0.1:{port}"))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
