"""Endpoints of the bidirectional-stream service (the HTTP2 model): its own rule set,
checked against the 26 endpoint test cases vendored beside the model (port 8443, which
AWS's own Python SDK for it leaves out)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime._endpoints.resolve import resolve_endpoint, rule_set_for
from aiosagemaker_runtime._endpoints.rules import EndpointResolutionError
from aiosagemaker_runtime._generated_http2.client import SageMakerRuntimeHTTP2Client
from aiosagemaker_runtime._generated_http2.operations import SERVICE

ROOT = Path(__file__).resolve().parents[2]
CASES_FILE = ROOT / "service-model" / "sagemaker-runtime-http2-2025-10-01.endpoint-tests-1.json"
CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))["testCases"]


def test_all_26_cases_are_there() -> None:
    assert len(CASES) == 26
    urls = [c["expect"]["endpoint"]["url"] for c in CASES if "endpoint" in c["expect"]]
    assert sum(url.endswith(":8443") for url in urls) == 20


@pytest.mark.parametrize("case", CASES, ids=[c["documentation"] for c in CASES])
def test_rule_set_case(case: dict[str, Any]) -> None:
    rule_set = rule_set_for(SERVICE)
    assert rule_set is not None
    expect = case["expect"]
    params = case.get("params", {})
    if "error" in expect:
        with pytest.raises(EndpointResolutionError, match=f"^{re.escape(expect['error'])}$"):
            rule_set.evaluate(params)
    else:
        assert rule_set.evaluate(params).url == expect["endpoint"]["url"]


REGION_CASES = [c for c in CASES if "Region" in c.get("params", {}) and "endpoint" in c["expect"]]


@pytest.mark.parametrize("case", REGION_CASES, ids=[c["documentation"] for c in REGION_CASES])
def test_resolved_as_the_client_does(case: dict[str, Any]) -> None:
    params = case["params"]
    url = resolve_endpoint(
        SERVICE,
        params["Region"],
        use_fips=params.get("UseFIPS", False),
        use_dualstack=params.get("UseDualStack", False),
        endpoint_url=None,
    )
    assert url == case["expect"]["endpoint"]["url"]


@pytest.mark.anyio
async def test_the_client_resolves_port_8443() -> None:
    client = SageMakerRuntimeHTTP2Client(
        region_name="eu-west-1", aws_access_key_id="AKID", aws_secret_access_key="secret"
    )
    with anyio.fail_after(10):
        region, endpoint = await client._pipeline.resolve()
        await client.aclose()
    assert (region, endpoint) == (
        "eu-west-1",
        "https://runtime.sagemaker.eu-west-1.amazonaws.com:8443",
    )
