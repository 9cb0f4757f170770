"""Python names for model names: snake_case attributes and safe class names."""

from __future__ import annotations

import builtins
import keyword
import re

__all__ = ["class_name", "constant_name", "safe_attr", "service_class_name", "snake_case"]

try:
    from botocore import xform_name as _xform_name
except ImportError:  # pragma: no cover - botocore is a dependency of the runtime
    _xform_name = None

_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,}s$")
_WORD_START = re.compile(r"(.)([A-Z][a-z]+)")
_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")

# Attributes a pydantic model already has; a member must not shadow them.
_MODEL_ATTRS = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
        "model_config",
        "model_fields",
        "model_computed_fields",
        "model_extra",
        "model_fields_set",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "aclose",
    }
)


def snake_case(name: str) -> str:
    """``BucketName`` -> ``bucket_name``, ``RequestTTLSeconds`` -> ``request_ttl_seconds``.

    The same words as botocore's ``xform_name`` (so method names match boto3's, including
    botocore's hand-made exceptions when botocore is installed); parts of a name that
    already holds underscores are converted one by one.
    """
    if "_" in name:
        return "_".join(snake_case(part) for part in name.split("_") if part)
    if _xform_name is not None:
        return str(_xform_name(name))
    plural = _ACRONYM_PLURAL.search(name)
    if plural is not None:
        name = name[: plural.start()] + "_" + plural.group().lower()
    name = _WORD_START.sub(r"\1_\2", name)
    return _LOWER_UPPER.sub(r"\1_\2", name).lower()


def safe_attr(name: str) -> str:
    """A snake_case name usable as a keyword argument and a pydantic field."""
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in _MODEL_ATTRS:
        return name + "_"
    cleaned = re.sub(r"\W", "_", name).strip("_")
    if not cleaned[:1].isalpha():
        cleaned = "m_" + cleaned
    return cleaned


def class_name(name: str, reserved: frozenset[str]) -> str:
    """A model shape name as a class name that shadows no imported or builtin name."""
    cleaned = re.sub(r"\W", "_", name)
    if not cleaned[:1].isalpha():
        cleaned = "S" + cleaned
    # Capitalised, so no snake_case field can hide the class inside another class body.
    cleaned = cleaned[0].upper() + cleaned[1:]
    if cleaned in reserved or keyword.iskeyword(cleaned) or hasattr(builtins, cleaned):
        cleaned += "_"
    return cleaned


def constant_name(operation: str) -> str:
    """``ListBuckets`` -> ``LIST_BUCKETS``."""
    return snake_case(operation).upper()


def service_class_name(service_id: str) -> str:
    """``Elastic Load Balancing v2`` -> ``ElasticLoadBalancingV2Client``."""
    words = re.split(r"[^A-Za-z0-9]+", service_id)
    joined = "".join(w[:1].upper() + w[1:] for w in words if w)
    if not joined[:1].isalpha():
        joined = "Service" + joined
    return joined + "Client"
