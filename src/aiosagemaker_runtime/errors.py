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
        ├── InputValidationError, InternalServerError, ServiceUnavailableError
        │   (HTTP errors of the bidirectional-stream operation)
        └── ModelStreamError, InternalStreamFailure           (raised from a stream)

The :class:`ServiceError` subclasses are generated from the service models. The
bidirectional-stream operation has a model of its own (``SageMakerRuntimeHTTP2Client``);
its ``ModelStreamError`` and ``InternalStreamFailure`` are the classes above, and its
``ModelError`` extends the one above (adding ``error_code``), so ``except ModelError``
catches the errors of both clients.
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
from ._generated_http2.errors import (
    InputValidationError,
    InternalServerError,
    ServiceUnavailableError,
)

__all__ = [
    "ConnectTimeoutError",
    "CredentialsError",
    "EndpointConnectionError",
    "EventStreamError",
    "InputValidationError",
    "InternalServerError",
    "ParamValidationError",
    "ReadTimeoutError",
    "SageMakerRuntimeError",
    "ServiceError",
    "ServiceUnavailableError",
    "TransportError",
    *_generated_all,
]
