"""Bulk invocation: many requests through one operation, concurrently, nothing lost.

::

    from aiosagemaker_runtime import SageMakerRuntimeClient
    from aiosagemaker_runtime.bulk import invoke_many

    async with SageMakerRuntimeClient() as client:
        requests = ({"endpoint_name": "my-endpoint", "body": line} for line in lines)
        async with invoke_many(client.invoke_endpoint, requests, concurrency=32) as results:
            async for result in results:
                if result.ok:
                    keep(result.index, result.output.body)
                else:
                    report(result.index, result.error)

* ``operation``: any operation method of a generated client (``client.invoke_endpoint``,
  ``client.invoke_endpoint_async``, another service's method): nothing here is specific
  to SageMaker.
* ``requests``: an iterable or async iterable of keyword mappings
  (``{"endpoint_name": ..., "body": ...}``) or input models (``InvokeEndpointInput``);
  read lazily, one at a time, as calls can start.
* One :class:`BulkResult` per request (``index``, ``request``, ``output`` or ``error``,
  ``attempts``, ``elapsed``), in input order (``ordered=True``, the default) or as they
  complete. A request that fails (after the client's own retries) is a result with its
  error; the run goes on.

Concurrency is adaptive by default: the endpoint, not the caller, knows its capacity.
``concurrency`` is the starting and maximum number of calls in flight; a throttling
answer (see :func:`is_throttling_error`) cuts it (AIMD), successes grow it back, and
the throttled request waits (backoff with jitter, not holding a slot) and is sent
again, up to ``max_throttle_retries`` times before its throttling error becomes its
result. ``adaptive=False`` keeps the limit fixed (throttled requests still wait and go
again).

Memory is bounded by the concurrency, never by the number of requests: at most
``window`` requests (default ``4 * concurrency``) are read ahead of the oldest result
not yet taken, so a slow consumer, or in ordered mode one slow request, pauses the
reading of input instead of buffering results.

**The client's retries and the run's.** Each call counted in ``BulkResult.attempts``
is one call of ``operation``, in which the client makes up to
``ClientConfig.max_attempts`` HTTP attempts. The client retries ``ThrottlingException``
and 503 itself, sleeping in the slot the run gave the call, so the run learns of
throttling late and only of part of it, and keeps more calls in flight than the
endpoint takes. For bulk work, hand the retrying to the run::

    config = ClientConfig(max_attempts=1)
    async with SageMakerRuntimeClient(config=config) as client:
        async with invoke_many(client.invoke_endpoint, requests,
                               max_transient_retries=2) as results:
            ...

Every throttle then reaches the limit at once, and ``max_transient_retries`` re-queues
what the client would have retried (a 500, 502 or 504, a timeout, a broken connection;
see :func:`is_transient_error`) without cutting the limit. The command line
``invoke-endpoint-batch`` runs this way. With a retrying client the run still loses
nothing; ``max_transient_retries`` stays 0 by default so that a retrying client's
errors are not retried twice.

Leaving the ``async with`` block (``break``, an exception, a cancelled task, Ctrl-C)
stops reading requests and cancels the calls in flight. Runs under asyncio and trio.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import Any, TypeVar

from ._bulk.engine import BulkInvocation
from ._bulk.results import BulkProgress, BulkResult, is_throttling_error, is_transient_error

__all__ = [
    "BulkInvocation",
    "BulkProgress",
    "BulkResult",
    "invoke_many",
    "is_throttling_error",
    "is_transient_error",
]

T = TypeVar("T")

DEFAULT_CONCURRENCY = 32
DEFAULT_MAX_THROTTLE_RETRIES = 20


def invoke_many(
    operation: Callable[..., Awaitable[T]],
    requests: Iterable[Any] | AsyncIterable[Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    ordered: bool = True,
    adaptive: bool = True,
    max_throttle_retries: int = DEFAULT_MAX_THROTTLE_RETRIES,
    max_transient_retries: int = 0,
    window: int | None = None,
    is_throttling: Callable[[BaseException], bool] = is_throttling_error,
    on_progress: Callable[[BulkProgress], None] | None = None,
) -> BulkInvocation[T]:
    """Call ``operation`` once per request, at most ``concurrency`` at a time.

    Returns a run to enter with ``async with``; the entered run is an async iterator of
    :class:`BulkResult`, one per request, and has a ``progress`` property.

    * ``concurrency``: the starting and maximum number of calls in flight (default 32).
    * ``ordered``: results in input order (default) or as they complete.
    * ``adaptive``: move the limit with the endpoint's throttling (default) or keep it.
    * ``max_throttle_retries``: times one request is sent again after throttling
      answers before the last one becomes its result (default 20: about three minutes
      of backoff, the time a multi-model endpoint may take to load a model).
    * ``max_transient_retries``: times one request is sent again after transient
      errors (default 0: the client retries those itself; see above).
    * ``window``: requests read ahead of the oldest result not taken (default
      ``4 * concurrency``; at least ``concurrency``).
    * ``is_throttling``: which errors mean "slow down" (default
      :func:`is_throttling_error`).
    * ``on_progress``: called with a :class:`BulkProgress` just before each result is
      handed over (in the consumer's task: what it raises ends the iteration).
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    for name, value in (
        ("max_throttle_retries", max_throttle_retries),
        ("max_transient_retries", max_transient_retries),
    ):
        if value < 0:
            raise ValueError(f"{name} must be 0 or more, got {value}")
    if window is None:
        window = 4 * concurrency
    elif window < concurrency:
        raise ValueError(f"window ({window}) must be at least concurrency ({concurrency})")
    return BulkInvocation(
        operation,
        requests,
        concurrency=concurrency,
        ordered=ordered,
        adaptive=adaptive,
        max_throttle_retries=max_throttle_retries,
        max_transient_retries=max_transient_retries,
        window=window,
        is_throttling=is_throttling,
        on_progress=on_progress,
    )
