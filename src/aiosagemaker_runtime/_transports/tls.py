"""TLS for the engines: the verifying context ``AWS_CA_BUNDLE`` asks for, built early.

Every engine trusts the same roots: the bundle (or directory) named by ``AWS_CA_BUNDLE``
when it is set, else the engine's own default (httpcore2's context for the default
engine, aiohttp's for the aiohttp engine).

Loading a CA bundle takes 30-60 ms (more with many roots), mostly inside OpenSSL with
the GIL released. A client whose first connection will be ``https`` calls
:func:`prefetch` when it is created: a daemon thread builds the context while the
first call does everything else (imports, endpoint rules, credentials, signing), and
the engine's first ``https`` connection takes it with :func:`verifying_context`
(waiting if it is not ready). Nothing is built for a plain ``http`` endpoint.

What the context depends on (``AWS_CA_BUNDLE``, ``SSL_CERT_FILE``, ``SSL_CERT_DIR``) is
read again when it is taken: a context built for other settings, or a build that
failed, is dropped and the taker builds its own, so the result (or the error, e.g. a
bundle that does not exist) is what building it at the connection gives. A prefetched
context is taken once; the next engine builds its own, as without a prefetch.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, overload

if TYPE_CHECKING:
    import ssl

__all__ = ["Default", "prefetch", "prefetched_context", "ssl_context_from_env", "verifying_context"]

#: The context an engine uses when ``AWS_CA_BUNDLE`` is not set: httpcore2's
#: (``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, else the system's CAs), or none (``None``:
#: the engine's own, e.g. aiohttp's ``ssl=True``).
Default = Literal["httpcore2"] | None

_SETTINGS = ("AWS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


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


def _build(default: Default) -> ssl.SSLContext | None:
    context = ssl_context_from_env()
    if context is None and default == "httpcore2":
        import httpcore2

        context = httpcore2.default_ssl_context()
    return context


def _settings() -> tuple[str | None, ...]:
    environ = os.environ
    return tuple(environ.get(name) for name in _SETTINGS)


class _Build:
    """One context being built in a daemon thread."""

    __slots__ = ("context", "default", "done", "failed", "settings")

    def __init__(self, default: Default, settings: tuple[str | None, ...]) -> None:
        self.default = default
        self.settings = settings
        self.context: ssl.SSLContext | None = None
        self.failed = False
        self.done = threading.Event()

    def run(self, needed: Callable[[], bool] | None) -> None:
        try:
            if needed is None or needed():
                self.context = _build(self.default)
            else:
                self.failed = True
        except Exception:
            # The taker builds it again and gets the error itself, at its call.
            self.failed = True
        finally:
            if self.failed:
                with _lock:
                    if _pending.get(self.default) is self:
                        del _pending[self.default]
            self.done.set()


#: The build started by :func:`prefetch` and not taken yet, per default.
_pending: dict[Default, _Build] = {}
_lock = threading.Lock()


def _forget_after_fork() -> None:
    # A build's thread does not exist in a forked child: its event would never be set.
    global _lock
    _lock = threading.Lock()
    _pending.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def prefetch(default: Default, needed: Callable[[], bool] | None = None) -> None:
    """Start building the context :func:`verifying_context` with ``default`` will return.

    In a daemon thread; ``needed`` (if given) runs first in that thread and may decide
    that no context is needed after all (it may block, e.g. to read a config file). A
    build already pending for the same settings is not started twice.
    """
    settings = _settings()
    with _lock:
        pending = _pending.get(default)
        if pending is not None and pending.settings == settings:
            return
        build = _pending[default] = _Build(default, settings)
    thread = threading.Thread(
        target=build.run, args=(needed,), name="aiosagemaker-runtime-tls", daemon=True
    )
    thread.start()


def prefetched_context(default: Default) -> ssl.SSLContext | None:
    """The prefetched context for ``default`` if its build has finished (and succeeded)
    for the current settings, taken; else ``None`` (then call :func:`verifying_context`
    from a worker thread). Does not block: an event loop may call it.
    """
    with _lock:
        build = _pending.get(default)
        if build is None or not build.done.is_set() or build.failed:
            return None
        del _pending[default]
    if build.settings != _settings():
        return None
    return build.context


@overload
def verifying_context(default: Literal["httpcore2"]) -> ssl.SSLContext: ...
@overload
def verifying_context(default: None) -> ssl.SSLContext | None: ...
def verifying_context(default: Default) -> ssl.SSLContext | None:
    """The context for an engine's ``https`` connections: ``AWS_CA_BUNDLE``'s, else the
    ``default`` (``None`` for none). A prefetched one for the same settings if there
    is one (waiting for its build), else built now. Blocking: call it from a worker thread.
    """
    with _lock:
        build = _pending.pop(default, None)
    if build is not None and build.settings == _settings():
        build.done.wait()
        if not build.failed:
            return build.context
    return _build(default)
