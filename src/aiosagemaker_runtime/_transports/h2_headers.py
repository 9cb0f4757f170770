"""The HEADERS of an HTTP/2 request, from the library's request (checked, lower-cased,
without the fields HTTP/2 forbids). Loaded with :mod:`.h2_connection`."""

from __future__ import annotations

import re

from . import h2_errors

__all__ = ["request_headers"]

#: Request headers that HTTP/2 forbids (connection-specific) or carries otherwise.
_DROPPED = frozenset(
    (b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade", b"host")
)

_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
_BAD_VALUE = re.compile(rb"[\r\n\x00]")


def request_headers(
    method: str, scheme: str, authority: str, path: str, headers: list[tuple[str, str]]
) -> list[tuple[bytes, bytes]]:
    """The HEADERS of a request: pseudo-headers, then ``headers`` lower-cased, without
    the connection-specific ones HTTP/2 forbids (``Host`` becomes ``:authority``).

    Checked here, as h2 would only find a bad field while compressing the block (its
    HPACK table then out of step with the server's): ``ParamValidationError``.
    """
    out = [
        (b":method", method.encode("ascii")),
        (b":scheme", scheme.encode("ascii")),
        (b":authority", authority.encode("latin-1")),
        (b":path", path.encode("latin-1")),
    ]
    for name, value in headers:
        try:
            raw = name.lower().encode("latin-1")
            raw_value = value.encode("latin-1")
        except UnicodeEncodeError:
            raise h2_errors.invalid_header(name) from None
        if not raw or not _TOKEN.issuperset(raw) or _BAD_VALUE.search(raw_value):
            raise h2_errors.invalid_header(name)
        if raw in _DROPPED or (raw == b"te" and raw_value.lower() != b"trailers"):
            continue
        out.append((raw, raw_value))
    return out
