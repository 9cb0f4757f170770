"""OpenTelemetry tracing and metrics for the client's calls (``aiosagemaker-runtime[otel]``).

::

    from aiosagemaker_runtime import otel

    otel.instrument()  # the global providers; or tracer_provider=..., meter_provider=...

Like OpenTelemetry's instrumentors (``BotocoreInstrumentor().instrument()``), this is
one switch for the process: every client, those created before it and those that other
libraries create included, is traced from the next call on, until :func:`uninstrument`.
The package imports nothing of OpenTelemetry unless this module is imported, and while
tracing is off a call pays one attribute read.

Each call is one ``CLIENT`` span named ``Service.Operation`` (``SageMaker
Runtime.InvokeEndpoint``, the service id botocore's instrumentation uses too) with the
attributes of OpenTelemetry's semantic conventions for AWS SDK calls: ``rpc.system``
(``aws-api``), ``rpc.service``, ``rpc.method``, ``aws.request_id``, ``cloud.region``,
``server.address``, ``server.port``, ``http.response.status_code``,
``http.request.resend_count`` (retries, when there were any) and, on failure,
``error.type`` (the error code of a service error, else the exception's class) with an
error status. The conventions' registry has no SageMaker attributes; these are named
``aws.sagemaker.*`` after the model's members: ``endpoint_name``, ``target_variant``,
``inference_component_name`` (from the input) and ``invoked_production_variant`` (from
the output), each only where the call has it.

A response stream's call span lasts until the stream ends (read to its end, closed,
failed or dropped unread) and adds ``aws.sagemaker.stream.parts``,
``aws.sagemaker.stream.bytes`` (payload bytes), ``aws.sagemaker.stream.time_to_first_part``
(seconds from the call's start) and ``aws.sagemaker.stream.end``: ``complete`` (read
to its end), ``closed`` (closed, its loop left or the stream dropped before its end) or
``failed``.

The histogram ``rpc.client.call.duration`` (seconds, the span's duration) has the
attributes ``rpc.system``, ``rpc.service``, ``rpc.method``, ``server.address``,
``server.port``, ``error.type`` and the endpoint and inference component names.

Never recorded: bodies, custom attributes, session ids, inference ids, credentials,
headers, error messages (a model error's message quotes the model's output) or any
member the service model marks sensitive; exceptions are not recorded as span events
for that reason. Trace context is not sent to the service.
"""

from __future__ import annotations

import inspect
import logging
from time import time_ns
from typing import Any
from urllib.parse import urlsplit

try:
    from opentelemetry import context, metrics, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "aiosagemaker_runtime.otel needs OpenTelemetry: pip install 'aiosagemaker-runtime[otel]'"
    ) from error

from . import _observe
from ._exceptions import SageMakerRuntimeError, ServiceError
from ._spec import OperationSpec, ServiceSpec
from ._useragent import VERSION

__all__ = ["instrument", "is_instrumented", "uninstrument"]

logger = logging.getLogger(__name__)

#: Input and output members recorded, by the model's member name: identifiers of where a
#: call went, never payloads, custom attributes or session and inference ids.
_INPUT_MEMBERS = {
    "EndpointName": "aws.sagemaker.endpoint_name",
    "TargetVariant": "aws.sagemaker.target_variant",
    "InferenceComponentName": "aws.sagemaker.inference_component_name",
}
_OUTPUT_MEMBERS = {"InvokedProductionVariant": "aws.sagemaker.invoked_production_variant"}
#: Services (signing names) whose members these are.
_SERVICES = frozenset({"sagemaker"})

#: The duration histogram's attributes besides the operation's: the conventions' for RPC
#: client durations and what says which model served (recording costs per attribute).
_ENDPOINT = "aws.sagemaker.endpoint_name"
_COMPONENT = "aws.sagemaker.inference_component_name"
_MEASURED = (
    *("rpc.system", "rpc.service", "rpc.method", "server.address", "server.port"),
    *(_ENDPOINT, _COMPONENT),
)
#: The conventions' boundaries for RPC durations, extended for long model calls.
_BUCKETS = (
    *(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0),
    *(30.0, 60.0, 120.0, 300.0),
)

_SUPPRESS = getattr(context, "_SUPPRESS_INSTRUMENTATION_KEY", None)
_ERROR = Status(StatusCode.ERROR)


def instrument(*, tracer_provider: Any = None, meter_provider: Any = None) -> None:
    """Trace and measure every client's calls from now on.

    ``tracer_provider`` / ``meter_provider``: OpenTelemetry providers; by default the
    global ones (``opentelemetry.trace.set_tracer_provider`` ...), also when they are
    set after this call. Calling it again replaces the providers. Calls made under
    OpenTelemetry's ``suppress_instrumentation()`` are not traced.
    """
    _observe.install(_Observer(tracer_provider, meter_provider))


def uninstrument() -> None:
    """Stop tracing calls that start from now on (spans in flight still end)."""
    if isinstance(_observe.observer, _Observer):
        _observe.install(None)


def is_instrumented() -> bool:
    """Whether :func:`instrument` is in effect."""
    return isinstance(_observe.observer, _Observer)


def _error_type(error: BaseException) -> str:
    """The ``error.type`` of ``error``: a service error's code, our exceptions' class
    name, else the class's qualified name."""
    if isinstance(error, ServiceError) and error.code:
        return error.code
    cls = type(error)
    if isinstance(error, SageMakerRuntimeError) or cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


class _Operation:
    """What is fixed per operation: the span name, its first attributes, the members to
    read and the call targets seen (:class:`_Target`)."""

    __slots__ = ("attributes", "bare", "input", "input_attrs", "name", "output", "targets")

    def __init__(self, service: ServiceSpec, operation: OperationSpec) -> None:
        self.name = f"{service.service_id}.{operation.name}"
        self.attributes: dict[str, Any] = {
            "rpc.system": "aws-api",
            "rpc.service": service.service_id,
            "rpc.method": operation.name,
        }
        known = service.signing_name in _SERVICES
        self.input = _members(operation, operation.input, _INPUT_MEMBERS) if known else ()
        self.input_attrs = tuple(attr for attr, _ in self.input)
        self.output = _members(operation, operation.output, _OUTPUT_MEMBERS) if known else ()
        #: A call that never got as far as its request (invalid input, no endpoint).
        self.bare = _Target(self.attributes)
        self.targets: dict[tuple[Any, ...], _Target] = {}

    def target(self, input: Any, region: str, endpoint: str, server: tuple[str, int]) -> _Target:
        """The target of a call of ``input`` to ``endpoint``: made once per region,
        endpoint URL and recorded input values."""
        if input is not None and self.input_attrs:
            values = tuple([getattr(input, attr, None) for attr in self.input_attrs])
        else:
            values = ()
        key = (region, endpoint, values)
        found = self.targets.get(key)
        if found is None:
            attributes = dict(self.attributes)
            attributes["cloud.region"] = region
            address, port = server
            if address:
                attributes["server.address"] = address
                attributes["server.port"] = port
            for (_, name), value in zip(self.input, values, strict=False):
                if isinstance(value, str) and value:
                    attributes[name] = value
            if len(self.targets) >= 4096:
                self.targets.clear()
            found = self.targets[key] = _Target(attributes)
        return found


class _Target:
    """What is fixed per operation and call target: the span's attributes at its start
    and the duration's attributes (one dict per ``error.type``)."""

    __slots__ = ("attributes", "measured", "ok")

    def __init__(self, attributes: dict[str, Any]) -> None:
        self.attributes = attributes
        self.ok = {k: attributes[k] for k in _MEASURED if k in attributes}
        self.measured: dict[str, dict[str, Any]] = {}

    def failed(self, error_type: str) -> dict[str, Any]:
        """The duration's attributes of a call that failed with ``error_type``."""
        found = self.measured.get(error_type)
        if found is None:
            if len(self.measured) >= 256:
                self.measured.clear()
            found = self.measured[error_type] = {**self.ok, "error.type": error_type}
        return found


def _members(
    operation: OperationSpec, shape_name: str, wanted: dict[str, str]
) -> tuple[tuple[str, str], ...]:
    """``(attribute, span attribute)`` of the members of ``shape_name`` to record:
    those named in ``wanted`` that are strings the model does not mark sensitive."""
    shape = operation.shapes.get(shape_name) if shape_name else None
    if shape is None:
        return ()
    found = []
    for member in shape.members:
        key = wanted.get(member.name)
        target = operation.shapes.get(member.target)
        if key and target is not None and target.type == "string" and not target.sensitive:
            found.append((member.attr, key))
    return tuple(found)


class _Observer:
    """The installed observer: a tracer, the duration histogram, per-operation facts."""

    def __init__(self, tracer_provider: Any, meter_provider: Any) -> None:
        self.tracer = trace.get_tracer("aiosagemaker_runtime", VERSION, tracer_provider)
        meter = metrics.get_meter("aiosagemaker_runtime", VERSION, meter_provider)
        description = "Duration of the client's calls (to the end of a response stream)."
        try:
            self.duration = meter.create_histogram(
                "rpc.client.call.duration",
                unit="s",
                description=description,
                explicit_bucket_boundaries_advisory=_BUCKETS,
            )
        except TypeError:  # opentelemetry-api < 1.23: the SDK's default buckets
            self.duration = meter.create_histogram(
                "rpc.client.call.duration", unit="s", description=description
            )
        # opentelemetry-api >= 1.28 takes the context a measurement belongs to (for
        # exemplars): the call's, also when a stream ends in another context.
        try:
            self.with_context = "context" in inspect.signature(self.duration.record).parameters
        except (TypeError, ValueError):  # pragma: no cover - a histogram without a signature
            self.with_context = False
        self._operations: dict[int, tuple[OperationSpec, _Operation]] = {}
        self._servers: dict[str, tuple[str, int]] = {}

    def call(self, service: ServiceSpec, operation: OperationSpec) -> _observe.CallObserver:
        try:
            if _SUPPRESS is not None and context.get_value(_SUPPRESS):
                return _NOT_TRACED
            cached = self._operations.get(id(operation))
            if cached is None or cached[0] is not operation:
                cached = self._operations[id(operation)] = (
                    operation,
                    _Operation(service, operation),
                )
            return _Call(self, cached[1])
        except Exception:
            logger.debug("tracing failed to start a span", exc_info=True)
            return _NOT_TRACED

    def server(self, endpoint: str) -> tuple[str, int]:
        """``(server.address, server.port)`` of an endpoint URL, parsed once."""
        found = self._servers.get(endpoint)
        if found is None:
            parts = urlsplit(endpoint)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            if len(self._servers) >= 4096:
                self._servers.clear()
            found = self._servers[endpoint] = (parts.hostname or "", port)
        return found


class _Call:
    """One call's span: started (with the call's start time) when the call's target is
    known, current from then to the call's return, ended then or, for a response
    stream, when the stream ends."""

    __slots__ = (
        "_context",
        "_ended",
        "_late",
        "_observer",
        "_operation",
        "_start",
        "_stream",
        "_target",
        "_token",
        "span",
    )

    def __init__(self, observer: _Observer, operation: _Operation) -> None:
        self._start = time_ns()
        self._observer = observer
        self._operation = operation
        self._target = operation.bare
        self._late: dict[str, Any] = {}  # set on the span when it ends
        self._ended = False
        self._stream: _Stream | None = None
        self._token: object | None = None
        self._context: Any = None
        self.span: Any = None

    def _begin(self, current: bool = True) -> None:
        """Start the span and make it current (``current``)."""
        self.span = span = self._observer.tracer.start_span(
            self._operation.name,
            kind=SpanKind.CLIENT,
            attributes=self._target.attributes,
            start_time=self._start,
        )
        self._context = ctx = trace.set_span_in_context(span)
        if current:
            self._token = context.attach(ctx)

    def request(self, input: Any, region: str, endpoint: str) -> None:
        if self.span is not None:
            return
        try:
            operation = self._operation
            server = self._observer.server(endpoint)
            self._target = operation.target(input, region, endpoint, server)
        except Exception:
            logger.debug("tracing failed to read the request", exc_info=True)
        try:
            self._begin()
        except Exception:
            logger.debug("tracing failed to start a span", exc_info=True)

    def response(self, status: int, request_id: str | None) -> None:
        late = self._late
        late["http.response.status_code"] = status
        if request_id:
            late["aws.request_id"] = request_id

    def stream(self) -> _Stream:
        self._stream = stream = _Stream(self)
        return stream

    def end(self, output: Any, error: BaseException | None, attempts: int) -> None:
        try:
            if self.span is None:  # no request: invalid input, no endpoint
                self._begin(current=False)
            if attempts > 1:
                self._late["http.request.resend_count"] = attempts - 1
            if output is not None:
                for attr, key in self._operation.output:
                    value = getattr(output, attr, None)
                    if isinstance(value, str) and value:
                        self._late[key] = value
            if error is not None or self._stream is None:
                self.finish(error)
        except Exception:
            logger.debug("tracing failed to end a span", exc_info=True)
        finally:
            token, self._token = self._token, None
            if token is not None:
                context.detach(token)  # type: ignore[arg-type]

    def finish(self, error: BaseException | None) -> None:
        """End the span (once) and record the call's duration."""
        if self._ended or self.span is None:
            return
        self._ended = True
        late = self._late
        span = self.span
        if error is None:
            measured = self._target.ok
        else:
            error_type = late["error.type"] = _error_type(error)
            measured = self._target.failed(error_type)
            if isinstance(error, ServiceError):
                if error.status_code is not None:
                    late["http.response.status_code"] = error.status_code
                if error.request_id:
                    late["aws.request_id"] = error.request_id
            span.set_status(_ERROR)
        if late:
            span.set_attributes(late)
        end = time_ns()
        span.end(end)
        observer = self._observer
        seconds = (end - self._start) / 1e9
        if observer.with_context:
            observer.duration.record(seconds, measured, context=self._context)
        else:
            observer.duration.record(seconds, measured)


class _Stream:
    """Counts a response stream's parts; ends the call's span with the stream."""

    __slots__ = ("_bytes", "_call", "_first", "_parts")

    def __init__(self, call: _Call) -> None:
        self._call = call
        self._parts = 0
        self._bytes = 0
        self._first = 0

    def part(self, size: int) -> None:
        if not self._parts:
            self._first = time_ns()
        self._parts += 1
        self._bytes += size

    def end(self, outcome: str, error: BaseException | None) -> None:
        call = self._call
        if call._stream is not self:  # a stream of an attempt the call did not return
            return
        try:
            late = call._late
            late["aws.sagemaker.stream.parts"] = self._parts
            late["aws.sagemaker.stream.bytes"] = self._bytes
            late["aws.sagemaker.stream.end"] = outcome
            if self._parts:
                late["aws.sagemaker.stream.time_to_first_part"] = (self._first - call._start) / 1e9
            call.finish(error)
        except Exception:
            logger.debug("tracing failed to end a stream's span", exc_info=True)


class _NotTraced:
    """The observer of a call made while instrumentation is suppressed."""

    def request(self, input: Any, region: str, endpoint: str) -> None:
        pass

    def response(self, status: int, request_id: str | None) -> None:
        pass

    def stream(self) -> _NotTraced:
        return self

    def part(self, size: int) -> None:
        pass

    def end(self, *args: Any) -> None:
        pass


_NOT_TRACED = _NotTraced()
