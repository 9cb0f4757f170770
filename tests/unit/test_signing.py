"""SigV4 signing: agreement with botocore.auth.SigV4Auth, and the server-side verifier."""

from __future__ import annotations

import hashlib
import string
from datetime import datetime, timedelta, timezone
from unittest import mock
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiosagemaker_runtime._auth import sigv4 as _signing
from aiosagemaker_runtime._auth.credentials import Credentials
from aiosagemaker_runtime._auth.sigv4 import (
    EMPTY_SHA256,
    canonical_query,
    canonical_request,
    canonical_uri,
    sign_request,
    signing_key,
)
from aiosagemaker_runtime._auth.verify import VerifyResult, verify_request
from aiosagemaker_runtime._http import HTTPRequest

NOW = datetime(2026, 11, 23, 8, 30, 15, tzinfo=timezone.utc)
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
URL = "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/a%2Fb/invocations"


def botocore_authorization(
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime,
) -> tuple[str, list[tuple[str, str]]]:
    """Sign with botocore at a fixed clock; return Authorization and all headers."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        request.headers[name] = value  # HTTPMessage: appends, so repeats are kept
    signer = SigV4Auth(
        BotoCredentials(credentials.access_key, credentials.secret_key, credentials.token),
        service,
        region,
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=now.replace(tzinfo=None)):
        signer.add_auth(request)
    return request.headers["Authorization"], list(request.headers.items())


def header(request: HTTPRequest, name: str) -> list[str]:
    return [v for n, v in request.headers if n.lower() == name.lower()]


def test_sign_request_basic_shape() -> None:
    request = HTTPRequest(
        "POST",
        URL,
        [
            ("Content-Type", "application/json"),
            ("User-Agent", "aiosagemaker-runtime/0.1.0"),
            ("amz-sdk-invocation-id", "1234"),
            ("amz-sdk-request", "attempt=1; max=3"),
            ("Content-Length", "2"),
        ],
        b"{}",
    )
    sign_request(
        request,
        CREDS,
        region="us-east-1",
        service="sagemaker",
        payload_sha256=hashlib.sha256(b"{}").hexdigest(),
        now=NOW,
    )
    assert header(request, "X-Amz-Date") == ["20261123T083015Z"]
    assert header(request, "X-Amz-Security-Token") == []
    assert header(request, "x-amz-content-sha256") == []
    (auth,) = header(request, "Authorization")
    assert auth.startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/sagemaker/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature="
    )
    # botocore signs the same request before it adds amz-sdk-* and Content-Length.
    botocore_headers = [
        (n, v) for n, v in request.headers if n.lower().startswith("content-t") or n == "User-Agent"
    ]
    expected, _ = botocore_authorization(
        "POST", URL, botocore_headers, b"{}", CREDS, "us-east-1", "sagemaker", NOW
    )
    assert auth == expected


def test_canonical_uri_encodes_the_encoded_path_again() -> None:
    assert canonical_uri("/endpoints/a%2Fb/invocations") == "/endpoints/a%252Fb/invocations"
    assert canonical_uri("") == "/"
    assert canonical_uri("/a//b/./c/../d/") == "/a/b/d/"
    assert canonical_uri("/a//b/", normalize=False) == "/a//b/"
    assert canonical_uri("/é ~") == "/%C3%A9%20~"


def test_canonical_query() -> None:
    assert canonical_query("") == ""
    assert canonical_query("b=2&a=1&a=0") == "a=0&a=1&b=2"
    assert canonical_query("k") == "k="
    assert canonical_query("a%2fb=%7e") == "a%2Fb=~"
    assert canonical_query("x=a b") == "x=a%20b"


def test_token_is_signed_and_retry_replaces_auth_headers() -> None:
    creds = Credentials("AKID", "secret", "token/with+chars==")
    request = HTTPRequest("GET", "https://example.com/", [("X-Custom", "  a   b  ")])
    for second in (0, 1):
        sign_request(
            request,
            creds,
            region="eu-west-1",
            service="sagemaker",
            payload_sha256=EMPTY_SHA256,
            now=NOW + timedelta(seconds=second),
        )
    assert header(request, "X-Amz-Date") == ["20261123T083016Z"]
    assert header(request, "X-Amz-Security-Token") == ["token/with+chars=="]
    (auth,) = header(request, "Authorization")
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token;x-custom," in auth
    expected, _ = botocore_authorization(
        "GET",
        "https://example.com/",
        [("X-Custom", "  a   b  ")],
        b"",
        creds,
        "eu-west-1",
        "sagemaker",
        NOW + timedelta(seconds=1),
    )
    assert auth == expected


def test_now_defaults_to_the_current_time() -> None:
    request = HTTPRequest("GET", "https://example.com/", [])
    sign_request(request, CREDS, region="us-east-1", service="s", payload_sha256=EMPTY_SHA256)
    (amz_date,) = header(request, "X-Amz-Date")
    signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert abs(signed_at - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_naive_now_is_utc() -> None:
    a = HTTPRequest("GET", "https://example.com/", [])
    b = HTTPRequest("GET", "https://example.com/", [])
    kw = {"region": "us-east-1", "service": "s", "payload_sha256": EMPTY_SHA256}
    sign_request(a, CREDS, now=NOW, **kw)  # type: ignore[arg-type]
    sign_request(b, CREDS, now=NOW.replace(tzinfo=None), **kw)  # type: ignore[arg-type]
    other_tz = NOW.astimezone(timezone(timedelta(hours=5)))
    c = HTTPRequest("GET", "https://example.com/", [])
    sign_request(c, CREDS, now=other_tz, **kw)  # type: ignore[arg-type]
    assert a.headers == b.headers == c.headers


def test_signing_key_cache_is_bounded() -> None:
    for i in range(200):
        signing_key(f"secret{i}", "20261123", "us-east-1", "sagemaker")
    assert len(_signing._key_cache) <= _signing._KEY_CACHE_SIZE
    assert signing_key("s", "20261123", "r", "x") == signing_key("s", "20261123", "r", "x")
    assert signing_key("s", "20261123", "r", "x") != signing_key("t", "20261123", "r", "x")


def test_canonical_request_host_from_url() -> None:
    for url, host in [
        ("https://Example.COM:443/", "example.com"),
        ("http://example.com:80/", "example.com"),
        ("http://example.com:8080/", "example.com:8080"),
        ("https://[::1]:8443/", "[::1]:8443"),
        ("https://user:pw@example.com/", "example.com"),
    ]:
        creq = canonical_request("GET", url, [], EMPTY_SHA256)
        assert f"\nhost:{host}\n" in creq


# ----------------------------------------------------------------- property test

TOKEN_CHARS = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
_RESERVED_NAMES = {
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "date",
    "x-amz-content-sha256",
} | set(_signing.UNSIGNED_HEADERS)
header_names = (
    st.text(TOKEN_CHARS, min_size=1, max_size=12)
    .filter(lambda n: n.lower() not in _RESERVED_NAMES and not n.lower().startswith("amz-sdk-"))
    .filter(lambda n: n.lower() != "host")
)
header_values = st.text(
    string.printable.replace("\r", "").replace("\n", "").replace("\x0b", "").replace("\x0c", "")
    + "\t  ",
    max_size=30,
)
path_segments = st.text(
    string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@% /?#é中", max_size=10
)
query_pairs = st.lists(
    st.tuples(
        st.text(string.ascii_letters + string.digits + "-_.~ /&=+é%", min_size=1, max_size=8),
        st.text(string.ascii_letters + string.digits + "-_.~ /&=+é%", max_size=8),
    ),
    max_size=4,
)
hosts = st.sampled_from(
    [
        "https://runtime.sagemaker.us-east-1.amazonaws.com",
        "https://Runtime.SageMaker.eu-west-1.amazonaws.com:443",
        "http://127.0.0.1:8080",
        "http://localhost",
        "https://[::1]:8443",
    ]
)
credentials = st.builds(
    Credentials,
    st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=20),
    st.text(string.ascii_letters + string.digits + "+/", min_size=1, max_size=40),
    st.none() | st.text(string.ascii_letters + string.digits + "+/=", min_size=1, max_size=60),
)
clocks = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2099, 12, 31),
    timezones=st.just(timezone.utc),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "post"]),
    base=hosts,
    segments=st.lists(path_segments, max_size=4),
    safe=st.sampled_from(["", "/", "/!$&'()*+,;=:@"]),
    greedy_dots=st.booleans(),
    query=query_pairs,
    headers=st.lists(st.tuples(header_names, header_values), max_size=6),
    repeat=st.booleans(),
    sdk_headers=st.booleans(),
    host_header=st.booleans(),
    body=st.one_of(st.just(b""), st.binary(max_size=300)),
    creds=credentials,
    region=st.sampled_from(["us-east-1", "cn-north-1", "us-gov-west-1", "eu-central-1"]),
    service=st.sampled_from(["sagemaker", "s3-outposts", "execute-api"]),
    now=clocks,
)
def test_agrees_with_botocore(
    method: str,
    base: str,
    segments: list[str],
    safe: str,
    greedy_dots: bool,
    query: list[tuple[str, str]],
    headers: list[tuple[str, str]],
    repeat: bool,
    sdk_headers: bool,
    host_header: bool,
    body: bytes,
    creds: Credentials,
    region: str,
    service: str,
    now: datetime,
) -> None:
    from botocore.utils import percent_encode_sequence

    if greedy_dots:
        segments = [*segments, "..", ".", ""]
    path = "/" + "/".join(quote(s, safe=safe) for s in segments)
    url = base + path
    if query:
        url += "?" + percent_encode_sequence(query)
    if repeat and headers:
        headers = [*headers, (headers[0][0].upper(), headers[-1][1]), headers[0]]
    if host_header:
        headers = [("Host", base.split("//")[1].lower()), *headers]
    botocore_headers = list(headers)
    ours = list(headers)
    if sdk_headers:
        # The pipeline adds these before signing; botocore adds them after (so unsigned).
        ours += [
            ("User-Agent", "aiosagemaker-runtime/0.1"),
            ("amz-sdk-invocation-id", "c0ffee"),
            ("amz-sdk-request", "attempt=1; max=3"),
            ("Content-Length", str(len(body))),
            ("Accept-Encoding", "identity"),
        ]
        botocore_headers.append(("User-Agent", "aiosagemaker-runtime/0.1"))
    request = HTTPRequest(method, url, ours, body)
    sign_request(
        request,
        creds,
        region=region,
        service=service,
        payload_sha256=hashlib.sha256(body).hexdigest(),
        now=now,
    )
    expected, boto_headers = botocore_authorization(
        method, url, botocore_headers, body, creds, region, service, now
    )
    assert header(request, "Authorization") == [expected]
    boto = {n.lower(): v for n, v in boto_headers}
    assert header(request, "X-Amz-Date") == [boto["x-amz-date"]]
    assert header(request, "X-Amz-Security-Token") == ([creds.token] if creds.token else [])
    # And what we sign, the server side accepts.
    split = url.split("//", 1)[1]
    raw = split[split.index("/") :] if "/" in split else "/"
    raw_path, _, raw_query = raw.partition("?")
    received = list(request.headers)
    if not host_header:
        received.append(("Host", _signing._url_parts(url)[2]))
    result = verify_request(
        method.upper(),
        raw_path,
        raw_query,
        received,
        body,
        {creds.access_key: creds.secret_key}.get,
        region=region,
        service=service,
        now=now,
    )
    assert result.ok, result


# ----------------------------------------------------------------- verifier


def _signed(
    body: bytes = b"{}", creds: Credentials = CREDS, now: datetime = NOW
) -> tuple[str, str, list[tuple[str, str]]]:
    request = HTTPRequest(
        "POST",
        "http://127.0.0.1:8080/endpoints/my%2Fep/invocations?x=1",
        [("Content-Type", "application/json"), ("X-Amzn-SageMaker-Custom-Attributes", "a  b")],
        body,
    )
    sign_request(
        request,
        creds,
        region="us-east-1",
        service="sagemaker",
        payload_sha256=hashlib.sha256(body).hexdigest(),
        now=now,
    )
    headers = [("Host", "127.0.0.1:8080"), *request.headers, ("Content-Length", str(len(body)))]
    return "/endpoints/my%2Fep/invocations", "x=1", headers


def _verify(
    headers: list[tuple[str, str]] | dict[str, str],
    body: bytes = b"{}",
    now: datetime = NOW,
    secrets: dict[str, str] | None = None,
    path: str = "/endpoints/my%2Fep/invocations",
    **kwargs: str,
) -> VerifyResult:
    if secrets is None:
        secrets = {CREDS.access_key: CREDS.secret_key}
    return verify_request("POST", path, "x=1", headers, body, secrets.get, now=now, **kwargs)


def test_verify_ok_and_each_failure() -> None:
    _, _, headers = _signed()
    assert _verify(headers).ok
    assert _verify(dict(headers)).ok
    assert _verify(headers, region="us-east-1", service="sagemaker").ok
    assert _verify(headers, region="eu-west-1").status == "bad_signature"
    assert _verify(headers, service="s3").status == "bad_signature"
    assert _verify(headers, body=b"{ }").status == "bad_signature"
    assert _verify(headers, path="/endpoints/my/ep/invocations").status == "bad_signature"
    unknown = _verify(headers, secrets={})
    assert (unknown.status, unknown.error_code, unknown.status_code) == (
        "unknown_access_key",
        "UnrecognizedClientException",
        403,
    )
    assert unknown.access_key == "AKIDEXAMPLE"
    wrong = _verify(headers, secrets={CREDS.access_key: "other"})
    assert (wrong.status, wrong.error_code) == ("bad_signature", "InvalidSignatureException")
    assert CREDS.secret_key not in wrong.message
    no_auth = [(n, v) for n, v in headers if n != "Authorization"]
    missing = _verify(no_auth)
    assert (missing.status, missing.status_code) == ("missing", 403)
    garbage = [*no_auth, ("Authorization", "AWS4-HMAC-SHA256 Credential=x")]
    assert _verify(garbage).status == "malformed"
    assert _verify(garbage).status_code == 400
    no_date = [(n, v) for n, v in headers if n != "X-Amz-Date"]
    assert _verify(no_date).status == "malformed"
    # Changing a signed header breaks the signature; an unsigned one does not.
    changed = [(n, v + "x" if n == "Content-Type" else v) for n, v in headers]
    assert _verify(changed).status == "bad_signature"
    assert _verify([*headers, ("User-Agent", "curl")]).ok
    # Header values are compared trimmed and collapsed, as signed.
    spaced = [(n, f"  {v}  " if n == "Content-Type" else v) for n, v in headers]
    assert _verify(spaced).ok


def test_verify_clock_skew() -> None:
    _, _, headers = _signed()
    assert _verify(headers, now=NOW + timedelta(minutes=14, seconds=59)).ok
    assert _verify(headers, now=NOW - timedelta(minutes=14, seconds=59)).ok
    late = _verify(headers, now=NOW + timedelta(minutes=15, seconds=1))
    assert (late.status, late.error_code) == ("expired", "InvalidSignatureException")
    assert "Signature expired: 20261123T083015Z is now earlier than" in late.message
    early = _verify(headers, now=NOW - timedelta(minutes=16))
    assert early.status == "expired" and "not yet current" in early.message
    # naive "now" is UTC
    assert _verify(headers, now=NOW.replace(tzinfo=None)).ok


def test_verify_unsigned_payload_header() -> None:
    _, _, headers = _signed(body=b"")
    assert _verify(headers, body=b"").ok
    with_hash = [*headers, ("X-Amz-Content-SHA256", EMPTY_SHA256)]
    assert _verify(with_hash, body=b"").ok


def test_verify_accepts_botocore_signatures() -> None:
    body = b'{"inputs": [1, 2]}'
    url = "http://127.0.0.1:8080/endpoints/my%2Fep/invocations?x=1"
    _, boto_headers = botocore_authorization(
        "POST",
        url,
        [("Content-Type", "application/json"), ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")],
        body,
        Credentials("AKID", "SECRET", "TOKEN"),
        "us-west-2",
        "sagemaker",
        NOW,
    )
    headers = [("Host", "127.0.0.1:8080"), *boto_headers]
    assert verify_request(
        "POST",
        "/endpoints/my%2Fep/invocations",
        "x=1",
        headers,
        body,
        {"AKID": "SECRET"}.get,
        now=NOW,
    ).ok


@pytest.mark.parametrize("query", ["", "a=1&b=%20"])
def test_canonical_request_matches_botocore_text(query: str) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    url = URL + ("?" + query if query else "")
    request = AWSRequest(method="POST", url=url, data=b"x")
    request.headers["X-Amz-Date"] = "20261123T083015Z"
    request.headers["Content-Type"] = " a\tb "
    signer = SigV4Auth(BotoCredentials("a", "b"), "sagemaker", "us-east-1")
    ours = canonical_request(
        "POST",
        url,
        [("X-Amz-Date", "20261123T083015Z"), ("Content-Type", " a\tb ")],
        hashlib.sha256(b"x").hexdigest(),
    )
    assert ours == signer.canonical_request(request)
