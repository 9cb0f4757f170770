"""The bulk run: ``concurrency`` worker tasks that read requests and make the calls,
and the caller's task taking the results (the async iterator).

Bounds, so memory follows the concurrency and never the number of requests:

* at most ``limit.current`` calls in flight (a worker starts one only below it);
* at most ``window`` requests between the oldest one not yet handed to the caller and
  the newest one read (ordered), or at most ``window`` requests read and not yet handed
  over (as completed): a slow consumer, or one slow request in ordered mode, stops the
  reading of input until results are taken.

Throttled requests wait in a heap keyed by the time they may go again; they go before
new input. A worker runs calls back to back without any synchronisation while it can
(no task per call); it parks on its own :class:`anyio.Event` only when nothing may
start, and whatever changes that sets one.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc

from .limit import (
    THROTTLE_BACKOFF_BASE,
    TRANSIENT_BACKOFF_BASE,
    ConcurrencyLimit,
    retry_backoff,
)
from .results import BulkProgress, BulkResult, is_transient_error

__all__ = ["BulkInvocation"]

T = TypeVar("T")

_Retry = tuple[float, int, "_Job"]


class _Job:
    """One request on its way: where it came from and what happened so far."""

    __slots__ = ("attempts", "first_start", "index", "request", "retries", "throttles")

    def __init__(self, index: int, request: Any) -> None:
        self.index = index
        self.request = request
        self.attempts = 0
        self.throttles = 0
        self.retries = 0
        self.first_start = 0.0


class BulkInvocation(Generic[T]):
    """A bulk run; use ``async with`` and iterate the entered object for the results.

    Leaving the block before the end (``break``, an exception, a cancellation) stops
    reading requests and cancels the calls in flight; no result is handed over after.
    """

    def __init__(
        self,
        operation: Callable[..., Awaitable[T]],
        requests: Iterable[Any] | AsyncIterable[Any],
        *,
        concurrency: int,
        ordered: bool,
        adaptive: bool,
        max_throttle_retries: int,
        max_transient_retries: int,
        window: int,
        is_throttling: Callable[[BaseException], bool],
        on_progress: Callable[[BulkProgress], None] | None,
    ) -> None:
        self._operation = operation
        self._requests = requests
        self._ordered = ordered
        self._max_throttle_retries = max_throttle_retries
        self._max_transient_retries = max_transient_retries
        self._window = window
        self._is_throttling = is_throttling
        self._on_progress = on_progress
        self._limit = ConcurrencyLimit(concurrency, adaptive=adaptive)
        self._task_group: anyio.abc.TaskGroup | None = None
        self._entered = False
        self._start = 0.0
        # The input: exactly one of the two.
        self._sync_source: Iterator[Any] | None = None
        self._async_source: AsyncIterator[Any] | None = None
        if isinstance(requests, AsyncIterable):
            self._async_source = aiter(requests)
        else:
            self._sync_source = iter(requests)
        # An async input's reader may wait for ever (a queue, a Ray actor's batches)
        # while holding no call slot: one worker more than the limit, so that a due
        # retry always has a worker even at a limit of one. Calls stay within the limit.
        self._workers = concurrency + (self._async_source is not None)
        self._read = 0  # requests taken from the input
        self._reading = 0  # 1 while a worker awaits the async input
        self._exhausted = False
        self._input_error: BaseException | None = None
        # Calls.
        self._in_flight = 0
        self._waiting: list[_Retry] = []  # throttled jobs: (ready time, sequence, job)
        self._sequence = itertools.count()
        self._idle: deque[anyio.Event] = deque()  # parked workers
        self._finished = False
        # Results not yet handed to the caller.
        self._handed = 0  # results handed over
        self._ready_in_order: dict[int, BulkResult[T]] = {}
        self._ready: deque[BulkResult[T]] = deque()
        self._consumer_wake: anyio.Event | None = None  # made in the event loop
        # Counters for progress.
        self._succeeded = 0
        self._failed = 0
        self._throttled = 0
        self._retried = 0

    # -- the caller's side ----------------------------------------------------------

    async def __aenter__(self) -> BulkInvocation[T]:
        if self._entered:
            raise RuntimeError("a bulk run can be entered only once")
        self._entered = True
        self._consumer_wake = anyio.Event()
        self._start = anyio.current_time()
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        for _ in range(self._workers):
            self._task_group.start_soon(self._work)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._task_group is not None
        self._task_group.cancel_scope.cancel()
        try:
            return await self._task_group.__aexit__(exc_type, exc, tb)
        except BaseException as error:
            # The workers never raise (a failed call is a result), so a group holding
            # only the block's own exception is that exception: let it through as it
            # is rather than wrapped in an ExceptionGroup.
            inner = getattr(error, "exceptions", None)
            if exc is not None and inner is not None and all(e is exc for e in inner):
                return False
            raise

    def __aiter__(self) -> AsyncIterator[BulkResult[T]]:
        if self._task_group is None:
            raise RuntimeError(
                "iterate a bulk run inside its block: "
                "`async with invoke_many(...) as results: async for result in results: ...`"
            )
        return self

    async def __anext__(self) -> BulkResult[T]:
        while True:
            result = self._take()
            if result is not None:
                if self._on_progress is not None:
                    self._on_progress(self.progress)
                return result
            if self._finished:
                if self._input_error is not None:
                    error, self._input_error = self._input_error, None
                    raise error
                raise StopAsyncIteration
            assert self._consumer_wake is not None
            await self._consumer_wake.wait()
            self._consumer_wake = anyio.Event()

    def _take(self) -> BulkResult[T] | None:
        if self._ordered:
            result = self._ready_in_order.pop(self._handed, None)
        else:
            result = self._ready.popleft() if self._ready else None
        if result is not None:
            self._handed += 1
            if self._idle and self._work_possible():  # the window moved
                self._idle.popleft().set()
        return result

    @property
    def progress(self) -> BulkProgress:
        """Where the run stands now."""
        return BulkProgress(
            succeeded=self._succeeded,
            failed=self._failed,
            in_flight=self._in_flight,
            waiting=len(self._waiting),
            concurrency=self._limit.current,
            throttled=self._throttled,
            retried=self._retried,
            elapsed=anyio.current_time() - self._start,
        )

    # -- the workers ----------------------------------------------------------------
    #
    # ``concurrency`` workers (one more for an async input); each claims a job without
    # waiting when it can (a due retry, else the next request while the window is
    # open), runs it and claims the next; otherwise it parks. Whatever may let a parked
    # worker start a call (a result taken, a claim that leaves room) wakes one; the end
    # of the run wakes them all.

    async def _work(self) -> None:
        while True:
            job = self._claim()
            if job is None:
                if self._over():
                    return
                if self._async_read_possible():
                    job = await self._read_async()
                    if job is None:
                        continue
                else:
                    await self._park()
                    continue
            if self._idle and self._work_possible():
                self._idle.popleft().set()
            await self._call(job)

    def _claim(self) -> _Job | None:
        """A job this worker may start now, without waiting (its slot counted)."""
        limit = self._limit.current
        if self._in_flight >= limit:
            return None
        waiting = self._waiting
        # A due retry does not wait for the async input's reader: the reader may wait
        # for input for ever (a queue, a slow pipe), and at a limit of one it would hold
        # the only slot while every throttled request waits behind it.
        if waiting and waiting[0][0] <= anyio.current_time():
            job = heapq.heappop(waiting)[2]
        elif self._in_flight + self._reading >= limit:
            return None
        elif self._sync_source is not None and not self._exhausted and self._window_open():
            try:
                request = next(self._sync_source)
            except StopIteration:
                self._exhausted = True
                self._check_over()
                return None
            except Exception as error:
                self._input_broke(error)
                return None
            job = _Job(self._read, request)
            self._read += 1
        else:
            return None
        self._in_flight += 1
        return job

    def _async_read_possible(self) -> bool:
        return (
            self._async_source is not None
            and not self._reading
            and not self._exhausted
            and self._window_open()
            and self._in_flight < self._limit.current
        )

    async def _read_async(self) -> _Job | None:
        """The next request of an async input (one reader at a time; its slot counted)."""
        assert self._async_source is not None
        self._reading = 1
        try:
            request = await self._async_source.__anext__()
        except StopAsyncIteration:
            self._exhausted = True
            return None
        except Exception as error:
            self._input_broke(error)
            return None
        finally:
            self._reading = 0
            self._check_over()
        job = _Job(self._read, request)
        self._read += 1
        if self._in_flight >= self._limit.current:
            # a retry took the slot while this read waited: the request queues, due now
            heapq.heappush(self._waiting, (anyio.current_time(), next(self._sequence), job))
            return None
        self._in_flight += 1
        return job

    def _input_broke(self, error: Exception) -> None:
        # What was read still runs; the error ends the iteration after its results.
        self._input_error = error
        self._exhausted = True
        self._check_over()

    def _window_open(self) -> bool:
        # Ordered: the newest request read may be at most ``window`` past the oldest one
        # not handed over; as completed: at most ``window`` read and not handed over.
        # Both are the same count, since results are handed over exactly once.
        return self._read - self._handed < self._window

    def _work_possible(self) -> bool:
        if self._waiting and self._in_flight < self._limit.current:
            return True
        if self._in_flight + self._reading >= self._limit.current:
            return False
        return not self._exhausted and not self._reading and self._window_open()

    def _over(self) -> bool:
        return self._exhausted and not self._waiting and self._in_flight == 0 and not self._reading

    def _check_over(self) -> None:
        if self._over() and not self._finished:
            self._finished = True
            self._wake_consumer()
            while self._idle:
                self._idle.popleft().set()

    async def _park(self) -> None:
        event = anyio.Event()
        self._idle.append(event)
        timeout = float("inf")
        if self._waiting and self._in_flight < self._limit.current:
            timeout = max(0.0, self._waiting[0][0] - anyio.current_time())
        with anyio.move_on_after(timeout):
            await event.wait()
        if not event.is_set():
            self._idle.remove(event)

    # -- one call -------------------------------------------------------------------

    async def _call(self, job: _Job) -> None:
        epoch = self._limit.epoch
        start = anyio.current_time()
        if job.attempts == 0:
            job.first_start = start
        job.attempts += 1
        request = job.request
        try:
            if isinstance(request, Mapping):
                output = await self._operation(**request)
            else:
                output = await self._operation(request)
        except Exception as error:
            self._in_flight -= 1
            if self._is_throttling(error):
                if job.throttles < self._max_throttle_retries:
                    job.throttles += 1
                    self._throttled += 1
                    self._limit.throttled(epoch)
                    self._requeue(job, retry_backoff(job.throttles, THROTTLE_BACKOFF_BASE))
                    return
            elif job.retries < self._max_transient_retries and is_transient_error(error):
                job.retries += 1
                self._retried += 1
                self._requeue(job, retry_backoff(job.retries, TRANSIENT_BACKOFF_BASE))
                return
            self._failed += 1
            self._finish(job, None, error)
            return
        self._in_flight -= 1
        self._succeeded += 1
        self._limit.succeeded(self._in_flight)
        self._finish(job, output, None)

    def _requeue(self, job: _Job, delay: float) -> None:
        ready = anyio.current_time() + delay
        heapq.heappush(self._waiting, (ready, next(self._sequence), job))
        if self._idle:  # one of them keeps the timer for it
            self._idle.popleft().set()

    def _finish(self, job: _Job, output: T | None, error: Exception | None) -> None:
        elapsed = anyio.current_time() - job.first_start
        result = BulkResult(job.index, job.request, output, error, job.attempts, elapsed)
        if self._ordered:
            self._ready_in_order[job.index] = result
        else:
            self._ready.append(result)
        self._wake_consumer()
        self._check_over()

    def _wake_consumer(self) -> None:
        if self._consumer_wake is not None:
            self._consumer_wake.set()
