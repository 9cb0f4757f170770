"""The ASGI adapter alone (no server): bodies, streams, a client going away, shutdown."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime.local._asgi import MAX_DRAIN, LocalASGIApp, Route, Scope
from aiosagemaker_runtime.local._messages import Request, Response


def http_scope(
    path: str = "/endpoints/e/invocations",
    headers: list[tuple[bytes, bytes]] | None = None,
    http_version: str = "1.1",
) -> Scope:
    return {
        "type": "http",
        "http_version": http_version,
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"a=1",
        "headers": headers or [(b"content-type", b"text/plain")],
    }


class Exchange:
    """The server side of one request: events to give, messages sent."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = list(events)
        self.sent: list[dict[str, Any]] = []
        self.received = 0
        self.more = anyio.Event()  # set to deliver ``http.disconnect`` after the events

    async def receive(self) -> dict[str, Any]:
        if self.events:
            self.received += 1
            return self.events.pop(0)
        await self.more.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


def chunks(*parts: bytes) -> list[dict[str, Any]]:
    events = [{"type": "http.request", "body": part, "more_body": True} for part in parts]
    events.append({"type": "http.request", "body": b"", "more_body": False})
    return events


@pytest.mark.anyio
async def test_body_cut_at_the_limit_and_its_length_kept() -> None:
    seen: list[Request] = []

    async def handler(request: Request) -> Response:
        seen.append(request)
        return Response(200, [("X-Case", "Kept")], b"ok")

    exchange = Exchange(chunks(b"abcd", b"efgh", b"ij"))
    await LocalASGIApp(handler, max_body=4)(http_scope(), exchange.receive, exchange.send)
    (request,) = seen
    assert (request.body, request.body_length) == (b"abcde", 10)
    assert (request.query, request.header("Content-Type")) == ("a=1", "text/plain")
    start = exchange.sent[0]
    assert start["status"] == 200
    assert (b"X-Case", b"Kept") in start["headers"]
    assert (b"Content-Length", b"2") in start["headers"]
    assert exchange.body() == b"ok"


@pytest.mark.anyio
async def test_http2_header_names_in_lower_case() -> None:
    async def handler(request: Request) -> Response:
        return Response(200, [("X-Case", "Kept")], b"ok")

    exchange = Exchange(chunks())
    app = LocalASGIApp(handler, max_body=4)
    await app(http_scope(http_version="2"), exchange.receive, exchange.send)
    names = [name for name, _ in exchange.sent[0]["headers"]]
    assert names == [name.lower() for name in names]
    assert b"x-case" in names


@pytest.mark.anyio
async def test_too_long_to_drain_is_answered_before_the_body() -> None:
    seen: list[Request] = []

    async def handler(request: Request) -> Response:
        seen.append(request)
        return Response(413, [], b"too long")

    declared = str(MAX_DRAIN + 1).encode()
    exchange = Exchange(chunks(b"x" * 10, b"y" * 10))
    app = LocalASGIApp(handler, max_body=4)
    await app(http_scope(headers=[(b"content-length", declared)]), exchange.receive, exchange.send)
    (request,) = seen
    assert (request.body, request.body_length) == (b"", MAX_DRAIN + 1)
    assert exchange.sent[0]["status"] == 413
    assert exchange.body() == b"too long"
    assert exchange.received == 3  # what came meanwhile was taken and dropped


@pytest.mark.anyio
async def test_client_gone_mid_stream_closes_the_stream() -> None:
    closed = anyio.Event()
    first_sent = anyio.Event()

    async def parts() -> AsyncIterator[bytes]:
        try:
            yield b"one"
            first_sent.set()
            await anyio.sleep_forever()
            yield b"never"
        finally:
            closed.set()

    async def handler(request: Request) -> Response:
        return Response(200, [], stream=parts())

    exchange = Exchange(chunks(b"in"))
    app = LocalASGIApp(handler, max_body=100)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(app, http_scope(), exchange.receive, exchange.send)
            await first_sent.wait()
            exchange.more.set()  # the client goes away
            await closed.wait()
    bodies = [m for m in exchange.sent if m["type"] == "http.response.body"]
    assert [m["body"] for m in bodies] == [b"one"]
    assert bodies[0]["more_body"] is True  # never ended: the server cuts the stream


@pytest.mark.anyio
async def test_shutdown_waits_then_cancels_what_requests_wait_on() -> None:
    started = anyio.Event()
    cancelled: list[bool] = []

    async def handler(request: Request) -> Response:
        started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled.append(True)
            raise
        raise AssertionError("not reached")

    exchange = Exchange(chunks(b"in"))
    app = LocalASGIApp(handler, max_body=100)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(app, http_scope(), exchange.receive, exchange.send)
            await started.wait()
            await app.shutdown(grace=0.01)
    assert cancelled == [True]
    assert exchange.sent == []  # nothing half-sent: the server answers 500 and closes


@pytest.mark.anyio
async def test_handler_failure_is_a_500() -> None:
    async def handler(request: Request) -> Response:
        raise RuntimeError("boom")

    exchange = Exchange(chunks())
    await LocalASGIApp(handler, max_body=4)(http_scope(), exchange.receive, exchange.send)
    assert exchange.sent[0]["status"] == 500
    assert exchange.body() == b'{"message": "Internal failure"}'


@pytest.mark.anyio
async def test_routes_come_first_by_method_and_whole_path() -> None:
    routed: list[str] = []

    async def route(scope: Scope, receive: Any, send: Any) -> None:
        routed.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def handler(request: Request) -> Response:
        return Response(200, [], b"handler")

    app = LocalASGIApp(handler, max_body=4, routes=[Route("POST", re.compile(r"/r/\w+"), route)])
    for path in ("/r/x", "/r/x/y", "/other"):
        exchange = Exchange(chunks())
        await app(http_scope(path), exchange.receive, exchange.send)
    assert routed == ["/r/x"]
