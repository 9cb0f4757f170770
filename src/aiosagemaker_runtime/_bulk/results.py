"""What a bulk run hands back: one result per request, progress snapshots, and which
errors mean "slow down"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .._exceptions import ServiceError
from .._retry import THROTTLING_CODES, retry_cost

__all__ = [
    "THROTTLING_STATUS_CODES",
    "BulkProgress",
    "BulkResult",
    "is_throttling_error",
    "is_transient_error",
]

T = TypeVar("T")

#: Error codes that mean "the endpoint is at capacity", beyond the AWS throttling codes.
_CAPACITY_CODES = frozenset({"ModelNotReadyException", "ServiceUnavailable"})
#: HTTP statuses that mean the same whatever the code.
THROTTLING_STATUS_CODES = frozenset({429, 503})


def is_throttling_error(error: BaseException) -> bool:
    """Whether ``error`` says the endpoint is at capacity, so the request should wait
    and be sent again rather than fail.

    True for the AWS throttling codes (``ThrottlingException``, which SageMaker sends
    with status 400 when an endpoint's concurrency is exceeded, ``TooManyRequestsException``
    ...), ``ModelNotReadyException`` (429: a serverless variant is still provisioning or a
    multi-model endpoint is loading the model), ``ServiceUnavailable`` and any 429 or 503.
    """
    if not isinstance(error, ServiceError):
        return False
    return (
        error.code in THROTTLING_CODES
        or error.code in _CAPACITY_CODES
        or error.status_code in THROTTLING_STATUS_CODES
    )


def is_transient_error(error: BaseException) -> bool:
    """Whether ``error`` is one the client itself would retry (a 500, 502 or 504, a
    timeout, a refused or broken connection) and that is not throttling."""
    return retry_cost(error) > 0 and not is_throttling_error(error)


@dataclass(frozen=True, slots=True)
class BulkResult(Generic[T]):
    """The outcome of one request of a bulk run.

    Exactly one of ``output`` and ``error`` is set. ``attempts`` counts the calls of the
    operation made for this request (each may itself include the client's own retries);
    ``elapsed`` is the seconds from its first call to its outcome, waits included.
    ``request`` is the request as it came from the input (never shown in ``repr``: it
    holds the body).
    """

    index: int
    """Position of the request in the input (0-based)."""
    request: Any
    output: T | None = None
    error: Exception | None = None
    attempts: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the request succeeded."""
        return self.error is None

    def unwrap(self) -> T:
        """The output; raises the error when the request failed."""
        if self.error is not None:
            raise self.error
        return self.output  # type: ignore[return-value]

    def __repr__(self) -> str:
        outcome = "ok" if self.error is None else f"error={type(self.error).__name__}"
        return (
            f"BulkResult(index={self.index}, {outcome}, attempts={self.attempts}, "
            f"elapsed={self.elapsed:.3f})"
        )


@dataclass(frozen=True, slots=True)
class BulkProgress:
    """A snapshot of a bulk run, handed to ``on_progress`` and read from ``.progress``."""

    succeeded: int
    """Requests that ended with an output."""
    failed: int
    """Requests that ended with an error."""
    in_flight: int
    """Calls running now."""
    waiting: int
    """Throttled requests waiting to be sent again."""
    concurrency: int
    """The current limit on calls in flight (adaptive runs move it)."""
    throttled: int
    """Throttling answers absorbed so far (each one re-queued its request)."""
    retried: int
    """Transient errors absorbed so far (``max_transient_retries``)."""
    elapsed: float
    """Seconds since the run started."""

    @property
    def done(self) -> int:
        """Requests that have a result (succeeded + failed)."""
        return self.succeeded + self.failed

    @property
    def rate(self) -> float:
        """Results per second since the start."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0
