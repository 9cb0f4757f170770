"""The hook tracing and metrics plug into: an observer of calls, off by default.

The core knows no tracing library. :mod:`aiosagemaker_runtime.otel` installs an
:class:`Observer` (:func:`install`); the pipeline then tells it about each call, in
this order::

    call = observer.call(service, operation)   # the call starts
    call.request(input, region, endpoint)      # its input model and where it goes
    call.response(status, request_id)          # a 2xx answer's status line
    call.stream()                              # a response stream: its observer
    call.end(output, error, attempts)          # the call returns or raises

``request`` and ``response`` may be skipped (invalid input, no answer); ``end`` comes
exactly once, in the task that made the call (so a tracer may make its span current
between ``call`` and ``end``). The stream's observer (:class:`StreamObserver`, handed
to :class:`~aiosagemaker_runtime.EventStream`) then hears of each part and of the
stream's end, which may come long after ``end``. Observers must not raise.

A duplex (input event stream) call reports the same way: ``call`` and ``request``
before its first attempt, ``response`` and ``stream()`` (passed to the output side's
``EventStream``) when the response headers are in, ``end`` when the call returns.

With no observer installed (``observer is None``) a call pays one read of this
module's attribute and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ._protocol.streams import StreamObserver
    from ._spec import OperationSpec, ServiceSpec

__all__ = ["install", "observer"]


if TYPE_CHECKING:
    # For type checkers only: creating Protocol classes costs import time, and nothing
    # checks against them at run time.

    class CallObserver(Protocol):
        """One call, as the pipeline reports it."""

        def request(self, input: Any, region: str, endpoint: str) -> None:
            """The validated input model (``None`` for an operation without input), the
            region and the endpoint URL, once, before the first attempt."""

        def response(self, status: int, request_id: str | None) -> None:
            """The successful answer's HTTP status and request id."""

        def stream(self) -> StreamObserver:
            """The observer of the response stream the call returns."""
            ...

        def end(self, output: Any, error: BaseException | None, attempts: int) -> None:
            """The call returned ``output`` or raised ``error`` after ``attempts`` attempts
            (0 when nothing was sent)."""

    class Observer(Protocol):
        """What :func:`install` takes: makes a :class:`CallObserver` per call."""

        def call(self, service: ServiceSpec, operation: OperationSpec) -> CallObserver:
            """A call of ``operation`` starts."""
            ...


#: The installed observer; ``None`` (the default) when nothing observes calls.
observer: Observer | None = None


def install(new: Observer | None) -> Observer | None:
    """Install ``new`` (``None``: none) for the calls that start from now on; returns
    the observer it replaces."""
    global observer
    previous, observer = observer, new
    return previous
