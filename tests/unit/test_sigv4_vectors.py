"""The AWS SigV4 test suite (header-signing files), see tests/vectors/sigv4/SOURCE.md."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from aiosagemaker_runtime._auth.credentials import Credentials
from aiosagemaker_runtime._auth.sigv4 import (
    BOTOCORE_UNSIGNED_HEADERS,
    EMPTY_SHA256,
    canonical_request,
    credential_scope,
    sign_request,
    signing_key,
    string_to_sign,
)
from aiosagemaker_runtime._auth.verify import verify_request
from aiosagemaker_runtime._http import HTTPRequest

VECTORS = Path(__file__).parent.parent / "vectors" / "sigv4"
CASES = sorted(p.name for p in VECTORS.iterdir() if (p / "context.json").is_file())


@dataclass
class RawRequest:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


def parse_request(text: bytes) -> RawRequest:
    head, _, body = text.partition(b"\n\n")
    lines = head.decode("utf-8").split("\n")
    request_line = lines[0]
    method, _, rest = request_line.partition(" ")
    target = rest.rsplit(" ", 1)[0]  # paths may contain spaces
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value}\n{line}")
        elif line:
            name, _, value = line.partition(":")
            headers.append((name, value))
    return RawRequest(method, target, headers, body)


def load(case: str) -> tuple[dict[str, object], RawRequest]:
    folder = VECTORS / case
    context = json.loads((folder / "context.json").read_text())
    return context, parse_request((folder / "request.txt").read_bytes())


def prepare(context: dict[str, object], raw: RawRequest) -> tuple[str, list[tuple[str, str]], str]:
    host = next(v for n, v in raw.headers if n.lower() == "host")
    url = f"https://{host}{raw.target}"
    headers = list(raw.headers)
    payload = EMPTY_SHA256
    if context["sign_body"]:
        payload = hashlib.sha256(raw.body).hexdigest()
        headers.append(("x-amz-content-sha256", payload))
    return url, headers, payload


def no_keys(access_key: str) -> str | None:
    return None


def expected(case: str, name: str) -> str:
    return (VECTORS / case / f"header-{name}.txt").read_text()


def test_all_cases_present() -> None:
    assert len(CASES) == 38


@pytest.mark.parametrize("case", CASES)
def test_canonical_request_string_to_sign_signature(case: str) -> None:
    context, raw = load(case)
    creds = context["credentials"]
    assert isinstance(creds, dict)
    url, headers, payload = prepare(context, raw)
    amz_date = datetime.strptime(str(context["timestamp"]), "%Y-%m-%dT%H:%M:%SZ").strftime(
        "%Y%m%dT%H%M%SZ"
    )
    headers.append(("X-Amz-Date", amz_date))
    if creds.get("token") and not context.get("omit_session_token"):
        headers.append(("X-Amz-Security-Token", creds["token"]))
    creq = canonical_request(
        raw.method,
        url,
        headers,
        payload,
        normalize_path=bool(context["normalize"]),
        unsigned_headers=BOTOCORE_UNSIGNED_HEADERS,
    )
    assert creq == expected(case, "canonical-request")
    scope = credential_scope(amz_date[:8], str(context["region"]), str(context["service"]))
    sts = string_to_sign(amz_date, scope, creq)
    assert sts == expected(case, "string-to-sign")
    key = signing_key(
        creds["secret_access_key"], amz_date[:8], str(context["region"]), str(context["service"])
    )
    import hmac

    assert hmac.new(key, sts.encode(), "sha256").hexdigest() == expected(case, "signature")


@pytest.mark.parametrize("case", CASES)
def test_sign_request_gives_the_signed_request(case: str) -> None:
    context, raw = load(case)
    creds = context["credentials"]
    assert isinstance(creds, dict)
    url, headers, payload = prepare(context, raw)
    token = creds.get("token")
    omit = bool(context.get("omit_session_token"))
    credentials = Credentials(
        creds["access_key_id"], creds["secret_access_key"], None if omit else token
    )
    request = HTTPRequest(raw.method, url, headers, raw.body)
    sign_request(
        request,
        credentials,
        region=str(context["region"]),
        service=str(context["service"]),
        payload_sha256=payload,
        now=datetime.strptime(str(context["timestamp"]), "%Y-%m-%dT%H:%M:%SZ"),
        unsigned_headers=BOTOCORE_UNSIGNED_HEADERS,
        normalize_path=bool(context["normalize"]),
    )
    if omit:
        # post-sts-header-after: the token is added after signing, so it is not signed.
        request.headers.append(("X-Amz-Security-Token", str(token)))
    want = parse_request((VECTORS / case / "header-signed-request.txt").read_bytes())
    assert want.method == raw.method and want.target == raw.target
    assert Counter(request.headers) == Counter(want.headers)
    authorization = dict(request.headers)["Authorization"]
    assert authorization.endswith("Signature=" + expected(case, "signature"))


@pytest.mark.parametrize("case", CASES)
def test_verify_accepts_the_signed_request(case: str) -> None:
    context, _raw = load(case)
    if not context["normalize"]:
        pytest.skip("the server side normalises the path, as AWS services do")
    creds = context["credentials"]
    assert isinstance(creds, dict)
    want = parse_request((VECTORS / case / "header-signed-request.txt").read_bytes())
    path, _, query = want.target.partition("?")
    now = datetime.strptime(str(context["timestamp"]), "%Y-%m-%dT%H:%M:%SZ")
    secrets: dict[str, str] = {creds["access_key_id"]: creds["secret_access_key"]}
    result = verify_request(want.method, path, query, want.headers, want.body, secrets.get, now=now)
    assert result.ok, result
    tampered = [(n, "other.example.com") if n == "Host" else (n, v) for n, v in want.headers]
    result = verify_request(want.method, path, query, tampered, want.body, secrets.get, now=now)
    assert result.status == "bad_signature"
    assert result.error_code == "InvalidSignatureException" and result.status_code == 403
    unknown = verify_request(want.method, path, query, want.headers, want.body, no_keys, now=now)
    assert unknown.status == "unknown_access_key"
    assert unknown.error_code == "UnrecognizedClientException"
