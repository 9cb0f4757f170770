"""Async client for Amazon SageMaker Runtime."""

from ._config import ClientConfig
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

__version__ = "0.1.0"

__all__ = [
    "ClientConfig",
    "ConnectTimeoutError",
    "CredentialsError",
    "EndpointConnectionError",
    "EventStreamError",
    "ParamValidationError",
    "ReadTimeoutError",
    "SageMakerRuntimeError",
    "ServiceError",
    "TransportError",
    "__version__",
]
