"""The AWS CLI, unchanged, against serve-local (``--endpoint-url``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Local
from .servers import ACCESS_KEY, SECRET_KEY, clean_env, wait_for_file

AWS = Path(sys.executable).with_name("aws")

pytestmark = pytest.mark.skipif(
    not AWS.exists(), reason="awscli is not installed in this environment"
)


def aws(local: Local, *args: str, secret: str = SECRET_KEY) -> subprocess.CompletedProcess[str]:
    env = clean_env(
        AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1"
    )
    return subprocess.run(
        [str(AWS), "sagemaker-runtime", *args, "--endpoint-url", local.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_invoke_endpoint_writes_outfile(local: Local, tmp_path: Path) -> None:
    payload = tmp_path / "in.json"
    payload.write_bytes(b'{"features": [1.5, 2]}')
    out = tmp_path / "out.json"
    result = aws(
        local, "invoke-endpoint", "--endpoint-name", "echo1", "--body", f"fileb://{payload}",
        "--content-type", "application/json", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == b'{"features": [1.5, 2]}'
    assert json.loads(result.stdout) == {
        "ContentType": "application/json",
        "InvokedProductionVariant": "AllTraffic",
    }


def test_container_error(local: Local, tmp_path: Path) -> None:
    result = aws(
        local, "invoke-endpoint", "--endpoint-name", "model", "--body", "fail:422:bad features",
        str(tmp_path / "out"),
    )  # fmt: skip
    assert result.returncode == 255
    assert (
        "An error occurred (ModelError) when calling the InvokeEndpoint operation: "
        'Received client error (422) from primary with message "bad features".'
    ) in result.stderr


def test_unknown_endpoint(local: Local, tmp_path: Path) -> None:
    result = aws(
        local, "invoke-endpoint", "--endpoint-name", "nope", "--body", "x", str(tmp_path / "o")
    )
    assert result.returncode == 255
    assert "(ValidationError)" in result.stderr
    assert "Endpoint nope of account 123456789012 not found." in result.stderr


def test_bad_signature(local: Local, tmp_path: Path) -> None:
    result = aws(
        local, "invoke-endpoint", "--endpoint-name", "echo1", "--body", "x", str(tmp_path / "o"),
        secret="wrong-secret",
    )  # fmt: skip
    assert result.returncode == 255
    assert "(InvalidSignatureException)" in result.stderr


def test_invoke_endpoint_async(local: Local) -> None:
    (local.s3_root / "cli-in").mkdir(exist_ok=True)
    (local.s3_root / "cli-in" / "x.csv").write_bytes(b"1,2,3")
    result = aws(
        local, "invoke-endpoint-async", "--endpoint-name", "echo1",
        "--input-location", "s3://cli-in/x.csv", "--inference-id", "cli-1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["InferenceId"] == "cli-1"
    written = wait_for_file(local.s3_root / out["OutputLocation"].removeprefix("s3://"))
    assert written == b"1,2,3"
