"""Profile one client kind's InvokeEndpoint loop against the bench server.

``python -m bench.profile --kind ours [--concurrency 1] [--requests 3000] [--size 1024]
[--top 35] [--out FILE.prof] [--https]`` starts the bench server (``--https``: its TLS
port, the client trusting a CA made for the run as in ``python -m bench``; the AWS
clients through ``AWS_CA_BUNDLE``), warms the client up, measures CPU
per request without the profiler, then runs the same loop under cProfile and prints the
top functions by own time and by cumulative time, plus the share of own time per area
(validation, serialization, signing, transport/engine, parsing, event loop, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from .kinds import bench_environment, open_kind
from .tls import make_tls_files
from .worker import drive, make_body

ROOT = Path(__file__).resolve().parent.parent

# First match wins: (area, substrings of the file path or function name).
_PKG = "aiosagemaker_runtime/"
AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("signing", (_PKG + "_auth/",)),
    ("hashing (sha256/hmac)", ("hashlib", "hmac", "openssl_sha256")),
    # ssl.py, the C methods of _ssl objects (SSLObject, MemoryBIO), asyncio's TLS protocol
    # (aiohttp, aiobotocore) and anyio's TLS stream (httpcore2 on anyio).
    ("TLS", ("/ssl.py", "_ssl.", "sslproto.py", "anyio/streams/tls.py")),
    ("serialization", (_PKG + "_protocol/serialize", _PKG + "_protocol/fastinput")),
    ("response parsing", (_PKG + "_protocol/parse", _PKG + "_protocol/errors.py")),
    ("validation (pydantic)", ("/pydantic", _PKG + "_protocol/shapes.py", _PKG + "_generated")),
    (
        "client pipeline",
        (
            _PKG + "_client.py",
            _PKG + "_pipeline.py",
            _PKG + "_retry.py",
            _PKG + "_endpoints/",
            _PKG + "_protocol/",
            _PKG + "_http.py",
            _PKG + "_ids.py",
            _PKG + "_useragent.py",
            "uuid",
        ),
    ),
    ("our transport adapter", (_PKG + "_transports/",)),
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
    parser.add_argument("--https", action="store_true", help="over loopback TLS")
    args = parser.parse_args(argv)
    env = bench_environment()
    cmd = [sys.executable, "-m", "bench.server"]
    with tempfile.TemporaryDirectory(prefix="bench-tls-") as tmp:
        if args.https:
            tls = make_tls_files(tmp)
            cmd += ["--tls-cert", tls.cert, "--tls-key", tls.key]
            os.environ["AWS_CA_BUNDLE"] = tls.bundle  # this process runs the client
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline().split()[1])
            if args.https:
                port = int(server.stdout.readline().split()[1])
            scheme = "https" if args.https else "http"
            asyncio.run(run(args, f"{scheme}://127.0.0.1:{port}"))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
