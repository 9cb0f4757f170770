"""Per-call cost of each stage of an InvokeEndpoint call, each timed in isolation.

``python -m bench.micro [--size 1024]`` times, in microseconds per call (best of several
repeats of a timeit loop, so the figures are floors without the event loop or GC
noise): input validation (the generated pydantic model), ``prepare_input``,
``serialize_request``, the payload SHA-256, ``sign_request``, the SDK headers (uuid4,
``amz-sdk-request``), response header mapping and ``parse_response``. The transport's share
is the rest of the client's CPU per request (see ``bench.profile``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import timeit
import uuid
from collections.abc import Callable
from typing import Any

from .kinds import ACCESS_KEY, CONTENT_TYPE, ENDPOINT_NAME, REGION, SECRET_KEY
from .worker import make_body

ENDPOINT_URL = "http://127.0.0.1:8080"
RESPONSE_HEADERS = {
    "x-amzn-requestid": "7f3e4a52-0c1d-4b9a-9a0e-5d2f1c3b4a59",
    "x-amzn-invoked-production-variant": "AllTraffic",
    "content-type": "application/json",
    "date": "Mon, 23 Nov 2026 09:00:00 GMT",
    "content-length": "1024",
}


def best_us(fn: Callable[[], Any], target_s: float = 0.2, repeat: int = 5) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, int(number * target_s / 0.2))
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1024)
    args = parser.parse_args(argv)

    from aiosagemaker_runtime._auth.credentials import Credentials
    from aiosagemaker_runtime._auth.sigv4 import sign_request
    from aiosagemaker_runtime._generated.models import InvokeEndpointInput
    from aiosagemaker_runtime._generated.operations import INVOKE_ENDPOINT
    from aiosagemaker_runtime._protocol.rest_json import (
        parse_response,
        prepare_input,
        serialize_request,
    )

    body = make_body(args.size)
    params = {"endpoint_name": ENDPOINT_NAME, "body": body, "content_type": CONTENT_TYPE}
    creds = Credentials(ACCESS_KEY, SECRET_KEY)
    rows: list[tuple[str, float]] = []

    rows.append(
        (
            "validation: InvokeEndpointInput(**kwargs)",
            best_us(lambda: InvokeEndpointInput(**params)),
        )
    )
    rows.append(
        (
            "validation: InvokeEndpointInput.model_validate(dict)",
            best_us(lambda: InvokeEndpointInput.model_validate(params)),
        )
    )
    model = InvokeEndpointInput(**params)

    loop = asyncio.new_event_loop()

    async def prep_many(n: int) -> None:
        for _ in range(n):
            await prepare_input(INVOKE_ENDPOINT, model)

    n = 20000
    t = timeit.default_timer()
    loop.run_until_complete(prep_many(n))
    rows.append(("prepare_input (bytes body)", (timeit.default_timer() - t) / n * 1e6))
    loop.close()

    rows.append(
        (
            "serialize_request",
            best_us(lambda: serialize_request(INVOKE_ENDPOINT, model, ENDPOINT_URL)),
        )
    )
    rows.append(("sha256(body).hexdigest()", best_us(lambda: hashlib.sha256(body).hexdigest())))
    digest = hashlib.sha256(body).hexdigest()

    def sign() -> None:
        request = serialize_request(INVOKE_ENDPOINT, model, ENDPOINT_URL)
        sign_request(request, creds, region=REGION, service="sagemaker", payload_sha256=digest)

    serialize_us = rows[-2][1]
    rows.append(("sign_request (net of serialize)", best_us(sign) - serialize_us))
    rows.append(("uuid4 invocation id", best_us(lambda: str(uuid.uuid4()))))
    raw_headers = [(k.encode(), v.encode()) for k, v in RESPONSE_HEADERS.items()]

    def map_headers() -> dict[str, str]:
        headers: dict[str, str] = {}
        for raw_name, raw_value in raw_headers:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            previous = headers.get(name)
            headers[name] = value if previous is None else f"{previous}, {value}"
        return headers

    rows.append(("response headers -> lower-cased dict", best_us(map_headers)))
    rows.append(
        (
            "parse_response",
            best_us(lambda: parse_response(INVOKE_ENDPOINT, 200, RESPONSE_HEADERS, body)),
        )
    )
    width = max(len(name) for name, _ in rows)
    print(f"per-call cost of each stage, {args.size} B body (best of 5, us)")
    for name, us in rows:
        print(f"  {name:<{width}}  {us:8.1f}")


if __name__ == "__main__":
    main()
