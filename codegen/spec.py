"""The service model as typed objects, parsed from botocore's ``service-2.json`` format.

Only parsing happens here; meaning is given in :mod:`codegen.build`. Keys this module
does not know are kept in ``unknown`` so that the builder can report them instead of
silently ignoring a model feature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Member", "Model", "Operation", "Shape", "parse_model"]

# Keys that carry documentation or client-side hints with no effect on the wire.
_IGNORED = frozenset(
    {
        "documentation",
        "documentationUrl",
        "deprecated",
        "deprecatedMessage",
        "deprecatedSince",
        "box",
        "synthetic",
        "retryable",
        "idempotent",
        "readonly",
        "contextParam",
        "staticContextParams",
        "operationContextParams",
        "auth",
        "unsignedPayload",
        "httpChecksum",
        "httpChecksumRequired",
        "requestcompression",
        "awsQueryCompatible",
        "examples",
        "wrapper",
        "requiresLength",
    }
)


@dataclass(frozen=True)
class Member:
    """A member of a structure (``members`` entry)."""

    name: str
    shape: str
    location: str = ""
    location_name: str = ""
    json_value: bool = False
    idempotency_token: bool = False
    host_label: bool = False
    event_payload: bool = False
    event_header: bool = False
    timestamp_format: str = ""
    enum: tuple[str, ...] = ()
    streaming: bool = False
    documentation: str = ""
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shape:
    """A shape of the model."""

    name: str
    type: str
    members: tuple[Member, ...] = ()
    required: tuple[str, ...] = ()
    member: str = ""
    key: str = ""
    value: str = ""
    min: int | float | None = None
    max: int | float | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()
    sensitive: bool = False
    payload: str = ""
    timestamp_format: str = ""
    streaming: bool = False
    exception: bool = False
    fault: bool = False
    error_code: str = ""
    status_code: int = 0
    event: bool = False
    event_stream: bool = False
    document: bool = False
    union: bool = False
    sparse: bool = False
    documentation: str = ""
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    """An operation with its HTTP binding."""

    name: str
    method: str
    request_uri: str
    response_code: int = 200
    input: str = ""
    output: str = ""
    errors: tuple[str, ...] = ()
    host_prefix: str = ""
    auth_type: str = ""
    documentation: str = ""
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class Model:
    """A whole service model."""

    metadata: dict[str, Any]
    operations: tuple[Operation, ...]
    shapes: dict[str, Shape] = field(repr=False)


def _unknown(data: dict[str, Any], known: set[str]) -> tuple[str, ...]:
    return tuple(sorted(k for k in data if k not in known and k not in _IGNORED))


def _member(name: str, data: dict[str, Any]) -> Member:
    known = {
        "shape",
        "location",
        "locationName",
        "jsonvalue",
        "idempotencyToken",
        "hostLabel",
        "eventpayload",
        "eventheader",
        "timestampFormat",
        "enum",
        "streaming",
    }
    return Member(
        name=name,
        shape=data["shape"],
        location=data.get("location", ""),
        location_name=data.get("locationName", ""),
        json_value=bool(data.get("jsonvalue", False)),
        idempotency_token=bool(data.get("idempotencyToken", False)),
        host_label=bool(data.get("hostLabel", False)),
        event_payload=bool(data.get("eventpayload", False)),
        event_header=bool(data.get("eventheader", False)),
        timestamp_format=data.get("timestampFormat", ""),
        enum=tuple(data.get("enum", ())),
        streaming=bool(data.get("streaming", False)),
        documentation=data.get("documentation", ""),
        unknown=_unknown(data, known),
    )


def _shape(name: str, data: dict[str, Any]) -> Shape:
    known = {
        "type",
        "members",
        "required",
        "member",
        "key",
        "value",
        "min",
        "max",
        "pattern",
        "enum",
        "sensitive",
        "payload",
        "timestampFormat",
        "streaming",
        "exception",
        "fault",
        "error",
        "event",
        "eventstream",
        "document",
        "union",
        "sparse",
    }
    error = data.get("error", {})
    return Shape(
        name=name,
        type=data["type"],
        members=tuple(_member(k, v) for k, v in data.get("members", {}).items()),
        required=tuple(data.get("required", ())),
        member=data.get("member", {}).get("shape", ""),
        key=data.get("key", {}).get("shape", ""),
        value=data.get("value", {}).get("shape", ""),
        min=data.get("min"),
        max=data.get("max"),
        pattern=data.get("pattern"),
        enum=tuple(data.get("enum", ())),
        sensitive=bool(data.get("sensitive", False)),
        payload=data.get("payload", ""),
        timestamp_format=data.get("timestampFormat", ""),
        streaming=bool(data.get("streaming", False)),
        exception=bool(data.get("exception", False)),
        fault=bool(data.get("fault", False)),
        error_code=error.get("code", ""),
        status_code=int(error.get("httpStatusCode", 0)),
        event=bool(data.get("event", False)),
        event_stream=bool(data.get("eventstream", False)),
        document=bool(data.get("document", False)),
        union=bool(data.get("union", False)),
        sparse=bool(data.get("sparse", False)),
        documentation=data.get("documentation", ""),
        unknown=_unknown(data, known),
    )


def _operation(name: str, data: dict[str, Any]) -> Operation:
    known = {"name", "http", "input", "output", "errors", "endpoint", "authtype"}
    http = data.get("http", {})
    unknown = list(_unknown(data, known))
    unknown += [f"http.{k}" for k in http if k not in {"method", "requestUri", "responseCode"}]
    endpoint = data.get("endpoint", {})
    unknown += [f"endpoint.{k}" for k in endpoint if k != "hostPrefix"]
    return Operation(
        name=name,
        method=http.get("method", "POST"),
        request_uri=http.get("requestUri", "/"),
        response_code=int(http.get("responseCode", 200)),
        input=data.get("input", {}).get("shape", ""),
        output=data.get("output", {}).get("shape", ""),
        errors=tuple(e["shape"] for e in data.get("errors", ())),
        host_prefix=endpoint.get("hostPrefix", ""),
        auth_type=data.get("authtype", ""),
        documentation=data.get("documentation", ""),
        unknown=tuple(sorted(unknown)),
    )


def parse_model(text: str) -> Model:
    """Parse a model; raw control characters inside strings (as in early models) are accepted."""
    data = json.loads(text, strict=False)
    return Model(
        metadata=dict(data.get("metadata", {})),
        operations=tuple(_operation(k, v) for k, v in sorted(data.get("operations", {}).items())),
        shapes={k: _shape(k, v) for k, v in data.get("shapes", {}).items()},
    )
