"""Refresh the vendored models from the installed botocore: ``python -m codegen.update_model DIR``.

``DIR`` holds ``<service>-<api-version>.json`` (botocore's ``service-2.json``, verbatim),
``<service>-<api-version>.endpoint-rule-set-1.json``, optional ``seed-<api-version>.json``
files kept as they are, and ``SOURCE.md``. The service and version are read from the
file names already there, so this module knows no service by name. Models are
written verbatim (decompressed); SOURCE.md records origin, botocore version and
sha256 of every file.

A model that botocore does not ship (no ``data/<service>/<api-version>/``) was vendored
from elsewhere: it is kept as it is, with its rule set and endpoint tests, and its rows
in SOURCE.md keep the origin they had.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import re
import sys
from pathlib import Path

__all__ = ["main", "update"]

_MODEL_FILE = re.compile(r"^(?P<service>[a-z0-9-]+?)-(?P<version>\d{4}-\d{2}-\d{2})\.json$")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _botocore_data() -> tuple[Path, str]:
    import botocore

    return Path(botocore.__file__).parent / "data", str(botocore.__version__)


def update(directory: Path) -> list[Path]:
    """Rewrite the vendored botocore models in ``directory``; return the files written."""
    data, version = _botocore_data()
    written: list[Path] = []
    models = [
        m
        for p in sorted(directory.glob("*.json"))
        if (m := _MODEL_FILE.match(p.name)) and m["service"] != "seed"
    ]
    if not models:
        raise SystemExit(f"no <service>-<api-version>.json model in {directory}")
    origins = _previous_origins(directory)
    for match in models:
        service, api = match["service"], match["version"]
        source = data / service / api
        if not (source / "service-2.json.gz").is_file():
            continue
        for name, target in (
            ("service-2.json.gz", f"{service}-{api}.json"),
            ("endpoint-rule-set-1.json.gz", f"{service}-{api}.endpoint-rule-set-1.json"),
        ):
            raw = gzip.decompress((source / name).read_bytes())
            (directory / target).write_bytes(raw)
            written.append(directory / target)
    _write_source(directory, models, version, origins)
    return written


_ROW = re.compile(r"^\| `(?P<name>[^`]+)` \| (?P<origin>.*) \| `[0-9a-f]{64}` \|$")


def _previous_origins(directory: Path) -> dict[str, str]:
    source = directory / "SOURCE.md"
    if not source.is_file():
        return {}
    rows = (_ROW.match(line) for line in source.read_text(encoding="utf-8").splitlines())
    return {row["name"]: row["origin"] for row in rows if row}


def _write_source(
    directory: Path, models: list[re.Match[str]], version: str, origins: dict[str, str]
) -> None:
    lines = [
        "# Vendored service models",
        "",
        "Written by `make update-model` (`python -m codegen.update_model service-model`);",
        "do not edit the JSON files by hand. `make generate` turns the current model into",
        "`src/aiosagemaker_runtime/_generated/`.",
        "",
        "| file | origin | sha256 |",
        "|---|---|---|",
    ]
    data, _ = _botocore_data()
    for match in models:
        service, api = match["service"], match["version"]
        if not (data / service / api / "service-2.json.gz").is_file():
            kept = f"kept as vendored: not in botocore {version}"
            for path in sorted(directory.glob(f"{service}-{api}*.json")):
                origin = origins.get(path.name, kept)
                lines.append(f"| `{path.name}` | {origin} | `{_sha256(path)}` |")
            continue
        for name, origin in (
            (
                f"{service}-{api}.json",
                f"botocore {version}: `botocore/data/{service}/{api}/service-2.json.gz`, decompressed",
            ),
            (
                f"{service}-{api}.endpoint-rule-set-1.json",
                f"botocore {version}: `botocore/data/{service}/{api}/endpoint-rule-set-1.json.gz`, decompressed",
            ),
        ):
            lines.append(f"| `{name}` | {origin} | `{_sha256(directory / name)}` |")
    for seed in sorted(directory.glob("seed-*.json")):
        api = seed.name.removeprefix("seed-").removesuffix(".json")
        origin = f"the project's seed documents: `seeds/service-model-{api}.json`, verbatim (early model)"
        lines.append(f"| `{seed.name}` | {origin} | `{_sha256(seed)}` |")
    lines += [
        "",
        "The seed model's documentation strings hold raw newlines, which strict JSON parsers",
        "refuse; the generator reads it with `json.loads(..., strict=False)`.",
        "",
        "Models botocore does not ship are kept as they are by `make update-model`; their",
        "rows keep the origin written here when they were vendored.",
        "",
    ]
    (directory / "SOURCE.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m codegen.update_model", description=__doc__)
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    for path in update(args.directory):
        print(f"update_model: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
