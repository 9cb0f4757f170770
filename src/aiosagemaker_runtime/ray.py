"""Ray Data: score a dataset through an endpoint with ``Dataset.map_batches``.

::

    import ray
    from aiosagemaker_runtime.ray import EndpointInvoker

    scored = ray.data.read_json("s3://bucket/records/").map_batches(
        EndpointInvoker,
        fn_constructor_kwargs={"endpoint_name": "my-endpoint", "input_column": "text"},
        batch_size=64,
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=4),
        num_cpus=0.25,
    )

:class:`EndpointInvoker` is a callable class with an async ``__call__``: Ray Data runs it
in actors, one instance per actor, and calls it on an event loop of the actor's, several
batches at a time. Each instance makes one client, on that event loop at its first batch
(the constructor runs in the actor's main thread, before the loop exists), and sends
every record of every batch through one :func:`~aiosagemaker_runtime.bulk.invoke_many`
run: at most ``concurrency`` calls in flight per actor whatever the number of batches
Ray hands it at once, and the adaptive limit learnt from the endpoint's throttling
carries over from batch to batch.

Every record gets an answer or an error, as columns of its row (the input columns are
kept, the row order of each batch too):

* ``body``: the answer as the command line's ``invoke-endpoint-batch`` writes it: the
  parsed JSON value when the answer is JSON, else its text (``bytes`` when it is not
  UTF-8, or always with ``decode=False``); ``None`` for a failed record;
* ``content_type``, ``invoked_production_variant`` of the answer;
* ``error_code``, ``error_message``, ``status_code`` of a failed record (``None`` for a
  record that succeeded): a model's error (``ModelError``, 424), a record throttled more
  than ``max_throttle_retries`` times, a connection that failed more than
  ``max_transient_retries`` times, a value that cannot be a body (``MalformedRecord``).

Throttling (``ThrottlingException``, ``ModelNotReadyException``, 429, 503) is absorbed:
the calls in flight come down, the throttled record waits and is sent again. Missing
credentials or region are not a record's error: the batch raises them and Ray reports
the task's failure.

The client takes its region, credentials and endpoint URL where it always does (the
constructor's arguments, else the actor's environment: ``AWS_REGION``, the instance or
pod role, ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``...). Ray pickles the constructor's
arguments to every actor: prefer roles over keys in ``client_kwargs``.

Batches are ``dict``s of NumPy arrays (``batch_format="numpy"``, Ray's default) or pandas
DataFrames (``batch_format="pandas"``); the answer is the same kind. Works on the asyncio
event loop Ray Data runs it on (or any asyncio program: ``await invoker(batch)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import numpy as np

from . import ClientConfig, CredentialsError, ParamValidationError, SageMakerRuntimeClient
from ._bulk.fields import MalformedRecord, decode_body, error_fields
from .bulk import DEFAULT_CONCURRENCY, DEFAULT_MAX_THROTTLE_RETRIES, BulkResult, invoke_many

__all__ = ["OUTPUT_COLUMNS", "EndpointInvoker"]

#: The columns an :class:`EndpointInvoker` adds to each batch (after ``output_prefix``).
OUTPUT_COLUMNS = (
    "body",
    "content_type",
    "invoked_production_variant",
    "error_code",
    "error_message",
    "status_code",
)

#: Re-queues of a record after a transient error (the client makes one attempt per
#: call): the three attempts a client makes by default, as ``invoke-endpoint-batch``.
DEFAULT_MAX_TRANSIENT_RETRIES = 2


class EndpointInvoker:
    """A callable class for ``Dataset.map_batches``: one ``InvokeEndpoint`` call per row.

    * ``endpoint_name``: the endpoint every row goes to.
    * ``input_column``: the column holding each request's body: ``bytes`` are sent as
      they are, ``str`` as UTF-8, any other value (a dict, a list, a number, a NumPy
      array) as compact JSON. A null is that record's ``MalformedRecord`` error.
    * ``content_type`` (default ``application/json``), ``accept``: of every request.
    * ``concurrency``: calls in flight per actor at most, and where the adaptive limit
      starts (default 32); ``adaptive=False`` keeps it fixed.
    * ``max_throttle_retries`` (20), ``max_transient_retries`` (2): times one record is
      sent again after throttling answers, or after errors the client would retry (a
      5xx, a timeout, a broken connection), before that error becomes its result. The
      client makes one attempt per call (``config``'s ``max_attempts`` is replaced by 1):
      the run does the retrying, so that every throttle reaches the limit at once.
    * ``invoke_kwargs``: further InvokeEndpoint arguments for every row
      (``{"target_variant": "blue", "inference_component_name": "ic-1"}``);
      ``member_columns``: arguments taken from a column per row
      (``{"target_model": "model_file"}``; a null leaves the argument out).
    * ``decode``: the answer decoded as the command line does (default), or its bytes.
    * ``output_prefix``: put before the output columns' names (an input column with the
      name of an output column is an error, not overwritten).
    * ``region_name``, ``endpoint_url``, ``profile_name``, ``config``, ``client_kwargs``
      (any other :class:`~aiosagemaker_runtime.SageMakerRuntimeClient` argument): the
      client's, made in the actor.
    """

    def __init__(
        self,
        endpoint_name: str,
        input_column: str,
        *,
        content_type: str | None = "application/json",
        accept: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        adaptive: bool = True,
        max_throttle_retries: int = DEFAULT_MAX_THROTTLE_RETRIES,
        max_transient_retries: int = DEFAULT_MAX_TRANSIENT_RETRIES,
        invoke_kwargs: Mapping[str, Any] | None = None,
        member_columns: Mapping[str, str] | None = None,
        decode: bool = True,
        output_prefix: str = "",
        region_name: str | None = None,
        endpoint_url: str | None = None,
        profile_name: str | None = None,
        config: ClientConfig | None = None,
        client_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.endpoint_name = endpoint_name
        self.input_column = input_column
        self.output_columns = tuple(output_prefix + name for name in OUTPUT_COLUMNS)
        clash = {input_column, *(member_columns or {}).values()} & set(self.output_columns)
        if clash:
            raise ValueError(
                f"input column {sorted(clash)[0]!r} has the name of an output column; "
                "pass output_prefix (e.g. output_prefix='answer_')"
            )
        self._defaults: dict[str, Any] = {"endpoint_name": endpoint_name}
        if content_type is not None:
            self._defaults["content_type"] = content_type
        if accept is not None:
            self._defaults["accept"] = accept
        self._defaults.update(invoke_kwargs or {})
        self._member_columns = dict(member_columns or {})
        self._decode = decode
        self._run_options: dict[str, Any] = {
            "concurrency": concurrency,
            "adaptive": adaptive,
            "max_throttle_retries": max_throttle_retries,
            "max_transient_retries": max_transient_retries,
        }
        self._client_options: dict[str, Any] = {
            "region_name": region_name,
            "endpoint_url": endpoint_url,
            "profile_name": profile_name,
            **(client_kwargs or {}),
        }
        self._config = config
        self._runner: _Runner | None = None

    def __repr__(self) -> str:  # never the client options: they may hold keys
        return f"EndpointInvoker(endpoint_name={self.endpoint_name!r}, input_column={self.input_column!r})"

    async def __call__(self, batch: Any) -> Any:
        """Invoke the endpoint once per row of ``batch``; the batch with the output
        columns added, rows in the same order."""
        columns, frame = _columns(batch)
        clash = set(columns) & set(self.output_columns)
        if clash:
            raise ValueError(
                f"the batch has a column named {sorted(clash)[0]!r}, like an output "
                "column; pass output_prefix (e.g. output_prefix='answer_')"
            )
        values = _column(columns, self.input_column)
        members = {
            argument: _column(columns, column) for argument, column in self._member_columns.items()
        }
        pending = _Batch(len(values))
        if values:
            runner = self._runner
            if runner is None or runner.broken is not None:
                runner = self._runner = _Runner(self._client(), self._run_options)
            for position, value in enumerate(values):
                kwargs = dict(self._defaults)
                for argument, column in members.items():
                    if column[position] is not None:
                        kwargs[argument] = column[position]
                runner.submit(_Item(pending, position, kwargs, value))
            try:
                await runner.wait(pending)
            except BaseException:
                pending.abandoned = True  # its records not yet sent are not sent
                raise
        return _with_outputs(batch, frame, self.output_columns, pending.results, self._decode)

    def _client(self) -> SageMakerRuntimeClient:
        config = self._config if self._config is not None else ClientConfig()
        return SageMakerRuntimeClient(
            config=dataclasses.replace(config, max_attempts=1), **self._client_options
        )

    async def aclose(self) -> None:
        """Stop the run and close the client (the next batch makes new ones)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.aclose()

    def __del__(self) -> None:
        # Ray Data drops the instance when the actor shuts down gracefully: close the
        # client's connections on the loop that made them, if it still runs.
        runner = getattr(self, "_runner", None)  # None when __init__ raised
        if runner is None or runner.loop.is_closed() or not runner.loop.is_running():
            return
        with contextlib.suppress(Exception):
            if runner.thread == threading.get_ident():
                runner.loop.create_task(runner.aclose())
            else:
                asyncio.run_coroutine_threadsafe(runner.aclose(), runner.loop).result(2.0)


class _Batch:
    """The records of one ``__call__``: their results by position, and when all are in."""

    __slots__ = ("abandoned", "done", "remaining", "results")

    def __init__(self, size: int) -> None:
        self.results: list[BulkResult[Any] | None] = [None] * size
        self.remaining = size
        self.done = asyncio.Event() if size else None
        self.abandoned = False

    def deliver(self, position: int, result: BulkResult[Any]) -> None:
        self.results[position] = result
        self.remaining -= 1
        if self.remaining == 0 and self.done is not None:
            self.done.set()


class _Item:
    """One record on its way (the request of the bulk run)."""

    __slots__ = ("batch", "kwargs", "position", "value")

    def __init__(self, batch: _Batch, position: int, kwargs: dict[str, Any], value: Any) -> None:
        self.batch = batch
        self.position = position
        self.kwargs = kwargs
        self.value = value

    def __repr__(self) -> str:  # the value is the body
        return f"_Item(position={self.position})"


class _Abandoned(Exception):
    """The record's batch was cancelled before it was sent."""


class _Runner:
    """One client and one bulk run for the actor's lifetime, fed by every batch."""

    def __init__(self, client: SageMakerRuntimeClient, options: Mapping[str, Any]) -> None:
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.client = client
        self.queue: asyncio.Queue[_Item] = asyncio.Queue()
        self.waiting: set[_Batch] = set()
        self.broken: BaseException | None = None
        self.task = self.loop.create_task(self._run(options))

    def submit(self, item: _Item) -> None:
        self.queue.put_nowait(item)

    async def wait(self, batch: _Batch) -> None:
        """Until every record of ``batch`` has its result; raises what a record's
        configuration error (credentials, region) or a broken run raised."""
        assert batch.done is not None
        self.waiting.add(batch)
        try:
            await batch.done.wait()
        finally:
            self.waiting.discard(batch)
        if self.broken is not None and batch.remaining:
            raise RuntimeError("the bulk run of this actor stopped") from self.broken
        for result in batch.results:
            assert result is not None
            error = result.error
            if isinstance(error, CredentialsError) or (
                isinstance(error, ParamValidationError) and error.member == "region_name"
            ):
                raise error

    async def _requests(self) -> AsyncIterator[_Item]:
        # The run's other workers send the records due again while one of them waits
        # here for the next batch (an async input gets one worker more than the limit).
        queue = self.queue
        while True:
            yield await queue.get()

    async def _call(self, item: _Item) -> Any:
        if item.batch.abandoned:
            raise _Abandoned
        kwargs = item.kwargs
        kwargs["body"] = _body(item.value)
        return await self.client.invoke_endpoint(**kwargs)

    async def _run(self, options: Mapping[str, Any]) -> None:
        try:
            async with invoke_many(
                self._call, self._requests(), ordered=False, **options
            ) as results:
                async for result in results:
                    item: _Item = result.request
                    item.batch.deliver(item.position, result)
        except BaseException as error:
            self.broken = error
            for batch in self.waiting:
                if batch.done is not None:
                    batch.done.set()
            raise
        finally:
            await self.client.aclose()

    async def aclose(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task


def _body(value: Any) -> bytes:
    """A request body from a column's value (see ``input_column``)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if value is None:
        raise MalformedRecord("the input column is null")
    try:
        return json.dumps(value, separators=(",", ":"), default=_json_default).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise MalformedRecord(f"the input value cannot be sent as JSON: {error}") from None


def _json_default(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)  # NumPy arrays and scalars
    if tolist is not None:
        return tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _columns(batch: Any) -> tuple[Mapping[str, Any], bool]:
    """The batch's columns by name, and whether it is a pandas DataFrame."""
    if isinstance(batch, Mapping):
        return batch, False
    if hasattr(batch, "columns") and hasattr(batch, "iloc"):  # pandas, not imported here
        return {str(name): batch[name] for name in batch.columns}, True
    raise TypeError(
        f"EndpointInvoker takes batches of batch_format 'numpy' (a dict of arrays) or "
        f"'pandas', not {type(batch).__name__}"
    )


def _column(columns: Mapping[str, Any], name: str) -> list[Any]:
    if name not in columns:
        raise KeyError(f"the batch has no column {name!r} (columns: {', '.join(columns)})")
    column = columns[name]
    return column.tolist() if hasattr(column, "tolist") else list(column)


def _with_outputs(
    batch: Any,
    frame: bool,
    names: Sequence[str],
    results: Sequence[BulkResult[Any] | None],
    decode: bool,
) -> Any:
    size = len(results)
    arrays = [np.empty(size, dtype=object) for _ in names]
    body, content_type, variant, code, message, status = arrays
    for position, result in enumerate(results):
        assert result is not None
        if result.error is None:
            output: Any = result.output
            body[position] = _answer(output.body, output.content_type, decode)
            content_type[position] = output.content_type
            variant[position] = output.invoked_production_variant
        else:
            fields = error_fields(result.error)
            code[position] = fields["code"]
            message[position] = fields["message"]
            status[position] = fields["status_code"]
    if frame:
        return batch.assign(**dict(zip(names, arrays, strict=True)))
    return {**batch, **dict(zip(names, arrays, strict=True))}


def _answer(body: bytes, content_type: str | None, decode: bool) -> Any:
    if not decode:
        return body
    key, value = decode_body(body, content_type)
    return body if key == "body_base64" else value
