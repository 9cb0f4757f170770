"""Re-framing of streamed bytes into lines and server-sent events, sans-IO.

A model's response stream arrives as parts whose boundaries are arbitrary: a part may
end inside a line, between ``\\r`` and ``\\n`` or inside a UTF-8 sequence. These
decoders take the parts' bytes in order and return whole lines or whole events, the
same for every split of the same bytes.

* :class:`LineDecoder`: lines end at ``\\n``; a ``\\r`` just before the ``\\n`` is part
  of the line ending and removed (so ``\\r\\n`` works); a lone ``\\r`` is content. Lines
  are bytes, without their ending. :meth:`LineDecoder.flush` returns the last line
  when the stream does not end with a newline.
* :class:`SSEDecoder`: the ``text/event-stream`` format as the WHATWG HTML standard
  parses it (lines end at ``\\r\\n``, ``\\r`` or ``\\n``; ``data:`` lines joined with
  ``\\n``; ``event:``, ``id:``, ``retry:`` fields; comments skipped; an event is
  dispatched at a blank line; a leading BOM is ignored; text is decoded as UTF-8 with
  replacement of invalid sequences). One deliberate difference: browsers discard an
  event that the stream ends before its blank line, and model servers often end
  that way, so :meth:`SSEDecoder.flush` dispatches it instead of losing the last
  tokens.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

__all__ = ["LineDecoder", "SSEDecoder", "ServerSentEvent"]


class ServerSentEvent(NamedTuple):
    """One server-sent event.

    ``event`` is the ``event:`` field (``"message"`` when absent), ``data`` the
    ``data:`` lines joined with ``"\\n"``, ``id`` the last event id seen so far in the
    stream (``""`` when none; it persists across events, as in browsers) and ``retry``
    the ``retry:`` field of this event in milliseconds, or ``None``.
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None

    def json(self) -> Any:
        """``data`` parsed as JSON."""
        return json.loads(self.data)


class LineDecoder:
    """Bytes in, lines out (see the module docstring for the line rules)."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Add ``data``; return the lines it completes, without their endings."""
        if type(data) is not bytes:
            data = bytes(data)
        if b"\n" not in data:
            self._buffer += data
            return []
        self._buffer += data
        *lines, rest = self._buffer.split(b"\n")
        self._buffer = rest
        return [bytes(line[:-1]) if line.endswith(b"\r") else bytes(line) for line in lines]

    def flush(self) -> list[bytes]:
        """At the end of the stream: the last line if it had no newline (else nothing)."""
        if not self._buffer:
            return []
        line, self._buffer = bytes(self._buffer), bytearray()
        return [line]


_LINE_END = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"


class SSEDecoder:
    """Bytes of a ``text/event-stream`` in, :class:`ServerSentEvent` objects out."""

    __slots__ = ("_buffer", "_data", "_event", "_first_line", "_last_id", "_retry", "_skip_lf")

    def __init__(self) -> None:
        self._buffer = bytearray()
        # The previous chunk ended with "\r": a "\n" starting the next one belongs to it.
        self._skip_lf = False
        self._first_line = True
        self._event = ""
        self._data: list[str] = []
        self._last_id = ""
        self._retry: int | None = None

    def feed(self, data: bytes | bytearray | memoryview) -> list[ServerSentEvent]:
        """Add ``data``; return the events it completes."""
        chunk = bytes(data)
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        if b"\n" not in chunk and b"\r" not in chunk:
            self._buffer += chunk
            return []
        buffer = self._buffer
        buffer += chunk
        events: list[ServerSentEvent] = []
        start = 0
        for match in _LINE_END.finditer(buffer):
            self._line(bytes(buffer[start : match.start()]), events)
            start = match.end()
        if start == len(buffer) and buffer.endswith(b"\r"):
            self._skip_lf = True
        del buffer[:start]
        return events

    def flush(self) -> list[ServerSentEvent]:
        """At the end of the stream: the pending line and event, if any (see module doc)."""
        events: list[ServerSentEvent] = []
        if self._buffer:
            line, self._buffer = bytes(self._buffer), bytearray()
            self._line(line, events)
        self._dispatch(events)
        return events

    def _line(self, raw: bytes, events: list[ServerSentEvent]) -> None:
        if self._first_line:
            self._first_line = False
            if raw.startswith(_BOM):
                raw = raw[3:]
        if not raw:
            self._dispatch(events)
            return
        if raw[0] == 0x3A:  # ":" starts a comment
            return
        name, colon, value = raw.decode("utf-8", "replace").partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self, events: list[ServerSentEvent]) -> None:
        if self._data:
            events.append(
                ServerSentEvent(
                    event=self._event or "message",
                    data="\n".join(self._data),
                    id=self._last_id,
                    retry=self._retry,
                )
            )
        self._event = ""
        self._data = []
        self._retry = None
