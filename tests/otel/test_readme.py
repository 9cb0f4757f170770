"""The README's Tracing example, run as written against serve-local in-process."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import anyio
import pytest

from aiosagemaker_runtime.local import LocalConfig, running

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    text = README.read_text()
    section = text[text.index("\n## Tracing\n") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


@pytest.mark.anyio
async def test_readme_example_prints_the_streamed_call_span() -> None:
    async with running(LocalConfig.serving({"my-llm": "echo"}, port=0)) as url:
        env = dict(
            os.environ,
            AWS_ENDPOINT_URL=url,
            AWS_ACCESS_KEY_ID="AKIDREADME",
            AWS_SECRET_ACCESS_KEY="readme-secret",
        )
        with anyio.fail_after(120):
            done = await anyio.run_process([sys.executable, "-c", _example()], env=env, check=False)
    assert done.returncode == 0, done.stderr.decode()
    span = json.loads(done.stdout)
    assert span["name"] == "SageMaker Runtime.InvokeEndpointWithResponseStream"
    assert span["kind"] == "SpanKind.CLIENT"
    found = span["attributes"]
    assert found["aws.sagemaker.endpoint_name"] == "my-llm"
    assert found["aws.sagemaker.stream.end"] == "complete"
    assert found["aws.sagemaker.stream.bytes"] == len(b'{"inputs": "Hello"}')
    assert found["aws.sagemaker.stream.parts"] >= 1
