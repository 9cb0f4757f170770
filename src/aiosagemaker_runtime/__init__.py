"""Async client for Amazon SageMaker Runtime, on httpx2 (or aiohttp) and anyio.

::

    from aiosagemaker_runtime import SageMakerRuntimeClient

    async with SageMakerRuntimeClient(region_name="us-east-1") as client:
        out = await client.invoke_endpoint(endpoint_name="my-endpoint", body=b"...")

The generated shapes are in :mod:`aiosagemaker_runtime.models`, every exception in
:mod:`aiosagemaker_runtime.errors` (the runtime's tree is exported here as well).
``SageMakerRuntimeHTTP2Client`` (``invoke_endpoint_with_bidirectional_stream``, over
HTTP/2) is generated from a model of its own and imported on first use.
"""

import importlib as _importlib
import typing as _typing

# pydantic's import first, at the shallowest depth: CPython 3.11 maps a fresh 16 KiB
# frame-stack chunk (mmap, page faults, munmap) each time a call crosses the end of the
# current one, and pydantic's import (regular expressions compiled at module level),
# run eight imports down through our modules, crossed it ~500 times per cold start.
from pydantic import BaseModel as _BaseModel  # noqa: F401

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
from ._useragent import VERSION as __version__

if _typing.TYPE_CHECKING:
    from . import errors as errors
    from . import models as models
    from ._generated_http2.client import SageMakerRuntimeHTTP2Client as SageMakerRuntimeHTTP2Client
    from ._protocol.streams import EventStream as EventStream

#: Public submodules reachable as attributes after a plain ``import aiosagemaker_runtime``
#: (``aiosagemaker_runtime.errors.ModelError``), imported on first access so that the
#: package's own import stays as small as it is.
_SUBMODULES = frozenset({"bulk", "errors", "models", "otel", "ray", "testing"})


#: Exported names imported on first access: the bidirectional-stream client is a
#: generated package of its own, which a plain import does not load; the event stream
#: comes with the first streaming call.
_LAZY = {
    "EventStream": "._protocol.streams",
    "SageMakerRuntimeHTTP2Client": "._generated_http2.client",
}


def __getattr__(name: str) -> _typing.Any:
    if name in _SUBMODULES:
        # import_module binds the submodule as an attribute of this package as well
        return _importlib.import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(_importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES, *_LAZY})


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
    "SageMakerRuntimeHTTP2Client",
    "ServiceError",
    "ServiceUnavailable",
    "TransportError",
    "ValidationError",
    "__version__",
]
