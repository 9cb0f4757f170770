"""The one place where the HTTP/2 engine's failures become the library's exceptions.

h2 protocol errors, socket and TLS errors (``OSError``, ``ssl.SSLError``, anyio's
stream errors) and the frames a server uses to refuse or abandon streams (GOAWAY,
RST_STREAM) are all turned into :class:`~aiosagemaker_runtime.TransportError`
subclasses here:

* connecting (TCP, TLS, the server's first SETTINGS) took longer than
  ``connect_timeout`` -> ``ConnectTimeoutError``;
* no output for ``read_timeout`` seconds, or input not accepted for as long (flow
  control window closed, socket full) -> ``ReadTimeoutError``;
* everything else (refused, reset, DNS, TLS, no HTTP/2, protocol errors, a stream reset
  by the server) -> ``EndpointConnectionError``;
* a stream the server says it did not process (GOAWAY whose last stream id is below
  it, RST_STREAM ``REFUSED_STREAM``) -> :class:`UnprocessedStreamError`, an
  ``EndpointConnectionError`` that is safe to retry even after input was sent.

Messages name the endpoint URL and the cause (class names, OS error texts, HTTP/2
error code names), never bytes received from the server or sent by the caller.
"""

from __future__ import annotations

import anyio
import h2.exceptions

from .._exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
    TransportError,
)
from .base import safe_error_detail

__all__ = [
    "UnprocessedStreamError",
    "again",
    "alpn_refused",
    "client_closed",
    "code_name",
    "connect_timeout",
    "connection_error",
    "goaway",
    "goaway_closed",
    "invalid_header",
    "read_timeout",
    "stream_cancelled",
    "stream_reset",
    "translate_error",
    "write_timeout",
]

#: HTTP/2 error codes (RFC 9113, section 7) by value, for messages.
_CODE_NAMES = (
    "NO_ERROR",
    "PROTOCOL_ERROR",
    "INTERNAL_ERROR",
    "FLOW_CONTROL_ERROR",
    "SETTINGS_TIMEOUT",
    "STREAM_CLOSED",
    "FRAME_SIZE_ERROR",
    "REFUSED_STREAM",
    "CANCEL",
    "COMPRESSION_ERROR",
    "CONNECT_ERROR",
    "ENHANCE_YOUR_CALM",
    "INADEQUATE_SECURITY",
    "HTTP_1_1_REQUIRED",
)
REFUSED_STREAM = 7


class UnprocessedStreamError(EndpointConnectionError):
    """The server did not process the stream: nothing of it was acted upon.

    Raised for a stream above the last stream id of a GOAWAY, or reset with
    ``REFUSED_STREAM``. Unlike other connection failures it is safe to retry even when
    input had been sent (RFC 9113, section 8.7).
    """


def code_name(code: int) -> str:
    """``"CANCEL"`` for 8; unknown codes as hexadecimal."""
    return _CODE_NAMES[code] if 0 <= code < len(_CODE_NAMES) else f"0x{code:x}"


def again(error: TransportError) -> TransportError:
    """A new exception like ``error`` (same class, message, URL and cause), to raise
    once more a failure that several calls report (a stream's reads and writes)."""
    fresh = type(error)(str(error), endpoint_url=error.endpoint_url)
    fresh.__cause__ = error.__cause__
    return fresh


def connect_timeout(url: str) -> ConnectTimeoutError:
    return ConnectTimeoutError(f'Connect timeout on endpoint URL: "{url}"', endpoint_url=url)


def read_timeout(url: str) -> ReadTimeoutError:
    return ReadTimeoutError(f'Read timeout on endpoint URL: "{url}"', endpoint_url=url)


def write_timeout(url: str) -> ReadTimeoutError:
    return ReadTimeoutError(
        f'Write timeout on endpoint URL: "{url}" (the server did not accept input)',
        endpoint_url=url,
    )


def alpn_refused(url: str, protocol: str | None) -> EndpointConnectionError:
    offered = f'"{protocol}"' if protocol else "no protocol"
    return EndpointConnectionError(
        f'The server at "{url}" did not negotiate HTTP/2: TLS ALPN selected {offered}, not "h2"',
        endpoint_url=url,
    )


def client_closed(url: str) -> EndpointConnectionError:
    return EndpointConnectionError(
        f'The connection to "{url}" was closed by the client', endpoint_url=url
    )


def invalid_header(name: str) -> ParamValidationError:
    """A request header HTTP/2 cannot carry (nothing was sent; not retried)."""
    return ParamValidationError(
        f"The request header {name!r} cannot be sent over HTTP/2 (empty or reserved name, "
        "or CR, LF or NUL in its name or value)",
        member=name,
        constraint="http",
    )


def stream_cancelled(url: str) -> EndpointConnectionError:
    """The stream was reset by the client (left early, cancelled, or failed half way)."""
    return EndpointConnectionError(
        f'The stream to "{url}" was reset by the client (CANCEL)', endpoint_url=url
    )


def stream_reset(url: str, code: int) -> EndpointConnectionError:
    """The server reset the stream (RST_STREAM) with ``code``."""
    cls = UnprocessedStreamError if code == REFUSED_STREAM else EndpointConnectionError
    return cls(f'The server at "{url}" reset the stream ({code_name(code)})', endpoint_url=url)


def goaway(url: str, code: int, last_stream_id: int) -> UnprocessedStreamError:
    """A stream above ``last_stream_id`` of the server's GOAWAY."""
    return UnprocessedStreamError(
        f'The server at "{url}" is closing the connection (GOAWAY {code_name(code)}, '
        f"last stream {last_stream_id}) and did not process the stream",
        endpoint_url=url,
    )


def goaway_closed(url: str, code: int) -> EndpointConnectionError:
    """The connection closed after a GOAWAY, before a stream it still covered ended."""
    return EndpointConnectionError(
        f'The server at "{url}" closed the connection (GOAWAY {code_name(code)}) '
        "before the stream ended",
        endpoint_url=url,
    )


def translate_error(error: BaseException, url: str, *, connecting: bool = False) -> BaseException:
    """The library's exception for ``error`` (``error`` itself if it is not ours to map).

    ``connecting``: the failure happened while the connection was being set up, where
    a protocol error means the server does not speak HTTP/2 (e.g. an HTTP/1.1 server
    answering the h2c preface).
    """
    if isinstance(error, TransportError):
        return error
    if isinstance(error, TimeoutError):
        return connect_timeout(url) if connecting else read_timeout(url)
    if isinstance(error, h2.exceptions.ProtocolError):
        detail = type(error).__name__
        if connecting:
            return EndpointConnectionError(
                f'The server at "{url}" did not answer with HTTP/2 ({detail})',
                endpoint_url=url,
            )
        return EndpointConnectionError(
            f'HTTP/2 protocol error on the connection to "{url}" ({detail})', endpoint_url=url
        )
    if isinstance(error, anyio.EndOfStream):
        if connecting:
            return EndpointConnectionError(
                f'The server at "{url}" did not answer with HTTP/2 (it closed the connection)',
                endpoint_url=url,
            )
        return EndpointConnectionError(
            f'The server at "{url}" closed the connection', endpoint_url=url
        )
    if isinstance(error, (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError)):
        verb = "Could not connect to" if connecting else "Connection lost to"
        return EndpointConnectionError(
            f'{verb} the endpoint URL: "{url}" ({safe_error_detail(error)})', endpoint_url=url
        )
    return error


def connection_error(error: BaseException, url: str) -> TransportError:
    """:func:`translate_error` for a failure that ends the connection, whatever it is."""
    mapped = translate_error(error, url)
    if isinstance(mapped, TransportError):
        return mapped
    return EndpointConnectionError(
        f'Connection lost to the endpoint URL: "{url}" ({safe_error_detail(error)})',
        endpoint_url=url,
    )
