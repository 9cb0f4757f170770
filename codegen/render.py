"""IR -> Python source files, formatted with the pinned ruff. The only module doing I/O."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import build as builder
from . import ir
from .endpoint_shortcut import custom_endpoint_as_is
from .grouping import PREFIX as GROUP_PREFIX
from .render_models import forward_annotation, model_group_module, models_module
from .reuse import load_reusable
from .source import all_list, docstring, header, import_block
from .spec import Model, parse_model

__all__ = [
    "GENERATED_FILES",
    "find_endpoint_rules",
    "forward_annotation",
    "generate",
    "read_model",
    "render_files",
]

#: Written for every model; ``models_<operation>.py`` (:mod:`codegen.grouping`) as well.
GENERATED_FILES = ("__init__.py", "client.py", "errors.py", "models.py", "operations.py")
RULES_FILE = "endpoint_rules.json"

_RUFF_CONFIG = """\
line-length = 100
target-version = "py310"

[lint.isort]
known-first-party = ["aiosagemaker_runtime"]
"""

_RUNTIME_EXCEPTIONS = (
    "ConnectTimeoutError",
    "CredentialsError",
    "EndpointConnectionError",
    "EventStreamError",
    "ParamValidationError",
    "ReadTimeoutError",
    "SageMakerRuntimeError",
    "ServiceError",
    "TransportError",
)


def _errors(pkg: ir.GeneratedPackage, source: str) -> str:
    imports = list(pkg.errors_imports)
    names = [e.name for e in pkg.errors]
    if pkg.package:
        imports.append(
            "from aiosagemaker_runtime._exceptions import " + ", ".join(_RUNTIME_EXCEPTIONS)
        )
        names += list(_RUNTIME_EXCEPTIONS)
    shared = sorted({e.reuse_module for e in pkg.errors if e.reuse_module})
    doc = f'"""Errors of {pkg.title}: one ServiceError subclass per error shape."""'
    if shared:
        modules = ", ".join(f"``{m}``" for m in shared)
        doc = docstring(
            f"Errors of {pkg.title}: one ServiceError subclass per error shape; those "
            f"shared with {modules} are its classes, or extend them with more attributes.",
            0,
        )
    out = [
        header(source),
        f"{doc}\n\n",
        "from __future__ import annotations\n\n",
        import_block(imports) + "\n\n",
        all_list(names),
    ]
    for error in pkg.errors:
        if error.reuse_module and not error.extends:
            continue
        base = f"_{error.name}" if error.extends else "ServiceError"
        out.append(f"\n\nclass {error.name}({base}):\n    {docstring(error.doc, 4)}\n\n")
        out.append(f'    error_code_default: ClassVar[str] = "{error.code}"\n')
        out.append(f"    status_code_default: ClassVar[int] = {error.status_code}\n")
        if error.fault:
            out.append("    fault: ClassVar[bool] = True\n")
        members = "".join(f'"{a.attr}", ' for a in error.attrs)
        out.append(f"    members: ClassVar[tuple[str, ...]] = ({members})\n")
        declared = tuple(a for a in error.attrs if a.attr not in error.inherited)
        if declared:
            out.append("\n")
            out.extend(f"    {a.attr}: {a.annotation}\n" for a in declared)
    return "".join(out)


def _operations(pkg: ir.GeneratedPackage, source: str) -> str:
    imports = [
        "from aiosagemaker_runtime._exceptions import ServiceError",
        "from aiosagemaker_runtime._spec import MemberSpec, OperationSpec, ServiceSpec, ShapeSpec",
        *pkg.operations_imports,
    ]
    if pkg.has_endpoint_rules:
        imports += [
            "from collections.abc import Mapping",
            "from functools import cache",
            "from pathlib import Path",
            "from typing import Any",
            "import json",
        ]
    names = ["ERRORS", "SERVICE", "SHAPES"] + [o.const for o in pkg.operations]
    out = [
        header(source),
        f'"""Operation descriptions of {pkg.title}: the tables the runtime walks."""\n\n',
        "from __future__ import annotations\n\n",
        import_block(imports) + "\n\n",
        all_list(names),
        "\nSHAPES: dict[str, ShapeSpec] = {\n",
    ]
    out.extend(f'    "{name}": {call.source()},\n' for name, call in pkg.shapes)
    out.append("}\n\n")
    codes = "".join(f'    "{code}": {cls},\n' for code, cls in pkg.error_codes)
    out.append(f"ERRORS: dict[str, type[ServiceError]] = {{\n{codes}}}\n\n")
    for op in pkg.operations:
        out.append(f"{op.const} = {op.call.source()}\n\n")
    if pkg.has_endpoint_rules:
        out.append(
            "\n@cache\n"
            "def _endpoint_rules() -> Mapping[str, Any] | None:\n"
            '    """The endpoint rule set shipped with the model, read once on first use."""\n'
            f'    text = Path(__file__).with_name("{RULES_FILE}").read_text(encoding="utf-8")\n'
            "    rules: dict[str, Any] = json.loads(text)\n"
            "    return rules\n\n\n"
        )
    out.append(f"SERVICE = {pkg.service.source()}\n")
    return "".join(out)


def _client(pkg: ir.GeneratedPackage, source: str) -> str:
    out = [
        header(source),
        f'"""The async client of {pkg.title}."""\n\n',
        "from __future__ import annotations\n\n",
        import_block(pkg.client_imports) + "\n\n",
    ]
    # The keyword-argument types exist for type checkers only (creating TypedDicts
    # costs import time); with the annotations unevaluated, only they name them.
    checking = []
    if pkg.client_checking_imports:
        checking.append(import_block(pkg.client_checking_imports) + "\n")
    for method in pkg.methods:
        if not method.params_name:
            continue
        checking.append(f"\n\nclass {method.params_name}(TypedDict, total=False):\n")
        checking.append(f'    """Keyword arguments of ``{method.name}``."""\n\n')
        for param in method.params:
            annotation = f"Required[{param.annotation}]" if param.required else param.annotation
            checking.append(f"    {param.attr}: {annotation}\n")
    if checking:
        block = "".join(checking).rstrip("\n")
        indented = "\n".join(f"    {line}" if line else "" for line in block.split("\n"))
        out.append(f"if TYPE_CHECKING:\n{indented}\n\n")
    out.append(all_list([pkg.client_class]))
    out.append(f"\n\nclass {pkg.client_class}(BaseClient):\n    {docstring(pkg.client_doc, 4)}\n\n")
    out.append("    _service_: ClassVar[ServiceSpec] = SERVICE\n")
    if pkg.methods and all(m.duplex for m in pkg.methods):
        out.append("    _duplex_only_: ClassVar[bool] = True\n")
    for m in pkg.methods:
        # Classes named through the models module: they are created when a call needs
        # them (``typing.get_type_hints`` creates them too), not with the client.
        result = f"models.{m.output_class}" if m.output_class else "None"
        args = "input, params" if m.params_name else "None, {}"
        invoke = "_invoke_duplex" if m.duplex else "_invoke"
        call = f"await self.{invoke}({m.operation_const}, {args})"
        body = f'return cast("{result}", {call})' if m.output_class else call
        doc = docstring(m.doc, 8)
        if not m.params_name:
            out.append(
                f"\n    async def {m.name}(self) -> {result}:\n        {doc}\n        {body}\n"
            )
            continue
        out.append(
            f"\n    @overload\n"
            f"    async def {m.name}(self, input: models.{m.input_class}, /) -> {result}: ...\n\n"
            f"    @overload\n"
            f"    async def {m.name}(self, /, **params: Unpack[{m.params_name}]) -> {result}: ...\n\n"
            f"    async def {m.name}(self, input: models.{m.input_class} | None = None, /, **params: Any)"
            f" -> {result}:\n"
            f"        {doc}\n"
            f"        {body}\n"
        )
    return "".join(out)


def _init(pkg: ir.GeneratedPackage, source: str) -> str:
    if not pkg.package:
        return (
            f"{header(source)}"
            f'"""Generated layer of {pkg.title}: models, errors, operation tables, client."""\n\n'
            f"from .client import {pkg.client_class}\n\n"
            f'__all__ = ["{pkg.client_class}"]\n'
        )
    exported = ["ClientConfig", pkg.client_class, "errors", "models", *_RUNTIME_EXCEPTIONS]
    return (
        f"{header(source)}"
        f'"""{pkg.title}: an async client generated from its service model."""\n\n'
        "from aiosagemaker_runtime._config import ClientConfig\n\n"
        "from . import errors, models\n"
        f"from .client import {pkg.client_class}\n"
        f"from .errors import {', '.join(_RUNTIME_EXCEPTIONS)}\n\n" + all_list(exported)
    )


def render_files(pkg: ir.GeneratedPackage, source: str) -> dict[str, str]:
    """The unformatted text of every generated module, by file name."""
    files = {
        "__init__.py": _init(pkg, source),
        "client.py": _client(pkg, source),
        "errors.py": _errors(pkg, source),
        "models.py": models_module(pkg, source),
        "operations.py": _operations(pkg, source),
    }
    for group in pkg.model_groups:
        files[f"{group.module}.py"] = model_group_module(group, pkg.title, source)
    return files


# -- I/O ----------------------------------------------------------------------------


def read_model(path: Path) -> Model:
    """Read a model file (``.json`` or botocore's ``.json.gz``)."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return parse_model(data.decode("utf-8"))


def find_endpoint_rules(model_path: Path) -> Path | None:
    """``<model>.endpoint-rule-set-1.json`` or ``endpoint-rule-set-1.json`` beside the model."""
    stem = model_path.name.removesuffix(".gz").removesuffix(".json")
    for name in (f"{stem}.endpoint-rule-set-1.json", "endpoint-rule-set-1.json"):
        for candidate in (model_path.with_name(name), model_path.with_name(name + ".gz")):
            if candidate.is_file():
                return candidate
    return None


def _botocore_name(model_path: Path, model: Model) -> str:
    """The service's directory in botocore's data, when it can be found."""
    if model_path.name.startswith("service-2.json"):
        return model_path.parent.parent.name
    try:
        import botocore
    except ImportError:  # pragma: no cover - botocore is a runtime dependency
        return ""
    data = Path(botocore.__file__).parent / "data"
    meta = model.metadata
    candidates = [
        str(meta.get("serviceId", "")).lower().replace(" ", "-"),
        str(meta.get("endpointPrefix", "")),
        str(meta.get("signingName", "")),
    ]
    for name in candidates:
        if name and (data / name / str(meta.get("apiVersion", ""))).is_dir():
            return name
    return ""


def _format(directory: Path, files: list[str]) -> None:
    """Sort imports and ``__all__``, drop unused imports, then format: the pinned ruff
    fixes the generated bytes."""
    (directory / "ruff.toml").write_text(_RUFF_CONFIG, encoding="utf-8")
    for args in (["check", "--select", "F401,I,RUF022", "--fix"], ["format"]):
        command = [sys.executable, "-m", "ruff", *args, "--quiet", *files]
        subprocess.run(command, cwd=directory, check=True, capture_output=True)
    (directory / "ruff.toml").unlink()


def generate(
    model_path: Path,
    out: Path,
    *,
    package: str = "",
    botocore_name: str | None = None,
    reuse_errors: str = "",
) -> Path:
    """Generate the package for ``model_path`` into ``out`` (``out/package`` with a
    package name); return the directory written. Raises ``BuildError``.

    ``reuse_errors``: the errors module of another generated package (importable), whose
    matching error classes are reused or extended (:mod:`codegen.reuse`)."""
    model = read_model(model_path)
    rules = find_endpoint_rules(model_path)
    rules_bytes = None
    if rules is not None:
        rules_bytes = rules.read_bytes()
        if rules.suffix == ".gz":
            rules_bytes = gzip.decompress(rules_bytes)
    name = botocore_name if botocore_name is not None else _botocore_name(model_path, model)
    pkg = builder.build(
        model,
        has_endpoint_rules=rules is not None,
        custom_endpoint_as_is=rules_bytes is not None
        and custom_endpoint_as_is(json.loads(rules_bytes)),
        botocore_name=name,
        package=package,
        reusable=load_reusable(reuse_errors) if reuse_errors else None,
    )
    source = model_path.name
    target = out / package if package else out
    with tempfile.TemporaryDirectory(prefix="codegen-") as tmp:
        work = Path(tmp)
        files = render_files(pkg, source)
        for file_name, text in files.items():
            (work / file_name).write_text(text, encoding="utf-8")
        try:
            _format(work, list(files))
        except subprocess.CalledProcessError as error:
            detail = (error.stdout or b"").decode() + (error.stderr or b"").decode()
            raise RuntimeError(f"ruff failed on the generated code:\n{detail}") from error
        target.mkdir(parents=True, exist_ok=True)
        for file_name in files:
            _write_if_changed(target / file_name, (work / file_name).read_bytes())
        for stale in target.glob(f"{GROUP_PREFIX}*.py"):
            if stale.name not in files:
                stale.unlink()
    rules_target = target / RULES_FILE
    if rules_bytes is not None:
        _write_if_changed(rules_target, rules_bytes)
    elif rules_target.exists():
        rules_target.unlink()
    return target


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


def copy_tree(source: Path, target: Path) -> None:
    """Replace ``target`` with a copy of ``source`` (used to refresh golden files)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
