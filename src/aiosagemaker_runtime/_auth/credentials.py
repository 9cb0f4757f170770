"""AWS credentials: explicit keys, or botocore's provider chain resolved off the event loop.

botocore's chain (environment, assume-role, web identity, SSO, shared files, process,
container, IMDS) does blocking file and network I/O under thread locks, so it only ever
runs in a worker thread (:func:`anyio.to_thread.run_sync`). Per call, the cached
credentials are returned without awaiting anything unless botocore's cheap
``refresh_needed()`` says they are about to expire; then exactly one task refreshes them
in a thread while the others wait for its result.

botocore is imported lazily, the first time the chain is needed.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import anyio
import anyio.to_thread

from .._eventloop import current_event_loop
from .._exceptions import CredentialsError

__all__ = ["CredentialResolver", "Credentials"]

# refresh_needed() reads the local clock with a tz lookup: ask at most this often.
_CHECK_INTERVAL = 1.0


class Credentials(NamedTuple):
    """An access key, its secret and an optional session token (immutable, for one signing).

    ``repr()`` and ``str()`` never show the secret or the token.
    """

    access_key: str
    secret_key: str
    token: str | None = None

    def __repr__(self) -> str:
        token = "None" if self.token is None else "'***'"
        return f"Credentials(access_key={self.access_key!r}, secret_key='***', token={token})"

    def __str__(self) -> str:
        return self.__repr__()


class CredentialResolver:
    """Where a client's credentials come from.

    With ``access_key`` and ``secret_key`` (and optionally ``token``) those are used as
    given; passing only one of the pair raises :class:`CredentialsError`. Otherwise
    botocore's default chain is used, for ``profile_name`` when given.
    """

    def __init__(
        self,
        access_key: str | None = None,
        secret_key: str | None = None,
        token: str | None = None,
        profile_name: str | None = None,
    ) -> None:
        if (access_key is None) != (secret_key is None):
            missing = "aws_secret_access_key" if secret_key is None else "aws_access_key_id"
            raise CredentialsError(
                "Partial credentials: aws_access_key_id and aws_secret_access_key must be "
                f"given together (missing {missing})"
            )
        if access_key is not None and (not access_key or not secret_key):
            raise CredentialsError("aws_access_key_id and aws_secret_access_key must not be empty")
        if token is not None and access_key is None:
            raise CredentialsError(
                "aws_session_token needs aws_access_key_id and aws_secret_access_key"
            )
        self._static: Credentials | None = (
            Credentials(access_key, secret_key, token or None)
            if access_key is not None and secret_key is not None
            else None
        )
        self._profile_name = profile_name
        self._source: Any = None  # botocore.credentials.Credentials (maybe refreshable)
        self._current: Credentials | None = None
        self._refreshable = False
        self._checked_at = 0.0
        self._lock: anyio.Lock | None = None
        self._lock_loop: object = None

    def __repr__(self) -> str:
        kind = "explicit" if self._static is not None else "chain"
        return f"CredentialResolver({kind}, profile_name={self._profile_name!r})"

    @property
    def profile_name(self) -> str | None:
        return self._profile_name

    def ready(self) -> Credentials | None:
        """The credentials :meth:`get` would return without waiting (explicit ones, or
        resolved ones that never expire), else ``None``: await :meth:`get` (which also
        makes the refresh checks)."""
        if self._static is not None:
            return self._static
        return None if self._refreshable else self._current

    async def get(self) -> Credentials:
        """Current credentials; raises :class:`CredentialsError` when there are none."""
        if self._static is not None:
            return self._static
        current = self._current
        if current is not None and not self._needs_refresh(throttle=True):
            return current
        lock, loop = self._lock, current_event_loop()
        if lock is None or self._lock_loop is not loop:
            # a lock belongs to the event loop of its first use: one per loop
            lock = self._lock = anyio.Lock()
            self._lock_loop = loop
        async with lock:
            current = self._current
            if current is not None and not self._needs_refresh(throttle=False):
                return current
            try:
                current = await anyio.to_thread.run_sync(self._load)
            except CredentialsError:
                raise
            except Exception as exc:
                raise CredentialsError(
                    f"Failed to obtain AWS credentials: {type(exc).__name__}: {exc}"
                ) from exc
            self._current = current
            self._checked_at = time.monotonic()
            return current

    def _needs_refresh(self, *, throttle: bool) -> bool:
        if not self._refreshable:
            return False
        now = time.monotonic()
        if throttle and now - self._checked_at < _CHECK_INTERVAL:
            return False
        self._checked_at = now
        return bool(self._source.refresh_needed())

    def _load(self) -> Credentials:
        """Runs in a worker thread: find the chain once, then get a frozen snapshot."""
        source = self._source
        if source is None:
            import botocore.session

            session = botocore.session.Session(profile=self._profile_name)
            source = session.get_credentials()
            if source is None:
                where = f" for profile {self._profile_name!r}" if self._profile_name else ""
                raise CredentialsError(
                    f"Unable to locate AWS credentials{where}: pass aws_access_key_id and "
                    "aws_secret_access_key, set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or "
                    "configure a profile, SSO, a credential process, or a container/instance "
                    "role"
                )
            self._source = source
            self._refreshable = callable(getattr(source, "refresh_needed", None))
        frozen = source.get_frozen_credentials()
        if not frozen.access_key or not frozen.secret_key:
            raise CredentialsError("The credential provider returned empty credentials")
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token or None)
