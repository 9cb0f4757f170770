"""Generality: random inputs for real rest-json services botocore ships, serialized by
botocore and by us from the same model, give the same requests; random responses parse
the same.

The model is turned into our tables by ``test_protocol_model.build`` (what the code
generator emits); values are drawn from the model's shapes.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from email.utils import format_datetime
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import prepare_request_dict
from botocore.model import ServiceModel, Shape
from botocore.parsers import RestJSONParser
from botocore.response import StreamingBody
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_protocol_model import Tables, build, make_input
from test_protocol_serialize import SERIALIZER, _ordered
from urllib3._collections import HTTPHeaderDict

from aiosagemaker_runtime._protocol.rest_json import parse_response, serialize_request

ENDPOINT = "https://example.us-west-2.amazonaws.com"
SERVICES = [
    "sagemaker-runtime",
    "lambda",
    "apigateway",
    "dataexchange",
    "lex-runtime",
    "iot-data",
    "omics",
    "bedrock-runtime",
    "glacier",
    "location",
    "ebs",
    "schemas",
]
UTC = dt.timezone.utc
_LOADER = botocore.session.get_session().get_component("data_loader")
_CACHE: dict[str, tuple[dict[str, Any], ServiceModel, Tables]] = {}


def service(name: str) -> tuple[dict[str, Any], ServiceModel, Tables]:
    if name not in _CACHE:
        model = _LOADER.load_service_model(name, "service-2")
        _CACHE[name] = (model, ServiceModel(model, service_name=name), build(model))
    return _CACHE[name]


header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
moments = st.datetimes(
    min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1), timezones=st.just(UTC)
)
documents = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=4,
)


def scalar(shape: Shape, text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "string":
        return text
    if kind == "integer":
        return st.integers(-(2**31), 2**31 - 1)
    if kind == "long":
        return st.integers(-(2**63), 2**63 - 1)
    if kind == "boolean":
        return st.booleans()
    if kind in ("float", "double"):
        return st.floats(allow_nan=True, allow_infinity=True)
    if kind == "timestamp":
        return moments
    if kind == "blob":
        return st.binary(max_size=8)
    return text


def body_value(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            # A document member that is null reads as unset in a model: not comparable.
            return documents.filter(lambda value: value is not None)
        if depth > 3:
            return st.just({})
        members = {name: body_value(member, depth + 1) for name, member in shape.members.items()}
        if getattr(shape, "is_tagged_union", False):
            if not members:
                return st.just({})
            return st.sampled_from(sorted(members)).flatmap(
                lambda tag: st.fixed_dictionaries({tag: members[tag]})
            )
        return st.fixed_dictionaries({}, optional=members)
    if kind == "list":
        return st.lists(body_value(shape.member, depth + 1), max_size=2)
    if kind == "map":
        return st.dictionaries(any_text, body_value(shape.value, depth + 1), max_size=2)
    return scalar(shape, any_text)


def member_value(shape: Shape) -> st.SearchStrategy[Any]:
    location = shape.serialization.get("location")
    if shape.serialization.get("hostLabel"):
        return st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)
    if location == "uri":
        return scalar(shape, any_text)
    if location == "querystring":
        if shape.type_name == "list":
            return st.lists(scalar(shape.member, any_text), max_size=2)
        if shape.type_name == "map":
            inner = shape.value
            values = st.lists(any_text, max_size=2) if inner.type_name == "list" else any_text
            return st.dictionaries(
                st.from_regex(r"q[a-z]{1,4}", fullmatch=True), values, max_size=2
            )
        return scalar(shape, any_text)
    if location == "header":
        if shape.serialization.get("jsonvalue"):
            return documents
        if shape.type_name == "list":
            return st.lists(scalar(shape.member, header_text), max_size=2)
        return scalar(shape, header_text)
    if location == "headers":
        return st.dictionaries(
            st.from_regex(r"[a-z]{1,5}", fullmatch=True), header_text, max_size=2
        )
    return body_value(shape)


def input_strategy(model: ServiceModel, operation: str) -> st.SearchStrategy[dict[str, Any]]:
    shape = model.operation_model(operation).input_shape
    if shape is None:
        return st.just({})
    required = set(shape.required_members)
    for name, member in shape.members.items():
        if member.serialization.get("location") == "uri" or member.serialization.get("hostLabel"):
            required.add(name)
        if member.metadata.get("idempotencyToken"):
            required.add(name)
    return st.fixed_dictionaries(
        {name: member_value(shape.members[name]) for name in shape.members if name in required},
        optional={
            name: member_value(m) for name, m in shape.members.items() if name not in required
        },
    ).map(lambda params: _ordered(shape, params))


def operations_of(name: str) -> list[str]:
    _, model, _ = service(name)
    result = []
    for operation in model.operation_names:
        op = model.operation_model(operation)
        if op.get_event_stream_input() is not None:
            continue
        result.append(operation)
    return sorted(result)


def compare_request(name: str, operation: str, params: dict[str, Any]) -> None:
    _, model, tables = service(name)
    request = SERIALIZER.serialize_to_request(params, model.operation_model(operation))
    prepare_request_dict(request, ENDPOINT)
    body = request["body"]
    theirs = (
        request["method"],
        request["url"],
        {k: v.strip(" \t") for k, v in request["headers"].items()},
        bytes(body.encode() if isinstance(body, str) else body),
    )
    op = tables.operations[operation]
    value = make_input(tables, op.input, params) if op.input else None
    ours_request = serialize_request(op, value, ENDPOINT)
    ours = (
        ours_request.method,
        ours_request.url,
        dict(ours_request.headers),
        bytes(ours_request.body),
    )
    assert ours == theirs, (name, operation)


@pytest.mark.parametrize("name", SERVICES)
def test_requests_match_botocore(name: str) -> None:
    names = operations_of(name)
    _, model, _ = service(name)

    @settings(
        max_examples=max(25, len(names)), deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(
        st.sampled_from(names).flatmap(lambda op: st.tuples(st.just(op), input_strategy(model, op)))
    )
    def check(case: tuple[str, dict[str, Any]]) -> None:
        compare_request(name, *case)

    check()


# --------------------------------------------------------------------------- responses

finite = st.floats(allow_nan=False, allow_infinity=False)
wire_moment = moments.flatmap(
    lambda d: st.sampled_from(
        [
            calendar_seconds(d),
            calendar_seconds(d) + d.microsecond // 1000 / 1000,
            d.strftime("%Y-%m-%dT%H:%M:%SZ"),
            d.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        ]
    )
)


def calendar_seconds(moment: dt.datetime) -> int:
    return int((moment - dt.datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())


def wire_scalar(shape: Shape) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind in ("float", "double"):
        return finite | st.sampled_from(["Infinity", "-Infinity"])
    if kind == "timestamp":
        return wire_moment
    if kind == "blob":
        return st.binary(max_size=8).map(lambda b: base64.b64encode(b).decode())
    return scalar(shape, any_text)


def wire_body(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return documents.filter(lambda value: value is not None)
        union = getattr(shape, "is_tagged_union", False)
        refs = {
            member.serialization.get("name", name): member
            for name, member in shape.members.items()
            if not member.serialization.get("location")
        }
        if depth > 2:
            if not union:
                return st.just({})
            # A union must have one member: take a scalar one to stop the recursion.
            refs = {
                k: m for k, m in refs.items() if m.type_name not in ("structure", "list", "map")
            }
        members = {key: wire_body(member, depth + 1) for key, member in refs.items()}
        if union:
            if not members:
                return st.nothing()
            return st.sampled_from(sorted(members)).flatmap(
                lambda tag: st.fixed_dictionaries({tag: members[tag]})
            )
        return st.fixed_dictionaries({}, optional=members)
    if kind == "list":
        return st.lists(wire_body(shape.member, depth + 1), max_size=2)
    if kind == "map":
        return st.dictionaries(any_text, wire_body(shape.value, depth + 1), max_size=2)
    return wire_scalar(shape)


def wire_header(shape: Shape) -> st.SearchStrategy[str]:
    kind = shape.type_name
    if shape.serialization.get("jsonvalue"):
        return documents.map(lambda doc: base64.b64encode(json.dumps(doc).encode()).decode())
    if kind == "list":
        item = st.text(
            st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters=","),
            min_size=1,
            max_size=6,
        )
        if shape.member.type_name != "string":
            item = wire_header(shape.member)
        return st.lists(item, max_size=2).map(", ".join)
    if kind == "timestamp":
        return moments.map(lambda d: format_datetime(d.replace(microsecond=0), usegmt=True))
    if kind == "boolean":
        return st.sampled_from(["true", "false"])
    if kind in ("integer", "long"):
        return st.integers(-(2**31), 2**31).map(str)
    if kind in ("float", "double"):
        return finite.map(repr)
    if kind == "blob":
        return st.binary(max_size=6).map(lambda b: base64.b64encode(b).decode())
    return header_text


def response_strategy(
    model: ServiceModel, operation: str
) -> st.SearchStrategy[tuple[dict[str, str], bytes]]:
    shape = model.operation_model(operation).output_shape
    headers: dict[str, st.SearchStrategy[Any]] = {}
    body: st.SearchStrategy[bytes] = st.just(b"")
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location == "header":
            headers[member.serialization.get("name", name)] = wire_header(member)
        elif location == "headers":
            prefix = member.serialization.get("name", "").lower()
            headers[prefix + "k1"] = header_text
    if payload:
        target = shape.members[payload]
        if target.type_name == "blob":
            body = st.binary(max_size=16)
        elif target.type_name == "string":
            body = any_text.map(str.encode)
        else:
            body = wire_body(target).map(lambda v: json.dumps(v).encode())
    else:
        body = wire_body(shape).map(lambda v: json.dumps(v).encode())
    return st.tuples(st.fixed_dictionaries({}, optional=headers), body)


def botocore_parse(
    model: ServiceModel, operation: str, status: int, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    op = model.operation_model(operation)
    response_body: Any = (
        StreamingBody(io.BytesIO(body), len(body)) if op.has_streaming_output else body
    )
    parsed = RestJSONParser().parse(
        {
            "status_code": status,
            "headers": HTTPHeaderDict(headers),
            "body": response_body,
            "context": {},
        },
        op.output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    for key, value in list(parsed.items()):
        if isinstance(value, StreamingBody):
            parsed[key] = value.read()
    return dict(parsed)


def output_operations(name: str) -> list[str]:
    _, model, _ = service(name)
    result = []
    for operation in model.operation_names:
        op = model.operation_model(operation)
        if op.output_shape is None or op.get_event_stream_output() is not None:
            continue
        result.append(operation)
    return sorted(result)


@pytest.mark.parametrize("name", SERVICES)
def test_responses_parse_like_botocore(name: str) -> None:
    names = output_operations(name)
    _, model, tables = service(name)

    @settings(
        max_examples=max(20, len(names) // 2),
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.sampled_from(names).flatmap(
            lambda op: st.tuples(st.just(op), response_strategy(model, op))
        )
    )
    def check(case: tuple[str, tuple[dict[str, str], bytes]]) -> None:
        operation, (headers, body) = case
        status = tables.operations[operation].success_code
        output = parse_response(
            tables.operations[operation], status, {k.lower(): v for k, v in headers.items()}, body
        )
        ours = output.model_dump(by_alias=True, exclude_unset=True)
        assert ours == botocore_parse(model, operation, status, headers, body), (name, operation)

    check()
