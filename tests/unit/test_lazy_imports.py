"""Cold start: ``import aiosagemaker_runtime`` leaves out what a plain call does not need.

Each module below is imported by our code only where it is used (error bodies, timestamps,
endpoint rule sets, compressed data files). The check runs in a fresh interpreter; a
module that the third-party packages we import load by themselves (pydantic, anyio) is
not held against us, so a dependency upgrade cannot make this test fail.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from aiosagemaker_runtime._endpoints import rules as _rules
from aiosagemaker_runtime._protocol.errors import _body_text, _reason
from aiosagemaker_runtime._protocol.serialize_values import format_timestamp

#: Imported lazily by our modules (and by nothing else the package imports).
LAZY = (
    "aiosagemaker_runtime._endpoints.rules",  # endpoint rule sets: first endpoint resolution
    "aiosagemaker_runtime._protocol.stream_events",  # event conversion: first EventStream
    "aiosagemaker_runtime._protocol.streams",  # EventStream: the first streaming call
    # model classes: with the first call of the one operation that uses them
    "aiosagemaker_runtime._generated.models_invoke_endpoint",
    "aiosagemaker_runtime._generated.models_invoke_endpoint_async",
    "aiosagemaker_runtime._generated.models_invoke_endpoint_with_response_stream",
    "aiosagemaker_runtime._transports.httpx_client",  # a caller's httpx client, or proxies
    "html",  # _errors_parse: HTML error bodies (html.entities comes with it)
    "html.entities",
    "http",  # _errors_parse: reason phrases of error statuses
    "email.utils",  # _serialize: RFC 822 timestamps
    "calendar",  # _serialize: rfc822 / unixTimestamp timestamps
    "gzip",  # _rules: compressed botocore data files
)

_PROBE = """
import json, sys
import asyncio
import anyio, anyio.to_thread, pydantic, pydantic_core, typing_extensions
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator
baseline = set(sys.modules)
import aiosagemaker_runtime
print(json.dumps({"baseline": sorted(baseline), "after": sorted(sys.modules)}))
"""


def _run_probe(code: str, env: dict[str, str] | None = None) -> Any:
    """What ``code`` prints as JSON, run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    return json.loads(done.stdout)


def _modules_after_import() -> tuple[set[str], set[str]]:
    result = _run_probe(_PROBE)
    return set(result["baseline"]), set(result["after"])


def test_import_leaves_lazy_modules_unloaded() -> None:
    baseline, after = _modules_after_import()
    assert "aiosagemaker_runtime._generated.client" in after
    # Our dependencies do not load these themselves: the check below is not vacuous.
    assert {"aiosagemaker_runtime._endpoints.rules", "html", "gzip"}.isdisjoint(baseline)
    loaded = [name for name in LAZY if name in after and name not in baseline]
    assert loaded == [], f"imported with the package: {loaded}"


# The lazily imported code paths still work (in this process, whatever is loaded).


def test_lazy_paths_work() -> None:
    assert _body_text(b"<html><p>a &amp; b</p></html>") == "a & b"
    assert _reason(503) == "Service Unavailable"
    assert format_timestamp(0, "rfc822") == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert format_timestamp(1.5, "unixTimestamp") == 1.5


def test_read_json_gz(tmp_path: Path) -> None:
    (tmp_path / "rules.json.gz").write_bytes(gzip.compress(b'{"version": "1.0"}'))
    assert _rules._read_json(tmp_path / "rules.json") == {"version": "1.0"}


_PROXY_PROBE = """
import json, sys
from aiosagemaker_runtime._transports.httpx_engine import _environment_has_proxies
found = _environment_has_proxies()
print(json.dumps({"found": found, "urllib": "urllib.request" in sys.modules}))
"""


def _probe_proxies(env: dict[str, str]) -> dict[str, bool]:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    result: dict[str, bool] = _run_probe(_PROXY_PROBE, {**clean, **env})
    return result


def test_no_proxy_variables_no_urllib_import() -> None:
    assert _probe_proxies({}) == {"found": False, "urllib": sys.platform in ("darwin", "win32")}


def test_proxy_variables_found_as_urllib_finds_them() -> None:
    assert _probe_proxies({"HTTPS_PROXY": "http://127.0.0.1:9"})["found"] is True
    assert _probe_proxies({"all_proxy": "http://127.0.0.1:9"})["found"] is True
    # Only NO_PROXY, or an empty value: no proxy (urllib's reading, asked in these cases).
    assert _probe_proxies({"NO_PROXY": "127.0.0.1"})["found"] is False
    assert _probe_proxies({"http_proxy": ""})["found"] is False


_ENGINE_PROBE = """
import json, sys
import aiosagemaker_runtime as pkg
seen = {"package": "httpcore2" in sys.modules}
pkg.SageMakerRuntimeClient(region_name="us-east-1", config=pkg.ClientConfig(http_backend="aiohttp"))
seen["aiohttp client"] = "httpcore2" in sys.modules
pkg.SageMakerRuntimeClient(region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
seen["default client"] = "httpcore2" in sys.modules
print(json.dumps(seen))
"""


def test_httpcore2_is_imported_with_the_first_default_engine() -> None:
    # Not with the package (nor an aiohttp client): with the client that sends through it,
    # so that its first call needs no worker thread for the import.
    assert _run_probe(_ENGINE_PROBE) == {
        "package": False,
        "aiohttp client": False,
        "default client": True,
    }
