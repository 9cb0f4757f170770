"""The targets (issues 6, 15, 17 and 18) and their verdicts, HTTPS rows first.

Issue 18 set, over HTTPS and HTTP alike (medians of per-round ratios, same run): the
default engine <= 0.5x aiobotocore and the aiohttp engine <= 1.3x raw aiohttp at
c=1, 16 and 128 (1 KiB); cold start <= 0.5x aiobotocore over HTTPS, <= 0.45x over
HTTP, and <= 1.1x the pydantic floor (the reference that replaced raw httpx2); the
rows at parity by construction (5 MiB, peak RSS) pass at <= 1.05x aiobotocore. Issue
6's other targets stand (aiohttp engine <= 0.4x aiobotocore, p99 at c=128 <= 2x).
Issue 17's tracing rows come from ``bench.bench_otel``, issue 15's bulk rows from
``bench.bulk``, issue 16's bidirectional-stream rows from ``bench.bench_bidi``.
"""

from __future__ import annotations

from . import bench_bidi, bench_otel
from . import bulk as bulk_bench
from .kinds import FLOOR
from .measured import (
    CONCURRENCIES,
    KIB,
    LEAK_CALLS,
    LEAK_LIMIT_KIB,
    MIB,
    OURS,
    SCHEME_LABEL,
    SCHEMES,
    Measured,
    fmt,
    fmt_ratio,
    verdict,
)

#: Cold start vs aiobotocore, per scheme.
COLD_VS_AIOBOTOCORE = {"https": 0.5, "http": 0.45}
COLD_VS_FLOOR = 1.1
DEFAULT_VS_AIOBOTOCORE = 0.5
AIOHTTP_VS_RAW = 1.3
AIOHTTP_VS_AIOBOTOCORE = 0.4
P99_VS_AIOBOTOCORE = 2.0
PARITY = 1.05  # 5 MiB CPU and peak RSS: at parity by construction, within run-to-run noise
#: Bidirectional echo, client CPU per part vs a raw h2 client, unsigned (issue 16).
BIDI_VS_FLOOR = 2.0

HEADER = ("target", "measured", "limit", "result", "issue")
ENGINE = {"ours": "default engine", "ours-aiohttp": "aiohttp engine"}


class _Rows:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def target(
        self,
        name: str,
        value: float,
        limit: float,
        shown: str,
        issue: str,
        higher: bool = False,
    ) -> None:
        cmp = ">=" if higher else "<="
        unit = "" if "MB/s" in shown else "x"
        self.rows.append(
            [name, shown, f"{cmp} {limit:g}{unit}", verdict(value, limit, higher), issue]
        )

    def info(self, name: str, shown: str, issue: str = "-") -> None:
        self.rows.append([f"(not a target) {name}", shown, "-", "info", issue])


def target_rows(m: Measured) -> list[list[str]]:
    """The targets table's rows: per scheme (HTTPS first), then 5 MiB, then the rest."""
    out = _Rows()
    for scheme in SCHEMES:
        _scheme_rows(out, m, scheme)
    _big_rows(out, m)
    _cold_info(out, m)
    _other_rows(out, m)
    for name, value, limit, shown, issue in bench_otel.target_rows(m):
        out.target(name, value, limit, shown, issue)
    out.rows.extend(bulk_bench.target_rows(m.extra.get("bulk"), m.quick))
    bidi = m.extra.get("bidi")
    for mode in bench_bidi.MODES:
        v = bench_bidi.ratio(bidi, mode) if bidi else float("nan")
        out.target(
            f"HTTP/2 (h2c), bidirectional echo, 1,000 parts of 1 KiB, {mode}: client "
            "CPU/part vs a raw h2 client, unsigned",
            v,
            BIDI_VS_FLOOR,
            fmt_ratio(v) if bidi else "not run",
            "16",
        )
    return out.rows


def _scheme_rows(out: _Rows, m: Measured, scheme: str) -> None:
    s = SCHEME_LABEL[scheme]

    def shown(conc: int, value: float) -> str:
        return fmt_ratio(value) if m.has(scheme, KIB, conc) else "not run"

    for conc in CONCURRENCIES:
        v = m.ratio(scheme, KIB, conc, "ours", "aiobotocore")
        out.target(
            f"{s}, default engine, 1 KiB, c={conc}: client CPU/request vs aiobotocore",
            v,
            DEFAULT_VS_AIOBOTOCORE,
            shown(conc, v),
            "18",
        )
    for conc in CONCURRENCIES:
        v = m.ratio(scheme, KIB, conc, "ours-aiohttp", "aiohttp")
        out.target(
            f"{s}, aiohttp engine, 1 KiB, c={conc}: client CPU/request vs raw aiohttp",
            v,
            AIOHTTP_VS_RAW,
            shown(conc, v),
            "18",
        )
    prod = m.production()
    v = m.cold_ratio(scheme, "ours", "aiobotocore", prod)
    out.target(
        f"{s}, cold start (import + create + one call) vs aiobotocore",
        v,
        COLD_VS_AIOBOTOCORE[scheme],
        fmt_ratio(v),
        "18",
    )
    v = m.cold_ratio(scheme, "ours", FLOOR, prod)
    out.target(
        f"{s}, cold start vs the floor of a client with pydantic outputs (same run)",
        v,
        COLD_VS_FLOOR,
        fmt_ratio(v),
        "18",
    )
    v = m.ratio(scheme, KIB, 128, "ours", "aiobotocore", "p99_ms")
    out.target(
        f"{s}, default engine, 1 KiB, c=128: p99 latency vs aiobotocore (no stalls)",
        v,
        P99_VS_AIOBOTOCORE,
        shown(128, v),
        "6",
    )
    for conc in CONCURRENCIES:
        v = m.ratio(scheme, KIB, conc, "ours-aiohttp", "aiobotocore")
        out.target(
            f"{s}, aiohttp engine, 1 KiB, c={conc}: client CPU/request vs aiobotocore",
            v,
            AIOHTTP_VS_AIOBOTOCORE,
            shown(conc, v),
            "6",
        )


def _big_rows(out: _Rows, m: Measured) -> None:
    big = 5 * MIB
    skipped = "not run (quick)" if m.quick else "not run"
    for kind in OURS:
        engine = ENGINE[kind]
        for conc in CONCURRENCIES:
            v = m.ratio("http", big, conc, kind, "aiobotocore")
            out.target(
                f"HTTP, {engine}, 5 MiB, c={conc}: client CPU/request vs aiobotocore",
                v,
                PARITY,
                fmt_ratio(v) if m.has("http", big, conc) else skipped,
                "6, 18",
            )
        v = m.ratio("http", big, 16, kind, "aiobotocore", "rss_growth_mib")
        shown = skipped
        if m.has("http", big, 16):
            ours = m.cell("http", big, 16, kind, "rss_growth_mib")
            ref = m.cell("http", big, 16, "aiobotocore", "rss_growth_mib")
            shown = f"{fmt_ratio(v)} ({fmt(ours, 1)} vs {fmt(ref, 1)} MiB)"
        out.target(
            f"HTTP, {engine}, 5 MiB, c=16: peak RSS growth vs aiobotocore",
            v,
            PARITY,
            shown,
            "6, 18",
        )


def _cold_info(out: _Rows, m: Measured) -> None:
    prod = m.production()
    for scheme in SCHEMES:
        s = SCHEME_LABEL[scheme]
        a = m.cold_ratio(scheme, "ours", "httpx2", prod)
        b = m.cold_ratio(scheme, FLOOR, "httpx2", prod)
        out.info(
            f"{s}, cold start vs raw httpx2 (issue 6's reference, replaced by the floor); "
            "the floor (pydantic + httpcore2, two models, one request) vs raw httpx2",
            f"{fmt_ratio(a)}; {fmt_ratio(b)}",
        )
    if prod and m.cold.get("http:ours"):
        a = m.cold_ratio("http", "ours", "aiobotocore")
        b = m.cold_ratio("http", "ours", FLOOR)
        out.info(
            "HTTP, cold start with trio installed (this test virtualenv): "
            "vs aiobotocore / vs the floor",
            f"{fmt_ratio(a)} / {fmt_ratio(b)}",
        )


def _other_rows(out: _Rows, m: Measured) -> None:
    es = m.eventstream
    ours_mbps = float(es.get("ours_mbps", float("nan")))
    out.target(
        "event-stream decode throughput", ours_mbps, 200, f"{fmt(ours_mbps)} MB/s", "6", True
    )
    v = float(es.get("ratio", float("nan")))
    out.target("event-stream decode vs botocore EventStreamBuffer", v, 3.0, fmt_ratio(v), "6", True)
    for kind in OURS:
        name = f"HTTP, {ENGINE[kind]}: RSS growth over {LEAK_CALLS:,} calls (leak check)"
        limit = f"<= {LEAK_LIMIT_KIB / 1024:g} MiB"
        lk = m.leak.get(kind)
        if not lk:
            shown = "not run (quick)" if m.quick else "not measured"
            out.rows.append([name, shown, limit, "not measured", "6"])
            continue
        shown = (
            f"{lk['growth_kib'] / 1024:+.2f} MiB ({lk['first_quarter_kib'] / 1024:.1f} -> "
            f"{lk['last_quarter_kib'] / 1024:.1f} MiB over {lk['calls']:,} calls)"
        )
        result = "PASS" if lk["growth_kib"] <= LEAK_LIMIT_KIB else "**MISS**"
        out.rows.append([name, shown, limit, result, "6"])
