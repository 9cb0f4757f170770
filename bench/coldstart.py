"""Cold start of one client kind in a fresh interpreter: import, create, one call.

``python -m bench.coldstart --kind K --base URL`` (``http://`` or ``https://``) prints
``RESULT {...}`` with the wall seconds of each phase (measured from before the library's
first import) and the CPU seconds of the whole, both taken inside the process, so
interpreter start-up (the same for every kind) is left out. Only ``time``, ``sys``, ``json`` and ``asyncio`` are
imported before the clock starts; ``bench.kinds`` imports nothing heavy.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()
_C0 = time.process_time()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

from .kinds import (  # noqa: E402
    CONTENT_TYPE,
    ENDPOINT_NAME,
    FLOOR,
    _import_ours,
    invocations_url,
    raw_tls_context,
)

#: When a cold start's phases ended: import, create, call (perf_counter), and the CPU
#: clock at the end of the call (process_time).
Phases = tuple[float, float, float, float]


async def _floor(base: str) -> Phases:
    """The least any client whose outputs are pydantic models does on a cold start.

    Imports pydantic and httpcore2, defines one input and one output model, sends one
    request on an httpcore2 pool and builds the output without validation: no
    signing, no validation, no endpoint rules, no retries. Over HTTPS the pool gets a
    context loaded from the run's CA bundle (created with the pool, as a raw client's).
    """
    import httpcore2
    from pydantic import BaseModel, ConfigDict, Field

    class Input(BaseModel):
        model_config = ConfigDict(defer_build=True, populate_by_name=True)
        endpoint_name: str = Field(alias="EndpointName")
        body: bytes = Field(alias="Body")
        content_type: str | None = Field(default=None, alias="ContentType")

    class Output(BaseModel):
        model_config = ConfigDict(defer_build=True, populate_by_name=True)
        body: bytes = Field(alias="Body")
        content_type: str | None = Field(default=None, alias="ContentType")

    t_import = time.perf_counter()
    pool = httpcore2.AsyncConnectionPool(max_connections=1, ssl_context=raw_tls_context(base))
    t_create = time.perf_counter()
    body = b'{"inputs": [1, 2, 3]}'
    request = Input.model_construct(endpoint_name=ENDPOINT_NAME, body=body)
    response = await pool.request(
        "POST",
        invocations_url(base),
        headers={"Content-Type": CONTENT_TYPE},
        content=request.body,
    )
    headers = {k.decode().lower(): v.decode() for k, v in response.headers}
    output = Output.model_construct(body=response.content, content_type=headers.get("content-type"))
    if len(output.body) != len(body):
        raise RuntimeError(f"floor: got {len(output.body)} bytes back, sent {len(body)}")
    t_call = time.perf_counter()
    c_call = time.process_time()
    await pool.aclose()
    return t_import, t_create, t_call, c_call


async def _client(kind: str, base: str) -> Phases:
    """Import, create and call one client kind through its bench opener."""
    # Phase 1: imports (the kind's opener imports lazily; do it explicitly to time it).
    if kind in ("ours", "ours-aiohttp"):
        _import_ours()
    elif kind == "aiobotocore":
        import aiobotocore.config
        import aiobotocore.session  # noqa: F401
    elif kind == "httpx2":
        import httpx2  # noqa: F401
    elif kind == "aiohttp":
        import aiohttp  # noqa: F401
    elif kind == "boto3-threads":
        import boto3  # noqa: F401
        import botocore.config  # noqa: F401
    t_import = time.perf_counter()
    from .kinds import open_kind

    client = await open_kind(kind, base, 1)
    t_create = time.perf_counter()
    body = b'{"inputs": [1, 2, 3]}'
    got = client.invoke(body) if client.sync else await client.invoke(body)
    if got != len(body):
        raise RuntimeError(f"{kind}: got {got} bytes back, sent {len(body)}")
    t_call = time.perf_counter()
    c_call = time.process_time()
    await client.close()
    return t_import, t_create, t_call, c_call


async def _run(kind: str, base: str) -> dict[str, float]:
    t_start = time.perf_counter()
    c_start = time.process_time()
    phases = _floor(base) if kind == FLOOR else _client(kind, base)
    t_import, t_create, t_call, c_call = await phases
    return {
        "import_s": t_import - t_start,
        "create_s": t_create - t_import,
        "call_s": t_call - t_create,
        "total_s": t_call - t_start,
        "cpu_s": c_call - c_start,
        "modules": len(sys.modules),
    }


class _HideModules:
    """A meta-path finder that makes the named top-level modules unimportable."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname.partition(".")[0] in self.names:
            raise ImportError(f"{fullname} hidden by bench.coldstart --hide")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument(
        "--hide",
        default="",
        help="comma-separated modules to make unimportable, e.g. trio: a test-only "
        "dependency here that httpcore2 imports eagerly when it is installed",
    )
    args = parser.parse_args(argv)
    if args.hide:
        sys.meta_path.insert(0, _HideModules(set(args.hide.split(","))))
    result = asyncio.run(_run(args.kind, args.base))
    result["preamble_s"] = time.perf_counter() - _T0 - result["total_s"]
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
