"""The README's "Testing your code" examples, run as a user runs them: each code block
is a test module of its own, run by pytest in a directory without this project's
configuration, the fixture coming from the installed package."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Testing your code\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    return [block for block in blocks if "def test_" in block]


def test_one_example_per_client() -> None:
    found = examples()
    assert len(found) == 3
    assert "SageMakerRuntimeClient(" in found[0]
    assert "aiobotocore" in found[1]
    assert "boto3.client(" in found[2]


def test_the_examples_pass(tmp_path: Path) -> None:
    found = examples()
    for number, code in enumerate(found, 1):
        (tmp_path / f"test_readme_{number}.py").write_text(code, encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.pop("PYTEST_ADDOPTS", None)
    env["AWS_CONFIG_FILE"] = str(tmp_path / "no-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "no-credentials")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:hypothesispytest",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Every test function of every example ran and passed (the first under two loops).
    for number, code in enumerate(found, 1):
        for name in re.findall(r"^(?:async )?def (test_\w+)", code, flags=re.MULTILINE):
            assert re.search(rf"test_readme_{number}\.py::{name}\S* PASSED", output), name
    assert " skipped" not in output and " xfail" not in output
    assert "test_sentiment[trio] PASSED" in output
