"""Python names for model names."""

from __future__ import annotations

import keyword

import pytest
from botocore import xform_name

from codegen import naming
from codegen.imports import RESERVED


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("EndpointName", "endpoint_name"),
        ("InferenceComponentName", "inference_component_name"),
        ("S3OutputPathExtension", "s3_output_path_extension"),
        ("RequestTTLSeconds", "request_ttl_seconds"),
        ("InvokeEndpointWithResponseStream", "invoke_endpoint_with_response_stream"),
        ("ListARNs", "list_arns"),
        ("Foo_Bar", "foo_bar"),
        ("x-amz-thing", "x-amz-thing"),
    ],
)
def test_snake_case(name: str, expected: str) -> None:
    assert naming.snake_case(name) == expected


@pytest.mark.parametrize(
    "name",
    ["EndpointName", "RequestTTLSeconds", "S3OutputPathExtension", "ListARNs", "HTTPHeaders"],
)
def test_own_rules_match_botocore_without_its_table(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(naming, "_xform_name", None)
    assert naming.snake_case(name) == xform_name(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("From", "from_"),
        ("Class", "class_"),
        ("Match", "match_"),
        ("Json", "json_"),
        ("ModelConfig", "model_config_"),
        ("_vcpus", "vcpus"),
        ("1st", "m_1st"),
    ],
)
def test_safe_attr(name: str, expected: str) -> None:
    attr = naming.safe_attr(naming.snake_case(name))
    assert attr == expected
    assert attr.isidentifier() and not keyword.iskeyword(attr)


def test_class_names_never_shadow_imports_or_builtins() -> None:
    assert naming.class_name("Field", RESERVED) == "Field_"
    assert naming.class_name("Exception", RESERVED) == "Exception_"
    assert naming.class_name("namespace", RESERVED) == "Namespace"
    assert naming.class_name("Widget", RESERVED) == "Widget"


@pytest.mark.parametrize(
    ("service_id", "expected"),
    [
        ("SageMaker Runtime", "SageMakerRuntimeClient"),
        ("SageMaker FeatureStore Runtime", "SageMakerFeatureStoreRuntimeClient"),
        ("Lambda", "LambdaClient"),
        ("API Gateway", "APIGatewayClient"),
    ],
)
def test_client_class_name(service_id: str, expected: str) -> None:
    assert naming.service_class_name(service_id) == expected


def test_operation_constant() -> None:
    assert naming.constant_name("InvokeEndpointAsync") == "INVOKE_ENDPOINT_ASYNC"
