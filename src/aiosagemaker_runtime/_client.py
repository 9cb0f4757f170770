"""The service-agnostic client base that generated clients subclass.

* Generated clients subclass :class:`BaseClient` and set ``_service_`` to their
  :class:`~aiosagemaker_runtime._spec.ServiceSpec`.
* Each generated method is ``return cast(Out, await self._invoke(OP, input, params))``
  where ``input`` is the generated input model or ``None`` and ``params`` the keyword
  arguments in snake_case (or the model's spelling).
* ``_invoke`` returns the output model instance (``None`` when the operation has no
  output) or raises the library's exceptions.
* Operations with an input event stream call ``_invoke_duplex`` instead: the output is
  a :class:`~aiosagemaker_runtime._protocol.duplex.DuplexStreamOutput`, sent over
  HTTP/2 whatever ``http_backend`` says (neither httpx2 nor aiohttp writes a request
  while reading its response).

Creating a client takes milliseconds and reads no file but the default engine's
modules (httpcore2 is imported with the first client of a process, as ``import httpx``
would be: :mod:`._transports.httpx_engine`): credentials, region, endpoint and the
connections are set up on the first call, off the event loop where that means reading
files. The one thing started at creation is the TLS context of an ``https`` endpoint,
built in a background thread (:func:`_prefetch_tls`) so that loading the CA bundle
overlaps the first call's other work instead of following it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from typing_extensions import Self

from ._auth.credentials import CredentialResolver
from ._config import ClientConfig
from ._endpoints.configured import configured_endpoint_url
from ._exceptions import ParamValidationError
from ._pipeline import Pipeline
from ._spec import OperationSpec, ServiceSpec
from ._transports.base import DuplexTransport, Transport
from ._transports.httpx_engine import HttpxTransport, _environment_has_proxies
from ._transports.tls import Default, prefetch

if TYPE_CHECKING:
    from ._protocol.shapes import Shape

__all__ = ["BaseClient"]


class BaseClient:
    """Async client for one AWS rest-json service; use ``async with`` or ``aclose()``.

    * ``region_name``: else ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` / the profile.
    * ``endpoint_url``: else ``AWS_ENDPOINT_URL_<SERVICE>`` / ``AWS_ENDPOINT_URL`` /
      resolved from the region with the model's endpoint rules.
    * ``aws_access_key_id`` / ``aws_secret_access_key`` / ``aws_session_token``:
      explicit credentials; else botocore's chain (for ``profile_name`` if given),
      resolved in a worker thread and refreshed before expiry.
    * ``config``: :class:`~aiosagemaker_runtime.ClientConfig` (timeouts, retries, pool,
      HTTP engine).
    * ``http_client``: an ``httpx2.AsyncClient`` or ``httpx.AsyncClient`` to send
      through (its pool, proxies, mounts and mocks apply; the config's timeouts are set
      per request); the caller keeps ownership and closes it.

    Works under asyncio and trio (the ``aiohttp`` engine: asyncio only).
    """

    _service_: ClassVar[ServiceSpec]
    #: Every operation has an input event stream (sent on the HTTP/2 engine, which
    #: builds its own TLS context): no context is prefetched for the HTTP/1.1 engine.
    _duplex_only_: ClassVar[bool] = False

    def __init__(
        self,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        profile_name: str | None = None,
        config: ClientConfig | None = None,
        http_client: Any = None,
    ) -> None:
        self._config = config = config if config is not None else ClientConfig()
        transport: Transport
        aiohttp = config.http_backend == "aiohttp"
        if aiohttp and http_client is not None:
            raise ParamValidationError(
                "http_client is an httpx client; it cannot be combined with http_backend='aiohttp'",
                member="http_client",
                constraint="type",
            )
        if http_client is None and not self._duplex_only_:
            _prefetch_tls(self._service_, aiohttp, endpoint_url, profile_name)
        if aiohttp:
            from ._transports.aiohttp_engine import AiohttpTransport

            transport = AiohttpTransport(config)
        else:
            transport = HttpxTransport(config, http_client)
        credentials = CredentialResolver(
            aws_access_key_id, aws_secret_access_key, aws_session_token, profile_name
        )
        self._pipeline = Pipeline(
            self._service_,
            config,
            transport,
            credentials,
            region_name=region_name,
            endpoint_url=endpoint_url,
            profile_name=profile_name,
        )
        self._closed = False
        #: The HTTP/2 engine of duplex operations (input event streams), made on first use.
        self._duplex_transport: DuplexTransport | None = None

    @property
    def config(self) -> ClientConfig:
        """The client's configuration."""
        return self._config

    async def _invoke(
        self, operation: OperationSpec, input: Shape | None, params: Mapping[str, Any]
    ) -> Any:
        if self._closed:
            raise RuntimeError("the client has been closed")
        return await self._pipeline.invoke(operation, input, params)

    async def _invoke_duplex(
        self, operation: OperationSpec, input: Shape | None, params: Mapping[str, Any]
    ) -> Any:
        """Operations with an input event stream: the output is a duplex stream, sent
        on the client's HTTP/2 engine (created on the first such call)."""
        if self._closed:
            raise RuntimeError("the client has been closed")
        transport = self._duplex_transport
        if transport is None:
            from ._transports.h2_engine import H2Transport

            transport = self._duplex_transport = H2Transport(self._config)
        return await self._pipeline.invoke_duplex(operation, input, params, transport)

    async def aclose(self) -> None:
        """Close the client's connections (not those of a caller's ``http_client``).

        Idempotent; the client cannot be used afterwards.
        """
        self._closed = True
        try:
            await self._pipeline.transport.aclose()
        finally:
            if self._duplex_transport is not None:
                await self._duplex_transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} region={self._pipeline.region!r}>"


def _is_https(url: str) -> bool:
    return url[:6].lower() == "https:"


def _tls_needed(
    service: ServiceSpec, aiohttp: bool, endpoint_url: str | None, profile_name: str | None
) -> bool:
    """Whether the engine's first connection will want the prefetched context.

    Not when the default engine sends through an ``httpx2.AsyncClient`` (proxies in the
    environment: it makes its own context). Without an ``endpoint_url``: the endpoint
    configured in the environment or the config file (read here, blocking, and not
    kept: the first call reads it as it is then), else one from the rule set (always
    ``https``). Errors are left for the first call to raise.
    """
    if not aiohttp and _environment_has_proxies():
        return False
    url = endpoint_url or configured_endpoint_url(service, profile_name, remember=False)
    return url is None or _is_https(url)


def _prefetch_tls(
    service: ServiceSpec, aiohttp: bool, endpoint_url: str | None, profile_name: str | None
) -> None:
    """Start building the TLS context the client's engine will use when its endpoint is
    ``https`` (never for ``http``): :func:`~._transports.tls.prefetch`.

    The default engine's context is ``AWS_CA_BUNDLE``'s, else httpcore2's; aiohttp's is
    ``AWS_CA_BUNDLE``'s, else its own (made when aiohttp is imported: nothing to build).
    The rest of the decision (:func:`_tls_needed`) is taken in the background thread.
    """
    if aiohttp and not os.environ.get("AWS_CA_BUNDLE"):
        return
    if endpoint_url and not _is_https(endpoint_url):
        return
    default: Default = None if aiohttp else "httpcore2"
    prefetch(default, functools.partial(_tls_needed, service, aiohttp, endpoint_url, profile_name))
