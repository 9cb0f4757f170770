"""Error responses shaped the way SageMaker Runtime sends them."""

from __future__ import annotations

import json
from typing import Any

from ._messages import Response

__all__ = ["LocalServiceError", "error_response"]

#: The suffix AWS front ends append to authentication error types (clients strip it).
_CORAL_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.coral.service/"

_STATUS = {
    "ValidationError": 400,
    "ModelError": 424,
    "ModelNotReadyException": 429,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "InternalDependencyException": 530,
    "InvalidSignatureException": 403,
    "UnrecognizedClientException": 403,
    "MissingAuthenticationTokenException": 403,
    "IncompleteSignatureException": 403,
    "UnknownOperationException": 404,
}

_AUTH_CODES = frozenset(
    {
        "InvalidSignatureException",
        "UnrecognizedClientException",
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
    }
)


class LocalServiceError(Exception):
    """Raised inside the server to answer with a service error.

    ``fields`` are extra members of the JSON body (``OriginalStatusCode`` ...).
    ``status`` overrides the code's usual HTTP status.
    """

    def __init__(
        self, code: str, message: str, *, status: int | None = None, **fields: Any
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else _STATUS.get(code, 400)
        self.fields = fields


def error_response(error: LocalServiceError, request_id: str) -> Response:
    """The HTTP response for ``error``.

    Modeled errors with members (``ModelError``) carry ``Message`` and their members in
    the body, as the service does; the others a lower-case ``message``.
    """
    body: dict[str, Any]
    if error.fields:
        fields = dict(error.fields)
        body = {"ErrorCode": fields.pop("ErrorCode", error.code), "Message": error.message}
        body.update(fields)
    else:
        body = {"message": error.message}
    error_type = error.code + (_CORAL_SUFFIX if error.code in _AUTH_CODES else "")
    headers = [
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", error_type),
        ("Content-Type", "application/json"),
    ]
    return Response(error.status, headers, json.dumps(body).encode("utf-8"))
