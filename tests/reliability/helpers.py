"""Shared pieces of the reliability suite: clients with bounded timing, the three
operations as uniform calls, attempt counting and leak checks."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient

from .faults import EVENTSTREAM, Response, payload_part

ACCESS_KEY = "AKIDRELIABILITY"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYRELIABLESECRET"
TOKEN = "FwoGZXIvYXdzRELIABILITYSESSIONTOKEN"
REGION = "us-east-1"

CONNECT_TIMEOUT = 0.15
READ_TIMEOUT = 0.15
# Connecting to 127.0.0.1 takes about a millisecond; CONNECT_TIMEOUT is for the cells
# that wait for an unanswered connect, the matrix's other cells use this one. A stall of
# the whole test process (late in a long run) past a 0.15 s deadline made the event loop
# run the deadline before the connected socket's wakeup: a spurious ConnectTimeoutError
# that ate one attempt of a burst (seen twice in full runs, never in the cell alone).
SETTLED_CONNECT_TIMEOUT = 2.0
MAX_ATTEMPTS = 3
# RetryStrategy.random is its jitter source: backoff after attempt n is
# random() * min(2 ** (n - 1), 20) s, so this bounds the sleeps of a whole call.
BACKOFF_RANDOM = 0.02


def backoff_bound(attempts: int) -> float:
    """Most the retry sleeps of a call of ``attempts`` attempts can add."""
    return sum(BACKOFF_RANDOM * min(2.0 ** (n - 1), 20.0) for n in range(1, attempts))


@dataclass
class Counted:
    """A client whose transport counts the attempts it was asked to send (and keeps how
    each ended: the exception's class, or "response")."""

    client: SageMakerRuntimeClient
    sent: int = 0
    outcomes: list[str] = field(default_factory=list)


def make_client(url: str, engine: str = "httpx", **config: Any) -> Counted:
    options: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "max_attempts": MAX_ATTEMPTS,
        "http_backend": engine,
    }
    options.update(config)
    client = SageMakerRuntimeClient(
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=TOKEN,
        config=ClientConfig(**options),
    )
    client._pipeline.retry.random = lambda: BACKOFF_RANDOM
    counted = Counted(client)
    transport = client._pipeline.transport
    send = transport.send

    async def counting_send(request: Any) -> Any:
        counted.sent += 1
        try:
            response = await send(request)
        except BaseException as error:
            # The message names the engine's exception chain (a connect or pool timeout...).
            counted.outcomes.append(f"{type(error).__name__}: {error}"[:300])
            raise
        counted.outcomes.append("response")
        return response

    transport.send = counting_send  # type: ignore[method-assign]
    return counted


@dataclass(frozen=True)
class Operation:
    """One operation as a uniform call returning the bytes the caller got."""

    name: str
    call: Callable[[SageMakerRuntimeClient], Awaitable[bytes]]
    success: Response
    """What a healthy server answers."""
    expected: bytes
    """What ``call`` returns for ``success``."""
    stream: bool = False

    def opaque(self, body: bytes) -> bytes:
        """What ``call`` returns when a 2xx answer carries ``body`` (not the usual one)."""
        if self.name == "invoke_endpoint":
            return body
        if self.name == "invoke_endpoint_async":
            return b"None|None"
        raise ValueError("a stream has no opaque body")


async def _invoke(client: SageMakerRuntimeClient) -> bytes:
    out = await client.invoke_endpoint(
        endpoint_name="ep", body=b'{"inputs": [1, 2]}', content_type="application/json"
    )
    return out.body


async def _invoke_async(client: SageMakerRuntimeClient) -> bytes:
    out = await client.invoke_endpoint_async(endpoint_name="ep", input_location="s3://b/in.json")
    return f"{out.inference_id}|{out.output_location}".encode()


async def _invoke_stream(client: SageMakerRuntimeClient) -> bytes:
    out = await client.invoke_endpoint_with_response_stream(
        endpoint_name="ep", body=b'{"inputs": [1, 2]}', content_type="application/json"
    )
    async with out:
        parts = [part.bytes async for part in out.body]
    return b"".join(parts)


ANSWER = b'{"answer": 42}'

OPERATIONS = {
    op.name: op
    for op in (
        Operation(
            "invoke_endpoint",
            _invoke,
            Response(ANSWER, [("Content-Type", "application/json")]),
            ANSWER,
        ),
        Operation(
            "invoke_endpoint_async",
            _invoke_async,
            Response(
                json.dumps({"InferenceId": "inf-1"}).encode(),
                [
                    ("Content-Type", "application/json"),
                    ("X-Amzn-SageMaker-OutputLocation", "s3://b/out"),
                ],
                code=202,
            ),
            b"inf-1|s3://b/out",
        ),
        Operation(
            "invoke_endpoint_with_response_stream",
            _invoke_stream,
            Response(
                payload_part(b'{"answer"') + payload_part(b": 42}"),
                [("Content-Type", EVENTSTREAM)],
                chunked=True,
            ),
            ANSWER,
            stream=True,
        ),
    )
}

SHORT_OPS = {
    "invoke_endpoint": "IE",
    "invoke_endpoint_async": "IE-async",
    "invoke_endpoint_with_response_stream": "IE-stream",
}


def live_tasks() -> int:
    """Tasks alive in the current event loop (asyncio or trio)."""
    return len(anyio.get_running_tasks())
