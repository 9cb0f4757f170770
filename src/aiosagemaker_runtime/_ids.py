"""Random version-4 UUID strings without importing :mod:`uuid`.

``uuid`` imports ``platform`` at import time (a few milliseconds of cold start) and
``str(uuid.uuid4())`` costs ~6-8 us per call. These are the same 122 random bits from
``os.urandom`` with the version and variant bits set, formatted as RFC 4122 text; they
are made 256 at a time (one ``os.urandom`` call, formatted with a few C-level slice
copies) and handed out one per call (``list.pop``, atomic under the GIL, so threads
never share an id). A forked child drops its parent's unused ids.
"""

from __future__ import annotations

import os

__all__ = ["uuid4_str"]

_BATCH = 256
_TEXT = 37  # 36 characters and a separator per id in a batch's text
# Where each of an id's 32 hex digits goes in its text (dashes at 8, 13, 18 and 23).
_PLACES = tuple(
    (digit, digit + (digit >= 8) + (digit >= 12) + (digit >= 16) + (digit >= 20))
    for digit in range(32)
)
# The variant digit keeps its two low random bits: 10xx (RFC 4122) is 8, 9, a or b.
_VARIANT = bytes.maketrans(b"0123456789abcdef", b"89ab89ab89ab89ab")
_VERSIONS = b"4" * _BATCH
_SEPARATORS = b" " * _BATCH

_ready: list[str] = []


def _batch() -> list[str]:
    digits = os.urandom(16 * _BATCH).hex().encode("ascii")
    text = bytearray(b"-" * (_TEXT * _BATCH))
    for digit, place in _PLACES:
        text[place::_TEXT] = digits[digit::32]
    text[14::_TEXT] = _VERSIONS  # replaces the 13th random digit
    text[19::_TEXT] = digits[16::32].translate(_VARIANT)
    text[36::_TEXT] = _SEPARATORS
    return text.decode("ascii").split()


def uuid4_str() -> str:
    """A random UUID (version 4, RFC 4122 variant) as 36 lower-case characters."""
    while True:
        try:
            return _ready.pop()
        except IndexError:
            _ready.extend(_batch())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ready.clear)
