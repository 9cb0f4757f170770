"""Running the ASGI application on hypercorn: HTTP/1.1 and HTTP/2 on one port (h2c by
prior knowledge or ``Upgrade``; TLS with ALPN ``h2``/``http/1.1`` given a certificate),
under asyncio or trio, on sockets bound beforehand (so ``port=0`` is known at once).

Imported only when serving: hypercorn is not needed by the client.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

import h11
import hypercorn.protocol
import hypercorn.protocol.h2
import hypercorn.protocol.h11
from hypercorn.config import Config
from hypercorn.events import Closed, Event, RawData, Updated
from hypercorn.protocol.events import Event as StreamEvent
from hypercorn.protocol.events import Response as HeadEvent
from hypercorn.protocol.http_stream import HTTPStream
from hypercorn.protocol.ws_stream import WSStream
from hypercorn.typing import Framework, H11SendableEvent

from ._asgi import ASGIApp

if TYPE_CHECKING:
    from ._server import TLSFiles

__all__ = ["bind_sockets", "duplicate", "hypercorn_config", "serve"]


class _H11Protocol(hypercorn.protocol.h11.H11Protocol):
    """hypercorn's HTTP/1.1 with

    * reason phrases in status lines (``HTTP/1.1 200 OK``, as SageMaker and the core
      this replaces send them; hypercorn sends none);
    * a response of known length written at once, head and body (hypercorn writes the
      head first: one more write and packet per response);
    * a malformed request answered with a JSON message, as the application answers;
    * the connection closed as soon as the client closes it (see :func:`_closed`).
    """

    _held = b""
    _hold = False

    async def handle(self, event: Event) -> None:
        await super().handle(event)
        await _closed(self, event)

    async def stream_send(self, event: StreamEvent) -> None:
        if isinstance(event, HeadEvent) and event.status_code >= 200:
            self._hold = any(name.lower() == b"content-length" for name, _ in event.headers)
        await super().stream_send(event)

    async def _send_error_response(self, status_code: int) -> None:
        body = b'{"message": "Bad request"}'
        headers = [
            (b"Content-Type", b"application/json"),
            (b"Date", formatdate(usegmt=True).encode("ascii")),
            (b"Content-Length", str(len(body)).encode("ascii")),
        ]
        await self._send_h11_event(h11.Response(status_code=status_code, headers=headers))
        await self._send_h11_event(h11.Data(data=body))
        await self._send_h11_event(h11.EndOfMessage())

    async def _send_h11_event(self, event: H11SendableEvent) -> None:
        if isinstance(event, (h11.Response, h11.InformationalResponse)) and not event.reason:
            try:
                reason = HTTPStatus(event.status_code).phrase.encode("ascii")
            except ValueError:
                reason = b""
            event = type(event)(
                status_code=event.status_code,
                headers=event.headers,  # the validated headers as they are, names' case kept
                http_version=event.http_version,
                reason=reason,
            )
        if not self._held and not (isinstance(event, h11.Response) and self._hold):
            await super()._send_h11_event(event)
            return
        try:
            data = self.connection.send(event) or b""
        except h11.LocalProtocolError:
            if self.connection.their_state != h11.ERROR:
                raise
            return
        if isinstance(event, h11.Response):
            self._held = data  # written with the body
            return
        data, self._held = self._held + data, b""
        await self.send(RawData(data=data))


class _Finished:
    """Stands for a stream whose application is done: what still comes is dropped."""

    async def handle(self, event: StreamEvent) -> None:
        pass


_FINISHED = _Finished()


class _Streams(dict[int, "HTTPStream | WSStream"]):
    def __missing__(self, stream_id: int) -> HTTPStream | WSStream:
        return cast("HTTPStream | WSStream", _FINISHED)


class _H2Protocol(hypercorn.protocol.h2.H2Protocol):
    """hypercorn's HTTP/2, the connection closed as soon as the client closes it, and
    DATA for a stream whose application has answered and returned dropped: hypercorn
    looks the stream up and fails with KeyError, which ends the connection (asyncio)
    or the whole server (trio). An answer may come before the request ends (an early
    error, a duplex exchange the server ends first)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.streams = _Streams()

    async def handle(self, event: Event) -> None:
        await super().handle(event)
        await _closed(self, event)


async def _closed(protocol: _H11Protocol | _H2Protocol, event: Event) -> None:
    # hypercorn keeps a connection the client has closed until its keep-alive timer
    # runs out (its connection task waits for the timer before closing the socket):
    # a socket left in CLOSE_WAIT, and a TLS client waiting that long for close_notify.
    # Stopping the timer lets the connection end now.
    if isinstance(event, Closed):
        await protocol.send(Updated(idle=False))


def _install_protocols() -> None:
    # hypercorn picks its protocol classes by these module-level names. The subclasses
    # only add what the docstrings say, so other users of hypercorn lose nothing.
    namespace = vars(hypercorn.protocol)
    if namespace.get("H11Protocol") is hypercorn.protocol.h11.H11Protocol:
        namespace["H11Protocol"] = _H11Protocol
    if namespace.get("H2Protocol") is hypercorn.protocol.h2.H2Protocol:
        namespace["H2Protocol"] = _H2Protocol


def bind_sockets(host: str, port: int) -> list[socket.socket]:
    """Listening TCP sockets for every address of ``host``, on one port (``port=0``:
    the first socket's free port is used for the others)."""
    infos = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_ADDRCONFIG
    )
    sockets: list[socket.socket] = []
    seen: set[tuple[Any, ...]] = set()
    try:
        for family, kind, proto, _, address in infos:
            key = (family, address[0])
            if key in seen:
                continue
            seen.add(key)
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if sys.platform != "win32":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if port == 0 and len(sockets) > 1:
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock.bind(address)
            sock.listen(128)
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def hypercorn_config(fds: Sequence[int], tls: TLSFiles | None) -> Config:
    """hypercorn's settings for serve-local: listen on ``fds`` (see :func:`duplicate`),
    no ``Server`` header, keep-alive without a request limit and with an idle limit of
    an hour (the core it replaces had none), logs through
    ``aiosagemaker_runtime.local.http``."""
    config = Config()
    config.bind = [f"fd://{fd}" for fd in fds]
    if tls is not None:
        config.certfile = tls.certfile
        config.keyfile = tls.keyfile
        config.alpn_protocols = ["h2", "http/1.1"]
    config.include_server_header = False
    config.include_date_header = False  # the application adds ``Date`` where it did before
    config.keep_alive_timeout = 3600.0
    config.keep_alive_max_requests = sys.maxsize
    config.graceful_timeout = 3.0
    config.h11_max_incomplete_size = 64 * 1024
    config.accesslog = None
    config.errorlog = logging.getLogger("aiosagemaker_runtime.local.http")
    return config


def _under_trio() -> bool:
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_trio_token()
    except RuntimeError:
        return False
    return True


async def serve(app: ASGIApp, config: Config, shutdown: Callable[[], Awaitable[None]]) -> None:
    """Serve ``app`` until ``shutdown()`` returns, then close gracefully."""
    _install_protocols()
    framework = cast(Framework, app)
    if _under_trio():
        from hypercorn.trio import serve as trio_serve

        # hypercorn's trio types want ``Awaitable[None]``; anyio's Event.wait is that.
        await trio_serve(framework, config, shutdown_trigger=shutdown, mode="asgi")
    else:
        from hypercorn.asyncio import serve as asyncio_serve

        await asyncio_serve(framework, config, shutdown_trigger=shutdown, mode="asgi")


def duplicate(sockets: Sequence[socket.socket]) -> list[int]:
    """Descriptors for hypercorn to own (it closes them when it stops)."""
    return [os.dup(sock.fileno()) for sock in sockets]
