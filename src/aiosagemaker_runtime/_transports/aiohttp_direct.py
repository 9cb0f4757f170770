"""The aiohttp engine's direct request path, under ``ClientSession._request``.

``ClientSession._request`` does, per call, work for features the engine never uses:
redirects, cookies, trace hooks, middlewares, a total timeout, merging headers into the
session's defaults (three header dicts built before ``ClientRequest`` builds its own),
authentication and proxy lookups. For the common request (a POST with its body in
memory, no proxy, no credentials in the URL) the engine does what ``_request`` does for
it and nothing else: build the ``ClientRequest``, take a connection from the connector,
set the response parameters on its protocol, send, start the response: ~9 % of our
client's instructions per 1 KiB call (see bench/PROFILE.md). Idempotent methods keep
``_request``, which retries them once when a pooled connection turns out closed.

It rests on a part of aiohttp that has kept one shape from 3.9 to 3.14
(``BaseConnector.connect(req, traces, timeout)``,
``ResponseHandler.set_response_params(...)``, ``ClientRequest.send(conn)``,
``ClientResponse.start(conn)``): :func:`direct_sender` checks it once, when aiohttp is
imported, and returns ``None`` when it differs; every request then goes through
``ClientSession._request``.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from .._exceptions import ConnectTimeoutError

__all__ = ["DirectSender", "direct_sender"]

#: What the direct path passes to ``ClientRequest`` (by keyword).
_REQUEST_ARGUMENTS = frozenset(
    [
        "headers",
        "skip_auto_headers",
        "data",
        "loop",
        "response_class",
        "session",
        "ssl",
        "timer",
        "traces",
    ]
)
#: What it passes to ``ResponseHandler.set_response_params``.
_RESPONSE_ARGUMENTS = frozenset(
    ["timer", "skip_payload", "read_until_eof", "auto_decompress", "read_timeout"]
)
#: Response settings the session gives its protocols: the direct path passes the
#: session's defaults where ``set_response_params`` defaults to something else.
_SESSION_SETTINGS = ("read_bufsize", "max_line_size", "max_field_size", "max_headers")
_NO_BODY_METHODS = frozenset(("HEAD", "CONNECT"))


class DirectSender:
    """Sends one request as ``ClientSession._request`` would, minus what we never use."""

    __slots__ = ("_no_skip", "_request_class", "_response_class", "_response_settings", "_timer")

    def __init__(
        self,
        request_class: Any,
        response_class: Any,
        timer: Any,
        no_skip: Any,
        response_settings: dict[str, Any],
    ) -> None:
        self._request_class = request_class
        self._response_class = response_class
        self._timer = timer
        self._no_skip = no_skip
        self._response_settings = response_settings

    async def send(
        self,
        session: Any,
        loop: Any,
        connector: Any,
        timeout: Any,
        method: str,
        url: Any,
        headers: list[tuple[str, str]],
        skip_auto_headers: tuple[str, ...] | None,
        body: Any,
        ssl: Any,
    ) -> Any:
        """The ``ClientResponse`` for ``method url``, its head read (``url``: a yarl URL).

        Raises what ``_request`` raises for the same failure, except a connect timeout
        (:class:`~aiosagemaker_runtime.errors.ConnectTimeoutError` here) and a plain
        ``OSError`` (``_request`` wraps it in ``ClientOSError``): the engine's
        ``translate_error`` takes both.
        """
        timer = self._timer
        traces: list[Any] = []
        request = self._request_class(
            method,
            url,
            headers=headers,
            skip_auto_headers=self._no_skip if skip_auto_headers is None else skip_auto_headers,
            data=body,
            loop=loop,
            response_class=self._response_class,
            session=session,
            ssl=ssl,
            timer=timer,
            traces=traces,
        )
        try:
            connection = await connector.connect(request, traces, timeout)
        except asyncio.TimeoutError as error:
            text = str(url)
            raise ConnectTimeoutError(
                f'Connect timeout on endpoint URL: "{text}"', endpoint_url=text
            ) from error
        connection.protocol.set_response_params(
            timer=timer,
            skip_payload=method in _NO_BODY_METHODS,
            read_until_eof=True,
            auto_decompress=False,
            read_timeout=timeout.sock_read,
            **self._response_settings,
        )
        try:
            response = await request.send(connection)
            try:
                await response.start(connection)
            except BaseException:
                response.close()
                raise
        except BaseException:
            connection.close()
            raise
        return response


def direct_sender(aiohttp: Any, request_class: Any) -> DirectSender | None:
    """A :class:`DirectSender` for this aiohttp, or ``None`` if its internals differ."""
    try:
        from aiohttp.client_proto import ResponseHandler
        from aiohttp.helpers import TimerNoop

        request = inspect.signature(request_class.__init__).parameters
        response = inspect.signature(ResponseHandler.set_response_params).parameters
        session = inspect.signature(aiohttp.ClientSession.__init__).parameters
        connect = list(inspect.signature(aiohttp.BaseConnector.connect).parameters)
        sends = callable(request_class.send) and callable(aiohttp.ClientResponse.start)
    except (ImportError, AttributeError, TypeError, ValueError):
        return None
    if (
        not sends
        or connect != ["self", "req", "traces", "timeout"]
        or not request.keys() >= _REQUEST_ARGUMENTS
        or not response.keys() >= _RESPONSE_ARGUMENTS
    ):
        return None
    settings = {
        name: session[name].default
        for name in _SESSION_SETTINGS
        if name in response
        and name in session
        and session[name].default is not inspect.Parameter.empty
        and session[name].default != response[name].default
    }
    # aiohttp < 3.11 wants an iterable here; later ones take None (and skip a copy).
    no_skip = request["skip_auto_headers"].default
    return DirectSender(request_class, aiohttp.ClientResponse, TimerNoop(), no_skip, settings)
