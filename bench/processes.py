"""The bench's processes: the server, the long-lived and one-shot workers, the probe.

Every child runs ``python -m <module>`` from the repository root with the environment
it is given (``bench.kinds.bench_environment``, plus ``AWS_CA_BUNDLE`` for HTTPS).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .tls import TLSFiles

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Server:
    """Base URLs of the bench server: plain HTTP, and TLS when it serves it."""

    http: str
    https: str | None

    def base(self, scheme: str) -> str:
        base = self.http if scheme == "http" else self.https
        if base is None:
            raise RuntimeError(f"the bench server does not serve {scheme}")
        return base


@contextlib.contextmanager
def bench_server(env: dict[str, str], tls: TLSFiles | None) -> Iterator[Server]:
    cmd = [sys.executable, "-m", "bench.server", "--port", "0"]
    if tls is not None:
        cmd += ["--tls-cert", tls.cert, "--tls-key", tls.key]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ports = {}
        for name in ("PORT", "TLS_PORT") if tls is not None else ("PORT",):
            line = proc.stdout.readline()
            if not line.startswith(name + " "):
                raise RuntimeError(f"bench server did not start: {line!r}")
            ports[name] = int(line.split()[1])
        https = f"https://127.0.0.1:{ports['TLS_PORT']}" if "TLS_PORT" in ports else None
        yield Server(f"http://127.0.0.1:{ports['PORT']}", https)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_child(
    args: list[str], env: dict[str, str], timeout: float
) -> tuple[list[dict[str, Any]], str]:
    """Run ``python -m <args>``; the parsed ``RESULT`` lines and an error text (or "")."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout:.0f} s"
    results = [
        json.loads(line[len("RESULT ") :])
        for line in proc.stdout.splitlines()
        if line.startswith("RESULT ")
    ]
    error = ""
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        error = f"exit {proc.returncode}: {tail}"
    return results, error


class PersistentWorker:
    """A ``bench.worker --serve`` process for one kind and scheme, fed configs per turn."""

    def __init__(self, kind: str, base: str, stats: str, env: dict[str, str]) -> None:
        self.kind = kind
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.worker",
                "--kind",
                kind,
                "--base",
                base,
                "--stats",
                stats,
                "--serve",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def run(self, configs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        results: list[dict[str, Any]] = []
        errors: list[str] = []
        try:
            self.proc.stdin.write(json.dumps(configs) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return [], f"worker exited ({self.proc.poll()})"
        for line in self.proc.stdout:
            if line.startswith("RESULT "):
                results.append(json.loads(line[len("RESULT ") :]))
            elif line.startswith("ERROR "):
                errors.append(line[len("ERROR ") :].strip())
            elif line.startswith("DONE"):
                return results, "; ".join(errors)
        return results, f"worker exited ({self.proc.wait()})" + "; ".join(errors)

    def close(self) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def probe(kind: str, base: str, env: dict[str, str]) -> str | None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.worker", "--kind", kind, "--base", base, "--probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("PROBE "):
            reason = line[len("PROBE ") :]
            return None if reason == "ok" else reason
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return f"probe failed: {tail}"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
