"""Public submodules are attributes of the package after a plain import, loaded lazily."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_submodules_reachable_after_a_plain_import() -> None:
    out = _run(
        """
        import sys
        import aiosagemaker_runtime

        loaded = "aiosagemaker_runtime.errors" in sys.modules, "aiosagemaker_runtime.models" in sys.modules
        error = aiosagemaker_runtime.errors.ModelError
        model = aiosagemaker_runtime.models.InvokeEndpointInput
        print(loaded, error.__name__, model.__name__, error is aiosagemaker_runtime.ModelError)
        """
    )
    # not imported by the package's import; reachable on first access
    assert out == "(False, False) ModelError InvokeEndpointInput True"


def test_except_clause_spelled_through_the_package() -> None:
    out = _run(
        """
        import aiosagemaker_runtime

        try:
            raise aiosagemaker_runtime.ModelError("boom", code="ModelError", status_code=424)
        except aiosagemaker_runtime.errors.ModelError as error:
            print(type(error).__name__)
        """
    )
    assert out == "ModelError"


def test_unknown_attribute_is_an_attribute_error() -> None:
    import aiosagemaker_runtime

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        aiosagemaker_runtime.nope  # noqa: B018
    assert {"errors", "models"} <= set(dir(aiosagemaker_runtime))
