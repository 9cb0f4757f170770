"""What a bench run measured, and the statistics the report and the targets take from it.

Results are keyed by ``(scheme, size, concurrency)``, then round, then kind; cold starts
by :func:`cold_key`. Ratios are medians of per-round (per-run for cold starts) ratios:
the same round runs every kind against the same server, so the machine's drift between
rounds cancels out.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

KIB = 1024
MIB = 1024 * 1024
SIZE_LABEL = {KIB: "1 KiB", 5 * MIB: "5 MiB"}
CONCURRENCIES = (1, 16, 128)
#: Report order: HTTPS first (every call to the real service is HTTPS).
SCHEMES = ("https", "http")
SCHEME_LABEL = {"https": "HTTPS", "http": "HTTP"}
OURS = ("ours", "ours-aiohttp")
COLD_KINDS = ("ours", "aiobotocore", "httpx2")
LEAK_CALLS = 20_000
LEAK_LIMIT_KIB = 1024  # RSS growth, first to last quarter of the calls, counted as a leak
#: Cold-start variant suffix of the rows that hide trio (see bench.coldstart --hide).
NO_TRIO = "/no-trio"

#: results[(scheme, size, concurrency)][round][kind] = one worker result
Results = dict[tuple[str, int, int], dict[int, dict[str, dict[str, Any]]]]


def cold_key(scheme: str, kind: str, variant: str = "") -> str:
    """Key of a cold-start series: ``https:ours/no-trio``."""
    return f"{scheme}:{kind}{variant}"


def median(values: Sequence[float]) -> float:
    vals = [v for v in values if v == v]  # drop NaN
    return statistics.median(vals) if vals else float("nan")


def per_round_ratio(
    rounds: dict[int, dict[str, dict[str, Any]]], kind: str, ref: str, key: str
) -> tuple[float, list[float]]:
    ratios = []
    for per_kind in rounds.values():
        a, b = per_kind.get(kind), per_kind.get(ref)
        if a and b and b[key]:
            ratios.append(a[key] / b[key])
    return median(ratios), ratios


def fmt(value: float, digits: int = 0) -> str:
    if value != value:
        return "n/a"
    return f"{value:,.{digits}f}"


def fmt_ratio(value: float) -> str:
    return "n/a" if value != value else f"{value:.2f}x"


def verdict(value: float, limit: float, higher_is_better: bool = False) -> str:
    if value != value:
        return "not measured"
    ok = value >= limit if higher_is_better else value <= limit
    return "PASS" if ok else "**MISS**"


@dataclass
class Measured:
    """Everything one run measured (and how), as the report needs it."""

    quick: bool
    plan: dict[str, Any]
    kinds: list[str]
    results: Results
    cold: dict[str, list[dict[str, Any]]]
    leak: dict[str, dict[str, Any]]
    eventstream: dict[str, Any]
    errors: dict[str, str]
    skipped: dict[str, str]
    machine: dict[str, str]
    date: str
    elapsed: float
    tls: str  # one sentence: how the HTTPS rows were served and trusted ("" if not run)
    extra: dict[str, Any] = field(default_factory=dict)

    def cell(self, scheme: str, size: int, conc: int, kind: str, key: str) -> float:
        """Median over rounds of one kind's ``key``."""
        rounds = self.results.get((scheme, size, conc), {})
        return median([per[kind][key] for per in rounds.values() if kind in per])

    def ratio(
        self, scheme: str, size: int, conc: int, kind: str, ref: str, key: str = "cpu_us"
    ) -> float:
        """Median of per-round ratios ``kind / ref`` of ``key``."""
        return per_round_ratio(self.results.get((scheme, size, conc), {}), kind, ref, key)[0]

    def has(self, scheme: str, size: int, conc: int) -> bool:
        return (scheme, size, conc) in self.results

    def production(self) -> str:
        """The cold-start variant the targets use: trio hidden when that was measured."""
        return NO_TRIO if any(k.endswith(NO_TRIO) for k in self.cold) else ""

    def cold_ratio(self, scheme: str, kind: str, ref: str, variant: str = "") -> float:
        """Median of per-run ratios of cold-start totals (runs interleave the kinds)."""
        a = self.cold.get(cold_key(scheme, kind, variant), [])
        b = self.cold.get(cold_key(scheme, ref, variant), [])
        return median([x["total_s"] / y["total_s"] for x, y in zip(a, b, strict=False)])
