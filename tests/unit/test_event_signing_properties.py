"""Property tests: a verifier written here from the procedure accepts every chain the
signer produces, and refuses the chain once any frame is modified.

The reference verifier follows tests/vectors/event-signing/SOURCE.md with hashlib,
hmac and int.to_bytes only; it shares no code with aiosagemaker_runtime._auth (frames
are decoded with the event-stream codec, which has its own tests).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiosagemaker_runtime import EventStreamError
from aiosagemaker_runtime._auth.credentials import Credentials
from aiosagemaker_runtime._auth.event_signing import EventSigner, EventVerifier
from aiosagemaker_runtime._protocol.eventstream import (
    EventStreamDecoder,
    HeaderValue,
    encode_message,
)

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- reference


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _reference_accepts(stream: bytes, secret: str, region: str, service: str, seed: str) -> bool:
    """Whether ``stream`` (the request body) is a valid signed event chain."""
    try:
        decoder = EventStreamDecoder()
        frames = decoder.feed(stream)
        decoder.finish()
    except EventStreamError:
        return False
    if not frames or frames[-1].payload != b"":
        return False  # the input must end with the empty signed frame
    previous = seed
    for index, frame in enumerate(frames):
        if set(frame.headers) != {":date", ":chunk-signature"}:
            return False
        date, signature = frame.headers[":date"], frame.headers[":chunk-signature"]
        if not isinstance(date, datetime) or not isinstance(signature, bytes):
            return False
        if frame.payload == b"" and index != len(frames) - 1:
            return False  # nothing may follow the end
        millis = (date - EPOCH) // timedelta(milliseconds=1)
        whole = EPOCH + timedelta(seconds=millis // 1000)
        stamp = whole.strftime("%Y%m%dT%H%M%SZ")
        day = stamp[:8]
        # The :date header as encoded on the wire: name length, name, type 8, int64 ms.
        date_header = bytes([5]) + b":date" + bytes([8]) + millis.to_bytes(8, "big", signed=True)
        string_to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                stamp,
                f"{day}/{region}/{service}/aws4_request",
                previous,
                hashlib.sha256(date_header).hexdigest(),
                hashlib.sha256(frame.payload).hexdigest(),
            ]
        )
        key = _hmac(f"AWS4{secret}".encode(), day.encode())
        key = _hmac(key, region.encode())
        key = _hmac(key, service.encode())
        key = _hmac(key, b"aws4_request")
        expected = _hmac(key, string_to_sign.encode())
        if not hmac.compare_digest(expected, signature):
            return False
        previous = expected.hex()
    return True


# --------------------------------------------------------------------------- strategies

names = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)
regions = st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1"])
services = st.sampled_from(["sagemaker", "bedrock", "transcribe"])
secrets = st.text(min_size=1, max_size=40)
seeds = st.binary(min_size=32, max_size=32).map(bytes.hex)
# Encoded input events (what the protocol layer hands the signer), varied payloads.
events = st.tuples(st.sampled_from(["UTF8", "BINARY"]), st.binary(min_size=0, max_size=200)).map(
    lambda dp: encode_message(
        [
            (":message-type", "event"),
            (":event-type", "PayloadPart"),
            ("DataType", dp[0]),
        ],
        dp[1],
    )
)
# A start time anywhere from 1971 to 2100, then non-decreasing steps: sub-second, whole
# seconds, and across days (the scope and key change at midnight UTC).
starts = st.integers(min_value=365 * 86400 * 10**6, max_value=4_102_444_800 * 10**6).map(
    lambda us: EPOCH + timedelta(microseconds=us)
)
steps = st.one_of(
    st.integers(0, 999_999), st.integers(0, 120 * 10**6), st.integers(0, 2 * 86400 * 10**6)
).map(lambda us: timedelta(microseconds=us))


@dataclass
class Chain:
    secret: str
    region: str
    service: str
    seed: str
    frames: list[tuple[list[tuple[str, HeaderValue]], bytes]]

    def stream(self) -> bytes:
        return b"".join(encode_message(headers, payload) for headers, payload in self.frames)

    def ours_accept(self) -> bool:
        """Whether the library's EventVerifier accepts the chain."""
        verifier = EventVerifier(
            self.secret,
            region=self.region,
            service=self.service,
            seed_signature=self.seed,
            max_skew=None,
        )
        decoder = EventStreamDecoder()
        try:
            frames = decoder.feed(self.stream())
        except EventStreamError:
            return False
        for frame in frames:
            if not verifier.verify(frame.headers, frame.payload).ok:
                return False
        return verifier.ended


@st.composite
def chains(draw: st.DrawFn) -> Chain:
    secret, region, service, seed = draw(secrets), draw(regions), draw(services), draw(seeds)
    signer = EventSigner(
        Credentials("AKID", secret), region=region, service=service, seed_signature=seed
    )
    now = draw(starts)
    frames: list[tuple[list[tuple[str, HeaderValue]], bytes]] = []
    for event in draw(st.lists(events, max_size=8)):
        now += draw(steps)
        frames.append((list(signer.sign(event, now=now).headers), event))
    now += draw(steps)
    frames.append((list(signer.sign_end(now=now).headers), b""))
    return Chain(secret, region, service, seed, frames)


# --------------------------------------------------------------------------- properties


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(chain=chains())
def test_reference_verifier_accepts_every_chain(chain: Chain) -> None:
    assert _reference_accepts(chain.stream(), chain.secret, chain.region, chain.service, chain.seed)
    assert chain.ours_accept()


MUTATIONS = ["payload", "date", "signature", "swap", "drop", "duplicate", "seed", "secret"]


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(chain=chains(), mutation=st.sampled_from(MUTATIONS), data=st.data())
def test_any_modified_frame_is_refused(chain: Chain, mutation: str, data: st.DataObject) -> None:
    frames = chain.frames
    index = data.draw(st.integers(0, len(frames) - 1), label="frame")
    headers, payload = frames[index]
    values = dict(headers)
    if mutation == "payload":
        if payload:
            at = data.draw(st.integers(0, len(payload) - 1), label="byte")
            bit = 1 << data.draw(st.integers(0, 7), label="bit")
            payload = payload[:at] + bytes([payload[at] ^ bit]) + payload[at + 1 :]
        else:
            payload = data.draw(st.binary(min_size=1, max_size=4), label="added")
        frames[index] = (headers, payload)
    elif mutation == "date":
        delta = data.draw(
            st.one_of(st.integers(1, 999), st.integers(1, 10**9)).map(
                lambda ms: timedelta(milliseconds=ms)
            ),
            label="delta",
        )
        date = values[":date"]
        assert isinstance(date, datetime)
        values[":date"] = date + delta if data.draw(st.booleans(), label="later") else date - delta
        frames[index] = (list(values.items()), payload)
    elif mutation == "signature":
        signature = values[":chunk-signature"]
        assert isinstance(signature, bytes)
        at = data.draw(st.integers(0, 31), label="byte")
        bit = 1 << data.draw(st.integers(0, 7), label="bit")
        values[":chunk-signature"] = (
            signature[:at] + bytes([signature[at] ^ bit]) + signature[at + 1 :]
        )
        frames[index] = (list(values.items()), payload)
    elif mutation == "swap":
        if len(frames) < 2:
            frames.reverse()
            frames.append(frames[0])  # the end frame first, then again: still refused
        else:
            other = data.draw(
                st.integers(0, len(frames) - 1).filter(lambda i: i != index), label="other"
            )
            frames[index], frames[other] = frames[other], frames[index]
    elif mutation == "drop":
        del frames[index]
    elif mutation == "duplicate":
        frames.insert(index, frames[index])
    elif mutation == "seed":
        chain.seed = bytes(b ^ 1 for b in bytes.fromhex(chain.seed)).hex()
    elif mutation == "secret":
        chain.secret += "x"
    assert not _reference_accepts(
        chain.stream(), chain.secret, chain.region, chain.service, chain.seed
    ), mutation
    assert not chain.ours_accept(), mutation
