"""serve-local's per-endpoint capacity: beyond it, calls get what SageMaker sends when an
endpoint's concurrency is exceeded (400, ``ThrottlingException``, a null message)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from local.servers import start_serve_local

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient, ServiceError
from aiosagemaker_runtime.cli import main
from aiosagemaker_runtime.local import ConfigError, LocalConfig, running
from aiosagemaker_runtime.local._config import load_config_file, parse_capacity_option

from .model import Model


async def _hold_one_call(model: Model, url: str, tasks: Any) -> None:
    """Start a call that the model holds, and return once it is there."""
    model.state.hold = lambda body: body.get("i") == 0

    async def held() -> None:
        async with httpx2.AsyncClient() as http:
            await http.post(f"{url}/endpoints/m/invocations", content=b'{"i": 0}', timeout=30)

    tasks.start_soon(held)
    await anyio.to_thread.run_sync(model.state.arrived.wait, 10)


@pytest.mark.anyio
async def test_calls_beyond_the_capacity_get_the_services_throttling_answer(model: Model) -> None:
    config = LocalConfig.serving({"m": model.url, "free": model.url}, capacity={"m": 1}, port=0)
    async with running(config) as url, anyio.create_task_group() as tasks:
        await _hold_one_call(model, url, tasks)
        async with httpx2.AsyncClient() as http:
            refused = await http.post(f"{url}/endpoints/m/invocations", content=b'{"i": 1}')
            other = await http.post(f"{url}/endpoints/free/invocations", content=b'{"i": 2}')
        model.state.gate.set()
    assert refused.status_code == 400
    assert refused.headers["x-amzn-errortype"] == "ThrottlingException"
    assert refused.headers["x-amzn-requestid"]
    assert json.loads(refused.content) == {"message": None}
    assert other.status_code == 200  # the capacity is per endpoint
    assert model.state.calls == {0: 1, 2: 1}


@pytest.mark.anyio
async def test_the_client_sees_a_throttling_error(model: Model) -> None:
    config = LocalConfig.serving({"m": model.url}, capacity={"m": 1}, port=0)
    async with (
        running(config) as url,
        SageMakerRuntimeClient(
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="AKIDBULK",
            aws_secret_access_key="bulk-secret",
            config=ClientConfig(max_attempts=1),
        ) as client,
    ):
        async with anyio.create_task_group() as tasks:
            await _hold_one_call(model, url, tasks)
            with pytest.raises(ServiceError) as caught:
                await client.invoke_endpoint(endpoint_name="m", body=b'{"i": 1}')
            model.state.gate.set()
        # Once the held call is done the slot is free again.
        assert (await client.invoke_endpoint(endpoint_name="m", body=b'{"i": 3}')).body
    assert (caught.value.code, caught.value.status_code) == ("ThrottlingException", 400)
    assert caught.value.message == ""  # the service sends a null message


def test_capacity_option_of_serve_local(model: Model) -> None:
    server = start_serve_local(["--endpoint", f"m={model.url}", "--capacity", "m=1"])
    invocations = f"{server.url}/endpoints/m/invocations"
    try:
        model.state.hold = lambda body: body.get("i") == 0
        held = threading.Thread(
            target=lambda: httpx2.post(invocations, content=b'{"i": 0}', timeout=30), daemon=True
        )
        held.start()
        assert model.state.arrived.wait(10)
        refused = httpx2.post(invocations, content=b'{"i": 1}')
        model.state.gate.set()
        held.join(10)
        assert refused.status_code == 400
        assert refused.headers["x-amzn-errortype"] == "ThrottlingException"
        assert httpx2.post(invocations, content=b'{"i": 2}').status_code == 200
    finally:
        assert server.stop() == 0


def test_capacity_settings() -> None:
    assert parse_capacity_option("busy=4") == ("busy", 4)
    for bad in ("busy", "busy=0", "busy=x", "=3"):
        with pytest.raises(ConfigError, match="NAME=N"):
            parse_capacity_option(bad)
    with pytest.raises(ConfigError, match="not served: other"):
        LocalConfig.serving({"e": "echo"}, capacity={"other": 2})
    assert LocalConfig.serving({"e": "echo"}, capacity={"e": 2}).endpoints["e"].capacity == 2
    assert LocalConfig.serving({"e": "echo"}).endpoints["e"].capacity is None


def test_capacity_in_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "local.json"
    path.write_text(json.dumps({"endpoints": {"e": {"url": "echo", "capacity": 3}}}))
    assert load_config_file(path)["endpoints"]["e"].capacity == 3
    path.write_text(json.dumps({"endpoints": {"e": {"url": "echo", "capacity": "3"}}}))
    with pytest.raises(ConfigError, match="positive integer"):
        load_config_file(path)


def test_capacity_for_an_endpoint_not_served_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["serve-local", "--endpoint", "a=echo", "--capacity", "b=2"])
    assert status == 252
    assert "capacity given for endpoints not served: b" in capsys.readouterr().err
