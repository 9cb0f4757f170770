"""Command options derived from the service model's input members.

Each input member becomes ``--kebab-case-name`` (``EndpointName`` -> ``--endpoint-name``,
``RequestTTLSeconds`` -> ``--request-ttl-seconds``), as the AWS CLI names them.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cache
from typing import Any

from .._spec import MemberSpec, OperationSpec

__all__ = ["COMMANDS", "Member", "add_member_options", "members_for"]

#: CLI command -> model operation.
COMMANDS = {
    "invoke-endpoint": "InvokeEndpoint",
    "invoke-endpoint-async": "InvokeEndpointAsync",
    "invoke-endpoint-with-response-stream": "InvokeEndpointWithResponseStream",
}


@dataclass(frozen=True, slots=True)
class Member:
    """One input member as a command option."""

    name: str
    """As the model spells it: ``"EndpointName"``."""
    attr: str
    """The client's keyword argument: ``"endpoint_name"``."""
    type: str
    """The model type of its shape: ``"string"``, ``"integer"``, ``"blob"``, ..."""
    required: bool
    documentation: str = ""

    @property
    def option(self) -> str:
        return "--" + self.attr.replace("_", "-")


def _operation(name: str) -> OperationSpec:
    from .._generated import operations

    for value in vars(operations).values():
        if isinstance(value, OperationSpec) and value.name == name:
            return value
    raise KeyError(name)  # pragma: no cover - COMMANDS names the model's operations


def _describe(member: MemberSpec) -> str:
    where = {
        "header": f"sent as header {member.wire_name}",
        "uri": "part of the request path",
        "querystring": f"query parameter {member.wire_name}",
    }.get(member.location, "the request body")
    text = f"{member.name} ({where})"
    return text.replace("%", "%%")  # argparse formats help strings


@cache
def members_for(operation: str) -> tuple[Member, ...]:
    """The input members of ``operation`` in model order, from the generated tables."""
    spec = _operation(operation)
    shapes = spec.shapes
    return tuple(
        Member(
            name=member.name,
            attr=member.attr,
            type=shapes[member.target].type,
            required=member.required,
            documentation=_describe(member),
        )
        for member in shapes[spec.input].members
    )


def add_member_options(parser: argparse.ArgumentParser, operation: str) -> None:
    """One option per input member; blobs take ``fileb://``/``file://`` or a string."""
    for member in members_for(operation):
        kwargs: dict[str, Any] = {"dest": member.attr, "help": member.documentation or None}
        if member.type in ("integer", "long"):
            kwargs["type"] = int
            kwargs["metavar"] = "INTEGER"
        elif member.type == "blob":
            kwargs["metavar"] = "BLOB"
            kwargs["help"] = (
                (member.documentation + ": " if member.documentation else "")
                + "fileb://PATH for a file's bytes, file://PATH for a text file, "
                "else the string itself (UTF-8)"
            )
        else:
            kwargs["metavar"] = "STRING"
        if member.required:
            kwargs["required"] = True
        parser.add_argument(member.option, **kwargs)
