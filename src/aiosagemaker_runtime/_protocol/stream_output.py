"""Base of the generated outputs that carry an event stream.

Apart from :mod:`.shapes`: creating a pydantic class costs ~0.25 ms, and only the
streaming operations' output classes (created on first use) subclass this one.
"""

from __future__ import annotations

from typing import ClassVar

from typing_extensions import Self

from .shapes import Shape

__all__ = ["EventStreamOutput"]


class EventStreamOutput(Shape):
    """Base of generated outputs that carry an event stream (``out.body``).

    The stream owns the HTTP connection: ``async with out`` or ``await out.aclose()``
    releases it; so does consuming the stream to its end.
    """

    #: Attribute of the event-stream member (set by generated classes).
    _event_stream_attr_: ClassVar[str] = ""

    async def aclose(self) -> None:
        """Close the event stream and release its connection."""
        stream = getattr(self, self._event_stream_attr_, None)
        if stream is not None:
            await stream.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
