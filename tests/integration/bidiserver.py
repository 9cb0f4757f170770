"""SageMaker's ``InvokeEndpointWithBidirectionalStream`` as a handler of the test h2 server.

It checks what the service checks: the request's SigV4 signature (a bad one: 403
``InvalidSignatureException``), then every frame of the input, decoded from the DATA as
it arrives and verified in order with the chain seeded by the request's signature
(``EventVerifier``), the final empty frame included. What a stream does is chosen by
the endpoint name in ``/endpoints/{name}/invocations-bidirectional-stream``:

* ``echo`` (and any name not below): 200 at once (``x-amzn-invoked-production-variant:
  AllTraffic``), each input part answered with an output ``PayloadPart`` (same bytes,
  ``DataType`` and ``CompletionState``) as it arrives; the output ends when the input does;
* ``status-400``, ``status-424``, ``status-500``, ``status-503``: the service's error for
  that status (``InputValidationError``, ``ModelError``, ``InternalServerError``,
  ``ServiceUnavailableError``) with every modeled field; ``once-503``: that error for
  the first stream of this name only, then ``echo``; ``refuse-once``: the first stream
  is reset with ``REFUSED_STREAM`` before any headers, then ``echo``;
* after the first input part: ``model-stream-error`` (a ``ModelStreamError`` event with
  ``ErrorCode``), ``internal-failure`` (``InternalStreamFailure``), ``error-event`` (an
  unmodeled ``:message-type error``), ``corrupt`` (a frame whose CRC does not match),
  ``truncate`` (half a frame, then the end of the stream).

Every stream is recorded (:class:`BidiRecord`): the request verdict, each frame's
verdict, the decoded input events and their signatures.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiosagemaker_runtime._auth.event_signing import EventVerifier
from aiosagemaker_runtime._auth.verify import verify_request
from aiosagemaker_runtime._protocol.eventstream import EventStreamDecoder, Message, encode_message

from .h2server import StreamRecord

__all__ = ["ACCESS_KEY", "REGION", "SECRET_KEY", "BidiEndpoint", "BidiRecord"]

ACCESS_KEY = "AKIDBIDITEST"
SECRET_KEY = "bidi-secret-key"
REGION = "us-east-1"
SERVICE = "sagemaker"
SUFFIX = "/invocations-bidirectional-stream"

ERRORS: dict[int, tuple[str, dict[str, Any]]] = {
    400: ("InputValidationError", {"Message": "bad input", "ErrorCode": "Validation.Bad"}),
    424: (
        "ModelError",
        {
            "Message": "the model failed",
            "OriginalStatusCode": 500,
            "OriginalMessage": "boom",
            "LogStreamArn": "arn:aws:logs:us-east-1:123456789012:log-group:/x",
            "ErrorCode": "Model.Failed",
        },
    ),
    500: ("InternalServerError", {"Message": "oops", "ErrorCode": "Internal.Oops"}),
    503: ("ServiceUnavailableError", {"Message": "busy", "ErrorCode": "Unavailable.Busy"}),
}


@dataclass
class BidiRecord:
    """One stream as the endpoint saw it."""

    name: str
    request_status: str = ""
    request_signature: str = ""
    verdicts: list[str] = field(default_factory=list)
    """``EventVerifier`` status of each frame, in order (``"end"`` for the final one)."""
    inputs: list[Message] = field(default_factory=list)
    """The decoded input events (the signed frames' payloads)."""
    signatures: list[bytes] = field(default_factory=list)
    decoder: EventStreamDecoder = field(default_factory=EventStreamDecoder, repr=False)
    verifier: EventVerifier | None = field(default=None, repr=False)


class BidiEndpoint:
    """The handler (see the module docstring); ``records`` in the order streams started."""

    def __init__(self) -> None:
        self.records: list[BidiRecord] = []
        self._by_stream: dict[tuple[int, int], BidiRecord] = {}
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    # -- the StreamHandler protocol -----------------------------------------------------

    def accepts(self, record: StreamRecord) -> bool:
        return record.action.startswith("/endpoints/") and record.action.endswith(SUFFIX)

    def start(self, conn: Any, record: StreamRecord) -> None:
        name = record.action[len("/endpoints/") : -len(SUFFIX)]
        bidi = BidiRecord(name)
        with self._lock:
            self._seen[name] = seen = self._seen.get(name, 0) + 1
            self._by_stream[(conn.number, record.stream_id)] = bidi
        with conn.server.changed:
            self.records.append(bidi)
            conn.server.changed.notify_all()
        sid = record.stream_id
        headers = dict(record.headers)
        fields = [(k, v) for k, v in record.headers if not k.startswith(":")]
        fields.append(("host", headers[":authority"]))
        path, _, query = headers[":path"].partition("?")
        result = verify_request(
            "POST",
            path,
            query,
            fields,
            b"",
            lambda key: SECRET_KEY if key == ACCESS_KEY else None,
            region=REGION,
            service=SERVICE,
        )
        bidi.request_status, bidi.request_signature = result.status, result.signature
        if result.status != "ok":
            self._error(conn, sid, 403, "InvalidSignatureException", {"message": result.message})
            return
        bidi.verifier = EventVerifier(
            SECRET_KEY,
            region=REGION,
            service=SERVICE,
            seed_signature=result.signature,
            max_skew=timedelta(minutes=5),
        )
        if name == "refuse-once" and seen == 1:
            conn.h2.reset_stream(sid, 7)  # REFUSED_STREAM: not processed
            return
        status = int(name[-3:]) if name.startswith("status-") else 0
        if name == "once-503" and seen == 1:
            status = 503
        if status:
            code, body = ERRORS[status]
            self._error(conn, sid, status, code, body)
            return
        conn.h2.send_headers(
            sid,
            [
                (":status", "200"),
                ("content-type", "application/vnd.amazon.eventstream"),
                ("x-amzn-invoked-production-variant", "AllTraffic"),
                ("x-amzn-requestid", f"bidi-{len(self.records)}"),
            ],
        )

    def data(self, conn: Any, record: StreamRecord, data: bytes) -> None:
        bidi = self._by_stream.get((conn.number, record.stream_id))
        if bidi is None or bidi.verifier is None:
            return
        sid = record.stream_id
        for frame in bidi.decoder.feed(data):
            verdict = bidi.verifier.verify(frame.headers, frame.payload)
            signature = frame.headers.get(":chunk-signature")
            with conn.server.changed:
                bidi.verdicts.append(verdict.status)
                if isinstance(signature, bytes):
                    bidi.signatures.append(signature)
                conn.server.changed.notify_all()
            if not verdict.ok:
                self._event_error(conn, sid, "InvalidSignatureException", verdict.message)
                return
            if verdict.status == "end":
                continue
            (event,) = EventStreamDecoder().feed(frame.payload)
            with conn.server.changed:
                bidi.inputs.append(event)
                conn.server.changed.notify_all()
            self._answer(conn, sid, bidi.name, event)

    def end(self, conn: Any, record: StreamRecord) -> None:
        bidi = self._by_stream.get((conn.number, record.stream_id))
        if bidi is not None and bidi.verifier is not None:
            conn.respond(record.stream_id, b"", end=True)

    # -- answers ---------------------------------------------------------------------------

    def _answer(self, conn: Any, sid: int, name: str, event: Message) -> None:
        if name == "model-stream-error":
            body = {"Message": "the model stream failed", "ErrorCode": "ModelStream.Broken"}
            frame = encode_message(
                [
                    (":message-type", "exception"),
                    (":exception-type", "ModelStreamError"),
                    (":content-type", "application/json"),
                ],
                json.dumps(body).encode(),
            )
            conn.respond(sid, frame, end=True)
        elif name == "internal-failure":
            frame = encode_message(
                [
                    (":message-type", "exception"),
                    (":exception-type", "InternalStreamFailure"),
                    (":content-type", "application/json"),
                ],
                b'{"Message": "internal"}',
            )
            conn.respond(sid, frame, end=True)
        elif name == "error-event":
            self._event_error(conn, sid, "ThrottlingException", "slow down")
        elif name == "corrupt":
            frame = bytearray(self._part(event))
            frame[-1] ^= 0xFF
            conn.respond(sid, bytes(frame))
        elif name == "truncate":
            frame = self._part(event)
            conn.respond(sid, frame[: len(frame) // 2], end=True)
        else:
            conn.respond(sid, self._part(event))

    @staticmethod
    def _part(event: Message) -> bytes:
        headers: list[tuple[str, Any]] = [
            (":message-type", "event"),
            (":event-type", "PayloadPart"),
            (":content-type", "application/octet-stream"),
        ]
        for name in ("DataType", "CompletionState"):
            value = event.headers.get(name)
            if value is not None:
                headers.append((name, value))
        return encode_message(headers, event.payload)

    @staticmethod
    def _event_error(conn: Any, sid: int, code: str, message: str) -> None:
        frame = encode_message(
            [(":message-type", "error"), (":error-code", code), (":error-message", message)]
        )
        conn.respond(sid, frame, end=True)

    @staticmethod
    def _error(conn: Any, sid: int, status: int, code: str, body: dict[str, Any]) -> None:
        conn.h2.send_headers(
            sid,
            [
                (":status", str(status)),
                ("content-type", "application/json"),
                ("x-amzn-errortype", f"{code}:http://internal.amazon.com/"),
                ("x-amzn-requestid", f"error-{status}"),
            ],
        )
        conn.respond(sid, json.dumps(body).encode(), end=True)
