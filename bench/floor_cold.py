"""Cold-start floor of any client whose outputs are pydantic models (a measurement aid).

``python -m bench.floor_cold --base URL`` runs, in a fresh interpreter, the least such a
client must do: import pydantic and httpcore2, define one input and one output model,
send one request on an httpcore2 pool and build the output model without validation.
No signing, no validation, no endpoint rules. It prints ``RESULT {...}`` like
``bench.coldstart`` so the two can be compared run by run.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402


async def _run(base: str) -> dict[str, float]:
    t_start = time.perf_counter()
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
    pool = httpcore2.AsyncConnectionPool(max_connections=1)
    t_create = time.perf_counter()
    body = b'{"inputs": [1, 2, 3]}'
    request = Input.model_construct(
        endpoint_name="bench", body=body, content_type="application/json"
    )
    response = await pool.request(
        "POST",
        f"{base}/endpoints/{request.endpoint_name}/invocations",
        headers={"Content-Type": request.content_type or ""},
        content=request.body,
    )
    headers = {k.decode().lower(): v.decode() for k, v in response.headers}
    output = Output.model_construct(body=response.content, content_type=headers.get("content-type"))
    if len(output.body) != len(body):
        raise RuntimeError("unexpected answer")
    t_call = time.perf_counter()
    await pool.aclose()
    return {
        "import_s": t_import - t_start,
        "create_s": t_create - t_import,
        "call_s": t_call - t_create,
        "total_s": t_call - t_start,
        "modules": len(sys.modules),
    }


def main() -> None:
    from .coldstart import _HideModules

    base = sys.argv[sys.argv.index("--base") + 1]
    if "--hide" in sys.argv:
        names = set(sys.argv[sys.argv.index("--hide") + 1].split(","))
        sys.meta_path.insert(0, _HideModules(names))  # type: ignore[arg-type]
    result = asyncio.run(_run(base))
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
