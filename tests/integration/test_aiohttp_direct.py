"""The aiohttp engine's direct request path (``_transports.aiohttp_direct``).

It must put the same bytes on the wire as ``ClientSession._request``, reuse connections
as it does, and give way to it where it does not apply (a proxy, credentials in the
URL, a streamed body) or where aiohttp's internals have another shape. The faults
(refused, reset, timeouts, cancellation) run on both paths in test_client_faults.py.
"""

from __future__ import annotations

import inspect
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime import ClientConfig, EndpointConnectionError
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._transports import aiohttp_direct, aiohttp_engine
from aiosagemaker_runtime._transports.aiohttp_engine import AiohttpTransport
from aiosagemaker_runtime._transports.bodies import LARGE_BODY

from .aiohttp_support import _no_proxies, anyio_backend  # noqa: F401 (fixtures)
from .servers import FaultServer, echo, ok, reset_before_status, stall_before_headers

pytestmark = pytest.mark.anyio

aiohttp = pytest.importorskip("aiohttp")


@pytest.fixture
def no_session_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ClientSession._request`` fails the test if called."""

    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("ClientSession._request called")

    monkeypatch.setattr(aiohttp.ClientSession, "_request", refuse)


HEADERS = [
    ("Content-Type", "application/json"),
    ("Accept", "application/json"),
    ("X-Amz-Date", "20261203T120000Z"),
    ("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/sagemaker/aws4_request"),
    ("User-Agent", "ua/1"),
]


async def exchange(transport: AiohttpTransport, request: HTTPRequest) -> tuple[int, bytes]:
    response = await transport.send(request)
    try:
        return response.status_code, await response.read()
    finally:
        await response.aclose()


async def test_this_aiohttp_takes_the_direct_path(no_session_path: None) -> None:
    transport = AiohttpTransport(ClientConfig(http_backend="aiohttp"))
    with FaultServer(echo()) as server:
        try:
            for number in range(3):
                body = b'{"n": %d}' % number
                request = HTTPRequest("POST", server.url + "/x", list(HEADERS), body)
                assert await exchange(transport, request) == (200, body)
        finally:
            await transport.aclose()
        assert server.connections == 1  # one connection, back in the pool after each call
    assert aiohttp_engine._direct is not None


async def test_both_paths_put_the_same_request_on_the_wire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requests = [
        HTTPRequest("POST", "/endpoints/ep/invocations", list(HEADERS), b'{"a": 1}'),
        HTTPRequest("POST", "/endpoints/ep/invocations", [("X-Test", "1")], bytearray(b"x" * 300)),
        HTTPRequest("POST", "/endpoints/ep/invocations", [("X-Test", "1")], memoryview(b"xyz")),
        HTTPRequest("POST", "/e/x%2Fy/invocations?q=%20", [("X-Test", "1")], b""),
        HTTPRequest("GET", "/ping", [("X-Test", "1")], b""),
        HTTPRequest("PUT", "/put", [("X-Test", "1")], b"p"),
    ]
    seen: dict[str, list[tuple[str, str, list[tuple[str, str]], bytes]]] = {}
    with FaultServer(ok(b"done")) as server:
        for path in ("direct", "session"):
            if path == "session":
                AiohttpTransport._prepare()
                monkeypatch.setattr(aiohttp_engine, "_direct", None)
            transport = AiohttpTransport(ClientConfig(http_backend="aiohttp"))
            try:
                for request in requests:
                    sent = HTTPRequest(
                        request.method, server.url + request.url, request.headers, request.body
                    )
                    assert await exchange(transport, sent) == (200, b"done")
                direct = next(iter(transport._targets.values()))[4]
                assert (direct is not None) is (path == "direct")
            finally:
                await transport.aclose()
            received, server.requests[:] = server.requests[:], []
            seen[path] = [(r.method, r.target, r.headers, r.body) for r in received]
    assert len(seen["direct"]) == len(requests)
    for direct_sent, session_sent in zip(seen["direct"], seen["session"], strict=True):
        assert direct_sent == session_sent
    # and what was built, nothing else (no automatic Accept-Encoding, say)
    first = seen["direct"][0]
    names = [name for name, _ in first[2]]
    assert names == ["Host", *(name for name, _ in HEADERS), "Content-Length"]


async def test_the_direct_path_sends_a_repeated_name_as_built(no_session_path: None) -> None:
    # (ClientSession._request would keep only the last of names differing in case.)
    headers = [("X-Repeated", "a"), ("x-repeated", "b"), ("X-Repeated", "c")]
    transport = AiohttpTransport(ClientConfig(http_backend="aiohttp"))
    with FaultServer(ok(b"")) as server:
        try:
            await exchange(transport, HTTPRequest("POST", server.url, headers, b"a"))
        finally:
            await transport.aclose()
        sent = [(name, value) for name, value in server.requests[0].headers if name != "Host"]
    assert sent == [*headers, ("Content-Length", "1")]


async def test_a_large_body_goes_through_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    send = aiohttp_direct.DirectSender.send

    async def counted(self: Any, *args: Any) -> Any:
        calls.append("direct")
        return await send(self, *args)

    monkeypatch.setattr(aiohttp_direct.DirectSender, "send", counted)
    transport = AiohttpTransport(ClientConfig(http_backend="aiohttp"))
    large = b"z" * LARGE_BODY
    with FaultServer(echo()) as server:
        try:
            assert await exchange(transport, HTTPRequest("POST", server.url, [], b"small")) == (
                200,
                b"small",
            )
            assert await exchange(transport, HTTPRequest("POST", server.url, [], large)) == (
                200,
                large,
            )
        finally:
            await transport.aclose()
    assert calls == ["direct"]


async def test_credentials_in_the_url_go_through_the_session() -> None:
    transport = AiohttpTransport(ClientConfig(http_backend="aiohttp"))
    with FaultServer(ok(b"")) as server:
        url = server.url.replace("http://", "http://user:pass@") + "/x"
        try:
            assert await exchange(transport, HTTPRequest("POST", url, [], b"a")) == (200, b"")
            assert transport._targets[url][4] is None
        finally:
            await transport.aclose()
        authorization = server.requests[0].header("authorization")
        assert authorization is not None and authorization.startswith("Basic ")


@pytest.mark.parametrize(("method", "retried"), [("GET", True), ("PUT", True), ("POST", False)])
async def test_only_idempotent_methods_get_aiohttps_retry_on_a_dropped_connection(
    method: str, retried: bool
) -> None:
    # Idempotent requests go through ClientSession._request, which sends them again
    # once when the connection drops; a POST (the direct path) fails to the caller's
    # retry policy instead, as _request would fail it.
    if tuple(int(part) for part in aiohttp.__version__.split(".")[:2]) < (3, 10):
        retried = False  # aiohttp 3.9 sends nothing again
    transport = AiohttpTransport(ClientConfig(http_backend="aiohttp"))
    body = b"" if method == "GET" else b"a"
    with FaultServer() as server:
        server.script(ok(b"1"), reset_before_status(), ok(b"3"))
        try:
            request = HTTPRequest(method, server.url + "/x", [], body)
            assert await exchange(transport, request) == (200, b"1")
            if retried:
                assert await exchange(transport, request) == (200, b"3")
            else:
                with pytest.raises(EndpointConnectionError):
                    await exchange(transport, request)
        finally:
            await transport.aclose()
        assert len(server.requests) == (3 if retried else 2)


async def test_cancelled_on_the_direct_path_closes_its_connection(
    no_session_path: None,
) -> None:
    transport = AiohttpTransport(ClientConfig(http_backend="aiohttp"))
    with FaultServer(ok(b"fine")) as server:
        server.script(stall_before_headers(5))
        try:
            with anyio.move_on_after(0.3) as scope:
                await exchange(transport, HTTPRequest("POST", server.url, [], b"a"))
            assert scope.cancelled_caught
            assert await exchange(transport, HTTPRequest("POST", server.url, [], b"b")) == (
                200,
                b"fine",
            )
        finally:
            await transport.aclose()
        assert server.connections == 2  # the cancelled call's connection was not reused
        assert server.wait_for_closed_connections(2.0)


def test_another_shape_of_aiohttp_turns_the_direct_path_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_class = aiohttp.ClientRequest
    assert aiohttp_direct.direct_sender(aiohttp, request_class) is not None

    async def connect(self: Any, req: Any, timeout: Any) -> Any:  # no ``traces``
        raise AssertionError

    with monkeypatch.context() as patched:
        patched.setattr(aiohttp.BaseConnector, "connect", connect)
        assert aiohttp_direct.direct_sender(aiohttp, request_class) is None

    from aiohttp.client_proto import ResponseHandler

    def set_response_params(self: Any, *, timer: Any = None) -> None:
        raise AssertionError

    with monkeypatch.context() as patched:
        patched.setattr(ResponseHandler, "set_response_params", set_response_params)
        assert aiohttp_direct.direct_sender(aiohttp, request_class) is None

    class Narrow(request_class):  # type: ignore[misc, valid-type]
        def __init__(self, method: str, url: Any, *, headers: Any = None) -> None:
            raise AssertionError

    assert aiohttp_direct.direct_sender(aiohttp, Narrow) is None


def test_the_session_defaults_go_to_the_protocol_where_they_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sender = aiohttp_direct.direct_sender(aiohttp, aiohttp.ClientRequest)
    assert sender is not None and sender._response_settings == {}  # the same today
    session_init = aiohttp.ClientSession.__init__
    signature = inspect.signature(session_init)
    changed = signature.replace(
        parameters=[
            p.replace(default=12345) if p.name == "read_bufsize" else p
            for p in signature.parameters.values()
        ]
    )

    def init(*args: Any, **kwargs: Any) -> None:
        session_init(*args, **kwargs)

    init.__signature__ = changed  # type: ignore[attr-defined]
    monkeypatch.setattr(aiohttp.ClientSession, "__init__", init)
    sender = aiohttp_direct.direct_sender(aiohttp, aiohttp.ClientRequest)
    assert sender is not None and sender._response_settings == {"read_bufsize": 12345}
