"""Security checks on real sockets: secrets and sensitive members stay out of logs, reprs
and exception messages; TLS is verified; endpoint labels and header values cannot
change the request's path or framing.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from integration.servers import FaultServer, ok, status

from aiosagemaker_runtime import (
    EndpointConnectionError,
    ModelError,
    ParamValidationError,
    ServiceUnavailable,
)
from aiosagemaker_runtime._auth.credentials import Credentials

from .faults import (
    EVENTSTREAM,
    Response,
    TLSServer,
    chunked_bad_size,
    payload_part,
    respond,
)
from .helpers import ACCESS_KEY, SECRET_KEY, TOKEN, make_client

pytestmark = pytest.mark.anyio

BODY_SECRET = b"BODY-SECRET-7f3a"
ATTR_SECRET = "ATTR-SECRET-9c1d"
ANSWER_SECRET = b"ANSWER-SECRET-2b8e"
PART_SECRET = b"PART-SECRET-5e6f"
SECRETS = [SECRET_KEY, TOKEN, BODY_SECRET.decode(), ATTR_SECRET, ANSWER_SECRET.decode(),
           PART_SECRET.decode()]  # fmt: skip


@pytest.fixture(params=["httpx", "aiohttp"])
def engine(request: pytest.FixtureRequest, anyio_backend: str) -> str:
    if request.param == "aiohttp" and anyio_backend != "asyncio":
        pytest.skip("aiohttp runs under asyncio only")
    return str(request.param)


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def record_texts(records: list[logging.LogRecord]) -> Iterator[str]:
    for record in records:
        yield record.getMessage()
        yield repr(record.args)
        yield repr(record.__dict__)


async def test_no_secret_in_logs_reprs_or_errors(
    engine: str, caplog: pytest.LogCaptureFixture
) -> None:
    stream_body = payload_part(PART_SECRET) + payload_part(b"tail")
    with FaultServer() as server:
        counted = make_client(server.url, engine)
        client = counted.client
        texts: list[str] = [repr(client)]
        with caplog.at_level(logging.DEBUG):
            async with client:
                server.script(
                    ok(ANSWER_SECRET, [("Content-Type", "application/octet-stream")]),
                    respond(Response(stream_body, [("Content-Type", EVENTSTREAM)], chunked=True)),
                    status(424, "ModelError", message="model failed"),
                    status(503, "ServiceUnavailable"),
                    status(503, "ServiceUnavailable"),
                    status(503, "ServiceUnavailable"),
                )
                out = await client.invoke_endpoint(
                    endpoint_name="ep",
                    body=BODY_SECRET,
                    content_type="application/json",
                    custom_attributes=ATTR_SECRET,
                )
                assert out.body == ANSWER_SECRET
                texts += [repr(out), str(out)]
                stream = await client.invoke_endpoint_with_response_stream(
                    endpoint_name="ep", body=BODY_SECRET, custom_attributes=ATTR_SECRET
                )
                async with stream:
                    events = [event async for event in stream.body]
                assert events[0].bytes == PART_SECRET
                texts += [repr(stream), *map(repr, events), *map(str, events)]
                for expected in (ModelError, ServiceUnavailable):
                    with pytest.raises(expected) as caught:
                        await client.invoke_endpoint(
                            endpoint_name="ep", body=BODY_SECRET, custom_attributes=ATTR_SECRET
                        )
                    texts += [str(caught.value), repr(caught.value)]
                resolver = client._pipeline.credentials  # type: ignore[attr-defined]
                texts += [repr(resolver), repr(await resolver.get()), str(await resolver.get())]
        # Everything really went over the wire, with the secrets in it.
        assert BODY_SECRET in server.requests[0].body
        assert server.requests[0].header("X-Amzn-SageMaker-Custom-Attributes") == ATTR_SECRET
    debug = [r for r in caplog.records if r.name.startswith("aiosagemaker_runtime")]
    assert debug, "the pipeline logs nothing at DEBUG: this check would be empty"
    texts += list(record_texts(caplog.records))
    for text in texts:
        assert not leaks(text), f"secret in {text[:200]!r}"


def test_input_and_credentials_reprs_hide_secrets() -> None:
    from aiosagemaker_runtime.models import InvokeEndpointInput

    model = InvokeEndpointInput(endpoint_name="ep", body=BODY_SECRET, custom_attributes=ATTR_SECRET)
    credentials = Credentials(ACCESS_KEY, SECRET_KEY, TOKEN)
    for text in (repr(model), str(model), repr(credentials), str(credentials)):
        assert not leaks(text), text
    assert ACCESS_KEY in repr(credentials)


MARKER = "PAYLOAD-MARKER-d41d"


@pytest.mark.parametrize(
    "raw",
    [
        f"HTTP/1.1 2x0 {MARKER}\r\nContent-Length: 2\r\n\r\nok".encode(),
        f"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n{MARKER} no colon\r\n\r\nok".encode(),
        f"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{MARKER}\r\nxx\r\n".encode(),
    ],
    ids=["status line", "header line", "chunk size"],
)
async def test_parser_errors_quote_no_response_bytes(engine: str, raw: bytes) -> None:
    from integration.servers import Action

    def run(conn: Any) -> None:
        conn.send(raw)
        conn.keep_alive = False

    with FaultServer(Action(run, "garbage")) as server:
        client = make_client(server.url, engine, max_attempts=1).client
        async with client:
            with anyio.fail_after(5):
                with pytest.raises(EndpointConnectionError) as caught:
                    await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    error = caught.value
    texts = [str(error), repr(error), str(error.__dict__)]
    for text in texts:
        assert MARKER not in text, text


async def test_chunk_error_mid_body_does_not_quote_body(engine: str) -> None:
    body = MARKER.encode() * 4
    with FaultServer(chunked_bad_size(Response(body))) as server:
        client = make_client(server.url, engine, max_attempts=1).client
        async with client:
            with anyio.fail_after(5), pytest.raises(Exception) as caught:
                await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert MARKER not in str(caught.value) and MARKER not in repr(caught.value)


# -- TLS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, bytes]:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    return context, ca.cert_pem.bytes()


async def test_tls_untrusted_certificate_is_refused(
    engine: str, tls: tuple[ssl.SSLContext, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    with TLSServer(tls[0]) as server:
        client = make_client(server.url, engine, max_attempts=1).client
        async with client:
            with anyio.fail_after(5):
                with pytest.raises(EndpointConnectionError, match=r"(?i)certificate"):
                    await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        # (TLS 1.3: the server's side of the handshake may complete before we refuse.)
        assert server.requests == 0


async def test_tls_trusted_via_aws_ca_bundle(
    engine: str,
    tls: tuple[ssl.SSLContext, bytes],
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(tls[1])
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))
    with TLSServer(tls[0]) as server:
        client = make_client(server.url, engine).client
        async with client:
            with anyio.fail_after(5):
                out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert out.body == b"ok"
        assert server.requests == 1


# -- request shape -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "a?b=c", "a#b", "a%2Fb", ""])
async def test_endpoint_name_cannot_change_the_path(engine: str, name: str) -> None:
    with FaultServer() as server:
        counted = make_client(server.url, engine)
        async with counted.client as client:
            with pytest.raises(ParamValidationError, match=r"(?i)endpoint_?name"):
                await client.invoke_endpoint(endpoint_name=name, body=b"x")
            with pytest.raises(ParamValidationError, match=r"(?i)endpoint_?name"):
                await client.invoke_endpoint_with_response_stream(endpoint_name=name, body=b"x")
        assert counted.sent == 0 and server.requests == []


@pytest.mark.parametrize("bad", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b"])
@pytest.mark.parametrize(
    ("member", "wire"),
    [
        ("custom_attributes", "CustomAttributes"),
        ("content_type", "ContentType"),
        ("accept", "Accept"),
    ],
)
async def test_header_injection_refused(engine: str, member: str, wire: str, bad: str) -> None:
    with FaultServer() as server:
        counted = make_client(server.url, engine)
        async with counted.client as client:
            with pytest.raises(ParamValidationError, match=wire):
                await client.invoke_endpoint(endpoint_name="ep", body=b"x", **{member: bad})
        assert counted.sent == 0 and server.requests == []
