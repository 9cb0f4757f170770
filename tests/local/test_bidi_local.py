"""serve-local's InvokeEndpointWithBidirectionalStream over HTTP/2, under asyncio and trio.

The h2 client and the model container (a WebSocket server on wsproto) are written in
``bidi_support``, so these tests depend on the server and the signing module only.
"""

from __future__ import annotations

import ssl
from datetime import datetime, timezone
from pathlib import Path

import anyio
import anyio.abc
import httpx2
import pytest

from aiosagemaker_runtime._protocol.eventstream import encode_message
from aiosagemaker_runtime.local import LocalEndpointServer, TLSFiles

from .bidi_support import (
    TIMEOUT,
    Socket,
    config,
    container,
    exception,
    h2_client,
    part,
    payload_event,
    served,
    start,
)

pytestmark = pytest.mark.anyio


# -- echo -------------------------------------------------------------------------------


async def test_echo_answers_each_part_before_the_next() -> None:
    async with served(config({"e": "echo"})) as url, h2_client(url) as client:
        call = await start(client, "e")
        assert await call.head() == 200
        assert call.headers["content-type"] == "application/vnd.amazon.eventstream"
        assert call.headers["x-amzn-invoked-production-variant"] == "AllTraffic"
        assert call.headers["x-amzn-requestid"]
        for i in range(5):
            await call.send(f"part {i}".encode(), "UTF8", "COMPLETE")
            assert part(await call.next()) == (f"part {i}".encode(), "UTF8", "COMPLETE")
        await call.end()
        assert await call.next() is None


async def test_data_type_and_completion_state_round_trip() -> None:
    parts = [
        (b"h\xc3", "UTF8", "PARTIAL"),
        (b"\xa9llo", "UTF8", "COMPLETE"),
        (bytes(range(256)), "BINARY", "COMPLETE"),
        (b"first half", "BINARY", "PARTIAL"),
        (b"", "BINARY", "COMPLETE"),
        (b"no headers", None, None),
    ]
    async with served(config({"e": "echo"})) as url, h2_client(url) as client:
        call = await start(client, "e")
        for data, data_type, completion in parts:
            await call.send(data, data_type, completion)
            assert part(await call.next()) == (data, data_type, completion)
        # A frame cut across DATA frames, and two frames in one DATA frame.
        assert call.signer is not None
        frame = call.frame(payload_event(b"cut in two", "BINARY", "COMPLETE"))
        await call.raw(frame[:7])
        await call.raw(frame[7:])
        assert part(await call.next()) == (b"cut in two", "BINARY", "COMPLETE")
        two = call.frame(payload_event(b"one")) + call.frame(payload_event(b"two"))
        await call.raw(two)
        assert [part(await call.next())[0] for _ in range(2)] == [b"one", b"two"]
        await call.end()
        assert await call.rest() == []


async def test_a_part_larger_than_a_data_frame_and_the_window() -> None:
    big = bytes(range(256)) * 1024 * 3  # 768 KiB: many DATA frames, several windows
    async with served(config({"e": "echo"})) as url, h2_client(url) as client:
        call = await start(client, "e")
        await call.send(big, "BINARY", "COMPLETE")
        assert part(await call.next()) == (big, "BINARY", "COMPLETE")
        await call.end()
        assert await call.next() is None


async def test_echo_over_tls(tmp_path: Path) -> None:
    import trustme

    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certificate.private_key_pem.write_to_path(keyfile)
    certificate.cert_chain_pems[0].write_to_path(certfile)
    context = ssl.create_default_context()
    authority.configure_trust(context)
    context.set_alpn_protocols(["h2", "http/1.1"])
    tls = TLSFiles(str(certfile), str(keyfile))
    async with served(config({"e": "echo"}), tls) as url, h2_client(url, context) as client:
        assert url.startswith("https://")
        call = await start(client, "e")
        await call.send(b"over tls", "UTF8", "COMPLETE")
        assert part(await call.next()) == (b"over tls", "UTF8", "COMPLETE")
        await call.end()
        assert await call.next() is None


async def test_unsigned_events_without_credentials() -> None:
    async with served(config({"e": "echo"}, signed=False)) as url, h2_client(url) as client:
        call = await start(client, "e", secret=None)
        await call.send(b"plain", "UTF8", "COMPLETE")
        assert part(await call.next()) == (b"plain", "UTF8", "COMPLETE")
        await call.raw(b"", end=True)
        assert await call.next() is None


async def test_several_concurrent_streams_on_one_connection() -> None:
    async with served(config({"e": "echo"})) as url, h2_client(url) as client:
        calls = [await start(client, "e") for _ in range(8)]
        for round_ in range(3):
            for index, call in enumerate(calls):
                await call.send(f"{index}:{round_}".encode(), "UTF8", "COMPLETE")
            for index, call in enumerate(calls):
                assert part(await call.next())[0] == f"{index}:{round_}".encode()
        for call in calls:
            await call.end()
        for call in calls:
            assert await call.next() is None


# -- signatures -------------------------------------------------------------------------


async def test_a_tampered_chunk_ends_the_stream_with_an_input_validation_error() -> None:
    async with served(config({"e": "echo"})) as url, h2_client(url) as client:
        call = await start(client, "e")
        await call.send(b"good", "UTF8", "COMPLETE")
        assert part(await call.next()) == (b"good", "UTF8", "COMPLETE")
        assert call.signer is not None
        event = payload_event(b"signed", "UTF8", "COMPLETE")
        chunk = call.signer.sign(event)
        tampered = payload_event(b"SIGNED", "UTF8", "COMPLETE")
        await call.raw(encode_message(chunk.headers, tampered))
        await call.send(b"after", "UTF8", "COMPLETE")  # never answered
        kind, body = exception(await call.next())
        assert kind == "InputValidationError"
        assert body["ErrorCode"] == "InvalidSignatureException"
        assert "signature" in str(body["Message"])
        assert await call.next() is None


async def test_a_frame_without_a_signature_or_too_old_is_refused() -> None:
    async with served(config({"e": "echo"})) as url, h2_client(url) as client:
        call = await start(client, "e")
        await call.raw(encode_message([(":date", datetime.now(timezone.utc))], b"x"))
        kind, body = exception(await call.next())
        assert (kind, body["ErrorCode"]) == ("InputValidationError", "IncompleteSignatureException")
        assert await call.next() is None

        call = await start(client, "e")
        assert call.signer is not None
        event = payload_event(b"old")
        old = call.signer.sign(event, now=datetime(2020, 1, 1, tzinfo=timezone.utc))
        await call.raw(encode_message(old.headers, event))
        kind, body = exception(await call.next())
        assert (kind, body["ErrorCode"]) == ("InputValidationError", "InvalidSignatureException")
        assert "too far" in str(body["Message"])


async def test_input_ending_without_its_final_frame_is_refused() -> None:
    async with served(config({"e": "echo"})) as url, h2_client(url) as client:
        call = await start(client, "e")
        await call.send(b"last words", "UTF8", "COMPLETE")
        await call.raw(b"", end=True)
        assert part(await call.next()) == (b"last words", "UTF8", "COMPLETE")
        kind, body = exception(await call.next())
        assert (kind, body["ErrorCode"]) == ("InputValidationError", "IncompleteSignatureException")
        assert "final signed frame" in str(body["Message"])
        assert await call.next() is None


async def test_malformed_input_is_refused() -> None:
    async with served(config({"e": "echo"})) as url, h2_client(url) as client:
        call = await start(client, "e")
        await call.send(b"x", "TEXT", "COMPLETE")
        kind, body = exception(await call.next())
        assert (kind, body["ErrorCode"]) == ("InputValidationError", "ValidationError")
        assert "DataType" in str(body["Message"])

        call = await start(client, "e")
        other = encode_message([(":message-type", "event"), (":event-type", "Other")], b"x")
        await call.raw(call.frame(other))
        kind, body = exception(await call.next())
        assert "Unknown input event" in str(body["Message"])

        call = await start(client, "e", secret=None)  # the server wants signatures
        assert await call.head() == 403


async def test_a_bad_request_signature_is_403_before_the_stream() -> None:
    async with served(config({"e": "echo"})) as url, h2_client(url) as client:
        call = await start(client, "e", secret="wrong-secret")
        status, error_type, body = await call.error()
        assert status == 403
        assert error_type.startswith("InvalidSignatureException")
        assert "signature" in str(body["message"])

        call = await start(client, "e", streaming=False)  # signed, but not for events
        status, error_type, body = await call.error()
        assert status == 403
        assert error_type.startswith("InvalidSignatureException")
        assert "STREAMING-AWS4-HMAC-SHA256-EVENTS" in str(body["message"])


async def test_unknown_endpoint_and_invalid_members_are_input_validation_errors() -> None:
    async with served(config({"e": "echo"})) as url, h2_client(url) as client:
        call = await start(client, "nope")
        status, error_type, body = await call.error()
        assert (status, error_type) == (400, "InputValidationError")
        assert body == {
            "ErrorCode": "ValidationError",
            "Message": "Endpoint nope of account 123456789012 not found.",
        }
        headers = [("X-Amzn-SageMaker-Model-Invocation-Path", "/absolute")]
        call = await start(client, "e", headers=headers)
        status, error_type, body = await call.error()
        assert (status, error_type) == (400, "InputValidationError")
        assert "modelInvocationPath" in str(body["Message"])


async def test_http11_is_refused() -> None:
    async with served(config({"e": "echo"}, signed=False)) as url, httpx2.AsyncClient() as http:
        response = await http.post(f"{url}/endpoints/e/invocations-bidirectional-stream")
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "InputValidationError"
    assert "HTTP/2" in response.json()["Message"]


async def test_container_gets_text_binary_and_fragments_and_answers() -> None:
    async with (
        container() as model,
        served(config({"m": model.url})) as url,
        h2_client(url) as client,
    ):
        call = await start(client, "m")
        assert await call.head() == 200
        await call.send(b"hello", "UTF8", "COMPLETE")
        assert part(await call.next()) == (b"hello", "UTF8", "COMPLETE")
        await call.send(b"\x00\x01\x02", "BINARY", "COMPLETE")
        assert part(await call.next()) == (b"\x00\x01\x02", "BINARY", "COMPLETE")
        await call.send(b"no data type")
        assert part(await call.next()) == (b"no data type", "BINARY", "COMPLETE")
        # One text message in two parts, a character cut between them.
        await call.send(b"h\xc3", "UTF8", "PARTIAL")
        assert part(await call.next()) == (b"h", "UTF8", "PARTIAL")
        await call.send(b"\xa9llo", "UTF8", "COMPLETE")
        assert part(await call.next()) == ("éllo".encode(), "UTF8", "COMPLETE")
        await call.send(b"bin-", "BINARY", "PARTIAL")
        assert part(await call.next()) == (b"bin-", "BINARY", "PARTIAL")
        await call.send(b"ary", "BINARY", "COMPLETE")
        assert part(await call.next()) == (b"ary", "BINARY", "COMPLETE")
        await call.end()
        assert await call.next() is None
        (seen,) = model.sockets
        with anyio.fail_after(TIMEOUT):
            await seen.ended.wait()
    assert seen.target == "/invocations-bidirectional-stream"
    assert seen.frames == [
        ("text", b"hello", True),
        ("binary", b"\x00\x01\x02", True),
        ("binary", b"no data type", True),
        ("text", b"h", False),
        ("text", "éllo".encode(), True),
        ("binary", b"bin-", False),
        ("binary", b"ary", True),
    ]
    assert seen.close_code == 1000  # the end of the input closed the WebSocket


async def test_model_invocation_path_and_query_string_reach_the_container() -> None:
    headers = [
        ("X-Amzn-SageMaker-Model-Invocation-Path", "v1/listen"),
        ("X-Amzn-SageMaker-Model-Query-String", "model=nova-3&language=en"),
    ]
    async with (
        container() as model,
        served(config({"m": model.url})) as url,
        h2_client(url) as client,
    ):
        call = await start(client, "m", headers=headers)
        assert await call.head() == 200
        await call.end()
        assert await call.next() is None
    assert model.sockets[0].target == "/v1/listen?model=nova-3&language=en"


async def test_the_container_closing_ends_the_output() -> None:
    async with (
        container() as model,
        served(config({"m": model.url})) as url,
        h2_client(url) as client,
    ):
        call = await start(client, "m")
        await call.send(b"close:1000", "UTF8", "COMPLETE")
        assert await call.next() is None  # the input is still open
        call = await start(client, "m")
        await call.send(b"close:1011", "UTF8", "COMPLETE")
        kind, body = exception(await call.next())
        assert (kind, body["ErrorCode"]) == ("ModelStreamError", "ModelStreamFailure")
        assert "code 1011" in str(body["Message"])
        assert await call.next() is None
        call = await start(client, "m")
        await call.send(b"vanish", "UTF8", "COMPLETE")
        kind, body = exception(await call.next())
        assert kind == "ModelStreamError"
        assert "without closing the WebSocket" in str(body["Message"])


async def test_a_refused_input_closes_the_container_websocket() -> None:
    async with (
        container() as model,
        served(config({"m": model.url})) as url,
        h2_client(url) as client,
    ):
        call = await start(client, "m")
        await call.send(b"\xff", "UTF8", "COMPLETE")
        kind, body = exception(await call.next())
        assert (kind, body["ErrorCode"]) == ("InputValidationError", "ValidationError")
        assert "UTF-8" in str(body["Message"])
        assert await call.next() is None
        with anyio.fail_after(TIMEOUT):
            await model.sockets[0].ended.wait()
    assert model.sockets[0].close_code == 1008


async def test_a_container_refusing_is_a_model_error_before_the_stream() -> None:
    async def not_a_websocket(stream: anyio.abc.ByteStream, seen: Socket, _: anyio.Event) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            request += await stream.receive()
        body = b"no websocket here"
        head = f"HTTP/1.1 404 Not Found\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        await stream.send(head + body)
        await stream.aclose()

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    closed_port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    async with container(not_a_websocket) as model:
        endpoints = {"dead": f"http://127.0.0.1:{closed_port}", "http": model.url}
        async with served(config(endpoints)) as url, h2_client(url) as client:
            status, error_type, body = await (await start(client, "dead")).error()
            assert (status, error_type) == (424, "ModelError")
            assert body["OriginalStatusCode"] == 0
            assert "Could not connect" in str(body["OriginalMessage"])
            status, error_type, body = await (await start(client, "http")).error()
            assert (status, error_type) == (424, "ModelError")
            assert body["OriginalStatusCode"] == 404
            assert body["OriginalMessage"] == "no websocket here"
            assert body["ErrorCode"] == "CLIENT_ERROR_FROM_MODEL"


async def test_client_reset_closes_the_container_websocket() -> None:
    async with (
        container() as model,
        served(config({"m": model.url})) as url,
        h2_client(url) as client,
    ):
        call = await start(client, "m")
        await call.send(b"before the reset", "UTF8", "COMPLETE")
        assert part(await call.next())[0] == b"before the reset"
        await call.reset()
        (seen,) = model.sockets
        with anyio.fail_after(TIMEOUT):
            await seen.ended.wait()
        assert seen.close_code == 1001
        # The connection is still good for another call.
        call = await start(client, "m")
        await call.send(b"again", "UTF8", "COMPLETE")
        assert part(await call.next())[0] == b"again"
        await call.end()
        assert await call.next() is None


async def test_concurrent_streams_each_get_their_container_websocket() -> None:
    async with (
        container() as model,
        served(config({"m": model.url})) as url,
        h2_client(url) as client,
    ):
        calls = [await start(client, "m") for _ in range(6)]
        for index, call in enumerate(calls):
            await call.send(f"stream {index}".encode(), "UTF8", "COMPLETE")
        for index, call in enumerate(calls):
            assert part(await call.next())[0] == f"stream {index}".encode()
        for call in calls:
            await call.end()
        for call in calls:
            assert await call.next() is None
    assert len(model.sockets) == 6
    assert sorted(s.frames[0][1] for s in model.sockets) == [
        f"stream {i}".encode() for i in range(6)
    ]


async def test_shutdown_closes_the_container_websocket() -> None:
    """Stopping the server with a stream open (its caller still connected) closes the
    stream's WebSocket with 1001, promptly."""
    async with container() as model, anyio.create_task_group() as tasks:
        server_scope = anyio.CancelScope()

        async def run_server(*, task_status: anyio.abc.TaskStatus[str]) -> None:
            with server_scope:
                await LocalEndpointServer(config({"m": model.url})).serve(task_status=task_status)

        url = await tasks.start(run_server)
        async with h2_client(url) as client:
            call = await start(client, "m")
            await call.send(b"open", "UTF8", "COMPLETE")
            assert part(await call.next())[0] == b"open"
            server_scope.cancel()
            (seen,) = model.sockets
            with anyio.fail_after(TIMEOUT):
                await seen.ended.wait()
    assert seen.close_code == 1001
