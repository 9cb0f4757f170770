"""Attribute names of members (shared by the checks and the builder)."""

from __future__ import annotations

from . import naming
from .spec import Member, Shape

__all__ = ["member_attr"]

# ServiceError's own attributes and constructor arguments; error members are renamed.
_ERROR_RESERVED = frozenset(
    {"code", "status_code", "request_id", "headers", "response_headers", "members", "fault", "args"}
)


def member_attr(shape: Shape, member: Member) -> str:
    """The Python attribute of ``member`` of ``shape``."""
    attr = naming.safe_attr(naming.snake_case(member.name))
    if shape.exception and attr in _ERROR_RESERVED:
        return attr + "_"
    return attr
