"""The public modules over the generated layer: ``models`` and ``errors``."""

from __future__ import annotations

import inspect

import aiosagemaker_runtime
from aiosagemaker_runtime import errors, models
from aiosagemaker_runtime._generated.client import SageMakerRuntimeClient


def test_models_exports_every_structure_under_its_shape_name() -> None:
    for name in (
        "InvokeEndpointInput",
        "InvokeEndpointOutput",
        "InvokeEndpointAsyncInput",
        "InvokeEndpointAsyncOutput",
        "InvokeEndpointWithResponseStreamInput",
        "InvokeEndpointWithResponseStreamOutput",
        "PayloadPart",
        "EndpointName",
        "BodyBlob",
    ):
        assert name in models.__all__ and hasattr(models, name), name
    assert models.InvokeEndpointWithResponseStreamOutput._event_stream_attr_ == "body"


def test_errors_exports_the_runtime_tree_and_the_generated_classes() -> None:
    expected = {
        "SageMakerRuntimeError",
        "ParamValidationError",
        "CredentialsError",
        "TransportError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "EndpointConnectionError",
        "EventStreamError",
        "ServiceError",
        "ValidationError",
        "ModelError",
        "ModelNotReadyException",
        "InternalFailure",
        "ServiceUnavailable",
        "InternalDependencyException",
        "ModelStreamError",
        "InternalStreamFailure",
    }
    # The bidirectional-stream operation's model adds these (not at the top level: they
    # would import its package with aiosagemaker_runtime).
    http2_only = {"InputValidationError", "InternalServerError", "ServiceUnavailableError"}
    assert set(errors.__all__) == expected | http2_only
    for name in expected:
        assert getattr(errors, name) is getattr(aiosagemaker_runtime, name), name
    statuses = {
        "ValidationError": 400,
        "ModelError": 424,
        "ModelNotReadyException": 429,
        "InternalFailure": 500,
        "ServiceUnavailable": 503,
        "InternalDependencyException": 530,
    }
    for name, status in statuses.items():
        assert getattr(errors, name).status_code_default == status


def test_client_has_one_method_per_operation() -> None:
    methods = {
        name
        for name, _ in inspect.getmembers(SageMakerRuntimeClient, inspect.iscoroutinefunction)
        if not name.startswith("_")
    } - {"aclose"}
    assert methods == {
        "invoke_endpoint",
        "invoke_endpoint_async",
        "invoke_endpoint_with_response_stream",
    }
    assert aiosagemaker_runtime.SageMakerRuntimeClient is SageMakerRuntimeClient
    signature = inspect.signature(SageMakerRuntimeClient.invoke_endpoint)
    assert list(signature.parameters) == ["self", "input", "params"]
