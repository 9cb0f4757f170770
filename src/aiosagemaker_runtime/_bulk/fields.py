"""A record's result as the fields of a row or a line, shared by the command line's
``invoke-endpoint-batch`` and :mod:`aiosagemaker_runtime.ray` (so that both write an
answer and an error the same way)."""

from __future__ import annotations

import base64
import json
from typing import Any

from .._exceptions import ParamValidationError, ServiceError

__all__ = ["MalformedRecord", "decode_body", "error_fields"]


class MalformedRecord(Exception):
    """An input record that cannot become a request; its result is this error."""

    code = "MalformedRecord"


def decode_body(body: bytes, content_type: str | None) -> tuple[str, Any]:
    """``("body", JSON value or text)``, or ``("body_base64", text)`` when not UTF-8.

    The JSON value when ``content_type`` is ``application/json`` or ``*+json`` and the
    body parses, else the body's text."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body_base64", base64.b64encode(body).decode("ascii")
    media = (content_type or "").partition(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            return "body", json.loads(text)
        except ValueError:
            pass
    return "body", text


def error_fields(error: BaseException) -> dict[str, Any]:
    """``code``, ``message`` and ``status_code`` of a record's error."""
    if isinstance(error, ServiceError):
        code = error.code or (str(error.status_code) if error.status_code else "Unknown")
        return {"code": code, "message": error.message, "status_code": error.status_code}
    if isinstance(error, MalformedRecord):
        return {"code": MalformedRecord.code, "message": str(error), "status_code": None}
    if isinstance(error, ParamValidationError):
        return {"code": "ParamValidationError", "message": str(error), "status_code": None}
    return {"code": type(error).__name__, "message": str(error), "status_code": None}
