"""The pytest plugin comes with the installed package (its ``pytest11`` entry point)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def entry_point_module() -> str:
    """The module the ``pytest11`` entry point names in pyproject.toml (the installed
    metadata may be older: it changes at the next install)."""
    section = re.search(
        r'^\[project\.entry-points\.pytest11\]\s*^aiosagemaker_runtime\s*=\s*"([^"]+)"',
        PYPROJECT.read_text(),
        re.MULTILINE,
    )
    assert section is not None
    return section.group(1)


USER_TESTS = """
import urllib.error
import urllib.request

import pytest


def post(url):
    request = urllib.request.Request(url + "/endpoints/ep/invocations", data=b"x", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def test_fixture_without_any_import(fake_sagemaker):
    fake_sagemaker.endpoint("ep").respond(b"from the plugin")
    assert post(fake_sagemaker.url) == b"from the plugin"
    assert len(fake_sagemaker.calls) == 1


@pytest.mark.fake_sagemaker(check_signatures=True)
def test_marker(fake_sagemaker):
    fake_sagemaker.endpoint("ep").respond(b"never")
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        post(fake_sagemaker.url)  # unsigned
    assert excinfo.value.code == 403
"""


def run_pytest(directory: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:hypothesispytest",
            *options,
        ],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_fixture_and_marker_from_the_entry_point(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    result = run_pytest(tmp_path, "--strict-markers")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    # Without the plugin there is no such fixture: it is the entry point that gives it.
    result = run_pytest(tmp_path, "-p", "no:aiosagemaker_runtime")
    assert result.returncode != 0
    assert "fixture 'fake_sagemaker' not found" in result.stdout


@pytest.mark.parametrize(
    "module",
    [
        pytest.param(entry_point_module(), id="entry-point-module"),
        pytest.param("aiosagemaker_runtime.testing.pytest_plugin", id="former-module"),
    ],
)
def test_fixture_and_marker_from_the_plugin_module(tmp_path: Path, module: str) -> None:
    # The module named by pyproject.toml, whatever the installed metadata names, and the
    # plugin's former module (pytest_plugins = [...] in a conftest, an older install).
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    result = run_pytest(tmp_path, "--strict-markers", "-p", "no:aiosagemaker_runtime", "-p", module)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


UNUSED_FIXTURE_TESTS = """
import sys


def test_the_package_is_not_imported():
    assert sorted(m for m in sys.modules if m.startswith("aiosagemaker_runtime")) == []


def test_the_marker_is_declared(pytestconfig):
    assert any(line.startswith("fake_sagemaker(") for line in pytestconfig.getini("markers"))
"""


def test_a_session_without_the_fixture_does_not_import_the_package(tmp_path: Path) -> None:
    # Every pytest session of a project that installs us loads the plugin: it costs
    # nothing until a test asks for the fixture.
    (tmp_path / "test_other.py").write_text(UNUSED_FIXTURE_TESTS)
    module = entry_point_module()
    result = run_pytest(tmp_path, "-p", "no:aiosagemaker_runtime", "-p", module)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_loading_the_plugin_does_not_load_the_package() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        import pytest
        before = set(sys.modules)
        import {entry_point_module()}
        print(sorted(m for m in set(sys.modules) - before if m.startswith(("aiosagemaker_runtime", "hypercorn"))))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_former_plugin_module_does_not_load_the_server() -> None:
    code = textwrap.dedent(
        """
        import sys
        import aiosagemaker_runtime.testing.pytest_plugin
        loaded = [m for m in sys.modules if m.startswith(("aiosagemaker_runtime.local", "hypercorn"))]
        print(loaded)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
