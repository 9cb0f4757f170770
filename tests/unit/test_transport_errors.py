"""The one place where HTTP-library exceptions become ours, and small transport helpers."""

from __future__ import annotations

import array
import hashlib

import httpcore2
import httpx
import httpx2
import pytest

from aiosagemaker_runtime import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from aiosagemaker_runtime._pipeline import payload_sha256
from aiosagemaker_runtime._transports.base import safe_error_detail
from aiosagemaker_runtime._transports.httpcore_pool import _flat, _netloc
from aiosagemaker_runtime._transports.httpx_client import _family
from aiosagemaker_runtime._transports.httpx_errors import _load_httpcore2, translate_error

URL = "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/e/invocations"


@pytest.fixture(autouse=True)
def _families() -> None:
    _family("httpx")
    _family("httpx2")
    _load_httpcore2()


@pytest.mark.parametrize("lib", [httpx, httpx2, httpcore2], ids=["httpx", "httpx2", "httpcore2"])
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ConnectTimeout", ConnectTimeoutError),
        ("PoolTimeout", ConnectTimeoutError),
        ("ReadTimeout", ReadTimeoutError),
        ("WriteTimeout", ReadTimeoutError),
        ("ConnectError", EndpointConnectionError),
        ("ReadError", EndpointConnectionError),
        ("WriteError", EndpointConnectionError),
        ("RemoteProtocolError", EndpointConnectionError),
        ("ProxyError", EndpointConnectionError),
        ("UnsupportedProtocol", EndpointConnectionError),
        ("LocalProtocolError", ParamValidationError),
    ],
)
def test_translation(lib: object, name: str, expected: type[Exception]) -> None:
    error = getattr(lib, name)("boom")
    mapped = translate_error(error, URL)
    assert type(mapped) is expected
    assert URL in str(mapped) or expected is ParamValidationError
    if expected is not ParamValidationError:
        assert mapped.endpoint_url == URL  # type: ignore[attr-defined]


def test_other_exceptions_pass_through() -> None:
    error = ValueError("not a transport error")
    assert translate_error(error, URL) is error
    stream_error = httpx2.StreamConsumed()
    assert translate_error(stream_error, URL) is stream_error


def test_detail_follows_the_cause_chain() -> None:
    try:
        try:
            raise OSError("certificate verify failed")
        except OSError as cause:
            raise httpcore2.ConnectError("") from cause
    except httpcore2.ConnectError as error:
        assert "OSError: certificate verify failed" in safe_error_detail(error)
        assert "certificate verify failed" in str(translate_error(error, URL))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://host.example/x", "host.example"),
        ("https://host.example:443/x", "host.example"),
        ("https://host.example:8443/x", "host.example:8443"),
        ("http://127.0.0.1:80/x", "127.0.0.1"),
        ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://user:pw@h:81/x", "h:81"),
    ],
)
def test_host_header_leaves_out_default_ports(url: str, expected: str) -> None:
    assert _netloc(url) == expected


def test_flat_views_do_not_copy() -> None:
    data = array.array("I", [1, 2, 3])
    view = _flat(memoryview(data))
    assert isinstance(view, memoryview) and view.nbytes == 12 and view.itemsize == 1
    assert view.obj is data
    raw = b"abc"
    assert _flat(raw) is raw


def test_payload_hash_matches_hashlib_for_every_bytes_like() -> None:
    payload = b"x" * 100_000
    expected = hashlib.sha256(payload).hexdigest()
    assert payload_sha256(payload) == expected
    assert payload_sha256(bytearray(payload)) == expected
    assert payload_sha256(memoryview(payload)) == expected
    assert payload_sha256(memoryview(payload + payload)[::2]) == expected  # non-contiguous
    assert payload_sha256(b"") == hashlib.sha256(b"").hexdigest()
