"""Event streams handed to callers (``out.body`` of a response-stream operation).

STUB: the response-streams work replaces this module. The interface below is fixed:
generated output models type their stream member as ``EventStream[EventModel]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Generic, TypeVar

from typing_extensions import Self

__all__ = ["EventStream"]

T = TypeVar("T")


class EventStream(Generic[T]):
    """Async iterator of the stream's events (generated event models), in order.

    Modeled exception events are raised from the iteration as their generated
    ServiceError subclasses; malformed frames raise EventStreamError.
    """

    def __aiter__(self) -> AsyncIterator[T]:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release the connection (idempotent)."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
