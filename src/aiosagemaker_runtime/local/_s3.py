"""A local directory standing in for S3: ``s3://bucket/key`` is ``ROOT/bucket/key``."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import anyio

from ._errors import LocalServiceError

__all__ = ["LocalS3"]

_S3_URI = re.compile(r"s3://([^/]+)/?(.*)")
_HTTPS_URI = re.compile(r"https://([^/.]+)\.s3[.-][^/]*amazonaws\.com(?:\.cn)?/(.*)")


class LocalS3:
    """Maps S3 URIs to files under ``root``; refuses keys that climb out of it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path_for(self, uri: str) -> Path:
        """The file standing for ``uri`` (``s3://`` or a virtual-hosted ``https://`` URL)."""
        match = _S3_URI.fullmatch(uri) or _HTTPS_URI.fullmatch(uri)
        if match is None:
            raise LocalServiceError(
                "ValidationError", f"InputLocation {uri!r} is not an S3 URI (s3://bucket/key)."
            )
        bucket, key = match.group(1), match.group(2)
        path = (self.root / bucket / key).resolve()
        if path != self.root and self.root not in path.parents:
            raise LocalServiceError("ValidationError", f"S3 location {uri!r} is not valid.")
        return path

    async def read(self, uri: str, limit: int) -> bytes:
        """The object's bytes; :class:`FileNotFoundError` when absent."""
        path = self.path_for(uri)

        def _read() -> bytes:
            with path.open("rb") as file:
                data = file.read(limit + 1)
            if len(data) > limit:
                raise ValueError(f"input object is larger than {limit} bytes")
            return data

        return await anyio.to_thread.run_sync(_read)

    async def write(self, uri: str, data: bytes) -> None:
        """Write ``data`` to ``uri`` atomically (readers never see a partial object)."""
        path = self.path_for(uri)

        def _write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
            temporary.write_bytes(data)
            os.replace(temporary, path)

        await anyio.to_thread.run_sync(_write)


def join_s3(base: str, *parts: str) -> str:
    """``join_s3("s3://b/out", "x", "y.out")`` -> ``"s3://b/out/x/y.out"``."""
    text = base.rstrip("/")
    for part in parts:
        part = part.strip("/")
        if part:
            text += "/" + part
    return text
