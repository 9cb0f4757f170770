"""Response streams over real sockets: a chunked HTTP/1.1 server on 127.0.0.1 that splits
frames at random points, injects stream errors, corrupts, truncates and stalls.

The server runs in threads, so the same tests run under asyncio and trio. The first
part drives :class:`EventStream` through a minimal :class:`HTTPResponse` over httpx2
(the stream's contract with any transport); the second goes end to end through
``SageMakerRuntimeClient``.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx2
import pytest

from aiosagemaker_runtime import (
    EndpointConnectionError,
    EventStreamError,
    ReadTimeoutError,
    ServiceError,
    TransportError,
)
from aiosagemaker_runtime._protocol.eventstream import encode_message
from aiosagemaker_runtime._protocol.sse import ServerSentEvent
from aiosagemaker_runtime._protocol.streams import EventStream

generated = pytest.importorskip("aiosagemaker_runtime._generated.operations")
errors = pytest.importorskip("aiosagemaker_runtime._generated.errors")
models = pytest.importorskip("aiosagemaker_runtime._generated.models")

OPERATION = generated.INVOKE_ENDPOINT_WITH_RESPONSE_STREAM
SERVICE = generated.SERVICE
EVENTSTREAM = "application/vnd.amazon.eventstream"

# -- frames --------------------------------------------------------------------------------


def part(data: bytes) -> bytes:
    return encode_message(
        [
            (":event-type", "PayloadPart"),
            (":content-type", "application/octet-stream"),
            (":message-type", "event"),
        ],
        data,
    )


def stream_exception(kind: str, body: dict[str, str]) -> bytes:
    return encode_message(
        [
            (":exception-type", kind),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        json.dumps(body).encode(),
    )


def error_frame(code: str, message: str) -> bytes:
    return encode_message(
        [(":error-code", code), (":error-message", message), (":message-type", "error")], b""
    )


def corrupt(frame: bytes) -> bytes:
    damaged = bytearray(frame)
    damaged[len(damaged) // 2] ^= 0x55
    return bytes(damaged)


def random_pieces(data: bytes, rng: random.Random, max_piece: int = 40) -> list[bytes]:
    pieces = []
    i = 0
    while i < len(data):
        step = rng.randint(1, max_piece)
        pieces.append(data[i : i + step])
        i += step
    return pieces


# -- the server ----------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Conn:
    """What a scenario writes with: an HTTP/1.1 response, chunk by chunk."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop
        self.keep_alive = True

    def head(self, status: int = 200, headers: Sequence[tuple[str, str]] = ()) -> None:
        lines = [f"HTTP/1.1 {status} X"]
        lines += [f"{k}: {v}" for k, v in headers]
        lines += ["Transfer-Encoding: chunked", "x-amzn-RequestId: rid-stream", "", ""]
        self.sock.sendall("\r\n".join(lines).encode())

    def chunk(self, data: bytes) -> None:
        if data:
            self.sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def end(self) -> None:
        self.sock.sendall(b"0\r\n\r\n")

    def sleep(self, seconds: float) -> None:
        self.stop.wait(seconds)

    def drop(self) -> None:
        self.keep_alive = False
        self.sock.shutdown(socket.SHUT_RDWR)


Scenario = Callable[[Conn, Request], None]


@dataclass
class StreamServer:
    """Threaded HTTP/1.1 server; the last path segment before ``/invocations...``
    (the endpoint name) or the whole path picks the scenario."""

    scenarios: dict[str, Scenario] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    open_connections: int = 0
    finished: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets.append(sock)
                self.open_connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        reader = sock.makefile("rb")
        conn = Conn(sock, self._stop)
        try:
            while conn.keep_alive and not self._stop.is_set():
                request_line = reader.readline()
                if not request_line:
                    return
                method, target, _ = request_line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = reader.read(int(headers.get("content-length", "0")))
                request = Request(method, target.split("?")[0], headers, body)
                self.requests.append(request)
                self.scenarios[self._name(request.path)](conn, request)
                self.finished.append(request.path)
        except OSError:
            pass
        finally:
            with self._lock:
                self.open_connections -= 1
            with suppress(OSError):
                sock.close()

    @staticmethod
    def _name(path: str) -> str:
        parts = path.strip("/").split("/")
        return parts[1] if len(parts) >= 3 and parts[0] == "endpoints" else path


@pytest.fixture
def server() -> Iterator[StreamServer]:
    srv = StreamServer()
    yield srv
    srv.close()


def send_stream(
    frames: Sequence[bytes],
    *,
    seed: int = 0,
    end: bool = True,
    pause: float = 0.0005,
    stall_after: int | None = None,
    stall: float = 0.0,
) -> Scenario:
    """Frames as a chunked event stream, split at random points; optionally stalling
    ``stall`` s after ``stall_after`` frames; ``end=False`` drops the connection."""

    def run(conn: Conn, request: Request) -> None:
        rng = random.Random(seed)
        conn.head(
            200, [("Content-Type", EVENTSTREAM), ("X-Amzn-SageMaker-Content-Type", "text/plain")]
        )
        for index, frame in enumerate(frames):
            if stall_after is not None and index == stall_after:
                conn.sleep(stall)
            for piece in random_pieces(frame, rng):
                conn.chunk(piece)
                if pause:
                    time.sleep(pause * rng.random())
        if end:
            conn.end()
        else:
            conn.drop()

    return run


def send_error(status: int, code: str, message: str) -> Scenario:
    def run(conn: Conn, request: Request) -> None:
        body = json.dumps({"message": message}).encode()
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"x-amzn-ErrorType: {code}\r\nx-amzn-RequestId: rid-err\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        conn.sock.sendall(head.encode() + body)

    return run


# -- a minimal HTTPResponse over httpx2 (the contract EventStream relies on) ---------------


class Httpx2Response:
    def __init__(self, response: httpx2.Response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers = {k.lower(): v for k, v in response.headers.items()}
        self.closed = False

    async def read(self) -> bytes:
        return await self._response.aread()

    async def iter_raw(self) -> AsyncIterator[bytes]:
        # Close httpx2's generator explicitly when this one is closed early: left to the
        # garbage collector, trio warns about it (ResourceWarning).
        chunks = self._response.aiter_raw()
        try:
            async for chunk in chunks:
                yield chunk
        except httpx2.ReadTimeout as error:
            raise ReadTimeoutError("read timed out") from error
        except httpx2.TransportError as error:
            raise EndpointConnectionError(f"connection lost: {error}") from error
        finally:
            await chunks.aclose()

    async def aclose(self) -> None:
        self.closed = True
        await self._response.aclose()


@asynccontextmanager
async def http_client(
    read_timeout: float = 5.0, pool: int = 10
) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(
        timeout=httpx2.Timeout(5.0, read=read_timeout, pool=2.0),
        limits=httpx2.Limits(max_connections=pool, max_keepalive_connections=pool),
    ) as client:
        yield client


async def open_stream(
    client: httpx2.AsyncClient, url: str
) -> tuple[EventStream[Any], Httpx2Response]:
    request = client.build_request("POST", url, content=b"{}")
    response = Httpx2Response(await client.send(request, stream=True))
    assert response.status_code == 200
    return EventStream(
        response, OPERATION, SERVICE, response.headers.get("x-amzn-requestid")
    ), response


# -- EventStream over httpx2 ---------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_splits_give_every_part_in_order(server: StreamServer, seed: int) -> None:
    rng = random.Random(seed)
    payloads = [rng.randbytes(rng.randint(0, 300)) for _ in range(60)]
    server.scenarios["/s"] = send_stream([part(p) for p in payloads], seed=seed)
    async with http_client() as client:
        stream, response = await open_stream(client, server.url + "/s")
        got = [event async for event in stream]
    assert [type(e) for e in got] == [models.PayloadPart] * len(payloads)
    assert [e.bytes for e in got] == payloads
    assert response.closed and stream.closed


@pytest.mark.anyio
async def test_parts_arrive_before_the_stream_ends(server: StreamServer) -> None:
    server.scenarios["/s"] = send_stream(
        [part(b"first"), part(b"second")], stall_after=1, stall=1.0
    )
    async with http_client() as client:
        stream, _ = await open_stream(client, server.url + "/s")
        start = time.monotonic()
        async with stream:
            first = await anext(stream)
            assert first.bytes == b"first"
            assert time.monotonic() - start < 0.5  # not held back until the stall ends
            assert (await anext(stream)).bytes == b"second"


@pytest.mark.anyio
async def test_model_stream_error_mid_stream(server: StreamServer) -> None:
    frames = [
        part(b"tok1"),
        part(b"tok2"),
        stream_exception("ModelStreamError", {"Message": "CUDA OOM", "ErrorCode": "ModelError"}),
        part(b"never"),
    ]
    server.scenarios["/s"] = send_stream(frames, seed=7)
    async with http_client() as client:
        stream, response = await open_stream(client, server.url + "/s")
        got = []
        with pytest.raises(errors.ModelStreamError) as info:
            async for event in stream:
                got.append(event.bytes)
    assert got == [b"tok1", b"tok2"]
    assert info.value.error_code == "ModelError" and info.value.message == "CUDA OOM"
    assert info.value.status_code is None and info.value.request_id == "rid-stream"
    assert response.closed


@pytest.mark.anyio
async def test_internal_stream_failure(server: StreamServer) -> None:
    frames = [part(b"a"), stream_exception("InternalStreamFailure", {"Message": "boom"})]
    server.scenarios["/s"] = send_stream(frames)
    async with http_client() as client:
        stream, response = await open_stream(client, server.url + "/s")
        with pytest.raises(errors.InternalStreamFailure, match="boom") as info:
            async for _ in stream:
                pass
    assert info.value.status_code is None and info.value.request_id == "rid-stream"
    assert response.closed


@pytest.mark.anyio
async def test_error_frame(server: StreamServer) -> None:
    server.scenarios["/s"] = send_stream([part(b"a"), error_frame("InternalError", "bad")])
    async with http_client() as client:
        stream, response = await open_stream(client, server.url + "/s")
        with pytest.raises(ServiceError) as info:
            async for _ in stream:
                pass
    assert info.value.code == "InternalError" and info.value.message == "bad"
    assert response.closed


@pytest.mark.anyio
async def test_corrupted_crc(server: StreamServer) -> None:
    server.scenarios["/s"] = send_stream([part(b"a"), corrupt(part(b"b" * 100)), part(b"c")])
    async with http_client() as client:
        stream, response = await open_stream(client, server.url + "/s")
        got = []
        with pytest.raises(EventStreamError, match="checksum"):
            async for event in stream:
                got.append(event.bytes)
    assert got == [b"a"] and response.closed


@pytest.mark.anyio
async def test_truncated_mid_frame_with_a_clean_http_end(server: StreamServer) -> None:
    server.scenarios["/s"] = send_stream([part(b"a"), part(b"partial frame")[:-6]])
    async with http_client() as client:
        stream, response = await open_stream(client, server.url + "/s")
        got = []
        with pytest.raises(EventStreamError, match="ended inside a frame"):
            async for event in stream:
                got.append(event.bytes)
    assert got == [b"a"] and response.closed


@pytest.mark.anyio
async def test_connection_dropped_mid_frame(server: StreamServer) -> None:
    server.scenarios["/s"] = send_stream([part(b"a"), part(b"partial frame")[:-6]], end=False)
    async with http_client() as client:
        stream, response = await open_stream(client, server.url + "/s")
        with pytest.raises((TransportError, EventStreamError)):
            async for _ in stream:
                pass
    assert response.closed


@pytest.mark.anyio
async def test_stall_longer_than_read_timeout(server: StreamServer) -> None:
    server.scenarios["/s"] = send_stream([part(b"a"), part(b"b")], stall_after=1, stall=3.0)
    async with http_client(read_timeout=0.3) as client:
        stream, response = await open_stream(client, server.url + "/s")
        got = []
        start = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            async for event in stream:
                got.append(event.bytes)
    assert got == [b"a"] and time.monotonic() - start < 2.5
    assert response.closed


@pytest.mark.anyio
async def test_lines_and_sse_over_random_splits(server: StreamServer) -> None:
    text = "".join(f'data: {{"token": "t{i} é🙂"}}\r\n\r\n' for i in range(40)).encode()
    rng = random.Random(5)
    server.scenarios["/sse"] = send_stream(
        [part(p) for p in random_pieces(text, rng, 7)], seed=9, pause=0.0001
    )
    ndjson = b"".join(b'{"i": %d}\n' % i for i in range(40)) + b'{"last": true}'
    server.scenarios["/lines"] = send_stream([part(p) for p in random_pieces(ndjson, rng, 5)])
    async with http_client() as client:
        stream, _ = await open_stream(client, server.url + "/sse")
        events = [event async for event in stream.sse()]
        stream, response = await open_stream(client, server.url + "/lines")
        lines = [line async for line in stream.lines()]
    assert events == [ServerSentEvent(data=f'{{"token": "t{i} é🙂"}}') for i in range(40)]
    assert lines == ndjson.split(b"\n") and response.closed


@pytest.mark.anyio
@pytest.mark.parametrize("exit_style", ["break", "async with", "aclose", "cancel", "error"])
async def test_pool_of_one_is_free_after_early_exit(server: StreamServer, exit_style: str) -> None:
    # A long stream the client leaves after one part; the server would keep going.
    server.scenarios["/long"] = send_stream(
        [part(b"x" * 100) for _ in range(5)], stall_after=2, stall=30.0
    )
    server.scenarios["/short"] = send_stream([part(b"ok")])
    async with http_client(pool=1) as client:
        stream, response = await open_stream(client, server.url + "/long")
        if exit_style == "break":
            async for _ in stream:
                break
        elif exit_style == "async with":
            async with stream:
                async for _ in stream:
                    break
        elif exit_style == "aclose":
            await anext(stream)
            await stream.aclose()
        elif exit_style == "cancel":
            with anyio.move_on_after(0.3):
                async for _ in stream:
                    pass
        else:
            with pytest.raises(KeyError):
                async for _ in stream:
                    raise KeyError("user code failed")
        start = time.monotonic()
        second, _ = await open_stream(client, server.url + "/short")  # pool timeout is 2 s
        assert [e.bytes async for e in second] == [b"ok"]
        assert time.monotonic() - start < 1.0
    assert response.closed


# -- EventStream over the library's transports (httpx2; aiohttp under asyncio) ------------


@asynccontextmanager
async def library_transport(kind: str, **config: Any) -> AsyncIterator[Any]:
    from aiosagemaker_runtime import ClientConfig
    from aiosagemaker_runtime._http import HTTPRequest

    if kind == "aiohttp":
        if not _running_asyncio():
            pytest.skip("the aiohttp transport runs under asyncio only")
        module = pytest.importorskip("aiosagemaker_runtime._transports.aiohttp_engine")
        transport = module.AiohttpTransport(ClientConfig(**config))
    else:
        module = pytest.importorskip("aiosagemaker_runtime._transports.httpx_engine")
        transport = module.HttpxTransport(ClientConfig(**config))

    async def open_url(url: str) -> EventStream[Any]:
        response = await transport.send(HTTPRequest("POST", url, [], b"{}"))
        assert response.status_code == 200
        return EventStream(response, OPERATION, SERVICE, response.headers.get("x-amzn-requestid"))

    try:
        yield open_url
    finally:
        await transport.aclose()


def _running_asyncio() -> bool:
    try:
        import asyncio

        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


COMBOS = [("asyncio", "httpx"), ("trio", "httpx"), ("asyncio", "aiohttp")]


class TestLibraryTransports:
    """httpx2 under asyncio and trio; aiohttp under asyncio (its only loop)."""

    @pytest.fixture(params=COMBOS, ids=["-".join(c) for c in COMBOS])
    def combo(self, request: pytest.FixtureRequest) -> tuple[str, str]:
        return tuple(request.param)

    @pytest.fixture
    def anyio_backend(self, combo: tuple[str, str]) -> str:
        return combo[0]

    @pytest.fixture
    def transport_kind(self, combo: tuple[str, str]) -> str:
        return combo[1]

    @pytest.mark.anyio
    async def test_transport_random_splits(self, server: StreamServer, transport_kind: str) -> None:
        rng = random.Random(4)
        payloads = [rng.randbytes(rng.randint(0, 500)) for _ in range(40)]
        server.scenarios["/s"] = send_stream([part(p) for p in payloads], seed=4)
        async with library_transport(transport_kind) as open_url:
            stream = await open_url(server.url + "/s")
            assert [e.bytes async for e in stream] == payloads
            assert stream.closed and stream.request_id == "rid-stream"

    @pytest.mark.anyio
    async def test_transport_stall_raises_read_timeout(
        self, server: StreamServer, transport_kind: str
    ) -> None:
        server.scenarios["/s"] = send_stream([part(b"a"), part(b"b")], stall_after=1, stall=3.0)
        async with library_transport(transport_kind, read_timeout=0.3) as open_url:
            stream = await open_url(server.url + "/s")
            got = []
            with pytest.raises(ReadTimeoutError):
                async for event in stream:
                    got.append(event.bytes)
            assert got == [b"a"] and stream.closed

    @pytest.mark.anyio
    async def test_transport_dropped_connection(
        self, server: StreamServer, transport_kind: str
    ) -> None:
        server.scenarios["/s"] = send_stream([part(b"a"), part(b"partial")[:-3]], end=False)
        async with library_transport(transport_kind) as open_url:
            stream = await open_url(server.url + "/s")
            with pytest.raises((EndpointConnectionError, EventStreamError)):
                async for _ in stream:
                    pass
            assert stream.closed

    @pytest.mark.anyio
    @pytest.mark.parametrize("exit_style", ["break", "cancel", "error"])
    async def test_transport_pool_of_one_free_after_early_exit(
        self, server: StreamServer, transport_kind: str, exit_style: str
    ) -> None:
        server.scenarios["/long"] = send_stream(
            [part(b"x" * 100) for _ in range(5)], stall_after=2, stall=30.0
        )
        server.scenarios["/short"] = send_stream([part(b"ok")])
        async with library_transport(transport_kind, max_pool_connections=1) as open_url:
            stream = await open_url(server.url + "/long")
            if exit_style == "break":
                async for _ in stream:
                    break
            elif exit_style == "cancel":
                with anyio.move_on_after(0.3):
                    async for _ in stream:
                        pass
            else:
                with pytest.raises(KeyError):
                    async for _ in stream:
                        raise KeyError("user code failed")
            with anyio.fail_after(1.0):  # the pool waits without bound: a leak would hang here
                second = await open_url(server.url + "/short")
                assert [e.bytes async for e in second] == [b"ok"]


# -- end to end through the client ---------------------------------------------------------


def _client_class() -> Any:
    import aiosagemaker_runtime

    cls = getattr(aiosagemaker_runtime, "SageMakerRuntimeClient", None)
    if cls is None:
        cls = pytest.importorskip("aiosagemaker_runtime._generated.client").SageMakerRuntimeClient
    return cls


@asynccontextmanager
async def sagemaker(url: str, **config: Any) -> AsyncIterator[Any]:
    from aiosagemaker_runtime import ClientConfig

    settings = {"max_attempts": 1, "read_timeout": 5.0, "connect_timeout": 5.0, **config}
    try:
        client = _client_class()(
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
            config=ClientConfig(**settings),
        )
    except NotImplementedError:
        pytest.skip("the client core has not landed yet")
    async with client:
        yield client


def send_async_accepted(inference_id: str) -> Scenario:
    def run(conn: Conn, request: Request) -> None:
        body = json.dumps({"InferenceId": inference_id}).encode()
        head = (
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
            "X-Amzn-SageMaker-OutputLocation: s3://bucket/out/abc.out\r\n"
            "X-Amzn-SageMaker-FailureLocation: s3://bucket/failures/abc.err\r\n"
            f"x-amzn-RequestId: rid-async\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        conn.sock.sendall(head.encode() + body)

    return run


@pytest.mark.anyio
async def test_client_streams_parts_as_they_arrive(server: StreamServer) -> None:
    rng = random.Random(11)
    payloads = [rng.randbytes(rng.randint(1, 200)) for _ in range(30)]
    frames = [part(p) for p in payloads]
    server.scenarios["llm"] = send_stream(frames, seed=3, stall_after=1, stall=1.0)
    async with sagemaker(server.url) as client:
        start = time.monotonic()
        out = await client.invoke_endpoint_with_response_stream(
            endpoint_name="llm",
            body=b'{"inputs": "hi"}',
            content_type="application/json",
            accept="text/event-stream",
        )
        assert time.monotonic() - start < 0.5  # returned at the headers
        assert out.content_type == "text/plain"
        got: list[bytes] = []
        async with out:
            async for event in out.body:
                if not got:
                    assert time.monotonic() - start < 0.5  # first part before the stall ends
                assert isinstance(event, models.PayloadPart)
                got.append(event.bytes)
        assert got == payloads
        assert out.body.closed
    [request] = server.requests
    assert request.path == "/endpoints/llm/invocations-response-stream"
    assert request.headers["x-amzn-sagemaker-accept"] == "text/event-stream"
    assert request.body == b'{"inputs": "hi"}'


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("frames", "expected", "check"),
    [
        (
            [part(b"a"), stream_exception("ModelStreamError", {"Message": "m", "ErrorCode": "E1"})],
            errors.ModelStreamError,
            lambda e: e.error_code == "E1" and e.message == "m",
        ),
        (
            [part(b"a"), stream_exception("InternalStreamFailure", {"Message": "i"})],
            errors.InternalStreamFailure,
            lambda e: e.message == "i",
        ),
        (
            [part(b"a"), error_frame("Throttled", "slow")],
            ServiceError,
            lambda e: e.code == "Throttled" and e.message == "slow",
        ),
        ([part(b"a"), corrupt(part(b"b" * 50))], EventStreamError, lambda e: True),
        ([part(b"a"), part(b"bbbbbbbb")[:-3]], EventStreamError, lambda e: True),
    ],
    ids=["model-stream-error", "internal-stream-failure", "error-frame", "crc", "truncated"],
)
async def test_client_stream_failures(
    server: StreamServer, frames: list[bytes], expected: type[Exception], check: Any
) -> None:
    server.scenarios["llm"] = send_stream(frames, seed=2)
    async with sagemaker(server.url) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="llm", body=b"x")
        got = []
        with pytest.raises(expected) as info:
            async for event in out.body:
                got.append(event.bytes)
        assert got == [b"a"] and check(info.value)
        if isinstance(info.value, ServiceError):
            assert info.value.status_code is None and info.value.request_id == "rid-stream"
        assert out.body.closed
    assert len(server.requests) == 1  # never retried once the stream is handed over


@pytest.mark.anyio
async def test_client_stall_raises_read_timeout(server: StreamServer) -> None:
    server.scenarios["llm"] = send_stream([part(b"a"), part(b"b")], stall_after=1, stall=3.0)
    async with sagemaker(server.url, read_timeout=0.3, max_attempts=3) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="llm", body=b"x")
        start = time.monotonic()
        got = []
        with pytest.raises(ReadTimeoutError):
            async for event in out.body:
                got.append(event.bytes)
        assert got == [b"a"] and time.monotonic() - start < 2.0
    assert len(server.requests) == 1


@pytest.mark.anyio
async def test_client_http_error_raises_at_the_call(server: StreamServer) -> None:
    server.scenarios["bad"] = send_error(400, "ValidationError", "Endpoint bad not found")
    server.scenarios["model"] = send_error(424, "ModelError", "container failed")
    async with sagemaker(server.url) as client:
        with pytest.raises(errors.ValidationError, match="not found") as info:
            await client.invoke_endpoint_with_response_stream(endpoint_name="bad", body=b"x")
        assert info.value.status_code == 400 and info.value.request_id == "rid-err"
        with pytest.raises(errors.ModelError) as model_info:
            await client.invoke_endpoint_with_response_stream(endpoint_name="model", body=b"x")
        assert model_info.value.status_code == 424


@pytest.mark.anyio
@pytest.mark.parametrize("exit_style", ["break", "async with", "aclose", "cancel", "error"])
async def test_client_pool_of_one_free_after_early_exit(
    server: StreamServer, exit_style: str
) -> None:
    server.scenarios["long"] = send_stream(
        [part(b"x" * 100) for _ in range(5)], stall_after=2, stall=30.0
    )
    server.scenarios["short"] = send_stream([part(b"ok")])
    async with sagemaker(server.url, max_pool_connections=1, connect_timeout=2.0) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="long", body=b"x")
        if exit_style == "break":
            async for _ in out.body:
                break
        elif exit_style == "async with":
            async with out:
                async for _ in out.body:
                    break
        elif exit_style == "aclose":
            await anext(out.body)
            await out.aclose()
        elif exit_style == "cancel":
            with anyio.move_on_after(0.3):
                async for _ in out.body:
                    pass
        else:
            with pytest.raises(KeyError):
                async for _ in out.body:
                    raise KeyError("user code failed")
        with anyio.fail_after(1.0):  # the pool waits without bound: a leak would hang here
            second = await client.invoke_endpoint_with_response_stream(
                endpoint_name="short", body=b"x"
            )
            async with second:
                assert [e.bytes async for e in second.body] == [b"ok"]


@pytest.mark.anyio
async def test_client_lines_and_sse(server: StreamServer) -> None:
    text = b'data: {"token": {"text": "Hel"}}\n\ndata: {"token": {"text": "lo"}}\n\n'
    server.scenarios["sse"] = send_stream([part(text[:13]), part(text[13:40]), part(text[40:])])
    server.scenarios["lines"] = send_stream([part(b'{"a": 1}\n{"b"'), part(b": 2}")])
    async with sagemaker(server.url) as client:
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="sse", body=b"x")
        tokens = [e.json()["token"]["text"] async for e in out.body.sse()]
        out = await client.invoke_endpoint_with_response_stream(endpoint_name="lines", body=b"x")
        lines = [line async for line in out.body.lines()]
    assert tokens == ["Hel", "lo"]
    assert lines == [b'{"a": 1}', b'{"b": 2}']


@pytest.mark.anyio
async def test_invoke_endpoint_async(server: StreamServer) -> None:
    server.scenarios["async-ep"] = send_async_accepted("inf-123")
    async with sagemaker(server.url) as client:
        out = await client.invoke_endpoint_async(
            endpoint_name="async-ep",
            input_location="s3://bucket/in/payload.json",
            content_type="application/json",
            accept="application/json",
            inference_id="my-id",
            request_ttl_seconds=3600,
            invocation_timeout_seconds=900,
        )
    assert out.inference_id == "inf-123"
    assert out.output_location == "s3://bucket/out/abc.out"
    assert out.failure_location == "s3://bucket/failures/abc.err"
    [request] = server.requests
    assert request.method == "POST"
    assert request.path == "/endpoints/async-ep/async-invocations"
    assert request.body == b"" and request.headers.get("content-length", "0") == "0"
    headers = request.headers
    assert headers["x-amzn-sagemaker-inputlocation"] == "s3://bucket/in/payload.json"
    assert headers["x-amzn-sagemaker-content-type"] == "application/json"
    assert headers["x-amzn-sagemaker-accept"] == "application/json"
    assert headers["x-amzn-sagemaker-inference-id"] == "my-id"
    assert headers["x-amzn-sagemaker-requestttlseconds"] == "3600"
    assert headers["x-amzn-sagemaker-invocationtimeoutseconds"] == "900"
    assert "authorization" in headers


@pytest.mark.anyio
async def test_invoke_endpoint_async_error(server: StreamServer) -> None:
    server.scenarios["missing"] = send_error(400, "ValidationError", "Input location missing")
    async with sagemaker(server.url) as client:
        with pytest.raises(errors.ValidationError, match="Input location"):
            await client.invoke_endpoint_async(
                endpoint_name="missing", input_location="s3://bucket/in.json"
            )


class TestClientOverAiohttp:
    """The same stream behaviour with ``http_backend="aiohttp"`` (asyncio only)."""

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.mark.anyio
    async def test_parts_then_model_stream_error(self, server: StreamServer) -> None:
        frames = [
            part(b"a" * 300),
            part(b"b"),
            stream_exception("ModelStreamError", {"ErrorCode": "X"}),
        ]
        server.scenarios["llm"] = send_stream(frames, seed=8)
        async with sagemaker(server.url, http_backend="aiohttp") as client:
            out = await client.invoke_endpoint_with_response_stream(endpoint_name="llm", body=b"x")
            got = []
            with pytest.raises(errors.ModelStreamError) as info:
                async for event in out.body:
                    got.append(event.bytes)
        assert got == [b"a" * 300, b"b"] and info.value.error_code == "X"
        assert info.value.request_id == "rid-stream" and out.body.closed

    @pytest.mark.anyio
    async def test_stall_raises_read_timeout(self, server: StreamServer) -> None:
        server.scenarios["llm"] = send_stream([part(b"a"), part(b"b")], stall_after=1, stall=3.0)
        async with sagemaker(server.url, http_backend="aiohttp", read_timeout=0.3) as client:
            out = await client.invoke_endpoint_with_response_stream(endpoint_name="llm", body=b"x")
            with pytest.raises(ReadTimeoutError):
                async for _ in out.body:
                    pass

    @pytest.mark.anyio
    @pytest.mark.parametrize("exit_style", ["break", "cancel"])
    async def test_pool_of_one_free_after_early_exit(
        self, server: StreamServer, exit_style: str
    ) -> None:
        server.scenarios["long"] = send_stream(
            [part(b"x" * 100) for _ in range(5)], stall_after=2, stall=30.0
        )
        server.scenarios["short"] = send_stream([part(b"ok")])
        async with sagemaker(server.url, http_backend="aiohttp", max_pool_connections=1) as client:
            out = await client.invoke_endpoint_with_response_stream(endpoint_name="long", body=b"x")
            if exit_style == "break":
                async for _ in out.body:
                    break
            else:
                with anyio.move_on_after(0.3):
                    async for _ in out.body:
                        pass
            with anyio.fail_after(1.0):
                second = await client.invoke_endpoint_with_response_stream(
                    endpoint_name="short", body=b"x"
                )
                async with second:
                    assert [e.bytes async for e in second.body] == [b"ok"]
