"""Requests built by serialize_request are the ones botocore's RestJSONSerializer builds."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import re
import uuid
from typing import Any

import pytest
from botocore.awsrequest import prepare_request_dict
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_protocol_model import ENDPOINT, TABLES, botocore_model, make_input

from aiosagemaker_runtime import ParamValidationError
from aiosagemaker_runtime._protocol.rest_json import serialize_request

BOTO = botocore_model()
SERIALIZER = create_serializer("rest-json", include_validation=False)
UTC = dt.timezone.utc


def botocore_request(
    operation: str, params: dict[str, Any], endpoint: str = ENDPOINT
) -> dict[str, Any]:
    request = SERIALIZER.serialize_to_request(params, BOTO.operation_model(operation))
    prepare_request_dict(request, endpoint)
    body = request["body"]
    if isinstance(body, str):
        body = body.encode("utf-8")
    return {
        "method": request["method"],
        "url": request["url"],
        # We drop spaces around header values, which are not part of them (RFC 9110).
        "headers": {name: value.strip(" \t") for name, value in request["headers"].items()},
        "body": bytes(body),
    }


def our_request(operation: str, params: dict[str, Any], endpoint: str = ENDPOINT) -> dict[str, Any]:
    op = TABLES.operations[operation]
    value = make_input(TABLES, op.input, params) if op.input else None
    request = serialize_request(op, value, endpoint)
    names = [name.lower() for name, _ in request.headers]
    assert len(names) == len(set(names)), "a header was sent twice"
    return {
        "method": request.method,
        "url": request.url,
        "headers": dict(request.headers),
        "body": bytes(request.body),
    }


def assert_same(operation: str, params: dict[str, Any], endpoint: str = ENDPOINT) -> dict[str, Any]:
    ours = our_request(operation, params, endpoint)
    assert ours == botocore_request(operation, params, endpoint)
    return ours


WHEN = dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
WHOLE = dt.datetime(2024, 2, 29, 23, 59, 58, tzinfo=UTC)


def test_every_header_query_and_uri_binding() -> None:
    params = {
        "Bucket": "my bucket/ü",
        "Key": "a/b c/d~e%f+g",
        "Body": b"\x00\x01binary",
        "ContentType": "application/x-thing",
        "Size": 12345678901,
        "Flag": False,
        "Ratio": 0.1,
        "Expires": WHEN,
        "IsoWhen": WHEN,
        "EpochWhen": WHEN,
        "Labels": ["plain", "with,comma", 'with"quote'],
        "Numbers": [1, 2, 3],
        "Attrs": {"a": [1, "b"], "ü": None},
        "Color": "red",
        "Meta": {"owner": "me", "team": "ml ops"},
        "VersionId": "v 1&2=3",
        "PartNumber": 7,
        "Verbose": True,
        "Since": WHEN,
        "Until": WHEN,
        "Scale": 2.5,
        "Ids": ["x", "y z"],
        "Switches": [True, False],
        "Extra": {"k1": ["v1", "v2"], "k 2": ["v/3"]},
    }
    ours = assert_same("PutObject", params)
    assert ours["url"].startswith(
        f"{ENDPOINT}/my%20bucket%2F%C3%BC/a/b%20c/d~e%25f%2Bg?x-id=PutObject&"
    )
    assert ours["headers"]["X-Size"] == "12345678901"
    assert ours["headers"]["X-Flag"] == "false"
    assert ours["headers"]["X-Expires"] == "Thu, 29 Feb 2024 23:59:58 GMT"
    assert ours["headers"]["X-Iso-When"] == "2024-02-29T23:59:58Z"
    assert ours["headers"]["X-Epoch-When"] == "1709251198"
    assert ours["headers"]["X-Labels"] == 'plain,"with,comma","with\\"quote"'
    assert json.loads(base64.b64decode(ours["headers"]["X-Attrs"])) == {"a": [1, "b"], "ü": None}
    assert "Content-Type" in ours["headers"] and ours["body"] == b"\x00\x01binary"


def test_headers_only_for_set_members_and_no_content_type_for_blob_payload() -> None:
    ours = assert_same("PutObject", {"Bucket": "b", "Key": "k", "Body": b"x"})
    assert ours["headers"] == {}
    assert ours["url"] == f"{ENDPOINT}/b/k?x-id=PutObject"


def test_absent_blob_payload_is_an_empty_body() -> None:
    ours = assert_same("PutObject", {"Bucket": "b", "Key": "k"})
    assert ours["body"] == b""


@pytest.mark.parametrize("body", [b"abc", bytearray(b"abc"), memoryview(b"xabc")[1:], "abc"])
def test_payload_bytes_like_values_are_not_copied(body: Any) -> None:
    op = TABLES.operations["PutObject"]
    request = serialize_request(
        op, make_input(TABLES, op.input, {"Bucket": "b", "Key": "k", "Body": body}), ENDPOINT
    )
    if isinstance(body, str):
        assert request.body == b"abc"
    else:
        assert request.body is body


def test_empty_header_list_is_not_sent() -> None:
    ours = assert_same("PutObject", {"Bucket": "b", "Key": "k", "Labels": [], "Ids": []})
    assert "X-Labels" not in ours["headers"]


def test_float_specials_in_headers_and_query() -> None:
    for value in (float("inf"), float("-inf"), float("nan"), 1e300, 5e-324, -0.0):
        assert_same("PutObject", {"Bucket": "b", "Key": "k", "Ratio": value, "Scale": value})


def test_json_body_with_every_type() -> None:
    params = {
        "ClientToken": "token-1",
        "Name": "thing",
        "Count": 3,
        "Big": 2**53 + 1,
        "Enabled": True,
        "Ratio": 1.5,
        "Precise": float("inf"),
        "Created": WHEN,
        "IsoCreated": WHEN,
        "RfcCreated": WHEN,
        "Data": b"\xffdata",
        "Color": "green",
        "Tags": ["a", "b"],
        "Times": [WHOLE, WHEN],
        "Labels": {"x": "1", "ü": "2"},
        "Children": [{"Name": "c1", "When": WHOLE}, {"Count": 0}],
        "ByName": {"n": {"Data": "text blob", "Tags": []}},
        "Root": {"Name": "root", "Child": {"Name": "leaf", "Child": {"Count": 1}}},
        "Doc": {"any": [1, 2.5, None, True, {"deep": "x"}]},
        "Pick": {"Inner": {"Name": "in"}},
        "Trace": "t-1",
        "DryRun": False,
    }
    ours = assert_same("CreateThing", params)
    assert ours["headers"]["Content-Type"] == "application/json"
    body = json.loads(ours["body"])
    assert body["name"] == "thing"
    assert body["Created"] == 1709251198.123456
    assert body["IsoCreated"] == "2024-02-29T23:59:58.123456Z"
    assert body["RfcCreated"] == "Thu, 29 Feb 2024 23:59:58 GMT"
    assert body["Times"] == [1709251198, 1709251198.123456]
    assert body["Precise"] == "Infinity"
    assert ours["url"] == f"{ENDPOINT}/things?dryRun=false"


def test_body_members_all_unset_send_an_empty_object() -> None:
    ours = assert_same("CreateThing", {"ClientToken": "t", "Trace": "x"})
    assert json.loads(ours["body"]) == {"ClientToken": "t"}
    ours = our_request("HeadersOnly", {"Trace": "x"})
    assert ours == botocore_request("HeadersOnly", {"Trace": "x"})
    assert ours["body"] == b"" and "Content-Type" not in ours["headers"]


def test_empty_input_with_body_members_is_an_empty_json_object() -> None:
    op = TABLES.operations["StringPayload"]
    assert serialize_request(op, None, ENDPOINT).body == b""
    assert_same("StringPayload", {})
    assert_same("StringPayload", {"Text": "héllo"})


def test_idempotency_token_is_filled_with_a_uuid4() -> None:
    op = TABLES.operations["CreateThing"]
    request = serialize_request(op, make_input(TABLES, op.input, {"Name": "n"}), ENDPOINT)
    token = json.loads(request.body)["ClientToken"]
    assert uuid.UUID(token).version == 4
    given = serialize_request(op, make_input(TABLES, op.input, {"ClientToken": "mine"}), ENDPOINT)
    assert json.loads(given.body)["ClientToken"] == "mine"


def test_structure_payload() -> None:
    ours = assert_same(
        "UploadStruct", {"Id": "i/1", "Config": {"Name": "n", "Tags": ["t"]}, "Mode": "m"}
    )
    assert ours["headers"]["Content-Type"] == "application/json"
    assert ours["url"] == f"{ENDPOINT}/upload/i%2F1"
    ours = assert_same("UploadStruct", {"Id": "i"})
    assert ours["body"] == b"{}"


def test_operation_without_input() -> None:
    ours = assert_same("Ping", {})
    assert ours == {"method": "GET", "url": f"{ENDPOINT}/ping", "headers": {}, "body": b""}


def test_literal_query_in_request_uri() -> None:
    assert assert_same("MultipartStart", {"Bucket": "b"})["url"] == f"{ENDPOINT}/b?uploads"
    assert (
        assert_same("MultipartStart", {"Bucket": "b", "Prefix": "p q"})["url"]
        == f"{ENDPOINT}/b?uploads&prefix=p%20q"
    )


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://svc.example.com",
        "https://svc.example.com/",
        "https://svc.example.com/base",
        "https://svc.example.com/base/",
        "http://127.0.0.1:8080",
    ],
)
def test_endpoint_paths_are_joined_like_botocore(endpoint: str) -> None:
    assert_same("PutObject", {"Bucket": "b", "Key": "k"}, endpoint)
    assert_same("Ping", {}, endpoint)


def test_host_prefix_from_host_labels() -> None:
    ours = assert_same("HostOp", {"AccountId": "123456789012", "Note": "n"})
    assert ours["url"] == "https://123456789012.data.svc.us-east-1.amazonaws.com/host"
    op = TABLES.operations["HostOp"]
    for bad in ("a/b", "", "x y"):
        with pytest.raises(ParamValidationError) as info:
            serialize_request(op, make_input(TABLES, op.input, {"AccountId": bad}), ENDPOINT)
        assert info.value.member == "AccountId"


def test_missing_uri_label_is_refused() -> None:
    op = TABLES.operations["PutObject"]
    with pytest.raises(ParamValidationError) as info:
        serialize_request(op, make_input(TABLES, op.input, {"Bucket": "b"}), ENDPOINT)
    assert info.value.member == "Key"
    assert info.value.constraint == "required"


def test_enum_members_are_sent_by_value() -> None:
    import enum

    class Color(str, enum.Enum):
        RED = "red"

    op = TABLES.operations["PutObject"]
    request = serialize_request(
        op, make_input(TABLES, op.input, {"Bucket": "b", "Key": "k", "Color": Color.RED}), ENDPOINT
    )
    assert dict(request.headers)["X-Color"] == "red"
    op = TABLES.operations["CreateThing"]
    request = serialize_request(
        op, make_input(TABLES, op.input, {"ClientToken": "t", "Color": Color.RED}), ENDPOINT
    )
    assert json.loads(request.body)["Color"] == "red"


def test_decimal_floats_and_naive_datetimes() -> None:
    naive = WHEN.replace(tzinfo=None)
    ours = assert_same(
        "CreateThing",
        {
            "ClientToken": "t",
            "Ratio": decimal.Decimal("1.25"),
            "Created": naive,
            "IsoCreated": naive,
        },
    )
    assert json.loads(ours["body"])["Ratio"] == 1.25


def test_spaces_around_header_values_are_dropped() -> None:
    op = TABLES.operations["PutObject"]
    params = {"Bucket": "b", "Key": "k", "ContentType": " text/plain \t", "Meta": {"a": "  x y  "}}
    request = serialize_request(op, make_input(TABLES, op.input, params), ENDPOINT)
    assert dict(request.headers) == {"Content-Type": "text/plain", "x-meta-a": "x y"}


def test_no_accept_or_accept_encoding_headers_are_added() -> None:
    for name, params in (
        ("PutObject", {"Bucket": "b", "Key": "k"}),
        ("CreateThing", {"ClientToken": "t"}),
    ):
        headers = {key.lower() for key in our_request(name, params)["headers"]}
        assert not headers & {"accept", "accept-encoding", "user-agent"}


# --------------------------------------------------------------------------- properties

header_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"), max_size=12
)
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
moments = st.datetimes(
    min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1), timezones=st.just(UTC)
)
floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text(max_size=5)
documents = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def drop_none(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}


put_params = st.fixed_dictionaries(
    {
        "Bucket": any_text,
        "Key": any_text,
        "Body": optional(st.binary(max_size=20)),
        "ContentType": optional(header_text),
        "Size": optional(st.integers(-(2**63), 2**63 - 1)),
        "Flag": optional(st.booleans()),
        "Ratio": optional(floats),
        "Expires": optional(moments),
        "IsoWhen": optional(moments),
        "EpochWhen": optional(moments),
        "Labels": optional(st.lists(header_text, max_size=3)),
        "Numbers": optional(st.lists(st.integers(), max_size=3)),
        "Attrs": optional(documents),
        "Meta": optional(
            st.dictionaries(st.from_regex(r"[a-z]{1,5}", fullmatch=True), header_text, max_size=2)
        ),
        "VersionId": optional(any_text),
        "PartNumber": optional(st.integers()),
        "Verbose": optional(st.booleans()),
        "Since": optional(moments),
        "Until": optional(moments),
        "Scale": optional(floats),
        "Ids": optional(st.lists(any_text, max_size=3)),
        "Switches": optional(st.lists(st.booleans(), max_size=2)),
        "Extra": optional(
            st.dictionaries(
                st.from_regex(r"[a-z]{1,4}", fullmatch=True),
                st.lists(any_text, max_size=2),
                max_size=2,
            )
        ),
    }
).map(drop_none)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(put_params)
def test_property_bound_members_match_botocore(params: dict[str, Any]) -> None:
    assert_same("PutObject", in_model_order("PutObjectInput", params))


nested = st.deferred(
    lambda: st.fixed_dictionaries(
        {},
        optional={
            "Name": any_text,
            "Count": st.integers(-(2**31), 2**31),
            "When": moments,
            "Data": st.binary(max_size=6),
            "Child": nested,
            "Tags": st.lists(any_text, max_size=2),
        },
    )
)

create_params = st.fixed_dictionaries(
    {"ClientToken": st.uuids().map(str)},
    optional={
        "Name": any_text,
        "Count": st.integers(-(2**31), 2**31),
        "Big": st.integers(-(2**63), 2**63 - 1),
        "Enabled": st.booleans(),
        "Ratio": floats,
        "Precise": floats,
        "Created": moments,
        "IsoCreated": moments,
        "RfcCreated": moments,
        "Data": st.binary(max_size=10),
        "Color": st.sampled_from(["red", "green"]),
        "Tags": st.lists(any_text, max_size=3),
        "Times": st.lists(moments, max_size=2),
        "Labels": st.dictionaries(any_text, any_text, max_size=2),
        "Children": st.lists(nested, max_size=2),
        "ByName": st.dictionaries(any_text, nested, max_size=2),
        "Root": nested,
        "Doc": documents,
        "Pick": st.sampled_from(["Text", "Number"]).flatmap(
            lambda tag: st.fixed_dictionaries(
                {tag: any_text if tag == "Text" else st.integers(0, 9)}
            )
        ),
        "Trace": header_text,
        "DryRun": st.booleans(),
    },
)


def in_model_order(shape: str, params: dict[str, Any]) -> dict[str, Any]:
    """botocore writes JSON in the caller's key order, we in model order: align them."""
    return _ordered(BOTO.shape_for(shape), params)  # type: ignore[no-any-return]


def _ordered(shape: Any, value: Any) -> Any:
    if shape.type_name == "structure" and not getattr(shape, "is_document_type", False):
        return {k: _ordered(m, value[k]) for k, m in shape.members.items() if k in value}
    if shape.type_name == "list":
        return [_ordered(shape.member, item) for item in value]
    if shape.type_name == "map":
        return {k: _ordered(shape.value, v) for k, v in value.items()}
    return value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(create_params)
def test_property_json_bodies_match_botocore(params: dict[str, Any]) -> None:
    assert_same("CreateThing", in_model_order("CreateThingInput", params))


def test_json_floats_are_formatted_like_botocore() -> None:
    for value in (0.1, 1e-7, 1e22, 123456789.123456789, -0.0, 2.5):
        ours = assert_same("CreateThing", {"ClientToken": "t", "Ratio": value})
        assert re.search(rb'"Ratio": [-0-9.e+]+', ours["body"])
