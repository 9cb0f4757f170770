"""prepare_input: payload sources read once, within the limit; idempotency tokens fixed."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Optional

import anyio
import pytest
from pydantic import Field
from test_protocol_model import ENDPOINT, TABLES, make_input

from aiosagemaker_runtime import ParamValidationError
from aiosagemaker_runtime._protocol.rest_json import (
    needs_preparation,
    prepare_input,
    serialize_request,
)
from aiosagemaker_runtime._protocol.shapes import Shape, blob_payload
from aiosagemaker_runtime._spec import MemberSpec, OperationSpec, ShapeSpec

LIMIT = 64


class UploadInput(Shape):
    name: Annotated[str, Field(alias="Name")]
    body: Optional[blob_payload(max_length=LIMIT)] = Field(default=None, alias="Body")  # type: ignore[valid-type]


class BoundedInput(Shape):
    body: Optional[Annotated[bytes, Field(min_length=2, max_length=4)]] = Field(
        default=None, alias="Body"
    )


SHAPES = {
    "UploadInput": ShapeSpec(
        name="UploadInput",
        type="structure",
        members=(
            MemberSpec(
                name="Name",
                attr="name",
                target="String",
                location="uri",
                wire_name="Name",
                required=True,
            ),
            MemberSpec(name="Body", attr="body", target="Blob"),
        ),
        payload="body",
        class_ref=UploadInput,
    ),
    "BoundedInput": ShapeSpec(
        name="BoundedInput",
        type="structure",
        members=(MemberSpec(name="Body", attr="body", target="BoundedBlob"),),
        payload="body",
        class_ref=BoundedInput,
    ),
    "String": ShapeSpec(name="String", type="string"),
    "Blob": ShapeSpec(name="Blob", type="blob", streaming=True, max=LIMIT),
    "BoundedBlob": ShapeSpec(name="BoundedBlob", type="blob", streaming=True, min=2, max=4),
}
UPLOAD = OperationSpec(
    name="Upload", method="POST", uri="/u/{Name}", input="UploadInput", output="", shapes=SHAPES
)
BOUNDED = OperationSpec(
    name="Bounded", method="POST", uri="/b", input="BoundedInput", output="", shapes=SHAPES
)


class CountingFile(io.RawIOBase):
    """An endless binary file that counts what it hands out."""

    def __init__(self, size: int | None = None) -> None:
        self.size = size
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = len(buffer) if self.size is None else min(len(buffer), self.size - self.served)
        n = min(remaining, 7)  # short reads, as raw files may give
        buffer[:n] = b"z" * n
        self.served += n
        return n


@pytest.mark.anyio
@pytest.mark.parametrize("body", [b"abc", bytearray(b"abc"), memoryview(b"abc"), "abc", None])
async def test_in_memory_payloads_are_kept_as_they_are(body: Any) -> None:
    value = UploadInput(name="n", body=body)
    prepared = await prepare_input(UPLOAD, value)
    assert prepared is value
    if body is not None:
        assert prepared.body is body
    assert not needs_preparation(UPLOAD, value)  # the pipeline skips prepare_input


@pytest.mark.anyio
async def test_a_payload_to_read_needs_preparation() -> None:
    value = UploadInput(name="n", body=io.BytesIO(b"abc"))
    assert needs_preparation(UPLOAD, value)
    assert (await prepare_input(UPLOAD, value)).body == b"abc"


@pytest.mark.anyio
async def test_bytes_io_and_real_files_are_read(tmp_path: Path) -> None:
    prepared = await prepare_input(UPLOAD, UploadInput(name="n", body=io.BytesIO(b"x" * LIMIT)))
    assert prepared.body == b"x" * LIMIT and type(prepared.body) is bytes
    path = tmp_path / "payload.bin"
    path.write_bytes(b"\x00\x01" * 20)
    with path.open("rb") as handle:
        original = UploadInput(name="n", body=handle)
        prepared = await prepare_input(UPLOAD, original)
    assert prepared.body == b"\x00\x01" * 20
    assert prepared.name == "n"
    assert original.body is handle  # the caller's model is not changed
    request = serialize_request(UPLOAD, prepared, ENDPOINT)
    assert request.body == b"\x00\x01" * 20


@pytest.mark.anyio
async def test_raw_files_with_short_reads_are_read_to_the_end() -> None:
    source = CountingFile(size=50)
    prepared = await prepare_input(UPLOAD, UploadInput(name="n", body=source))
    assert prepared.body == b"z" * 50


@pytest.mark.anyio
async def test_async_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "payload.bin"
    path.write_bytes(b"async" * 10)
    async with await anyio.open_file(path, "rb") as handle:
        prepared = await prepare_input(UPLOAD, UploadInput(name="n", body=handle))
    assert prepared.body == b"async" * 10


@pytest.mark.anyio
async def test_async_iterables_are_joined() -> None:
    async def chunks() -> AsyncIterator[Any]:
        yield b"ab"
        yield bytearray(b"cd")
        yield memoryview(b"ef")
        yield "gé"

    prepared = await prepare_input(UPLOAD, UploadInput(name="n", body=chunks()))
    assert prepared.body == b"abcdefg\xc3\xa9"


@pytest.mark.anyio
async def test_over_the_limit_is_refused_without_reading_everything() -> None:
    source = CountingFile()  # endless
    with pytest.raises(ParamValidationError) as info:
        await prepare_input(UPLOAD, UploadInput(name="n", body=source))
    assert info.value.member == "Body" and info.value.constraint == "max"
    assert str(LIMIT) in str(info.value)
    assert source.served <= LIMIT + 1


@pytest.mark.anyio
async def test_endless_async_iterable_is_stopped_and_closed() -> None:
    produced = 0
    closed = False

    async def endless() -> AsyncIterator[bytes]:
        nonlocal produced, closed
        try:
            while True:
                produced += 10
                yield b"0123456789"
        finally:
            closed = True

    with pytest.raises(ParamValidationError) as info:
        await prepare_input(UPLOAD, UploadInput(name="n", body=endless()))
    assert info.value.member == "Body"
    assert produced <= LIMIT + 10
    assert closed


@pytest.mark.anyio
async def test_exactly_the_limit_is_accepted() -> None:
    async def one() -> AsyncIterator[bytes]:
        yield b"y" * LIMIT

    assert (await prepare_input(UPLOAD, UploadInput(name="n", body=one()))).body == b"y" * LIMIT
    big = CountingFile(size=LIMIT)
    assert (await prepare_input(UPLOAD, UploadInput(name="n", body=big))).body == b"z" * LIMIT


@pytest.mark.anyio
async def test_non_bytes_chunks_are_refused() -> None:
    async def numbers() -> AsyncIterator[Any]:
        yield 1

    with pytest.raises(ParamValidationError) as info:
        await prepare_input(UPLOAD, UploadInput(name="n", body=numbers()))
    assert info.value.member == "Body" and info.value.constraint == "type"


@pytest.mark.anyio
async def test_shape_min_and_max_are_enforced() -> None:
    with pytest.raises(ParamValidationError) as info:
        await prepare_input(BOUNDED, BoundedInput.model_construct(body=io.BytesIO(b"12345")))
    assert info.value.constraint == "max"
    with pytest.raises(ParamValidationError) as info:
        await prepare_input(BOUNDED, BoundedInput.model_construct(body=io.BytesIO(b"1")))
    assert info.value.constraint == "min"
    assert (
        await prepare_input(BOUNDED, BoundedInput.model_construct(body=io.BytesIO(b"123")))
    ).body == b"123"


def test_unprepared_streams_are_not_serialized() -> None:
    with pytest.raises(TypeError, match="prepare_input"):
        serialize_request(UPLOAD, UploadInput(name="n", body=io.BytesIO(b"x")), ENDPOINT)


@pytest.mark.anyio
async def test_idempotency_tokens_are_fixed_once_per_call() -> None:
    op = TABLES.operations["CreateThing"]
    unprepared = make_input(TABLES, op.input, {"Name": "n"})
    assert needs_preparation(op, unprepared)
    prepared = await prepare_input(op, unprepared)
    token = prepared.client_token
    assert uuid.UUID(token).version == 4
    first = serialize_request(op, prepared, ENDPOINT)
    second = serialize_request(op, prepared, ENDPOINT)
    assert json.loads(first.body)["ClientToken"] == json.loads(second.body)["ClientToken"] == token
    given = make_input(TABLES, op.input, {"ClientToken": "mine"})
    assert await prepare_input(op, given) is given
    empty = await prepare_input(op, None)
    assert uuid.UUID(empty.client_token).version == 4
