"""Random version-4 UUID strings without importing :mod:`uuid`.

``uuid`` imports ``platform`` at import time (a few milliseconds of cold start) and
``str(uuid.uuid4())`` costs ~6-8 us per call; these are the same 122 random bits from
``os.urandom`` with the version and variant bits set, formatted as RFC 4122 text.
"""

from __future__ import annotations

import os

__all__ = ["uuid4_str"]


def uuid4_str() -> str:
    """A random UUID (version 4, RFC 4122 variant) as 36 lower-case characters."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
