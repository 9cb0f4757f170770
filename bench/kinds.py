"""The client kinds under test, each behind the same tiny interface.

``open_kind(kind, url, concurrency)`` returns a :class:`Client` whose ``invoke(body)``
performs one InvokeEndpoint (request out, whole response body read) and whose ``close()``
releases it. Every library is imported inside its opener, so the cold-start benchmark can
time imports, and a worker process only ever imports the library it measures.

``boto3-threads`` is synchronous: its ``invoke`` is a plain function run in a thread pool.

Over HTTPS (an ``https://`` base) every kind trusts the run's CA bundle the way users
configure it: the AWS clients (ours, aiobotocore, boto3) through ``AWS_CA_BUNDLE`` in
their environment, the raw ones through an ``ssl.SSLContext`` loaded from that file
(:func:`raw_tls_context`), created where a user creates it: with the client.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ssl

REGION = "us-east-1"
ENDPOINT_NAME = "bench-endpoint"
ACCESS_KEY = "AKIDBENCHEXAMPLE0000"
SECRET_KEY = "bench/secret/key/not/a/real/one/0000000"
CONTENT_TYPE = "application/json"

#: Not a client: the cold-start floor of any client with pydantic outputs
#: (bench.coldstart._floor), measured beside ours to show how far from that limit we are.
FLOOR = "pydantic-floor"

# Kinds in report order. "ours" is the default engine (httpx2).
KINDS = ("ours", "ours-aiohttp", "aiobotocore", "boto3-threads", "httpx2", "aiohttp")
LABELS = {
    "ours": "ours (httpx2 engine)",
    "ours-aiohttp": 'ours (http_backend="aiohttp")',
    "aiobotocore": "aiobotocore",
    "boto3-threads": "boto3 in threads",
    "httpx2": "raw httpx2",
    "aiohttp": "raw aiohttp",
    FLOOR: "floor: pydantic + httpcore2, 2 models, 1 request, nothing else",
    "httpcore2-direct": "httpcore2, O(1) pool (prototype)",
    "transport-httpx": "our httpx2 transport alone",
    "transport-aiohttp": "our aiohttp transport alone",
    "proto-httpx": "ours + prototype httpcore2 O(1)-pool transport",
    "proto-aiohttp": "ours + prototype aiohttp transport (trust_env off)",
    "ours-otel": "ours, traced: SDK tracer (batch processor, in-memory exporter), SDK meter",
}
EXTRA_KINDS = (
    "httpcore2-direct",
    "transport-httpx",
    "transport-aiohttp",
    "proto-httpx",
    "proto-aiohttp",
    "ours-otel",
)

# What a signed InvokeEndpoint request carries; the raw clients send these verbatim (they do
# no signing), so they pay for the same header bytes on the wire.
RAW_HEADERS = {
    "Content-Type": CONTENT_TYPE,
    "User-Agent": "aiosagemaker-runtime-bench/0.1",
    "X-Amz-Date": "20261123T090000Z",
    "amz-sdk-invocation-id": "6b0d4d8e-3f4a-4c5e-9c1e-1d2e3f4a5b6c",
    "amz-sdk-request": "attempt=1; max=3",
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY + "/20261123/us-east-1/sagemaker/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64
    ),
}


def bench_environment() -> dict[str, str]:
    """Environment for child processes: dummy credentials, no files, no IMDS."""
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("AWS_"):
            del env[name]
    env.update(
        {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/nonexistent/aws-config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    # Bytecode as an installed package has it (pip compiles at install): without this a
    # session that sets PYTHONDONTWRITEBYTECODE recompiles our modules on every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass
class Client:
    invoke: Callable[[bytes], Any]  # async for every kind but boto3-threads
    close: Callable[[], Awaitable[None]]
    sync: bool = False
    raw: Any = None  # the library's client object, for prototypes that swap a part


def invocations_url(base: str) -> str:
    return f"{base}/endpoints/{ENDPOINT_NAME}/invocations"


def raw_tls_context(base: str) -> ssl.SSLContext | None:
    """For the raw clients: a verifying context for an ``https`` base, else ``None``.

    It trusts the bundle ``AWS_CA_BUNDLE`` names in the bench's environment (the file
    the AWS clients read), loaded as a user configures an HTTP library by hand.
    """
    if not base.startswith("https:"):
        return None
    import ssl

    return ssl.create_default_context(cafile=os.environ["AWS_CA_BUNDLE"])


def _import_ours() -> tuple[Any, Any]:
    import aiosagemaker_runtime as pkg

    client_cls = getattr(pkg, "SageMakerRuntimeClient", None)
    if client_cls is None:
        import importlib

        client_cls = importlib.import_module(
            "aiosagemaker_runtime._generated"
        ).SageMakerRuntimeClient
    return client_cls, pkg.ClientConfig


async def _open_ours(base: str, concurrency: int, backend: str) -> Client:
    client_cls, config_cls = _import_ours()
    config = config_cls(max_pool_connections=max(concurrency, 1), http_backend=backend)
    client = client_cls(
        region_name=REGION,
        endpoint_url=base,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=config,
    )
    await client.__aenter__()

    async def invoke(body: bytes) -> int:
        out = await client.invoke_endpoint(
            endpoint_name=ENDPOINT_NAME, body=body, content_type=CONTENT_TYPE
        )
        return len(out.body)

    async def close() -> None:
        await client.__aexit__(None, None, None)

    return Client(invoke, close, raw=client)


async def _open_aiobotocore(base: str, concurrency: int) -> Client:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    session = get_session()
    cm = session.create_client(
        "sagemaker-runtime",
        region_name=REGION,
        endpoint_url=base,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=AioConfig(max_pool_connections=max(concurrency, 1)),
    )
    client = await cm.__aenter__()

    async def invoke(body: bytes) -> int:
        resp = await client.invoke_endpoint(
            EndpointName=ENDPOINT_NAME, Body=body, ContentType=CONTENT_TYPE
        )
        async with resp["Body"] as stream:
            return len(await stream.read())

    async def close() -> None:
        await cm.__aexit__(None, None, None)

    return Client(invoke, close)


async def _open_boto3(base: str, concurrency: int) -> Client:
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "sagemaker-runtime",
        region_name=REGION,
        endpoint_url=base,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(max_pool_connections=max(concurrency, 1)),
    )

    def invoke(body: bytes) -> int:
        resp = client.invoke_endpoint(
            EndpointName=ENDPOINT_NAME, Body=body, ContentType=CONTENT_TYPE
        )
        return len(resp["Body"].read())

    async def close() -> None:
        client.close()

    return Client(invoke, close, sync=True)


async def _open_httpx2(base: str, concurrency: int) -> Client:
    import httpx2

    limits = httpx2.Limits(
        max_connections=max(concurrency, 1), max_keepalive_connections=max(concurrency, 1)
    )
    tls = raw_tls_context(base)
    client = httpx2.AsyncClient(limits=limits, timeout=70.0, verify=tls if tls else True)
    url = invocations_url(base)

    async def invoke(body: bytes) -> int:
        resp = await client.post(url, content=body, headers=RAW_HEADERS)
        return len(resp.content)

    async def close() -> None:
        await client.aclose()

    return Client(invoke, close)


async def _open_aiohttp(base: str, concurrency: int) -> Client:
    import aiohttp

    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=max(concurrency, 1), ssl=raw_tls_context(base) or True
        ),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=60, sock_read=70),
    )
    url = invocations_url(base)

    async def invoke(body: bytes) -> int:
        async with session.post(url, data=body, headers=RAW_HEADERS) as resp:
            return len(await resp.read())

    async def close() -> None:
        await session.close()

    return Client(invoke, close)


async def _open_httpcore2_direct(base: str, concurrency: int) -> Client:
    """httpcore2 connections behind an O(1) idle-connection pool (a prototype, not a peer).

    It shows what the httpx2 engine costs without httpx2's client layer and without
    httpcore2's ConnectionPool, whose bookkeeping scans every connection on each request
    and response (O(connections) per request: the cost that grows with concurrency).
    """
    import collections

    import anyio
    import httpcore2

    url = invocations_url(base).encode()
    parts = httpcore2.URL(url)
    origin = parts.origin
    limit = max(concurrency, 1)
    idle: collections.deque[Any] = collections.deque()
    slots = anyio.Semaphore(limit)
    headers = [(k.encode(), v.encode()) for k, v in RAW_HEADERS.items()]
    host = (b"Host", parts.host + (b":%d" % parts.port if parts.port else b""))
    timeout = {"connect": 60.0, "read": 70.0, "write": 70.0, "pool": None}
    tls = raw_tls_context(base)

    async def invoke(body: bytes) -> int:
        async with slots:
            conn = idle.pop() if idle else httpcore2.AsyncHTTPConnection(origin, ssl_context=tls)
            request = httpcore2.Request(
                b"POST",
                parts,
                headers=[host, *headers, (b"Content-Length", str(len(body)).encode())],
                content=body,
                extensions={"timeout": timeout},
            )
            response = await conn.handle_async_request(request)
            try:
                stream: Any = response.stream
                chunks = [chunk async for chunk in stream]
            finally:
                await response.aclose()
            if conn.is_idle():
                idle.append(conn)
            return sum(map(len, chunks))

    async def close() -> None:
        while idle:
            await idle.pop().aclose()

    return Client(invoke, close)


async def _open_transport(base: str, concurrency: int, backend: str) -> Client:
    """Our engine adapter alone: a pre-built request straight to ``Transport.send``.

    No validation, serialization or signing: the difference to ``ours`` is the cost of
    the pipeline above the transport.
    """
    from aiosagemaker_runtime import ClientConfig
    from aiosagemaker_runtime._http import HTTPRequest

    engine: Any = backend
    config = ClientConfig(max_pool_connections=max(concurrency, 1), http_backend=engine)
    if backend == "aiohttp":
        from aiosagemaker_runtime._transports.aiohttp_engine import AiohttpTransport

        transport: Any = AiohttpTransport(config)
    else:
        from aiosagemaker_runtime._transports.httpx_engine import HttpxTransport

        transport = HttpxTransport(config)
    url = invocations_url(base)
    headers = list(RAW_HEADERS.items())

    async def invoke(body: bytes) -> int:
        response = await transport.send(HTTPRequest("POST", url, list(headers), body))
        try:
            return len(await response.read())
        finally:
            await response.aclose()

    async def close() -> None:
        await transport.aclose()

    return Client(invoke, close)


async def _open_proto(base: str, concurrency: int, engine: str) -> Client:
    """Our client with its transport swapped for a prototype from ``bench.prototypes``."""
    from .prototypes import ProtoAiohttpTransport, ProtoHttpcoreTransport

    client = await _open_ours(base, concurrency, "httpx" if engine == "httpx" else "aiohttp")
    pipeline = client.raw._pipeline
    await pipeline.transport.aclose()
    proto_cls = ProtoHttpcoreTransport if engine == "httpx" else ProtoAiohttpTransport
    pipeline.transport = proto_cls(max(concurrency, 1), 60.0, 70.0)
    return client


async def _open_ours_traced(base: str, concurrency: int) -> Client:
    """Our client with ``otel.instrument()`` as a production setup has it: every call a
    span, handed to a ``BatchSpanProcessor`` (exported in batches from its own thread,
    whose CPU the worker's process time counts) into an in-memory exporter, and a
    duration recorded into an SDK meter (``InMemoryMetricReader``). An exporter's own
    encoding and sending is not included. Fresh providers per configuration; the
    exporter is emptied every 256 calls, as an exporter lets go of what it has sent
    (spans kept alive make every garbage collection slower)."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from aiosagemaker_runtime import otel

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    otel.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    client = await _open_ours(base, concurrency, "httpx")
    invoke_client, close_client = client.invoke, client.close
    calls = exported = 0

    async def invoke(body: bytes) -> int:
        nonlocal calls, exported
        calls += 1
        if not calls % 256:
            exported += len(exporter.get_finished_spans())
            exporter.clear()
        return await invoke_client(body)  # type: ignore[no-any-return]

    async def close() -> None:
        await close_client()
        otel.uninstrument()
        tracer_provider.force_flush()
        if not exported + len(exporter.get_finished_spans()):
            raise RuntimeError("ours-otel: no span was exported")
        meter_provider.shutdown()
        tracer_provider.shutdown()

    return Client(invoke, close, raw=client.raw)


async def open_kind(kind: str, base: str, concurrency: int) -> Client:
    """Create a client of ``kind`` talking to the server at ``base`` (``http(s)://host:port``)."""
    if kind == "ours":
        return await _open_ours(base, concurrency, "httpx")
    if kind == "ours-aiohttp":
        return await _open_ours(base, concurrency, "aiohttp")
    if kind == "ours-otel":
        return await _open_ours_traced(base, concurrency)
    if kind == "aiobotocore":
        return await _open_aiobotocore(base, concurrency)
    if kind == "boto3-threads":
        return await _open_boto3(base, concurrency)
    if kind == "httpx2":
        return await _open_httpx2(base, concurrency)
    if kind == "aiohttp":
        return await _open_aiohttp(base, concurrency)
    if kind == "httpcore2-direct":
        return await _open_httpcore2_direct(base, concurrency)
    if kind == "proto-httpx":
        return await _open_proto(base, concurrency, "httpx")
    if kind == "proto-aiohttp":
        return await _open_proto(base, concurrency, "aiohttp")
    if kind == "transport-httpx":
        return await _open_transport(base, concurrency, "httpx")
    if kind == "transport-aiohttp":
        return await _open_transport(base, concurrency, "aiohttp")
    raise ValueError(f"unknown kind {kind!r}")


async def probe(kind: str, base: str) -> str | None:
    """None when a client of ``kind`` can be created here, else the reason it cannot."""
    try:
        client = await open_kind(kind, base, 1)
        await client.close()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None
