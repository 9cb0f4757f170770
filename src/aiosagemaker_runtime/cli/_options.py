"""Command options derived from the service model's input members.

Each input member becomes ``--kebab-case-name`` (``EndpointName`` -> ``--endpoint-name``,
``RequestTTLSeconds`` -> ``--request-ttl-seconds``), as the AWS CLI names them.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

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


def _snake(name: str) -> str:
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return text.lower()


def _first_sentence(html: str) -> str:
    text = re.sub(r"<[^>]+>", "", html or "")
    text = " ".join(text.split())
    end = text.find(". ")
    text = text if end < 0 else text[: end + 1]
    return text.replace("%", "%%")  # argparse formats help strings


@cache
def members_for(operation: str) -> tuple[Member, ...]:
    """The input members of ``operation``, in model order."""
    from botocore.loaders import Loader

    model: dict[str, Any] = Loader().load_service_model("sagemaker-runtime", "service-2")
    shapes = model["shapes"]
    input_shape = shapes[model["operations"][operation]["input"]["shape"]]
    required = set(input_shape.get("required", ()))
    members = []
    for name, member in input_shape["members"].items():
        target = shapes[member["shape"]]
        members.append(
            Member(
                name=name,
                attr=_snake(name),
                type=str(target["type"]),
                required=name in required,
                documentation=_first_sentence(member.get("documentation", "")),
            )
        )
    return tuple(members)


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
                (member.documentation + " " if member.documentation else "")
                + "Use fileb://PATH for a file's bytes, file://PATH for a text file, "
                "else the string itself (UTF-8)."
            )
        else:
            kwargs["metavar"] = "STRING"
        if member.required:
            kwargs["required"] = True
        parser.add_argument(member.option, **kwargs)
