"""TLS for the engines: the verifying context ``AWS_CA_BUNDLE`` asks for.

Every engine trusts the same roots: the bundle (or directory) named by ``AWS_CA_BUNDLE``
when it is set, else the engine's own default context.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

__all__ = ["ssl_context_from_env"]


def ssl_context_from_env() -> ssl.SSLContext | None:
    """A verifying context for ``AWS_CA_BUNDLE`` when it is set, else ``None``.

    Blocking (reads the bundle): call it from a worker thread.
    """
    bundle = os.environ.get("AWS_CA_BUNDLE")
    if not bundle:
        return None
    import ssl

    if os.path.isdir(bundle):
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle)
