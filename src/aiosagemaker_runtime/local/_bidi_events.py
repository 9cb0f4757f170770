"""The wire of a bidirectional exchange, sans-IO but for ASGI ``receive``: the input
parts read out of the request body's signed frames (:class:`InputReader`), and the
output events (:func:`payload_parts`, :func:`exception_event`).

The request body is a series of event-stream frames. With credentials, each is a signed
frame (``:date``, ``:chunk-signature``, checked in order by an
:class:`~aiosagemaker_runtime._auth.event_signing.EventVerifier`) whose payload is one
encoded ``PayloadPart`` event, then an empty signed frame ends the input; END_STREAM
must come after it. Without credentials nothing is checked: signed frames are unwrapped
and unsigned ``PayloadPart`` events taken as they are, and END_STREAM ends the input.
What fails is raised as :class:`InputRefused`, whose ``error_code`` is the ``ErrorCode``
of the ``InputValidationError`` event that answers it.
"""

from __future__ import annotations

import json
from collections import deque
from typing import NamedTuple

from .._auth.event_signing import SIGNATURE_HEADER, EventVerifier
from .._exceptions import EventStreamError
from .._protocol.eventstream import EventStreamDecoder, HeaderValue, Message, encode_message
from ._asgi import Receive

__all__ = [
    "ClientGone",
    "InputReader",
    "InputRefused",
    "Part",
    "exception_event",
    "payload_parts",
]

_DATA_TYPES = frozenset({"UTF8", "BINARY"})
_COMPLETION_STATES = frozenset({"PARTIAL", "COMPLETE"})
#: Output parts larger than this are cut (as the response-stream operation cuts its own).
_MAX_PART = 1024 * 1024
_SIGNATURE_CODES = {
    "missing": "IncompleteSignatureException",
    "malformed": "IncompleteSignatureException",
    "after_end": "ValidationError",
}


class Part(NamedTuple):
    """One input part: its bytes and its ``DataType``/``CompletionState`` headers."""

    data: bytes
    data_type: str | None
    completion: str | None


class InputRefused(Exception):
    """The input failed: answered with an ``InputValidationError`` event."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


class ClientGone(Exception):
    """The caller reset the stream or closed the connection."""


class InputReader:
    """The parts of the request body, decoded (and verified) as its DATA arrives."""

    def __init__(self, receive: Receive, verifier: EventVerifier | None) -> None:
        self._receive = receive
        self._verifier = verifier
        self._decoder = EventStreamDecoder()
        self._parts: deque[Part] = deque()
        self._error: InputRefused | None = None
        self._end_frame = False  # the empty signed frame was received
        self._done = False  # END_STREAM was received

    async def next(self) -> Part | None:
        """The next part; ``None`` at the end of the input. Raises :class:`InputRefused`
        (after the parts that came before the failure) or :class:`ClientGone`."""
        while not self._parts:
            if self._error is not None:
                raise self._error
            if self._done:
                return None
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            try:
                body = message.get("body", b"")
                if body:
                    for frame in self._decoder.feed(body):
                        self._take(frame)
                if not message.get("more_body", False):
                    self._done = True
                    self._decoder.finish()
                    if self._verifier is not None and not self._end_frame:
                        raise InputRefused(
                            "IncompleteSignatureException",
                            "The input ended without its final signed frame.",
                        )
            except EventStreamError as error:
                self._error = InputRefused("ValidationError", f"Malformed input frame: {error}")
            except InputRefused as error:
                self._error = error
        return self._parts.popleft()

    async def wait_gone(self) -> None:
        """Return when the caller goes away (the input having ended)."""
        while (await self._receive())["type"] != "http.disconnect":
            pass

    def _take(self, frame: Message) -> None:
        if self._error is not None:
            return
        if self._end_frame and self._verifier is None:
            raise InputRefused(
                "ValidationError", "An event was received after the end of the input."
            )
        if self._verifier is not None:
            verdict = self._verifier.verify(frame.headers, frame.payload)
            if not verdict.ok:
                code = _SIGNATURE_CODES.get(verdict.status, "InvalidSignatureException")
                raise InputRefused(code, verdict.message + ".")
            if verdict.status == "end":
                self._end_frame = True
                return
            inner = frame.payload
        elif SIGNATURE_HEADER in frame.headers:  # signed, though nothing checks it here
            if not frame.payload:
                self._end_frame = True
                return
            inner = frame.payload
        else:
            self._parts.append(payload_part_of(frame))
            return
        decoder = EventStreamDecoder()
        try:
            events = decoder.feed(inner)
        except EventStreamError as error:
            raise InputRefused("ValidationError", f"Malformed event in a frame: {error}") from None
        if len(events) != 1 or decoder.buffered:
            raise InputRefused("ValidationError", "A signed frame must carry exactly one event.")
        self._parts.append(payload_part_of(events[0]))


def payload_part_of(event: Message) -> Part:
    headers = event.headers
    kind = headers.get(":message-type", "event")
    event_type = headers.get(":event-type")
    if kind != "event" or event_type != "PayloadPart":
        raise InputRefused(
            "ValidationError",
            f"Unknown input event: :message-type {kind!s}, :event-type {event_type!s}.",
        )
    data_type = _text_header(headers, "DataType", _DATA_TYPES)
    completion = _text_header(headers, "CompletionState", _COMPLETION_STATES)
    return Part(event.payload, data_type, completion)


def _text_header(headers: dict[str, HeaderValue], name: str, allowed: frozenset[str]) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise InputRefused(
            "ValidationError",
            f"Value at '{name}' failed to satisfy constraint: Member must be one of "
            f"{', '.join(sorted(allowed))}.",
        )
    return value


def payload_parts(data: bytes, data_type: str | None, completion: str | None) -> list[bytes]:
    """``data`` as ``PayloadPart`` events (several, the first ones ``PARTIAL``, when it
    is larger than :data:`_MAX_PART`)."""
    pieces = [data[i : i + _MAX_PART] for i in range(0, len(data), _MAX_PART)] or [b""]
    frames = []
    for index, piece in enumerate(pieces):
        state = completion if index == len(pieces) - 1 else "PARTIAL"
        headers: list[tuple[str, HeaderValue]] = [(":event-type", "PayloadPart")]
        if piece:
            headers.append((":content-type", "application/octet-stream"))
        headers.append((":message-type", "event"))
        if data_type is not None:
            headers.append(("DataType", data_type))
        if state is not None:
            headers.append(("CompletionState", state))
        frames.append(encode_message(headers, piece))
    return frames


def exception_event(exception_type: str, error_code: str, message: str) -> bytes:
    headers = (
        (":exception-type", exception_type),
        (":content-type", "application/json"),
        (":message-type", "exception"),
    )
    body = json.dumps({"ErrorCode": error_code, "Message": message}).encode("utf-8")
    return encode_message(headers, body)
