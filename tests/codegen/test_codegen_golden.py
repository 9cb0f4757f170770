"""Golden files, idempotence, the drift check and the command line of the generator.

Refresh the golden directories after an intended change with
``UPDATE_GOLDEN=1 python -m pytest tests/codegen/test_codegen_golden.py``.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import pytest
from codegen_support import CURRENT_MODEL, GOLDEN, ROOT, SEED_MODEL, WIDGETS_MODEL

from codegen.render import copy_tree, generate

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def tree(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (caches excluded), by relative path."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def assert_same_tree(actual: Path, expected: Path) -> None:
    got, want = tree(actual), tree(expected)
    assert sorted(got) == sorted(want), "missing or extra generated files"
    changed = [name for name in want if got[name] != want[name]]
    assert not changed, f"generated files differ from {expected}: {changed}"


@pytest.mark.parametrize(
    ("package", "golden"), [("widgets", "widgets"), ("", "main")], ids=["package", "main"]
)
def test_fixture_model_matches_golden(tmp_path: Path, package: str, golden: str) -> None:
    written = generate(WIDGETS_MODEL, tmp_path, package=package)
    expected = GOLDEN / golden
    if UPDATE:
        copy_tree(written, expected)
    assert_same_tree(written, expected)


def test_golden_comparison_notices_missing_and_extra_files(tmp_path: Path) -> None:
    written = generate(WIDGETS_MODEL, tmp_path, package="widgets")
    (written / "extra.py").write_text("", encoding="utf-8")
    with pytest.raises(AssertionError, match="missing or extra"):
        assert_same_tree(written, GOLDEN / "widgets")
    (written / "extra.py").unlink()
    (written / "client.py").unlink()
    with pytest.raises(AssertionError, match="missing or extra"):
        assert_same_tree(written, GOLDEN / "widgets")


def test_generation_is_idempotent(tmp_path: Path) -> None:
    first = generate(WIDGETS_MODEL, tmp_path / "a", package="widgets")
    second = generate(WIDGETS_MODEL, tmp_path / "b", package="widgets")
    assert tree(first) == tree(second)
    before = tree(first)
    generate(WIDGETS_MODEL, tmp_path / "a", package="widgets")
    assert tree(first) == before


def test_committed_generated_layer_is_fresh(tmp_path: Path) -> None:
    """What ``make check-generated`` checks, without touching the working tree."""
    written = generate(CURRENT_MODEL, tmp_path / "_generated")
    assert_same_tree(written, ROOT / "src" / "aiosagemaker_runtime" / "_generated")


def test_every_generated_file_says_do_not_edit() -> None:
    files = [p for p in (ROOT / "src" / "aiosagemaker_runtime" / "_generated").glob("*.py")]
    files += list((GOLDEN / "widgets").glob("*.py"))
    assert files
    for path in files:
        assert "DO NOT EDIT" in path.read_text(encoding="utf-8").splitlines()[0], path


def test_no_service_name_in_the_generator() -> None:
    words = ("sagemaker", "InvokeEndpoint", "invoke_endpoint", "EndpointName", "widget")
    for path in sorted((ROOT / "codegen").glob("*.py")):
        # The runtime package and its base exception are named after the product.
        text = path.read_text(encoding="utf-8")
        text = text.replace("aiosagemaker_runtime", "").replace("SageMakerRuntimeError", "")
        for word in words:
            assert word.lower() not in text.lower(), f"{word!r} in {path.name}"


def test_cli_builds_an_importable_seed_package(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "codegen",
            "--model",
            str(SEED_MODEL),
            "--out",
            str(tmp_path),
            "--package",
            "seedclient_cli",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    probe = (
        "import seedclient_cli as p, inspect;"
        "names = [n for n, f in inspect.getmembers(p.SageMakerRuntimeClient, inspect.iscoroutinefunction)"
        " if not n.startswith('_') and n != 'aclose'];"
        "print(names, p.models.InvokeEndpointInput.__name__, p.errors.ModelError.status_code_default)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["['invoke_endpoint']", "InvokeEndpointInput", "424"]


def test_cli_rejects_a_bad_package_name(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "codegen",
            "--model",
            str(SEED_MODEL),
            "--out",
            str(tmp_path),
            "--package",
            "not-a-name",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "not a valid module name" in result.stderr


def test_endpoint_rules_are_copied_beside_the_operations(widgets: object) -> None:
    from widgets.operations import SERVICE

    assert SERVICE.endpoint_rules is not None
    rules = SERVICE.endpoint_rules()
    assert rules is not None and rules["version"] == "1.0"
    assert filecmp.cmp(
        Path(sys.modules["widgets"].__file__).with_name("endpoint_rules.json"),  # type: ignore[arg-type]
        WIDGETS_MODEL.with_name("widgets-2020-01-01.endpoint-rule-set-1.json"),
        shallow=False,
    )


def test_no_endpoint_rules_beside_the_model_means_none(seedclient: object) -> None:
    from seedclient.operations import SERVICE

    assert SERVICE.endpoint_rules is None
    assert SERVICE.botocore_name == "sagemaker-runtime"
