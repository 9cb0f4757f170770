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

This is the hot path of every call, so the per-URL parts of the canonical request and
the signing keys are cached, and HMACs use the one-shot :func:`hmac.digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from .._http import HTTPRequest, remove_dot_segments
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

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#: Headers ``botocore.auth.SigV4Auth`` never signs (its ``SIGNED_HEADERS_BLACKLIST``).
BOTOCORE_UNSIGNED_HEADERS: frozenset[str] = frozenset(
    {
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)

#: What :func:`sign_request` leaves unsigned: botocore's list plus the headers botocore
#: only adds after signing, so that our wire matches its wire. ``amz-sdk-*`` headers
#: are skipped as well (they change per attempt).
UNSIGNED_HEADERS: frozenset[str] = BOTOCORE_UNSIGNED_HEADERS | {
    "content-length",
    "accept-encoding",
    "authorization",
}

_SDK_PREFIX = "amz-sdk-"
_REPLACED = frozenset({"authorization", "x-amz-date", "x-amz-security-token"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_QUERY_SAFE = "-_.~"
_MAX_SKEW = timedelta(minutes=15)


# --------------------------------------------------------------------------- pieces


def canonical_uri(path: str, *, normalize: bool = True) -> str:
    """The canonical URI of ``path`` (as it appears in the request line).

    ``normalize=False`` keeps dot segments and empty segments (the AWS test suite's
    ``*-unnormalized`` cases; botocore always normalises for non-S3 services).
    """
    if normalize:
        path = remove_dot_segments(path)
    elif not path:
        path = "/"
    return quote(path, safe="/~")


def canonical_query(query: str) -> str:
    """The canonical query string of a raw query string (without the ``?``).

    Each key and value is decoded and encoded again with the SigV4 rules, which is the
    identity on the properly encoded queries botocore and our serializer produce, and
    also canonicalises raw ones; pairs are sorted by encoded key, then value.
    """
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if not _is_unreserved(key):
            key = quote(unquote(key), safe=_QUERY_SAFE)
        if not _is_unreserved(value):
            value = quote(unquote(value), safe=_QUERY_SAFE)
        pairs.append((key, value))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _is_unreserved(text: str) -> bool:
    return all(c in _UNRESERVED for c in text)


def _host_from_url(scheme: str, hostname: str | None, port: int | None, netloc: str) -> str:
    host = (hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return host


_UrlParts = tuple[str, str, str]
_url_cache: dict[str, _UrlParts] = {}
_URL_CACHE_SIZE = 512


def _url_parts(url: str, normalize: bool = True) -> _UrlParts:
    """(canonical URI, canonical query, host) of ``url``; cached for the hot path."""
    if normalize:
        cached = _url_cache.get(url)
        if cached is not None:
            return cached
    parts = urlsplit(url)
    result = (
        canonical_uri(parts.path, normalize=normalize),
        canonical_query(parts.query),
        _host_from_url(parts.scheme, parts.hostname, parts.port, parts.netloc),
    )
    if normalize:
        if len(_url_cache) >= _URL_CACHE_SIZE:
            _url_cache.clear()
        _url_cache[url] = result
    return result


_name_cache: dict[tuple[str, frozenset[str]], str] = {}


def _signed_name(name: str, unsigned: frozenset[str]) -> str:
    """The lower-cased name when the header is signed, else ``""``; cached."""
    cache_key = (name, unsigned)
    lname = _name_cache.get(cache_key)
    if lname is None:
        lname = name.lower()
        if lname in unsigned or lname.startswith(_SDK_PREFIX):
            lname = ""
        if len(_name_cache) >= 1024:
            _name_cache.clear()
        _name_cache[cache_key] = lname
    return lname


def _collect_headers(
    headers: Iterable[tuple[str, str]], unsigned: frozenset[str]
) -> dict[str, str]:
    """Lower-cased name -> canonical value for every header that is signed."""
    collected: dict[str, str] = {}
    for name, value in headers:
        lname = _signed_name(name, unsigned)
        if not lname:
            continue
        trimmed = " ".join(value.split())
        previous = collected.get(lname)
        collected[lname] = trimmed if previous is None else f"{previous},{trimmed}"
    return collected


def _canonical_headers(collected: Mapping[str, str], names: list[str]) -> tuple[str, str]:
    block = "".join([f"{name}:{collected[name]}\n" for name in names])
    return block, ";".join(names)


def _assemble(
    method: str,
    uri: str,
    query: str,
    collected: Mapping[str, str],
    payload_sha256: str,
) -> tuple[str, str]:
    names = sorted(collected)
    block, signed = _canonical_headers(collected, names)
    return f"{method.upper()}\n{uri}\n{query}\n{block}\n{signed}\n{payload_sha256}", signed


def canonical_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    payload_sha256: str,
    *,
    normalize_path: bool = True,
    unsigned_headers: frozenset[str] = UNSIGNED_HEADERS,
) -> str:
    """The SigV4 canonical request for a request whose headers are final.

    ``headers`` should already hold ``X-Amz-Date`` (and ``X-Amz-Security-Token``);
    ``host`` is taken from the URL when no ``Host`` header is given.
    """
    parts = urlsplit(url)
    collected = _collect_headers(headers, unsigned_headers)
    if "host" not in collected:
        collected["host"] = _host_from_url(parts.scheme, parts.hostname, parts.port, parts.netloc)
    creq, _ = _assemble(
        method,
        canonical_uri(parts.path, normalize=normalize_path),
        canonical_query(parts.query),
        collected,
        payload_sha256,
    )
    return creq


def credential_scope(date: str, region: str, service: str) -> str:
    """``YYYYMMDD/region/service/aws4_request``."""
    return f"{date}/{region}/{service}/aws4_request"


def string_to_sign(amz_date: str, scope: str, canonical_request: str) -> str:
    """``AWS4-HMAC-SHA256``, the timestamp, the scope and the canonical request's hash."""
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


_key_cache: dict[tuple[str, str, str, str], bytes] = {}
_KEY_CACHE_SIZE = 64
# Per signing key, SHA-256 states already fed with (key ^ ipad) and (key ^ opad): an
# HMAC is then two state copies, which is 2-3x faster than hmac.digest per call.
_Pads = tuple[Any, Any]
_pads_cache: dict[bytes, _Pads] = {}


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """The derived signing key; cached per (secret, date, region, service)."""
    cache_key = (secret_key, date, region, service)
    key = _key_cache.get(cache_key)
    if key is None:
        key = hmac.digest(f"AWS4{secret_key}".encode(), date.encode(), "sha256")
        key = hmac.digest(key, region.encode(), "sha256")
        key = hmac.digest(key, service.encode(), "sha256")
        key = hmac.digest(key, b"aws4_request", "sha256")
        if len(_key_cache) >= _KEY_CACHE_SIZE:
            _key_cache.clear()
            _pads_cache.clear()
        _key_cache[cache_key] = key
    return key


def _pads(key: bytes) -> _Pads:
    pads = _pads_cache.get(key)
    if pads is None:
        block = key.ljust(64, b"\0")  # a derived key is 32 bytes: never longer than a block
        pads = (
            hashlib.sha256(bytes(b ^ 0x36 for b in block)),
            hashlib.sha256(bytes(b ^ 0x5C for b in block)),
        )
        if len(_pads_cache) >= _KEY_CACHE_SIZE:
            _pads_cache.clear()
        _pads_cache[key] = pads
    return pads


def _signature(key: bytes, sts: str) -> str:
    inner_pad, outer_pad = _pads(key)
    inner = inner_pad.copy()
    inner.update(sts.encode("utf-8"))
    outer = outer_pad.copy()
    outer.update(inner.digest())
    return str(outer.hexdigest())


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
) -> None:
    """Sign ``request`` in place for ``service`` in ``region``.

    Adds ``X-Amz-Date``, ``X-Amz-Security-Token`` (when the credentials carry a token)
    and ``Authorization``, replacing any from an earlier attempt. ``payload_sha256`` is
    the hex SHA-256 of the body (hash once per call, not per attempt). ``now`` is the
    signing time (naive values are taken as UTC); the current time when ``None``.
    ``unsigned_headers`` and ``normalize_path`` exist for the AWS test suite; the
    defaults are botocore's behaviour on the wire.
    """
    amz_date = _amz_date(now)
    headers = request.headers
    for name, _ in headers:
        if name.lower() in _REPLACED:
            headers[:] = [h for h in headers if h[0].lower() not in _REPLACED]
            break
    headers.append(("X-Amz-Date", amz_date))
    token = credentials.token
    if token:
        headers.append(("X-Amz-Security-Token", token))
    uri, query, host = _url_parts(request.url, normalize_path)
    collected = _collect_headers(headers, unsigned_headers)
    if "host" not in collected:
        collected["host"] = host
    creq, signed = _assemble(request.method, uri, query, collected, payload_sha256)
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    key = signing_key(credentials.secret_key, date, region, service)
    signature = _signature(key, string_to_sign(amz_date, scope, creq))
    headers.append(
        (
            "Authorization",
            f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}",
        )
    )


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
    return VerifyResult("ok", "", access_key)


def _is_hex_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value.lower())
