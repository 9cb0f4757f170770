"""``InvokeEndpointWithBidirectionalStream`` on serve-local: one HTTP/2 stream on which
the caller sends input parts while the model sends output parts.

``POST /endpoints/{EndpointName}/invocations-bidirectional-stream`` over HTTP/2 (h2c or
TLS with ALPN ``h2``; HTTP/1.x is refused with ``InputValidationError``). The request
head is checked as the other operations check theirs, in the same order: with
credentials configured, its SigV4 signature (403 ``InvalidSignatureException`` & co.;
it must be signed for event input, ``X-Amz-Content-SHA256:
STREAMING-AWS4-HMAC-SHA256-EVENTS``), then the members against the HTTP2 model
(``X-Amzn-SageMaker-Target-Variant``, ``-Model-Invocation-Path``, ``-Model-Query-String``),
then the endpoint. Refusals before the stream are rest-json errors of the HTTP2 model:
``InputValidationError`` (400: a bad member, an unknown endpoint, with the message the
other operations give and ``ErrorCode: ValidationError``), ``ModelError`` (424: the
container refused the WebSocket or answered other than 101, with its status as
``OriginalStatusCode``), ``InternalServerError`` (500).

Then ``200`` and the output, an event stream, while the input parts are read out of
the request body as its DATA frames arrive (:mod:`._bidi_events`: signed frames, each
carrying a ``PayloadPart`` event, then an empty signed frame, then END_STREAM). The
``echo`` target answers each part with a part of the same bytes, ``DataType`` and
``CompletionState`` as soon as it is decoded, and ends the output when the input ends;
a container gets the WebSocket of :mod:`._bidi_container`.

Input that fails (a chunk signature that does not match, a frame that is missing one,
too old, after the end, or an input that ends without its final signed frame; a
malformed frame, an event other than ``PayloadPart``, a header outside the model's
values) ends the exchange with one ``:message-type exception`` event of type
``InputValidationError`` (``ErrorCode``: ``InvalidSignatureException``,
``IncompleteSignatureException`` or ``ValidationError``; ``Message`` says what failed),
then END_STREAM. Why an exception event: it is modeled (the client raises
``InputValidationError`` with its ``error_code``), services that verify event
signatures report a bad one as a modeled exception in the output stream (Transcribe
streaming's ``BadRequestException``), and the caller gets a reason instead of a bare
RST_STREAM. Parts decoded before the failure have been answered.

A container's output ends when it closes the WebSocket (1000, 1001 or no code); another
code, or the connection lost without a Close, becomes a ``ModelStreamError`` event
(``ErrorCode: ModelStreamFailure``). The end of the input closes the WebSocket (1000);
the container's frames until its Close still come through (it gets
``container_timeout`` to close). A refused input closes it with 1008, a caller gone
(RST_STREAM) or a server shutting down with 1001.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Sequence
from email.utils import formatdate
from urllib.parse import unquote

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from .._auth.event_signing import STREAMING_EVENTS_PAYLOAD, EventVerifier
from .._auth.verify import verify_request
from .._spec import OperationSpec
from ._app import _validate
from ._asgi import Receive, Route, Scope, Send
from ._bidi_container import NORMAL_CLOSE, Closed, ContainerRefused, ContainerSocket
from ._bidi_events import ClientGone, InputReader, InputRefused, exception_event, payload_parts
from ._config import EndpointTarget, LocalConfig
from ._errors import LocalServiceError, error_response
from ._messages import Request
from ._targets import TargetRunner

__all__ = ["BIDIRECTIONAL_PATH", "BidirectionalStreamApp", "bidirectional_route"]

logger = logging.getLogger("aiosagemaker_runtime.local")

BIDIRECTIONAL_PATH = re.compile(r"/endpoints/([^/]+)/invocations-bidirectional-stream")
_OPERATION = "InvokeEndpointWithBidirectionalStream"
_EVENTSTREAM = b"application/vnd.amazon.eventstream"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")


def bidirectional_route(config: LocalConfig, runner: TargetRunner) -> Route:
    """The route serving the bidirectional operation for ``config``'s endpoints."""
    return Route("POST", BIDIRECTIONAL_PATH, BidirectionalStreamApp(config, runner))


async def _hand(
    frames: MemoryObjectSendStream[tuple[bytes, bool]], frame: tuple[bytes, bool]
) -> None:
    """Hand ``frame`` to the writer, unless it has stopped (after a last frame)."""
    with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
        await frames.send(frame)


async def _body(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _end(send: Send) -> None:
    await send({"type": "http.response.body", "body": b""})


class _Relay:
    """What the two sides of a container exchange share."""

    __slots__ = ("close_code", "gone")

    def __init__(self) -> None:
        self.gone = False
        self.close_code = 1001  # unless the input ends (1000) or is refused (1008)


# -- the application --------------------------------------------------------------------


class BidirectionalStreamApp:
    """The ASGI application of the bidirectional operation (see the module docstring)."""

    def __init__(self, config: LocalConfig, runner: TargetRunner) -> None:
        self.config = config
        self.runner = runner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = str(uuid.uuid4())
        http2 = scope.get("http_version", "1.1") not in ("1.0", "1.1")
        socket: ContainerSocket | None = None
        try:
            endpoint, verifier = self._check(scope, http2)
            if not endpoint.is_echo:
                socket = await self._connect(endpoint, scope)
        except LocalServiceError as error:
            logger.info("%s -> %s %s", _OPERATION, error.status, error.code)
            await _send_error(send, error, request_id, http2)
            return
        except Exception:
            logger.exception("internal failure starting %s", _OPERATION)
            failure = LocalServiceError(
                "InternalServerError", "An internal failure occurred.", status=500
            )
            await _send_error(send, failure, request_id, http2)
            return
        logger.info("%s %s", _OPERATION, endpoint.name)
        head = [
            (b"content-type", _EVENTSTREAM),
            (b"x-amzn-requestid", request_id.encode("ascii")),
            (b"x-amzn-invoked-production-variant", endpoint.variant.encode("latin-1")),
            (b"date", formatdate(usegmt=True).encode("ascii")),
        ]
        reader = InputReader(receive, verifier)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": head})
            if socket is None:
                await _echo(reader, send)
            else:
                await self._relay(reader, socket, send, endpoint)
        finally:
            if socket is not None:
                await socket.aclose()

    # -- before the stream ----------------------------------------------------------------

    def _check(self, scope: Scope, http2: bool) -> tuple[EndpointTarget, EventVerifier | None]:
        if not http2:
            raise LocalServiceError(
                "InputValidationError",
                f"{_OPERATION} is served over HTTP/2 only (h2c, or TLS with ALPN h2).",
                ErrorCode="ValidationError",
            )
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        path = raw_path.decode("latin-1")
        query = scope["query_string"].decode("latin-1")
        headers = [
            (name.decode("latin-1").lower(), value.decode("latin-1"))
            for name, value in scope["headers"]
        ]
        match = BIDIRECTIONAL_PATH.fullmatch(path)
        assert match is not None  # the route matched it
        verifier = self._authenticate(path, query, headers)
        name = unquote(match.group(1))
        try:
            _validate(_operation_spec(), name, Request("POST", path, query, headers))
        except LocalServiceError as error:
            raise LocalServiceError(
                "InputValidationError", error.message, ErrorCode=error.code
            ) from None
        endpoint = self.config.endpoints.get(name)
        if endpoint is None:
            raise LocalServiceError(
                "InputValidationError",
                f"Endpoint {name} of account {self.config.account_id} not found.",
                ErrorCode="ValidationError",
            )
        if not endpoint.is_echo and not endpoint.target.startswith(("http://", "https://")):
            raise LocalServiceError(
                "InputValidationError",
                f"Endpoint {name} does not serve {_OPERATION}: its target is neither echo "
                "nor a container URL.",
                ErrorCode="ValidationError",
            )
        return endpoint, verifier

    def _authenticate(
        self, path: str, query: str, headers: Sequence[tuple[str, str]]
    ) -> EventVerifier | None:
        if not self.config.credentials:
            return None
        result = verify_request("POST", path, query, headers, b"", self.config.credentials.get)
        if not result.ok:
            raise LocalServiceError(result.error_code, result.message, status=result.status_code)
        declared = next((v for k, v in headers if k == "x-amz-content-sha256"), None)
        authorization = next((v for k, v in headers if k == "authorization"), "")
        scope = _CREDENTIAL.search(authorization)
        if declared != STREAMING_EVENTS_PAYLOAD or scope is None or result.access_key is None:
            raise LocalServiceError(
                "InvalidSignatureException",
                f"The input events of {_OPERATION} are signed one by one: sign the request "
                f"with X-Amz-Content-SHA256: {STREAMING_EVENTS_PAYLOAD}.",
            )
        secret = self.config.credentials[result.access_key]
        return EventVerifier(
            secret, region=scope.group(3), service=scope.group(4), seed_signature=result.signature
        )

    async def _connect(self, endpoint: EndpointTarget, scope: Scope) -> ContainerSocket:
        headers = {name.lower(): value for name, value in scope["headers"]}
        path = headers.get(b"x-amzn-sagemaker-model-invocation-path")
        query = headers.get(b"x-amzn-sagemaker-model-query-string")
        try:
            return await ContainerSocket.connect(
                endpoint.target,
                path.decode("latin-1") if path else None,
                query.decode("latin-1") if query else None,
                timeout=self.config.container_timeout,
            )
        except ContainerRefused as refused:
            message = refused.message
            if refused.status:
                message = message or f"The container answered {refused.status} to the WebSocket"
            raise self.runner.model_error(endpoint, refused.status, message) from None

    # -- the exchange with a container ------------------------------------------------------

    async def _relay(
        self, reader: InputReader, socket: ContainerSocket, send: Send, endpoint: EndpointTarget
    ) -> None:
        relay = _Relay()
        # One writer (this task) sends the output; both sides hand it frames. A frame
        # marked last ends the output: what either side hands over after it is dropped.
        frames_in, frames_out = anyio.create_memory_object_stream[tuple[bytes, bool]](1)
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._forward_input, reader, socket, frames_in.clone(), relay)
                tasks.start_soon(self._forward_output, socket, frames_in.clone(), endpoint)
                frames_in.close()
                async with frames_out:
                    async for frame, last in frames_out:
                        if frame:
                            await _body(send, frame)
                        if last:
                            break
                tasks.cancel_scope.cancel()
        finally:
            await socket.aclose(relay.close_code)
        if not relay.gone:
            await _end(send)

    async def _forward_input(
        self,
        reader: InputReader,
        socket: ContainerSocket,
        frames: MemoryObjectSendStream[tuple[bytes, bool]],
        relay: _Relay,
    ) -> None:
        async with frames:
            try:
                while (part := await reader.next()) is not None:
                    try:
                        await socket.send(
                            part.data,
                            text=part.data_type == "UTF8",
                            final=part.completion != "PARTIAL",
                        )
                    except ValueError as error:
                        raise InputRefused("ValidationError", f"{error}.") from None
                relay.close_code = 1000
                await socket.close(1000)
                # The container has until its timeout to close; meanwhile a caller that
                # resets the stream still ends the exchange.
                with anyio.move_on_after(self.config.container_timeout):
                    await reader.wait_gone()
                    raise ClientGone
                timeout = exception_event(
                    "ModelStreamError",
                    "ModelStreamTimeout",
                    "The model container did not close the WebSocket within "
                    f"{self.config.container_timeout:g} s of the end of the input.",
                )
                await _hand(frames, (timeout, True))
            except InputRefused as refused:
                relay.close_code = 1008
                logger.info("%s input refused: %s", _OPERATION, refused.message)
                event = exception_event("InputValidationError", refused.error_code, refused.message)
                await _hand(frames, (event, True))
            except ClientGone:
                relay.gone = True
                relay.close_code = 1001
                await _hand(frames, (b"", True))

    async def _forward_output(
        self,
        socket: ContainerSocket,
        frames: MemoryObjectSendStream[tuple[bytes, bool]],
        endpoint: EndpointTarget,
    ) -> None:
        async with frames:
            while True:
                received = await socket.receive()
                if isinstance(received, Closed):
                    break
                data_type = "UTF8" if received.text else "BINARY"
                completion = "COMPLETE" if received.final else "PARTIAL"
                for frame in payload_parts(received.data, data_type, completion):
                    await _hand(frames, (frame, False))
            if received.code in NORMAL_CLOSE:
                await _hand(frames, (b"", True))
                return
            if received.code == 1006:
                what = "closed the connection without closing the WebSocket"
            else:
                what = f"closed the WebSocket with code {received.code}"
                if received.reason:
                    what += f" ({received.reason})"
            message = f"The model container of endpoint {endpoint.name} {what}."
            logger.info("%s: %s", _OPERATION, message)
            event = exception_event("ModelStreamError", "ModelStreamFailure", message)
            await _hand(frames, (event, True))


async def _echo(reader: InputReader, send: Send) -> None:
    """Each part back as it is decoded; the output ends when the input does."""
    try:
        while (part := await reader.next()) is not None:
            for frame in payload_parts(part.data, part.data_type, part.completion):
                await _body(send, frame)
    except InputRefused as refused:
        logger.info("%s input refused: %s", _OPERATION, refused.message)
        await _body(
            send, exception_event("InputValidationError", refused.error_code, refused.message)
        )
    except ClientGone:
        return
    await _end(send)


def _operation_spec() -> OperationSpec:
    from .._generated_http2.operations import INVOKE_ENDPOINT_WITH_BIDIRECTIONAL_STREAM

    return INVOKE_ENDPOINT_WITH_BIDIRECTIONAL_STREAM


async def _send_error(send: Send, error: LocalServiceError, request_id: str, http2: bool) -> None:
    response = error_response(error, request_id)
    fields = [*response.headers, ("Date", formatdate(usegmt=True))]
    fields.append(("Content-Length", str(len(response.body))))
    headers = [
        ((name.lower() if http2 else name).encode("latin-1"), value.encode("latin-1"))
        for name, value in fields
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
