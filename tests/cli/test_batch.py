"""``aiosagemaker-runtime invoke-endpoint-batch`` against serve-local on 127.0.0.1 (run
in a thread of this process, so its log says when it throttles) and a model container
that counts every call; the command in this process, or as a subprocess for stdin,
stdout and SIGINT."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal
from bulk.model import Model, run_model
from local.servers import clean_env

from aiosagemaker_runtime.cli import main
from aiosagemaker_runtime.local import LocalConfig, running

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIDBATCH",
    "AWS_SECRET_ACCESS_KEY": "batch-secret",
    "AWS_REGION": "us-east-1",
}


class Served:
    """serve-local with ``echo``, ``free`` (the model) and ``m`` (the model, 4 calls at
    a time); ``throttled`` is set when serve-local has throttled a call."""

    def __init__(self, url: str, model: Model) -> None:
        self.url = url
        self.model = model
        self.throttled = threading.Event()


class _ThrottleSeen(logging.Handler):
    def __init__(self, served: Served) -> None:
        super().__init__(logging.INFO)
        self.served = served

    def emit(self, record: logging.LogRecord) -> None:
        if "throttled" in record.getMessage():
            self.served.throttled.set()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with run_model() as model, start_blocking_portal() as portal:
        config = LocalConfig.serving(
            {"echo": "echo", "free": model.url, "m": model.url}, capacity={"m": 4}, port=0
        )
        with portal.wrap_async_context_manager(running(config)) as url:
            served = Served(url, model)
            local_logger = logging.getLogger("aiosagemaker_runtime.local")
            handler = _ThrottleSeen(served)
            level, propagate = local_logger.level, local_logger.propagate
            local_logger.addHandler(handler)
            local_logger.propagate = False  # its INFO lines are for the handler only
            try:
                yield served
            finally:
                local_logger.removeHandler(handler)
                local_logger.setLevel(level)
                local_logger.propagate = propagate


@pytest.fixture
def model(served: Served) -> Model:
    served.model.reset()
    served.throttled.clear()
    return served.model


def batch(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    served: Served,
    *args: str,
    env: dict[str, str] | None = None,
) -> tuple[int, str]:
    """Run the command in this process; ``(exit status, stderr)``."""
    for name, value in {**CREDENTIALS, **(env or {})}.items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    capsys.readouterr()
    status = main(["--endpoint-url", served.url, "invoke-endpoint-batch", *args])
    return status, capsys.readouterr().err


def lines(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]


def write_input(path: Path, n: int, **extra: Any) -> Path:
    path.write_text("".join(json.dumps({"i": i, **extra}) + "\n" for i in range(n)))
    return path


def test_body_lines_end_to_end(
    served: Served,
    model: Model,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = write_input(tmp_path / "in.jsonl", 40)
    out = tmp_path / "out.jsonl"
    status, stderr = batch(
        capsys, monkeypatch, served,
        "--endpoint-name", "free", "--input", str(source), "--output", str(out),
        "--concurrency", "6",
    )  # fmt: skip
    assert status == 0, stderr
    results = lines(out)
    assert sorted(result["index"] for result in results) == list(range(40))
    for result in results:
        assert result["body"] == {"i": result["index"], "echo": {"i": result["index"]}}
        assert result["content_type"] == "application/json"
        assert result["invoked_production_variant"] == "AllTraffic"
    assert model.state.calls == {i: 1 for i in range(40)}
    summary = stderr.strip().splitlines()[-1]
    assert summary.startswith("invoke-endpoint-batch: 40 records: 40 ok, 0 failed; ")
    assert "records/s" in summary and "p50 " in summary and "p99 " in summary


def test_members_lines_and_malformed_lines(
    served: Served,
    model: Model,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps({"Body": {"x": 1}}),
                "{not json",
                json.dumps([1, 2]),
                json.dumps({"Body": "a", "Bogus": 1}),
                json.dumps({"ContentType": "text/plain"}),
                "",
                json.dumps({"Body": "words", "ContentType": "text/plain"}),
                json.dumps({"Body": "x", "TargetModel": 5}),
                json.dumps({"Body": {"i": 8}, "EndpointName": "free", "Accept": "*/*"}),
            ]
        )  # no newline after the last line
    )
    out = tmp_path / "out.jsonl"
    status, stderr = batch(
        capsys, monkeypatch, served,
        "--endpoint-name", "echo", "--input", str(source), "--output", str(out),
        "--input-format", "members",
    )  # fmt: skip
    assert status == 1, stderr
    by_index = {result["index"]: result for result in lines(out)}
    assert sorted(by_index) == list(range(9))
    assert by_index[0]["body"] == {"x": 1}
    assert by_index[6]["body"] == "words" and by_index[6]["content_type"] == "text/plain"
    assert by_index[8]["body"]["echo"] == {"i": 8}  # its own endpoint, the model
    assert model.state.calls == {8: 1}
    expected = {
        1: "line 2: not valid JSON",
        2: "line 3: expected a JSON object",
        3: "line 4: unknown member Bogus",
        4: "line 5: Body is missing",
        5: "line 6: empty line",
    }
    for index, start in expected.items():
        error = by_index[index]["error"]
        assert error["code"] == "MalformedRecord" and error["status_code"] is None
        assert error["message"].startswith(start), error
    assert by_index[7]["error"]["code"] == "ParamValidationError"
    assert "TargetModel" in by_index[7]["error"]["message"]
    assert "9 records: 3 ok, 6 failed" in stderr


def test_model_errors_are_error_lines(
    served: Served,
    model: Model,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"i": 0}\n{"i": 1, "fail": 500}\n{"i": 2}\n')
    out = tmp_path / "out.jsonl"
    status, _ = batch(
        capsys, monkeypatch, served,
        "--endpoint-name", "free", "--input", str(source), "--output", str(out),
    )  # fmt: skip
    assert status == 1
    by_index = {result["index"]: result for result in lines(out)}
    error = by_index[1]["error"]
    assert (error["code"], error["status_code"]) == ("ModelError", 424)
    assert "the model refused" in error["message"]
    assert "body" in by_index[0] and "body" in by_index[2]


def test_unusable_files_fail_before_the_first_call(
    served: Served,
    model: Model,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = write_input(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    cases = [
        (["--input", str(tmp_path / "missing.jsonl"), "--output", str(out)], "cannot read"),
        (["--input", str(tmp_path), "--output", str(out)], "directory"),
        (["--input", str(source), "--output", str(tmp_path / "no" / "out")], "cannot write"),
    ]
    for args, message in cases:
        status, stderr = batch(capsys, monkeypatch, served, "--endpoint-name", "free", *args)
        assert status == 252 and message in stderr, stderr
        assert stderr.count("\n") == 1
    assert not out.exists()
    out.write_text('{"index":0,"body":1}\n')
    status, stderr = batch(
        capsys, monkeypatch, served,
        "--endpoint-name", "free", "--input", str(source), "--output", str(out),
    )  # fmt: skip
    assert status == 252 and "--resume" in stderr
    assert out.read_text() == '{"index":0,"body":1}\n'  # a previous run's results stay
    out.write_text('{"index":0,"body":1}\nnot a result\n')
    status, stderr = batch(
        capsys, monkeypatch, served,
        "--endpoint-name", "free", "--input", str(source), "--output", str(out), "--resume",
    )  # fmt: skip
    assert status == 252 and "line 2 is not a result line" in stderr
    assert model.state.total == 0


def test_missing_region_stops_the_run(
    served: Served,
    model: Model,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = write_input(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    status, stderr = batch(
        capsys, monkeypatch, served,
        "--endpoint-name", "free", "--input", str(source), "--output", str(out),
        env={"AWS_REGION": ""},
    )  # fmt: skip
    assert status == 253, stderr
    assert out.read_bytes() == b""
    assert model.state.total == 0


def test_resume_cuts_a_torn_line_and_calls_only_the_missing_records(
    served: Served,
    model: Model,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = write_input(tmp_path / "in.jsonl", 12)
    out = tmp_path / "out.jsonl"
    out.write_bytes(
        b'{"index":0,"body":{"i":0}}\n'
        b'{"index":5,"error":{"code":"ModelError","message":"x","status_code":424}}\n'
        b'{"index":2,"body":{"i":2}}\n'
        b'{"index":7,"bo'  # torn by a kill
    )
    status, stderr = batch(
        capsys, monkeypatch, served,
        "--endpoint-name", "free", "--input", str(source), "--output", str(out), "--resume",
    )  # fmt: skip
    assert status == 1, stderr  # record 5 failed in the first run
    assert "cut off a torn last line" in stderr
    assert "3 already in" in stderr and "(1 failed)" in stderr
    indices = [result["index"] for result in lines(out)]
    assert sorted(indices) == list(range(12))
    assert model.state.calls == {i: 1 for i in range(12) if i not in (0, 2, 5)}


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "aiosagemaker_runtime", *args]


def _wait_for(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_sigint_mid_run_then_resume(served: Served, model: Model, tmp_path: Path) -> None:
    """Interrupted with calls in flight, the output holds whole lines; --resume, against
    an endpoint that throttles, completes it: every index once, and no record already
    written is sent again."""
    n, stall = 150, 60
    source = write_input(tmp_path / "in.jsonl", n)
    out = tmp_path / "out.jsonl"
    model.state.hold = lambda body: body["i"] >= stall  # the run stalls there
    env = clean_env(**CREDENTIALS)
    command = _command(
        "--endpoint-url", served.url, "invoke-endpoint-batch", "--endpoint-name", "free",
        "--input", str(source), "--output", str(out), "--concurrency", "8",
    )  # fmt: skip
    # SIGINT at its default in the child: a shell starting the test run in the background
    # makes it ignored, and the child would inherit that (and rightly keep ignoring it).
    process = subprocess.Popen(command, stderr=subprocess.PIPE, env=env, preexec_fn=_default_sigint)
    try:
        _wait_for(lambda: _count_lines(out) >= stall and model.state.arrived.is_set(), "stall")
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert b"interrupted" in stderr and b"--resume" in stderr
    first = lines(out)
    written = {result["index"] for result in first}
    assert written == set(range(stall)) and len(first) == stall

    # The second run: nothing held, but the endpoint takes 4 calls and the run sends
    # 12; the first calls wait at the model until serve-local has throttled one.
    model.state.gate.set()
    model.state.gate = threading.Event()
    model.state.hold = lambda body: not served.throttled.is_set()
    # (In-process runs of the command set this logger to WARNING.)
    logging.getLogger("aiosagemaker_runtime.local").setLevel(logging.INFO)
    gate = model.state.gate

    def release_at_the_first_throttle() -> None:
        served.throttled.wait(30)
        gate.set()

    threading.Thread(target=release_at_the_first_throttle, daemon=True).start()
    command = _command(
        "--endpoint-url", served.url, "invoke-endpoint-batch", "--endpoint-name", "m",
        "--input", str(source), "--output", str(out), "--concurrency", "12", "--resume",
    )  # fmt: skip
    resumed = subprocess.run(command, capture_output=True, env=env, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert served.throttled.is_set()
    summary = resumed.stderr.decode().strip().splitlines()[-1]
    assert f"{n - stall} records: {n - stall} ok, 0 failed" in summary
    assert "throttles absorbed" in summary and f"{stall} already in" in summary
    final = lines(out)
    assert sorted(result["index"] for result in final) == list(range(n))
    assert all("body" in result for result in final)
    calls = model.state.calls  # both runs
    assert all(calls[index] == 1 for index in written)
    assert all(calls[index] >= 1 for index in range(stall, n))


def test_stdin_to_stdout(served: Served, model: Model) -> None:
    data = "".join(json.dumps({"i": i}) + "\n" for i in range(10)).encode()
    command = _command(
        "--endpoint-url", served.url, "invoke-endpoint-batch", "--endpoint-name", "echo",
        "--input", "-", "--output", "-",
    )  # fmt: skip
    completed = subprocess.run(
        command, input=data, capture_output=True, env=clean_env(**CREDENTIALS), timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    results = [json.loads(line) for line in completed.stdout.splitlines()]
    assert sorted((result["index"], result["body"]["i"]) for result in results) == [
        (i, i) for i in range(10)
    ]
    assert b"10 records: 10 ok" in completed.stderr


def test_progress_bar_when_stderr_is_a_terminal(
    served: Served, model: Model, tmp_path: Path
) -> None:
    import fcntl
    import os
    import pty
    import select
    import struct
    import termios

    source = write_input(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out.jsonl"
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    command = _command(
        "--endpoint-url", served.url, "invoke-endpoint-batch", "--endpoint-name", "free",
        "--input", str(source), "--output", str(out),
    )  # fmt: skip
    process = subprocess.Popen(command, stderr=secondary, env=clean_env(**CREDENTIALS))
    os.close(secondary)
    shown = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not select.select([primary], [], [], 1)[0]:
            continue
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert process.wait(timeout=60) == 0
    text = shown.decode(errors="replace")
    assert "30/30" in text and "rec/s" in text and "failed=0" in text
    assert text.rstrip().splitlines()[-1].startswith("invoke-endpoint-batch: 30 records")
    assert len(lines(out)) == 30
