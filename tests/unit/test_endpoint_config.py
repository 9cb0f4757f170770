"""Endpoint URLs from the shared config file and the environment, checked against botocore.

Every case builds the same environment and config file for both, then compares our
resolved base URL with the ``endpoint_url`` of a botocore client (botocore >= 1.31
resolves configured endpoints the same way).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import botocore.session
import httpx
import pytest
import respx

from aiosagemaker_runtime import ParamValidationError, SageMakerRuntimeClient
from aiosagemaker_runtime._endpoints import configured
from aiosagemaker_runtime._endpoints.resolve import aresolve_endpoint, resolve_endpoint
from aiosagemaker_runtime._generated.client import SageMakerRuntimeClient as Generated

SERVICE = Generated._service_

ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)

CONFIG = """
[default]
endpoint_url = http://profile-default:1

[profile services]
services = local
endpoint_url = http://profile-services:2

[profile other-services]
services = elsewhere
endpoint_url = http://profile-other:3

[profile ignoring]
ignore_configured_endpoint_urls = true
endpoint_url = http://profile-ignoring:4

[profile plain]
region = eu-west-1

[profile broken]
services = missing

[services local]
sagemaker_runtime =
  endpoint_url = http://services-local:5

[services elsewhere]
sagemaker_featurestore_runtime =
  endpoint_url = http://featurestore:6
"""

RULES_URL = "https://runtime.sagemaker.us-east-1.amazonaws.com"


@pytest.fixture(autouse=True)
def clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config"
    config.write_text(CONFIG)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    configured._loaded.clear()
    yield config
    configured._loaded.clear()


def ours(profile: str | None) -> str:
    return resolve_endpoint(
        SERVICE,
        "us-east-1",
        use_fips=False,
        use_dualstack=False,
        endpoint_url=None,
        profile_name=profile,
    )


def botocores(profile: str | None) -> str:
    session = botocore.session.Session(profile=profile)
    client = session.create_client(
        "sagemaker-runtime",
        region_name="us-east-1",
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
    )
    return str(client.meta.endpoint_url).rstrip("/")


CASES: list[tuple[str, str | None, dict[str, str], str]] = [
    ("profile endpoint_url", None, {}, "http://profile-default:1"),
    ("services section beats the profile's", "services", {}, "http://services-local:5"),
    ("another service's section", "other-services", {}, "http://profile-other:3"),
    ("nothing configured", "plain", {}, RULES_URL),
    ("AWS_PROFILE", None, {"AWS_PROFILE": "services"}, "http://services-local:5"),
    (
        "global variable beats the file",
        "services",
        {"AWS_ENDPOINT_URL": "http://env-global:7"},
        "http://env-global:7",
    ),
    (
        "service variable beats the global one",
        None,
        {
            "AWS_ENDPOINT_URL": "http://env-global:7",
            "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": "http://env-service:8",
        },
        "http://env-service:8",
    ),
    (
        "variable says ignore",
        "services",
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL": "http://env-global:7"},
        RULES_URL,
    ),
    (
        "profile says ignore, variables too",
        "ignoring",
        {"AWS_ENDPOINT_URL": "http://env-global:7"},
        RULES_URL,
    ),
    (
        "variable false overrides the profile's ignore",
        "ignoring",
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"},
        "http://profile-ignoring:4",
    ),
]


@pytest.mark.parametrize(
    ("profile", "env", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_matches_botocore(
    profile: str | None, env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert botocores(profile) == expected
    assert ours(profile) == expected


def test_missing_services_section_is_an_error() -> None:
    with pytest.raises(botocore.exceptions.InvalidConfigError):
        botocores("broken")
    with pytest.raises(ParamValidationError, match='"missing" services') as info:
        ours("broken")
    assert info.value.member == "profile_name"


def test_unknown_explicit_profile_is_an_error() -> None:
    with pytest.raises(ParamValidationError, match="could not be found"):
        ours("nope")


def test_no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent"))
    assert ours(None) == RULES_URL


def test_endpoint_url_argument_comes_first() -> None:
    got = resolve_endpoint(
        SERVICE,
        "us-east-1",
        use_fips=False,
        use_dualstack=False,
        endpoint_url="http://argument:9",
        profile_name="services",
    )
    assert got == "http://argument:9"


def test_configured_endpoint_and_fips_conflict() -> None:
    with pytest.raises(ParamValidationError, match="custom endpoint"):
        resolve_endpoint(
            SERVICE,
            "us-east-1",
            use_fips=True,
            use_dualstack=False,
            endpoint_url=None,
            profile_name="services",
        )


@pytest.mark.anyio
async def test_file_read_once_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio.to_thread

    hops: list[Any] = []
    original = anyio.to_thread.run_sync

    async def spy(*args: Any, **kwargs: Any) -> Any:
        hops.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", spy)
    for _ in range(3):
        got = await aresolve_endpoint(
            SERVICE,
            "us-east-1",
            use_fips=False,
            use_dualstack=False,
            endpoint_url=None,
            profile_name="services",
        )
        assert got == "http://services-local:5"
    assert len(hops) == 1


@pytest.mark.anyio
async def test_client_sends_to_the_configured_endpoint() -> None:
    async with respx.mock(assert_all_called=True) as mock, httpx.AsyncClient() as http:
        route = mock.post("http://services-local:5/endpoints/ep/invocations").respond(
            200, content=b"ok"
        )
        async with SageMakerRuntimeClient(
            region_name="us-east-1",
            profile_name="services",
            aws_access_key_id="AKID",
            aws_secret_access_key="secret",
            http_client=http,
        ) as client:
            out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
        assert out.body == b"ok"
        assert route.call_count == 1
