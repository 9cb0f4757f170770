"""Every exception the client raises: the runtime tree and one class per modeled error.

::

    SageMakerRuntimeError
    ├── ParamValidationError (also ValueError)
    ├── CredentialsError
    ├── TransportError
    │   ├── ConnectTimeoutError
    │   ├── ReadTimeoutError
    │   └── EndpointConnectionError
    ├── EventStreamError
    └── ServiceError
        ├── ValidationError, ModelError, ModelNotReadyException, InternalFailure,
        │   ServiceUnavailable, InternalDependencyException   (HTTP errors)
        └── ModelStreamError, InternalStreamFailure           (raised from a stream)

The :class:`ServiceError` subclasses are generated from the service model.
"""

from ._exceptions import (
    ConnectTimeoutError,
    CredentialsError,
    EndpointConnectionError,
    EventStreamError,
    ParamValidationError,
    ReadTimeoutError,
    SageMakerRuntimeError,
    ServiceError,
    TransportError,
)
from ._generated.errors import *  # noqa: F403
from ._generated.errors import __all__ as _generated_all

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
    *_generated_all,
]
