"""parse_error: code precedence and normalisation, messages, modeled members; never raises."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_protocol_model import TABLES

from aiosagemaker_runtime import ServiceError
from aiosagemaker_runtime._protocol.errors import MAX_TEXT_MESSAGE
from aiosagemaker_runtime._protocol.rest_json import parse_error

SERVICE = TABLES.service
OP = TABLES.operations["CreateThing"]
UTC = dt.timezone.utc


def error(status: int, headers: dict[str, str], body: Any) -> ServiceError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_error(SERVICE, OP, status, headers, raw)


@pytest.mark.parametrize(
    ("headers", "body", "code"),
    [
        ({"x-amzn-errortype": "NotFound"}, {"code": "Other"}, "NotFound"),
        (
            {"x-amzn-errortype": "NotFound:http://internal.amazon.com/coral/com.amazon.coral/"},
            {},
            "NotFound",
        ),
        ({}, {"code": "aws.protocoltests#NotFound"}, "NotFound"),
        ({}, {"Code": "NotFound", "__type": "Other"}, "NotFound"),
        ({}, {"code": "NotFound", "Code": "Other"}, "NotFound"),
        (
            {},
            {"__type": "com.amazon.coral.service#ThrottlingException:http://x/y"},
            "ThrottlingException",
        ),
        ({}, {"__type": "a#b#NotFound"}, "NotFound"),
        ({}, {"message": "no code"}, "404"),
        ({}, b"", "404"),
        ({"x-amzn-errortype": ""}, {"code": "NotFound"}, "NotFound"),
    ],
)
def test_code_precedence_and_normalisation(headers: dict[str, str], body: Any, code: str) -> None:
    err = error(404, headers, body)
    assert err.code == code
    assert err.status_code == 404


def test_known_code_gives_the_generated_class_with_members() -> None:
    err = error(
        500,
        {"x-amzn-requestid": "rid-1", "x-amzn-errortype": "BadThing"},
        {
            "Message": "the model failed",
            "OriginalStatusCode": 503,
            "OriginalMessage": "upstream",
            "When": 86400,
            "Details": {"k": "v"},
            "Unknown": 1,
        },
    )
    assert type(err) is TABLES.service.errors["BadThing"]
    assert isinstance(err, ServiceError)
    assert err.message == "the model failed"
    assert err.request_id == "rid-1"
    assert err.original_status_code == 503  # type: ignore[attr-defined]
    assert err.original_message == "upstream"  # type: ignore[attr-defined]
    assert err.when == dt.datetime(1970, 1, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    assert err.details == {"k": "v"}  # type: ignore[attr-defined]
    assert "the model failed" in str(err) and "rid-1" in str(err)


def test_error_code_differs_from_shape_name_and_header_members() -> None:
    err = error(
        429,
        {"retry-after": "7"},
        {"__type": "ThrottlingException", "message": "slow down", "Quota": 5},
    )
    assert type(err).__name__ == "Throttled"
    assert err.code == "ThrottlingException"
    assert err.message == "slow down"
    assert err.retry_after == 7  # type: ignore[attr-defined]
    assert err.quota == 5  # type: ignore[attr-defined]


def test_message_keys_in_order() -> None:
    assert error(400, {}, {"message": "a", "Message": "b"}).message == "a"
    assert error(400, {}, {"Message": "b", "errorMessage": "c"}).message == "b"
    assert error(400, {}, {"errorMessage": "c"}).message == "c"
    assert error(400, {}, {"code": "X"}).message == ""


def test_unknown_code_is_a_plain_service_error() -> None:
    err = error(400, {"x-amzn-errortype": "SomethingNew"}, {"message": "m"})
    assert type(err) is ServiceError
    assert err.code == "SomethingNew" and err.message == "m"


def test_request_id_falls_back_to_x_amz_request_id() -> None:
    assert error(500, {"x-amz-request-id": "r2"}, b"").request_id == "r2"
    assert error(500, {}, b"").request_id is None


def test_html_body_becomes_a_short_text_message() -> None:
    page = (
        b"<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>"
        b"<body><h1>502 Bad Gateway</h1><p>nginx &amp; friends</p></body></html>"
    )
    err = error(502, {}, page)
    assert err.code == "502"
    assert err.message == "502 Bad Gateway 502 Bad Gateway nginx & friends"
    long_page = b"<html><body>" + b"x " * 10000 + b"</body></html>"
    message = error(503, {}, long_page).message
    assert len(message) <= MAX_TEXT_MESSAGE and message.endswith("...")


@pytest.mark.parametrize(
    ("status", "reason"), [(503, "Service Unavailable"), (500, "Internal Server Error"), (599, "")]
)
def test_empty_body_gives_the_http_reason(status: int, reason: str) -> None:
    err = error(status, {}, b"  \n")
    assert err.message == reason and err.code == str(status)


def test_plain_text_and_non_object_json_bodies() -> None:
    assert error(400, {}, b"Bad things happened").message == "Bad things happened"
    assert error(400, {}, b"[1, 2]").message == "[1, 2]"
    assert error(400, {}, b"\xff\xfe broken").message.endswith("broken")


def test_modeled_member_values_of_the_wrong_type_do_not_break_parsing() -> None:
    err = error(
        500, {"x-amzn-errortype": "BadThing"}, {"Message": {"nested": 1}, "OriginalStatusCode": "x"}
    )
    assert type(err).__name__ == "BadThing"
    assert err.message == '{"nested": 1}'
    assert err.original_status_code == "x"  # type: ignore[attr-defined]


@settings(max_examples=250, deadline=None)
@given(
    st.integers(0, 1000),
    st.dictionaries(
        st.sampled_from(
            [
                "x-amzn-errortype",
                "x-amzn-requestid",
                "x-amz-request-id",
                "retry-after",
                "content-type",
            ]
        )
        | st.text(max_size=5),
        st.text(max_size=20),
    ),
    st.binary(max_size=200)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "code",
                        "Code",
                        "__type",
                        "message",
                        "Message",
                        "errorMessage",
                        "OriginalStatusCode",
                        "When",
                        "Details",
                        "Quota",
                    ]
                )
                | st.text(max_size=4),
                inner,
                max_size=4,
            )
        ),
        max_leaves=8,
    ).map(lambda value: json.dumps(value).encode()),
)
def test_property_never_raises(status: int, headers: dict[str, str], body: bytes) -> None:
    err = parse_error(SERVICE, OP, status, headers, body)
    assert isinstance(err, ServiceError)
    assert isinstance(err.code, str) and err.code
    assert isinstance(err.message, str)
    assert err.status_code == status
    str(err)
    repr(err)


def test_never_raises_on_hostile_inputs() -> None:
    class Exploding(dict[str, str]):
        def get(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("boom")

    err = parse_error(SERVICE, OP, 500, Exploding(), b"{}")
    assert isinstance(err, ServiceError) and err.code == "500"
    assert isinstance(
        parse_error(SERVICE, OP, 500, {}, memoryview(b'{"code": "NotFound"}')), ServiceError
    )
