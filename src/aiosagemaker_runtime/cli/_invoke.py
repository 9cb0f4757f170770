"""The operation commands: ``invoke-endpoint``, ``invoke-endpoint-async``,
``invoke-endpoint-with-response-stream``."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ._options import COMMANDS, add_member_options, members_for

if TYPE_CHECKING:
    from .. import SageMakerRuntimeClient

__all__ = ["UsageError", "add_invoke_parsers", "client_arguments", "run_invoke"]

_NO_TIMEOUT = 24 * 3600.0


class UsageError(Exception):
    """The command line is unusable (exit status 252, as the AWS CLI)."""


def client_arguments(args: argparse.Namespace, **config: Any) -> dict[str, Any]:
    """A client's constructor arguments from the global options (``--region``,
    ``--endpoint-url``, ``--profile``, ``--cli-*-timeout``; a timeout of 0 waits for
    ever, as in the AWS CLI), with ``config`` added to its ``ClientConfig``."""
    from .. import ClientConfig

    if args.cli_connect_timeout is not None:
        config["connect_timeout"] = args.cli_connect_timeout or _NO_TIMEOUT
    if args.cli_read_timeout is not None:
        config["read_timeout"] = args.cli_read_timeout or _NO_TIMEOUT
    return {
        "region_name": args.region,
        "endpoint_url": args.endpoint_url,
        "profile_name": args.profile,
        "config": ClientConfig(**config),
    }


def add_invoke_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    descriptions = {
        "invoke-endpoint": "Get an inference from an endpoint; the body is written to OUTFILE.",
        "invoke-endpoint-async": "Start an asynchronous inference; the result goes to S3.",
        "invoke-endpoint-with-response-stream": (
            "Get a streamed inference; parts are written to OUTFILE ('-' for stdout) as "
            "they arrive."
        ),
    }
    for command, operation in COMMANDS.items():
        parser = commands.add_parser(
            command,
            help=descriptions[command],
            description=descriptions[command]
            + " The response metadata is printed as JSON on stdout.",
            parents=parents,
        )
        add_member_options(parser, operation)
        if operation != "InvokeEndpointAsync":
            parser.add_argument(
                "outfile",
                help="file the response body is written to"
                + (" ('-' for stdout)" if "stream" in command else ""),
            )
        parser.set_defaults(operation=operation)


def load_blob(value: str, option: str) -> bytes:
    """``fileb://PATH`` -> the file's bytes, ``file://PATH`` -> its text as UTF-8, else
    the string itself as UTF-8 (what the AWS CLI does with raw blob arguments)."""
    try:
        if value.startswith("fileb://"):
            return Path(value[len("fileb://") :]).expanduser().read_bytes()
        if value.startswith("file://"):
            text = Path(value[len("file://") :]).expanduser().read_text(encoding="utf-8")
            return text.encode("utf-8")
    except OSError as error:
        raise UsageError(
            f"Error parsing parameter '{option}': Unable to load paramfile {value}: "
            f"{error.strerror or error}"
        ) from None
    except UnicodeDecodeError:
        raise UsageError(
            f"Error parsing parameter '{option}': {value} is not UTF-8 text; use fileb://"
        ) from None
    return value.encode("utf-8")


def _call_arguments(args: argparse.Namespace) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for member in members_for(args.operation):
        value = getattr(args, member.attr, None)
        if value is None:
            continue
        if member.type == "blob":
            value = load_blob(value, member.option)
        kwargs[member.attr] = value
    return kwargs


def _metadata(output: Any) -> dict[str, Any]:
    """The output's members except the body, keyed as the model spells them."""
    if output is None:
        return {}
    dumped: dict[str, Any] = output.model_dump(by_alias=True, exclude_none=True, exclude={"body"})
    return dumped


def _print_json(data: dict[str, Any], stream: IO[str]) -> None:
    stream.write(json.dumps(data, indent=4, default=str) + "\n")
    stream.flush()


def _open_outfile(path: str) -> AbstractContextManager[IO[bytes]]:
    if path == "-":
        return nullcontext(sys.stdout.buffer)
    return open(path, "wb")


async def run_invoke(args: argparse.Namespace) -> int:
    """Make the call described by ``args``; print metadata; write the body."""
    from .. import SageMakerRuntimeClient

    kwargs = _call_arguments(args)
    async with SageMakerRuntimeClient(**client_arguments(args)) as client:
        if args.operation == "InvokeEndpoint":
            await _invoke(client, kwargs, args.outfile)
        elif args.operation == "InvokeEndpointAsync":
            _print_json(_metadata(await client.invoke_endpoint_async(**kwargs)), sys.stdout)
        else:
            await _invoke_stream(client, kwargs, args.outfile)
    return 0


async def _invoke(client: SageMakerRuntimeClient, kwargs: dict[str, Any], outfile: str) -> None:
    output = await client.invoke_endpoint(**kwargs)
    with _open_outfile(outfile) as sink:
        sink.write(output.body)
    _print_json(_metadata(output), sys.stdout if outfile != "-" else sys.stderr)


async def _invoke_stream(
    client: SageMakerRuntimeClient, kwargs: dict[str, Any], outfile: str
) -> None:
    """Write each part as it arrives, so ``-`` shows tokens live."""
    output = await client.invoke_endpoint_with_response_stream(**kwargs)
    async with output:
        with _open_outfile(outfile) as sink:
            async for part in output.body:
                if part.bytes:
                    sink.write(part.bytes)
                    sink.flush()
    _print_json(_metadata(output), sys.stdout if outfile != "-" else sys.stderr)
