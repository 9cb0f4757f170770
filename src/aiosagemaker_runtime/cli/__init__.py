"""The ``aiosagemaker-runtime`` command: ``aws sagemaker-runtime`` plus
``invoke-endpoint-with-bidirectional-stream``, ``invoke-endpoint-batch`` and
``serve-local``.

Exit status as the AWS CLI: 0 success, 252 unusable command line or parameters,
253 missing credentials or region, 255 the service answered with an error or could not
be reached, 130 interrupted; ``invoke-endpoint-batch``: 1 when some records failed. Errors are one line on stderr; ``--debug`` adds DEBUG logs
(never secrets) to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["build_parser", "main"]

EXIT_USAGE = 252
EXIT_CONFIG = 253
EXIT_ERROR = 255
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

logger = logging.getLogger("aiosagemaker_runtime.cli")


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and status 252, like the AWS CLI."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _global_options(suppress: bool) -> argparse.ArgumentParser:
    """Global options, accepted before and after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser = _Parser(add_help=False)
    group = parser.add_argument_group("global options")
    group.add_argument("--region", default=default, help="AWS region (else AWS_REGION, profile)")
    group.add_argument("--endpoint-url", default=default, help="send requests to this URL")
    group.add_argument("--profile", default=default, help="shared config/credentials profile")
    group.add_argument(
        "--cli-read-timeout",
        type=float,
        default=default,
        metavar="SECONDS",
        help="seconds of inactivity allowed while reading (0: no limit; default 70)",
    )
    group.add_argument(
        "--cli-connect-timeout",
        type=float,
        default=default,
        metavar="SECONDS",
        help="seconds allowed to connect (0: no limit; default 60)",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="DEBUG logs on stderr",
    )
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aiosagemaker-runtime")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (commands, their options and the global options)."""
    from ._batch import add_batch_parser
    from ._bidi import add_bidi_parser
    from ._invoke import add_invoke_parsers
    from ._serve import add_serve_parser

    parser = _Parser(
        prog="aiosagemaker-runtime",
        description="Call Amazon SageMaker Runtime (options as `aws sagemaker-runtime`), "
        "or run a local endpoint that speaks its protocol.",
        parents=[_global_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands: argparse._SubParsersAction[argparse.ArgumentParser]
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    add_invoke_parsers(commands, [_global_options(suppress=True)])
    add_bidi_parser(commands, [_global_options(suppress=True)])
    add_batch_parser(commands, [_global_options(suppress=True)])
    add_serve_parser(commands, [_global_options(suppress=True)])
    return parser


def _configure_logging(debug: bool) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_aiosagemaker_cli", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler._aiosagemaker_cli = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    if debug:
        for name in ("aiosagemaker_runtime", "httpx2", "httpx"):
            logging.getLogger(name).setLevel(logging.DEBUG)
    else:
        logging.getLogger("aiosagemaker_runtime.local").setLevel(logging.WARNING)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
        pass


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fail(status: int, message: str) -> int:
    sys.stderr.write(_one_line(message) + "\n")
    sys.stderr.flush()
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(bool(getattr(args, "debug", False)))
    try:
        return _run(args)
    except KeyboardInterrupt:
        return _fail(EXIT_INTERRUPTED, "interrupted")
    except BrokenPipeError:
        # The reader (``| head``) went away: stop quietly, as a SIGPIPE'd tool would.
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except BaseException as error:
        if isinstance(error, SystemExit):
            raise
        logger.debug("command failed", exc_info=True)
        status, message = _describe(error, args)
        return _fail(status, message)


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve-local":
        from ._serve import run_serve

        return run_serve(args)
    if args.command == "invoke-endpoint-batch":
        from ._batch import run_batch

        return run_batch(args)
    if args.command == "invoke-endpoint-with-bidirectional-stream":
        from ._bidi import run_bidi

        return run_bidi(args)

    import anyio

    from ._invoke import run_invoke

    return anyio.run(run_invoke, args)


def _describe(error: BaseException, args: argparse.Namespace) -> tuple[int, str]:
    """Exit status and the one-line message for ``error``."""
    from .. import (
        CredentialsError,
        EventStreamError,
        ParamValidationError,
        ServiceError,
        TransportError,
    )
    from ..local import ConfigError
    from ._invoke import UsageError

    operation = getattr(args, "operation", "")
    if isinstance(error, ServiceError):
        code = error.code or (str(error.status_code) if error.status_code else "Unknown")
        return EXIT_ERROR, (
            f"An error occurred ({code}) when calling the {operation} operation: {error.message}"
        )
    if isinstance(error, ParamValidationError):
        if error.member == "region_name":  # configuration, not the command line
            return EXIT_CONFIG, str(error)
        return EXIT_USAGE, str(error)
    if isinstance(error, (UsageError, ConfigError)):
        return EXIT_USAGE, str(error)
    if isinstance(error, CredentialsError):
        return EXIT_CONFIG, str(error) or "Unable to locate credentials."
    if isinstance(error, TransportError):
        url = error.endpoint_url or args.endpoint_url or ""
        return EXIT_ERROR, f"{error}" + (
            f" (endpoint {url})" if url and url not in str(error) else ""
        )
    if isinstance(error, EventStreamError):
        return EXIT_ERROR, f"The response stream broke: {error}"
    if isinstance(error, OSError):
        where = f" {error.filename}" if error.filename else ""
        return EXIT_ERROR, f"{error.strerror or error}:{where}".rstrip(":")
    if isinstance(error, ValueError) and args.command == "serve-local":
        return EXIT_USAGE, str(error)
    return EXIT_ERROR, f"{type(error).__name__}: {error}"
