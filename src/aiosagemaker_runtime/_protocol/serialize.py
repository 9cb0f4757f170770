"""rest-json request serialization, driven by the generated operation descriptions.

Matches botocore's ``RestJSONSerializer`` on the wire: URI labels percent-encoded except
unreserved characters (greedy ``{Key+}`` labels keep ``/``), a literal query in the
request URI kept, query strings with repeated keys for lists and a map's entries as
their own keys, headers only for set members, ``headers`` maps under their prefix, a
blob or string payload sent as is (no ``Content-Type`` of our own), a structure payload
or the body members as JSON (``{}`` when the input has body members but none is set;
``Content-Type: application/json`` for a JSON body), the host prefix expanded from host
labels, idempotency tokens filled with UUID4s; an input event stream is no part of the
request (``Content-Type: application/vnd.amazon.eventstream``, no body: its events
follow on the stream). How each value is written (timestamps, booleans, header lists,
JSON) is :mod:`.serialize_values`.

The work per call is a precompiled plan walked with ``getattr``: for an operation with
only header and URI members and a blob payload, a handful of attribute reads.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from .._exceptions import ParamValidationError
from .._http import HTTPRequest
from .._ids import uuid4_str
from .._spec import MemberSpec, OperationSpec
from .serialize_values import (
    _BYTES_LIKE,
    Writer,
    _dumps,
    _header_writer,
    _json_writer,
    _location_text,
    _text,
)

__all__ = ["serialize_request"]

_HOST_LABEL = r"^[A-Za-z0-9.\-]+$"  # compiled on first use: few operations have host labels
_URI_LABEL = re.compile(r"\{([^}]+)\}")
_OWS = " \t"
_EVENT_STREAM = "application/vnd.amazon.eventstream"


# --------------------------------------------------------------------------- plans


class _Missing:
    """Stands in for an absent input: every member reads as unset."""

    def __getattr__(self, name: str) -> None:
        return None


_NO_INPUT = _Missing()


class _Overlay:
    """An input seen with some members filled in (idempotency tokens), without copying it."""

    __slots__ = ("_base", "_values")

    def __init__(self, base: Any, values: dict[str, Any]) -> None:
        self._base = base
        self._values = values

    def __getattr__(self, name: str) -> Any:
        values = self._values
        return values[name] if name in values else getattr(self._base, name)


def _missing_tokens(plan: _RequestPlan, input: Any) -> dict[str, str]:
    return {attr: uuid4_str() for attr, _ in plan.idempotency if getattr(input, attr) is None}


class _RequestPlan:
    """Everything about an operation's request that does not depend on the input."""

    __slots__ = (
        "body_members",
        "content_type_json",
        "event_stream_input",
        "header_getter",
        "header_maps",
        "header_names",
        "headers",
        "host_labels",
        "host_prefix",
        "idempotency",
        "input_cls",
        "label_getter",
        "method",
        "other_headers",
        "path_format",
        "path_labels",
        "payload_attr",
        "payload_kind",
        "payload_limits",
        "payload_name",
        "payload_writer",
        "query",
        "requires_empty_body",
        "urls",
    )

    def __init__(self, operation: OperationSpec) -> None:
        shapes = operation.shapes
        spec = shapes.get(operation.input) if operation.input else None
        members = spec.members if spec is not None else ()
        self.method = operation.method
        self.input_cls = spec.cls if spec is not None else None
        self.event_stream_input = operation.event_stream_input
        headers: list[tuple[str, str]] = []
        other_headers: list[tuple[str, str, Writer, bool]] = []
        header_maps: list[tuple[str, str]] = []
        query: list[tuple[str, str, str, Writer]] = []
        labels: dict[str, MemberSpec] = {}
        body: list[tuple[str, str, Writer | None]] = []
        self.payload_attr = self.payload_name = self.payload_kind = ""
        self.payload_writer: Writer | None = None
        self.requires_empty_body = False
        payload_target = ""
        for member in members:
            if member.attr == self.event_stream_input:
                continue  # its events go on the stream, after the request
            target = shapes.get(member.target)
            wire = member.wire_name or member.name
            location = member.location
            if location == "uri":
                labels[wire] = member
            elif location == "querystring":
                kind = target.type if target is not None else "string"
                if kind == "list" and target is not None:
                    conv = _location_text(shapes.get(target.member), "", "iso8601")
                    query.append((member.attr, wire, "list", conv))
                elif kind == "map":
                    query.append((member.attr, wire, "map", _text))
                else:
                    conv = _location_text(target, member.timestamp_format, "iso8601")
                    query.append((member.attr, wire, "scalar", conv))
            elif location == "header":
                writer = _header_writer(shapes, member)
                if writer is None:
                    headers.append((member.attr, wire))
                else:
                    is_list = target is not None and target.type == "list"
                    other_headers.append((member.attr, wire, writer, is_list))
            elif location == "headers":
                header_maps.append((member.attr, member.wire_name))
            elif location == "":
                self.requires_empty_body = True
                if spec is not None and member.attr == spec.payload:
                    self.payload_attr, self.payload_name = member.attr, member.name
                    payload_target = member.target
                    if target is None or target.type in ("blob", "string"):
                        self.payload_kind = "raw"
                    else:
                        self.payload_kind = "json"
                        self.payload_writer = _json_writer(
                            shapes, member.target, member.timestamp_format
                        )
                else:
                    body.append(
                        (
                            member.attr,
                            wire,
                            _json_writer(shapes, member.target, member.timestamp_format),
                        )
                    )
        self.headers = tuple(headers)
        self.header_names = tuple(name for _, name in headers)
        self.header_getter = _tuple_getter([attr for attr, _ in headers])
        self.other_headers = tuple(other_headers)
        self.header_maps = tuple(header_maps)
        self.query = tuple(query)
        self.body_members = tuple(body) if not self.payload_kind else ()
        self.content_type_json = self.payload_kind != "raw"
        self.idempotency = tuple((m.attr, m.name) for m in members if m.idempotency_token)
        self.host_prefix = operation.host_prefix
        self.host_labels = tuple((m.attr, m.name) for m in members if m.host_label)
        payload_shape = shapes.get(payload_target) if self.payload_kind == "raw" else None
        self.payload_limits = (
            (payload_shape.min, payload_shape.max) if payload_shape is not None else (None, None)
        )
        # The URI template becomes a format string with one "{}" per label.
        path_labels: list[tuple[str, str, Writer, str]] = []
        uri = operation.uri
        if spec is None:
            self.path_format = uri.replace("{", "{{").replace("}", "}}")
        else:
            pieces: list[str] = []
            position = 0
            for match in _URI_LABEL.finditer(uri):
                pieces.append(uri[position : match.start()].replace("{", "{{").replace("}", "}}"))
                label = match.group(1)
                greedy = label.endswith("+")
                bound = labels.get(label.rstrip("+"))
                if bound is None:
                    raise ValueError(f"{operation.name}: URI label {label!r} has no member")
                conv = _location_text(shapes.get(bound.target), bound.timestamp_format, "iso8601")
                path_labels.append((bound.attr, bound.name, conv, "/" if greedy else ""))
                pieces.append("{}")
                position = match.end()
            pieces.append(uri[position:].replace("{", "{{").replace("}", "}}"))
            self.path_format = "".join(pieces)
        self.path_labels = tuple(path_labels)
        self.label_getter = _tuple_getter([attr for attr, *_ in path_labels])
        self.urls: dict[tuple[str, tuple[Any, ...]], str] = {}


def _tuple_getter(attrs: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """One C-level call reading several attributes (always as a tuple)."""
    if len(attrs) == 1:
        attr = attrs[0]
        return lambda obj: (getattr(obj, attr),)
    if not attrs:
        return lambda obj: ()
    return operator.attrgetter(*attrs)


_URL_CACHE_SIZE = 256
_PLANS: dict[int, tuple[OperationSpec, _RequestPlan]] = {}


def _request_plan(operation: OperationSpec) -> _RequestPlan:
    cached = _PLANS.get(id(operation))
    if cached is not None and cached[0] is operation:
        return cached[1]
    plan = _RequestPlan(operation)
    _PLANS[id(operation)] = (operation, plan)
    return plan


# --------------------------------------------------------------------------- URLs


@lru_cache(maxsize=64)
def _endpoint_parts(endpoint_url: str) -> tuple[str, str, str, str]:
    """(``scheme://``, netloc, path, ``?query#fragment`` suffix) of an endpoint URL."""
    parts = urlsplit(endpoint_url)
    suffix = ("?" + parts.query if parts.query else "") + (
        "#" + parts.fragment if parts.fragment else ""
    )
    return parts.scheme + "://", parts.netloc, parts.path, suffix


def _join_url(endpoint_url: str, path: str, host_prefix: str) -> str:
    # botocore's _urljoin: the endpoint's own path is kept as a prefix.
    scheme, netloc, base, suffix = _endpoint_parts(endpoint_url)
    if not path or path == "/":
        path = base or "/"
    elif base:
        path = base[:-1] + path if base.endswith("/") and path.startswith("/") else base + path
    if not path.startswith("/"):
        path = "/" + path
    return scheme + host_prefix + netloc + path + suffix


def _encode_query(query: Mapping[str, Any]) -> str:
    pairs: list[str] = []
    for key, value in query.items():
        name = quote(key, safe="")
        if isinstance(value, list):
            pairs.extend(f"{name}={quote(_text(element), safe='')}" for element in value)
        else:
            pairs.append(f"{name}={quote(_text(value), safe='')}")
    return "&".join(pairs)


def _expand_host_prefix(plan: _RequestPlan, input: Any) -> str:
    labels: dict[str, str] = {}
    for attr, name in plan.host_labels:
        value = getattr(input, attr)
        if not isinstance(value, str) or re.match(_HOST_LABEL, value) is None:
            raise ParamValidationError(
                f"Invalid value for parameter {name}: a host label must contain only "
                "alphanumeric characters, hyphen, or period (constraint: host label)",
                member=name,
                constraint="host label",
            )
        labels[name] = value
    return plan.host_prefix.format(**labels)


# --------------------------------------------------------------------------- requests


def _build_url(plan: _RequestPlan, input: Any, endpoint_url: str) -> str:
    if plan.path_labels:
        encoded: list[str] = []
        for attr, name, conv, safe in plan.path_labels:
            value = getattr(input, attr)
            if value is None:
                raise ParamValidationError(
                    f"Missing required parameter {name} (constraint: required)",
                    member=name,
                    constraint="required",
                )
            encoded.append(quote(conv(value), safe=safe))
        path = plan.path_format.format(*encoded)
    else:
        path = plan.path_format.format()
    host_prefix = _expand_host_prefix(plan, input) if plan.host_prefix else ""
    return _join_url(endpoint_url, path, host_prefix)


def serialize_request(operation: OperationSpec, input: Any, endpoint_url: str) -> HTTPRequest:
    """Build the unsigned HTTP request for ``input`` (the operation's input model, or
    ``None``). Payload blobs must be in memory already (see :func:`prepare_input`)."""
    plan = _request_plan(operation)
    if input is None:
        input = _NO_INPUT
    if plan.idempotency:
        tokens = _missing_tokens(plan, input)
        if tokens:
            input = _Overlay(input, tokens)

    if plan.host_prefix or not plan.path_labels:
        url = _build_url(plan, input, endpoint_url)
    else:
        # Most calls repeat the same endpoint and labels: reuse the encoded URL.
        url_key = (endpoint_url, plan.label_getter(input))
        cached = plan.urls.get(url_key)
        if cached is None:
            url = _build_url(plan, input, endpoint_url)
            if all(type(value) is str for value in url_key[1]):
                if len(plan.urls) >= _URL_CACHE_SIZE:
                    plan.urls.clear()
                plan.urls[url_key] = url
        else:
            url = cached

    if plan.query:
        query: dict[str, Any] = {}
        for attr, key, kind, conv in plan.query:
            value = getattr(input, attr)
            if value is None:
                continue
            if kind == "scalar":
                query[key] = conv(value)
            elif kind == "list":
                query[key] = [conv(item) for item in value]
            else:
                for map_key, map_value in value.items():
                    query[map_key] = (
                        [_text(v) for v in map_value]
                        if isinstance(map_value, (list, tuple))
                        else map_value
                    )
        if query:
            url += ("&" if "?" in url else "?") + _encode_query(query)

    # Leading and trailing spaces are not part of a field value (RFC 9110 5.5): servers
    # drop them, SigV4 trims them, and HTTP/1.1 encoders such as h11 refuse them.
    headers: list[tuple[str, str]] = []
    if plan.headers:
        for name, value in zip(plan.header_names, plan.header_getter(input), strict=True):
            if value is not None:
                headers.append((name, (value if type(value) is str else _text(value)).strip(_OWS)))
    for attr, name, writer, is_list in plan.other_headers:
        value = getattr(input, attr)
        if value is not None and not (is_list and not value):
            headers.append((name, writer(value).strip(_OWS)))
    for attr, prefix in plan.header_maps:
        value = getattr(input, attr)
        if value:
            headers.extend(
                (prefix + _text(key), _text(item).strip(_OWS)) for key, item in value.items()
            )

    if plan.event_stream_input:
        headers.append(("Content-Type", _EVENT_STREAM))
    body: bytes | bytearray | memoryview = b""
    kind = plan.payload_kind
    if kind == "raw":
        value = getattr(input, plan.payload_attr)
        if value is not None:
            if isinstance(value, _BYTES_LIKE):
                body = value
            elif isinstance(value, str):
                body = value.encode("utf-8")
            else:
                raise TypeError(
                    f"{operation.name}: the {plan.payload_name} payload must be read into memory "
                    "first (prepare_input)"
                )
    else:
        if kind == "json":
            value = getattr(input, plan.payload_attr)
            if value is not None:
                payload_writer = plan.payload_writer
                body = _dumps(value if payload_writer is None else payload_writer(value))
            else:
                body = b"{}"
        elif plan.body_members:
            document: dict[str, Any] = {}
            for attr, key, member_writer in plan.body_members:
                value = getattr(input, attr)
                if value is not None:
                    document[key] = value if member_writer is None else member_writer(value)
            body = _dumps(document) if document else b"{}"
        elif plan.requires_empty_body:
            body = b"{}"
        if body and not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "application/json"))
    # tuple.__new__: HTTPRequest's own __new__ is a Python function (namedtuple).
    request: HTTPRequest = tuple.__new__(HTTPRequest, (plan.method, url, headers, body))
    return request
