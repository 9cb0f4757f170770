"""Import bookkeeping for generated modules: which names come from where."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["RESERVED", "WORD", "imports_for"]

# Names the generated modules import or define; shape classes must not shadow them.
RESERVED = frozenset(
    {
        "Annotated",
        "Any",
        "BaseClient",
        "BlobPayload",
        "ClassVar",
        "DuplexStreamOutput",
        "EventStream",
        "EventStreamOutput",
        "Field",
        "Ge",
        "HEADER_VALUE",
        "Interval",
        "JsonValue",
        "Le",
        "Len",
        "Literal",
        "Mapping",
        "MaxLen",
        "MemberSpec",
        "MinLen",
        "NotRequired",
        "OperationSpec",
        "Path",
        "PydanticCustomError",
        "Required",
        "SERVICE",
        "SHAPES",
        "Self",
        "Sequence",
        "ServiceError",
        "ServiceSpec",
        "Shape",
        "ShapeSpec",
        "TYPE_CHECKING",
        "TypeAlias",
        "TypedDict",
        "Unpack",
        "annotations",
        "blob_payload",
        "cache",
        "cast",
        "check_one_member",
        "class_loader",
        "datetime",
        "importlib",
        "json",
        "lazy_attributes",
        "model_validator",
        "models",
        "overload",
        "pattern",
    }
)


_IMPORTABLE = {
    "Annotated": "typing",
    "Any": "typing",
    "ClassVar": "typing",
    "Literal": "typing",
    "TYPE_CHECKING": "typing",
    "TypeAlias": "typing",
    "cast": "typing",
    "overload": "typing",
    "Required": "typing_extensions",
    "TypedDict": "typing_extensions",
    "Unpack": "typing_extensions",
    "BaseClient": "aiosagemaker_runtime._client",
    "ServiceError": "aiosagemaker_runtime._exceptions",
    "ServiceSpec": "aiosagemaker_runtime._spec",
    "Mapping": "collections.abc",
    "Sequence": "collections.abc",
    "datetime": "datetime",
    "Field": "pydantic",
    "Ge": "annotated_types",
    "Interval": "annotated_types",
    "Le": "annotated_types",
    "Len": "annotated_types",
    "MaxLen": "annotated_types",
    "MinLen": "annotated_types",
    "JsonValue": "pydantic",
    "model_validator": "pydantic",
    "PydanticCustomError": "pydantic_core",
    "Self": "typing_extensions",
    "HEADER_VALUE": "aiosagemaker_runtime._protocol.shapes",
    "BlobPayload": "aiosagemaker_runtime._protocol.shapes",
    "EventStreamOutput": "aiosagemaker_runtime._protocol.stream_output",
    "Shape": "aiosagemaker_runtime._protocol.shapes",
    "blob_payload": "aiosagemaker_runtime._protocol.shapes",
    "check_one_member": "aiosagemaker_runtime._protocol.shapes",
    "lazy_attributes": "aiosagemaker_runtime._lazy",
    "pattern": "aiosagemaker_runtime._protocol.shapes",
    "EventStream": "aiosagemaker_runtime._protocol.streams",
    "DuplexStreamOutput": "aiosagemaker_runtime._protocol.duplex",
}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def imports_for(texts: Iterable[str]) -> tuple[str, ...]:
    """``from module import name`` lines for the known names that ``texts`` use."""
    used: dict[str, set[str]] = {}
    for text in texts:
        # Skip string literals (enum values, regexes) so they cannot look like names.
        code = re.sub(r'r?"(?:[^"\\]|\\.)*"', "", text)
        for word in WORD.findall(code):
            module = _IMPORTABLE.get(word)
            if module is not None:
                used.setdefault(module, set()).add(word)
    return tuple(
        f"from {module} import {', '.join(sorted(names))}" for module, names in sorted(used.items())
    )
