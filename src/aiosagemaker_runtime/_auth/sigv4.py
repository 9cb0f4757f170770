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

:func:`verify_request` is the server side, for the local SageMaker-compatible endpoint.
The canonical request, string to sign and signing key are built by :mod:`.canonical`
(re-exported here).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, NamedTuple

from .._http import HTTPRequest
from .canonical import _KEY_CACHE_SIZE as _KEY_CACHE_SIZE  # re-exported: tests read the cache
from .canonical import (
    ALGORITHM,
    BOTOCORE_UNSIGNED_HEADERS,
    EMPTY_SHA256,
    UNSIGNED_HEADERS,
    _assemble,
    _collect_signed,
    _signature,
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
    "VerifyResult",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "credential_scope",
    "sign_request",
    "signing_key",
    "string_to_sign",
    "verify_request",
]

_REPLACED = frozenset({"authorization", "x-amz-date", "x-amz-security-token"})
_REPLACED_WITH_CONTENT = _REPLACED | {"x-amz-content-sha256"}
_MAX_SKEW = timedelta(minutes=15)


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


# --------------------------------------------------------------------------- verifying

VerifyStatus = Literal[
    "ok", "missing", "malformed", "unknown_access_key", "bad_signature", "expired"
]

_ERRORS: dict[str, tuple[str, int]] = {
    "ok": ("", 200),
    "missing": ("MissingAuthenticationTokenException", 403),
    "malformed": ("IncompleteSignatureException", 400),
    "unknown_access_key": ("UnrecognizedClientException", 403),
    "bad_signature": ("InvalidSignatureException", 403),
    "expired": ("InvalidSignatureException", 403),
}


class VerifyResult(NamedTuple):
    """Outcome of :func:`verify_request`.

    ``status`` is ``"ok"``, ``"missing"`` (no ``Authorization`` header),
    ``"malformed"``, ``"unknown_access_key"``, ``"bad_signature"`` or ``"expired"``
    (signing time more than 15 minutes from the server's clock). ``error_code`` and
    ``status_code`` are what AWS answers in that case; ``message`` is safe to send back
    (it never contains a secret).
    """

    status: VerifyStatus
    message: str = ""
    access_key: str | None = None
    #: The request's signature (hex) when ``ok``: the seed of an event-stream chain.
    signature: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def error_code(self) -> str:
        return _ERRORS[self.status][0]

    @property
    def status_code(self) -> int:
        return _ERRORS[self.status][1]


_BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


def _parse_authorization(value: str) -> dict[str, str] | None:
    if not value.startswith(ALGORITHM + " "):
        return None
    fields: dict[str, str] = {}
    for part in value[len(ALGORITHM) + 1 :].split(","):
        name, sep, field_value = part.strip().partition("=")
        if not sep:
            return None
        fields[name] = field_value.strip()
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        return None
    return fields


def verify_request(
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes | bytearray | memoryview,
    lookup_secret: Callable[[str], str | None],
    *,
    region: str | None = None,
    service: str | None = None,
    now: datetime | None = None,
) -> VerifyResult:
    """Check the SigV4 ``Authorization`` header of a received request.

    ``raw_path`` and ``query`` are as on the request line (still percent-encoded;
    ``query`` without ``?``); ``headers`` as received (pairs keep repeated headers);
    ``lookup_secret`` maps an access key id to its secret, or ``None`` when unknown.
    ``region``/``service``, when given, must match the credential scope.
    """
    pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
    by_name: dict[str, list[str]] = {}
    for name, value in pairs:
        by_name.setdefault(name.lower(), []).append(value)
    auth = by_name.get("authorization")
    if not auth:
        return VerifyResult("missing", "Missing Authentication Token")
    fields = _parse_authorization(auth[0])
    if fields is None:
        return VerifyResult(
            "malformed",
            "Authorization header requires 'Credential', "
            "'Signature' and 'SignedHeaders' parameters (AWS4-HMAC-SHA256).",
        )
    scope_parts = fields["Credential"].split("/")
    if len(scope_parts) != 5 or scope_parts[4] != "aws4_request":
        return VerifyResult("malformed", "Credential should be scoped correctly.")
    access_key, date, scope_region, scope_service, _ = scope_parts
    amz_date_values = by_name.get("x-amz-date")
    if not amz_date_values:
        return VerifyResult("malformed", "Missing X-Amz-Date header.", access_key)
    amz_date = amz_date_values[0].strip()
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return VerifyResult("malformed", "X-Amz-Date is not a valid timestamp.", access_key)
    secret = lookup_secret(access_key)
    if secret is None:
        return VerifyResult(
            "unknown_access_key",
            "The security token included in the request is invalid.",
            access_key,
        )
    current = now if now is not None else datetime.now(timezone.utc)
    if current.tzinfo is None:
        current = current.replace(tzinfo=timezone.utc)
    fmt = "%Y%m%dT%H%M%SZ"
    if signed_at < current - _MAX_SKEW:
        return VerifyResult(
            "expired",
            f"Signature expired: {amz_date} is now earlier than "
            f"{(current - _MAX_SKEW).strftime(fmt)} ({current.strftime(fmt)} - 15 min.)",
            access_key,
        )
    if signed_at > current + _MAX_SKEW:
        return VerifyResult(
            "expired",
            f"Signature not yet current: {amz_date} is still later than "
            f"{(current + _MAX_SKEW).strftime(fmt)} ({current.strftime(fmt)} + 15 min.)",
            access_key,
        )
    if date != amz_date[:8]:
        return VerifyResult(
            "bad_signature", f"Date in Credential scope does not match {amz_date}.", access_key
        )
    if region is not None and scope_region != region:
        return VerifyResult(
            "bad_signature",
            f"Credential should be scoped to a valid region, not '{scope_region}'.",
            access_key,
        )
    if service is not None and scope_service != service:
        return VerifyResult(
            "bad_signature",
            f"Credential should be scoped to correct service: '{service}'.",
            access_key,
        )
    names = fields["SignedHeaders"].split(";")
    if "host" not in names:
        return VerifyResult("malformed", "'Host' must be a signed header.", access_key)
    collected: dict[str, str] = {}
    for name in names:
        values = by_name.get(name)
        if values is None:
            return VerifyResult("bad_signature", _BAD_SIGNATURE, access_key)
        collected[name] = ",".join(" ".join(v.split()) for v in values)
    declared = by_name.get("x-amz-content-sha256")
    if declared and not _is_hex_sha256(declared[0]):
        payload = declared[0]
    else:
        payload = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    creq, _ = _assemble(method, canonical_uri(raw_path), canonical_query(query), collected, payload)
    scope = credential_scope(date, scope_region, scope_service)
    expected = _signature(
        signing_key(secret, date, scope_region, scope_service),
        string_to_sign(amz_date, scope, creq),
    )
    if not hmac.compare_digest(expected, fields["Signature"]):
        return VerifyResult("bad_signature", _BAD_SIGNATURE, access_key)
    return VerifyResult("ok", "", access_key, fields["Signature"])


def _is_hex_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value.lower())
