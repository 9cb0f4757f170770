"""Fixtures for the code generator tests: generated packages in temporary directories."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from codegen_support import SEED_MODEL, WIDGETS_MODEL

from codegen.render import generate


@pytest.fixture(scope="session")
def packages_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory on ``sys.path`` that generated packages are written into."""
    directory = tmp_path_factory.mktemp("generated")
    sys.path.insert(0, str(directory))
    yield directory
    sys.path.remove(str(directory))


@pytest.fixture(scope="session")
def generated(packages_dir: Path) -> Callable[[Path, str], ModuleType]:
    """Generate ``model`` as package ``name`` (once per session) and import it."""
    cache: dict[str, ModuleType] = {}

    def make(model: Path, name: str) -> ModuleType:
        if name not in cache:
            generate(model, packages_dir, package=name)
            importlib.invalidate_caches()
            cache[name] = importlib.import_module(name)
        return cache[name]

    return make


@pytest.fixture(scope="session")
def widgets(generated: Callable[[Path, str], ModuleType]) -> ModuleType:
    """The package generated from the fixture model (every rest-json feature)."""
    return generated(WIDGETS_MODEL, "widgets")


@pytest.fixture(scope="session")
def seedclient(generated: Callable[[Path, str], ModuleType]) -> ModuleType:
    """The package generated from the early seed model."""
    return generated(SEED_MODEL, "seedclient")
