"""The fault matrix: every fault x every operation x every transport, on real sockets.

For each cell a fresh client (pool of one connection, small timeouts, a bounded
backoff) calls a :class:`~.faults.ReliabilityServer` and we check what the design
promises:

1. **every request faulty**: the right exception class (or success), the number of
   attempts on the wire (``max_attempts`` for retryable faults, exactly 1 otherwise,
   as many as the client sent), and the call's duration (timeouts honoured per
   attempt, backoff bounded);
2. **a burst** (retryable faults only): ``max_attempts - 1`` faults, then a good
   answer: the call succeeds with the right body;
3. **recovery**: the server is healthy again and the next call, through the same
   pool of one connection, succeeds within a second with one attempt;
4. **no leaks**: after ``aclose()`` the server sees every connection closed and no
   task of ours is left in the event loop.

The outcomes are printed as a table at the end of the run and written to
``tests/reliability/MATRIX.md`` (only when the whole matrix ran).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
import pytest
from integration.servers import (
    Action,
    UnansweredConnects,
    html_error,
    reset_before_status,
    status,
)
from integration.servers import stall_before_headers as _stall_before_headers

from aiosagemaker_runtime import (
    ConnectTimeoutError,
    EndpointConnectionError,
    EventStreamError,
    InternalDependencyException,
    InternalFailure,
    ModelError,
    ModelNotReadyException,
    ModelStreamError,
    ReadTimeoutError,
    ServiceError,
    ServiceUnavailable,
    ValidationError,
)

from . import matrix
from .faults import (
    EVENTSTREAM,
    ReliabilityServer,
    Response,
    chunked_bad_size,
    chunked_no_terminator,
    corrupt,
    drip,
    malformed_header,
    malformed_status_line,
    model_stream_error,
    oversized_prelude,
    payload_part,
    reset_in_body,
    reset_mid_headers,
    respond,
    short_content_length,
    stall_in_body,
)
from .helpers import (
    CONNECT_TIMEOUT,
    MAX_ATTEMPTS,
    OPERATIONS,
    READ_TIMEOUT,
    SETTLED_CONNECT_TIMEOUT,
    Counted,
    Operation,
    backoff_bound,
    live_tasks,
    make_client,
)

pytestmark = pytest.mark.anyio

STALL = 3.0  # server-side stalls: far longer than READ_TIMEOUT (they end when we hang up)
DRIP_PIECES, DRIP_GAP = 6, 0.06  # 0.36 s in all, each gap well below READ_TIMEOUT
SLACK = 1.0  # scheduling slack on 2 busy cores
CELL_LIMIT = 8.0  # a cell still running after this long is a hung call


@dataclass(frozen=True)
class Expect:
    error: type[BaseException] | None
    attempts: int
    code: str | None = None
    """``ServiceError.code`` to expect."""
    wait: float = 0.0
    """Seconds each attempt must spend waiting (timeouts, a slow drip)."""
    body: bytes | None = None
    """For a success: the bytes expected (default: the operation's usual answer)."""


@dataclass(frozen=True)
class Fault:
    name: str
    action: Callable[[Operation], Action] | None
    expect: Callable[[Operation], Expect]
    url: str = "server"
    """``server`` (scripted), ``refuse`` (listener closed) or ``unanswered`` (connect hangs)."""
    notes: str = field(default="")


def same(expect: Expect) -> Callable[[Operation], Expect]:
    return lambda op: expect


def body_fault(error: type[BaseException], wait: float = 0.0) -> Callable[[Operation], Expect]:
    """A failure while reading a 2xx body: retried for a buffered body; raised from the
    iteration, never retried, for a stream already handed over."""
    return lambda op: Expect(error, 1 if op.stream else MAX_ATTEMPTS, wait=wait)


def stream_bytes_fault(
    body: bytes, stream_error: type[BaseException]
) -> Callable[[Operation], Expect]:
    """A 2xx whose event-stream body is bad: opaque bytes to the buffered operations."""
    return lambda op: (
        Expect(stream_error, 1) if op.stream else Expect(None, 1, body=op.opaque(body))
    )


def stream_response(body: bytes) -> Callable[[Operation], Action]:
    return lambda op: respond(Response(body, [("Content-Type", EVENTSTREAM)], chunked=True))


GOOD_PARTS = payload_part(b'{"answer"') + payload_part(b": 42}")
TRUNCATED = GOOD_PARTS + payload_part(b"lost")[:20]
CORRUPTED = payload_part(b'{"answer"') + corrupt(payload_part(b": 42}"))
OVERSIZED = payload_part(b'{"answer"') + oversized_prelude()
MODEL_STREAM_ERROR = payload_part(b'{"answer"') + model_stream_error()

retryable_transport = Expect(EndpointConnectionError, MAX_ATTEMPTS)

FAULTS = [
    Fault("refused connection", None, same(retryable_transport), url="refuse"),
    Fault(
        "connect timeout",
        None,
        same(Expect(ConnectTimeoutError, MAX_ATTEMPTS, wait=CONNECT_TIMEOUT)),
        url="unanswered",
    ),
    Fault("reset before status line", lambda op: reset_before_status(), same(retryable_transport)),
    Fault("reset mid headers", lambda op: reset_mid_headers(), same(retryable_transport)),
    Fault(
        "stall before headers",
        lambda op: _stall_before_headers(STALL),
        same(Expect(ReadTimeoutError, MAX_ATTEMPTS, wait=READ_TIMEOUT)),
    ),
    Fault("malformed status line", lambda op: malformed_status_line(), same(retryable_transport)),
    Fault("malformed header line", lambda op: malformed_header(), same(retryable_transport)),
    Fault(
        "reset mid body", lambda op: reset_in_body(op.success), body_fault(EndpointConnectionError)
    ),
    Fault(
        "stall mid body",
        lambda op: stall_in_body(op.success, STALL),
        body_fault(ReadTimeoutError, wait=READ_TIMEOUT),
    ),
    Fault(
        "slow drip below read timeout",
        lambda op: drip(op.success, DRIP_PIECES, DRIP_GAP),
        same(Expect(None, 1, wait=(DRIP_PIECES - 1) * DRIP_GAP)),
    ),
    Fault(
        "Content-Length longer than body",
        lambda op: short_content_length(op.success),
        body_fault(EndpointConnectionError),
    ),
    Fault(
        "chunk size not hex",
        lambda op: chunked_bad_size(op.success),
        body_fault(EndpointConnectionError),
    ),
    Fault(
        "chunked body without last chunk",
        lambda op: chunked_no_terminator(op.success),
        body_fault(EndpointConnectionError),
    ),
    Fault(
        "500 InternalFailure",
        lambda op: status(500, "InternalFailure"),
        same(Expect(InternalFailure, MAX_ATTEMPTS, code="InternalFailure")),
    ),
    Fault(
        "503 ServiceUnavailable",
        lambda op: status(503, "ServiceUnavailable"),
        same(Expect(ServiceUnavailable, MAX_ATTEMPTS, code="ServiceUnavailable")),
    ),
    Fault(
        "504 empty body",
        lambda op: status(504, body=b""),
        same(Expect(ServiceError, MAX_ATTEMPTS, code="504")),
    ),
    Fault(
        "502 HTML page (proxy)",
        lambda op: html_error(502),
        same(Expect(ServiceError, MAX_ATTEMPTS, code="502")),
    ),
    Fault(
        "403 HTML page (proxy)",
        lambda op: html_error(403),
        same(Expect(ServiceError, 1, code="403")),
    ),
    Fault(
        "429 ThrottlingException",
        lambda op: status(429, "ThrottlingException"),
        same(Expect(ServiceError, MAX_ATTEMPTS, code="ThrottlingException")),
    ),
    Fault(
        "429 ModelNotReadyException",
        lambda op: status(429, "ModelNotReadyException"),
        same(Expect(ModelNotReadyException, 1, code="ModelNotReadyException")),
    ),
    Fault(
        "400 ValidationError",
        lambda op: status(400, "ValidationError"),
        same(Expect(ValidationError, 1, code="ValidationError")),
    ),
    Fault(
        "424 ModelError",
        lambda op: status(424, "ModelError"),
        same(Expect(ModelError, 1, code="ModelError")),
    ),
    Fault(
        "530 InternalDependencyException",
        lambda op: status(530, "InternalDependencyException"),
        same(Expect(InternalDependencyException, 1, code="InternalDependencyException")),
    ),
    Fault(
        "event stream truncated mid frame",
        stream_response(TRUNCATED),
        stream_bytes_fault(TRUNCATED, EventStreamError),
    ),
    Fault(
        "event stream CRC corrupted",
        stream_response(CORRUPTED),
        stream_bytes_fault(CORRUPTED, EventStreamError),
    ),
    Fault(
        "event stream frame over the size limit",
        stream_response(OVERSIZED),
        stream_bytes_fault(OVERSIZED, EventStreamError),
    ),
    Fault(
        "event stream ModelStreamError event",
        stream_response(MODEL_STREAM_ERROR),
        stream_bytes_fault(MODEL_STREAM_ERROR, ModelStreamError),
    ),
    Fault(
        "event stream stalled",
        lambda op: stall_in_body(
            Response(GOOD_PARTS, [("Content-Type", EVENTSTREAM)], chunked=True), STALL
        ),
        body_fault(ReadTimeoutError, wait=READ_TIMEOUT),
    ),
]

ENGINES = ["httpx", "aiohttp"]


def describe(error: BaseException | None, attempts: int) -> str:
    if error is None:
        return f"ok ×{attempts}"
    name = type(error).__name__
    if type(error) is ServiceError:
        name = f"ServiceError({error.code})"  # type: ignore[attr-defined]
    return f"{name} ×{attempts}"


async def timed_call(
    op: Operation, client: object
) -> tuple[bytes | None, BaseException | None, float]:
    start = anyio.current_time()
    try:
        result = await op.call(client)  # type: ignore[arg-type]
    except Exception as error:
        return None, error, anyio.current_time() - start
    return result, None, anyio.current_time() - start


def check_outcome(
    where: str,
    op: Operation,
    expect: Expect,
    result: bytes | None,
    error: BaseException | None,
    elapsed: float,
    wire: int,
    sent: int,
    count_wire: bool,
    outcomes: list[str] | None = None,
) -> None:
    if expect.error is None:
        assert error is None, f"{where}: expected success, got {error!r}"
        assert result == (expect.body if expect.body is not None else op.expected), where
    else:
        assert type(error) is expect.error, (
            f"{where}: expected {expect.error.__name__}, got {error!r}"
        )
        if expect.code is not None:
            assert error.code == expect.code, where  # type: ignore[union-attr]
    assert sent == expect.attempts, f"{where}: {sent} attempts sent, expected {expect.attempts}"
    assert sent <= MAX_ATTEMPTS
    if count_wire:
        assert wire == sent, f"{where}: {wire} requests on the wire, {sent} sent ({outcomes})"
    upper = expect.attempts * expect.wait + backoff_bound(expect.attempts) + SLACK
    assert elapsed < upper, f"{where}: took {elapsed:.2f} s (bound {upper:.2f} s)"
    assert elapsed >= expect.attempts * expect.wait * 0.9, f"{where}: too fast ({elapsed:.3f} s)"


async def warm_up(counted: Counted) -> None:
    """Create the HTTP engine (CA bundle, session) and resolve the endpoint up front, so
    that the timed calls measure the faults, not the first call's setup."""
    pipeline = counted.client._pipeline
    await pipeline.resolve()
    await pipeline.transport._start()  # type: ignore[attr-defined]


async def run_cell(fault: Fault, op: Operation, engine: str) -> str:
    expect = fault.expect(op)
    where = f"{fault.name} / {op.name} / {engine}"
    with ReliabilityServer(default=respond(op.success)) as server:
        if fault.url == "unanswered":
            with UnansweredConnects() as url:
                counted = make_client(url, engine, max_pool_connections=1)
                await warm_up(counted)
                result, error, elapsed = await timed_call(op, counted.client)
                check_outcome(where, op, expect, result, error, elapsed, 0, counted.sent, False)
                await counted.client.aclose()
            return describe(error, counted.sent)

        counted = make_client(
            server.url,
            engine,
            max_pool_connections=1,
            connect_timeout=SETTLED_CONNECT_TIMEOUT,
        )
        client = counted.client
        await warm_up(counted)
        # 1. every request faulty
        if fault.url == "refuse":
            server.refuse_connections()
        else:
            assert fault.action is not None
            server.default = fault.action(op)
        result, error, elapsed = await timed_call(op, client)
        check_outcome(
            where,
            op,
            expect,
            result,
            error,
            elapsed,
            len(server.requests),
            counted.sent,
            fault.url == "server",
            counted.outcomes,
        )
        cell = describe(error, counted.sent)

        # 2. a burst of max_attempts - 1 faults, then a good answer
        if fault.url == "server" and expect.error is not None and expect.attempts == MAX_ATTEMPTS:
            assert fault.action is not None
            server.default = respond(op.success)
            server.script(*[fault.action(op)] * (MAX_ATTEMPTS - 1))
            before_wire, counted.sent = len(server.requests), 0
            counted.outcomes.clear()
            burst = Expect(None, MAX_ATTEMPTS, wait=expect.wait * (MAX_ATTEMPTS - 1) / MAX_ATTEMPTS)
            result, error, elapsed = await timed_call(op, client)
            check_outcome(
                f"{where} (burst)",
                op,
                burst,
                result,
                error,
                elapsed,
                len(server.requests) - before_wire,
                counted.sent,
                True,
                counted.outcomes,
            )
            cell += f"; burst of {MAX_ATTEMPTS - 1} → ok ×{MAX_ATTEMPTS}"

        # 3. recovery through the same pool of one connection
        if fault.url == "refuse":
            server.accept_connections()
        server.default = respond(op.success)
        before_wire, counted.sent = len(server.requests), 0
        with anyio.fail_after(1.0 + SLACK):
            assert await op.call(client) == op.expected, f"{where}: recovery"
        assert counted.sent == 1 and len(server.requests) - before_wire == 1, f"{where}: recovery"

        # 4. nothing left behind
        await client.aclose()
        assert server.wait_for_closed_connections(2.0), f"{where}: connection left open"
    return cell


def matrix_params() -> list[object]:
    params = []
    for fault in FAULTS:
        for engine in ENGINES:
            params.append(pytest.param(fault, engine, id=f"{fault.name}-{engine}"))
    return params


@pytest.mark.parametrize(("fault", "engine"), matrix_params())
async def test_fault_matrix(fault: Fault, engine: str, anyio_backend: str) -> None:
    if engine == "aiohttp" and anyio_backend != "asyncio":
        pytest.skip("aiohttp runs under asyncio only")
    column = matrix.column(engine, anyio_backend)
    cells: dict[str, str] = {}
    failures: list[BaseException] = []

    async def one(op: Operation) -> None:
        try:
            with anyio.fail_after(CELL_LIMIT):
                cells[op.name] = await run_cell(fault, op, engine)
        except TimeoutError as error:
            cells[op.name] = f"**hangs** (no error after {CELL_LIMIT:.0f} s)"
            failures.append(AssertionError(f"{fault.name} / {op.name} / {engine}: call hangs"))
            failures[-1].__cause__ = error
        except Exception as error:
            cells[op.name] = f"**unexpected**: {type(error).__name__}"
            failures.append(error)

    # The three operations run side by side (own server and client each): the timeouts
    # of one cell overlap with those of the others.
    tasks_before = live_tasks()
    async with anyio.create_task_group() as group:
        for op in OPERATIONS.values():
            group.start_soon(one, op)
    for op_name, cell in cells.items():
        matrix.record(fault.name, op_name, column, cell)
    if failures:
        raise failures[0]
    assert live_tasks() == tasks_before, "a task was left behind after aclose()"


def test_every_fault_is_in_the_matrix() -> None:
    names = [fault.name for fault in FAULTS]
    assert len(names) == len(set(names))
    matrix.expect_rows(names, list(OPERATIONS))


async def test_aiohttp_chunk_error_surfaces_promptly(anyio_backend: str) -> None:
    """aiohttp leaves a chunked-framing error on its protocol, not on the body: with the
    default-like long read timeout the error must still surface at once, not after it."""
    if anyio_backend != "asyncio":
        pytest.skip("aiohttp runs under asyncio only")
    for op in OPERATIONS.values():
        with ReliabilityServer(default=chunked_bad_size(op.success)) as server:
            counted = make_client(server.url, "aiohttp", read_timeout=60, max_attempts=1)
            async with counted.client as client:
                with anyio.fail_after(2), pytest.raises(EndpointConnectionError):
                    await op.call(client)
