"""invoke_many's scheduling with in-process operations (asyncio and trio): order,
backpressure, lazy input, retries, cancellation, the progress hook."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime import EndpointConnectionError, ServiceError
from aiosagemaker_runtime.bulk import BulkProgress, invoke_many

pytestmark = pytest.mark.anyio


class Recorder:
    """An operation that answers ``{"i": i}`` and counts what runs at once."""

    def __init__(self) -> None:
        self.active = 0
        self.max_active = 0
        self.calls: list[int] = []
        self.release: dict[int, anyio.Event] = {}
        self.failures: dict[int, list[Exception]] = {}

    async def __call__(self, *, i: int) -> dict[str, int]:
        self.calls.append(i)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if i in self.release:
                await self.release[i].wait()
            else:
                await anyio.lowlevel.checkpoint()
            pending = self.failures.get(i)
            if pending:
                raise pending.pop(0)
            return {"i": i}
        finally:
            self.active -= 1


def throttle() -> ServiceError:
    return ServiceError("", code="ThrottlingException", status_code=400)


async def test_ordered_results_wait_for_a_slow_first_request() -> None:
    op = Recorder()
    op.release[0] = anyio.Event()
    async with invoke_many(op, ({"i": i} for i in range(10)), concurrency=4) as results:
        await anyio.wait_all_tasks_blocked()
        assert op.calls[0] == 0 and len(op.calls) >= 4
        op.release[0].set()  # the others completed first, yet 0 comes first
        indices = [result.index async for result in results]
    assert indices == list(range(10))


async def test_as_completed_hands_over_results_as_they_come() -> None:
    op = Recorder()
    op.release[0] = anyio.Event()
    indices = []
    async with invoke_many(
        op, ({"i": i} for i in range(10)), concurrency=4, ordered=False
    ) as results:
        async for result in results:
            indices.append(result.index)
            if len(indices) == 9:
                op.release[0].set()
    assert indices[-1] == 0 and sorted(indices) == list(range(10))


@pytest.mark.parametrize("ordered", [True, False])
async def test_input_is_read_lazily_within_the_window(ordered: bool) -> None:
    pulled = 0

    def requests() -> Iterator[dict[str, int]]:
        nonlocal pulled
        for i in range(1000):
            pulled += 1
            yield {"i": i}

    op = Recorder()
    async with invoke_many(op, requests(), concurrency=4, window=10, ordered=ordered) as results:
        await anyio.wait_all_tasks_blocked()
        assert pulled == 10  # nobody takes results: reading stops at the window
        first = await results.__anext__()
        await anyio.wait_all_tasks_blocked()
        assert pulled == 11
        rest = [result.index async for result in results]
    assert first.index == 0 or not ordered
    assert sorted([first.index, *rest]) == list(range(1000))
    assert op.max_active <= 4


async def test_a_slow_consumer_never_buffers_more_than_the_window() -> None:
    op = Recorder()
    seen = 0
    async with invoke_many(op, ({"i": i} for i in range(200)), concurrency=8) as results:
        async for _ in results:
            seen += 1
            await anyio.wait_all_tasks_blocked()
            progress = results.progress
            assert progress.done - seen <= 32
    assert seen == 200


async def test_async_input_that_breaks_ends_the_iteration_after_its_results() -> None:
    async def requests() -> AsyncIterator[dict[str, int]]:
        for i in range(5):
            yield {"i": i}
        raise OSError("the input went away")

    indices = []
    with pytest.raises(OSError, match="went away"):
        async with invoke_many(Recorder(), requests(), concurrency=2) as results:
            async for result in results:
                indices.append(result.index)
    assert indices == list(range(5))


async def test_throttled_requests_come_back_and_the_limit_comes_down() -> None:
    op = Recorder()
    op.failures = {i: [throttle(), throttle()] for i in range(0, 40, 3)}
    snapshots: list[BulkProgress] = []
    async with invoke_many(
        op, ({"i": i} for i in range(40)), concurrency=8, on_progress=snapshots.append
    ) as results:
        seen = [result async for result in results]
    assert [result.index for result in seen] == list(range(40))
    assert all(result.ok for result in seen)
    assert [result.attempts for result in seen] == [3 if i % 3 == 0 else 1 for i in range(40)]
    assert snapshots[-1].throttled == 2 * 14
    assert min(snapshot.concurrency for snapshot in snapshots) < 8
    assert len(snapshots) == 40 and snapshots[-1].succeeded == 40


async def test_throttled_requests_go_again_while_the_async_input_waits() -> None:
    # The input is a channel the test feeds only after seeing results: the reader waits
    # on it while every request sent so far is throttled down to a limit of one. The
    # retries must not wait behind the reader (the run deadlocked, and parked workers
    # spun, when the reader's wait held the only slot).
    op = Recorder()
    op.failures = {i: [throttle() for _ in range(6)] for i in range(10)}
    send, receive = anyio.create_memory_object_stream[dict[str, int]](100)
    for i in range(10):
        send.send_nowait({"i": i})
    seen = []
    with anyio.fail_after(30):
        async with invoke_many(op, receive, concurrency=4) as results:
            async for result in results:
                seen.append(result)
                if len(seen) == 10:
                    send.close()  # only now does the input end
    assert sorted(r.index for r in seen) == list(range(10))
    assert all(r.ok and r.attempts == 7 for r in seen)
    assert op.max_active <= 4


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_a_retry_goes_while_the_only_slot_reader_waits_for_input(concurrency: int) -> None:
    # The input gives the next request only once it has seen the first result (a Ray
    # actor fed batch by batch, a queue fed by a consumer). At a concurrency of one the
    # only worker used to wait in the input's reader while the throttled first request
    # waited for a worker: a deadlock, unless something else fed the input.
    op = Recorder()
    op.failures = {0: [throttle()]}
    seen_first = anyio.Event()

    async def requests() -> AsyncIterator[dict[str, int]]:
        yield {"i": 0}
        await seen_first.wait()
        yield {"i": 1}

    indices = []
    with anyio.fail_after(10):
        async with invoke_many(op, requests(), concurrency=concurrency) as results:
            async for result in results:
                assert result.ok
                indices.append(result.index)
                seen_first.set()
    assert indices == [0, 1]
    assert op.calls == [0, 0, 1]
    assert op.max_active == 1


async def test_fixed_concurrency_still_retries_throttled_requests() -> None:
    op = Recorder()
    op.failures = {1: [throttle()]}
    snapshots: list[BulkProgress] = []
    async with invoke_many(
        op, [{"i": 0}, {"i": 1}], adaptive=False, on_progress=snapshots.append
    ) as results:
        attempts = [result.attempts async for result in results]
    assert attempts == [1, 2]
    assert {snapshot.concurrency for snapshot in snapshots} == {32}


async def test_transient_errors_come_back_only_when_asked() -> None:
    def broken() -> Exception:
        return EndpointConnectionError("refused", endpoint_url="http://127.0.0.1:1")

    for retries, expected in ((0, [False, True]), (1, [True, True])):
        op = Recorder()
        op.failures = {0: [broken()]}
        async with invoke_many(op, [{"i": 0}, {"i": 1}], max_transient_retries=retries) as results:
            outcome = [result.ok async for result in results]
        assert outcome == expected


async def test_other_errors_are_results_at_once() -> None:
    op = Recorder()
    op.failures = {1: [ValueError("bad")], 2: [ServiceError("no", code="ModelError")]}
    async with invoke_many(op, [{"i": i} for i in range(4)]) as results:
        seen = [result async for result in results]
    assert [result.ok for result in seen] == [True, False, False, True]
    assert isinstance(seen[1].error, ValueError) and isinstance(seen[2].error, ServiceError)
    assert all(result.attempts == 1 for result in seen)


async def test_leaving_the_block_cancels_calls_in_flight() -> None:
    op = Recorder()
    for i in range(1, 10):
        op.release[i] = anyio.Event()  # never set
    async with invoke_many(op, ({"i": i} for i in range(100)), concurrency=5) as results:
        async for result in results:
            assert result.index == 0
            break
    assert op.active == 0  # the waiting calls were cancelled
    assert 5 <= len(op.calls) <= 6


async def test_a_cancelled_task_stops_the_run() -> None:
    op = Recorder()
    op.release[3] = anyio.Event()  # never set
    seen = []
    with anyio.CancelScope() as scope:
        async with invoke_many(op, ({"i": i} for i in range(100)), concurrency=2) as results:
            async for result in results:
                seen.append(result.index)
                if result.index == 2:
                    scope.cancel()
    assert scope.cancelled_caught
    assert seen == [0, 1, 2] and op.active == 0


async def test_progress_hook_errors_reach_the_consumer() -> None:
    def hook(progress: BulkProgress) -> None:
        raise RuntimeError("hook failed")

    with pytest.raises(RuntimeError, match="hook failed"):
        async with invoke_many(Recorder(), [{"i": 0}], on_progress=hook) as results:
            async for _ in results:
                pass


async def test_positional_requests_and_progress_fields() -> None:
    async def op(value: Any) -> Any:
        return value * 2

    async with invoke_many(op, [1, 2, 3], concurrency=2) as results:
        outputs = [result.output async for result in results]
        progress = results.progress
    assert outputs == [2, 4, 6]
    assert (progress.succeeded, progress.failed, progress.in_flight, progress.waiting) == (
        3,
        0,
        0,
        0,
    )
    assert progress.done == 3 and progress.rate > 0


async def test_misuse_is_refused() -> None:
    run = invoke_many(Recorder(), [])
    with pytest.raises(RuntimeError, match="async with"):
        run.__aiter__()
    with pytest.raises(ValueError, match="concurrency"):
        invoke_many(Recorder(), [], concurrency=0)
    with pytest.raises(ValueError, match="max_transient_retries"):
        invoke_many(Recorder(), [], max_transient_retries=-1)
    with pytest.raises(ValueError, match="window"):
        invoke_many(Recorder(), [], concurrency=4, window=1)
    async with run as results:
        assert [result async for result in results] == []
        with pytest.raises(RuntimeError, match="once"):
            await run.__aenter__()


def test_result_repr_hides_the_request() -> None:
    from aiosagemaker_runtime.bulk import BulkResult

    result: BulkResult[Any] = BulkResult(3, {"body": b"secret"}, None, ValueError("x"), 2, 0.5)
    assert "secret" not in repr(result) and "index=3" in repr(result)


def test_a_run_can_be_made_before_the_event_loop_runs() -> None:
    run = invoke_many(Recorder(), [{"i": 0}, {"i": 1}])

    async def consume() -> list[int]:
        async with run as results:
            return [result.index async for result in results]

    assert anyio.run(consume) == [0, 1]
