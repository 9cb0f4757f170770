"""The service-agnostic client base that generated clients subclass.

STUB: the transport-core work fills this in. The interface below is fixed:

* generated clients subclass :class:`BaseClient` and set ``_service_`` to their
  :class:`~aiosagemaker_runtime._spec.ServiceSpec`;
* each generated method is ``return cast(Out, await self._invoke(OP, input, params))``
  where ``input`` is the generated input model or ``None`` and ``params`` the keyword
  arguments in snake_case (or the model's spelling);
* ``_invoke`` returns the output model instance (``None`` when the operation has no
  output) or raises the library's exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from typing_extensions import Self

from ._config import ClientConfig
from ._spec import OperationSpec, ServiceSpec

if TYPE_CHECKING:
    from ._shapes import Shape

__all__ = ["BaseClient"]


class BaseClient:
    """Async client for one AWS rest-json service; use ``async with`` or ``aclose()``."""

    _service_: ClassVar[ServiceSpec]

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
        self._config = config if config is not None else ClientConfig()
        raise NotImplementedError

    async def _invoke(
        self, operation: OperationSpec, input: Shape | None, params: Mapping[str, Any]
    ) -> Any:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close the client's connections (not those of a caller's ``http_client``)."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
