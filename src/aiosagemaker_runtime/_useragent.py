"""The User-Agent header: the library, its version, the platform, the configuration."""

from __future__ import annotations

import os
import sys

from ._config import ClientConfig
from ._exceptions import ParamValidationError

__all__ = ["VERSION", "user_agent"]

#: The library's version (re-exported as ``aiosagemaker_runtime.__version__``).
VERSION = "0.1.0"


def user_agent(config: ClientConfig) -> str:
    """``aiosagemaker-runtime/<version> ua/2.1 os/<os> lang/python#<ver> md/http#<engine>
    cfg/retry-mode#<mode>``, then ``user_agent_extra`` (computed once per client)."""
    python = ".".join(str(part) for part in sys.version_info[:3])
    if hasattr(os, "uname"):  # what platform.system() returns here, without importing it
        system = (os.uname().sysname or "other").lower()
    else:
        import platform

        system = (platform.system() or "other").lower()
    text = (
        f"aiosagemaker-runtime/{VERSION} ua/2.1 os/{system} lang/python#{python} "
        f"md/http#{config.http_backend} cfg/retry-mode#{config.retry_mode}"
    )
    extra = config.user_agent_extra
    if extra:
        if any(char in extra for char in "\r\n\x00"):
            raise ParamValidationError(
                "user_agent_extra must not contain CR, LF or NUL characters",
                member="user_agent_extra",
                constraint="header value",
            )
        text += f" {extra.strip()}"
    return text
