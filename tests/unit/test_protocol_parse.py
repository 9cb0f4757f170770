"""Responses parsed by parse_response are what botocore's RestJSONParser returns."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import math
from typing import Any

import pytest
from botocore.parsers import RestJSONParser
from botocore.response import StreamingBody
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_protocol_model import BOTO_MODEL_OPS, TABLES, botocore_model
from urllib3._collections import HTTPHeaderDict

from aiosagemaker_runtime._protocol.rest_json import (
    deserialize_json,
    parse_response,
    parse_stream_output,
    request_id,
)

BOTO = botocore_model()
UTC = dt.timezone.utc


def botocore_parse(
    operation: str, status: int, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    model = BOTO.operation_model(operation)
    response_body: Any = body
    if model.has_streaming_output:
        response_body = StreamingBody(io.BytesIO(body), len(body))
    parsed = RestJSONParser().parse(
        {
            "status_code": status,
            "headers": HTTPHeaderDict(headers),
            "body": response_body,
            "context": {"operation_name": operation},
        },
        model.output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    for key, value in list(parsed.items()):
        if isinstance(value, StreamingBody):
            parsed[key] = value.read()
    return dict(parsed)


def ours(operation: str, status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    output = parse_response(
        TABLES.operations[operation], status, {k.lower(): v for k, v in headers.items()}, body
    )
    assert output is not None
    assert type(output).__name__ == TABLES.operations[operation].output
    dumped = output.model_dump(by_alias=True, exclude_unset=True)
    assert isinstance(dumped, dict)
    return dumped


def assert_same(
    operation: str, status: int, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    mine = ours(operation, status, headers, body)
    assert mine == botocore_parse(operation, status, headers, body)
    return mine


def test_header_members_status_code_and_blob_payload() -> None:
    headers = {
        "Content-Type": "image/png",
        "X-SIZE": "12345678901",
        "x-flag": "TRUE",
        "X-Ratio": "0.25",
        "X-Expires": "Thu, 29 Feb 2024 23:59:58 GMT",
        "X-Iso-When": "2024-02-29T23:59:58.5Z",
        "X-Epoch-When": "1709251198.25",
        "X-Labels": "a, b ,c",
        "X-Numbers": "1,2, 3",
        "X-Attrs": base64.b64encode(json.dumps({"k": [1, None]}).encode()).decode(),
        "x-meta-owner": "me",
        "x-meta-team": "ml",
        "x-other": "not a member",
    }
    parsed = assert_same("PutObject", 206, headers, b"\x00binary\xff")
    assert parsed["Body"] == b"\x00binary\xff"
    assert parsed["Size"] == 12345678901 and parsed["Flag"] is True and parsed["Status"] == 206
    assert parsed["Expires"] == dt.datetime(2024, 2, 29, 23, 59, 58, tzinfo=UTC)
    assert parsed["IsoWhen"] == dt.datetime(2024, 2, 29, 23, 59, 58, 500000, tzinfo=UTC)
    assert parsed["EpochWhen"] == dt.datetime(2024, 2, 29, 23, 59, 58, 250000, tzinfo=UTC)
    assert parsed["Labels"] == ["a", "b", "c"] and parsed["Numbers"] == [1, 2, 3]
    assert parsed["Attrs"] == {"k": [1, None]}
    assert parsed["Meta"] == {"owner": "me", "team": "ml"}


def test_absent_headers_are_unset_and_empty_body_is_empty_bytes() -> None:
    parsed = assert_same("PutObject", 200, {}, b"")
    assert parsed == {"Body": b"", "Meta": {}, "Status": 200}


def test_blob_payload_is_the_body_object_itself() -> None:
    body = b"x" * 1000
    output = parse_response(TABLES.operations["PutObject"], 200, {}, body)
    assert output.body is body


CREATED_BODY = {
    "Id": "id-1",
    "name": "thing",
    "Count": 3,
    "Big": 2**60,
    "Enabled": False,
    "Ratio": 1.5,
    "Precise": "Infinity",
    "Created": 1709251198.123,
    "IsoCreated": "2024-02-29T23:59:58.123456Z",
    "RfcCreated": "Thu, 29 Feb 2024 23:59:58 GMT",
    "Data": base64.b64encode(b"\xffdata").decode(),
    "Color": "green",
    "Tags": ["a", None, "b"],
    "Times": [0, "1970-01-02T00:00:00Z"],
    "Labels": {"x": "1"},
    "Children": [{"Name": "c1", "When": 86400}, {"Count": 0, "Child": {"Data": "AAE="}}],
    "ByName": {"n": {"Tags": []}},
    "Root": {"Name": "root", "Child": {"Name": "leaf"}},
    "Doc": {"any": [1, 2.5, None, True, {"deep": "x"}]},
    "Pick": {"Inner": {"Name": "in"}},
    "Unknown": "ignored",
}


def test_json_body_with_every_type() -> None:
    parsed = assert_same("CreateThing", 201, {"X-Trace": "t"}, json.dumps(CREATED_BODY).encode())
    assert parsed["Name"] == "thing" and parsed["RequestTrace"] == "t" and parsed["Status"] == 201
    assert parsed["Data"] == b"\xffdata"
    assert parsed["Precise"] == math.inf
    assert parsed["Children"][1]["Child"]["Data"] == b"\x00\x01"


def test_nested_values_are_model_instances() -> None:
    output = parse_response(
        TABLES.operations["CreateThing"], 201, {}, json.dumps(CREATED_BODY).encode()
    )
    assert type(output.root).__name__ == "Nested"
    assert type(output.root.child).__name__ == "Nested"
    assert type(output.children[0]).__name__ == "Nested"
    assert type(output.by_name["n"]).__name__ == "Nested"
    assert type(output.pick).__name__ == "Choice" and output.pick.inner.name == "in"
    assert output.pick.text is None
    assert output.created == dt.datetime(2024, 2, 29, 23, 59, 58, 123000, tzinfo=UTC)
    assert output.tags == ["a", None, "b"]


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"<html>oops</html>", b"{}", b"[1, 2]", b"null"]
)
def test_empty_or_odd_json_bodies(body: bytes) -> None:
    mine = ours("CreateThing", 200, {}, body)
    assert mine == {"Status": 200}
    if body not in (b"[1, 2]", b"null"):  # botocore fails on these
        assert mine == botocore_parse("CreateThing", 200, {}, body)


def test_structure_payload() -> None:
    body = json.dumps({"Name": "n", "When": 1, "Tags": ["t"]}).encode()
    parsed = assert_same("UploadStruct", 200, {"x-mode": "fast"}, body)
    assert parsed == {
        "Config": {
            "Name": "n",
            "When": dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),
            "Tags": ["t"],
        },
        "Mode": "fast",
    }
    assert assert_same("UploadStruct", 200, {}, b"") == {"Config": {}}


def test_string_payload() -> None:
    assert ours("StringPayload", 200, {}, "héllo".encode()) == {"Text": "héllo"}


def test_operation_without_output() -> None:
    assert parse_response(TABLES.operations["Ping"], 200, {}, b"ignored") is None


def test_malformed_values_are_kept_rather_than_failing() -> None:
    output = parse_response(
        TABLES.operations["PutObject"],
        200,
        {"x-size": "many", "x-expires": "yesterday", "x-attrs": "!!"},
        b"",
    )
    assert output.size == "many" and output.expires == "yesterday" and output.attrs == "!!"
    body = json.dumps(
        {"Count": "x", "Data": "abc", "Root": [1], "Tags": {"a": 1}, "Created": "soon"}
    )
    output = parse_response(TABLES.operations["CreateThing"], 200, {}, body.encode())
    assert output.count == "x" and output.data == "abc" and output.root == [1]
    assert output.tags == {"a": 1} and output.created == "soon"


def test_event_stream_output_keeps_the_stream_and_reads_headers() -> None:
    stream = object()
    output = parse_stream_output(
        TABLES.operations["GetStream"],
        200,
        {"x-content-type": "text/plain", "x-other": "1"},
        stream,
    )
    assert output.events is stream
    assert output.content_type == "text/plain"


def test_deserialize_json() -> None:
    shapes = TABLES.shapes
    nested = deserialize_json(
        shapes, "Nested", {"Name": "n", "Data": "AAE=", "Child": {"Count": 2}}
    )
    assert (
        type(nested).__name__ == "Nested" and nested.data == b"\x00\x01" and nested.child.count == 2
    )
    assert deserialize_json(shapes, "StreamFailure", {"Message": "m", "ErrorCode": "E"}) == {
        "message": "m",
        "error_code": "E",
    }
    assert deserialize_json(shapes, "Document", {"a": 1}) == {"a": 1}
    assert deserialize_json(shapes, "NoSuchShape", [1]) == [1]
    assert deserialize_json(shapes, "Nested", None) is None


def test_request_id() -> None:
    assert request_id({"x-amzn-requestid": "a", "x-amz-request-id": "b"}) == "a"
    assert request_id({"x-amz-request-id": "b"}) == "b"
    assert request_id({}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-29T23:59:58Z", dt.datetime(2024, 2, 29, 23, 59, 58, tzinfo=UTC)),
        ("2024-02-29T23:59:58.1Z", dt.datetime(2024, 2, 29, 23, 59, 58, 100000, tzinfo=UTC)),
        (
            "2024-02-29T23:59:58.123456789Z",
            dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC),
        ),
        ("2024-02-29T23:59:58+02:00", dt.datetime(2024, 2, 29, 21, 59, 58, tzinfo=UTC)),
        ("2024-02-29T23:59:58", dt.datetime(2024, 2, 29, 23, 59, 58, tzinfo=UTC)),
        ("Thu, 29 Feb 2024 23:59:58 GMT", dt.datetime(2024, 2, 29, 23, 59, 58, tzinfo=UTC)),
        ("1709251198", dt.datetime(2024, 2, 29, 23, 59, 58, tzinfo=UTC)),
        ("1709251198.5", dt.datetime(2024, 2, 29, 23, 59, 58, 500000, tzinfo=UTC)),
    ],
)
def test_timestamp_formats_in_headers(text: str, expected: dt.datetime) -> None:
    output = parse_response(TABLES.operations["PutObject"], 200, {"x-expires": text}, b"")
    assert output.expires == expected
    assert output.expires.tzinfo is not None
    theirs = botocore_parse("PutObject", 200, {"X-Expires": text}, b"")["Expires"]
    if theirs.tzinfo is None:  # botocore leaves a zone-less timestamp naive; we say UTC
        theirs = theirs.replace(tzinfo=UTC)
    assert output.expires == theirs


# --------------------------------------------------------------------------- properties

text = st.text(max_size=8)
epoch = st.integers(0, 4_000_000_000) | st.floats(0, 4_000_000_000).map(lambda f: round(f, 3))
iso = st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2100, 1, 1)).map(
    lambda d: (
        d.strftime("%Y-%m-%dT%H:%M:%S") + (f".{d.microsecond:06d}" if d.microsecond else "") + "Z"
    )
)
stamp = epoch | iso
blob = st.binary(max_size=8).map(lambda b: base64.b64encode(b).decode())
nested_json = st.deferred(
    lambda: st.fixed_dictionaries(
        {},
        optional={
            "Name": text,
            "Count": st.integers(-(2**31), 2**31),
            "When": stamp,
            "Data": blob,
            "Child": nested_json,
            "Tags": st.lists(text, max_size=2),
        },
    )
)
created_json = st.fixed_dictionaries(
    {},
    optional={
        "Id": text,
        "name": text,
        "Count": st.integers(-(2**31), 2**31),
        "Big": st.integers(-(2**63), 2**63),
        "Enabled": st.booleans(),
        "Ratio": st.floats(allow_nan=False, allow_infinity=False)
        | st.sampled_from(["Infinity", "-Infinity"]),
        "Precise": st.floats(allow_nan=False),
        "Created": stamp,
        "IsoCreated": stamp,
        "RfcCreated": stamp,
        "Data": blob,
        "Tags": st.lists(st.none() | text, max_size=3),
        "Times": st.lists(stamp, max_size=2),
        "Labels": st.dictionaries(text, text, max_size=2),
        "Children": st.lists(nested_json, max_size=2),
        "ByName": st.dictionaries(text, nested_json, max_size=2),
        "Root": nested_json,
        "Doc": st.recursive(
            st.none() | st.integers() | text, lambda i: st.lists(i, max_size=2), max_leaves=4
        ),
        "Pick": st.sampled_from([{"Text": "t"}, {"Number": 1}, {"Inner": {"Name": "x"}}]),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(created_json, st.integers(200, 299))
def test_property_json_bodies_parse_like_botocore(document: dict[str, Any], status: int) -> None:
    assert_same("CreateThing", status, {}, json.dumps(document).encode())


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=64) | created_json.map(lambda d: json.dumps(d).encode()),
    st.dictionaries(
        st.sampled_from(
            [
                "x-size",
                "x-flag",
                "x-ratio",
                "x-expires",
                "x-labels",
                "x-numbers",
                "x-attrs",
                "x-meta-a",
            ]
        ),
        st.text(max_size=10),
    ),
    st.sampled_from(sorted(BOTO_MODEL_OPS)),
)
def test_property_parsing_never_raises(
    body: bytes, headers: dict[str, str], operation: str
) -> None:
    op = TABLES.operations[operation]
    parse_response(op, 200, headers, body)
    if op.event_stream_output:
        parse_stream_output(op, 200, headers, object())


def test_outputs_are_what_model_construct_builds() -> None:
    values = {"id": "x", "count": 2, "tags": ["a"], "status": 200}
    output = parse_response(
        TABLES.operations["CreateThing"],
        200,
        {},
        json.dumps({"Id": "x", "Count": 2, "Tags": ["a"]}).encode(),
    )
    reference = TABLES.classes["CreateThingOutput"].model_construct(**values)
    assert list(output.__dict__.items()) == list(reference.__dict__.items())
    assert output.model_fields_set == reference.model_fields_set == set(values)
    assert output.__pydantic_extra__ is None and output.__pydantic_private__ is None
    assert output == reference
    assert output.model_dump() == reference.model_dump()
    copy = output.model_copy(update={"id": "y"})
    assert copy.id == "y" and output.id == "x"


def test_classes_with_private_state_use_model_construct() -> None:
    import pydantic

    from aiosagemaker_runtime._protocol.shapes import Shape
    from aiosagemaker_runtime._spec import MemberSpec, OperationSpec, ShapeSpec

    class WithPrivate(Shape):
        name: Any = pydantic.Field(default=None, alias="Name")
        _seen: int = pydantic.PrivateAttr(default=5)

    shapes = {
        "Out": ShapeSpec(
            name="Out",
            type="structure",
            members=(
                MemberSpec(
                    name="Name", attr="name", target="S", location="header", wire_name="x-name"
                ),
            ),
            class_ref=WithPrivate,
        ),
        "S": ShapeSpec(name="S", type="string"),
    }
    op = OperationSpec(name="Op", method="GET", uri="/", input="", output="Out", shapes=shapes)
    output = parse_response(op, 200, {"x-name": "n"}, b"")
    assert output.name == "n" and output._seen == 5
