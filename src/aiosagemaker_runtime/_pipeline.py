"""The request pipeline: one operation call from keyword arguments to an output model.

Per call: build and validate the input model (nothing is sent for invalid input),
read file and async-iterable payloads once (``rest_json.prepare_input``), serialize
once, hash the body once; then per attempt: copy the headers, add
``amz-sdk-invocation-id`` (one per call), ``amz-sdk-request: attempt=N; max=M``
(``attempt=1`` alone on the first attempt, as botocore sends it) and
the User-Agent, sign afresh (new ``X-Amz-Date`` and signature), send. A 2xx answer
is read fully and parsed inside the call, so retries cover the body too, except an
event stream, which is handed to the caller at once and owns the connection from
then on. Error answers are read, parsed (``rest_json.parse_error``) and retried or
raised according to ``_retry``. Operations with an input event stream take the same
steps to their response headers on the HTTP/2 engine (:meth:`Pipeline.invoke_duplex`).

Logging (logger ``aiosagemaker_runtime``, DEBUG): method, URL, status, attempt and
elapsed time per attempt, and retry decisions. Never headers, bodies, credentials or
error messages (they may carry model output).

Tracing: when an observer is installed (:mod:`._observe`, by
:mod:`aiosagemaker_runtime.otel`), :meth:`Pipeline.invoke` reports each call to it;
when none is, a call pays one read of ``_observe.observer``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from typing import Any

import anyio

# The module, not its attribute: the installed observer is read per call.
import aiosagemaker_runtime._observe as _observe

from ._auth.credentials import CredentialResolver
from ._auth.sigv4 import EMPTY_SHA256, sign_request
from ._config import ClientConfig
from ._endpoints.resolve import aresolve_endpoint, aresolve_region
from ._exceptions import ServiceError, TransportError
from ._http import HTTPRequest, HTTPResponse
from ._ids import uuid4_str
from ._protocol import rest_json
from ._protocol.fastinput import construct_if_plain
from ._retry import RetryStrategy
from ._spec import OperationSpec, ServiceSpec
from ._transports.base import DuplexTransport, Transport
from ._useragent import user_agent

__all__ = ["Pipeline", "build_input", "payload_sha256"]

logger = logging.getLogger("aiosagemaker_runtime")

_DEBUG = logging.DEBUG


def build_input(operation: OperationSpec, input: Any, params: Mapping[str, Any]) -> Any:
    """The validated input model of a call (``None`` for an operation without input).

    ``input`` is a generated input model (used as is) or ``None``; ``params`` are keyword
    arguments in snake_case or the model's spelling. Raises ``ParamValidationError``.
    """
    if not operation.input:
        if input is not None or params:
            raise TypeError(f"{operation.name} takes no input")
        return None
    shape = operation.shapes[operation.input]
    if input is None:
        built = construct_if_plain(shape, operation.shapes, params)
        if built is not None:  # the common case: no class lookup (shape.cls) per call
            return built
    cls = shape.cls
    assert cls is not None
    if input is None:
        return cls(**params)
    if params:
        raise TypeError(
            f"{operation.name}: pass either an input model or keyword arguments, not both"
        )
    if isinstance(input, cls):
        return input
    return cls.model_validate(input)


def payload_sha256(body: bytes | bytearray | memoryview) -> str:
    """Hex SHA-256 of ``body``, hashing bytes-likes in place (no copy)."""
    if not body:
        return EMPTY_SHA256
    if isinstance(body, memoryview) and not body.c_contiguous:
        body = body.tobytes()
    return hashlib.sha256(body).hexdigest()


class Pipeline:
    """Sends a client's calls: endpoint, credentials, signing, transport and retries.

    The region and endpoint are resolved on the first call (reading the AWS config
    file, if needed, in a worker thread) and cached.
    """

    def __init__(
        self,
        service: ServiceSpec,
        config: ClientConfig,
        transport: Transport,
        credentials: CredentialResolver,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        profile_name: str | None = None,
    ) -> None:
        self.service = service
        self.config = config
        self.transport = transport
        self.credentials = credentials
        self.retry = RetryStrategy(config.max_attempts, config.retry_mode)
        self._region_name = region_name
        self._endpoint_url = endpoint_url
        self._profile_name = profile_name
        self._signing_name = service.signing_name or service.endpoint_prefix
        self._user_agent = ("User-Agent", user_agent(config))
        attempts = config.max_attempts
        # As botocore sends them: the first attempt does not announce the maximum.
        self._attempt_headers = [("amz-sdk-request", "attempt=1")] + [
            ("amz-sdk-request", f"attempt={n}; max={attempts}") for n in range(2, attempts + 1)
        ]
        self.region: str | None = None
        self.endpoint: str | None = None

    async def resolve(self) -> tuple[str, str]:
        """``(region, endpoint URL)``, resolved once."""
        region, endpoint = self.region, self.endpoint
        if region is None or endpoint is None:
            region = await aresolve_region(self._region_name, self._profile_name)
            config = self.config
            endpoint = await aresolve_endpoint(
                self.service,
                region,
                use_fips=config.use_fips_endpoint,
                use_dualstack=config.use_dualstack_endpoint,
                endpoint_url=self._endpoint_url,
                profile_name=self._profile_name,
            )
            self.region, self.endpoint = region, endpoint
        return region, endpoint

    async def _request(
        self,
        operation: OperationSpec,
        input: Any,
        params: Mapping[str, Any],
        call: _observe.CallObserver | None,
    ) -> tuple[str, HTTPRequest]:
        """The validated input serialized for its endpoint, once per call (not per
        attempt): ``(region, request)``, the request not yet signed."""
        return await self._serialize(operation, build_input(operation, input, params), call)

    async def _serialize(
        self, operation: OperationSpec, model: Any, call: _observe.CallObserver | None
    ) -> tuple[str, HTTPRequest]:
        region, endpoint = self.region, self.endpoint
        if region is None or endpoint is None:
            region, endpoint = await self.resolve()
        if call is not None:
            call.request(model, region, endpoint)
        if model is not None and rest_json.needs_preparation(operation, model):
            model = await rest_json.prepare_input(operation, model)
        return region, rest_json.serialize_request(operation, model, endpoint)

    async def invoke(self, operation: OperationSpec, input: Any, params: Mapping[str, Any]) -> Any:
        """Run one call; returns the output model (or ``None``) or raises."""
        observer = _observe.observer
        call = None if observer is None else observer.call(self.service, operation)
        attempt = 0
        try:
            model = build_input(operation, input, params)
            region, endpoint = self.region, self.endpoint
            if (
                region is None
                or endpoint is None
                or call is not None
                or (model is not None and rest_json.needs_preparation(operation, model))
            ):
                region, request = await self._serialize(operation, model, call)
            else:  # nothing to wait for: as _serialize, without a coroutine
                request = rest_json.serialize_request(operation, model, endpoint)
            body = request.body
            sha256 = payload_sha256(body)
            base_headers = request.headers
            base_headers.append(self._user_agent)
            base_headers.append(("amz-sdk-invocation-id", uuid4_str()))
            method = request.method
            url = request.url
            retry = self.retry
            max_attempts = retry.max_attempts
            debug = logger.isEnabledFor(_DEBUG)
            cost = 0
            attempt = 1
            while True:
                if retry.limiter is not None:
                    await retry.before_attempt()
                credentials = self.credentials.ready() or await self.credentials.get()
                # tuple.__new__: HTTPRequest's own __new__ is a Python function (namedtuple).
                attempt_request: HTTPRequest = tuple.__new__(
                    HTTPRequest,
                    (method, url, [*base_headers, self._attempt_headers[attempt - 1]], body),
                )
                sign_request(
                    attempt_request,
                    credentials,
                    region=region,
                    service=self._signing_name,
                    payload_sha256=sha256,
                )
                start = time.perf_counter() if debug else 0.0
                try:
                    result = await self._send(
                        operation, attempt_request, debug, attempt, start, call
                    )
                except (ServiceError, TransportError) as error:
                    step = retry.on_error(error, attempt)
                    if debug:
                        _log_failure(method, url, error, attempt, max_attempts, start, step)
                    if step is None:
                        raise
                    delay, cost = step
                    await anyio.sleep(delay)
                    attempt += 1
                    continue
                retry.on_success(cost)
                break
        except BaseException as error:
            if call is not None:
                call.end(None, error, attempt)
            raise
        if call is not None:
            call.end(result, None, attempt)
        return result

    async def invoke_duplex(
        self,
        operation: OperationSpec,
        input: Any,
        params: Mapping[str, Any],
        transport: DuplexTransport,
    ) -> Any:
        """Run a call of an operation with an input event stream on ``transport`` (HTTP/2):
        the output model, a duplex stream, once the response headers are in.

        As :meth:`invoke` up to the response, retries included (each attempt signed
        afresh, with the event-stream payload marker): nothing of the input is sent
        before the caller has the stream, so every failure up to then may be retried.
        """
        observer = _observe.observer
        call = None if observer is None else observer.call(self.service, operation)
        attempts = [0]  # attempts made, kept up to date for the observer
        try:
            output = await self._invoke_duplex(operation, input, params, transport, call, attempts)
        except BaseException as error:
            if call is not None:
                call.end(None, error, attempts[0])
            raise
        if call is not None:
            call.end(output, None, attempts[0])
        return output

    async def _invoke_duplex(
        self,
        operation: OperationSpec,
        input: Any,
        params: Mapping[str, Any],
        transport: DuplexTransport,
        call: _observe.CallObserver | None,
        attempts: list[int],
    ) -> Any:
        from ._auth.event_signing import sign_event_stream_request
        from ._duplex import open_duplex
        from ._protocol.event_input import input_events

        region, request = await self._request(operation, input, params, call)
        shape = operation.shapes[operation.input]
        union = next(m.target for m in shape.members if m.attr == operation.event_stream_input)
        events = input_events(operation.shapes, union)
        base_headers = request.headers
        base_headers.append(self._user_agent)
        base_headers.append(("amz-sdk-invocation-id", uuid4_str()))
        method, url = request.method, request.url
        retry = self.retry
        debug = logger.isEnabledFor(_DEBUG)
        cost = 0
        attempt = 1
        while True:
            await retry.before_attempt()
            attempts[0] = attempt
            credentials = await self.credentials.get()
            attempt_request = HTTPRequest(
                method, url, [*base_headers, self._attempt_headers[attempt - 1]]
            )
            signer = sign_event_stream_request(
                attempt_request, credentials, region=region, service=self._signing_name
            )
            start = time.perf_counter() if debug else 0.0
            try:
                status, output = await open_duplex(
                    transport, attempt_request, signer, operation, self.service, events, call
                )
            except (ServiceError, TransportError) as error:
                step = retry.on_error(error, attempt)
                if debug:
                    _log_failure(method, url, error, attempt, retry.max_attempts, start, step)
                if step is None:
                    raise
                delay, cost = step
                await anyio.sleep(delay)
                attempt += 1
                continue
            if debug:
                logger.debug(
                    "%s %s -> %d (attempt %d/%d, %.1f ms to headers; duplex stream)",
                    method,
                    url,
                    status,
                    attempt,
                    retry.max_attempts,
                    (time.perf_counter() - start) * 1000,
                )
            retry.on_success(cost)
            return output

    async def _send(
        self,
        operation: OperationSpec,
        request: HTTPRequest,
        debug: bool,
        attempt: int,
        start: float,
        call: _observe.CallObserver | None = None,
    ) -> Any:
        response: HTTPResponse = await self.transport.send(request)
        handed_over = False
        try:
            status = response.status_code
            headers = response.headers
            if debug:
                logger.debug(
                    "%s %s -> %d (attempt %d/%d, %.1f ms to headers)",
                    request.method,
                    request.url,
                    status,
                    attempt,
                    self.retry.max_attempts,
                    (time.perf_counter() - start) * 1000,
                )
            if 200 <= status < 300:
                if call is not None:
                    call.response(status, rest_json.request_id(headers))
                if operation.event_stream_output:
                    from ._protocol.streams import EventStream  # with the first stream

                    stream: EventStream[Any] = EventStream(
                        response,
                        operation,
                        self.service,
                        rest_json.request_id(headers),
                        None if call is None else call.stream(),
                    )
                    output = rest_json.parse_stream_output(operation, status, headers, stream)
                    handed_over = True
                    return output
                content = await response.read()
                handed_over = True  # read() released the connection: no shielded close
                return rest_json.parse_response(operation, status, headers, content)
            content = await response.read()
            handed_over = True
            raise rest_json.parse_error(self.service, operation, status, headers, content)
        finally:
            if not handed_over:
                with anyio.CancelScope(shield=True):
                    await response.aclose()


def _log_failure(
    method: str,
    url: str,
    error: BaseException,
    attempt: int,
    max_attempts: int,
    start: float,
    step: tuple[float, int] | None,
) -> None:
    # The error's code or class only: messages may quote model output.
    what = error.code if isinstance(error, ServiceError) and error.code else type(error).__name__
    elapsed = (time.perf_counter() - start) * 1000
    if step is None:
        logger.debug(
            "%s %s failed: %s (attempt %d/%d, %.1f ms); not retried",
            method,
            url,
            what,
            attempt,
            max_attempts,
            elapsed,
        )
    else:
        logger.debug(
            "%s %s failed: %s (attempt %d/%d, %.1f ms); retrying in %.2f s",
            method,
            url,
            what,
            attempt,
            max_attempts,
            elapsed,
            step[0],
        )
