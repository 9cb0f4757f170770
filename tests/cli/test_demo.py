"""``make demo`` runs end to end and tells what happened."""

from __future__ import annotations

import subprocess
import sys

import pytest
from local.servers import clean_env


@pytest.mark.slow
def test_demo_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aiosagemaker_runtime.demo"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "serving on http://127.0.0.1:" in out
    assert "PayloadPart events" in out
    assert "sent 'listening?'  -> got 'listening?' (UTF8)" in out  # the bidirectional step
    assert "unknown endpoint -> ValidationError (400)" in out
    assert "wrong secret key -> InvalidSignatureException (403)" in out
    assert out.count("the first words while the model is still thinking") == 2
    assert "stopped on SIGTERM (exit status 0)" in out
    assert "Traceback" not in result.stderr
