"""``python -m codegen --model FILE --out DIR [--package NAME] [--reuse-errors MODULE]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import BuildError
from .render import generate


def main(argv: list[str] | None = None) -> int:
    """Generate a package from a model; print the problems and return 1 if it cannot."""
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--model", required=True, type=Path, help="service-2.json model file")
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument(
        "--package", default="", help="write a complete importable package NAME into --out"
    )
    parser.add_argument(
        "--botocore-name",
        default=None,
        help="the service's name in botocore's data (default: found from the model)",
    )
    parser.add_argument(
        "--reuse-errors",
        default="",
        metavar="MODULE",
        help="the errors module of another generated package: error classes of the same "
        "name, code, status and attributes are reused (or extended) instead of generated",
    )
    args = parser.parse_args(argv)
    if args.package and not args.package.isidentifier():
        parser.error(f"--package {args.package!r} is not a valid module name")
    try:
        target = generate(
            args.model,
            args.out,
            package=args.package,
            botocore_name=args.botocore_name,
            reuse_errors=args.reuse_errors,
        )
    except BuildError as error:
        print(f"codegen: {args.model}: {error}", file=sys.stderr)
        return 1
    print(f"codegen: wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
