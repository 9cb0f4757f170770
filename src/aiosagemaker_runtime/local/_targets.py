"""What answers an invocation: the built-in ``echo`` model or a model container.

Containers follow SageMaker's container contract: ``GET /ping`` answers 200 when the
model is ready; ``POST /invocations`` gets the body with ``Content-Type``, ``Accept``
and ``X-Amzn-SageMaker-Custom-Attributes``; a streamed answer is a chunked response.
Failures are raised as :class:`LocalServiceError` carrying what the service would send.

A third kind of target, an :class:`InProcessModel`, answers in the server's own process
(the test kit, :mod:`aiosagemaker_runtime.testing`); besides answers and
``LocalServiceError`` it may raise :class:`ScriptedAnswer` (an HTTP answer as given),
:class:`ConnectionDrop` (no answer at all) and put :class:`WireBytes` among a stream's
parts (bytes sent outside any frame).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import anyio
import httpx2

from ._config import EndpointTarget, LocalConfig
from ._errors import LocalServiceError
from ._messages import Request, Response

__all__ = [
    "ConnectionDrop",
    "InProcessModel",
    "Invocation",
    "ModelReply",
    "ScriptedAnswer",
    "TargetRunner",
    "WireBytes",
    "model_error",
]

#: Request headers SageMaker hands on to the container.
FORWARDED_REQUEST_HEADERS = (
    "content-type",
    "accept",
    "x-amzn-sagemaker-custom-attributes",
    "x-amzn-sagemaker-target-model",
    "x-amzn-sagemaker-inference-id",
    "x-amzn-sagemaker-enable-explanations",
    "x-amzn-sagemaker-session-id",
)
#: Container response headers SageMaker hands back to the caller.
RETURNED_RESPONSE_HEADERS = (
    "x-amzn-sagemaker-custom-attributes",
    "x-amzn-sagemaker-new-session-id",
    "x-amzn-sagemaker-closed-session-id",
)

_CONTAINER = "primary"
_ECHO_PARTS = 8
_PING_TIMEOUT = 5.0
_MAX_ORIGINAL_MESSAGE = 4096


@dataclass(slots=True)
class Invocation:
    """One call to a model: the body and the headers the container gets."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    """Lower-cased names among :data:`FORWARDED_REQUEST_HEADERS`."""
    timeout: float | None = None
    """Overrides the server's container timeout (``InvocationTimeoutSeconds``)."""
    request: Request | None = None
    """The request as the server received it, for in-process models (the test kit
    records it); never sent to a container."""


@dataclass(slots=True)
class ModelReply:
    """What the model answered (headers as the caller should see them)."""

    content_type: str
    headers: dict[str, str]
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None


class InProcessModel(Protocol):
    """A model answering in the server's process (the test kit's endpoints).

    ``invoke`` answers ``InvokeEndpoint`` and ``InvokeEndpointAsync``, ``invoke_stream``
    ``InvokeEndpointWithResponseStream`` (its reply's ``stream`` set). Both may raise
    :class:`LocalServiceError`, :class:`ScriptedAnswer` or :class:`ConnectionDrop`; a
    stream's parts may be :class:`WireBytes` and it may raise the first and the last.
    """

    async def invoke(self, call: Invocation) -> ModelReply: ...

    async def invoke_stream(self, call: Invocation) -> ModelReply: ...


class ScriptedAnswer(Exception):
    """Raised by an in-process model: answer with ``response`` as given (the request id
    header added), for answers a :class:`LocalServiceError` cannot describe (a null
    message, a proxy's page without an error type)."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"scripted answer {response.status}")
        self.response = response

    def response_for(self, request_id: str) -> Response:
        response = self.response
        headers = [("x-amzn-RequestId", request_id), *response.headers]
        return Response(response.status, headers, response.body, response.stream)


class ConnectionDrop(ScriptedAnswer):
    """Raised by an in-process model: the connection closes with no answer at all (a
    reset, as clients see it). Raised from a stream's parts, it closes the connection
    after the parts sent so far, without the end of the response."""

    def __init__(self) -> None:
        super().__init__(Response(0))

    def response_for(self, request_id: str) -> Response:
        # The server writes a head of known length together with its body (see
        # _hypercorn._H11Protocol): a body that fails before its first byte takes the
        # head with it, and the connection closes having sent nothing.
        return Response(200, [("Content-Length", "1")], stream=_drop())


async def _drop() -> AsyncIterator[bytes]:
    raise ConnectionDrop
    yield b""  # pragma: no cover - makes this an async generator


class WireBytes(bytes):
    """A part of an in-process model's stream sent as it is, outside any event-stream
    frame (the test kit's corrupt and truncated frames)."""


def model_error(
    config: LocalConfig, endpoint_name: str, status: int, message: str
) -> LocalServiceError:
    """The ``ModelError`` SageMaker sends when the container answered ``status`` with
    ``message`` (0: it did not answer)."""
    kind = "client" if 400 <= status < 500 else "server"
    region, account = config.region, config.account_id
    link = (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#logEventViewer:group=/aws/sagemaker/Endpoints/{endpoint_name}"
    )
    text = (
        f'Received {kind} error ({status}) from {_CONTAINER} with message "{message}". '
        f"See {link} in account {account} for more information."
    )
    return LocalServiceError(
        "ModelError",
        text,
        ErrorCode=f"{kind.upper()}_ERROR_FROM_MODEL",
        OriginalStatusCode=status,
        OriginalMessage=message,
        LogStreamArn=(
            f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{endpoint_name}"
        ),
    )


def split_for_stream(body: bytes, parts: int = _ECHO_PARTS) -> list[bytes]:
    """Cut ``body`` into at most ``parts`` pieces, at whitespace where possible."""
    if not body:
        return []
    words = re.findall(rb"\s*\S+\s*|\s+", body)
    if len(words) < 2:
        size = max(1, -(-len(body) // parts))
        return [body[i : i + size] for i in range(0, len(body), size)]
    per_part = -(-len(words) // parts)
    return [b"".join(words[i : i + per_part]) for i in range(0, len(words), per_part)]


class TargetRunner:
    """Runs invocations against the configured endpoints; owns the container client."""

    def __init__(self, config: LocalConfig) -> None:
        self._config = config
        self._client = httpx2.AsyncClient(
            timeout=httpx2.Timeout(config.container_timeout, connect=5.0),
            limits=httpx2.Limits(max_connections=256, max_keepalive_connections=64),
            trust_env=False,
        )
        self._ready: set[str] = set()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- errors as the service words them ---------------------------------------------

    def model_error(self, endpoint: EndpointTarget, status: int, message: str) -> LocalServiceError:
        return model_error(self._config, endpoint.name, status, message)

    def timeout_error(self, endpoint: EndpointTarget) -> LocalServiceError:
        return self.model_error(
            endpoint,
            0,
            f"Your invocation timed out while waiting for a response from container {_CONTAINER}. "
            "Review the latency metrics for each container in Amazon CloudWatch, resolve the "
            "issue, and try again.",
        )

    @staticmethod
    def unavailable(endpoint: EndpointTarget) -> LocalServiceError:
        return LocalServiceError(
            "ServiceUnavailable",
            f"The model container of endpoint {endpoint.name} at {endpoint.target} refused "
            "the connection. Try your call again.",
        )

    # -- running ----------------------------------------------------------------------

    async def invoke(self, endpoint: EndpointTarget, call: Invocation) -> ModelReply:
        """A complete answer (``InvokeEndpoint``, ``InvokeEndpointAsync``)."""
        if endpoint.model is not None:
            return await endpoint.model.invoke(call)
        if endpoint.is_echo:
            return ModelReply(_echo_content_type(call), {}, body=call.body)
        await self._check_ready(endpoint)
        timeout = call.timeout or self._config.container_timeout
        try:
            with anyio.fail_after(timeout):
                response = await self._client.post(
                    endpoint.target + "/invocations",
                    content=call.body,
                    headers=_container_headers(call),
                    timeout=httpx2.Timeout(timeout, connect=5.0),
                )
        except TimeoutError:
            raise self.timeout_error(endpoint) from None
        except httpx2.TimeoutException:
            raise self.timeout_error(endpoint) from None
        except httpx2.ConnectError:
            self._ready.discard(endpoint.name)
            raise self.unavailable(endpoint) from None
        except httpx2.HTTPError as error:
            raise self.model_error(
                endpoint, 0, f"Connection to the container failed: {error}"
            ) from None
        if response.status_code >= 400:
            raise self.model_error(
                endpoint, response.status_code, _original_message(response.content)
            )
        return ModelReply(
            response.headers.get("content-type", "application/octet-stream"),
            _returned_headers(response.headers),
            body=response.content,
        )

    async def invoke_stream(self, endpoint: EndpointTarget, call: Invocation) -> ModelReply:
        """A streamed answer (``InvokeEndpointWithResponseStream``).

        Errors before the container starts answering are raised; the returned
        ``stream`` yields the container's chunks as they arrive and raises
        :class:`LocalServiceError` (``ModelStreamError``) when the container fails later.
        """
        if endpoint.model is not None:
            return await endpoint.model.invoke_stream(call)
        if endpoint.is_echo:
            return ModelReply(
                _echo_content_type(call), {}, stream=_iterate(split_for_stream(call.body))
            )
        await self._check_ready(endpoint)
        timeout = self._config.container_timeout
        request = self._client.build_request(
            "POST",
            endpoint.target + "/invocations",
            content=call.body,
            headers=_container_headers(call),
        )
        try:
            with anyio.fail_after(timeout):
                response = await self._client.send(request, stream=True)
        except (TimeoutError, httpx2.TimeoutException):
            raise self.timeout_error(endpoint) from None
        except httpx2.ConnectError:
            self._ready.discard(endpoint.name)
            raise self.unavailable(endpoint) from None
        except httpx2.HTTPError as error:
            raise self.model_error(
                endpoint, 0, f"Connection to the container failed: {error}"
            ) from None
        if response.status_code >= 400:
            try:
                content = await response.aread()
            except httpx2.HTTPError:
                content = b""
            finally:
                await response.aclose()
            raise self.model_error(endpoint, response.status_code, _original_message(content))
        return ModelReply(
            response.headers.get("content-type", "application/octet-stream"),
            _returned_headers(response.headers),
            stream=self._relay(endpoint, response),
        )

    async def _relay(
        self, endpoint: EndpointTarget, response: httpx2.Response
    ) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_raw():
                if chunk:
                    yield chunk
        except httpx2.TimeoutException:
            raise LocalServiceError(
                "ModelStreamError",
                f"Your invocation timed out while waiting for a response from container {_CONTAINER}.",
                ErrorCode="ModelStreamTimeout",
            ) from None
        except httpx2.HTTPError as error:
            raise LocalServiceError(
                "ModelStreamError",
                f"The model container of endpoint {endpoint.name} broke off its response: {error}",
                ErrorCode="ModelStreamFailure",
            ) from None
        finally:
            with anyio.CancelScope(shield=True):
                await response.aclose()

    async def _check_ready(self, endpoint: EndpointTarget) -> None:
        """Ping a container until it first answers 200, as SageMaker does before
        routing traffic to it."""
        if endpoint.name in self._ready:
            return
        try:
            response = await self._client.get(endpoint.target + "/ping", timeout=_PING_TIMEOUT)
        except httpx2.ConnectError:
            raise self.unavailable(endpoint) from None
        except httpx2.HTTPError:
            raise LocalServiceError(
                "ModelNotReadyException",
                f"Model for endpoint {endpoint.name} is not ready: /ping did not answer.",
            ) from None
        if response.status_code != 200:
            raise LocalServiceError(
                "ModelNotReadyException",
                f"Model for endpoint {endpoint.name} is not ready: /ping answered "
                f"{response.status_code}.",
            )
        self._ready.add(endpoint.name)


async def _iterate(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
        await anyio.sleep(0)


def _echo_content_type(call: Invocation) -> str:
    return call.headers.get("content-type") or "application/octet-stream"


def _container_headers(call: Invocation) -> dict[str, str]:
    headers = dict(call.headers)
    headers.setdefault("accept", "*/*")
    return headers


def _returned_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in RETURNED_RESPONSE_HEADERS if name in headers}


def _original_message(content: bytes) -> str:
    return content[:_MAX_ORIGINAL_MESSAGE].decode("utf-8", errors="replace")
