"""The cold start in instructions: a reading that does not move with the machine's load.

Wall-clock cold starts move by tens of percent between runs on a shared 2-core machine
(the same tree's import took 92 or 140 ms of CPU from one fresh interpreter to the next).
``valgrind --tool=callgrind`` counts the instructions a process executes, the same for
the same binary, inputs and environment whatever else runs. Each kind's cold start
(``bench.coldstart --hide trio``, over HTTP against the run's server) runs once under
callgrind with ``PYTHONHASHSEED=0``; a baseline process that imports only what
``bench.coldstart`` imports before its clock starts is subtracted, so what is compared
is what each library adds, as in the wall-clock rows. Not a target (the targets stay on
wall time, issue 18): it says what our code adds, repeatably. Skipped when valgrind is
not installed. ``make bench`` runs it after the cold starts (~2 minutes); ``--no-cold``
skips both.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from typing import Any

from .kinds import FLOOR, LABELS
from .measured import fmt, fmt_ratio
from .processes import ROOT, log

KINDS = ("ours", "aiobotocore", FLOOR)
#: What ``bench.coldstart`` imports before its clock starts, then nothing.
BASELINE = "import time, argparse, asyncio, json, sys; import bench.coldstart"
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _count(args: list[str], env: dict[str, str]) -> tuple[int | None, str]:
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        *args,
    ]
    try:
        proc = subprocess.run(
            cmd,
            cwd=ROOT,
            env=dict(env, PYTHONHASHSEED="0"),
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        return None, "timed out"
    found = _COLLECTED.findall(proc.stderr)
    if proc.returncode != 0 or not found:
        return None, (proc.stderr.strip().splitlines() or ["no output"])[-1][:300]
    return int(found[-1]), ""


def measure(base: str, env: dict[str, str]) -> dict[str, Any]:
    """``{"instructions": {kind: n, "baseline": n}, "errors": {...}}``, or
    ``{"skipped": reason}`` without valgrind."""
    if shutil.which("valgrind") is None:
        return {"skipped": "valgrind is not installed"}
    counts: dict[str, int] = {}
    errors: dict[str, str] = {}
    runs = [("baseline", ["-c", BASELINE])]
    runs += [
        (kind, ["-m", "bench.coldstart", "--kind", kind, "--base", base, "--hide", "trio"])
        for kind in KINDS
    ]
    for name, args in runs:
        n, err = _count(args, env)
        if n is None:
            errors[name] = err
            log(f"  cold start in instructions, {name}: {err}")
        else:
            counts[name] = n
    return {"instructions": counts, "errors": errors}


def ratio(result: dict[str, Any], kind: str, reference: str) -> float:
    """What ``kind`` adds over the baseline, divided by what ``reference`` adds."""
    counts = result.get("instructions", {})
    base = counts.get("baseline")
    if base is None or kind not in counts or reference not in counts:
        return float("nan")
    return float((counts[kind] - base) / (counts[reference] - base))


def section(result: dict[str, Any]) -> list[str]:
    """Markdown lines for ``bench/RESULTS.md``."""
    lines = ["### Cold start in instructions (callgrind)", ""]
    if "skipped" in result:
        return [*lines, f"Skipped: {result['skipped']}.", ""]
    counts = result.get("instructions", {})
    base = counts.get("baseline")
    lines += [
        "Over HTTP, trio hidden, one run per kind under `valgrind --tool=callgrind` "
        "(`PYTHONHASHSEED=0`; `bench/cold_instructions.py`): millions of instructions "
        "from the interpreter's start to its exit, and what the library adds over a "
        f"baseline process ({fmt((base or 0) / 1e6, 1)}M) that imports only what "
        "`bench.coldstart` imports before its clock starts. Repeatable from run to run, "
        "unlike the wall-clock rows above; not a target.",
        "",
        "| client | instructions (M) | added over the baseline (M) | vs aiobotocore | vs floor |",
        "|---|---|---|---|---|",
    ]
    for kind in KINDS:
        if kind not in counts:
            continue
        added = counts[kind] - base if base is not None else float("nan")
        lines.append(
            f"| {LABELS[kind]} | {fmt(counts[kind] / 1e6, 1)} | {fmt(added / 1e6, 1)} | "
            f"{fmt_ratio(ratio(result, kind, 'aiobotocore'))} | "
            f"{fmt_ratio(ratio(result, kind, FLOOR))} |"
        )
    for name, err in result.get("errors", {}).items():
        lines.append(f"\n{name}: {err}")
    return [*lines, ""]
