"""Async client for Amazon SageMaker Runtime, on httpx2 (or aiohttp) and anyio.

::

    from aiosagemaker_runtime import SageMakerRuntimeClient

    async with SageMakerRuntimeClient(region_name="us-east-1") as client:
        out = await client.invoke_endpoint(endpoint_name="my-endpoint", body=b"...")

The generated shapes are in :mod:`aiosagemaker_runtime.models`, every exception in
:mod:`aiosagemaker_runtime.errors` (the runtime's tree is exported here as well).
"""

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
from ._generated.client import SageMakerRuntimeClient
from ._generated.errors import (
    InternalDependencyException,
    InternalFailure,
    InternalStreamFailure,
    ModelError,
    ModelNotReadyException,
    ModelStreamError,
    ServiceUnavailable,
    ValidationError,
)
from ._protocol.streams import EventStream
from ._useragent import VERSION as __version__

__all__ = [
    "ClientConfig",
    "ConnectTimeoutError",
    "CredentialsError",
    "EndpointConnectionError",
    "EventStream",
    "EventStreamError",
    "InternalDependencyException",
    "InternalFailure",
    "InternalStreamFailure",
    "ModelError",
    "ModelNotReadyException",
    "ModelStreamError",
    "ParamValidationError",
    "ReadTimeoutError",
    "SageMakerRuntimeClient",
    "SageMakerRuntimeError",
    "ServiceError",
    "ServiceUnavailable",
    "TransportError",
    "ValidationError",
    "__version__",
]
