"""One client kind in its own process: measures the configurations it is given.

``python -m bench.worker --kind K --base http://127.0.0.1:PORT --configs JSON`` prints one
``RESULT {...}`` line per configuration. Per configuration: warm-up requests (connections
opened), then ``requests`` timed requests at ``concurrency``; reported are client CPU
microseconds per request (``time.process_time`` delta, all threads), req/s, p50/p99 latency,
peak RSS growth (VmHWM reset via ``/proc/self/clear_refs`` before the warm-up, minus the RSS
at that moment) and the server's CPU share over the timed window (asked of the server's
plain-HTTP port, ``--stats``, also when the kind talks to its TLS port).

``--serve`` keeps the process for the whole run and reads configuration lists from stdin.
``--leak N`` instead runs N calls at concurrency 16 and prints RSS samples.
``--probe`` only checks that the kind can be created (prints ``PROBE ok`` or the reason).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import itertools
import json
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from .kinds import Client, open_kind, probe

_RSS = re.compile(rb"VmRSS:\s+(\d+) kB")
_HWM = re.compile(rb"VmHWM:\s+(\d+) kB")


def _status() -> bytes:
    with open("/proc/self/status", "rb") as f:
        return f.read()


def rss_kib() -> int:
    m = _RSS.search(_status())
    return int(m.group(1)) if m else 0


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_kib() -> int:
    m = _HWM.search(_status())
    if m:
        return int(m.group(1))
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def server_stats(base: str) -> dict[str, float]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", "/_stats")
        return json.loads(conn.getresponse().read())  # type: ignore[no-any-return]
    finally:
        conn.close()


def make_body(size: int) -> bytes:
    pattern = b'{"inputs": [0.123, 4.567, 8.901], "pad": "abcdefghijklmnopqrstuvwxyz"}\n'
    return (pattern * (size // len(pattern) + 1))[:size]


async def drive(client: Client, body: bytes, concurrency: int, n: int) -> list[float]:
    """Run ``n`` calls with ``concurrency`` in flight; per-call latencies in seconds."""
    latencies: list[float] = []
    counter = itertools.count()
    perf = time.perf_counter

    if client.sync:
        invoke_sync = client.invoke

        def thread_loop() -> None:
            append = latencies.append
            while next(counter) < n:
                t = perf()
                invoke_sync(body)
                append(perf() - t)

        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            await asyncio.gather(
                *(loop.run_in_executor(pool, thread_loop) for _ in range(concurrency))
            )
        return latencies

    invoke = client.invoke

    async def task_loop() -> None:
        append = latencies.append
        while next(counter) < n:
            t = perf()
            await invoke(body)
            append(perf() - t)

    await asyncio.gather(*(task_loop() for _ in range(concurrency)))
    return latencies


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    idx = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[idx]


async def measure(kind: str, base: str, config: dict[str, Any], stats: str) -> dict[str, Any]:
    size = int(config["size"])
    concurrency = int(config["concurrency"])
    n = int(config["requests"])
    warmup = int(config.get("warmup", max(2 * concurrency, 20)))
    body = make_body(size)
    client = await open_kind(kind, base, concurrency)
    try:
        got = await client.invoke(body) if not client.sync else client.invoke(body)
        if got != size:
            raise RuntimeError(f"{kind}: echoed {got} bytes, sent {size}")
        # Growth is measured from here: imports and client creation are not load.
        gc.collect()
        rss_before = rss_kib()
        peak_ok = reset_peak()
        await drive(client, body, concurrency, warmup)
        s0 = server_stats(stats)
        c0 = time.process_time()
        t0 = time.perf_counter()
        latencies = await drive(client, body, concurrency, n)
        t1 = time.perf_counter()
        c1 = time.process_time()
        s1 = server_stats(stats)
        peak = peak_kib()
    finally:
        await client.close()
    wall = t1 - t0
    latencies.sort()
    return {
        "kind": kind,
        "scheme": urlsplit(base).scheme,
        "size": size,
        "concurrency": concurrency,
        "requests": n,
        "cpu_us": (c1 - c0) / n * 1e6,
        "rps": n / wall,
        "p50_ms": _percentile(latencies, 0.50) * 1e3,
        "p99_ms": _percentile(latencies, 0.99) * 1e3,
        "mean_ms": statistics.fmean(latencies) * 1e3,
        "rss_growth_mib": max(0, peak - rss_before) / 1024,
        "rss_peak_reset": peak_ok,
        "server_cpu_share": (s1["cpu"] - s0["cpu"]) / wall,
        "client_cpu_share": (c1 - c0) / wall,
    }


async def leak(kind: str, base: str, calls: int, samples: int) -> dict[str, Any]:
    body = make_body(1024)
    client = await open_kind(kind, base, 16)
    rss: list[int] = []
    try:
        await drive(client, body, 16, 1000)  # warm-up: pools, caches, allocator arenas
        step = max(1, calls // samples)
        done = 0
        t0 = time.perf_counter()
        while done < calls:
            await drive(client, body, 16, step)
            done += step
            rss.append(rss_kib())
        wall = time.perf_counter() - t0
    finally:
        await client.close()
    quarter = max(1, len(rss) // 4)
    first = statistics.median(rss[:quarter])
    last = statistics.median(rss[-quarter:])
    return {
        "kind": kind,
        "calls": done,
        "rss_kib": rss,
        "first_quarter_kib": first,
        "last_quarter_kib": last,
        "growth_kib": last - first,
        "wall_s": wall,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", required=True)
    parser.add_argument("--base", required=True, help="server base URL, http(s)://127.0.0.1:PORT")
    parser.add_argument("--stats", help="the server's plain-HTTP base URL (default: --base)")
    parser.add_argument("--configs", default="[]", help="JSON list of configurations")
    parser.add_argument("--leak", type=int, default=0, help="leak check: number of calls")
    parser.add_argument("--probe", action="store_true")
    parser.add_argument(
        "--serve", action="store_true", help="read JSON config lists from stdin, one per line"
    )
    args = parser.parse_args(argv)
    stats = args.stats or args.base

    if args.probe:
        reason = asyncio.run(probe(args.kind, args.base))
        print("PROBE ok" if reason is None else f"PROBE {reason}", flush=True)
        return
    if args.leak:
        result = asyncio.run(leak(args.kind, args.base, args.leak, 40))
        print("RESULT " + json.dumps(result), flush=True)
        return
    if args.serve:
        # One process per kind for the whole run: the orchestrator sends each round's
        # configurations when it is this kind's turn, so kinds still never overlap.
        for line in sys.stdin:
            if line.strip():
                run_configs(args.kind, args.base, json.loads(line), stats)
                print("DONE", flush=True)
        return
    run_configs(args.kind, args.base, json.loads(args.configs), stats)


def run_configs(kind: str, base: str, configs: list[dict[str, Any]], stats: str) -> None:
    for config in configs:
        try:
            result = asyncio.run(measure(kind, base, config, stats))
        except Exception as exc:
            print(f"ERROR {type(exc).__name__}: {exc}", flush=True)
            continue
        print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
