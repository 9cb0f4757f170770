"""The request and response records the application works with, whatever the HTTP
version and server underneath (the ASGI adapter in ``_asgi`` builds and sends them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["Handler", "Request", "Response"]


@dataclass(slots=True)
class Request:
    """A request whose head and body have been received."""

    method: str
    path: str
    """The path as sent, still percent-encoded."""
    query: str
    headers: list[tuple[str, str]]
    """Names lower-cased, in the order received."""
    body: bytes = b""
    body_length: int = 0
    """Length of the body as received; more than ``len(body)`` when it was cut."""

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None


@dataclass(slots=True)
class Response:
    """A response: either ``body`` (sent with Content-Length) or ``stream`` (sent as it
    comes: chunked on HTTP/1.1, DATA frames on HTTP/2)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None


Handler = Callable[[Request], Awaitable[Response]]
