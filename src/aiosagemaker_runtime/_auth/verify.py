"""SigV4 on the server side: checking a received request's ``Authorization`` header.

For the local SageMaker-compatible endpoint (and the tests' servers); apart from
:mod:`.sigv4`, which the client imports, so that a client's import does not carry it.
Canonicalises with the same functions as signing does (:mod:`.canonical`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Literal, NamedTuple

from .canonical import (
    ALGORITHM,
    EMPTY_SHA256,
    _assemble,
    _signature,
    canonical_query,
    canonical_uri,
    credential_scope,
    signing_key,
    string_to_sign,
)

__all__ = ["VerifyResult", "VerifyStatus", "verify_request"]

_MAX_SKEW = timedelta(minutes=15)

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
