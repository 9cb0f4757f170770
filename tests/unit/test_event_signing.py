"""Event-stream message signing: the public vector, the :date header, the request, the chain.

See tests/vectors/event-signing/SOURCE.md for the vector and the procedure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiosagemaker_runtime._auth.credentials import Credentials
from aiosagemaker_runtime._auth.event_signing import (
    STREAMING_EVENTS_PAYLOAD,
    ChunkSignature,
    EventSigner,
    EventVerifier,
    encode_date_header,
    event_string_to_sign,
    sign_event_stream_request,
)
from aiosagemaker_runtime._auth.sigv4 import sign_request
from aiosagemaker_runtime._auth.verify import verify_request
from aiosagemaker_runtime._http import HTTPRequest
from aiosagemaker_runtime._protocol.eventstream import (
    EventStreamDecoder,
    encode_frame,
    encode_headers,
    encode_message,
)

VECTOR: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "vectors" / "event-signing" / "string-to-sign.json").read_text()
)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # AWS's documented example key
CREDS = Credentials("AKIDEXAMPLE", SECRET, "session-token-value")
NOW = datetime(2026, 11, 23, 8, 30, 15, tzinfo=timezone.utc)
URL = "https://runtime.sagemaker.us-east-1.amazonaws.com:8443/endpoints/ep/invocations-bidirectional-stream"
#: HMAC-SHA256 of the vector's string to sign under SECRET's key for 19731129/us-east-1/
#: testservice (computed from the documented key derivation; see SOURCE.md).
VECTOR_SIGNATURE = "26b035a029666cc75dcaead9985e24aaa5594409b16d3754b94b5bd97399369b"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _key(secret: str, day: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def _vector_time() -> datetime:
    # 123456789.00000124 s: the sub-second part (1.24 us) survives as 1 us in a datetime.
    return EPOCH + timedelta(seconds=123456789, microseconds=1)


# --------------------------------------------------------------------------- the vector


def test_vector_inputs_encode_as_the_vector_says() -> None:
    message = encode_message([("some-header", "value")], VECTOR["message"]["payload_utf8"].encode())
    assert message.hex() == VECTOR["message_encoded_hex"]
    assert hashlib.sha256(b"last message sts").hexdigest() == VECTOR["last_signature_hex"]
    whole = EPOCH + timedelta(seconds=int(VECTOR["time_unix_seconds"]))
    assert encode_date_header(123456789000).hex() == VECTOR["date_header_encoded_hex"]
    assert encode_headers([(":date", whole)]).hex() == VECTOR["date_header_encoded_hex"]


def test_vector_string_to_sign() -> None:
    date = EPOCH + timedelta(seconds=int(VECTOR["time_unix_seconds"]))
    sts = event_string_to_sign(
        date,
        VECTOR["region"],
        VECTOR["service"],
        VECTOR["last_signature_hex"],
        bytes.fromhex(VECTOR["message_encoded_hex"]),
    )
    assert sts == VECTOR["expected_string_to_sign"]


def test_vector_signature_from_the_signer() -> None:
    signer = EventSigner(
        Credentials("AKID", SECRET),
        region=VECTOR["region"],
        service=VECTOR["service"],
        seed_signature=VECTOR["last_signature_hex"],
    )
    chunk = signer.sign(bytes.fromhex(VECTOR["message_encoded_hex"]), now=_vector_time())
    # The sub-second part is truncated before signing.
    assert chunk.date == datetime(1973, 11, 29, 21, 33, 9, tzinfo=timezone.utc)
    expected = _hmac(
        _key(SECRET, "19731129", VECTOR["region"], VECTOR["service"]),
        VECTOR["expected_string_to_sign"],
    )
    assert expected.hex() == VECTOR_SIGNATURE
    assert chunk.signature == expected
    assert signer.previous_signature == VECTOR_SIGNATURE
    assert signer.count == 1 and not signer.ended


# --------------------------------------------------------------------------- :date header


@pytest.mark.parametrize(
    "millis", [0, 1000, 123456789000, 1_795_000_000_000, -1000, 253_402_300_799_999, 999]
)
def test_date_header_matches_the_codec(millis: int) -> None:
    value = EPOCH + timedelta(milliseconds=millis)
    assert encode_date_header(millis) == encode_headers([(":date", value)])
    assert encode_date_header(millis) == encode_headers({":date": value})


@given(st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999))
def test_date_header_matches_the_codec_for_any_time(millis: int) -> None:
    value = EPOCH + timedelta(milliseconds=millis)
    assert encode_date_header(millis) == encode_headers([(":date", value)])


# --------------------------------------------------------------------------- the request


def _request() -> HTTPRequest:
    return HTTPRequest(
        "POST",
        URL,
        [("Content-Type", "application/vnd.amazon.eventstream"), ("User-Agent", "test")],
        b"",
    )


def _header(request: HTTPRequest, name: str) -> list[str]:
    return [v for n, v in request.headers if n.lower() == name.lower()]


def test_request_is_signed_with_the_streaming_payload_marker() -> None:
    request = _request()
    signer = sign_event_stream_request(
        request, CREDS, region="us-east-1", service="sagemaker", now=NOW
    )
    assert _header(request, "X-Amz-Content-SHA256") == [STREAMING_EVENTS_PAYLOAD]
    (auth,) = _header(request, "Authorization")
    assert (
        "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"
        in auth
    )
    assert auth.endswith(f"Signature={signer.previous_signature}")
    # The canonical request's payload line is the marker, as a server recomputes it.
    result = verify_request(
        "POST",
        "/endpoints/ep/invocations-bidirectional-stream",
        "",
        [("Host", "runtime.sagemaker.us-east-1.amazonaws.com:8443"), *request.headers],
        b"",
        {CREDS.access_key: SECRET}.get,
        region="us-east-1",
        service="sagemaker",
        now=NOW,
    )
    assert result.ok, result
    assert result.signature == signer.previous_signature
    assert signer.count == 0


def test_request_signature_agrees_with_botocore() -> None:
    # botocore takes the X-Amz-Content-SHA256 header, when present, as the payload hash.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    request = _request()
    request.headers.pop()  # User-Agent is never signed by either
    sign_event_stream_request(request, CREDS, region="us-east-1", service="sagemaker", now=NOW)
    boto = AWSRequest(method="POST", url=URL, data=b"")
    boto.headers["Content-Type"] = "application/vnd.amazon.eventstream"
    boto.headers["X-Amz-Content-SHA256"] = STREAMING_EVENTS_PAYLOAD
    auth = SigV4Auth(BotoCredentials("AKIDEXAMPLE", SECRET, CREDS.token), "sagemaker", "us-east-1")
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        auth.add_auth(boto)
    assert _header(request, "Authorization") == [boto.headers["Authorization"]]


def test_a_retry_replaces_the_marker_header_and_a_tampered_marker_fails() -> None:
    request = _request()
    first = sign_event_stream_request(
        request, CREDS, region="us-east-1", service="sagemaker", now=NOW
    )
    second = sign_event_stream_request(
        request, CREDS, region="us-east-1", service="sagemaker", now=NOW + timedelta(seconds=1)
    )
    assert _header(request, "X-Amz-Content-SHA256") == [STREAMING_EVENTS_PAYLOAD]
    assert len(_header(request, "Authorization")) == 1
    assert first.previous_signature != second.previous_signature
    tampered = [
        (n, "UNSIGNED-PAYLOAD" if n == "X-Amz-Content-SHA256" else v) for n, v in request.headers
    ]
    result = verify_request(
        "POST",
        "/endpoints/ep/invocations-bidirectional-stream",
        "",
        [("Host", "runtime.sagemaker.us-east-1.amazonaws.com:8443"), *tampered],
        b"",
        {CREDS.access_key: SECRET}.get,
        now=NOW,
    )
    assert result.status == "bad_signature"


def test_ordinary_requests_get_no_marker_header() -> None:
    request = _request()
    signature = sign_request(
        request, CREDS, region="us-east-1", service="sagemaker", payload_sha256="ab" * 32, now=NOW
    )
    assert _header(request, "X-Amz-Content-SHA256") == []
    assert _header(request, "Authorization")[0].endswith(f"Signature={signature}")


# --------------------------------------------------------------------------- the chain


def _signer(seed: str = "00" * 32) -> EventSigner:
    return EventSigner(CREDS, region="us-east-1", service="sagemaker", seed_signature=seed)


def _verifier(seed: str = "00" * 32, **kwargs: Any) -> EventVerifier:
    return EventVerifier(
        SECRET, region="us-east-1", service="sagemaker", seed_signature=seed, **kwargs
    )


def _event(payload: bytes) -> bytes:
    return encode_message([(":message-type", "event"), (":event-type", "PayloadPart")], payload)


def test_chain_round_trip_through_the_codec() -> None:
    signer = _signer()
    verifier = _verifier()
    events = [_event(b"one"), _event(b"two"), _event(b"")]
    frames = [encode_message(signer.sign(e, now=NOW).headers, e) for e in events]
    end = signer.sign_end(now=NOW + timedelta(seconds=2))
    frames.append(encode_message(end.headers, b""))
    assert signer.ended and signer.count == 4
    decoded = EventStreamDecoder().feed(b"".join(frames))
    assert [list(m.headers) for m in decoded] == [[":chunk-signature", ":date"]] * 4
    assert [m.payload for m in decoded] == [*events, b""]
    assert decoded[3].headers[":date"] == NOW + timedelta(seconds=2)
    statuses = [verifier.verify(m.headers, m.payload, now=NOW).status for m in decoded]
    assert statuses == ["ok", "ok", "ok", "end"]
    assert verifier.ended and verifier.previous_signature == signer.previous_signature


def test_signed_blocks_are_the_frames_sign_would_make() -> None:
    """sign_block/sign_end_block (the encoded header block, for encode_frame) give the
    bytes encode_message makes of sign()'s headers, on the same chain, across a day."""
    by_headers, by_block = _signer(), _signer()
    midnight = datetime(2026, 11, 24, tzinfo=timezone.utc)
    times = [NOW, NOW, NOW + timedelta(milliseconds=999), midnight - timedelta(seconds=1), midnight]
    for i, now in enumerate(times):
        event = _event(bytes([i]) * (i + 1))
        chunk = by_headers.sign(event, now=now)
        assert encode_frame(by_block.sign_block(event, now=now), event) == encode_message(
            chunk.headers, event
        )
    end = by_headers.sign_end(now=midnight)
    assert encode_frame(by_block.sign_end_block(now=midnight)) == encode_message(end.headers)
    assert by_block.previous_signature == by_headers.previous_signature
    assert by_block.ended and by_block.count == len(times) + 1
    with pytest.raises(ValueError, match="sign_end"):
        _signer().sign_block(b"")
    with pytest.raises(RuntimeError, match="ended"):
        by_block.sign_block(b"m" * 16, now=NOW)


def test_each_signature_chains_from_the_previous_one() -> None:
    signer = _signer("ab" * 32)
    first = signer.sign(b"x" * 16, now=NOW)
    second = signer.sign(b"x" * 16, now=NOW)
    assert first.signature != second.signature  # same message and date, other previous
    sts = event_string_to_sign(NOW, "us-east-1", "sagemaker", first.signature.hex(), b"x" * 16)
    assert second.signature == _hmac(_key(SECRET, "20261123", "us-east-1", "sagemaker"), sts)


def test_scope_follows_each_frames_day() -> None:
    midnight = datetime(2026, 11, 24, tzinfo=timezone.utc)
    signer = _signer()
    before = signer.sign(b"m" * 16, now=midnight - timedelta(milliseconds=1))
    previous = signer.previous_signature
    after = signer.sign(b"m" * 16, now=midnight)
    assert before.date == midnight - timedelta(seconds=1)
    sts = event_string_to_sign(midnight, "us-east-1", "sagemaker", previous, b"m" * 16)
    assert "\n20261124/us-east-1/sagemaker/aws4_request\n" in sts
    assert after.signature == _hmac(_key(SECRET, "20261124", "us-east-1", "sagemaker"), sts)


def test_naive_now_is_utc() -> None:
    a = _signer().sign(b"m" * 16, now=NOW)
    b = _signer().sign(b"m" * 16, now=NOW.replace(tzinfo=None))
    c = _signer().sign(b"m" * 16, now=NOW.astimezone(timezone(timedelta(hours=5))))
    assert a == b == c


def test_default_clock_is_the_current_whole_second() -> None:
    before = int(time.time())
    chunk = _signer().sign(b"m" * 16)
    after = time.time()
    assert before <= chunk.date.timestamp() <= after
    assert chunk.date.microsecond == 0 and chunk.date.tzinfo is timezone.utc


def test_signer_refuses_empty_events_and_anything_after_the_end() -> None:
    signer = _signer()
    with pytest.raises(ValueError, match="sign_end"):
        signer.sign(b"")
    signer.sign_end(now=NOW)
    with pytest.raises(RuntimeError, match="ended"):
        signer.sign(b"m" * 16, now=NOW)
    with pytest.raises(RuntimeError, match="ended"):
        signer.sign_end(now=NOW)
    assert signer.count == 1


def test_headers_order_and_types() -> None:
    chunk = _signer().sign(memoryview(b"m" * 16), now=NOW)
    assert isinstance(chunk, ChunkSignature)
    assert chunk.headers == ((":chunk-signature", chunk.signature), (":date", NOW))
    assert len(chunk.signature) == 32 and isinstance(chunk.signature, bytes)


def test_reprs_hold_no_secret() -> None:
    signer = _signer()
    verifier = _verifier()
    signer.sign(b"secret payload!!", now=NOW)
    for text in (repr(signer), str(signer), repr(verifier), repr(CREDS)):
        assert SECRET not in text
        assert "secret payload" not in text
    assert repr(signer) == (
        "EventSigner(region='us-east-1', service='sagemaker', count=1, ended=False)"
    )


# --------------------------------------------------------------------------- the verifier


def _frames(count: int, seed: str = "00" * 32) -> list[tuple[dict[str, Any], bytes]]:
    signer = _signer(seed)
    out: list[tuple[dict[str, Any], bytes]] = []
    for i in range(count):
        event = _event(bytes([i]) * 4)
        out.append((dict(signer.sign(event, now=NOW).headers), event))
    out.append((dict(signer.sign_end(now=NOW).headers), b""))
    return out


def test_verifier_statuses() -> None:
    frames = _frames(2)
    headers, payload = frames[0]
    cases: list[tuple[dict[str, Any], bytes, str]] = [
        ({":date": NOW}, payload, "missing"),
        ({":chunk-signature": headers[":chunk-signature"]}, payload, "missing"),
        ({**headers, ":date": 1795000000000}, payload, "malformed"),
        ({**headers, ":date": NOW.replace(tzinfo=None)}, payload, "malformed"),
        ({**headers, ":chunk-signature": headers[":chunk-signature"][:31]}, payload, "malformed"),
        ({**headers, ":chunk-signature": headers[":chunk-signature"].hex()}, payload, "malformed"),
        ({**headers, ":date": NOW + timedelta(seconds=1)}, payload, "bad_signature"),
        (headers, payload + b"!", "bad_signature"),
        (frames[1][0], frames[1][1], "bad_signature"),  # out of order
    ]
    for bad_headers, bad_payload, status in cases:
        verifier = _verifier()
        verdict = verifier.verify(bad_headers, bad_payload, now=NOW)
        assert (verdict.status, verdict.ok) == (status, False), (bad_headers, status)
        assert verifier.failed
        # The chain cannot resume, not even with the right frame.
        assert verifier.verify(headers, payload, now=NOW).status == "broken"


def test_verifier_refuses_a_wrong_seed_key_or_scope() -> None:
    headers, payload = _frames(1)[0]
    assert _verifier("11" * 32).verify(headers, payload, now=NOW).status == "bad_signature"
    other = EventVerifier(
        "other secret", region="us-east-1", service="sagemaker", seed_signature="00" * 32
    )
    assert other.verify(headers, payload, now=NOW).status == "bad_signature"
    west = EventVerifier(SECRET, region="us-west-2", service="sagemaker", seed_signature="00" * 32)
    assert west.verify(headers, payload, now=NOW).status == "bad_signature"


def test_verifier_refuses_frames_after_the_end() -> None:
    frames = _frames(1)
    verifier = _verifier()
    assert [verifier.verify(h, p, now=NOW).status for h, p in frames] == ["ok", "end"]
    assert verifier.verify(*frames[1], now=NOW).status == "after_end"


def test_verifier_clock_skew() -> None:
    headers, payload = _frames(1)[0]
    late = NOW + timedelta(minutes=15, seconds=1)
    assert _verifier().verify(headers, payload, now=late).status == "expired"
    assert _verifier().verify(headers, payload, now=NOW - timedelta(minutes=16)).status == (
        "expired"
    )
    assert _verifier().verify(headers, payload, now=NOW + timedelta(minutes=15)).ok
    assert _verifier(max_skew=None).verify(headers, payload, now=late).ok
    # Without ``now``, the verifier's clock is the current time.
    current = datetime.now(timezone.utc)
    fresh = _signer().sign(b"m" * 16, now=current)
    assert _verifier().verify(dict(fresh.headers), b"m" * 16).ok
    stale = _signer().sign(b"m" * 16, now=current - timedelta(minutes=16))
    assert _verifier().verify(dict(stale.headers), b"m" * 16).status == "expired"


def test_verifier_accepts_a_date_with_milliseconds_hashed_as_sent() -> None:
    # Some SDKs send :date with its milliseconds: the time line drops them, the header
    # hash keeps them.
    date = NOW + timedelta(milliseconds=250)
    event = _event(b"hello")
    date_hash = hashlib.sha256(
        b"\x05:date\x08" + (int(date.timestamp() * 1000)).to_bytes(8, "big")
    ).hexdigest()
    sts = "\n".join(
        [
            "AWS4-HMAC-SHA256-PAYLOAD",
            "20261123T083015Z",
            "20261123/us-east-1/sagemaker/aws4_request",
            "00" * 32,
            date_hash,
            hashlib.sha256(event).hexdigest(),
        ]
    )
    assert event_string_to_sign(date, "us-east-1", "sagemaker", "00" * 32, event) == sts
    signature = _hmac(_key(SECRET, "20261123", "us-east-1", "sagemaker"), sts)
    headers = {":chunk-signature": signature, ":date": date}
    assert _verifier().verify(headers, event, now=NOW).status == "ok"
    whole = {":chunk-signature": signature, ":date": NOW}
    assert _verifier().verify(whole, event, now=NOW).status == "bad_signature"
