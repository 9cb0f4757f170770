"""One bulk measurement in its own process (``bench.bulk`` runs these).

``--mode cpu``: ``--records`` InvokeEndpoint calls of 1 KiB at ``--concurrency``,
through ``bulk.invoke_many`` (``--kind bulk``) or a plain loop as users write it
(``--kind loop``: a semaphore and one task per record, gathered). After one call and
``--warmup`` records (the connections opened), the timed records: client CPU per record
(``time.process_time``, all threads), records/s, and the peak RSS growth over warm-up
and timed records (VmHWM reset after the first call, minus the RSS then).

``--mode throttle``: ``--records`` calls through ``invoke_many`` against an endpoint
that throttles (``bench.bulk_server``), with a client of one attempt per call (the run
retries, as the bulk docs advise): ``--kind adaptive`` starts at ``--concurrency``,
``--kind fixed`` keeps it. Records/s over the whole run (the adaptive limit's descent
included), records that ended ok, throttles absorbed.

Prints one ``RESULT {...}`` line.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from typing import Any, Literal, cast

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient
from aiosagemaker_runtime.bulk import invoke_many

from .worker import make_body, peak_kib, reset_peak, rss_kib

Engine = Literal["httpx", "aiohttp"]

ENDPOINT = "bench-endpoint"


def _requests(body: bytes, n: int) -> Any:
    return ({"endpoint_name": ENDPOINT, "body": body} for _ in range(n))


async def through_bulk(client: SageMakerRuntimeClient, body: bytes, n: int, c: int) -> int:
    ok = 0
    async with invoke_many(client.invoke_endpoint, _requests(body, n), concurrency=c) as results:
        async for result in results:
            ok += result.ok
    return ok


async def through_loop(client: SageMakerRuntimeClient, body: bytes, n: int, c: int) -> int:
    semaphore = asyncio.Semaphore(c)

    async def one() -> Any:
        async with semaphore:
            return await client.invoke_endpoint(endpoint_name=ENDPOINT, body=body)

    outcomes = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
    return sum(not isinstance(outcome, BaseException) for outcome in outcomes)


async def measure_cpu(
    kind: str, base: str, n: int, c: int, warmup: int, engine: str
) -> dict[str, Any]:
    drive = through_bulk if kind == "bulk" else through_loop
    body = make_body(1024)
    config = ClientConfig(http_backend=cast(Engine, engine))
    async with SageMakerRuntimeClient(endpoint_url=base, config=config) as client:
        await client.invoke_endpoint(endpoint_name=ENDPOINT, body=body)
        gc.collect()
        rss_before = rss_kib()
        peak_ok = reset_peak()
        await drive(client, body, warmup, c)
        c0 = time.process_time()
        t0 = time.perf_counter()
        ok = await drive(client, body, n, c)
        t1 = time.perf_counter()
        c1 = time.process_time()
        peak = peak_kib()
    return {
        "mode": "cpu",
        "kind": kind,
        "records": n,
        "concurrency": c,
        "engine": engine,
        "ok": ok,
        "cpu_us": (c1 - c0) / n * 1e6,
        "rps": n / (t1 - t0),
        "rss_growth_mib": max(0, peak - rss_before) / 1024,
        "rss_peak_reset": peak_ok,
    }


async def measure_throttle(kind: str, base: str, n: int, c: int, engine: str) -> dict[str, Any]:
    body = make_body(1024)
    config = ClientConfig(max_attempts=1, http_backend=cast(Engine, engine))
    async with SageMakerRuntimeClient(endpoint_url=base, config=config) as client:
        # A few calls first (the interpreter and one connection warm), the same for both.
        async with invoke_many(
            client.invoke_endpoint, _requests(body, 8), concurrency=1, adaptive=False
        ) as results:
            async for _ in results:
                pass
        c0 = time.process_time()
        t0 = time.perf_counter()
        ok = 0
        async with invoke_many(
            client.invoke_endpoint, _requests(body, n), concurrency=c, adaptive=kind == "adaptive"
        ) as results:
            async for result in results:
                ok += result.ok
            progress = results.progress
        t1 = time.perf_counter()
        c1 = time.process_time()
    return {
        "mode": "throttle",
        "kind": kind,
        "records": n,
        "concurrency": c,
        "ok": ok,
        "rps": n / (t1 - t0),
        "throttled": progress.throttled,
        "final_limit": progress.concurrency,
        "cpu_us": (c1 - c0) / n * 1e6,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=("cpu", "throttle"), required=True)
    parser.add_argument("--kind", choices=("bulk", "loop", "adaptive", "fixed"), required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--engine", choices=("httpx", "aiohttp"), default="httpx")
    args = parser.parse_args(argv)
    if args.mode == "cpu":
        result = asyncio.run(
            measure_cpu(
                args.kind, args.base, args.records, args.concurrency, args.warmup, args.engine
            )
        )
    else:
        result = asyncio.run(
            measure_throttle(args.kind, args.base, args.records, args.concurrency, args.engine)
        )
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
