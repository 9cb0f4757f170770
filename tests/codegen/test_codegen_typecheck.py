"""Generated packages pass the project's ruff rules and ``mypy --strict``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from codegen_support import ROOT, SEED_MODEL, WIDGETS_MODEL, botocore_model_path

from codegen.render import generate

RUFF_FIRST_PARTY = "lint.isort.known-first-party=['aiosagemaker_runtime']"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("typed")
    generate(WIDGETS_MODEL, out, package="widgets_typed")
    generate(SEED_MODEL, out, package="seed_typed")
    # Real models too: lambda (large, nested JSON) and glacier (error members like "code").
    generate(botocore_model_path("lambda"), out, package="lambda_typed")
    generate(botocore_model_path("glacier"), out, package="glacier_typed")
    # bedrock-runtime: an input event stream (InvokeModelWithBidirectionalStream).
    generate(botocore_model_path("bedrock-runtime"), out, package="bedrock_typed")
    (out / "use_widgets.py").write_text(USAGE, encoding="utf-8")
    return out


# Calls a type checker must accept (and the one it must refuse is checked below).
USAGE = """\
from __future__ import annotations

from widgets_typed import WidgetStoreClient, models


async def use(client: WidgetStoreClient) -> None:
    out = await client.put_widget(store_id="s", key="k", client_token="t", color="red")
    reveal = out.widget.id if out.widget else ""
    assert isinstance(reveal, str)
    await client.put_widget(models.PutWidgetRequest(store_id="s", key="k", client_token="t"))
    await client.upload_widget_data(widget_id="w", body=b"x")
    pong = await client.ping()
    assert pong.healthy is None or isinstance(pong.healthy, bool)
    stream = await client.stream_widget_events(account_id="123456789012", widget_id="w")
    async with stream:
        async for event in stream.events:
            if isinstance(event, models.WidgetUpdate):
                assert event.bytes is None or isinstance(event.bytes, bytes)
    async with await client.chat_with_widget(widget_id="w", mood="red") as chat:
        await chat.send(b"audio")
        await chat.send("text")
        await chat.send(models.SayEvent(audio=b"x", kind="UTF8", final=True))
        await chat.send(models.ConfigureEvent(volume=3))
        async for reply in chat.exchange([b"a", models.ConfigureEvent(voice="v")]):
            assert reply.sequence is None or isinstance(reply.sequence, int)
        await chat.end_input()
        assert chat.session_id is None or isinstance(chat.session_id, str)
"""


@pytest.mark.slow
def test_ruff_check_and_format(packages: Path) -> None:
    config = str(ROOT / "pyproject.toml")
    names = ["widgets_typed", "seed_typed", "lambda_typed", "glacier_typed", "bedrock_typed"]
    lint = run(
        "-m",
        "ruff",
        "check",
        "--config",
        config,
        "--config",
        RUFF_FIRST_PARTY,
        *names,
        cwd=packages,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run("-m", "ruff", "format", "--check", "--config", config, *names, cwd=packages)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.slow
def test_mypy_strict(packages: Path) -> None:
    result = run(
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "widgets_typed",
        "seed_typed",
        "bedrock_typed",
        "use_widgets.py",
        cwd=packages,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_refuses_a_wrong_enum_and_a_missing_required_argument(packages: Path) -> None:
    (packages / "misuse.py").write_text(
        "from widgets_typed import WidgetStoreClient\n\n\n"
        "async def use(client: WidgetStoreClient) -> None:\n"
        '    await client.put_widget(store_id="s", key="k", client_token="t", color="mauve")\n'
        '    await client.upload_widget_data(widget_id="w")\n'
        '    chat = await client.chat_with_widget(widget_id="w")\n'
        "    await chat.send(1)\n",
        encoding="utf-8",
    )
    result = run(
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "misuse.py",
        cwd=packages,
    )
    assert result.returncode == 1
    assert "misuse.py:5: error" in result.stdout, result.stdout
    assert "misuse.py:6: error" in result.stdout, result.stdout
    assert "misuse.py:8: error" in result.stdout, result.stdout  # an int is not an event
