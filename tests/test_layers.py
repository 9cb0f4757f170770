"""The architecture as a test: imports go down the layers, never up or across.

The package's folders name its stages (``_protocol/`` the wire format, ``_auth/``
signing and credentials, ``_endpoints/`` where a call goes, ``_transports/`` the HTTP
engines) and the core at the top ties them together. This test reads every module's
imports (module level and inside functions: a lazy import still couples two layers)
and fails when one crosses a boundary, as ``test_exported_members.py`` does for the
public surface.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PACKAGE = "aiosagemaker_runtime"
ROOT = Path(__file__).resolve().parents[1] / "src" / PACKAGE

#: Records every layer may use: exceptions, configuration, the operation-description
#: types, the HTTP message records, ids, the User-Agent and lazy module attributes.
BASE = frozenset(
    {"_exceptions", "_config", "_spec", "_http", "_ids", "_useragent", "_eventloop", "_lazy"}
)
#: The stages: each may use the base and itself, nothing else of the package.
STAGES = frozenset({"_protocol", "_auth", "_endpoints", "_transports"})
#: The core modules above the stages, with what each may use besides the base.
CORE = {
    "_retry": frozenset(),
    "_observe": STAGES,
    "_duplex": STAGES | {"_observe"},
    "_pipeline": STAGES | {"_retry", "_duplex", "_observe"},
    "_client": STAGES | {"_retry", "_pipeline"},
}
#: Generated code sees the client base class, the base records and the protocol's
#: shape classes and stream object; nothing else.
GENERATED = frozenset({"_client", "_protocol"})
#: Built on the public surface (or serving it): may use anything.
TOP = frozenset(
    {"__init__", "__main__", "errors", "models", "bulk", "ray", "testing", "otel"}
    | {"cli", "local", "demo", "_bulk", "_otel", "_testing"}
)


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def _dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(path: Path) -> str:
    dotted = _dotted(path)
    return dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    """Absolute names of the package's modules ``path`` imports, with line numbers."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package(path).split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from . import x`` imports the submodule x.
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Call) and _is_import_module(node):
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.append((node.lineno, argument.value))
    return [(line, name) for line, name in found if name.split(".")[0] == PACKAGE]


def _is_import_module(node: ast.Call) -> bool:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "import_module" and bool(node.args)


def _top(dotted: str) -> str:
    """The package-level unit a module belongs to: ``_protocol``, ``_client``, ..."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _unit(path: Path) -> str:
    top = _top(_dotted(path))
    if top.startswith("_generated"):
        return "_generated"
    return top


def _allowed(unit: str) -> frozenset[str] | None:
    """The units ``unit`` may import; ``None`` when anything goes."""
    if unit in TOP:
        return None
    if unit in BASE:
        return BASE
    if unit in STAGES:
        return BASE | {unit}
    if unit in CORE:
        return BASE | CORE[unit] | {unit}
    if unit == "_generated":
        return BASE | GENERATED | {unit}
    raise AssertionError(f"{unit}: a module outside every layer; place it in test_layers.py")


def _violations() -> list[str]:
    problems = []
    for path in _modules():
        unit = _unit(path)
        allowed = _allowed(unit)
        if allowed is None:
            continue
        for line, name in _imports(path):
            target = _top(name)
            if target.startswith("_generated"):
                target = "_generated"
            # Importing a module's own package (``from . import x``) is not a crossing.
            if target != "__init__" and target not in allowed:
                where = path.relative_to(ROOT.parent)
                problems.append(f"{where}:{line}: {unit} imports {name} ({target})")
            elif target == "__init__" and unit != "__init__" and name == PACKAGE:
                where = path.relative_to(ROOT.parent)
                problems.append(f"{where}:{line}: {unit} imports the public facade")
    return problems


def test_imports_go_down_the_layers() -> None:
    assert _violations() == []


def test_every_module_is_in_a_layer() -> None:
    for path in _modules():
        _allowed(_unit(path))


def test_the_layer_test_sees_a_crossing(monkeypatch: pytest.MonkeyPatch) -> None:
    # The checker must catch a transport that reaches into the protocol, lazily too.
    engine = ROOT / "_transports" / "httpx_engine.py"
    original = engine.read_text()
    injected = original + "\n\ndef _probe() -> None:\n    from .._protocol import parse  # noqa\n"
    monkeypatch.setattr(Path, "read_text", _reader({engine: injected}))
    problems = _violations()
    assert any("_transports imports aiosagemaker_runtime._protocol.parse" in p for p in problems)


def _reader(replacements: dict[Path, str]) -> Callable[..., str]:
    real = Path.read_text

    def read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        if self in replacements:
            return replacements[self]
        return real(self, *args, **kwargs)

    return read_text


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """String constants and identifiers of ``path``; docstrings (and any other bare
    string expression, i.e. documentation) left out."""
    tree = ast.parse(path.read_text(), str(path))
    documentation = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in documentation:
                found.append((node.lineno, node.value))
        elif isinstance(node, ast.Name):
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            found.append((node.lineno, node.attr))
    return found


def _names_a_service(text: str) -> bool:
    lowered = text.lower().replace("aiosagemaker_runtime", "").replace("aiosagemaker-runtime", "")
    lowered = lowered.replace("sagemakerruntimeerror", "")
    return "sagemaker" in lowered


def test_nothing_in_the_core_names_a_service() -> None:
    problems = []
    for path in _modules():
        unit = _unit(path)
        if unit in TOP or unit == "_generated":
            continue
        for line, text in _code_strings(path):
            if _names_a_service(text):
                problems.append(f"{path.relative_to(ROOT.parent)}:{line}: {text!r}")
    assert problems == []


def test_the_service_check_sees_a_name() -> None:
    assert _names_a_service('"runtime.sagemaker.us-east-1.amazonaws.com"')
    assert not _names_a_service("aiosagemaker_runtime._spec")
