"""Generated error classes: members as attributes, never clobbering ServiceError's own."""

from __future__ import annotations

import json
from types import ModuleType

from aiosagemaker_runtime import ServiceError
from aiosagemaker_runtime._protocol.rest_json import parse_error
from aiosagemaker_runtime.errors import ModelError, ModelStreamError, ValidationError


def test_sagemaker_error_classes() -> None:
    assert issubclass(ModelError, ServiceError)
    assert (ModelError.error_code_default, ModelError.status_code_default) == ("ModelError", 424)
    assert ModelError.members == ("original_status_code", "original_message", "log_stream_arn")
    assert ValidationError.status_code_default == 400 and not ValidationError.fault
    assert ModelStreamError.members == ("error_code",)
    error = ModelError("boom", original_status_code=500, log_stream_arn="arn:log")
    assert (error.code, error.original_status_code, error.original_message) == (
        "ModelError",
        500,
        None,
    )


def test_members_named_like_service_error_attributes_are_renamed(widgets: ModuleType) -> None:
    service = widgets.operations.SERVICE
    operation = widgets.operations.PUT_WIDGET
    body = {"message": "gone", "WidgetId": "abc", "Code": "W-1", "RequestId": "body-id"}
    headers = {"x-amzn-requestid": "header-id", "x-amzn-errortype": "NotFound:http://x"}
    error = parse_error(service, operation, 404, headers, json.dumps(body).encode())
    assert isinstance(error, widgets.errors.WidgetNotFound)
    assert (error.code, error.message, error.status_code) == ("NotFound", "gone", 404)
    assert error.request_id == "header-id"
    assert (error.widget_id, error.code_, error.request_id_) == ("abc", "W-1", "body-id")


def test_error_status_codes_and_faults(widgets: ModuleType) -> None:
    errors = widgets.errors
    assert errors.InternalError.fault and errors.InternalError.status_code_default == 500
    assert errors.ThrottledException.status_code_default == 429
    assert errors.WidgetThrottledException.status_code_default == 0
    assert widgets.operations.ERRORS["NotFound"] is errors.WidgetNotFound
    spec = widgets.operations.SHAPES["ThrottledException"]
    (retry,) = [m for m in spec.members if m.name == "RetryAfterSeconds"]
    assert (retry.location, retry.wire_name, retry.attr) == (
        "header",
        "Retry-After",
        "retry_after_seconds",
    )
