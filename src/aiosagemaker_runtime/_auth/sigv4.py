"""AWS Signature Version 4, as a pure function of a request, credentials and a clock.

:func:`sign_request` adds ``X-Amz-Date``, ``X-Amz-Security-Token`` (with a session
token) and ``Authorization`` to an :class:`~aiosagemaker_runtime._http.HTTPRequest`.
It canonicalises exactly as ``botocore.auth.SigV4Auth`` does for non-S3 services:

* the canonical URI is the request's (already percent-encoded) path with dot segments
  and repeated slashes removed, percent-encoded once more (``%2F`` -> ``%252F``);
* the canonical query sorts the ``key=value`` pairs by their URI-encoded forms;
* every header present is signed except hop-by-hop and tracing headers
  (botocore's list), ``User-Agent``, ``amz-sdk-*``, ``Content-Length`` and
  ``Accept-Encoding`` (botocore adds those only after signing, so they are never
  signed on the wire); ``host`` comes from the URL unless a ``Host`` header is given;
* header values are trimmed with inner whitespace runs collapsed, and repeated headers
  joined with ``,`` in their order;
* no ``x-amz-content-sha256`` header: the canonical request carries the payload hash.

The server side (:func:`~.verify.verify_request`, for the local SageMaker-compatible
endpoint) is in :mod:`.verify`. The canonical request, string to sign and signing key
are built by :mod:`.canonical` (re-exported here).
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone
from typing import Any

from .._http import HTTPRequest
from .canonical import _KEY_CACHE_SIZE as _KEY_CACHE_SIZE  # re-exported: tests read the cache
from .canonical import (
    ALGORITHM,
    BOTOCORE_UNSIGNED_HEADERS,
    EMPTY_SHA256,
    UNSIGNED_HEADERS,
    _assemble,
    _collect_signed,
    _url_parts,
    canonical_query,
    canonical_request,
    canonical_uri,
    credential_scope,
    signing_key,
    signing_pads,
    string_to_sign,
)
from .canonical import _key_cache as _key_cache
from .credentials import Credentials

__all__ = [
    "BOTOCORE_UNSIGNED_HEADERS",
    "EMPTY_SHA256",
    "UNSIGNED_HEADERS",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "credential_scope",
    "sign_request",
    "signing_key",
    "string_to_sign",
]

_REPLACED = frozenset({"authorization", "x-amz-date", "x-amz-security-token"})
_REPLACED_WITH_CONTENT = _REPLACED | {"x-amz-content-sha256"}


_last_date: tuple[int, str] = (-1, "")


def _amz_date(now: datetime | None) -> str:
    global _last_date
    if now is not None:
        if now.tzinfo is not None:
            now = now.astimezone(timezone.utc)
        return now.strftime("%Y%m%dT%H%M%SZ")
    second = int(time.time())
    cached_second, text = _last_date
    if second != cached_second:
        tm = time.gmtime(second)
        text = "%04d%02d%02dT%02d%02d%02dZ" % tm[:6]  # noqa: UP031 - hot path
        _last_date = (second, text)  # one tuple: threads never see a torn pair
    return text


# --------------------------------------------------------------------------- signing


def sign_request(
    request: HTTPRequest,
    credentials: Credentials,
    *,
    region: str,
    service: str,
    payload_sha256: str,
    now: datetime | None = None,
    unsigned_headers: frozenset[str] = UNSIGNED_HEADERS,
    normalize_path: bool = True,
    content_sha256_header: bool = False,
) -> str:
    """Sign ``request`` in place for ``service`` in ``region``; return the signature (hex).

    Adds ``X-Amz-Date``, ``X-Amz-Security-Token`` (when the credentials carry a token)
    and ``Authorization``, replacing any from an earlier attempt. ``payload_sha256`` is
    the hex SHA-256 of the body (hash once per call, not per attempt), or a marker such
    as ``STREAMING-AWS4-HMAC-SHA256-EVENTS``. ``content_sha256_header`` also sends
    ``payload_sha256`` as the (signed) ``X-Amz-Content-SHA256`` header, as event-stream
    input requires. ``now`` is the signing time (naive values are taken as UTC); the
    current time when ``None``. ``unsigned_headers`` and ``normalize_path`` exist for
    the AWS test suite; the defaults are botocore's behaviour on the wire.
    """
    amz_date = _amz_date(now)
    headers = request.headers
    replaced = _REPLACED_WITH_CONTENT if content_sha256_header else _REPLACED
    collected = _collect_signed(headers, unsigned_headers, replaced)
    if collected is None:  # signed before: drop the earlier attempt's signing headers
        headers[:] = [h for h in headers if h[0].lower() not in replaced]
        collected = _collect_signed(headers, unsigned_headers, replaced)
        assert collected is not None
    # Added after the caller's headers (the replaced ones are gone: no repeats to join).
    if content_sha256_header:
        headers.append(("X-Amz-Content-SHA256", payload_sha256))
        if "x-amz-content-sha256" not in unsigned_headers:
            collected["x-amz-content-sha256"] = payload_sha256
    headers.append(("X-Amz-Date", amz_date))
    if "x-amz-date" not in unsigned_headers:
        collected["x-amz-date"] = amz_date
    token = credentials.token
    if token:
        headers.append(("X-Amz-Security-Token", token))
        if "x-amz-security-token" not in unsigned_headers:
            collected["x-amz-security-token"] = " ".join(token.split())
    uri, query, host = _url_parts(request.url, normalize_path)
    if "host" not in collected:
        collected["host"] = host
    creq, signed = _assemble(request.method, uri, query, collected, payload_sha256)
    inner, outer, credential = _context(amz_date, region, service, credentials)
    inner = inner.copy()
    inner.update(hashlib.sha256(creq.encode("utf-8")).hexdigest().encode("ascii"))
    outer = outer.copy()
    outer.update(inner.digest())
    signature: str = outer.hexdigest()
    headers.append(("Authorization", f"{credential}SignedHeaders={signed}, Signature={signature}"))
    return signature


# Per signing second, region, service and key: the HMAC's inner state already fed with
# the string to sign up to the canonical request's hash, its outer pad, and the
# Authorization header up to the signed headers.
_Context = tuple[Any, Any, str]
_contexts: dict[tuple[str, str, str, str, str], _Context] = {}


def _context(amz_date: str, region: str, service: str, credentials: Credentials) -> _Context:
    access_key, secret_key = credentials.access_key, credentials.secret_key
    cache_key = (amz_date, region, service, access_key, secret_key)
    context = _contexts.get(cache_key)
    if context is None:
        date = amz_date[:8]
        scope = credential_scope(date, region, service)
        inner, outer = signing_pads(secret_key, date, region, service)
        inner = inner.copy()
        inner.update(f"{ALGORITHM}\n{amz_date}\n{scope}\n".encode())
        credential = f"{ALGORITHM} Credential={access_key}/{scope}, "
        context = (inner, outer, credential)
        if len(_contexts) >= _KEY_CACHE_SIZE:
            _contexts.clear()
        _contexts[cache_key] = context
    return context
