"""The SageMaker Runtime application: routing, authentication, the three operations."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import anyio
import anyio.abc

from .._auth.verify import verify_request
from .._exceptions import ParamValidationError
from .._protocol.eventstream import encode_message
from .._spec import OperationSpec
from ._config import EndpointTarget, LocalConfig
from ._errors import LocalServiceError, error_response
from ._messages import Request, Response
from ._s3 import LocalS3, join_s3
from ._targets import (
    FORWARDED_REQUEST_HEADERS,
    ConnectionDrop,
    Invocation,
    ModelReply,
    ScriptedAnswer,
    TargetRunner,
    WireBytes,
)

__all__ = ["SageMakerRuntimeApp", "body_limits"]

logger = logging.getLogger("aiosagemaker_runtime.local")

_ROUTE = re.compile(
    r"/endpoints/([^/]+)/(invocations|async-invocations|invocations-response-stream)"
)
_OPERATIONS = {
    "invocations": "InvokeEndpoint",
    "async-invocations": "InvokeEndpointAsync",
    "invocations-response-stream": "InvokeEndpointWithResponseStream",
}
_EVENTSTREAM = "application/vnd.amazon.eventstream"
_DEFAULT_BODY_LIMIT = 6 * 1024 * 1024
#: Async inputs in S3 may be up to 1 GB (a service quota, not in the model).
_ASYNC_INPUT_LIMIT = 1024 * 1024 * 1024


@lru_cache(maxsize=1)
def operation_specs() -> dict[str, OperationSpec]:
    """The generated operation tables, by operation name."""
    from .._generated import operations

    return {
        value.name: value
        for value in vars(operations).values()
        if isinstance(value, OperationSpec) and value.name in _OPERATIONS.values()
    }


@lru_cache(maxsize=1)
def body_limits() -> dict[str, int]:
    """Largest request body per operation: the length limit of each input's payload
    member in the generated models (``BodyBlob.max`` for the real-time operations)."""
    limits: dict[str, int] = {}
    for name, spec in operation_specs().items():
        shape = spec.shapes[spec.input]
        maximum = None
        for member in shape.members:
            if shape.payload and member.attr == shape.payload:
                maximum = spec.shapes[member.target].max
        limits[name] = maximum if maximum is not None else _DEFAULT_BODY_LIMIT
    for name in _OPERATIONS.values():
        limits.setdefault(name, _DEFAULT_BODY_LIMIT)
    return limits


class SageMakerRuntimeApp:
    """Answers SageMaker Runtime requests for the endpoints of ``config``."""

    def __init__(self, config: LocalConfig, runner: TargetRunner) -> None:
        self.config = config
        self.runner = runner
        self.s3 = LocalS3(config.s3_root) if config.s3_root is not None else None
        self.limits = body_limits()
        self._background: anyio.abc.TaskGroup | None = None
        self._active: dict[str, int] = {}  # InvokeEndpoint calls running, per endpoint

    @property
    def max_body(self) -> int:
        return max(self.limits.values())

    def attach(self, task_group: anyio.abc.TaskGroup) -> None:
        """Where asynchronous invocations run."""
        self._background = task_group

    async def __call__(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            return await self._dispatch(request, request_id)
        except LocalServiceError as error:
            logger.info("%s %s -> %s %s", request.method, request.path, error.status, error.code)
            return error_response(error, request_id)
        except ScriptedAnswer as answer:  # an in-process model's own answer (the test kit)
            return answer.response_for(request_id)
        except Exception:
            logger.exception("internal failure serving %s %s", request.method, request.path)
            failure = LocalServiceError("InternalFailure", "An internal failure occurred.")
            return error_response(failure, request_id)

    async def _dispatch(self, request: Request, request_id: str) -> Response:
        if request.method == "GET" and request.path == "/ping":
            return Response(200, [("x-amzn-RequestId", request_id)])
        match = _ROUTE.fullmatch(request.path)
        if match is None or request.method != "POST":
            raise LocalServiceError(
                "UnknownOperationException",
                f"No operation matches {request.method} {request.path}.",
            )
        operation = _OPERATIONS[match.group(2)]
        # The front end refuses oversized bodies before anything else looks at them.
        limit = self.limits[operation]
        if request.body_length > limit:
            raise LocalServiceError(
                "ValidationError", f"HTTP content length exceeded {limit} bytes.", status=413
            )
        self._authenticate(request)
        name = unquote(match.group(1))
        _validate(operation_specs()[operation], name, request)
        endpoint = self._endpoint(name)
        logger.info("%s %s (%d bytes)", operation, endpoint.name, request.body_length)
        if operation == "InvokeEndpoint":
            return await self._invoke(request, request_id, endpoint)
        if operation == "InvokeEndpointWithResponseStream":
            return await self._invoke_stream(request, request_id, endpoint)
        return await self._invoke_async(request, request_id, endpoint)

    def _authenticate(self, request: Request) -> None:
        if not self.config.credentials:
            return
        result = verify_request(
            request.method,
            request.path,
            request.query,
            request.headers,
            request.body,
            self.config.credentials.get,
        )
        if not result.ok:
            raise LocalServiceError(result.error_code, result.message, status=result.status_code)

    def _endpoint(self, name: str) -> EndpointTarget:
        endpoint = self.config.endpoints.get(name)
        if endpoint is None:
            raise LocalServiceError(
                "ValidationError",
                f"Endpoint {name} of account {self.config.account_id} not found.",
            )
        return endpoint

    # -- InvokeEndpoint -----------------------------------------------------------------

    def _head(self, request_id: str, endpoint: EndpointTarget) -> list[tuple[str, str]]:
        return [
            ("x-amzn-RequestId", request_id),
            ("x-Amzn-Invoked-Production-Variant", endpoint.variant),
        ]

    async def _invoke(
        self, request: Request, request_id: str, endpoint: EndpointTarget
    ) -> Response:
        if endpoint.capacity is None:
            return await self._invoke_model(request, request_id, endpoint)
        active = self._active.get(endpoint.name, 0)
        if active >= endpoint.capacity:
            logger.info("InvokeEndpoint %s throttled: %d calls running", endpoint.name, active)
            return _throttled(request_id)
        self._active[endpoint.name] = active + 1
        try:
            return await self._invoke_model(request, request_id, endpoint)
        finally:
            # Before the answer is written: a caller that waits for its answers never
            # counts more calls than the server does.
            self._active[endpoint.name] -= 1

    async def _invoke_model(
        self, request: Request, request_id: str, endpoint: EndpointTarget
    ) -> Response:
        call = Invocation(request.body, _forwarded(request), request=request)
        reply = await self.runner.invoke(endpoint, call)
        headers = self._head(request_id, endpoint)
        headers.append(("Content-Type", reply.content_type))
        headers.extend(_returned(reply))
        return Response(200, headers, reply.body)

    # -- InvokeEndpointWithResponseStream -------------------------------------------------

    async def _invoke_stream(
        self, request: Request, request_id: str, endpoint: EndpointTarget
    ) -> Response:
        forwarded = _forwarded(request, accept_header="x-amzn-sagemaker-accept")
        call = Invocation(request.body, forwarded, request=request)
        reply = await self.runner.invoke_stream(endpoint, call)
        assert reply.stream is not None
        headers = self._head(request_id, endpoint)
        headers.append(("Content-Type", _EVENTSTREAM))
        headers.append(("X-Amzn-SageMaker-Content-Type", reply.content_type))
        headers.extend(_returned(reply))
        return Response(200, headers, stream=_frames(reply.stream))

    # -- InvokeEndpointAsync ----------------------------------------------------------

    async def _invoke_async(
        self, request: Request, request_id: str, endpoint: EndpointTarget
    ) -> Response:
        if self.s3 is None or self._background is None:
            raise LocalServiceError(
                "ValidationError",
                "InvokeEndpointAsync needs a local S3 directory: start serve-local with "
                "--s3-root DIR.",
            )
        input_location = request.header("x-amzn-sagemaker-inputlocation")
        if not input_location and not request.body:
            raise LocalServiceError(
                "ValidationError",
                "1 validation error detected: Value null at 'inputLocation' failed to satisfy "
                "constraint: Member must not be null",
            )
        if input_location:
            self.s3.path_for(input_location)  # refuse a malformed location now
        timeout_header = request.header("x-amzn-sagemaker-invocationtimeoutseconds")
        timeout = float(timeout_header) if timeout_header and timeout_header.isdigit() else None
        inference_id = request.header("x-amzn-sagemaker-inference-id") or str(uuid.uuid4())
        object_id = str(uuid.uuid4())
        extension = request.header("x-amzn-sagemaker-s3outputpathextension") or ""
        filename = request.header("x-amzn-sagemaker-filename") or f"{object_id}.out"
        output = join_s3(self.config.async_output, extension, filename)
        failure = join_s3(self.config.async_failure, extension, f"{object_id}-error.out")
        forwarded = _forwarded(
            request,
            accept_header="x-amzn-sagemaker-accept",
            content_type_header="x-amzn-sagemaker-content-type",
        )
        self._background.start_soon(
            self._run_async,
            endpoint,
            input_location,
            request.body,
            Invocation(b"", forwarded, timeout, request=request),
            output,
            failure,
        )
        headers = [
            ("x-amzn-RequestId", request_id),
            ("X-Amzn-SageMaker-OutputLocation", output),
            ("X-Amzn-SageMaker-FailureLocation", failure),
            ("Content-Type", "application/json"),
        ]
        body = json.dumps({"InferenceId": inference_id}).encode()
        return Response(202, headers, body)

    async def _run_async(
        self,
        endpoint: EndpointTarget,
        input_location: str | None,
        inline_body: bytes,
        call: Invocation,
        output: str,
        failure: str,
    ) -> None:
        assert self.s3 is not None
        try:
            if input_location:
                try:
                    call.body = await self.s3.read(input_location, _ASYNC_INPUT_LIMIT)
                except (OSError, ValueError) as error:
                    raise LocalServiceError(
                        "ValidationError", f"Could not read input {input_location}: {error}"
                    ) from None
            else:
                call.body = inline_body
            reply = await self.runner.invoke(endpoint, call)
        except LocalServiceError as error:
            logger.info("async invocation of %s failed: %s", endpoint.name, error.message)
            await self.s3.write(failure, error.message.encode("utf-8"))
            return
        except Exception as error:
            logger.exception("async invocation of %s failed", endpoint.name)
            await self.s3.write(failure, f"Internal failure: {type(error).__name__}".encode())
            return
        await self.s3.write(output, reply.body)
        logger.info("async invocation of %s wrote %s", endpoint.name, output)


def _throttled(request_id: str) -> Response:
    """What SageMaker answers a call above an endpoint's concurrency: status 400,
    ``ThrottlingException``, a null message (as reported in aws/amazon-kinesis-video-
    streams-parser-library#187 and opensearch-project/ml-commons#2429)."""
    headers = [
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", "ThrottlingException"),
        ("Content-Type", "application/json"),
    ]
    return Response(400, headers, b'{"message":null}')


_PROBLEM = re.compile(r"Invalid value for parameter ([\w.\[\]]+): (.*) \(constraint: \w+\)")


def _validate(spec: OperationSpec, endpoint_name: str, request: Request) -> None:
    """Check the request's members against the model's constraints, as the service does
    (the generated input model applies them); the body's length was checked already."""
    shape = spec.shapes[spec.input]
    data: dict[str, Any] = {}
    for member in shape.members:
        if member.location == "uri":
            data[member.name] = endpoint_name
        elif member.location == "header":
            value = request.header(member.wire_name)
            if value is None:
                continue
            if spec.shapes[member.target].type in ("integer", "long"):
                try:
                    data[member.name] = int(value)
                except ValueError:
                    data[member.name] = value
            else:
                data[member.name] = value
        elif member.attr == shape.payload and member.required:
            data[member.name] = b""
    if shape.cls is None:  # pragma: no cover - generated inputs always have a class
        return
    try:
        shape.cls.model_validate(data)
    except ParamValidationError as error:
        problems = []
        for line in str(error).splitlines()[1:]:
            found = _PROBLEM.fullmatch(line.strip())
            if found is not None:
                path, text = found.groups()
                problems.append(
                    f"Value at '{path[:1].lower()}{path[1:]}' failed to satisfy constraint: {text}"
                )
        problems = problems or [str(error)]
        count = len(problems)
        raise LocalServiceError(
            "ValidationError",
            f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems),
        ) from None


def _forwarded(
    request: Request,
    *,
    accept_header: str = "accept",
    content_type_header: str = "content-type",
) -> dict[str, str]:
    """Headers handed to the model, under the names the container contract uses."""
    renames: dict[str, str] = {accept_header: "accept", content_type_header: "content-type"}
    wanted: set[str] = set(FORWARDED_REQUEST_HEADERS) - {"accept", "content-type"}
    wanted |= set(renames)
    forwarded: dict[str, str] = {}
    for name, value in request.headers:
        if name in wanted and name not in forwarded:
            forwarded[renames.get(name, name)] = value
    return forwarded


def _returned(reply: ModelReply) -> list[tuple[str, str]]:
    names = {
        "x-amzn-sagemaker-custom-attributes": "X-Amzn-SageMaker-Custom-Attributes",
        "x-amzn-sagemaker-new-session-id": "X-Amzn-SageMaker-New-Session-Id",
        "x-amzn-sagemaker-closed-session-id": "X-Amzn-SageMaker-Closed-Session-Id",
    }
    return [(names.get(name, name), value) for name, value in reply.headers.items()]


_PAYLOAD_PART = (
    (":event-type", "PayloadPart"),
    (":content-type", "application/octet-stream"),
    (":message-type", "event"),
)
#: Parts larger than this are cut, so no frame exceeds the event-stream limits.
_MAX_PART = 1024 * 1024


def _exception_frame(code: str, payload: dict[str, Any]) -> bytes:
    headers = (
        (":exception-type", code),
        (":content-type", "application/json"),
        (":message-type", "exception"),
    )
    return encode_message(headers, json.dumps(payload).encode("utf-8"))


async def _frames(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The model's chunks as ``PayloadPart`` events; a failure becomes an exception event."""
    close: Callable[[], Any] | None = getattr(chunks, "aclose", None)
    try:
        async for chunk in chunks:
            if isinstance(chunk, WireBytes):  # the test kit's malformed frames
                yield chunk
                continue
            for start in range(0, len(chunk), _MAX_PART):
                yield encode_message(_PAYLOAD_PART, chunk[start : start + _MAX_PART])
    except LocalServiceError as error:
        payload: dict[str, Any] = {"Message": error.message}
        if "ErrorCode" in error.fields:
            payload["ErrorCode"] = error.fields["ErrorCode"]
        yield _exception_frame(error.code, payload)
    except ConnectionDrop:
        raise
    except Exception:
        logger.exception("internal failure while streaming")
        yield _exception_frame(
            "InternalStreamFailure", {"Message": "An internal failure occurred."}
        )
    finally:
        if close is not None:
            with anyio.CancelScope(shield=True):
                await close()
