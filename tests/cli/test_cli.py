"""The ``aiosagemaker-runtime`` command, run as a subprocess against serve-local."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from local.servers import (
    ACCESS_KEY,
    SECRET_KEY,
    Container,
    clean_env,
    run_container,
    start_serve_local,
    wait_for_file,
)

from aiosagemaker_runtime.cli import main


class Served:
    def __init__(self, url: str, s3_root: Path, container: Container) -> None:
        self.url = url
        self.s3_root = s3_root
        self.container = container


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    s3_root = tmp_path_factory.mktemp("cli-s3")
    with run_container() as container:
        server = start_serve_local(
            [
                "--endpoint", "echo1=echo",
                "--endpoint", f"model={container.url}",
                "--access-key-id", ACCESS_KEY,
                "--secret-access-key", SECRET_KEY,
                "--s3-root", str(s3_root),
            ]
        )  # fmt: skip
        try:
            yield Served(server.url, s3_root, container)
        finally:
            assert server.stop() == 0


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    environment = clean_env(
        AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_REGION="us-east-1"
    )
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "aiosagemaker_runtime", *args],
        capture_output=True,
        env=environment,
        timeout=60,
    )


@dataclass
class Ran:
    returncode: int
    stdout: bytes
    stderr: bytes


InProcess = Callable[..., Ran]


@pytest.fixture
def inproc(
    capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> InProcess:
    """Like :func:`cli` but in this process (no interpreter start-up): ``main(args)``."""

    def run(*args: str, **env: str) -> Ran:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        capsysbinary.readouterr()
        try:
            status = main(list(args))
        except SystemExit as exit:
            status = int(exit.code or 0)
        captured = capsysbinary.readouterr()
        return Ran(status, captured.out, captured.err)

    return run


def one_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert text.endswith("\n") and text.count("\n") == 1, text
    assert "Traceback" not in text
    return text.strip()


def test_invoke_endpoint_fileb_body_to_outfile(served: Served, tmp_path: Path) -> None:
    payload = bytes(range(256))
    (tmp_path / "in.bin").write_bytes(payload)
    out = tmp_path / "out.bin"
    result = cli(
        "invoke-endpoint", "--endpoint-url", served.url, "--endpoint-name", "echo1",
        "--body", f"fileb://{tmp_path / 'in.bin'}", "--content-type", "application/x-test",
        str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == payload
    assert json.loads(result.stdout) == {
        "ContentType": "application/x-test",
        "InvokedProductionVariant": "AllTraffic",
    }
    assert result.stderr == b""


def test_file_and_plain_string_bodies(served: Served, tmp_path: Path, inproc: InProcess) -> None:
    (tmp_path / "in.txt").write_text("häh text", encoding="utf-8")
    for body, expected in ((f"file://{tmp_path / 'in.txt'}", "häh text"), ("plain ✓", "plain ✓")):
        out = tmp_path / "out"
        result = inproc(
            "--endpoint-url", served.url, "invoke-endpoint", "--endpoint-name", "echo1",
            "--body", body, str(out),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert out.read_bytes() == expected.encode("utf-8")


def test_options_reach_the_container(served: Served, tmp_path: Path, inproc: InProcess) -> None:
    out = tmp_path / "out.json"
    result = inproc(
        "invoke-endpoint", "--endpoint-url", served.url, "--endpoint-name", "model",
        "--body", "hi", "--content-type", "text/csv", "--accept", "application/json",
        "--custom-attributes", "a=1", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_bytes())["custom_attributes"] == "a=1"
    metadata = json.loads(result.stdout)
    assert metadata["CustomAttributes"] == "seen=a=1"
    assert metadata["ContentType"] == "application/json"


def test_stream_to_stdout(served: Served) -> None:
    result = cli(
        "invoke-endpoint-with-response-stream", "--endpoint-url", served.url,
        "--endpoint-name", "model", "--body", "stream:alpha beta gamma", "-",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"alpha beta gamma "
    assert json.loads(result.stderr)["InvokedProductionVariant"] == "AllTraffic"


def test_stream_to_outfile(served: Served, tmp_path: Path, inproc: InProcess) -> None:
    out = tmp_path / "stream.bin"
    result = inproc(
        "invoke-endpoint-with-response-stream", "--endpoint-url", served.url,
        "--endpoint-name", "echo1", "--body", "one two three four five", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == b"one two three four five"
    assert json.loads(result.stdout)["ContentType"] == "application/octet-stream"


def test_invoke_endpoint_async(served: Served, inproc: InProcess) -> None:
    (served.s3_root / "in").mkdir(exist_ok=True)
    (served.s3_root / "in" / "x.json").write_bytes(b"[1]")
    result = inproc(
        "invoke-endpoint-async", "--endpoint-url", served.url, "--endpoint-name", "echo1",
        "--input-location", "s3://in/x.json", "--invocation-timeout-seconds", "30",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"InferenceId", "OutputLocation", "FailureLocation"}
    assert wait_for_file(served.s3_root / out["OutputLocation"].removeprefix("s3://")) == b"[1]"


def test_service_error_is_one_line_and_255(served: Served, tmp_path: Path) -> None:
    result = cli(
        "invoke-endpoint", "--endpoint-url", served.url, "--endpoint-name", "nope",
        "--body", "x", str(tmp_path / "o"),
    )  # fmt: skip
    assert result.returncode == 255
    assert one_line(result.stderr) == (
        "An error occurred (ValidationError) when calling the InvokeEndpoint operation: "
        "Endpoint nope of account 123456789012 not found."
    )
    assert result.stdout == b""
    assert not (tmp_path / "o").exists()


def test_model_error_message(served: Served, tmp_path: Path, inproc: InProcess) -> None:
    result = inproc(
        "invoke-endpoint", "--endpoint-url", served.url, "--endpoint-name", "model",
        "--body", "fail:500:boom", str(tmp_path / "o"),
    )  # fmt: skip
    assert result.returncode == 255
    assert one_line(result.stderr).startswith(
        "An error occurred (ModelError) when calling the InvokeEndpoint operation: "
        'Received server error (500) from primary with message "boom".'
    )


def test_bad_signature(served: Served, tmp_path: Path, inproc: InProcess) -> None:
    result = inproc(
        "invoke-endpoint", "--endpoint-url", served.url, "--endpoint-name", "echo1",
        "--body", "x", str(tmp_path / "o"), AWS_SECRET_ACCESS_KEY="wrong",
    )  # fmt: skip
    assert result.returncode == 255
    assert "(InvalidSignatureException)" in one_line(result.stderr)


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command in-process, for errors found before any request is made."""
    try:
        status = main(list(args))
    except SystemExit as exit:
        status = int(exit.code or 0)
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    return status, captured.out, captured.err.strip()


def test_missing_required_option_is_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run_main(capsys, "invoke-endpoint", "--body", "x", str(tmp_path / "o"))
    assert status == 252
    assert "--endpoint-name" in err


def test_missing_body_file_is_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    status, _, err = run_main(
        capsys, "invoke-endpoint", "--endpoint-url", "http://127.0.0.1:9", "--endpoint-name", "e",
        "--body", f"fileb://{tmp_path / 'missing.bin'}", str(tmp_path / "o"),
    )  # fmt: skip
    assert status == 252
    assert "Unable to load paramfile" in err


def test_invalid_parameter_is_refused_before_sending(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    status, _, err = run_main(
        capsys, "invoke-endpoint", "--endpoint-url", "http://127.0.0.1:9",
        "--endpoint-name", "bad_name", "--body", "x", str(tmp_path / "o"),
    )  # fmt: skip
    assert status == 252
    assert "EndpointName" in err


def test_no_region_is_a_configuration_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run_main(
        capsys, "invoke-endpoint", "--endpoint-name", "e", "--body", "x", str(tmp_path / "o")
    )
    assert status == 253
    assert "region" in err.lower()


def test_serve_local_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_main(capsys, "serve-local", "--port", "0")
    assert (status, "--endpoint" in err) == (252, True)
    status, _, err = run_main(capsys, "serve-local", "--port", "0", "--endpoint", "x=ftp://no")
    assert (status, "invalid target" in err) == (252, True)
    status, _, err = run_main(capsys, "serve-local", "--endpoint", "x=echo", "--access-key-id", "A")
    assert (status, "go together" in err) == (252, True)


def test_unreachable_endpoint(tmp_path: Path) -> None:
    from local.servers import closed_port

    result = cli(
        "invoke-endpoint", "--endpoint-url", f"http://127.0.0.1:{closed_port()}",
        "--endpoint-name", "e", "--body", "x", "--cli-connect-timeout", "2", str(tmp_path / "o"),
        AWS_MAX_ATTEMPTS="1",
    )  # fmt: skip
    assert result.returncode == 255
    one_line(result.stderr)


def test_debug_logs_without_secrets(served: Served, tmp_path: Path) -> None:
    result = cli(
        "--debug", "invoke-endpoint", "--endpoint-url", served.url, "--endpoint-name", "echo1",
        "--body", "body-text-7f3a", "--custom-attributes", "attr-9c2e", str(tmp_path / "o"),
        AWS_SESSION_TOKEN="session-token-5d1b",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert b"DEBUG" in result.stderr
    for secret in (SECRET_KEY, "session-token-5d1b", "attr-9c2e", "body-text-7f3a"):
        assert secret.encode() not in result.stderr


def test_serve_local_config_file(tmp_path: Path, inproc: InProcess) -> None:
    config = tmp_path / "local.json"
    config.write_text(
        json.dumps({"endpoints": {"from-file": "echo"}, "account_id": "111122223333"})
    )
    server = start_serve_local(["--config", str(config)])
    try:
        result = inproc(
            "invoke-endpoint", "--endpoint-url", server.url, "--endpoint-name", "missing",
            "--body", "x", str(tmp_path / "o"),
        )  # fmt: skip
        assert "account 111122223333" in one_line(result.stderr)
        result = inproc(
            "invoke-endpoint", "--endpoint-url", server.url, "--endpoint-name", "from-file",
            "--body", "x", str(tmp_path / "o"),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    finally:
        assert server.stop() == 0


def test_read_timeout(served: Served, tmp_path: Path, inproc: InProcess) -> None:
    result = inproc(
        "invoke-endpoint", "--endpoint-url", served.url, "--endpoint-name", "model",
        "--body", "sleep:2", "--cli-read-timeout", "0.3", str(tmp_path / "o"),
        AWS_MAX_ATTEMPTS="1",
    )  # fmt: skip
    assert result.returncode == 255
    assert "timeout" in one_line(result.stderr).lower()


@pytest.mark.parametrize("command", ["invoke-endpoint", "invoke-endpoint-batch"])
def test_global_options_make_the_client_arguments(command: str) -> None:
    import argparse

    from aiosagemaker_runtime import ClientConfig
    from aiosagemaker_runtime.cli._invoke import client_arguments

    args = argparse.Namespace(
        region="eu-west-1",
        endpoint_url="http://127.0.0.1:9",
        profile="p",
        cli_connect_timeout=0.0,  # 0: wait for ever, as the AWS CLI
        cli_read_timeout=7.5,
    )
    extra = {"max_attempts": 1} if command == "invoke-endpoint-batch" else {}
    got = client_arguments(args, **extra)
    assert got == {
        "region_name": "eu-west-1",
        "endpoint_url": "http://127.0.0.1:9",
        "profile_name": "p",
        "config": ClientConfig(connect_timeout=24 * 3600.0, read_timeout=7.5, **extra),
    }
    args.cli_connect_timeout = args.cli_read_timeout = None
    assert client_arguments(args)["config"] == ClientConfig()
