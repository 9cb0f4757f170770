"""Exceptions raised by the client.

The tree::

    SageMakerRuntimeError                 base of everything the library raises
    ├── ParamValidationError (also ValueError)   bad input found client-side; nothing was sent
    ├── CredentialsError                  no usable credentials
    ├── TransportError                    no HTTP response after all attempts
    │   ├── ConnectTimeoutError
    │   ├── ReadTimeoutError
    │   └── EndpointConnectionError
    ├── EventStreamError                  malformed event stream (CRC, length, truncation)
    └── ServiceError                      the service answered with an error
            .code .message .status_code .request_id
        └── one generated class per error shape of the service model
            (ValidationError, ModelError, ModelStreamError, ...)

Service error classes are generated from the model (``_generated/errors.py``); they
subclass :class:`ServiceError` and carry the error shape's members as attributes.
Retry facts are attributes (``retryable``, ``throttling``), not subclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "ConnectTimeoutError",
    "CredentialsError",
    "EndpointConnectionError",
    "EventStreamError",
    "ParamValidationError",
    "ReadTimeoutError",
    "SageMakerRuntimeError",
    "ServiceError",
    "TransportError",
]


class SageMakerRuntimeError(Exception):
    """Base class of every exception the library raises."""


class ParamValidationError(SageMakerRuntimeError, ValueError):
    """Input failed a constraint of the service model; no request was sent.

    ``member`` is the path of the offending member as the model spells it
    (``"EndpointName"``, ``"Tags[0].Key"``), ``constraint`` names the failed rule.
    """

    def __init__(self, message: str, *, member: str = "", constraint: str = "") -> None:
        super().__init__(message)
        self.member = member
        self.constraint = constraint


class CredentialsError(SageMakerRuntimeError):
    """No usable AWS credentials were found, or refreshing them failed."""


class TransportError(SageMakerRuntimeError):
    """No HTTP response was received after all attempts."""

    def __init__(self, message: str, *, endpoint_url: str = "") -> None:
        super().__init__(message)
        self.endpoint_url = endpoint_url


class ConnectTimeoutError(TransportError):
    """Connecting to the endpoint took longer than ``connect_timeout``."""


class ReadTimeoutError(TransportError):
    """No data arrived for ``read_timeout`` seconds while waiting for or reading a response."""


class EndpointConnectionError(TransportError):
    """The connection could not be made or was lost (refused, reset, DNS, TLS)."""


class EventStreamError(SageMakerRuntimeError):
    """An event stream was malformed: bad CRC, bad length, limits exceeded or truncated."""


class ServiceError(SageMakerRuntimeError):
    """The service answered with an error.

    ``code`` is the normalised error code (``"ValidationError"``), ``message`` the
    service's message, ``status_code`` the HTTP status (``None`` for errors raised from
    inside an event stream), ``request_id`` the response's request id. Generated
    subclasses add the error shape's members as attributes.
    """

    #: Error code of the generated subclass (the error shape's name); "" on the base.
    error_code_default: ClassVar[str] = ""
    #: HTTP status the model gives the error shape; 0 when the model gives none.
    status_code_default: ClassVar[int] = 0
    #: Whether the model marks the error as a server fault.
    fault: ClassVar[bool] = False
    #: Attribute names of modeled members, in model order (for ``repr`` and parsing).
    members: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> None:
        self.code: str = code if code is not None else self.error_code_default
        self.message: str = message or ""
        self.status_code: int | None = status_code
        self.request_id: str | None = request_id
        self.response_headers: Mapping[str, str] = headers or {}
        for name in self.members:
            setattr(self, name, fields.pop(name, None))
        for name, value in fields.items():
            setattr(self, name, value)
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"{self.code or 'ServiceError'}"
        if self.status_code is not None:
            text += f" ({self.status_code})"
        if self.message:
            text += f": {self.message}"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"status_code={self.status_code!r}, request_id={self.request_id!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        state = dict(self.__dict__)
        return (_rebuild_service_error, (type(self), state))


def _rebuild_service_error(cls: type[ServiceError], state: dict[str, Any]) -> ServiceError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._describe())
    return error
