"""Event-stream message signing (SigV4 for event-stream input over HTTP/2), sans-IO.

The procedure, as AWS SDKs apply it:

1. The HTTP request is signed with ordinary SigV4, with the payload hash replaced by
   :data:`STREAMING_EVENTS_PAYLOAD`, sent and signed as ``X-Amz-Content-SHA256``
   (:func:`sign_event_stream_request`). Its signature seeds the chain.
2. Each input event, already encoded as a whole event-stream message M, is sent as the
   payload of an outer frame whose headers are ``:chunk-signature`` (bytes: the 32 bytes
   of the signature) and ``:date`` (a timestamp header, whole seconds).
3. The string to sign is ``AWS4-HMAC-SHA256-PAYLOAD``, the ISO 8601 basic time, the
   credential scope, the previous signature (hex), hex(sha256(encoded ``:date``
   header)) and hex(sha256(M)), joined by ``\\n``; the signature is its HMAC-SHA256
   under the SigV4 signing key of that date, region and service, and becomes the
   previous signature of the next frame.
4. The input ends with one more signed frame whose payload is empty.

This module computes the ``:date`` and ``:chunk-signature`` values
(:class:`EventSigner`) and checks them (:class:`EventVerifier`, for the local
endpoint); it does not build frames: the event-stream codec does, from
:attr:`ChunkSignature.headers`, or from the header block :meth:`EventSigner.sign_block`
returns already encoded (the two headers' encodings are fixed: a ``:date`` of whole
seconds is encoded once a second, :func:`encode_date_header`). The signing key and its
HMAC pads are derived once a day per chain; a frame costs a SHA-256 of the event and
one HMAC. Frames must be sent in the order they were signed. Nothing here shows a
secret or a payload in a ``repr``.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, NamedTuple

from .._http import HTTPRequest
from .canonical import _pads, credential_scope, signing_key
from .credentials import Credentials
from .sigv4 import sign_request

__all__ = [
    "DATE_HEADER",
    "EVENT_ALGORITHM",
    "SIGNATURE_HEADER",
    "STREAMING_EVENTS_PAYLOAD",
    "ChunkSignature",
    "ChunkVerdict",
    "EventSigner",
    "EventVerifier",
    "encode_date_header",
    "event_string_to_sign",
    "sign_event_stream_request",
]

#: The payload hash (and ``X-Amz-Content-SHA256`` value) of a request with signed
#: event-stream input.
STREAMING_EVENTS_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-EVENTS"
#: First line of an event's string to sign.
EVENT_ALGORITHM = "AWS4-HMAC-SHA256-PAYLOAD"
DATE_HEADER = ":date"
SIGNATURE_HEADER = ":chunk-signature"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)
_MILLISECOND = timedelta(milliseconds=1)
# name length (5), ":date", value type 8 (timestamp); then int64 milliseconds.
_DATE_HEADER_PREFIX = b"\x05:date\x08"
_I64 = struct.Struct(">q")
# name length (16), ":chunk-signature", value type 6 (bytes), length 32; then the bytes.
_SIGNATURE_HEADER_PREFIX = b"\x10:chunk-signature\x06\x00\x20"
_SIGNATURE_LENGTH = 32
_DEFAULT_SKEW = timedelta(minutes=15)


def encode_date_header(millis: int) -> bytes:
    """The event-stream encoding of a ``:date`` header of ``millis`` since the epoch."""
    return _DATE_HEADER_PREFIX + _I64.pack(millis)


def _amz_date(seconds: int) -> str:
    return "%04d%02d%02dT%02d%02d%02dZ" % time.gmtime(seconds)[:6]  # noqa: UP031


def _millis(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - _EPOCH) // _MILLISECOND


def event_string_to_sign(
    date: datetime,
    region: str,
    service: str,
    previous_signature: str,
    message: bytes | bytearray | memoryview,
) -> str:
    """The string to sign of ``message`` (an encoded event, or ``b""`` for the end).

    ``date`` is the ``:date`` header's value, hashed as sent (milliseconds); the time
    line and the scope use its whole seconds. Naive values are taken as UTC.
    """
    millis = _millis(date)
    amz_date = _amz_date(millis // 1000)
    date_hash = hashlib.sha256(encode_date_header(millis)).hexdigest()
    return (
        f"{EVENT_ALGORITHM}\n{amz_date}\n{credential_scope(amz_date[:8], region, service)}\n"
        f"{previous_signature}\n{date_hash}\n{hashlib.sha256(message).hexdigest()}"
    )


class ChunkSignature(NamedTuple):
    """The two headers of one signed frame: ``:date`` and ``:chunk-signature``."""

    #: Timezone-aware UTC, whole seconds: sent as a timestamp header.
    date: datetime
    #: The 32 signature bytes: sent as a bytes header.
    signature: bytes

    @property
    def headers(self) -> tuple[tuple[str, bytes | datetime], ...]:
        """``((":chunk-signature", signature), (":date", date))``, for the frame encoder."""
        return ((SIGNATURE_HEADER, self.signature), (DATE_HEADER, self.date))


class _Second(NamedTuple):
    """What every frame signed in one second shares."""

    seconds: int
    day: str
    head: bytes  # algorithm, time and scope lines, each ending in "\n"
    date_hash: str
    date: datetime
    #: The encoded ``:date`` header (whole seconds), as signed frames carry it.
    date_header: bytes
    #: HMAC-SHA256 of the day's signing key: the inner and outer pads, hashed.
    pads: tuple[Any, Any]


class _Chain:
    """The state shared by the signer and the verifier: key, scope, previous signature."""

    __slots__ = ("_previous", "_region", "_second", "_secret", "_service", "count", "ended")

    def __init__(self, secret_key: str, region: str, service: str, seed_signature: str) -> None:
        self._secret = secret_key
        self._region = region
        self._service = service
        self._previous = seed_signature
        self._second: _Second | None = None
        #: Frames signed (or accepted) so far, the end frame included.
        self.count = 0
        #: Whether the end frame has been signed (or accepted).
        self.ended = False

    @property
    def previous_signature(self) -> str:
        """The hex signature the next frame chains from (the seed before any frame)."""
        return self._previous

    def _at(self, seconds: int) -> _Second:
        second = self._second
        if second is None or second.seconds != seconds:
            amz_date = _amz_date(seconds)
            day = amz_date[:8]
            if second is not None and second.day == day:
                pads = second.pads  # the key is the day's: derived once a day
            else:
                pads = _pads(signing_key(self._secret, day, self._region, self._service))
            date_header = encode_date_header(seconds * 1000)
            second = _Second(
                seconds,
                day,
                f"{EVENT_ALGORITHM}\n{amz_date}\n"
                f"{credential_scope(day, self._region, self._service)}\n".encode(),
                hashlib.sha256(date_header).hexdigest(),
                _EPOCH + seconds * _SECOND,
                date_header,
                pads,
            )
            self._second = second
        return second

    def _compute(
        self, second: _Second, date_hash: str, message: bytes | bytearray | memoryview
    ) -> bytes:
        """The signature (32 bytes) of ``message`` chained from the previous one."""
        tail = f"{self._previous}\n{date_hash}\n{hashlib.sha256(message).hexdigest()}"
        inner_pad, outer_pad = second.pads
        inner = inner_pad.copy()
        inner.update(second.head)
        inner.update(tail.encode())
        outer = outer_pad.copy()
        outer.update(inner.digest())
        digest: bytes = outer.digest()
        return digest

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(region={self._region!r}, service={self._service!r}, "
            f"count={self.count}, ended={self.ended})"
        )


class EventSigner(_Chain):
    """Signs the input events of one request, in order, chaining from its signature.

    ``seed_signature`` is the request's SigV4 signature (hex), as returned by
    :func:`sign_event_stream_request` or ``sign_request``. Sign each encoded event
    with :meth:`sign` (or :meth:`sign_block`) in the order the frames are sent, then
    :meth:`sign_end` (or :meth:`sign_end_block`).
    """

    __slots__ = ()

    def __init__(
        self, credentials: Credentials, *, region: str, service: str, seed_signature: str
    ) -> None:
        super().__init__(credentials.secret_key, region, service, seed_signature)

    def sign(
        self, message: bytes | bytearray | memoryview, *, now: datetime | None = None
    ) -> ChunkSignature:
        """Sign one encoded event; ``now`` (naive = UTC) defaults to the current time."""
        if not message:
            raise ValueError("An empty payload is the end of the input: use sign_end()")
        second, signature = self._sign(message, now)
        return ChunkSignature(second.date, signature)

    def sign_end(self, *, now: datetime | None = None) -> ChunkSignature:
        """Sign the final, empty frame; nothing can be signed after it."""
        second, signature = self._sign(b"", now)
        self.ended = True
        return ChunkSignature(second.date, signature)

    def sign_block(
        self, message: bytes | bytearray | memoryview, *, now: datetime | None = None
    ) -> bytes:
        """Sign one encoded event, as :meth:`sign`; the signed frame's header block
        (``:chunk-signature``, ``:date``), encoded, for
        :func:`~aiosagemaker_runtime._protocol.eventstream.encode_frame`."""
        if not message:
            raise ValueError("An empty payload is the end of the input: use sign_end()")
        second, signature = self._sign(message, now)
        return _SIGNATURE_HEADER_PREFIX + signature + second.date_header

    def sign_end_block(self, *, now: datetime | None = None) -> bytes:
        """:meth:`sign_end` as the final frame's encoded header block."""
        second, signature = self._sign(b"", now)
        self.ended = True
        return _SIGNATURE_HEADER_PREFIX + signature + second.date_header

    def _sign(
        self, message: bytes | bytearray | memoryview, now: datetime | None
    ) -> tuple[_Second, bytes]:
        if self.ended:
            raise RuntimeError("The event stream's input has already ended")
        seconds = int(time.time()) if now is None else _millis(now) // 1000
        second = self._at(seconds)
        signature = self._compute(second, second.date_hash, message)
        self._previous = signature.hex()
        self.count += 1
        return second, signature


def sign_event_stream_request(
    request: HTTPRequest,
    credentials: Credentials,
    *,
    region: str,
    service: str,
    now: datetime | None = None,
) -> EventSigner:
    """Sign ``request`` for event-stream input; return the signer of its events.

    The request gets ``X-Amz-Content-SHA256: STREAMING-AWS4-HMAC-SHA256-EVENTS`` (signed,
    and standing for the payload hash), ``X-Amz-Date``, the token and ``Authorization``;
    signing again (a retry) replaces them, and needs a new signer.
    """
    seed = sign_request(
        request,
        credentials,
        region=region,
        service=service,
        payload_sha256=STREAMING_EVENTS_PAYLOAD,
        now=now,
        content_sha256_header=True,
    )
    return EventSigner(credentials, region=region, service=service, seed_signature=seed)


# --------------------------------------------------------------------------- verifying

ChunkStatus = Literal[
    "ok", "end", "missing", "malformed", "bad_signature", "expired", "after_end", "broken"
]


class ChunkVerdict(NamedTuple):
    """Outcome of :meth:`EventVerifier.verify`.

    ``status``: ``"ok"`` (an event), ``"end"`` (the final empty frame), ``"missing"``
    (no ``:date`` or ``:chunk-signature``), ``"malformed"`` (wrong header types or
    signature length), ``"bad_signature"``, ``"expired"`` (``:date`` too far from the
    verifier's clock), ``"after_end"`` (a frame after the end) or ``"broken"`` (an
    earlier frame failed: the chain cannot be resumed). ``message`` is safe to send back.
    """

    status: ChunkStatus
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok" or self.status == "end"


_BROKEN = ChunkVerdict("broken", "An earlier event failed verification")


class EventVerifier(_Chain):
    """Checks the signed frames of one request's input, in order (the server side).

    ``seed_signature`` is the verified request's signature (``verify.VerifyResult.signature``);
    ``secret_key``, ``region`` and ``service`` those it was verified with. Each frame's
    ``:date`` is hashed as received (whole seconds or not); ``max_skew`` bounds its
    distance from the clock (``None``: not checked). After a failure every later frame
    is refused.
    """

    __slots__ = ("_failed", "_max_skew")

    def __init__(
        self,
        secret_key: str,
        *,
        region: str,
        service: str,
        seed_signature: str,
        max_skew: timedelta | None = _DEFAULT_SKEW,
    ) -> None:
        super().__init__(secret_key, region, service, seed_signature)
        self._max_skew = max_skew
        self._failed = False

    def verify(
        self,
        headers: Mapping[str, object],
        payload: bytes | bytearray | memoryview,
        *,
        now: datetime | None = None,
    ) -> ChunkVerdict:
        """Check one received frame (its decoded headers and payload) and advance."""
        if self._failed:
            return _BROKEN
        verdict = self._check(headers, payload, now)
        if not verdict.ok:
            self._failed = True
        return verdict

    def _check(
        self,
        headers: Mapping[str, object],
        payload: bytes | bytearray | memoryview,
        now: datetime | None,
    ) -> ChunkVerdict:
        if self.ended:
            return ChunkVerdict("after_end", "An event was received after the end of the input")
        date = headers.get(DATE_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        if date is None or signature is None:
            return ChunkVerdict("missing", "An event lacks :date or :chunk-signature")
        if not isinstance(date, datetime) or date.tzinfo is None:
            return ChunkVerdict("malformed", ":date is not a timestamp header")
        if not isinstance(signature, bytes) or len(signature) != _SIGNATURE_LENGTH:
            return ChunkVerdict("malformed", ":chunk-signature is not 32 bytes")
        if self._max_skew is not None:
            current = now if now is not None else datetime.now(timezone.utc)
            if current.tzinfo is None:
                current = current.replace(tzinfo=timezone.utc)
            if abs(date - current) > self._max_skew:
                return ChunkVerdict("expired", "The event's :date is too far from the time")
        millis = _millis(date)
        second = self._at(millis // 1000)
        date_hash = (
            second.date_hash
            if millis % 1000 == 0
            else hashlib.sha256(encode_date_header(millis)).hexdigest()
        )
        expected = self._compute(second, date_hash, payload)
        if not hmac.compare_digest(expected, signature):
            return ChunkVerdict("bad_signature", "The event signature does not match")
        self._previous = expected.hex()
        self.count += 1
        if not payload:
            self.ended = True
            return ChunkVerdict("end")
        return ChunkVerdict("ok")

    @property
    def failed(self) -> bool:
        """Whether a frame was refused (every later one is)."""
        return self._failed
