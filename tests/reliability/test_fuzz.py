"""Property tests not covered by ``tests/unit``: header value validation over every
header-bound input member, and the event stream (decoder behind ``EventStream`` over a
response delivering arbitrary bytes in arbitrary chunks) never hanging and raising
nothing but ``EventStreamError``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiosagemaker_runtime import EventStreamError, ParamValidationError
from aiosagemaker_runtime._generated.operations import (
    INVOKE_ENDPOINT_WITH_RESPONSE_STREAM,
    SERVICE,
)
from aiosagemaker_runtime._protocol.eventstream import encode_message
from aiosagemaker_runtime._protocol.streams import EventStream
from aiosagemaker_runtime.models import InvokeEndpointInput

# Header-bound members of InvokeEndpointInput (Python name -> wire name) and a value
# each accepts, so that only the member under test is invalid.
HEADER_MEMBERS = {
    "content_type": "ContentType",
    "accept": "Accept",
    "custom_attributes": "CustomAttributes",
    "target_model": "TargetModel",
    "target_variant": "TargetVariant",
    "target_container_hostname": "TargetContainerHostname",
    "inference_id": "InferenceId",
    "enable_explanations": "EnableExplanations",
    "inference_component_name": "InferenceComponentName",
    "session_id": "SessionId",
}
FORBIDDEN = "\r\n\x00"


@st.composite
def with_forbidden(draw: st.DrawFn) -> str:
    """Any text (non-ASCII included) with at least one CR, LF or NUL inside."""
    text = draw(st.text(max_size=30))
    where = draw(st.integers(min_value=0, max_value=len(text)))
    bad = draw(st.text(alphabet=FORBIDDEN, min_size=1, max_size=3))
    return text[:where] + bad + text[where:]


@settings(max_examples=300, deadline=None)
@given(member=st.sampled_from(sorted(HEADER_MEMBERS)), value=with_forbidden())
def test_header_values_with_cr_lf_nul_are_refused(member: str, value: str) -> None:
    with pytest.raises(ParamValidationError) as caught:
        InvokeEndpointInput(endpoint_name="ep", body=b"x", **{member: value})
    assert HEADER_MEMBERS[member] in str(caught.value)


printable_ascii = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E))


@settings(max_examples=300, deadline=None)
@given(
    member=st.sampled_from(["custom_attributes", "content_type", "accept"]),
    value=printable_ascii.filter(lambda text: len(text) <= 1024),
)
def test_printable_ascii_is_accepted_without_stricter_patterns(member: str, value: str) -> None:
    model = InvokeEndpointInput(endpoint_name="ep", body=b"x", **{member: value})
    assert getattr(model, member) == value


# -- the event stream never hangs ---------------------------------------------------------------


class ChunkedResponse:
    """An ``HTTPResponse`` delivering ``chunks`` then the end of the body."""

    status_code = 200

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks
        self.headers: Mapping[str, str] = {"content-type": "application/vnd.amazon.eventstream"}
        self.closed = False

    async def read(self) -> bytes:
        return b"".join(self._chunks)

    async def iter_raw(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            await anyio.sleep(0)
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


GOOD = encode_message(
    [(":event-type", "PayloadPart"), (":message-type", "event")], b'{"answer": 42}'
)


@st.composite
def chunked_bytes(draw: st.DrawFn) -> list[bytes]:
    """Arbitrary bytes (sometimes after a good frame, or a prelude-sized prefix that
    announces a long frame), cut into random chunks."""
    prefix = draw(st.sampled_from([b"", GOOD, GOOD[:12], GOOD[:7]]))
    data = prefix + draw(st.binary(max_size=600))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    pieces, start = [], 0
    for cut in [*cuts, len(data)]:
        pieces.append(data[start:cut])
        start = cut
    return pieces


BOUND = 2.0  # seconds; a healthy run of one example takes well under a millisecond


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=chunked_bytes(), backend=st.sampled_from(["asyncio", "trio"]))
def test_event_stream_over_arbitrary_bytes_ends_with_event_stream_error(
    chunks: list[bytes], backend: str
) -> None:
    async def consume() -> tuple[int, BaseException | None, bool]:
        response = ChunkedResponse(chunks)
        stream: EventStream[object] = EventStream(
            response,  # type: ignore[arg-type]
            INVOKE_ENDPOINT_WITH_RESPONSE_STREAM,
            SERVICE,
            None,
        )
        events = 0
        try:
            with anyio.fail_after(BOUND):
                async with stream:
                    async for _ in stream:
                        events += 1
        except EventStreamError as error:
            return events, error, response.closed
        return events, None, response.closed

    start = time.monotonic()
    events, error, closed = anyio.run(consume, backend=backend)
    assert time.monotonic() - start < BOUND
    assert closed, "the response was not released"
    data = b"".join(chunks)
    if error is None:
        # Only whole, valid frames end a stream quietly.
        assert data in (b"", GOOD), data[:40]
        assert events == (1 if data else 0)
