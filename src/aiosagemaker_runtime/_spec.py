"""Operation descriptions: the interface between generated code and the runtime core.

The code generator emits, per service, one table of :class:`ShapeSpec` (every shape the
operations reach, keyed by the model's shape name), one :class:`OperationSpec`
constant per operation and one :class:`ServiceSpec`. The runtime (protocol
serialisation and parsing, signing, retries, event streams) is driven only by these
values; it never knows a service by name.

Contract, for both sides:

* Shape and member names are the model's names. ``MemberSpec.attr`` is the snake_case
  attribute of the generated pydantic class and ``MemberSpec.name`` its alias, so
  ``getattr(instance, member.attr)`` reads a value and ``model_dump(by_alias=True)``
  gives botocore's dict.
* ``MemberSpec.target`` names a shape in the same table, so recursive shapes need no
  forward references. ``ShapeSpec.type`` is the model's type, except that the
  generator writes ``"document"`` for structures with the ``document`` trait and
  ``"union"`` for structures with the ``union`` trait.
* Every wire name is resolved by the generator: ``wire_name`` is the header name,
  query key or URI label for bound members and the JSON key (``jsonName`` or the
  member name) for body members.
* Timestamp formats are resolved by the generator: ``MemberSpec.timestamp_format`` is
  the member's own trait, else the target shape's, else ``""`` meaning "the protocol's
  default for this location" (the runtime knows the defaults).
* Structures that are classes (inputs, outputs, nested structures, unions, events)
  carry their pydantic class in ``cls``; error shapes carry their
  :class:`~aiosagemaker_runtime.ServiceError` subclass. The table holds a pydantic
  class as a loader (``class_ref``, made by :func:`class_loader`): a service's model
  classes are created per operation, when a call first needs them, not at import.
* All values are immutable; the runtime may cache derived plans keyed by identity.
  They are named tuples (not dataclasses: a frozen dataclass costs ~1 ms of import
  time each, named tuples a fraction of it), and this module's annotations are plain
  expressions (no ``from __future__ import annotations``): as strings, ``NamedTuple``
  compiles a ``ForwardRef`` for each field (import 2.3 -> 1.4 ms).
"""

import builtins
import functools
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, Literal, NamedTuple

__all__ = [
    "Location",
    "MemberSpec",
    "OperationSpec",
    "ServiceSpec",
    "ShapeSpec",
    "ShapeType",
    "class_loader",
]

#: Where a member is bound on the wire. ``""`` means the JSON body (or the event
#: payload for event members).
Location = Literal["", "uri", "querystring", "header", "headers", "statusCode"]

ShapeType = Literal[
    "structure",
    "union",
    "document",
    "list",
    "map",
    "string",
    "integer",
    "long",
    "float",
    "double",
    "boolean",
    "blob",
    "timestamp",
    "byte",
    "short",
    "bigInteger",
    "bigDecimal",
]


class MemberSpec(NamedTuple):
    """One member of a structure, with its wire binding."""

    name: str
    """The member name as the model spells it (the pydantic alias): ``"EndpointName"``."""
    attr: str
    """The Python attribute: ``"endpoint_name"``."""
    target: str
    """Name of the member's shape in the table."""
    location: Location = ""
    wire_name: str = ""
    """Header name, query key, URI label or JSON key; for ``headers`` the prefix."""
    timestamp_format: str = ""
    """``"iso8601"``, ``"rfc822"``, ``"unixTimestamp"`` or ``""`` for the default."""
    json_value: bool = False
    """``jsonvalue`` trait: a header carrying base64 of a JSON document."""
    idempotency_token: bool = False
    """Filled with a fresh UUID4 by the runtime when the caller leaves it unset."""
    host_label: bool = False
    """Substituted into the operation's ``host_prefix``."""
    event_header: bool = False
    event_payload: bool = False
    required: bool = False


class ShapeSpec(NamedTuple):
    """A shape of the model, resolved for the runtime."""

    name: str
    type: ShapeType
    members: tuple[MemberSpec, ...] = ()
    """Structure, union and event members, in model order."""
    member: str = ""
    """List element shape."""
    key: str = ""
    """Map key shape."""
    value: str = ""
    """Map value shape."""
    payload: str = ""
    """Structure: attribute (``MemberSpec.attr``) of the member bound as the HTTP payload."""
    timestamp_format: str = ""
    streaming: bool = False
    """Blob with the ``streaming`` trait, or a payload blob the runtime must not JSON-encode."""
    event_stream: bool = False
    """Union with the ``eventstream`` trait: its members are events and exceptions."""
    event: bool = False
    exception: bool = False
    fault: bool = False
    status_code: int = 0
    """Error shapes: the model's ``httpStatusCode``; 0 when absent."""
    error_code: str = ""
    """Error shapes: the code the service sends (the shape name unless the model says otherwise)."""
    sensitive: bool = False
    min: int | None = None
    """The model's ``min`` constraint: length for strings, blobs, lists and maps; value
    for numbers. ``None`` when absent (or not a whole number)."""
    max: int | None = None
    """The model's ``max`` constraint, as ``min``: ``BodyBlob`` carries the payload limit."""
    pattern: str = ""
    """Strings: the model's ``pattern`` translated to a Python regular expression, which a
    value must match as a whole; ``""`` when none."""
    enum: tuple[str, ...] = ()
    """Strings: the model's ``enum`` values; ``()`` when none."""
    class_ref: builtins.type[Any] | Callable[[], builtins.type[Any]] | None = None
    """The class, or a callable returning it (:func:`class_loader`); read :attr:`cls`."""

    @property
    def cls(self) -> builtins.type[Any] | None:
        """Pydantic class (structures, unions, events) or ServiceError subclass (errors)."""
        ref = self.class_ref
        if ref is None or isinstance(ref, type):
            return ref
        return ref()


class OperationSpec(NamedTuple):
    """One operation: what the generated client method hands to the runtime."""

    name: str
    """The model's operation name: ``"InvokeEndpoint"``."""
    method: str
    uri: str
    """``requestUri`` as in the model, labels included: ``"/endpoints/{EndpointName}/invocations"``,
    ``"/{Bucket}/{Key+}?uploads"``."""
    input: str
    """Input shape name, or ``""`` when the operation takes none."""
    output: str
    """Output shape name, or ``""`` when the operation returns none."""
    shapes: Mapping[str, ShapeSpec]
    errors: tuple[str, ...] = ()
    """Error shape names the operation lists (all error shapes are also in ``ServiceSpec``)."""
    success_code: int = 200
    host_prefix: str = ""
    """The ``endpoint.hostPrefix`` trait, ``""`` when absent."""
    auth_type: str = ""
    """The operation's ``authtype`` trait (``"none"``, ``"v4-unsigned-body"``) or ``""``."""
    event_stream_output: str = ""
    """Attribute of the output member that is an event stream, ``""`` when none."""
    event_stream_input: str = ""
    """Attribute of the input member that is an event stream, ``""`` when none. Such an
    operation is a duplex exchange over HTTP/2: the member is not an argument; its
    events are sent on the stream the call returns (and ``event_stream_output`` names
    what comes back)."""
    http2: str = ""
    """The service's ``protocolSettings.h2``: ``"required"``, ``"optional"``,
    ``"eventstream"`` or ``""`` when the model says nothing."""

    def __repr__(self) -> str:  # the shape table would fill pages
        return f"OperationSpec(name={self.name!r}, method={self.method!r}, uri={self.uri!r})"


class ServiceSpec(NamedTuple):
    """The service: metadata for signing and endpoints, and its errors."""

    service_id: str
    """``metadata.serviceId``: ``"SageMaker Runtime"``."""
    endpoint_prefix: str
    signing_name: str
    api_version: str
    protocol: str
    shapes: Mapping[str, ShapeSpec]
    errors: Mapping[str, type[Any]]
    """Error code -> generated ServiceError subclass, for every error shape of the model."""
    endpoint_rules: Callable[[], Mapping[str, Any] | None] | None = None
    """Loads the model's endpoint rule set (``endpoint-rule-set-1.json``) when the
    generator found one beside the model; ``None`` means: ask botocore's data."""
    botocore_name: str = ""
    """Service name in botocore's data directory (``"sagemaker-runtime"``), for fallbacks."""
    custom_endpoint_as_is: bool = False
    """The rule set gives a custom endpoint back unchanged (checked by the generator):
    the runtime skips loading and evaluating it for one."""

    def __repr__(self) -> str:  # the shape and error tables would fill pages
        return f"ServiceSpec(service_id={self.service_id!r}, api_version={self.api_version!r})"


def class_loader(module: ModuleType, name: str) -> Callable[[], builtins.type[Any]]:
    """A ``class_ref`` reading ``name`` from ``module`` when first called: a generated
    models module creates the class then (its ``__getattr__`` imports the module of
    the operation that defines it), and keeps it as an attribute afterwards."""
    loader: Callable[[], builtins.type[Any]] = functools.partial(getattr, module, name)
    return loader
