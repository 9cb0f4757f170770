"""The real package creates its per-operation model classes on first use.

Each check runs in a fresh interpreter: ``import aiosagemaker_runtime`` and creating a
client load no ``models_<operation>`` module of either generated package; importing one
class, or calling one operation (against the fake endpoint of
``aiosagemaker_runtime.testing``), loads that operation's module only.
"""

from __future__ import annotations

import json
import subprocess
import sys

_PREFIXES = (
    "aiosagemaker_runtime._generated.models_",
    "aiosagemaker_runtime._generated_http2.models_",
)

_HEAD = f"""
import json, sys
def loaded():
    return sorted(m for m in sys.modules if m.startswith({_PREFIXES!r}))
"""

INVOKE_ENDPOINT = ["aiosagemaker_runtime._generated.models_invoke_endpoint"]


def run(body: str) -> dict[str, list[str]]:
    """Run ``body`` after the probe's head; it prints one JSON object of module lists."""
    done = subprocess.run(
        [sys.executable, "-c", _HEAD + body],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_import_and_client_load_no_operation_module() -> None:
    result = run(
        """
import aiosagemaker_runtime
imported = loaded()
client = aiosagemaker_runtime.SageMakerRuntimeClient(
    region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
)
print(json.dumps({"imported": imported, "client": loaded(),
                  "generated": sorted(m for m in sys.modules if "_generated" in m)}))
"""
    )
    assert result["imported"] == []
    assert result["client"] == []
    # Not vacuous: the generated package the client uses is loaded.
    assert "aiosagemaker_runtime._generated.models" in result["generated"]


def test_importing_one_class_of_the_generated_models_loads_its_module_only() -> None:
    result = run(
        """
import aiosagemaker_runtime
from aiosagemaker_runtime._generated.models import InvokeEndpointOutput
print(json.dumps({"after": loaded(), "module": [InvokeEndpointOutput.__module__]}))
"""
    )
    assert result["after"] == INVOKE_ENDPOINT
    assert result["module"] == INVOKE_ENDPOINT


def test_importing_one_class_of_the_public_models_loads_its_module_only() -> None:
    result = run(
        """
import aiosagemaker_runtime
from aiosagemaker_runtime.models import InvokeEndpointOutput
print(json.dumps({"after": loaded()}))
"""
    )
    assert result["after"] == INVOKE_ENDPOINT


def test_one_call_loads_its_operation_module_only() -> None:
    result = run(
        """
import anyio
import aiosagemaker_runtime
from aiosagemaker_runtime.testing import FakeSageMaker

async def main():
    async with FakeSageMaker() as fake:
        fake.endpoint("e", model=lambda call: {"ok": 1})
        async with aiosagemaker_runtime.SageMakerRuntimeClient(
            region_name="us-east-1", endpoint_url=fake.url,
            aws_access_key_id="a", aws_secret_access_key="b",
        ) as client:
            before = loaded()
            out = await client.invoke_endpoint(
                endpoint_name="e", body=b"{}", content_type="application/json"
            )
            assert out.body
            return {"before": before, "after": loaded(), "module": [type(out).__module__]}

print(json.dumps(anyio.run(main)))
"""
    )
    assert result["before"] == []
    assert result["after"] == INVOKE_ENDPOINT
    assert result["module"] == INVOKE_ENDPOINT


def test_client_type_hints_resolve() -> None:
    # The signatures name the classes as "models.X": resolving them creates the class.
    import typing

    from aiosagemaker_runtime import SageMakerRuntimeClient
    from aiosagemaker_runtime.models import InvokeEndpointInput, InvokeEndpointOutput

    hints = typing.get_type_hints(SageMakerRuntimeClient.invoke_endpoint)
    assert hints["return"] is InvokeEndpointOutput
    assert hints["input"] == InvokeEndpointInput | None
