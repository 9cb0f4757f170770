"""Fixtures for the bidirectional-stream tests: the test h2 server with the SageMaker
bidirectional endpoint (``bidiserver``) and a client pointed at it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from aiosagemaker_runtime import ClientConfig
from aiosagemaker_runtime._generated_http2.client import SageMakerRuntimeHTTP2Client

from .bidiserver import ACCESS_KEY, REGION, SECRET_KEY, BidiEndpoint
from .h2server import H2Server

__all__ = ["LIMIT", "Bidi", "make_client", "parts_of", "serve"]

#: Whole-test bound: a hang (a stream that is not duplex) fails instead of blocking.
LIMIT = 30


class Bidi:
    """The server and its bidirectional endpoint."""

    def __init__(self, server: H2Server, endpoint: BidiEndpoint) -> None:
        self.server = server
        self.endpoint = endpoint
        self.url = server.url


@contextlib.contextmanager
def serve(**settings: Any) -> Iterator[Bidi]:
    """The test h2 server (``settings`` for ``H2Server``) serving the endpoint."""
    endpoint = BidiEndpoint()
    with H2Server(handler=endpoint, **settings) as server:
        yield Bidi(server, endpoint)


def make_client(url: str, **config: Any) -> SageMakerRuntimeHTTP2Client:
    settings: dict[str, Any] = {"read_timeout": 10.0, "connect_timeout": 10.0, **config}
    return SageMakerRuntimeHTTP2Client(
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=ClientConfig(**settings),
    )


async def parts_of(items: list[Any]) -> AsyncIterator[Any]:
    """``items`` as an async iterable."""
    for item in items:
        yield item
