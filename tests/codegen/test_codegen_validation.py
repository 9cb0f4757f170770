"""Every constraint kind of the model is checked by the generated models, naming the member."""

from __future__ import annotations

import datetime as dt
from types import ModuleType
from typing import Any

import pytest

from aiosagemaker_runtime import ParamValidationError
from aiosagemaker_runtime.models import (
    InvokeEndpointAsyncInput,
    InvokeEndpointInput,
    InvokeEndpointOutput,
    InvokeEndpointWithResponseStreamInput,
    PayloadPart,
)

BASE: dict[str, Any] = {"EndpointName": "my-endpoint", "Body": b"{}"}


def refused(cls: type[Any], **params: Any) -> ParamValidationError:
    with pytest.raises(ParamValidationError) as info:
        cls(**params)
    return info.value


@pytest.mark.parametrize(
    ("member", "value", "constraint"),
    [
        ("EndpointName", "bad_name", "pattern"),
        ("EndpointName", "-leading-dash", "pattern"),
        ("EndpointName", "a" * 64, "max"),
        ("TargetModel", "", "min"),
        ("TargetModel", " leading-space", "pattern"),
        ("InferenceId", "x" * 65, "max"),
        ("InferenceId", "tab\tinside", "pattern"),
        ("CustomAttributes", "caf\u00e9", "pattern"),
        ("InferenceComponentName", "ends-with-dash-", "pattern"),
        ("SessionId", "NEW_SESSION!", "pattern"),
        ("EnableExplanations", "", "min"),
        ("ContentType", "text/plain\r\nX-Injected: 1", "header value"),
        ("Accept", "a\nb", "header value"),
        ("CustomAttributes", "a\x00b", "header value"),
        ("Body", b"x" * (6 * 1024 * 1024 + 1), "max"),
        ("Body", 12345, "type"),
    ],
)
def test_invoke_endpoint_constraints(member: str, value: Any, constraint: str) -> None:
    error = refused(InvokeEndpointInput, **{**BASE, member: value})
    assert error.member == member
    assert error.constraint == constraint
    assert member in str(error)


def test_pattern_is_a_full_match() -> None:
    # "^[a-zA-Z0-9](-*[a-zA-Z0-9])*" matches a prefix of "ok_then"; the service does not.
    assert refused(InvokeEndpointInput, **{**BASE, "EndpointName": "ok_then"}).member == (
        "EndpointName"
    )
    assert InvokeEndpointInput(**BASE).endpoint_name == "my-endpoint"


@pytest.mark.parametrize("missing", ["EndpointName", "Body"])
def test_required_members(missing: str) -> None:
    params = {k: v for k, v in BASE.items() if k != missing}
    error = refused(InvokeEndpointInput, **params)
    assert (error.member, error.constraint) == (missing, "required")


@pytest.mark.parametrize(
    ("member", "value", "constraint"),
    [
        ("RequestTTLSeconds", 59, "min"),
        ("RequestTTLSeconds", 21601, "max"),
        ("InvocationTimeoutSeconds", 0, "min"),
        ("InvocationTimeoutSeconds", 3601, "max"),
        ("S3OutputPathExtension", "s3://bucket", "pattern"),
        ("Filename", "a.b.c", "pattern"),
        ("InputLocation", "ftp://x/y", "pattern"),
        ("Body", b"x" * 128001, "max"),
    ],
)
def test_async_invoke_constraints(member: str, value: Any, constraint: str) -> None:
    params = {"EndpointName": "e", "InputLocation": "s3://b/k", member: value}
    error = refused(InvokeEndpointAsyncInput, **params)
    assert (error.member, error.constraint) == (member, constraint)


def test_values_at_the_limits_are_accepted() -> None:
    InvokeEndpointAsyncInput(
        endpoint_name="e",
        input_location="s3://bucket/key",
        request_ttl_seconds=60,
        invocation_timeout_seconds=3600,
        s3_output_path_extension="out/(1)",
        filename="model.tar",
    )
    InvokeEndpointInput(
        endpoint_name="a" * 63, body=b"x" * (6 * 1024 * 1024), session_id="NEW_SESSION"
    )
    InvokeEndpointWithResponseStreamInput(endpoint_name="e", body="text", inference_id="id-1")


def test_snake_case_and_model_spelling_are_both_accepted() -> None:
    one = InvokeEndpointInput(endpoint_name="e", body=b"x", content_type="a/b")
    two = InvokeEndpointInput(EndpointName="e", Body=b"x", ContentType="a/b")
    assert one == two
    assert one.model_dump(by_alias=True, exclude_none=True) == {
        "EndpointName": "e",
        "Body": b"x",
        "ContentType": "a/b",
    }


def test_unknown_members_are_refused() -> None:
    error = refused(InvokeEndpointInput, **BASE, EndpointNmae="typo")
    assert error.constraint == "unknown member"


def test_sensitive_members_are_redacted() -> None:
    value = InvokeEndpointInput(**{**BASE, "Body": b"top-secret", "CustomAttributes": "pii=1"})
    for text in (repr(value), str(value)):
        assert "top-secret" not in text and "pii=1" not in text
        assert "<redacted>" in text and "my-endpoint" in text
    part = PayloadPart(bytes=b"token")
    assert "token" not in repr(part)
    output = InvokeEndpointOutput.model_construct(body=b"answer", custom_attributes="c=1")
    assert "answer" not in repr(output) and "c=1" not in str(output)


def test_errors_never_quote_values() -> None:
    error = refused(InvokeEndpointInput, **{**BASE, "CustomAttributes": "secret\u00e9"})
    assert "secret" not in str(error)


# -- the fixture model: every other constraint kind ------------------------------------


def put(widgets: ModuleType, **params: Any) -> Any:
    base = {"StoreId": "store1", "Key": "a/b", "ClientToken": "t"}
    return widgets.models.PutWidgetRequest(**{**base, **params})


@pytest.mark.parametrize(
    ("params", "member", "constraint"),
    [
        ({"Color": "purple"}, "Color", "enum"),
        ({"Colors": ["red", "mauve"]}, "Colors[1]", "enum"),
        ({"Limit": 0}, "Limit", "min"),
        ({"Limit": 101}, "Limit", "max"),
        ({"Quantity": -1}, "Quantity", "min"),
        ({"Weight": 1.6}, "Weight", "max"),
        ({"Ratio": -0.1}, "Ratio", "min"),
        ({"Tags": ["a"] * 6}, "Tags", "max"),
        ({"Tags": ["ok", " bad"]}, "Tags[1]", "pattern"),
        ({"Labels": ["x\r\ny"]}, "Labels[0]", "pattern"),
        ({"Metadata": {"k": "v\n"}}, "Metadata.k", "header value"),
        ({"MultiFilters": {"k": ["ok", "\x00"]}}, "MultiFilters.k[1]", "header value"),
        ({"Filters": {"a": "1", "b": "2", "c": "3", "d": "4"}}, "Filters", "max"),
        ({"Parts": []}, "Parts", "min"),
        ({"Parts": [{"Name": "x"}]}, "Parts[0].Name", "min"),
        ({"Parts": [{"Name": "abc1", "Finish": "gold"}]}, "Parts[0].Finish", "enum"),
        ({"Parts": [{"Weight": 1.0}]}, "Parts[0].Name", "required"),
        ({"Parts": [{"Name": "1abc"}]}, "Parts[0].Name", "pattern"),
        ({"Thumbnail": b"x" * 1025}, "Thumbnail", "max"),
        ({"Owner": {"Name": "a", "Manager": {"Reports": [{}]}}}, "Owner.Manager.Name", "required"),
        ({"Secret": "s" * 65}, "Secret", "max"),
        ({"StoreId": ""}, "StoreId", "min"),
        ({"StoreId": "no spaces"}, "StoreId", "pattern"),
        ({"Key": "bad\x01key"}, "Key", "pattern"),
        ({"Rating": "under_score"}, "Rating", "pattern"),
        ({"Count": "many"}, "Count", "type"),
        ({"Since": "not a time"}, "Since", "type"),
    ],
)
def test_fixture_constraints(
    widgets: ModuleType, params: dict[str, Any], member: str, constraint: str
) -> None:
    with pytest.raises(ParamValidationError) as info:
        put(widgets, **params)
    assert (info.value.member, info.value.constraint) == (member, constraint)


def test_fixture_accepts_good_values(widgets: ModuleType) -> None:
    value = put(
        widgets,
        StoreId="\u00e9t\u00e9_2-b",
        Key="folder/\u65e5\u672c.txt",
        Rating="five stars\u2605",
        Parts=[{"Name": "bolt7", "Finish": "red"}, widgets.models.Part(name="nut")],
        Attributes={"Color": {"S": "red"}, "size": {"L": [{"N": 1}, {"B": b"\x00"}]}},
        Owner={"Name": "ann", "Reports": [{"Name": "bob", "Manager": {"Name": "ann"}}]},
        Config={"any": ["json", 1, None, True]},
        Context={"trace": [1, 2]},
        Since=dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc),
        Notes=["a", None],
        Tags=["x"] * 5,
    )
    assert value.parts[1].name == "nut"
    assert value.owner.reports[0].manager.name == "ann"
    assert value.attributes["size"].l[1].b == b"\x00"


@pytest.mark.parametrize("union", [{}, {"S": "a", "N": 1}])
def test_unions_take_exactly_one_member(widgets: ModuleType, union: dict[str, Any]) -> None:
    with pytest.raises(ParamValidationError) as info:
        put(widgets, Attributes={"k": union})
    assert info.value.member == "Attributes.k"


def test_case_insensitive_inline_flag(widgets: ModuleType) -> None:
    put(widgets, Attributes={"MixedCase9": {"S": "x"}})
    with pytest.raises(ParamValidationError) as info:
        put(widgets, Attributes={"9lives": {"S": "x"}})
    assert info.value.constraint == "pattern"


def test_fixture_header_value_without_pattern(widgets: ModuleType) -> None:
    with pytest.raises(ParamValidationError) as info:
        widgets.models.GetWidgetDataRequest(widget_id="ab", range="bytes=0-1\r\nX: y")
    assert (info.value.member, info.value.constraint) == ("Range", "header value")


def test_fixture_blob_payload_limits(widgets: ModuleType) -> None:
    upload = widgets.models.UploadWidgetDataRequest
    assert upload(widget_id="ab", body=memoryview(b"x")).body.nbytes == 1
    for body, constraint in ((b"", "min"), (b"x" * 1025, "max"), ("\u00e9" * 513, "max")):
        with pytest.raises(ParamValidationError) as info:
            upload(widget_id="ab", body=body)
        assert (info.value.member, info.value.constraint) == ("Body", constraint)


def test_fixture_sensitive_members(widgets: ModuleType) -> None:
    value = put(widgets, Secret="hunter2")
    assert "hunter2" not in repr(value)
    update = widgets.models.WidgetUpdate(sequence=1, bytes=b"payload")
    assert "payload" not in repr(update) and "sequence=1" in repr(update)


def test_builtin_named_member_keeps_its_type(widgets: ModuleType) -> None:
    update = widgets.models.WidgetUpdate(Bytes=b"\x01")
    assert update.bytes == b"\x01"
    assert update.model_dump(by_alias=True) == {"Sequence": None, "Bytes": b"\x01"}


def test_keyword_member_is_suffixed(widgets: ModuleType) -> None:
    assert put(widgets, From="me").from_ == "me"
    assert put(widgets, from_="me").model_dump(by_alias=True)["From"] == "me"
