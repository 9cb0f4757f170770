"""The pieces of AWS Signature Version 4: canonical request, string to sign, signing key.

Shared by request signing and verification (:mod:`.sigv4`) and by event-stream message
signing (:mod:`.event_signing`). The canonicalisation is ``botocore.auth.SigV4Auth``'s
for non-S3 services (see :mod:`.sigv4` for the rules).

This is the hot path of every call, so the per-URL parts of the canonical request and
the signing keys are cached, and HMACs reuse SHA-256 states already fed with the key's
pads.
"""

from __future__ import annotations

import hashlib
import hmac
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .._http import remove_dot_segments

__all__ = [
    "ALGORITHM",
    "BOTOCORE_UNSIGNED_HEADERS",
    "EMPTY_SHA256",
    "UNSIGNED_HEADERS",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "credential_scope",
    "signing_key",
    "string_to_sign",
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

#: What :func:`.sigv4.sign_request` leaves unsigned: botocore's list plus the headers botocore
#: only adds after signing, so that our wire matches its wire. ``amz-sdk-*`` headers
#: are skipped as well (they change per attempt).
UNSIGNED_HEADERS: frozenset[str] = BOTOCORE_UNSIGNED_HEADERS | {
    "content-length",
    "accept-encoding",
    "authorization",
}

_SDK_PREFIX = "amz-sdk-"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_QUERY_SAFE = "-_.~"


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


# Per set of unsigned headers and of headers a signing replaces: header name -> its
# lower-cased name when signed, "" when not; replaced names are never stored, so the
# first sight of one in a request goes to _classify (which returns None for it).
_NameTable = dict[str, str]
_name_tables: dict[tuple[frozenset[str], frozenset[str]], _NameTable] = {}
_NAME_TABLE_SIZE = 1024


def _name_table(unsigned: frozenset[str], replaced: frozenset[str]) -> _NameTable:
    key = (unsigned, replaced)
    table = _name_tables.get(key)
    if table is None:
        if len(_name_tables) >= 16:
            _name_tables.clear()
        table = _name_tables[key] = {}
    return table


def _classify(
    name: str, table: _NameTable, unsigned: frozenset[str], replaced: frozenset[str]
) -> str | None:
    lname = name.lower()
    if lname in replaced:
        return None
    if lname in unsigned or lname.startswith(_SDK_PREFIX):
        lname = ""
    if len(table) >= _NAME_TABLE_SIZE:
        table.clear()
    table[name] = lname
    return lname


def _collect_signed(
    headers: Iterable[tuple[str, str]],
    unsigned: frozenset[str],
    replaced: frozenset[str] = frozenset(),
) -> dict[str, str] | None:
    """Lower-cased name -> canonical value for every header that is signed; ``None``
    when a header named in ``replaced`` is present."""
    table = _name_table(unsigned, replaced)
    collected: dict[str, str] = {}
    for name, value in headers:
        lname = table.get(name)
        if lname is None:
            lname = _classify(name, table, unsigned, replaced)
            if lname is None:
                return None
        if lname:
            trimmed = " ".join(value.split())
            previous = collected.get(lname)
            collected[lname] = trimmed if previous is None else f"{previous},{trimmed}"
    return collected


def _collect_headers(
    headers: Iterable[tuple[str, str]], unsigned: frozenset[str]
) -> dict[str, str]:
    """Lower-cased name -> canonical value for every header that is signed."""
    collected = _collect_signed(headers, unsigned)
    assert collected is not None  # nothing is replaced
    return collected


def _canonical_headers(collected: Mapping[str, str], names: list[str]) -> tuple[str, str]:
    block = "".join([f"{name}:{collected[name]}\n" for name in names])
    return block, ";".join(names)


# Per tuple of header names (in the order collected): a getter of their values in
# sorted order, the canonical request as a %-format and the signed-headers list.
_Layout = tuple[Callable[[Mapping[str, str]], tuple[str, ...]], str, str]
_layouts: dict[tuple[str, ...], _Layout] = {}


def _layout(key: tuple[str, ...]) -> _Layout:
    names = sorted(key)
    signed = ";".join(names)
    lines = "".join(f"{name.replace('%', '%%')}:%s\n" for name in names)
    template = f"%s\n%s\n%s\n{lines}\n{signed.replace('%', '%%')}\n%s"
    if not names:
        layout: _Layout = (lambda collected: (), template, signed)
    elif len(names) == 1:
        only = names[0]
        layout = (lambda collected: (collected[only],), template, signed)
    else:
        layout = (operator.itemgetter(*names), template, signed)
    if len(_layouts) >= 256:
        _layouts.clear()
    _layouts[key] = layout
    return layout


def _assemble(
    method: str,
    uri: str,
    query: str,
    collected: Mapping[str, str],
    payload_sha256: str,
) -> tuple[str, str]:
    # Most calls send the same headers in the same order: one cached layout for them.
    key = tuple(collected)
    layout = _layouts.get(key)
    if layout is None:
        layout = _layout(key)
    values, template, signed = layout
    return template % (method.upper(), uri, query, *values(collected), payload_sha256), signed


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
    return _hmac_hex(_pads(key), sts)


_signing_pads: dict[tuple[str, str, str, str], _Pads] = {}


def signing_pads(secret_key: str, date: str, region: str, service: str) -> _Pads:
    """The HMAC pads of :func:`signing_key` (one cache lookup per signature)."""
    cache_key = (secret_key, date, region, service)
    pads = _signing_pads.get(cache_key)
    if pads is None:
        pads = _pads(signing_key(secret_key, date, region, service))
        if len(_signing_pads) >= _KEY_CACHE_SIZE:
            _signing_pads.clear()
        _signing_pads[cache_key] = pads
    return pads


def _hmac_hex(pads: _Pads, message: str) -> str:
    inner = pads[0].copy()
    inner.update(message.encode("utf-8"))
    outer = pads[1].copy()
    outer.update(inner.digest())
    return str(outer.hexdigest())
