"""Benchmark runner: ``python -m bench`` (full, ~14 min) or ``python -m bench --quick`` (~1.5 min).

One local server process (``bench.server``) serving plain HTTP and, on a second port,
TLS with a certificate from a CA made for the run (``bench.tls``); every client kind
runs in its own worker process (``bench.worker``), one per kind and scheme, kinds
interleaved per configuration (each configuration of a round run by every kind in turn,
the order rotated per round) against the same server. The 1 KiB
configurations (c=1, 16, 128) and the cold start run over HTTPS and HTTP; 5 MiB, the
leak check and event-stream decoding over HTTP only. Over HTTPS the AWS clients (ours
included) trust the CA through ``AWS_CA_BUNDLE``, the raw clients through an SSL
context (``bench.kinds``). Reported: medians over rounds and medians of per-round
ratios (vs aiobotocore; the aiohttp engine also vs raw aiohttp; cold start also vs the
pydantic floor and raw httpx2), then the targets of issues 6, 17 and 18 with PASS/MISS
(``bench.targets``), HTTPS first. After the main rounds, what tracing costs
(``bench.bench_otel``: 1 KiB at c=16 over HTTP, traced and not); after the cold starts,
the same cold start in instructions under callgrind (``bench.cold_instructions``, full
runs only, when valgrind is installed); at the end, the bulk
rows of issue 15 (``bench.bulk``: ``invoke_many`` against a plain loop, its memory, its
adaptive concurrency against an endpoint that throttles; ~2 min), then the
bidirectional-stream rows of issue 16 (``bench.bench_bidi``: an echo exchange of 1,000
parts of 1 KiB against serve-local over h2c, ours vs a raw h2 client). Writes
``bench/RESULTS.md`` (``--quick``: ``bench/RESULTS-quick.md``; rendered by
``bench.report``) and prints the same markdown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import bench_bidi, bench_otel, cold_instructions
from . import bulk as bulk_bench
from .kinds import EXTRA_KINDS, FLOOR, KINDS, bench_environment
from .measured import (
    COLD_KINDS,
    CONCURRENCIES,
    KIB,
    LEAK_CALLS,
    MIB,
    NO_TRIO,
    OURS,
    SIZE_LABEL,
    Measured,
    Results,
    cold_key,
)
from .processes import PersistentWorker, Server, bench_server, log, probe, run_child
from .report import machine, render, versions
from .tls import make_tls_files

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# --------------------------------------------------------------------------- plan


def plan(quick: bool) -> dict[str, Any]:
    """Rounds and request counts; sized for ~1.5 min (quick) and ~14 min (full) on 2 cores.

    ``schemes``: the 1 KiB configurations and the cold start run over each (5 MiB over
    HTTP only). ``cold_variants``: per scheme, the modules hidden in the cold-start runs
    ("trio": the targets' variant, see ``bench.report``; "": nothing hidden).
    """
    if quick:
        return {
            "rounds": 3,
            "rounds_big": 0,
            "sizes": (KIB,),
            "schemes": ("http", "https"),
            "requests": {(KIB, 1): 60, (KIB, 16): 150, (KIB, 128): 256},
            "warmup": {(KIB, 1): 10, (KIB, 16): 16, (KIB, 128): 128},
            "cold_runs": 3,
            "cold_variants": {"http": ("trio",), "https": ("trio",)},
            "leak": False,
        }
    return {
        # 1 KiB rounds: one kind's CPU per call moves +-15 % between rounds of the same
        # process on this machine (a 1,500-call round of raw aiohttp at c=128 read 200-282
        # us); with 5 rounds the medians of the per-round ratios moved by ~0.2 between
        # runs of the same code (the aiohttp engine's HTTPS c=128 row read 0.91-1.42x).
        "rounds": 9,
        # 5 MiB in every round: with 3, rows near 1.0x flipped between full runs of the
        # same code (c=16 RSS 0.87-1.00x, aiohttp c=128 CPU 0.83-1.06x).
        "rounds_big": 5,
        "sizes": (KIB, 5 * MIB),
        "schemes": ("http", "https"),
        "requests": {
            (KIB, 1): 400,
            (KIB, 16): 1000,
            (KIB, 128): 1500,
            (5 * MIB, 1): 40,  # c=1 at 5 MiB is the noisiest row (allocator page faults)
            (5 * MIB, 16): 48,
            (5 * MIB, 128): 128,
        },
        "warmup": {
            (KIB, 1): 40,
            (KIB, 16): 64,
            (KIB, 128): 128,
            (5 * MIB, 1): 2,
            (5 * MIB, 16): 16,
            (5 * MIB, 128): 0,  # 128 connections are opened by the timed requests themselves
        },
        # A run is ~0.3 s per kind; 15 of them make the median stable against this
        # machine's noise (page-cache reclaim moves single runs by +-20 %).
        "cold_runs": 15,
        # With trio installed only over HTTP (an information row, not a target).
        "cold_variants": {"http": ("", "trio"), "https": ("trio",)},
        "leak": True,
    }


def groups(
    sizes: Sequence[int], schemes: Sequence[str], p: dict[str, Any]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """``(scheme, configurations)`` measured together in one worker process, in run order.

    1 KiB: one long-lived process per kind and scheme for all three concurrencies (over
    each scheme in turn), given one configuration at a time. 5 MiB (HTTP): one process
    per configuration, so that peak RSS growth starts from a fresh process.
    """
    out: list[tuple[str, list[dict[str, Any]]]] = []
    for size in sizes:
        configs = [
            {
                "size": size,
                "concurrency": c,
                "requests": p["requests"][(size, c)],
                "warmup": p["warmup"][(size, c)],
            }
            for c in CONCURRENCIES
        ]
        if size == KIB:
            out.extend((scheme, configs) for scheme in schemes)
        else:
            out.extend(("http", [cfg]) for cfg in configs)
    return out


# --------------------------------------------------------------------------- event stream


def eventstream(env: dict[str, str], quick: bool) -> dict[str, Any]:
    """Run bench/bench_eventstream.py (owned by the streams work) and read its MB/s table."""
    script = HERE / "bench_eventstream.py"
    if not script.exists():
        return {"error": "bench/bench_eventstream.py does not exist yet"}
    cmd = [sys.executable, str(script)]
    if quick:
        cmd += ["--rounds", "3", "--frames", "2000"]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return {"error": "bench_eventstream.py timed out"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        return {"error": f"bench_eventstream.py exit {proc.returncode}: {tail}"}
    return parse_eventstream(proc.stdout)


def parse_eventstream(out: str) -> dict[str, Any]:
    """Rows ``<chunking>  <ours MB/s>  <botocore MB/s>  <ratio>x`` after the header line.

    The target is judged on the worst row (lowest throughput, lowest ratio).
    """
    import re

    result: dict[str, Any] = {"raw": out.strip(), "rows": []}
    in_table = False
    for line in out.splitlines():
        if "ours MB/s" in line:
            in_table = True
            continue
        if not in_table:
            continue
        m = re.match(r"\s*(.+?)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)x\s*$", line)
        if m:
            result["rows"].append(
                {"chunking": m.group(1), "ours": float(m.group(2)), "botocore": float(m.group(3))}
            )
    rows = result["rows"]
    if not rows:
        result["error"] = "could not read the MB/s table in the script's output"
        return result
    worst = min(rows, key=lambda r: r["ours"])
    result["ours_mbps"] = worst["ours"]
    result["botocore_mbps"] = worst["botocore"]
    result["ratio"] = min(r["ours"] / r["botocore"] for r in rows)
    return result


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 KiB only, fewer requests/rounds")
    parser.add_argument(
        "--rounds", type=int, help="override the number of rounds (0: cold start etc. only)"
    )
    parser.add_argument(
        "--kinds",
        help=f"comma-separated kinds (default: {','.join(KINDS)}; extra: {','.join(EXTRA_KINDS)})",
    )
    parser.add_argument("--out", help="markdown output (default bench/RESULTS.md)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start runs")
    parser.add_argument("--no-leak", action="store_true", help="skip the leak check")
    parser.add_argument("--no-otel", action="store_true", help="skip the tracing rows")
    parser.add_argument("--no-bulk", action="store_true", help="skip the bulk rows")
    parser.add_argument("--no-bidi", action="store_true", help="skip the bidirectional rows")
    parser.add_argument("--no-big", action="store_true", help="skip the 5 MiB configurations")
    parser.add_argument("--only-big", action="store_true", help="only the 5 MiB configurations")
    parser.add_argument(
        "--schemes",
        default="http,https",
        help="schemes of the 1 KiB configurations and the cold start (default: http,https)",
    )
    parser.add_argument(
        "--ca-only",
        action="store_true",
        help="HTTPS clients trust the run's CA alone, without certifi's public roots "
        "(see bench/tls.py)",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    p = plan(args.quick)
    if args.rounds is not None:
        p["rounds"] = args.rounds
        p["rounds_big"] = min(p["rounds_big"], args.rounds)
    if args.no_big:
        p["sizes"], p["rounds_big"] = (KIB,), 0
    if args.only_big:
        if args.quick:
            parser.error("--only-big is for the full plan")
        p["sizes"] = (5 * MIB,)
        p["rounds"] = p["rounds_big"]
    schemes = tuple(s for s in ("http", "https") if s in args.schemes.split(","))
    if not schemes or set(args.schemes.split(",")) - {"http", "https"}:
        parser.error("--schemes: http, https or both")
    p["schemes"] = schemes
    kinds = list(KINDS)
    if args.kinds:
        wanted = args.kinds.split(",")
        unknown = set(wanted) - set(KINDS) - set(EXTRA_KINDS)
        if unknown:
            parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
        kinds = [k for k in (*KINDS, *EXTRA_KINDS) if k in wanted]
    out_path = (
        Path(args.out) if args.out else HERE / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    )
    base_env = bench_environment()
    base_env["PYTHONPATH"] = str(ROOT) + os.pathsep + base_env.get("PYTHONPATH", "")
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    with tempfile.TemporaryDirectory(prefix="bench-tls-") as tmp:
        tls = make_tls_files(tmp, ca_only=args.ca_only) if "https" in schemes else None
        # The HTTP rows run as before, without AWS_CA_BUNDLE (the clients' defaults);
        # the HTTPS rows with it, the only difference in their environment.
        envs = {"http": base_env}
        if tls is not None:
            envs["https"] = dict(base_env, AWS_CA_BUNDLE=tls.bundle)
        run = Run(p, kinds, envs, started)
        cold_instr: dict[str, Any] | None = None
        with bench_server(base_env, tls) as server:
            log(f"bench server at {server.http}" + (f" and {server.https}" if server.https else ""))
            run.probe(server)
            run.rounds(server)
            if not args.no_otel and "ours" in run.kinds:
                run.otel(server, args.quick)
            if not args.no_cold:
                run.cold_starts(server)
                if not args.quick and "ours" in run.kinds:
                    cold_instr = cold_instructions.measure(server.http, base_env)
                    run.log_done("cold start in instructions")
            if p["leak"] and not args.no_leak:
                run.leak_check(server)
    es = eventstream(base_env, args.quick)
    log(f"event stream done ({time.perf_counter() - started:.0f} s)")
    bulk = None if args.no_bulk else bulk_bench.run(base_env, args.quick)
    bidi = None if args.no_bidi else bench_bidi.run(base_env, args.quick)

    tls_text = ""
    if tls is not None:
        roots = (
            "the run's CA alone: no roots to parse, unlike production"
            if args.ca_only
            else "certifi's public roots and the run's CA, so a first call parses as many "
            "roots as in production"
        )
        tls_text = (
            "the bench server's second port, TLS on 127.0.0.1 (Python's asyncio TLS; an ECDSA "
            "P-256 certificate from a trustme CA made for this run); the clients trust a "
            f"bundle of {tls.roots} certificates ({roots}): the AWS clients, ours included, "
            "through `AWS_CA_BUNDLE`; raw httpx2, raw aiohttp and the floor through an "
            "`ssl.SSLContext` loaded from it, built with the client. The HTTP rows run "
            "without `AWS_CA_BUNDLE`, as before."
        )
    info = machine(ROOT)
    measured = Measured(
        quick=args.quick,
        plan=p,
        kinds=run.kinds,
        results=run.results,
        cold=run.cold,
        leak=run.leak,
        eventstream=es,
        errors=run.errors,
        skipped=run.skipped,
        machine=info,
        date=date,
        elapsed=time.perf_counter() - started,
        tls=tls_text,
        extra={
            **({"otel": run.traced} if run.traced else {}),
            **({"bulk": bulk} if bulk else {}),
            **({"bidi": bidi} if bidi else {}),
            **({"cold_instructions": cold_instr} if cold_instr else {}),
        },
    )
    report = render(measured)
    out_path.write_text(report)
    print(report)
    log(f"wrote {out_path.relative_to(ROOT) if out_path.is_relative_to(ROOT) else out_path}")
    if not args.quick:
        raw = {
            "date": date,
            "machine": info,
            "versions": versions(),
            "tls": {"bundle_certs": tls.roots if tls else 0, "ca_only": args.ca_only},
            "results": {
                f"{scheme}/{size}/{conc}": {str(r): v for r, v in rounds.items()}
                for (scheme, size, conc), rounds in run.results.items()
            },
            "cold": run.cold,
            "leak": run.leak,
            "eventstream": es,
            "bulk": bulk,
            "bidi": bidi,
            "cold_instructions": cold_instr,
            "otel": run.traced,
            "errors": run.errors,
            "skipped": run.skipped,
        }
        (HERE / "results.json").write_text(json.dumps(raw, indent=1, sort_keys=True) + "\n")
    return 0


def _rotated(kinds: list[str], turn: int) -> list[str]:
    """``kinds`` rotated by ``turn``: over the turns no kind always follows the same one."""
    shift = turn % len(kinds)
    return kinds[shift:] + kinds[:shift]


class Run:
    """The measuring part of a run: what it ran and what came back."""

    def __init__(
        self, p: dict[str, Any], kinds: list[str], envs: dict[str, dict[str, str]], started: float
    ) -> None:
        self.p = p
        self.kinds = kinds
        self.envs = envs
        self.started = started
        self.results: Results = defaultdict(lambda: defaultdict(dict))
        self.errors: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        self.cold: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.leak: dict[str, dict[str, Any]] = {}
        self.traced: dict[str, Any] = {}
        self._persistent: dict[tuple[str, str], PersistentWorker] = {}

    def log_done(self, what: str) -> None:
        log(f"{what} done ({time.perf_counter() - self.started:.0f} s)")

    def probe(self, server: Server) -> None:
        for kind in list(self.kinds):
            if kind in OURS:
                reason = probe(kind, server.http, self.envs["http"])
                if reason:
                    self.skipped[kind] = reason
                    self.kinds.remove(kind)
                    log(f"skipping {kind}: {reason}")

    def rounds(self, server: Server) -> None:
        p, kinds = self.p, self.kinds
        work = groups(p["sizes"], p["schemes"], p)
        # 1 KiB: one long-lived worker per kind and scheme (start-up paid once); 5 MiB: a
        # fresh process per configuration, so that its peak RSS growth starts from a clean
        # heap.
        persistent = self._persistent = {
            (kind, scheme): PersistentWorker(
                kind, server.base(scheme), server.http, self.envs[scheme]
            )
            for kind in kinds
            for scheme in p["schemes"]
        }
        try:
            for rnd in range(p["rounds"]):
                order = _rotated(kinds, rnd)
                for scheme, configs in work:
                    size = configs[0]["size"]
                    if size != KIB and rnd >= p["rounds_big"]:
                        continue
                    # One configuration at a time, every kind in turn: the rounds of two
                    # kinds a ratio compares are seconds apart, not a whole round's worth
                    # of the other kinds' configurations (this machine's speed drifts).
                    for config in configs:
                        for kind in order:
                            self._turn(server, scheme, rnd, kind, [config])
                self.log_done(f"round {rnd + 1}/{p['rounds']}")
        finally:
            for worker in persistent.values():
                worker.close()

    def _turn(
        self, server: Server, scheme: str, rnd: int, kind: str, configs: list[dict[str, Any]]
    ) -> None:
        """Measure ``configs`` (one size) for one kind in round ``rnd``."""
        size = configs[0]["size"]
        if size == KIB:
            got, err = self._persistent[(kind, scheme)].run(configs)
        else:
            cmd = ["bench.worker", "--kind", kind, "--base", server.base(scheme)]
            cmd += ["--configs", json.dumps(configs)]
            got, err = run_child(cmd, self.envs[scheme], 300)
        for r in got:
            self.results[(scheme, r["size"], r["concurrency"])][rnd][kind] = r
        if err:
            self.errors[f"{kind} {scheme} {SIZE_LABEL[size]}"] = err
            log(f"  {kind} {scheme}: {err}")

    def cold_starts(self, server: Server) -> None:
        kinds = [k for k in COLD_KINDS if k in self.kinds]
        if "ours" in self.kinds and "httpx2" in self.kinds:
            kinds.append(FLOOR)
        # Byte-compile our package first (an installed wheel has its .pyc files), then
        # one discarded run per kind and scheme so every library's bytecode and the OS
        # page cache are warm: "cold" means a fresh interpreter, not a cold disk.
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(ROOT / "src"), str(HERE)],
            cwd=ROOT,
            env=self.envs["http"],
            capture_output=True,
        )
        schemes = self.p["schemes"]
        for scheme in schemes:
            for kind in kinds:
                cmd = ["bench.coldstart", "--kind", kind, "--base", server.base(scheme)]
                run_child(cmd, self.envs[scheme], 120)
        variants = [(s, hide) for s in schemes for hide in self.p["cold_variants"][s]]
        for run in range(self.p["cold_runs"]):
            order = _rotated(kinds, run)
            for scheme, hide in variants:
                for kind in order:
                    cmd = ["bench.coldstart", "--kind", kind, "--base", server.base(scheme)]
                    t0 = time.perf_counter()
                    got, err = run_child([*cmd, "--hide", hide], self.envs[scheme], 120)
                    wall = time.perf_counter() - t0
                    key = cold_key(scheme, kind, NO_TRIO if hide == "trio" else "")
                    for r in got:
                        r["process_wall_s"] = wall
                        self.cold[key].append(r)
                    if err:
                        self.errors[f"cold start {key}"] = err
        self.log_done("cold start")

    def otel(self, server: Server, quick: bool) -> None:
        """Tracing off vs an SDK tracer (``bench.bench_otel``), HTTP only."""
        plan = bench_otel.plan(quick)
        self.traced = bench_otel.measure(server.http, self.envs["http"], plan)
        self.log_done("tracing")

    def leak_check(self, server: Server) -> None:
        for kind in [k for k in OURS if k in self.kinds]:
            cmd = ["bench.worker", "--kind", kind, "--base", server.http]
            got, err = run_child([*cmd, "--leak", str(LEAK_CALLS)], self.envs["http"], 600)
            if got:
                self.leak[kind] = got[0]
            if err:
                self.errors[f"leak {kind}"] = err
        self.log_done("leak check")


if __name__ == "__main__":
    sys.exit(main())
