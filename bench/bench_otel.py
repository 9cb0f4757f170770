"""What tracing costs (issue 17 item 2): 1 KiB at c=16 over HTTP, traced and not, same run.

Two kinds (``bench.kinds``), each in its own long-lived worker, interleaved per round
(order alternating) against the run's bench server: ``ours``, OpenTelemetry never
imported (tracing off, as in every other row), and ``ours-otel``, the same client after
``otel.instrument()`` with an SDK tracer set up as in production (``BatchSpanProcessor``,
whose export thread's CPU is counted, into an ``InMemorySpanExporter``: no encoding or
sending, which a real exporter adds) and an SDK meter (``InMemoryMetricReader``).
Reported: client CPU per request (medians of rounds) and the median of per-round ratios.

Targets: traced <= 1.15x tracing off (same run); tracing off still meets the client's
own target at this configuration (<= 0.5x aiobotocore, issue 18, from the main rounds).

``make bench`` runs it after the main rounds (``--no-otel`` skips it);
``python -m bench.bench_otel [--quick]`` runs it alone with a server of its own.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .kinds import LABELS, bench_environment
from .measured import KIB, Measured, fmt, fmt_ratio, median, per_round_ratio
from .processes import PersistentWorker, bench_server, log

KINDS = ("ours", "ours-otel")
CONCURRENCY = 16
#: Traced vs tracing off, client CPU per request (issue 17).
TRACED_VS_OFF = 1.15
#: Tracing off vs aiobotocore at this configuration: the client's own target (issue 18).
OFF_VS_AIOBOTOCORE = 0.5


def plan(quick: bool) -> dict[str, int]:
    """Rounds and requests per round: ~25 s (quick) and ~1 min (full) on 2 cores."""
    if quick:
        return {"rounds": 3, "requests": 300, "warmup": 32}
    return {"rounds": 5, "requests": 1000, "warmup": 64}


def measure(base: str, env: dict[str, str], p: dict[str, int]) -> dict[str, Any]:
    """``{"rounds": {round: {kind: worker result}}, "errors": {...}, "plan": p}``."""
    config = [
        {"size": KIB, "concurrency": CONCURRENCY, "requests": p["requests"], "warmup": p["warmup"]}
    ]
    rounds: dict[int, dict[str, dict[str, Any]]] = {}
    errors: dict[str, str] = {}
    workers = {kind: PersistentWorker(kind, base, base, env) for kind in KINDS}
    try:
        for rnd in range(p["rounds"]):
            for kind in KINDS if rnd % 2 == 0 else KINDS[::-1]:
                got, err = workers[kind].run(config)
                for result in got:
                    rounds.setdefault(rnd, {})[kind] = result
                if err:
                    errors[kind] = err
                    log(f"  {kind}: {err}")
    finally:
        for worker in workers.values():
            worker.close()
    return {"rounds": rounds, "errors": errors, "plan": p}


def traced_ratio(result: dict[str, Any]) -> float:
    """Median of per-round ratios of client CPU per request, traced / off."""
    return per_round_ratio(result.get("rounds", {}), "ours-otel", "ours", "cpu_us")[0]


def target_rows(m: Measured) -> list[tuple[str, float, float, str, str]]:
    """``(name, value, limit, shown, issue)`` of the targets table (``bench.targets``)."""
    result = m.extra.get("otel")
    off = m.ratio("http", KIB, CONCURRENCY, "ours", "aiobotocore")
    traced = traced_ratio(result) if result else float("nan")
    return [
        (
            f"HTTP, default engine, 1 KiB, c={CONCURRENCY}, tracing off (OpenTelemetry not "
            "imported): client CPU/request vs aiobotocore",
            off,
            OFF_VS_AIOBOTOCORE,
            fmt_ratio(off) if m.has("http", KIB, CONCURRENCY) else "not run",
            "17, 18",
        ),
        (
            f"HTTP, default engine, 1 KiB, c={CONCURRENCY}: traced (SDK tracer, batch processor, "
            "in-memory exporter, SDK meter) vs tracing off, client CPU/request (same run)",
            traced,
            TRACED_VS_OFF,
            fmt_ratio(traced) if result else "not run",
            "17",
        ),
    ]


def section(result: dict[str, Any] | None) -> list[str]:
    """The report's section: per-round client CPU of both kinds and their ratio."""
    lines = ["## Tracing (OpenTelemetry)", ""]
    if not result or not result.get("rounds"):
        return [*lines, "Not measured.", ""]
    p = result["plan"]
    lines += [
        f"`bench/bench_otel.py`: 1 KiB over HTTP at concurrency {CONCURRENCY}, "
        f"{p['requests']} requests per round after {p['warmup']} warm-up ones, both kinds "
        "in long-lived workers, order alternating per round. Traced: `otel.instrument()` "
        "with an SDK `TracerProvider` as in production (`BatchSpanProcessor`, its export "
        "thread's CPU counted, into an `InMemorySpanExporter`, emptied every 256 calls: no "
        "encoding or sending, which a real exporter adds) and an SDK `MeterProvider` "
        "(`InMemoryMetricReader`); every call sampled. What the SDK costs per span and what "
        'our code costs: bench/PROFILE.md, "Tracing cost".',
        "",
        "| round | " + " | ".join(f"{LABELS[k]} CPU us/req" for k in KINDS) + " | ratio |",
        "|---|" + "---|" * (len(KINDS) + 1),
    ]
    rounds = result["rounds"]
    for rnd in sorted(rounds, key=int):
        per = rounds[rnd]
        cells = [fmt(per[k]["cpu_us"]) if k in per else "n/a" for k in KINDS]
        ratio = (
            per["ours-otel"]["cpu_us"] / per["ours"]["cpu_us"]
            if "ours" in per and "ours-otel" in per
            else float("nan")
        )
        lines.append(f"| {int(rnd) + 1} | " + " | ".join(cells) + f" | {fmt_ratio(ratio)} |")
    medians = [
        fmt(median([per[k]["cpu_us"] for per in rounds.values() if k in per])) for k in KINDS
    ]
    lines.append("| median | " + " | ".join(medians) + f" | {fmt_ratio(traced_ratio(result))} |")
    lines.append("")
    for kind, err in result.get("errors", {}).items():
        lines.append(f"- {kind}: {err}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_otel", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 300 requests")
    args = parser.parse_args(argv)
    env = bench_environment()
    with bench_server(env, None) as server:
        result = measure(server.http, env, plan(args.quick))
    print("\n".join(section(result)))
    traced = traced_ratio(result)
    verdict = "PASS" if traced <= TRACED_VS_OFF else "MISS"
    print(f"traced vs tracing off: {fmt_ratio(traced)} (<= {TRACED_VS_OFF}x: {verdict})")
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
