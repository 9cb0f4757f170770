"""Base classes and constraint annotations that generated shapes are built from.

Generated models subclass :class:`Shape`; their constraints are written as
``Annotated[...]`` with pydantic's ``Field`` for lengths and ranges and with the
helpers here for what pydantic does not express the way the service applies it:
full-match Java patterns (:func:`pattern`), header-safe values (:data:`HEADER_VALUE`)
and payload blobs that may be bytes-like, text, files or async iterables
(:func:`blob_payload`). Any failure is raised as
:class:`~aiosagemaker_runtime.ParamValidationError` naming the member path as the
model spells it.

Outputs are built by the runtime with ``model_construct`` (no validation): a response
is never refused because the service returned a value outside the model's constraints.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterable, Iterator
from typing import IO, Annotated, Any, ClassVar, NoReturn, Union, get_args

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, PlainValidator
from pydantic_core import PydanticCustomError

from .._exceptions import ParamValidationError

__all__ = [
    "HEADER_VALUE",
    "REDACTED",
    "BlobPayload",
    "Shape",
    "blob_payload",
    "check_one_member",
    "compiled_pattern",
    "header_safe",
    "pattern",
    "payload_valid",
    "raise_param_validation_error",
]

REDACTED = "<redacted>"

#: What a payload blob member accepts from callers.
BlobPayload = Union[bytes, bytearray, memoryview, str, IO[bytes], AsyncIterable[bytes]]

_CONSTRAINT_BY_ERROR_TYPE = {
    "missing": "required",
    "string_too_short": "min",
    "string_too_long": "max",
    "bytes_too_short": "min",
    "bytes_too_long": "max",
    "too_short": "min",
    "too_long": "max",
    "greater_than_equal": "min",
    "greater_than": "min",
    "less_than_equal": "max",
    "less_than": "max",
    "literal_error": "enum",
    "enum": "enum",
    "pattern": "pattern",
    "header_value": "header value",
    "extra_forbidden": "unknown member",
}


def _shape_classes(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _shape_classes(arg)


def _member_path(loc: tuple[int | str, ...], model: type[BaseModel] | None) -> str:
    """Spell a pydantic location the way the model does (``Tags[0].Key``)."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        if part.startswith(("function-", "union[", "is-instance", "lax-", "strict-")):
            continue
        name = part
        if model is not None:
            field = model.model_fields.get(part)
            if field is None:
                field = next((f for f in model.model_fields.values() if f.alias == part), None)
            if field is not None:
                name = field.alias or part
                model = next(_shape_classes(field.annotation), None)
        path += f".{name}" if path else name
    return path


def raise_param_validation_error(
    error: pydantic.ValidationError, shape: str, model: type[BaseModel] | None = None
) -> NoReturn:
    """Re-raise pydantic's error as ParamValidationError naming the member and constraint.

    Values are never quoted: they may be sensitive.
    """
    lines = []
    first_member = ""
    first_constraint = ""
    for item in error.errors(include_url=False, include_input=False):
        member = _member_path(item["loc"], model) or shape
        constraint = _CONSTRAINT_BY_ERROR_TYPE.get(item["type"], "type")
        if not first_member:
            first_member, first_constraint = member, constraint
        lines.append(
            f"Invalid value for parameter {member}: {item['msg']} (constraint: {constraint})"
        )
    message = f"Parameter validation failed for {shape}:\n" + "\n".join(lines)
    raise ParamValidationError(message, member=first_member, constraint=first_constraint) from None


class Shape(BaseModel):
    """Base of every generated structure.

    Fields are snake_case with the model's member names as aliases; either spelling is
    accepted on input and ``model_dump(by_alias=True)`` gives botocore's dict.
    Members the model marks sensitive are shown as ``<redacted>`` by ``repr``/``str``.
    """

    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=False,
        extra="forbid",
        arbitrary_types_allowed=True,
        loc_by_alias=True,
        regex_engine="python-re",
        hide_input_in_errors=True,
        # Validators are built on first use: a call builds only the models it touches.
        defer_build=True,
    )

    #: Attribute names of sensitive members (set by generated classes).
    _sensitive_: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as error:
            raise_param_validation_error(error, type(self).__name__, type(self))

    # Nested shapes are validated by pydantic's core schema, not through this __init__:
    # only the outermost call converts the error, with the full member path.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Validate ``obj`` (a dict keyed by either spelling, or an instance)."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except pydantic.ValidationError as error:
            raise_param_validation_error(error, cls.__name__, cls)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        sensitive = self._sensitive_
        for name, value in super().__repr_args__():
            if name in sensitive and value is not None:
                yield name, REDACTED
            else:
                yield name, value


@functools.cache
def compiled_pattern(regex: str) -> re.Pattern[str]:
    """``regex`` compiled once, on first use (not at import: most are never needed)."""
    return re.compile(regex)


def _java_full_match(regex: str) -> AfterValidator:
    def check(value: str) -> str:
        if compiled_pattern(regex).fullmatch(value) is None:
            raise PydanticCustomError(
                "pattern", "Value must fully match pattern {pattern}", {"pattern": regex}
            )
        return value

    return AfterValidator(check)


def pattern(regex: str) -> AfterValidator:
    """A full-match constraint for ``regex`` (already translated from Java by the generator)."""
    return _java_full_match(regex)


def header_safe(value: str) -> bool:
    """True when ``value`` has no CR, LF or NUL (may go into a header or a URI)."""
    # Three substring searches: no regular expression to compile at import.
    return "\r" not in value and "\n" not in value and "\x00" not in value


def _check_header_value(value: Any) -> Any:
    if isinstance(value, str) and not header_safe(value):
        raise PydanticCustomError(
            "header_value", "Header values must not contain CR, LF or NUL characters", {}
        )
    return value


#: Refuses CR, LF and NUL in header-bound (and URI-bound) string values.
HEADER_VALUE = AfterValidator(_check_header_value)


def _payload_length(value: Any) -> int | None:
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, memoryview):
        return value.nbytes
    if isinstance(value, str):
        return len(value.encode("utf-8")) if not value.isascii() else len(value)
    return None


def _payload_error(
    value: Any, min_length: int | None, max_length: int | None
) -> PydanticCustomError | None:
    length = _payload_length(value)
    if length is None:
        if hasattr(value, "read") or hasattr(value, "__aiter__"):
            return None
        return PydanticCustomError(
            "blob_type",
            "Expected bytes, bytearray, memoryview, str, a binary file or an async "
            "iterable of bytes, got {kind}",
            {"kind": type(value).__name__},
        )
    if max_length is not None and length > max_length:
        return PydanticCustomError(
            "bytes_too_long",
            "Blob is {length} bytes, more than the maximum of {max} bytes",
            {"length": length, "max": max_length},
        )
    if min_length is not None and length < min_length:
        return PydanticCustomError(
            "bytes_too_short",
            "Blob is {length} bytes, fewer than the minimum of {min} bytes",
            {"length": length, "min": min_length},
        )
    return None


def payload_valid(value: Any, min_length: int | None, max_length: int | None) -> bool:
    """True when :func:`blob_payload` with these bounds accepts ``value`` as it is."""
    return _payload_error(value, min_length, max_length) is None


def blob_payload(min_length: int | None = None, max_length: int | None = None) -> Any:
    """Annotation for a payload blob input: bytes-like (kept without copying), ``str``
    (sent as UTF-8), a binary file object or an async iterable of bytes.

    Lengths of in-memory values are checked here; files and iterables are read by the
    runtime, up to ``max_length``, before signing (it checks them again then).
    """

    def validate(value: Any) -> Any:
        error = _payload_error(value, min_length, max_length)
        if error is not None:
            raise error
        return value

    return Annotated[BlobPayload, PlainValidator(validate)]


def check_one_member(model: BaseModel) -> None:
    """Unions carry exactly one member, as the service requires (generated unions call
    this from an ``after`` model validator)."""
    count = sum(1 for name in type(model).model_fields if getattr(model, name) is not None)
    if count != 1:
        raise PydanticCustomError(
            "union", "Exactly one member of a union must be set, got {count}", {"count": count}
        )
