"""Where the exceptions of httpcore2, httpx2 and httpx become the library's.

:func:`translate_error` is the one place where they become the library's
:class:`~aiosagemaker_runtime.TransportError` subclasses, raised ``from`` the cause:

* connect timeouts (and waiting for a pooled connection) -> ``ConnectTimeoutError``;
* read and write timeouts -> ``ReadTimeoutError``;
* every other transport failure (refused, reset, DNS, TLS, protocol) ->
  ``EndpointConnectionError``;
* a request h11 refuses to write (``LocalProtocolError``: nothing was sent) ->
  ``ParamValidationError``, which is not retried.

Nothing is imported for it: it knows the exceptions of the libraries loaded so far,
httpcore2's once :func:`_load_httpcore2` has imported it (for the owned pool,
:mod:`.httpcore_pool`), httpx2's and httpx's once their family is
(:mod:`.httpx_client`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from .base import safe_error_detail

if TYPE_CHECKING:
    from .httpx_client import _Family

__all__ = ["translate_error"]

#: The httpx-like libraries imported so far, by name (filled by ``httpx_client._family``).
_FAMILIES: dict[str, _Family] = {}

#: httpcore2's exceptions once loaded: (all, local protocol, connect timeouts, read timeouts).
_HTTPCORE: tuple[tuple[type[BaseException], ...], ...] | None = None


def _load_httpcore2() -> Any:
    """httpcore2, its exceptions known to :func:`translate_error` from now on. Blocking
    the first time (the import): call it from a worker thread."""
    global _HTTPCORE
    import httpcore2

    if _HTTPCORE is None:
        _HTTPCORE = (
            (
                httpcore2.TimeoutException,
                httpcore2.NetworkError,
                httpcore2.ProtocolError,
                httpcore2.ProxyError,
                httpcore2.UnsupportedProtocol,
            ),
            (httpcore2.LocalProtocolError,),
            (httpcore2.ConnectTimeout, httpcore2.PoolTimeout),
            (httpcore2.ReadTimeout, httpcore2.WriteTimeout),
        )
    return httpcore2


def translate_error(error: BaseException, url: str) -> BaseException:
    """The library's exception for an httpx2/httpx exception (``error`` itself if none).

    The caller raises the result ``from error``. Messages name the endpoint URL and the
    cause, never headers or bodies.
    """
    core = _HTTPCORE
    if core is not None and isinstance(error, core[0]):
        if isinstance(error, core[1]):
            return ParamValidationError(
                f"The request cannot be sent as HTTP/1.1: {error}", constraint="http"
            )
        if isinstance(error, core[2]):
            return ConnectTimeoutError(
                f'Connect timeout on endpoint URL: "{url}"', endpoint_url=url
            )
        if isinstance(error, core[3]):
            return ReadTimeoutError(f'Read timeout on endpoint URL: "{url}"', endpoint_url=url)
        detail = safe_error_detail(error)
        return EndpointConnectionError(
            f'Could not connect to the endpoint URL: "{url}" ({detail})', endpoint_url=url
        )
    for family in _FAMILIES.values():
        if isinstance(error, family.local_protocol):
            # h11 refused to write the request: nothing was sent, and retrying cannot help.
            return ParamValidationError(
                f"The request cannot be sent as HTTP/1.1: {error}", constraint="http"
            )
        if isinstance(error, family.connect_timeout):
            return ConnectTimeoutError(
                f'Connect timeout on endpoint URL: "{url}"', endpoint_url=url
            )
        if isinstance(error, family.read_timeout):
            return ReadTimeoutError(f'Read timeout on endpoint URL: "{url}"', endpoint_url=url)
        if isinstance(error, family.transport):
            detail = safe_error_detail(error)
            return EndpointConnectionError(
                f'Could not connect to the endpoint URL: "{url}" ({detail})', endpoint_url=url
            )
    return error
